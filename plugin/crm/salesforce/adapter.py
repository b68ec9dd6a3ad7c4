"""Salesforce, registered as the service's CRM adapter."""
from __future__ import annotations

from plugin.crm.adapters import CrmAdapter, register
from plugin.crm.salesforce.connector import SalesforceConnector

SALESFORCE = CrmAdapter(name="salesforce", label="Salesforce", build_connector=SalesforceConnector)
register(SALESFORCE)

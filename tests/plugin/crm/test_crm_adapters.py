"""CRMs are found by name in the adapter registry; an unknown one is a clear error."""
from __future__ import annotations

import pytest

from plugin.crm.adapters import (
    CrmAdapter, UnknownCrm, adapter, register, registered, unregister,
)
from plugin.crm.salesforce.connector import SalesforceConnector


def test_salesforce_is_registered_and_builds_its_connector():
    salesforce = adapter("salesforce")
    assert salesforce.label == "Salesforce"
    connector = salesforce.build_connector([])
    assert isinstance(connector, SalesforceConnector) and connector.org_ids == ()


def test_a_new_adapter_registers_itself_by_name():
    class NoOrgs:
        org_ids: tuple[str, ...] = ()

        def source(self, org_id, **viewer):
            raise LookupError(org_id)

    hubspot = CrmAdapter("hubspot-test", "HubSpot (test)", lambda *a, **k: NoOrgs())
    register(hubspot)
    try:
        assert adapter("hubspot-test") is hubspot
        assert {a.name for a in registered()} >= {"salesforce", "hubspot-test"}
    finally:
        unregister("hubspot-test")
    with pytest.raises(UnknownCrm):
        adapter("hubspot-test")


def test_an_unknown_crm_names_the_known_ones():
    with pytest.raises(UnknownCrm, match="'salesforce'"):
        adapter("pipedrive")

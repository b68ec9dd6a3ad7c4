"""The bundled demo org: a catalog and Salesforce-shaped opportunities, so that a newcomer sees
the whole product without a Salesforce account."""
from __future__ import annotations

import json
from functools import cached_property
from importlib.resources import files
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from content_catalog.repository import UpsertResult, ensure_org
from content_catalog.taxonomy import Taxonomy
from plugin.crm.sources import OpportunityNotFound
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.records import OpportunityRecord
from plugin.crm.salesforce.connection_check import OrgStage, stages_from_records
from plugin.crm.salesforce.opportunity_json import parse_opportunity

DEMO_ORG_ID = to_18("00D5e00000DEMO1")
DEMO_ORG_NAME = "Northwind Cloud (demo org)"


def _bundled(name: str) -> Any:
    return json.loads(files(__name__).joinpath(name).read_text(encoding="utf-8"))


def demo_module_payloads() -> list[dict[str, Any]]:
    return _bundled("modules.json")


def load_demo_catalog(engine: Engine, sessions: sessionmaker[Session], taxonomy: Taxonomy) -> UpsertResult:
    """Migrate the database and upsert the demo org's catalog; running it again changes nothing."""
    upgrade(engine)
    with sessions.begin() as session:
        ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
        return import_modules(session, DEMO_ORG_ID, demo_module_payloads(), taxonomy)


class DemoOrg:
    """An :class:`~plugin.crm.sources.OpportunitySource` over the bundled records."""

    org_id = DEMO_ORG_ID

    @cached_property
    def _records(self) -> dict[str, OpportunityRecord]:
        records = (parse_opportunity(raw) for raw in _bundled("opportunities.json"))
        return {r.opportunity_id: r for r in records}

    @cached_property
    def _stages(self) -> tuple[OrgStage, ...]:
        return tuple(stages_from_records(_bundled("stages.json")["records"]))

    def stages(self) -> list[OrgStage]:
        """The demo org's stages in pipeline order, as its ``OpportunityStage`` query answers:
        the defaults with the custom "Security Review" between proposal and negotiation."""
        return list(self._stages)

    def opportunities(self) -> list[OpportunityRecord]:
        return list(self._records.values())

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        try:
            key = to_18(opportunity_id, prefix="006")
        except InvalidSalesforceId:
            raise OpportunityNotFound(str(opportunity_id)[:40]) from None
        try:
            return self._records[key]
        except KeyError:
            raise OpportunityNotFound(key) from None

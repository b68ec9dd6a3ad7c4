"""The bundled demo org: a catalog and Salesforce-shaped opportunities, so that a newcomer sees
the whole product without a Salesforce account."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.database import upgrade
from content_catalog.history import CatalogHistory
from content_catalog.importing import parse_rows
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Taxonomy
from plugin.crm.sources import OpportunityNotFound
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.records import OpportunityRecord
from plugin.crm.salesforce.opportunity_json import parse_opportunity

DEMO_ORG_ID = to_18("00D5e00000DEMO1")
DEMO_ORG_NAME = "Northwind Cloud (demo org)"
#: Who the history names for the demo loader's saves ("import": what it wrote before it had a name).
DEMO_LOADER = "demo loader"
DEMO_LOADER_ACTORS = (DEMO_LOADER, "import")


def _bundled(name: str) -> Any:
    return json.loads(files(__name__).joinpath(name).read_text(encoding="utf-8"))


def demo_module_payloads() -> list[dict[str, Any]]:
    return _bundled("modules.json")


@dataclass(frozen=True)
class DemoCatalogLoad:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Bundled modules a person has edited: left as they are.
    kept: int = 0


def load_demo_catalog(engine: Engine, sessions: sessionmaker[Session],
                      taxonomy: Taxonomy) -> DemoCatalogLoad:
    """Migrate the database and upsert the demo org's bundled modules; running it again changes
    nothing. A module someone has edited (any version saved by another actor than the loader)
    is never overwritten: only bundled, untouched modules are refreshed."""
    upgrade(engine)
    bundled = parse_rows(demo_module_payloads(), taxonomy)
    with sessions.begin() as session:
        ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
        catalog = CatalogRepository(session, DEMO_ORG_ID)
        catalog.lock_for_writing()
        edited = CatalogHistory(session, DEMO_ORG_ID).keys_saved_by_others(DEMO_LOADER_ACTORS)
        result = catalog.upsert_many([m for m in bundled if m.key not in edited],
                                     actor=DEMO_LOADER)
    kept = sum(1 for m in bundled if m.key in edited)
    return DemoCatalogLoad(result.created, result.updated, result.unchanged, kept)


class DemoOrg:
    """An :class:`~plugin.crm.sources.OpportunitySource` over the bundled records."""

    org_id = DEMO_ORG_ID

    @cached_property
    def _records(self) -> dict[str, OpportunityRecord]:
        records = (parse_opportunity(raw) for raw in _bundled("opportunities.json"))
        return {r.opportunity_id: r for r in records}

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

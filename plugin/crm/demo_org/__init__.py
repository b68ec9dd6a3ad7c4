"""The bundled demo org: a catalog and Salesforce-shaped opportunities, so that a newcomer sees
the whole product without a Salesforce account."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from typing import Any, Callable

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
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.connection_check import (
    ConnectionCheck,
    MissingField,
    OrgStage,
    stages_from_records,
)
from plugin.crm.salesforce.opportunity_json import parse_opportunity
from plugin.crm.salesforce.soql import split_field_path

DEMO_ORG_ID = to_18("00D5e00000DEMO1")
DEMO_ORG_NAME = "Northwind Cloud (demo org)"
#: The made-up My Domain URL the demo org's connection names (nothing is ever sent to it).
DEMO_INSTANCE_URL = "https://northwind-demo.my.salesforce.com"
#: The Ids of the simulated reps of the demo's simulated history start so (real demo clicks are
#: the demo user's, ``005…DEMOL``): what tells simulated figures from real ones.
SIMULATED_REP_PREFIX = "0055e0REP"
#: The custom field of the bundled records that holds the customer's challenge.
DEMO_CHALLENGE_FIELD = "Customer_Challenge__c"
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
    """An :class:`~plugin.crm.sources.OpportunitySource` over the bundled records.

    ``connection``: the demo org's stored connection, when an admin has connected it (its field
    mapping decides which fields of the bundled records fill the challenge, the industry and
    the extra text, as the context query's fields do for a real org); None: the defaults."""

    org_id = DEMO_ORG_ID

    def __init__(self, connection: Callable[[], OrgConnection | None] = lambda: None):
        self._connection = connection
        #: The records as parsed under each field mapping met (a mapping rarely changes).
        self._parsed: dict[tuple, dict[str, OpportunityRecord]] = {}

    @cached_property
    def _raw(self) -> dict[str, dict[str, Any]]:
        return {to_18(raw["Id"], prefix="006"): raw for raw in _bundled("opportunities.json")}

    def _records(self) -> dict[str, OpportunityRecord]:
        connection = self._connection()  # once per call: it reads the settings version
        fields = (None if connection is None else
                  (connection.challenge_field, connection.industry_field, connection.extra_fields))
        records = self._parsed.get(fields)
        if records is None:
            options = {} if fields is None else dict(
                challenge_field=fields[0], industry_field=fields[1], extra_fields=fields[2])
            records = {key: parse_opportunity(raw, **options) for key, raw in self._raw.items()}
            self._parsed[fields] = records
        return records

    @cached_property
    def _stages(self) -> tuple[OrgStage, ...]:
        return tuple(stages_from_records(_bundled("stages.json")["records"]))

    def stages(self) -> list[OrgStage]:
        """The demo org's stages in pipeline order, as its ``OpportunityStage`` query answers:
        the defaults with the custom "Security Review" between proposal and negotiation."""
        return list(self._stages)

    def opportunities(self) -> list[OpportunityRecord]:
        return list(self._records().values())

    def user_records(self) -> list[dict[str, Any]]:
        """The demo org's users as its ``User`` query answers (reps, managers, a partner rep)."""
        return list(_bundled("users.json")["records"])

    def role_records(self) -> list[dict[str, Any]]:
        """The demo org's role hierarchy as its ``UserRole`` query answers (two regions)."""
        return list(_bundled("roles.json")["records"])

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        try:
            key = to_18(opportunity_id, prefix="006")
        except InvalidSalesforceId:
            raise OpportunityNotFound(str(opportunity_id)[:40]) from None
        try:
            return self._records()[key]
        except KeyError:
            raise OpportunityNotFound(key) from None


def demo_connection_check(connection: OrgConnection) -> ConnectionCheck:
    """The connection test of the demo org: nothing to log in to, but the mapped fields must
    exist in the bundled records, as they must be readable in a real org."""
    records = _bundled("opportunities.json")
    mapped = [(connection.challenge_field, "mapped challenge field"),
              (connection.industry_field, "mapped industry field"),
              *((path, "extra context field") for path in connection.extra_fields)]
    missing = []
    for path, role in mapped:
        if path and not any(_has_path(raw, path) for raw in records):
            sobject, field = split_field_path(path)
            missing.append(MissingField(sobject, field, role))
    return ConnectionCheck(testable=True, ok=not missing, org_name=DEMO_ORG_NAME,
                           missing=tuple(missing))


def _has_path(raw: dict[str, Any], path: str) -> bool:
    sobject, field = split_field_path(path)
    holder = raw if sobject == "Opportunity" else raw.get(sobject)
    return isinstance(holder, dict) and field in holder

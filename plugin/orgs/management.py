"""The orgs an admin manages: connect, edit, map, test, read stages, report status, remove."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Mapping

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import CatalogRepository
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.taxonomy import DEFAULT_STAGE_PHASES, Dimension, JourneyPhase, Taxonomy
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from content_catalog.modules import FieldError
from plugin.crm.demo_org import DemoOrg, demo_connection_check
from plugin.crm.salesforce.outbound import OutboundPolicy
from plugin.orgs.demo_connection import DEMO_CONNECTION_FIXED
from plugin.orgs.admin_input import OrgInputInvalid, parse_connection, parse_fields, parse_frame_ancestors, parse_stages
from plugin.crm.salesforce.config import AuthMode
from plugin.crm.salesforce.connection_check import (
    ConnectionCheck,
    OrgStage,
    check_connection,
    describe_failure,
    read_stages,
)
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.crm.salesforce.exceptions import SalesforceApiError
from plugin.crm.salesforce.health import OrgStatus
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.orgs.live import LiveOrgs
from plugin.orgs.stage_phases import StagePhase, org_taxonomy, stage_phase

log = logging.getLogger(__name__)

NOT_FOUND = "No such org is connected here."
DEMO_STAGES = "The demo org's active stages, from its bundled records, in pipeline order."
OUT_OF_SCOPE = ("An admin connects their own Salesforce org; sign in from the org you want to "
                "connect.")


class OrgNotManaged(LookupError):
    """No such org, or not one this admin manages: deliberately the same answer for both."""


class OrgOutOfScope(PermissionError):
    """An admin tried to connect an org other than their own."""


class OrgAlreadyConnected(ValueError):
    pass


@dataclass(frozen=True)
class OrgSummary:
    org_id: str
    name: str
    auth_mode: str


@dataclass(frozen=True)
class StoredUsage:
    used: int
    limit: int
    reported_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    at: datetime
    kind: str
    message: str


@dataclass(frozen=True)
class UnknownValue:
    dimension: str
    value: str
    times_seen: int
    last_seen: datetime


@dataclass(frozen=True)
class OrgStatusReport:
    org: ConfiguredOrg
    #: This process's view: circuit breaker, parts of the query left out (None: not built yet).
    live: OrgStatus | None
    usage: StoredUsage | None
    events: tuple[StoredEvent, ...]
    #: Values panels met that the org's taxonomy still does not know.
    unknown: tuple[UnknownValue, ...]


@dataclass(frozen=True)
class StageRow:
    value: str
    label: str
    phase: JourneyPhase | None
    #: Where the phase comes from: "org" (this org's mapping), "default", or None (unmapped).
    mapped_by: str | None
    in_salesforce: bool
    #: A panel met this stage and could not place it (before it was mapped, if it is now).
    seen_unknown: bool = False
    is_closed: bool = False
    is_won: bool = False
    #: For an unmapped stage: what panels assume meanwhile (``StagePhase.notice``'s rule).
    assumed: StagePhase | None = None


@dataclass(frozen=True)
class StageListing:
    rows: tuple[StageRow, ...]
    #: The rows come from the org's real stage list (else: defaults, mapped and seen stages).
    from_salesforce: bool
    note: str | None = None

    @property
    def unmapped(self) -> tuple[StageRow, ...]:
        return tuple(row for row in self.rows if row.phase is None)


class OrgAdmin:
    """``scope``: the one org an admin may manage (None: every org, for the command line)."""

    def __init__(self, sessions: sessionmaker[Session], orgs: LiveOrgs, taxonomy: Taxonomy,
                 secrets: SecretBox, scope: str | None,
                 outbound: OutboundPolicy = OutboundPolicy()):
        self.sessions = sessions
        self.orgs = orgs
        self.taxonomy = taxonomy
        self.scope = scope
        self.store = OrgConnections(sessions, secrets, outbound)

    # Reading -------------------------------------------------------------------------------------
    def summaries(self) -> list[OrgSummary]:
        return [OrgSummary(*row) for row in self.store.names() if self._in_scope(row[0])]

    def get(self, org_id: str) -> ConfiguredOrg:
        key = self._key(org_id)
        org = self.store.get(key) if key else None
        if org is None:
            raise OrgNotManaged(NOT_FOUND)
        return org

    def status(self, org_id: str) -> OrgStatusReport:
        org = self.get(org_id)
        key = org.connection.org_id
        try:
            live = self.orgs.current().connector.status(key)
        except OrgNotConfigured:
            live = None
        taxonomy = org_taxonomy(self.taxonomy, org.mapping)  # as saved, even within this request
        with self.sessions() as session:
            activity = OrgActivityRepository(session, key)
            usage = activity.usage()
            events = tuple(StoredEvent(e.at, e.kind, e.message) for e in activity.recent_events())
            unknown = tuple(
                UnknownValue(row.dimension, row.value, row.times_seen, row.last_seen)
                for row in CatalogRepository(session, key).unknown_values()
                if taxonomy.classify(row.dimension, [row.value]).unknown
            )
        stored = None if usage is None else StoredUsage(usage.used, usage.limit, usage.reported_at)
        return OrgStatusReport(org, live, stored, events, unknown)

    def stages(self, org_id: str) -> StageListing:
        """The org's real stages (server-to-server orgs), else the default stages; plus stages
        the org mapped and stages panels met, each with its phase or none."""
        org = self.get(org_id)
        real: list[OrgStage] = []
        note = None
        if org.is_demo:  # its stages are bundled: as complete as a real org's
            real, note = DemoOrg().stages(), DEMO_STAGES
        elif org.connection.auth_mode is AuthMode.CANVAS:
            note = ("Canvas-only orgs cannot be read from here: these are the default stages, "
                    "your mapped stages and stages panels have met.")
        else:
            try:
                real = read_stages(org.connection)
            except SalesforceApiError as exc:
                note = (f"The org's stages could not be read ({describe_failure(exc)}); "
                        "showing the defaults.")
        order = tuple(stage.value for stage in real)
        if order and order != org.mapping.stage_order:
            # Panels place unmapped stages by this order (``stage_phases``): keep it.
            org = self._save(replace(org, mapping=replace(org.mapping, stage_order=order)),
                             "stage order read from Salesforce")
        rows = tuple(self._stage_rows(org, real, note is None or org.is_demo))
        return StageListing(rows, from_salesforce=note is None, note=note)

    # Writing -------------------------------------------------------------------------------------
    def create(self, data: Mapping[str, Any]) -> ConfiguredOrg:
        org = parse_connection(data, None, self.store.outbound)
        if not self._in_scope(org.connection.org_id):
            raise OrgOutOfScope(OUT_OF_SCOPE)
        if self.store.get(org.connection.org_id) is not None:
            raise OrgAlreadyConnected(
                f"The org {org.connection.org_id} is already connected; edit it instead.")
        return self._save(org, "connected")

    def update(self, org_id: str, data: Mapping[str, Any]) -> ConfiguredOrg:
        current = self.get(org_id)
        if current.is_demo:
            raise OrgInputInvalid([FieldError("connection", DEMO_CONNECTION_FIXED)])
        return self._save(parse_connection(data, current, self.store.outbound),
                          "connection changed")

    def update_fields(self, org_id: str, data: Mapping[str, Any]) -> ConfiguredOrg:
        return self._save(parse_fields(data, self.get(org_id)), "field mapping changed")

    def update_stages(self, org_id: str, stage_phases: Any) -> ConfiguredOrg:
        return self._save(parse_stages(stage_phases, self.get(org_id)), "stage mapping changed")

    def map_stage(self, org_id: str, stage: str, phase: JourneyPhase | None) -> ConfiguredOrg:
        org = self.get(org_id)
        mapping = org.mapping.with_stage(stage, phase)
        return self._save(replace(org, mapping=mapping), "stage mapping changed")

    def update_frame_ancestors(self, org_id: str, extra: Any) -> ConfiguredOrg:
        return self._save(parse_frame_ancestors(extra, self.get(org_id)), "frame ancestors changed")

    def remove(self, org_id: str) -> None:
        key = self.get(org_id).connection.org_id
        if not self.store.remove(key):
            raise OrgNotManaged(NOT_FOUND)
        log.info("org %s: connection removed", key)

    def test(self, org_id: str) -> ConnectionCheck:
        """Check the stored connection; the API usage it reports and any failure are kept for the
        org's status page, as the panel's own calls are."""
        org = self.get(org_id)
        check = (demo_connection_check(org.connection) if org.is_demo
                 else check_connection(org.connection))
        log.info("org %s: connection test: %s", org.connection.org_id, check.summary())
        if check.testable and not org.is_demo:
            self._remember(org.connection.org_id, check)
        return check

    # Helpers -------------------------------------------------------------------------------------
    def _save(self, org: ConfiguredOrg, what: str) -> ConfiguredOrg:
        """Store ``org``; the log says what changed and how it authenticates, never a secret."""
        self.store.save(org)
        connection = org.connection
        log.info("org %s: %s (%s, %s)", connection.org_id, what, connection.auth_mode.value,
                 connection.instance_url)
        return org

    def _key(self, org_id: str) -> str | None:
        try:
            key = to_18(org_id, prefix="00D")
        except InvalidSalesforceId:
            return None
        return key if self._in_scope(key) else None

    def _in_scope(self, org_id: str) -> bool:
        return self.scope is None or org_id == self.scope

    def _remember(self, org_id: str, check: ConnectionCheck) -> None:
        try:
            with self.sessions.begin() as session:
                activity = OrgActivityRepository(session, org_id)
                if check.api_usage is not None:
                    activity.set_usage(check.api_usage.used, check.api_usage.limit)
                if not check.ok:
                    missing = ", ".join(m.label for m in check.missing)
                    message = check.error or f"cannot read {missing}"
                    activity.add_event("test_failed", f"connection test: {message}",
                                       datetime.now(timezone.utc))
        except Exception:  # noqa: BLE001 - the admin still gets the result they asked for
            log.exception("could not keep the connection test of org %s", org_id)

    def _stage_rows(self, org: ConfiguredOrg, real: list[OrgStage],
                    from_salesforce: bool) -> list[StageRow]:
        key = org.connection.org_id
        taxonomy = org_taxonomy(self.taxonomy, org.mapping)
        with self.sessions() as session:
            unknown = CatalogRepository(session, key).unknown_values()
        seen = {row.value.casefold(): row.value for row in unknown
                if row.dimension == Dimension.DEAL_STAGE.value}
        candidates: dict[str, tuple[str, str, OrgStage | None]] = {}
        for stage in real:
            candidates.setdefault(stage.value.casefold(), (stage.value, stage.label, stage))
        extra_names = [name for name, _ in org.mapping.stage_phases] + list(seen.values())
        if not from_salesforce:
            extra_names = list(DEFAULT_STAGE_PHASES) + extra_names
        for name in extra_names:
            candidates.setdefault(name.casefold(), (name, name, None))
        rows = []
        for folded, (value, label, stage) in candidates.items():
            decided = stage_phase(taxonomy, value, mapping=org.mapping)
            rows.append(StageRow(
                value=value, label=label, phase=decided.mapped_phase,
                mapped_by=None if decided.unmapped else decided.mapped_by,
                in_salesforce=stage is not None, seen_unknown=folded in seen,
                is_closed=bool(stage and stage.is_closed), is_won=bool(stage and stage.is_won),
                assumed=decided if decided.unmapped and decided.phase else None,
            ))
        return rows


__all__ = [
    "NOT_FOUND", "OUT_OF_SCOPE", "OrgAdmin", "OrgAlreadyConnected", "OrgNotManaged",
    "OrgOutOfScope", "OrgStatusReport", "OrgSummary", "StageListing", "StageRow",
]  # fmt: skip

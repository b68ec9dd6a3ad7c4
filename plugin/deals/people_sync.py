"""Users, roles and meetings on opportunities from Salesforce (or the demo org) into the people
store. Design: docs/design/deals.md."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.people_store import Meeting, PeopleStore, SalesRole, SyncedUser
from content_catalog.repository import ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME, DemoOrg
from plugin.crm.salesforce.config import AuthMode
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.crm.salesforce.deal_changes import BreakerOpen, read_deal_changes
from plugin.crm.salesforce.exceptions import SalesforceApiError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.people_json import (
    EVENT_FIELDS, USER_FIELDS, BadPeopleRecord, events_query, parse_event, parse_role, parse_user,
    roles_query, users_query,
)
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.orgs.live import LiveOrgs
from plugin.orgs.sync_events import SyncEvents, explain_failure, with_skipped

log = logging.getLogger(__name__)

SYNCED_EVENT = "people_synced"
FAILED_EVENT = "people_sync_failed"
CANVAS_ONLY = ("Canvas-only org: the service holds no credentials to read its users and "
               "meetings (add server-to-server credentials)")
_PERMISSIONS_HINT = ("the integration user needs read access to User (" + ", ".join(USER_FIELDS)
                     + "), UserRole and Event (" + ", ".join(EVENT_FIELDS) + ")")
_EVENTS = SyncEvents(SYNCED_EVENT, FAILED_EVENT, "people")


@dataclass(frozen=True)
class PeopleSyncReport:
    org_id: str
    #: "demo", "incremental" or "full".
    mode: str
    users: int = 0
    roles: int = 0
    meetings: int = 0
    #: Meetings dropped: no longer on an opportunity, or deleted (full syncs only).
    forgotten: int = 0
    #: (record label, reason) of the rows not saved.
    skipped: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed(self) -> bool:
        return bool(self.users or self.meetings or self.forgotten or self.skipped)

    def summary(self) -> str:
        if self.error:
            return f"people sync failed: {self.error}; nothing was saved"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        forgotten = f", {self.forgotten} meetings forgotten" if self.forgotten else ""
        return (f"{self.mode} people sync: {self.users} users, {self.roles} roles and "
                f"{self.meetings} meetings saved{forgotten}{skipped}")


@dataclass(frozen=True)
class ParsedPeople:
    users: list[SyncedUser]
    roles: list[SalesRole]
    meetings: list[Meeting]
    skipped: tuple[tuple[str, str], ...]


def parse_people(user_rows: list[Any], role_rows: list[Any], event_rows: list[Any],
                 now: datetime) -> ParsedPeople:
    """The rows that parse, and (label, reason) for the others (a hostile Id is never echoed)."""
    parsed: dict[str, list[Any]] = {"user": [], "role": [], "event": []}
    skipped = []
    for kind, rows, parse in (("user", user_rows, parse_user), ("role", role_rows, parse_role),
                              ("event", event_rows, parse_event)):
        for index, row in enumerate(rows):
            try:
                parsed[kind].append(parse(row, now=now))
            except BadPeopleRecord as exc:
                skipped.append((f"{kind} {index + 1}", str(exc)))
    return ParsedPeople(parsed["user"], parsed["role"], parsed["event"], tuple(skipped))


def store_people(session: Session, org_id: str, people: ParsedPeople, *,
                 full: bool) -> PeopleSyncReport:
    """Save what was read in the caller's transaction. Roles are always read whole, so the
    stored ones not among them are dropped; with ``full`` (every meeting on an opportunity was
    read) so are the stored meetings not among them."""
    store = PeopleStore(session, org_id)
    kept = {r.role_id for r in people.roles}
    if people.roles:  # an empty answer is an org without roles, or an error: keep what we had
        store.forget_roles(r.role_id for r in store.roles() if r.role_id not in kept)
    forgotten = 0
    if full:
        seen = {m.event_id for m in people.meetings}
        forgotten = store.forget_meetings(m.event_id for m in store.meetings()
                                          if m.event_id not in seen)
    return PeopleSyncReport(org_id, "full" if full else "incremental",
                            users=store.save_users(people.users),
                            roles=store.save_roles(people.roles),
                            meetings=store.save_meetings(people.meetings), forgotten=forgotten,
                            skipped=people.skipped)


class PeopleSync:
    """Syncs an org's users, roles and meetings; the demo org's from its bundled records."""

    def __init__(self, sessions: sessionmaker[Session], demo_org: DemoOrg | None = None,
                 orgs: LiveOrgs | None = None):
        self._sessions = sessions
        self._orgs = orgs
        self._demo_org = demo_org

    def sync_demo(self, now: datetime | None = None,
                  meetings: list[Meeting] | None = None) -> PeopleSyncReport:
        """The bundled users and roles (and ``meetings``, the demo's simulated ones)."""
        demo = self._demo_org or DemoOrg()
        now = now or datetime.now(timezone.utc)
        people = parse_people(demo.user_records(), demo.role_records(), [], now)
        people = replace(people, meetings=list(meetings or []))
        with self._sessions.begin() as session:
            ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
            report = store_people(session, DEMO_ORG_ID, people, full=False)
        return replace(report, mode="demo")

    def sync(self, org_id: str, *, full: bool = False, now: datetime | None = None,
             sleep: Callable[[float], None] | None = None) -> PeopleSyncReport:
        """Read roles (whole), users and meetings changed since the stored watermarks (all with
        ``full``), then save them in one transaction; any failure saves nothing and tells the
        org's admins once, as the deal-outcome sync does."""
        now = now or datetime.now(timezone.utc)
        if str(org_id) in (DEMO_ORG_ID, DEMO_ORG_ID[:15]):
            return self.sync_demo(now)
        mode = "full" if full else "incremental"
        if self._orgs is None:
            return PeopleSyncReport(str(org_id)[:40], mode, error="no such org is configured")
        try:
            key = to_18(org_id, prefix="00D")
            snapshot = self._orgs.current()
            configured = snapshot.org(key)
        except (InvalidSalesforceId, OrgNotConfigured):
            return PeopleSyncReport(str(org_id)[:40], mode, error="no such org is configured")
        except (EncryptionKeyMissing, SecretsUnreadable) as exc:
            return PeopleSyncReport(str(org_id)[:40], mode,
                                    error=f"org secrets unreadable: {exc}")
        report = PeopleSyncReport(key, mode)
        if configured.connection.auth_mode is AuthMode.CANVAS:
            return replace(report, error=CANVAS_ONLY)
        with self._sessions() as session:
            store = PeopleStore(session, key)
            users_since = None if full else store.last_modified("users")
            meetings_since = None if full else store.last_modified("meetings")
        source = snapshot.connector.source(key)
        try:
            answers = [read_deal_changes(source.client, source.health, soql,
                                         sleep=sleep or source.sleep,
                                         retry_backoff=source.retry_backoff)
                       for soql in (roles_query(), users_query(users_since),
                                    events_query(meetings_since))]
        except (SalesforceApiError, BreakerOpen) as exc:
            return self._fail(report, explain_failure(exc, _PERMISSIONS_HINT), now)
        people = parse_people(answers[1], answers[0], answers[2], now)
        try:
            with self._sessions.begin() as session:
                report = store_people(session, key, people, full=full)
                _record_success(session, report, now)
        except SQLAlchemyError:
            log.exception("could not save the people of org %s", key)
            return self._fail(report, "the database refused the write (see the service log)",
                              now)
        log.info("people of org %s: %s", key, report.summary())
        return report

    def _fail(self, report: PeopleSyncReport, error: str, now: datetime) -> PeopleSyncReport:
        failed = PeopleSyncReport(report.org_id, report.mode, error=error)
        log.warning("people of org %s: %s", report.org_id, failed.summary())
        _EVENTS.record_failure(self._sessions, report.org_id, failed.summary(), now)
        return failed


def _record_success(session: Session, report: PeopleSyncReport, now: datetime) -> None:
    message = with_skipped(report.summary(), report.skipped)
    _EVENTS.record_success(session, report.org_id, message, changed=report.changed, now=now)


__all__ = [
    "CANVAS_ONLY", "FAILED_EVENT", "ParsedPeople", "PeopleSync", "PeopleSyncReport",
    "SYNCED_EVENT", "parse_people", "store_people",
]

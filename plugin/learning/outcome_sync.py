"""Deal outcomes from Salesforce (or the demo org) into ``deal_outcomes``.
Design: docs/design/learning.md."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.tables.catalog_tables import Org
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.repository import ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME, DemoOrg
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.crm.salesforce.config import AuthMode
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.crm.salesforce.deal_changes import (
    DEAL_FIELDS, BadDealRecord, BreakerOpen, DealState, deal_changes_query, parse_deal_state,
    read_deal_changes,
)
from plugin.crm.salesforce.exceptions import SalesforceApiError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.orgs.live import LiveOrgs
from plugin.orgs.sync_events import SyncEvents, explain_failure, record_label, with_skipped
from plugin.deals.people_sync import PeopleSync, PeopleSyncReport
from plugin.deals.stage_history_sync import StageHistorySync, StageHistorySyncReport

log = logging.getLogger(__name__)

SYNCED_EVENT = "outcomes_synced"
FAILED_EVENT = "outcome_sync_failed"
CANVAS_ONLY = ("Canvas-only org: the service holds no credentials to read its opportunities "
               "(add server-to-server credentials to sync deal outcomes)")
_PERMISSIONS_HINT = ("the integration user needs read access to Opportunity."
                     + ", ".join(DEAL_FIELDS[1:]))
_EVENTS = SyncEvents(SYNCED_EVENT, FAILED_EVENT, "deal outcome")
_IDS_PER_LOOKUP = 500


@dataclass(frozen=True)
class SkippedRecord:
    """A record Salesforce sent that was not saved: which one, and why."""

    record: str
    reason: str


@dataclass(frozen=True)
class OutcomeSyncReport:
    org_id: str
    org_name: str
    #: "demo", "incremental" (from ``since``) or "full".
    mode: str
    fetched: int = 0
    won: int = 0
    lost: int = 0
    #: Closed deals whose stored outcome was already what Salesforce says (not counted above).
    unchanged: int = 0
    #: Stored outcomes dropped because the deal is no longer closed.
    forgotten: int = 0
    skipped: tuple[SkippedRecord, ...] = ()
    #: Our own words about why nothing was saved; None when the sync worked.
    error: str | None = None
    elapsed: float = 0.0
    since: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error:
            return f"sync failed: {self.error}; nothing was saved"
        since = f" since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (f"{self.mode} sync{since}: {self.fetched} fetched, {self.won} won and "
                f"{self.lost} lost saved, {self.unchanged} unchanged, {self.forgotten} "
                f"reopened forgotten{skipped} ({self.elapsed:.1f} s)")

    @property
    def changed(self) -> bool:
        return bool(self.won or self.lost or self.forgotten or self.skipped)


@dataclass(frozen=True)
class SyncableOrgs:
    """The orgs whose outcomes can be synced, demo org first, and those that cannot."""

    org_ids: tuple[str, ...]
    canvas_only: tuple[str, ...] = ()


class OutcomeSync:
    """Syncs deal outcomes with what it uses: sessions, the configured orgs and, when the
    service serves it, the demo org."""

    def __init__(self, sessions: sessionmaker[Session], orgs: LiveOrgs,
                 demo_org: DemoOrg | None = None, stage_history: StageHistorySync | None = None,
                 people: PeopleSync | None = None):
        self._sessions = sessions
        self._orgs = orgs
        self._demo_org = demo_org
        #: Runs after the outcomes in scheduled jobs: same orgs, connector and schedule.
        self.stage_history = stage_history
        self.people = people

    def sync_stage_history(self, org_id: str, **kwargs: Any) -> StageHistorySyncReport | None:
        """The org's deal stage history (issue 15), when this deployment syncs it."""
        return None if self.stage_history is None else self.stage_history.sync(org_id, **kwargs)

    def sync_people(self, org_id: str, **kwargs: Any) -> PeopleSyncReport | None:
        """The org's users, roles and meetings (issue 15), when this deployment syncs them."""
        return None if self.people is None else self.people.sync(org_id, **kwargs)

    def sync_deal_records(self, org_id: str) -> tuple[Any, ...]:
        """What the scheduled job syncs after the outcomes: stage history, then people; the
        reports of those this deployment syncs."""
        return tuple(r for r in (self.sync_stage_history(org_id), self.sync_people(org_id))
                     if r is not None)

    def syncable_orgs(self) -> SyncableOrgs:
        """The demo org (when served, or loaded into this database) and every configured org
        with server credentials. Canvas-only orgs are listed apart: only a rep's session can
        read them."""
        with self._sessions() as session:
            demo_loaded = session.get(Org, DEMO_ORG_ID) is not None
        demo = (DEMO_ORG_ID,) if self._demo_org is not None or demo_loaded else ()
        configured = self._orgs.current().orgs
        live = tuple(o for o, c in configured.items()
                     if c.connection.auth_mode is not AuthMode.CANVAS)
        canvas = tuple(o for o, c in configured.items()
                       if c.connection.auth_mode is AuthMode.CANVAS)
        return SyncableOrgs(demo + live, canvas)

    def sync(self, org_id: str, *, full: bool = False, now: datetime | None = None,
             sleep: Callable[[float], None] | None = None) -> OutcomeSyncReport:
        """Sync one org's deal outcomes; see docs/design/learning.md. ``sleep`` is the retry
        back-off's (the connector's own by default)."""
        started = time.perf_counter()
        now = now or datetime.now(timezone.utc)
        if str(org_id) in (DEMO_ORG_ID, DEMO_ORG_ID[:15]):
            return _sync_demo(self._sessions, self._demo_org or DemoOrg(), now, started)
        return _sync_live(self._sessions, self._orgs, str(org_id), full, now, started, sleep)


# The demo org -----------------------------------------------------------------------------
def _sync_demo(sessions: sessionmaker[Session], demo: DemoOrg, now: datetime,
               started: float) -> OutcomeSyncReport:
    """The bundled opportunities' closed ones. Only the bundled opportunities are touched, so
    outcomes written for the demo org by anything else stay."""
    states = [DealState(r.opportunity_id, _demo_outcome(r) if r.is_closed else None)
              for r in demo.opportunities()]
    report = OutcomeSyncReport(DEMO_ORG_ID, DEMO_ORG_NAME, "demo", fetched=len(states))
    return _write(sessions, report, states, forget_unseen=False, now=now, started=started,
                  prepare=lambda s: ensure_org(s, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True))


def _demo_outcome(record: Any) -> DealOutcome:
    amount = (None if record.amount is None
              else Decimal(str(record.amount)).quantize(Decimal("0.01")))
    return DealOutcome(opportunity_id=record.opportunity_id, won=record.is_won,
                       stage=record.stage or ("Closed Won" if record.is_won else "Closed Lost"),
                       amount=amount, close_date=record.close_date)


# A live org -------------------------------------------------------------------------------
def _sync_live(sessions: sessionmaker[Session], orgs: LiveOrgs, org_id: str, full: bool,
               now: datetime, started: float,
               sleep: Callable[[float], None] | None) -> OutcomeSyncReport:
    mode = "full" if full else "incremental"
    try:
        key = to_18(org_id, prefix="00D")
        snapshot = orgs.current()
        configured = snapshot.org(key)
    except (InvalidSalesforceId, OrgNotConfigured):
        return OutcomeSyncReport(org_id[:40], "", mode, error="no such org is configured")
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        return OutcomeSyncReport(org_id[:40], "", mode, error=f"org secrets unreadable: {exc}")
    report = OutcomeSyncReport(key, configured.name, mode)
    if configured.connection.auth_mode is AuthMode.CANVAS:
        return replace(report, error=CANVAS_ONLY)
    with sessions() as session:
        since = None if full else DealOutcomes(session, key).last_modified()
    report = replace(report, since=since)
    source = snapshot.connector.source(key)
    try:
        rows = read_deal_changes(source.client, source.health, deal_changes_query(since),
                                 sleep=sleep or source.sleep, retry_backoff=source.retry_backoff)
    except (SalesforceApiError, BreakerOpen) as exc:
        return _fail(sessions, report, explain_failure(exc, _PERMISSIONS_HINT), now, started)
    states, skipped = _parse(rows, now)
    report = replace(report, fetched=len(rows), skipped=skipped)
    return _write(sessions, report, states, forget_unseen=since is None, now=now,
                  started=started)


def _parse(rows: list[Any], now: datetime) -> tuple[list[DealState], tuple[SkippedRecord, ...]]:
    states, skipped = [], []
    for index, row in enumerate(rows):
        try:
            states.append(parse_deal_state(row, now=now))
        except BadDealRecord as exc:
            skipped.append(SkippedRecord(record_label(row, index, "006"), str(exc)))
    return states, tuple(skipped)


# Writing ----------------------------------------------------------------------------------
def _write(sessions: sessionmaker[Session], report: OutcomeSyncReport, states: list[DealState], *,
           forget_unseen: bool, now: datetime, started: float,
           prepare: Callable[[Session], object] | None = None) -> OutcomeSyncReport:
    closed = {s.opportunity_id: s.outcome for s in states if s.outcome is not None}
    reopened = {s.opportunity_id for s in states if s.outcome is None} - set(closed)
    try:
        with sessions.begin() as session:
            if prepare is not None:
                prepare(session)
            outcomes = DealOutcomes(session, report.org_id)
            # All of them when many (an IN list of thousands of Ids is slower, or refused).
            many = forget_unseen or len(closed) > _IDS_PER_LOOKUP
            stored = outcomes.by_opportunity(None if many else closed)
            if forget_unseen:
                reopened |= set(stored) - set(closed) - {s.record for s in report.skipped}
            changed = [o for i, o in closed.items() if stored.get(i) != o]
            outcomes.save(changed)
            forgotten = outcomes.forget(reopened)
            won = sum(1 for o in changed if o.won)
            report = replace(report, won=won, lost=len(changed) - won,
                             unchanged=len(closed) - len(changed), forgotten=forgotten,
                             elapsed=time.perf_counter() - started)
            _record_success(session, report, now)
    except SQLAlchemyError:
        log.exception("could not save the deal outcomes of org %s", report.org_id)
        return _fail(sessions, report, "the database refused the write (see the service log)",
                     now, started)
    log.info("deal outcomes of org %s: %s", report.org_id, report.summary())
    return report


def _record_success(session: Session, report: OutcomeSyncReport, now: datetime) -> None:
    message = with_skipped(f"deal outcomes: {report.summary()}",
                           ((s.record, s.reason) for s in report.skipped))
    _EVENTS.record_success(session, report.org_id, message, changed=report.changed, now=now)


def _fail(sessions: sessionmaker[Session], report: OutcomeSyncReport, error: str, now: datetime,
          started: float) -> OutcomeSyncReport:
    failed = replace(report, won=0, lost=0, unchanged=0, forgotten=0, error=error,
                     elapsed=time.perf_counter() - started)
    log.warning("deal outcomes of org %s: %s", report.org_id, failed.summary())
    _EVENTS.record_failure(sessions, report.org_id, f"deal outcomes: {failed.summary()}", now)
    return failed


__all__ = [
    "CANVAS_ONLY", "FAILED_EVENT", "OutcomeSync", "OutcomeSyncReport", "SYNCED_EVENT",
    "SkippedRecord", "SyncableOrgs",
]

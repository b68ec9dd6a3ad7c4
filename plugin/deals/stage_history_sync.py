"""Deals' stage histories from Salesforce (or the demo org) into ``opportunity_stage_history``,
incrementally, with the outcome sync's connector and failure policy. Design: docs/design/deals.md."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.opportunity_history import (
    OpportunityHistory, StageHistoryEntry, first_views, module_uses,
)
from content_catalog.repository import ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME
from plugin.crm.demo_org.demo_stage_history import (
    SimulatedDeal, demo_history_records, simulated_deal_records,
)
from plugin.crm.salesforce.config import AuthMode
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.crm.salesforce.deal_changes import BreakerOpen, read_deal_changes
from plugin.crm.salesforce.exceptions import SalesforceApiError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.deals.stage_evidence import USE_KINDS
from plugin.crm.salesforce.stage_history import (
    HISTORY_FIELDS, BadHistoryRecord, parse_history_row, stage_history_query,
)
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.orgs.live import LiveOrgs
from plugin.orgs.sync_events import SyncEvents, explain_failure, record_label, with_skipped

log = logging.getLogger(__name__)

SYNCED_EVENT = "stage_history_synced"
FAILED_EVENT = "stage_history_sync_failed"
CANVAS_ONLY = ("Canvas-only org: the service holds no credentials to read its stage history "
               "(add server-to-server credentials to learn its stage norms)")
_PERMISSIONS_HINT = ("the integration user needs read access to OpportunityHistory."
                     + ", ".join(HISTORY_FIELDS[1:]))
_EVENTS = SyncEvents(SYNCED_EVENT, FAILED_EVENT, "stage history")
#: The Ids of the demo's simulated panel history's deals start so (``plugin.learning.demo_history``).
SIMULATED_DEAL_PREFIX = "006SIM"


@dataclass(frozen=True)
class SkippedHistoryRow:
    """A row Salesforce sent that was not saved: which one, and why."""

    record: str
    reason: str


@dataclass(frozen=True)
class StageHistorySyncReport:
    org_id: str
    org_name: str
    #: "demo", "incremental" (from ``since``) or "full".
    mode: str
    fetched: int = 0
    #: Rows not held before (a row read again at the watermark's second is not counted).
    added: int = 0
    skipped: tuple[SkippedHistoryRow, ...] = ()
    #: Our own words about why nothing was saved; None when the sync worked.
    error: str | None = None
    elapsed: float = 0.0
    since: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.skipped)

    def summary(self) -> str:
        if self.error:
            return f"stage history sync failed: {self.error}; nothing was saved"
        since = f" since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (f"{self.mode} stage history sync{since}: {self.fetched} rows fetched, "
                f"{self.added} new{skipped} ({self.elapsed:.1f} s)")


class StageHistorySync:
    """Syncs deal stage histories with what it uses: sessions and the configured orgs."""

    def __init__(self, sessions: sessionmaker[Session], orgs: LiveOrgs):
        self._sessions = sessions
        self._orgs = orgs

    def sync(self, org_id: str, *, full: bool = False, now: datetime | None = None,
             sleep: Callable[[float], None] | None = None) -> StageHistorySyncReport:
        """Sync one org's stage history: rows created since the newest held (all with ``full``
        or at first). ``sleep`` is the retry back-off's (the connector's own by default)."""
        started = time.perf_counter()
        now = now or datetime.now(timezone.utc)
        if str(org_id) in (DEMO_ORG_ID, DEMO_ORG_ID[:15]):
            return self._sync_demo(now, started)
        return self._sync_live(str(org_id), full, now, started, sleep)

    def _sync_demo(self, now: datetime, started: float) -> StageHistorySyncReport:
        """The demo org's simulated history, in Salesforce's shape, through the same parsing
        and writing as a live org's. Anchored to the first sync's day: a later sync adds none."""
        with self._sessions() as session:
            anchor = OpportunityHistory(session, DEMO_ORG_ID).last_created()
            simulated = _simulated_deals(session)
        rows = demo_history_records(now if anchor is None else None)
        rows += simulated_deal_records(simulated, now)
        report = StageHistorySyncReport(DEMO_ORG_ID, DEMO_ORG_NAME, "demo", fetched=len(rows))
        entries, skipped = _parse(rows, now)
        return self._write(replace(report, skipped=skipped), entries, now, started,
                           prepare=lambda s: ensure_org(s, DEMO_ORG_ID, DEMO_ORG_NAME,
                                                        is_demo=True))

    def _sync_live(self, org_id: str, full: bool, now: datetime, started: float,
                   sleep: Callable[[float], None] | None) -> StageHistorySyncReport:
        mode = "full" if full else "incremental"
        try:
            key = to_18(org_id, prefix="00D")
            snapshot = self._orgs.current()
            configured = snapshot.org(key)
        except (InvalidSalesforceId, OrgNotConfigured):
            return StageHistorySyncReport(org_id[:40], "", mode, error="no such org is configured")
        except (EncryptionKeyMissing, SecretsUnreadable) as exc:
            return StageHistorySyncReport(org_id[:40], "", mode,
                                          error=f"org secrets unreadable: {exc}")
        report = StageHistorySyncReport(key, configured.name, mode)
        if configured.connection.auth_mode is AuthMode.CANVAS:
            return replace(report, error=CANVAS_ONLY)
        with self._sessions() as session:
            since = None if full else OpportunityHistory(session, key).last_created()
        report = replace(report, since=since)
        source = snapshot.connector.source(key)
        try:
            rows = read_deal_changes(source.client, source.health, stage_history_query(since),
                                     sleep=sleep or source.sleep,
                                     retry_backoff=source.retry_backoff)
        except (SalesforceApiError, BreakerOpen) as exc:
            return self._fail(report, explain_failure(exc, _PERMISSIONS_HINT), now, started)
        entries, skipped = _parse(rows, now)
        return self._write(replace(report, fetched=len(rows), skipped=skipped), entries, now,
                           started)

    def _write(self, report: StageHistorySyncReport, entries: list[StageHistoryEntry],
               now: datetime, started: float,
               prepare: Callable[[Session], object] | None = None) -> StageHistorySyncReport:
        try:
            with self._sessions.begin() as session:
                if prepare is not None:
                    prepare(session)
                added = OpportunityHistory(session, report.org_id).add(entries)
                report = replace(report, added=added, elapsed=time.perf_counter() - started)
                _record_success(session, report, now)
        except SQLAlchemyError:
            log.exception("could not save the stage history of org %s", report.org_id)
            return self._fail(report, "the database refused the write (see the service log)",
                              now, started)
        log.info("stage history of org %s: %s", report.org_id, report.summary())
        return report

    def _fail(self, report: StageHistorySyncReport, error: str, now: datetime,
              started: float) -> StageHistorySyncReport:
        failed = replace(report, added=0, error=error, elapsed=time.perf_counter() - started)
        log.warning("stage history of org %s: %s", report.org_id, failed.summary())
        _EVENTS.record_failure(self._sessions, report.org_id,
                               f"deal stage history: {failed.summary()}", now)
        return failed


def _simulated_deals(session: Session) -> list[SimulatedDeal]:
    """The deals of the demo's simulated panel history (``plugin.learning.demo_history``, Ids
    ``006SIM…``), with the modules reps used on them, once that history is seeded."""
    used: dict[str, set[str]] = {}
    for use in module_uses(session, DEMO_ORG_ID, USE_KINDS):
        used.setdefault(use.opportunity_id, set()).add(use.module_id)
    deals = []
    for deal, first_seen, context in first_views(session, DEMO_ORG_ID, SIMULATED_DEAL_PREFIX):
        try:
            fields = json.loads(context)
        except ValueError:
            continue
        stage, amount = fields.get("stage"), fields.get("amount")
        if isinstance(stage, str) and (amount is None or isinstance(amount, (int, float))):
            deals.append(SimulatedDeal(deal, stage, first_seen, amount,
                                       frozenset(used.get(deal, ()))))
    return deals


def _parse(rows: list[Any], now: datetime
           ) -> tuple[list[StageHistoryEntry], tuple[SkippedHistoryRow, ...]]:
    entries, skipped = [], []
    for index, row in enumerate(rows):
        try:
            entries.append(parse_history_row(row, now=now))
        except BadHistoryRecord as exc:
            skipped.append(SkippedHistoryRow(record_label(row, index, "008"), str(exc)))
    return entries, tuple(skipped)


def _record_success(session: Session, report: StageHistorySyncReport, now: datetime) -> None:
    message = with_skipped(f"deal stage history: {report.summary()}",
                           ((s.record, s.reason) for s in report.skipped))
    _EVENTS.record_success(session, report.org_id, message, changed=report.changed, now=now)


__all__ = [
    "CANVAS_ONLY", "FAILED_EVENT", "SYNCED_EVENT", "SkippedHistoryRow", "StageHistorySync",
    "StageHistorySyncReport",
]

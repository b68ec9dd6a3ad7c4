"""Storing what reps did with the panel's suggestions (``POST /api/v1/events``).
Design: docs/design/panel.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.events import (
    EventKind, PanelEvent, PanelEventLog, StoredEvents, expire_waiting_events,
    settle_waiting_events,
)
from content_catalog.manager_recommendations import ManagerRecommendations
from content_catalog.tables.base import utcnow
from plugin.panel.impressions import ImpressionRecorder, impression_made_at

UNKNOWN_IMPRESSION = "unknown_impression"
OTHER_RECORD = "other_record"
#: How long an event naming an impression not stored yet (queued in another process's recorder)
#: waits for it; the impression's id must also be at most this old. The recorder writes within
#: 250 ms, and retries a refused write for as long as the database refuses.
WAIT_SECONDS = 600
#: Clocks of two processes may differ this much: an impression id made this far "ahead" still waits.
CLOCK_SKEW_SECONDS = 60
#: The most events one org may have waiting; past it, unknown impressions are refused again, so
#: made-up ids cannot fill the table.
MAX_WAITING_PER_ORG = 10_000
#: What counts as using a module (an open alone is reading it).
_USES = frozenset({EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD, EventKind.SHARE})


@dataclass(frozen=True)
class EventReport:
    """One event as the panel sent it, already validated."""

    event_id: str
    impression_id: str
    kind: EventKind
    reason: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Rejection:
    event_id: str
    impression_id: str
    reason: str


@dataclass(frozen=True)
class EventsReceipt:
    """``accepted``: events of the batch now held (by this request or an earlier try), stored
    or waiting for their impression (queued in another process);
    ``duplicates``: how many of those were stored already; ``rejected``: never stored."""

    accepted: int
    duplicates: int
    rejected: tuple[Rejection, ...]


@dataclass(frozen=True)
class Reporter:
    """Who sends the batch: their org, the record their app token is for (None without a token,
    as in demo mode: any record of the org), and the user, kept with each event."""

    org_id: str
    user_id: str | None
    token_record_id: str | None
    has_token: bool


def record_panel_events(sessions: sessionmaker[Session], impressions: ImpressionRecorder,
                        reporter: Reporter, reports: Sequence[EventReport]) -> EventsReceipt:
    impression_ids = {r.impression_id for r in reports}
    # An impression this worker showed a moment ago may still be queued: write it first, outside
    # the events' transaction (on SQLite the two writes would otherwise wait on each other).
    impressions.flush_if_pending(impression_ids)
    received_at = utcnow()
    waited = StoredEvents(0, 0)
    with sessions.begin() as session:
        log = PanelEventLog(session, reporter.org_id)
        shown_on = log.impression_records(impression_ids)
        events, waiting, rejected = [], [], []
        for report in reports:
            problem = _problem(report, shown_on, reporter)
            event = PanelEvent(
                event_id=report.event_id, impression_id=report.impression_id,
                kind=report.kind, reason=report.reason or None, user_id=reporter.user_id,
                occurred_at=report.at or received_at, received_at=received_at,
            )
            if problem == UNKNOWN_IMPRESSION and _may_be_queued(report.impression_id,
                                                                received_at):
                waiting.append(event)
            elif problem:
                rejected.append(Rejection(report.event_id, report.impression_id, problem))
            else:
                events.append(event)
        stored = log.add_events(events)
        used = [e.impression_id for e in events if e.kind in _USES]
        if used:  # a manager's recommendation used through its card: the coaching view says so
            ManagerRecommendations(session, reporter.org_id).mark_used(used)
        if waiting:
            # Queued in another process, most likely: keep them until that impression lands.
            expire_waiting_events(session, received_at - timedelta(seconds=WAIT_SECONDS))
            if log.waiting_count() + len(waiting) <= MAX_WAITING_PER_ORG:
                waited = log.park_events(waiting, has_token=reporter.has_token,
                                         token_record_id=reporter.token_record_id)
            else:
                rejected += [Rejection(e.event_id, e.impression_id, UNKNOWN_IMPRESSION)
                             for e in waiting]
    # Committed: only now may the panel be told. The impression may have landed meanwhile (its
    # recorder settles after its own commit): settle here too, so one of the two sees both.
    if waited.accepted:
        with sessions.begin() as session:
            settle_waiting_events(session, {e.impression_id for e in waiting})
    return EventsReceipt(stored.accepted + waited.accepted, stored.duplicates + waited.duplicates,
                         tuple(rejected))


def _may_be_queued(impression_id: str, now: datetime) -> bool:
    """Whether the id says it was made recently enough to be still queued somewhere."""
    made_at = impression_made_at(impression_id)
    age = now.timestamp() - made_at if made_at is not None else None
    return age is not None and -CLOCK_SKEW_SECONDS <= age <= WAIT_SECONDS


def _problem(
    report: EventReport, shown_on: dict[str, str | None], reporter: Reporter
) -> str | None:
    if report.impression_id not in shown_on:
        return UNKNOWN_IMPRESSION
    if reporter.has_token and shown_on[report.impression_id] != reporter.token_record_id:
        return OTHER_RECORD
    return None

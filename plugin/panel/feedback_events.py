"""Storing what reps did with the panel's suggestions (``POST /api/v1/events``).
Design: docs/design/panel.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.events import EventKind, PanelEvent, PanelEventLog
from content_catalog.tables.base import utcnow
from plugin.panel.impressions import ImpressionRecorder

UNKNOWN_IMPRESSION = "unknown_impression"
OTHER_RECORD = "other_record"


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
    """``accepted``: events of the batch now stored (by this request or an earlier try);
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
    with sessions.begin() as session:
        log = PanelEventLog(session, reporter.org_id)
        shown_on = log.impression_records(impression_ids)
        events, rejected = [], []
        for report in reports:
            problem = _problem(report, shown_on, reporter)
            if problem:
                rejected.append(Rejection(report.event_id, report.impression_id, problem))
            else:
                events.append(PanelEvent(
                    event_id=report.event_id, impression_id=report.impression_id,
                    kind=report.kind, reason=report.reason or None, user_id=reporter.user_id,
                    occurred_at=report.at or received_at, received_at=received_at,
                ))
        stored = log.add_events(events)
    # Committed: only now may the panel be told.
    return EventsReceipt(stored.accepted, stored.duplicates, tuple(rejected))


def _problem(
    report: EventReport, shown_on: dict[str, str | None], reporter: Reporter
) -> str | None:
    if report.impression_id not in shown_on:
        return UNKNOWN_IMPRESSION
    if reporter.has_token and shown_on[report.impression_id] != reporter.token_record_id:
        return OTHER_RECORD
    return None

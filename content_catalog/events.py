"""What the panel showed (impressions) and what reps did with it (events), for learning and
analytics (design: docs/design/content_catalog.md)."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import and_, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.tables.base import utcnow

from content_catalog.tables.learning_tables import (
    PanelEventRow, PanelImpressionRow, WaitingPanelEventRow,
)
from content_catalog.module_rows import utc

_IMPRESSIONS = PanelImpressionRow.__table__
_EVENTS = PanelEventRow.__table__
_WAITING = WaitingPanelEventRow.__table__
#: The columns an event has in both ``panel_events`` and ``waiting_panel_events``.
_EVENT_COLUMNS = ("org_id", "event_id", "impression_id", "kind", "reason", "user_id",
                  "occurred_at", "received_at")
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class ImpressionOrigin(StrEnum):
    """How a rep came to see a module: the ranker suggested it, or the rep searched for it."""

    SUGGESTIONS = "suggestions"
    SEARCH = "search"
    #: A manager recommended it to this rep on this deal: not drawn by the ranker either.
    MANAGER = "manager"


class EventKind(StrEnum):
    OPEN = "open"
    PERSONALISE = "personalise"
    COPY = "copy"
    DOWNLOAD = "download"
    SHARE = "share"
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"

    @property
    def takes_reason(self) -> bool:
        """Only a vote may say why."""
        return self in (EventKind.HELPFUL, EventKind.NOT_HELPFUL)


@dataclass(frozen=True)
class Impression:
    """One suggestion shown: which module, where in which list, how it was chosen, for what."""

    impression_id: str
    org_id: str
    view_id: str
    opportunity_id: str | None
    user_id: str | None
    module_key: str
    audience: str
    position: int
    score: float
    propensity: float
    explored: bool
    model_version: str
    #: The recommender's OpportunityContext as plain values (``dataclasses.asdict``).
    context: Mapping[str, Any]
    shown_at: datetime
    origin: ImpressionOrigin = ImpressionOrigin.SUGGESTIONS
    #: What the rep searched for, on impressions of a search.
    search_text: str | None = None


@dataclass(frozen=True)
class PanelEvent:
    """Something a rep did with the suggestion ``impression_id`` names."""

    event_id: str
    impression_id: str
    kind: EventKind
    occurred_at: datetime
    reason: str | None = None
    user_id: str | None = None
    #: Set on events read back; the server's clock when the event was stored.
    received_at: datetime | None = None


@dataclass(frozen=True)
class ShownWithEvents:
    impression: Impression
    events: tuple[PanelEvent, ...] = ()

    def did(self, kind: EventKind) -> bool:
        return any(e.kind is kind for e in self.events)


@dataclass(frozen=True)
class StoredEvents:
    """The answer to one batch: ``accepted`` events are now held (written by this call or an
    earlier one), of which ``duplicates`` were held already."""

    accepted: int
    duplicates: int


@dataclass(frozen=True)
class ModuleActivity:
    """How one module fared in a time range: times shown and each kind of event."""

    shown: int = 0
    events: Mapping[str, int] = field(default_factory=dict)


def add_impressions(session: Session, impressions: Sequence[Impression]) -> None:
    """Write impressions of any orgs (the recorder's batch mixes them) in one INSERT; an
    impression already stored is left as it is."""
    if not impressions:
        return
    contexts: dict[int, str] = {}  # the impressions of one view share their context: encode it once
    rows = []
    for impression in impressions:
        context = contexts.get(id(impression.context))
        if context is None:
            context = contexts[id(impression.context)] = json.dumps(
                dict(impression.context), separators=(",", ":"), ensure_ascii=False)
        rows.append(_impression_row(impression, context))
    session.execute(_insert_ignoring(session, _IMPRESSIONS, [_IMPRESSIONS.c.impression_id]), rows)


def _insert_ignoring(session: Session, table, key):
    """``INSERT ... ON CONFLICT (key) DO NOTHING``, meant to be run with a list of rows: then the
    statement is compiled once and cached, and SQLAlchemy sends the rows as multi-row VALUES
    batches ("insertmanyvalues") or one prepared statement. Building ``.values(rows)`` instead
    compiles a new statement for every batch size, which cost more than the write itself."""
    insert = _UPSERTING_INSERT[session.get_bind().dialect.name]
    return insert(table).on_conflict_do_nothing(index_elements=key)


@dataclass(frozen=True)
class ShownSpan:
    """How many impressions, shown from when to when."""

    impressions: int
    first: datetime
    last: datetime


class PanelEventLog:
    """One org's impressions and events."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def span_shown_to(self, user_prefix: str, *, since: datetime | None = None,
                      until: datetime | None = None,
                      module_key: str | None = None) -> ShownSpan | None:
        """The impressions shown to users whose Id starts with ``user_prefix`` (the demo's
        simulated reps), in ``[since, until)`` and of one module when given; None if none."""
        row = PanelImpressionRow
        query = select(func.count(), func.min(row.shown_at), func.max(row.shown_at)).where(
            row.org_id == self.org_id, row.user_id.startswith(user_prefix, autoescape=True))
        if since is not None:
            query = query.where(row.shown_at >= since)
        if until is not None:
            query = query.where(row.shown_at < until)
        if module_key is not None:
            query = query.where(row.module_key == module_key)
        count, first, last = self.session.execute(query).one()
        return ShownSpan(count, utc(first), utc(last)) if count else None

    def shown_to_by_day(self, user_prefix: str, *, until: datetime,
                        ) -> dict[tuple[date, str], int]:
        """(day, module) → impressions shown to users whose Id starts with ``user_prefix``
        before ``until`` (the analytics roll-up job keeps these, so pages need not scan)."""
        row = PanelImpressionRow
        query = select(row.shown_at, row.module_key).where(
            row.org_id == self.org_id, row.user_id.startswith(user_prefix, autoescape=True),
            row.shown_at < until)
        counts: Counter = Counter()
        for shown_at, module_key in self.session.execute(query):
            counts[(utc(shown_at).date(), module_key)] += 1
        return dict(counts)

    # -- writing ---------------------------------------------------------------------------------
    def add_events(self, events: Sequence[PanelEvent]) -> StoredEvents:
        """Store each event once per ``event_id``; repeats (in this batch or from an earlier one)
        are counted, not written. The impressions must exist in this org (checked by the caller
        with :meth:`impression_records`; the foreign key refuses the rest)."""
        first: dict[str, PanelEvent] = {}
        for event in events:
            first.setdefault(event.event_id, event)
        if not first:
            return StoredEvents(0, 0)
        statement = _insert_ignoring(self.session, _EVENTS, [_EVENTS.c.org_id, _EVENTS.c.event_id])
        written = len(self.session.execute(
            statement.returning(_EVENTS.c.event_id), [self._event_row(e) for e in first.values()]
        ).all())
        return StoredEvents(accepted=len(first), duplicates=len(events) - written)

    def _event_row(self, event: PanelEvent) -> dict[str, Any]:
        return dict(
            org_id=self.org_id, event_id=event.event_id, impression_id=event.impression_id,
            kind=event.kind.value, reason=event.reason, user_id=event.user_id,
            occurred_at=event.occurred_at, received_at=event.received_at or utcnow(),
        )

    def park_events(self, events: Sequence[PanelEvent], *, has_token: bool,
                    token_record_id: str | None) -> StoredEvents:
        """Keep events whose impression is not stored yet, once per ``event_id`` (as
        :meth:`add_events`), until :func:`settle_waiting_events` finds their impression."""
        first: dict[str, PanelEvent] = {}
        for event in events:
            first.setdefault(event.event_id, event)
        if not first:
            return StoredEvents(0, 0)
        statement = _insert_ignoring(self.session, _WAITING,
                                     [_WAITING.c.org_id, _WAITING.c.event_id])
        rows = [dict(self._event_row(e), has_token=has_token, token_record_id=token_record_id)
                for e in first.values()]
        written = len(self.session.execute(statement.returning(_WAITING.c.event_id), rows).all())
        return StoredEvents(accepted=len(first), duplicates=len(events) - written)

    def waiting_count(self) -> int:
        return self.session.scalar(
            select(func.count()).select_from(_WAITING).where(_WAITING.c.org_id == self.org_id))

    # -- reading ---------------------------------------------------------------------------------
    def impression_records(self, impression_ids: Iterable[str]) -> dict[str, str | None]:
        """impression id → the opportunity it was shown on, for the ids that are this org's."""
        ids = sorted(set(impression_ids))
        if not ids:
            return {}
        # Table columns, not ORM attributes: this runs on every batch, and the ORM's execution
        # path cost more than the query.
        query = select(_IMPRESSIONS.c.impression_id, _IMPRESSIONS.c.opportunity_id).where(
            _IMPRESSIONS.c.org_id == self.org_id, _IMPRESSIONS.c.impression_id.in_(ids)
        )
        return {impression_id: record for impression_id, record in self.session.execute(query)}

    def shown_with_events(
        self, since: datetime, until: datetime, *, module_key: str | None = None,
        origins: Iterable[ImpressionOrigin] = (ImpressionOrigin.SUGGESTIONS,),
    ) -> list[ShownWithEvents]:
        """Impressions shown in ``[since, until)`` (of one module, if given), oldest first, each
        with its events in the order they happened: what training reads. Two queries, whatever
        the range. Suggestions only, unless ``origins`` says otherwise: a search result was not
        drawn with the ranker's propensity, so off-policy learning must not read it as if it were."""
        where = self._shown_between(since, until, module_key, origins)
        impressions = self.session.scalars(
            select(PanelImpressionRow).where(*where).order_by(
                PanelImpressionRow.shown_at, PanelImpressionRow.impression_id
            )
        ).all()
        events: dict[str, list[PanelEvent]] = defaultdict(list)
        event_rows = self.session.scalars(
            select(PanelEventRow)
            .join(PanelImpressionRow,
                  PanelImpressionRow.impression_id == PanelEventRow.impression_id)
            .where(PanelEventRow.org_id == self.org_id, *where)
            .order_by(PanelEventRow.occurred_at, PanelEventRow.pk)
        )
        for row in event_rows:
            events[row.impression_id].append(_event(row))
        return [
            ShownWithEvents(_impression(row), tuple(events[row.impression_id]))
            for row in impressions
        ]

    def activity_by_module(
        self, since: datetime, until: datetime,
        origins: Iterable[ImpressionOrigin] = (ImpressionOrigin.SUGGESTIONS,),
    ) -> dict[str, ModuleActivity]:
        """Per module: impressions shown in ``[since, until)`` and the events on them, by kind
        (of suggestions, unless ``origins`` says otherwise)."""
        where = self._shown_between(since, until, None, origins)
        shown = self.session.execute(
            select(PanelImpressionRow.module_key, PanelImpressionRow.impression_id).where(*where)
        )
        shown_counts = Counter(key for key, _ in shown)
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        event_kinds = self.session.execute(
            select(PanelImpressionRow.module_key, PanelEventRow.kind)
            .join(PanelEventRow, PanelEventRow.impression_id == PanelImpressionRow.impression_id)
            .where(PanelEventRow.org_id == self.org_id, *where)
        )
        for key, kind in event_kinds:
            kinds[key][kind] += 1
        return {
            key: ModuleActivity(shown=shown_counts[key], events=dict(kinds[key]))
            for key in sorted(set(shown_counts) | set(kinds))
        }

    def _shown_between(self, since: datetime, until: datetime, module_key: str | None,
                       origins: Iterable[ImpressionOrigin]) -> list:
        where = [
            PanelImpressionRow.org_id == self.org_id,
            PanelImpressionRow.shown_at >= since,
            PanelImpressionRow.shown_at < until,
            PanelImpressionRow.origin.in_([ImpressionOrigin(o).value for o in origins]),
        ]
        if module_key is not None:
            where.append(PanelImpressionRow.module_key == module_key)
        return where


def _impression_row(impression: Impression, context: str) -> dict[str, Any]:
    return dict(
        impression_id=impression.impression_id, org_id=impression.org_id,
        view_id=impression.view_id, opportunity_id=impression.opportunity_id,
        user_id=impression.user_id, module_key=impression.module_key,
        audience=impression.audience, position=impression.position, score=impression.score,
        propensity=impression.propensity, explored=impression.explored,
        model_version=impression.model_version,
        context=context, shown_at=impression.shown_at,
        origin=ImpressionOrigin(impression.origin).value,
        search_text=impression.search_text,
    )


def _impression(row: PanelImpressionRow) -> Impression:
    return Impression(
        impression_id=row.impression_id, org_id=row.org_id, view_id=row.view_id,
        opportunity_id=row.opportunity_id, user_id=row.user_id, module_key=row.module_key,
        audience=row.audience, position=row.position, score=row.score,
        propensity=row.propensity, explored=row.explored, model_version=row.model_version,
        context=json.loads(row.context), shown_at=utc(row.shown_at),
        origin=ImpressionOrigin(row.origin), search_text=row.search_text,
    )


def _event(row: PanelEventRow) -> PanelEvent:
    return PanelEvent(
        event_id=row.event_id, impression_id=row.impression_id, kind=EventKind(row.kind),
        occurred_at=utc(row.occurred_at), reason=row.reason, user_id=row.user_id,
        received_at=utc(row.received_at),
    )


def settle_waiting_events(session: Session, impression_ids: Iterable[str]) -> int:
    """Move the waiting events (of any org) whose impression is now stored into ``panel_events``
    (an event already there is left as it is), and drop their waiting rows; an event whose app
    token was for another record than the impression's is dropped, as it would have been
    refused. Returns the events moved.

    The rows dropped are exactly the rows read: under PostgreSQL's read committed each statement
    sees its own snapshot, and a delete by impression dropped events parked by another process
    between the read and the delete, unmoved (20 of 2,400 in a mixed load run). One parked later
    is settled by its own request, which settles after its commit."""
    ids = sorted(set(impression_ids))
    if not ids or session.execute(select(_WAITING.c.impression_id).limit(1)).first() is None:
        return 0  # nothing waits (the usual case): no write, no statements over the ids
    shown = and_(_IMPRESSIONS.c.impression_id == _WAITING.c.impression_id,
                 _IMPRESSIONS.c.org_id == _WAITING.c.org_id)
    found = session.execute(
        select(*(_WAITING.c[name] for name in _EVENT_COLUMNS), _WAITING.c.has_token,
               _WAITING.c.token_record_id, _IMPRESSIONS.c.opportunity_id.label("shown_on"))
        .join(_IMPRESSIONS, shown)
        .where(_WAITING.c.impression_id.in_(ids))
    ).all()
    if not found:
        return 0
    events = [{name: getattr(row, name) for name in _EVENT_COLUMNS} for row in found
              if not row.has_token or row.token_record_id == row.shown_on]
    moved = 0
    if events:
        statement = _insert_ignoring(session, _EVENTS, [_EVENTS.c.org_id, _EVENTS.c.event_id])
        moved = len(session.execute(statement.returning(_EVENTS.c.event_id), events).all())
    session.execute(delete(_WAITING).where(
        tuple_(_WAITING.c.org_id, _WAITING.c.event_id).in_(
            [(row.org_id, row.event_id) for row in found])))
    return moved


def expire_waiting_events(session: Session, received_before: datetime) -> int:
    """Drop waiting events received before ``received_before``: their impression never landed
    (the process that queued it crashed, or the id was never shown)."""
    return session.execute(
        delete(_WAITING).where(_WAITING.c.received_at < received_before)).rowcount or 0

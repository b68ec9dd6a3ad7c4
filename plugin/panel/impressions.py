"""What the panel showed, written off the request path: impressions, and suggestion counts.
Design: docs/design/panel.md."""
from __future__ import annotations

import atexit
import logging
import secrets
import signal
import sys
import threading
import time
import weakref
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from sqlalchemy.orm import Session

from content_catalog.events import (
    Impression, ImpressionOrigin, add_impressions, settle_waiting_events,
)
from content_catalog.repository import CatalogRepository
from content_catalog.suggestion_stats import SuggestionStats
from plugin.panel.suggestions import PanelSuggestions, SuggestionCard
from plugin.telemetry import metrics
from recommender import OpportunityContext

log = logging.getLogger(__name__)


def new_impression_id(now: float | None = None) -> str:
    """32 hex digits: the Unix time it was made (8), then 96 random bits (24). The time lets the
    events endpoint of another process tell an impression that may still be queued here from one
    that was never made (``plugin.panel.feedback_events``)."""
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    return f"{seconds:08x}{secrets.token_hex(12)}"


def new_impression_ids(n: int, now: float | None = None) -> Iterator[str]:
    """``n`` ids as :func:`new_impression_id` makes them, from one draw of random bits (a panel
    view stamps its own id and its cards' at once)."""
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    text = secrets.token_hex(12 * n)
    return (f"{seconds:08x}{text[i:i + 24]}" for i in range(0, 24 * n, 24))


def impression_made_at(impression_id: str) -> int | None:
    """The Unix time an id from :func:`new_impression_id` says it was made (None if unreadable)."""
    try:
        return int(impression_id[:8], 16)
    except ValueError:
        return None


@dataclass(frozen=True)
class ShownPanel:
    """One panel view's suggestions as a rep saw them (each card carries its impression id), or
    the results of one search in the panel (``search_results``, ``search_text``)."""

    org_id: str
    view_id: str
    opportunity_id: str | None
    user_id: str | None
    context: OpportunityContext
    suggestions: PanelSuggestions
    shown_at: datetime
    #: A search's results, in the one list the panel shows them in.
    search_results: tuple[SuggestionCard, ...] = ()
    search_text: str | None = None

    @property
    def size(self) -> int:
        return len(self._cards())

    def _cards(self) -> tuple[SuggestionCard, ...]:
        return self.suggestions.client_facing + self.suggestions.internal + self.search_results

    def impression_ids(self) -> list[str]:
        return [card.impression_id for card in self._cards() if card.impression_id]

    def module_keys(self) -> set[str]:
        """The modules suggested (a module in both lists counts once, as before); a search's
        results are not suggestions and do not count."""
        cards = self.suggestions.client_facing + self.suggestions.internal
        return {card.module_id for card in cards if not card.recommended_by}

    def impressions(self) -> list[Impression]:
        context = asdict(self.context)
        shown = [
            (audience, position, card,
             ImpressionOrigin.MANAGER if card.recommended_by else ImpressionOrigin.SUGGESTIONS)
            for audience, cards in (("client_facing", self.suggestions.client_facing),
                                    ("internal", self.suggestions.internal))
            for position, card in enumerate(cards, start=1)
        ] + [
            (card.audience, position, card, ImpressionOrigin.SEARCH)
            for position, card in enumerate(self.search_results, start=1)
        ]
        return [
            Impression(
                impression_id=card.impression_id, org_id=self.org_id, view_id=self.view_id,
                opportunity_id=self.opportunity_id, user_id=self.user_id,
                module_key=card.module_id, audience=audience, position=position,
                score=card.score, propensity=card.propensity, explored=card.explored,
                model_version=card.model_version, context=context, shown_at=self.shown_at,
                origin=origin,
                search_text=self.search_text if origin is ImpressionOrigin.SEARCH else None,
            )
            for audience, position, card, origin in shown
            if card.impression_id
        ]


class ImpressionRecorder:
    """The queue and its writer. Thread-safe; one per app."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        keep_impressions: bool = True,
        batch_rows: int = 200,
        interval_s: float = 0.25,
        max_pending_rows: int = 50_000,
        idle_exit_s: float = 60.0,
        retry_s: tuple[float, float] = (0.5, 30.0),
    ):
        self._sessions = sessions
        #: Whether views' impressions are kept (False: only counted); the panel gives cards an
        #: impression id, and so feedback buttons, only when they are.
        self.keep_impressions = keep_impressions
        self._batch_rows = batch_rows
        self._interval_s = interval_s
        self._max_pending_rows = max_pending_rows
        self._idle_exit_s = idle_exit_s
        self._retry_s = retry_s
        self._cond = threading.Condition()
        #: (monotonic time queued, view), oldest first.
        self._queue: deque[tuple[float, ShownPanel]] = deque()
        self._queued_rows = 0
        #: Ids queued or being written: an event naming one of them waits for the write.
        self._unwritten: set[str] = set()
        self._write_lock = threading.Lock()
        #: Unknown CRM values seen and not yet counted in the database: org → (dimension,
        #: value) → sightings, the time of the last one, and when the first was queued.
        self._unknown: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self._unknown_seen: dict[str, datetime] = {}
        self._unknown_since: float | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.dropped_rows = 0
        self.batches_written = 0
        _RECORDERS.add(self)

    # -- the request path ------------------------------------------------------------------------
    def record(self, shown: ShownPanel) -> None:
        """Queue one view's impressions; returns at once. When the queue is full (the database
        has refused writes for a long while) the view is dropped and counted, so memory stays
        bounded."""
        size = shown.size
        if not size:
            return
        with self._cond:
            if self._closed or self._queued_rows + size > self._max_pending_rows:
                self._drop(size)
                return
            was_empty = not self._queue
            self._queue.append((time.monotonic(), shown))
            self._queued_rows += size
            self._unwritten.update(shown.impression_ids())
            if was_empty or self._queued_rows >= self._batch_rows:
                self._cond.notify()
            self._start_thread()

    def count_unknown(self, org_id: str, unknown: Mapping[str, Sequence[str]],
                      seen_at: datetime) -> None:
        """Queue CRM values the taxonomy does not know, to be counted for admins with the next
        batch: the request neither reads nor writes for them. At most ``max_pending_rows``
        distinct values wait per org; more are dropped (a CRM sending endless new values)."""
        with self._cond:
            if self._closed:
                return
            pending = self._unknown[org_id]
            for dimension, values in unknown.items():
                for value in values:
                    key = (dimension, value[:255])
                    if key in pending or len(pending) < self._max_pending_rows:
                        pending[key] += 1
            self._unknown_seen[org_id] = max(seen_at, self._unknown_seen.get(org_id, seen_at))
            if self._unknown_since is None:
                self._unknown_since = time.monotonic()
                self._cond.notify()
            self._start_thread()

    def _start_thread(self) -> None:
        """With ``_cond`` held."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="impression-recorder",
                                            daemon=True)
            self._thread.start()

    def _drop(self, size: int) -> None:
        self.dropped_rows += size
        metrics.count_impressions_dropped(size)
        if self.dropped_rows == size or self.dropped_rows % 10_000 < size:  # now and then
            log.warning("impression queue full or closed: %d impressions dropped so far",
                        self.dropped_rows)

    # -- writing ---------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write everything queued now, in the caller's thread, after any write in progress;
        returns the impressions written. Raises if the database refuses (the rows stay queued)."""
        written = 0
        with self._write_lock:
            while views := self._take():
                written += self._write(views)
            self._write_unknown()
        return written

    def flush_if_pending(self, impression_ids: Iterable[str]) -> bool:
        """Flush when any of these impressions is still queued or being written here, so an event
        that names one finds it stored. Cheap when none is (the usual case)."""
        with self._cond:
            pending = not self._unwritten.isdisjoint(impression_ids)
        if pending:
            self.flush()
        return pending

    @property
    def pending_rows(self) -> int:
        with self._cond:
            return self._queued_rows

    def drain(self) -> None:
        """Flush, and log instead of raising: for moments nobody could be told (exit, an engine
        being disposed)."""
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - there is no one left to tell but the log
            log.exception("could not write %d queued impressions", self.pending_rows)

    def close(self) -> None:
        """Stop the thread and write what is queued (at exit)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.drain()

    def _views_due(self) -> bool:
        with self._cond:
            return bool(self._queue) and (
                self._queued_rows >= self._batch_rows
                or time.monotonic() >= self._queue[0][0] + self._interval_s)

    def _unknown_due(self) -> bool:
        with self._cond:
            return (self._unknown_since is not None
                    and time.monotonic() >= self._unknown_since + self._interval_s)

    def _take(self) -> list[ShownPanel]:
        with self._cond:
            views, rows = [], 0
            while self._queue and rows < self._batch_rows:
                _, view = self._queue.popleft()
                views.append(view)
                rows += view.size
            self._queued_rows -= rows
            return views

    def _write(self, views: list[ShownPanel]) -> int:
        impressions: list[Impression] = []
        if self.keep_impressions:
            impressions = [i for view in views for i in view.impressions()]
        if impressions:
            try:
                with self._sessions() as session, session.begin():
                    add_impressions(session, impressions)
            except Exception:
                with self._cond:  # back to the front of the queue, in order, for the next try
                    now = time.monotonic()
                    self._queue.extendleft((now, view) for view in reversed(views))
                    self._queued_rows += sum(view.size for view in views)
                raise
        with self._cond:
            self._unwritten.difference_update(i.impression_id for i in impressions)
            self.batches_written += 1
        if impressions:
            self._settle(impressions)
        self._count(views)
        return len(impressions)

    def _settle(self, impressions: list[Impression]) -> None:
        """Events that another process received before these impressions landed wait in the
        database: move them now. After the impressions' commit, in a transaction of its own, so
        that of this and the events endpoint's own settling (also after its commit) one always
        sees the other's rows. A failure leaves them waiting, for that settling or until they
        expire."""
        try:
            with self._sessions() as session, session.begin():
                settle_waiting_events(session, [i.impression_id for i in impressions])
        except Exception:  # noqa: BLE001 - bookkeeping: it must never stall impressions
            log.exception("could not settle the events waiting for %d impressions",
                          len(impressions))

    def _count(self, views: list[ShownPanel]) -> None:
        """One upsert per org for the whole batch; best effort, never retried."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        latest: dict[str, datetime] = {}
        for view in views:
            counts[view.org_id].update(view.module_keys())
            latest[view.org_id] = max(view.shown_at, latest.get(view.org_id, view.shown_at))
        for org_id, org_counts in counts.items():
            try:
                with self._sessions() as session, session.begin():
                    SuggestionStats(session, org_id).record_counts(org_counts, latest[org_id])
            except Exception:  # noqa: BLE001 - bookkeeping: it must never stall impressions
                log.exception("could not count the suggestions shown in org %s", org_id)

    def _write_unknown(self) -> None:
        """One upsert per org of the unknown values queued; best effort like the counts (they
        are for admins to map, and the next sighting counts again)."""
        with self._cond:
            unknown, seen = self._unknown, self._unknown_seen
            self._unknown, self._unknown_seen = defaultdict(Counter), {}
            self._unknown_since = None
        for org_id, counts in unknown.items():
            try:
                with self._sessions() as session, session.begin():
                    CatalogRepository(session, org_id).add_unknown_counts(counts, seen[org_id])
            except Exception:  # noqa: BLE001 - bookkeeping: it must never stall impressions
                log.exception("could not count unknown CRM values in org %s", org_id)

    # -- the background thread -------------------------------------------------------------------
    def _run(self) -> None:
        delay = self._retry_s[0]
        while self._wait_for_batch():
            try:
                with self._write_lock:
                    views_due = self._views_due()
                    if views_due and (views := self._take()):
                        self._write(views)
                    if views_due or self._unknown_due():  # unknown values ride along
                        self._write_unknown()
                delay = self._retry_s[0]
            except Exception:  # noqa: BLE001 - keep the rows, wait, try again
                log.exception("could not write impressions; retrying in %.1f s", delay)
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, timeout=delay)
                delay = min(delay * 2, self._retry_s[1])

    def _wait_for_batch(self) -> bool:
        """Block until a batch is due; False when the thread should end (closed, or idle)."""
        with self._cond:
            idle_until = time.monotonic() + self._idle_exit_s
            while not self._closed:
                now = time.monotonic()
                oldest = min([t for t in (self._queue[0][0] if self._queue else None,
                                          self._unknown_since) if t is not None], default=None)
                if oldest is not None:
                    due = oldest + self._interval_s - now
                    if self._queued_rows >= self._batch_rows or due <= 0:
                        return True
                    self._cond.wait(due)
                elif now >= idle_until:
                    self._thread = None
                    return False
                else:
                    self._cond.wait(idle_until - now)
            return False


def exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM, which process managers send to stop a service, a normal exit, so that the
    queued impressions are written (Python's default is to die at once, skipping ``atexit``).
    For a server's main thread only."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))


_RECORDERS: weakref.WeakSet[ImpressionRecorder] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for recorder in list(_RECORDERS):
        recorder.close()

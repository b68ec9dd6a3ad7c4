"""Ranked lists remembered per process: a working session's list, ranked once by a given ranker,
served again to the views that would rank it alike. Design: docs/design/panel.md."""
from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Callable, Hashable

from plugin.telemetry import metrics
from recommender import OpportunityContext, Recommendations

__all__ = ["RankedLists", "RankedListsStats", "context_fingerprint", "list_bytes", "session_key"]

#: Defaults: enough for every (rep, record) a busy worker sees in a day, and a few MB at most.
DEFAULT_ENTRIES = 4096
DEFAULT_BYTES = 16 * 1024 * 1024


def context_fingerprint(context: OpportunityContext) -> bytes:
    """16 bytes standing for every field of ``context`` (its repr names them all), so that the
    key holds no deal text and any changed field misses."""
    return hashlib.blake2b(repr(context).encode("utf-8"), digest_size=16).digest()


def list_bytes(ranked: Recommendations) -> int:
    """An estimate of what one remembered list holds in memory (CPython objects, rounded up):
    the bound counts these, not the process's resident size."""
    size = 600  # the entry, its key, the Recommendations and the list tuples
    for suggestion in ranked.client_facing + ranked.internal:
        size += 700 + 120 * len(suggestion.breakdown) + len(suggestion.module_id)
        size += sum(250 + len(reason.label) + len(reason.dimension)
                    for reason in suggestion.reasons)
    return size


@dataclass(frozen=True)
class RankedListsStats:
    hits: int
    misses: int
    entries: int
    bytes: int
    evictions: int


@dataclass
class _Entry:
    #: The ranker that ranked it: a key names a ranker by ``id()``, which Python reuses once that
    #: ranker is gone, so a hit also checks that this one is still the very ranker asked.
    ranker: weakref.ref
    ranked: Recommendations
    size: int


class RankedLists:
    """A bounded least-recently-used memo of ranked lists, shared by a process's threads.

    A key is whatever decides the list (:meth:`ranked` adds the ranker's identity): the caller
    puts in it every input of ``rank``. Entries and their estimated bytes are both bounded; the
    least recently used go first. ``max_entries=0`` remembers nothing."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_BYTES, *,
                 count: Callable[[str], None] = metrics.count_ranked_list_lookup):
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._count = count
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._max_entries > 0

    def ranked(self, ranker: object, key: Hashable,
               rank: Callable[[], Recommendations]) -> Recommendations:
        """``rank()``'s list, ranked by ``ranker`` for ``key`` now or before. An exception from
        ``rank`` is remembered by nothing."""
        if not self.enabled:
            return rank()
        full_key = (id(ranker), key)
        with self._lock:
            entry = self._entries.get(full_key)
            if entry is not None and entry.ranker() is ranker:
                self._entries.move_to_end(full_key)
                self._hits += 1
                hit = entry.ranked
            else:
                self._misses += 1
                hit = None
        self._count("hit" if hit is not None else "miss")
        if hit is not None:
            return hit
        ranked = rank()
        self._keep(full_key, _Entry(weakref.ref(ranker), ranked, list_bytes(ranked)))
        return ranked

    def _keep(self, key: Hashable, entry: _Entry) -> None:
        if entry.size > self._max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, gone = self._entries.popitem(last=False)
                self._bytes -= gone.size
                self._evictions += 1

    def stats(self) -> RankedListsStats:
        with self._lock:
            return RankedListsStats(self._hits, self._misses, len(self._entries), self._bytes,
                                    self._evictions)


def session_key(org_id: str, revision: int, model: Hashable, context: OpportunityContext,
                today: date, draw_seed: int | None) -> tuple:
    """Everything besides the ranker that decides a list: the org, its catalog revision and
    served model marker (which the ranker's identity implies, named so the key reads plainly),
    the day (shelf life, and the draw's day), the draw's seed (rep, record and day; None: no
    draw) and the context's fingerprint."""
    return (org_id, revision, model, today, draw_seed, context_fingerprint(context))

"""The sums a page reads from an org's roll-ups, kept in memory while that roll-up is the org's
current one (a rebuild gives it a new ``built_at``). Design: docs/design/analytics.md."""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Hashable

from content_catalog.analytics_rollups import AnalyticsRollups, RollupState, outcome_changes

#: Sums kept per database (about 1 kB to 50 kB each); the least recently read go first.
MAX_ENTRIES = 512


class RollupMemo:
    """Answers of :class:`AnalyticsRollups`' summing reads, by roll-up and arguments."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._max = max_entries
        #: False: every page reads the sums again (the benchmark's comparison).
        self.enabled = True
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def reader(self, rollups: AnalyticsRollups, state: RollupState,
               ) -> "MemoRollups | AnalyticsRollups":
        if not self.enabled:
            return rollups
        return MemoRollups(self, rollups, (rollups.org_id, state.built_at, state.covered_until))

    def get(self, key: Hashable, read):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = read()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value


class MemoRollups:
    """:class:`AnalyticsRollups` for one roll-up: the sums and the outcomes it rolled up from
    memory after the first read (copies where callers add to them); what changes after it (the
    outcomes now, the opportunities shown since) read live."""

    def __init__(self, memo: RollupMemo, rollups: AnalyticsRollups, identity: tuple):
        self._memo = memo
        self._rollups = rollups
        self._identity = identity

    def _kept(self, name: str, *args, **kwargs):
        key = (self._identity, name, args, tuple(sorted(kwargs.items())))
        return self._memo.get(key, lambda: getattr(self._rollups, name)(*args, **kwargs))

    def activity(self, *args, **kwargs):
        return dict(self._kept("activity", *args, **kwargs))

    def module_counts(self, *args, **kwargs):
        return dict(self._kept("module_counts", *args, **kwargs))

    def deal_counts(self, *args, **kwargs):
        return dict(self._kept("deal_counts", *args, **kwargs))

    def closed_deals(self, *args, **kwargs):
        return self._kept("closed_deals", *args, **kwargs)

    def opportunities(self, *args, **kwargs):
        return self._rollups.opportunities(*args, **kwargs)

    def changed_outcomes(self, kind: str):
        """The roll-up's outcomes from memory, compared with the org's outcomes as they are now:
        on PostgreSQL, reading the roll-up's side again cost a heap page per opportunity."""
        return outcome_changes(self._kept("rolled_outcomes", kind), self._rollups.outcomes_now())


_by_database: "weakref.WeakKeyDictionary[Any, RollupMemo]" = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def memo_for(sessions) -> RollupMemo:
    """The memo of the database ``sessions`` opens (one per session factory)."""
    with _guard:
        memo = _by_database.get(sessions)
        if memo is None:
            memo = _by_database[sessions] = RollupMemo()
        return memo

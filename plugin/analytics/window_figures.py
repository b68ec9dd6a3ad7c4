"""An analytics window's counts: the org's roll-ups for impressions shown before they were
built, and the raw impressions shown since (all raw for an org without usable roll-ups)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Sequence

from sqlalchemy.orm import Session

from content_catalog.analytics_rollups import AnalyticsRollups, DealCounts, RollupCounts
from plugin.analytics.log_tally import ALL, LogTally, as_activity, content_stats, tally
from plugin.analytics.module_figures import Activity, ContentStats
from plugin.analytics.rollup_memo import RollupMemo
from plugin.ranking.logged_views import logged_impressions

#: A segment value filter: a 1-tuple with the value (None: not set), or None for every value.
ValueFilter = tuple[str | None] | None


class WindowLog:
    """The impressions shown in ``[since, until)`` (``since`` at midnight), counted."""

    def __init__(self, session: Session, org_id: str, since: datetime, until: datetime, *,
                 kinds: Sequence[str], module_key: str | None = None,
                 memo: RollupMemo | None = None):
        """``memo``: where the roll-ups' sums are kept between pages (None: read each time)."""
        self.since_day: date = since.date()
        rollups = AnalyticsRollups(session, org_id)
        state = rollups.state()
        usable = (state is not None and state.starts_at <= since
                  and since < state.covered_until <= until
                  and since.date() in state.window_starts)
        #: Impressions shown before this moment are counted from the roll-ups (None: none are).
        self.rolled_up_until: datetime | None = state.covered_until if usable else None
        self._rollups = ((memo.reader(rollups, state) if memo else rollups)
                         if usable else None)
        self._bucket = state.bucket(self.since_day) if usable else 0
        self._changed: dict[str, tuple[bool | None, bool | None]] | None = None
        #: One page asks for the same opportunities' marks for its table and its deal totals.
        self._marks: dict[tuple, dict] = {}
        tail_since = state.covered_until if usable else since
        self._tail: LogTally = tally(
            logged_impressions(session, org_id, tail_since, until, module_key=module_key), kinds)

    # -- all modules together --------------------------------------------------------------------
    def segment_activity(self, kind: str) -> dict[str | None, Activity]:
        """Segment value → the org's activity there."""
        sums = self._rollups.activity(kind, self.since_day) if self._rollups else {}
        by_value = {value: counts for (value,), counts in sums.items()}
        for (k, value, _), counts in self._tail.activity.items():
            if k == kind:
                by_value[value] = by_value.get(value, RollupCounts()) + counts
        return {value: as_activity(counts) for value, counts in by_value.items()}

    def daily(self, kind: str, value: str | None, module: str | None = None,
              ) -> dict[date, RollupCounts]:
        """Day → counts in one segment value (kind ``all``: the whole org), of one module or all."""
        if self._rollups is None:
            sums = {}
        elif module is None:
            sums = self._rollups.activity(kind, self.since_day, value=(value,), by=("day",))
        else:
            sums = self._rollups.module_counts(kind, self.since_day, value=(value,),
                                               module=module, by=("day",))
        by_day = {day: counts for (day,), counts in sums.items()}
        tail = self._tail.activity if module is None else self._tail.modules
        for key, counts in tail.items():
            if key[0] == kind and key[1] == value and (module is None or key[2] == module):
                day = key[-1]
                by_day[day] = by_day.get(day, RollupCounts()) + counts
        return by_day

    # -- per module ------------------------------------------------------------------------------
    def module_stats(self, kind: str, values: ValueFilter = None, module: str | None = None,
                     ) -> dict[tuple[str | None, str], ContentStats]:
        """(value, module) → figures, in the values ``values`` picks, of ``module`` or all."""
        sums = (self._rollups.module_counts(kind, self.since_day, value=values, module=module)
                if self._rollups else {})
        counts = dict(sums)
        for (k, value, key, _), tail_counts in self._tail.modules.items():
            if k == kind and _picked(values, value) and module in (None, key):
                counts[(value, key)] = counts.get((value, key), RollupCounts()) + tail_counts
        deals = self._deal_counts(kind, values, module)
        return {(value, key): content_stats(key, c, deals.get((value, key), DealCounts()))
                for (value, key), c in counts.items()}

    def _deal_counts(self, kind: str, values: ValueFilter, module: str | None,
                     ) -> dict[tuple[str | None, str], DealCounts]:
        """Each closed deal once per module and value: shown in the window if the roll-up or
        the tail says so, used if either does; outcomes as they are now."""
        since = self.since_day
        counts = (self._rollups.deal_counts(kind, self._bucket, value=values, module=module)
                  if self._rollups else {})
        changed = self._changed_outcomes()
        outcomes = self._tail.outcomes
        tail = {(value, key, opportunity): mark
                for (k, value, key, opportunity), mark in self._tail.deals.items()
                if k == kind and _picked(values, value) and module in (None, key)}
        rolled = self._opportunities(kind, set(changed) | {o for _, _, o in tail}, values)

        def add(value, key, won, used, n=1):
            counts[(value, key)] = counts.get((value, key), DealCounts()).plus(won, used, n)

        # Outcomes changed since the roll-up: its tallies counted the old one.
        for (value, opportunity), marks in rolled.items():
            if opportunity not in changed:
                continue
            was, now = changed[opportunity]
            for key, mark in marks.modules.items():
                if module in (None, key) and mark.last_shown >= since:
                    if was is not None:
                        add(value, key, was, mark.used_since(since), -1)
                    if now is not None:
                        add(value, key, now, mark.used_since(since))
        # Shown again since the roll-up: counted once, used if either part used it.
        for (value, key, opportunity), mark in tail.items():
            if opportunity not in outcomes:
                continue
            won = outcomes[opportunity]
            used = mark.last_used is not None
            before = rolled.get((value, opportunity))
            before = before.modules.get(key) if before is not None else None
            if before is not None and before.last_shown >= since:
                add(value, key, won, before.used_since(since), -1)
                used = used or before.used_since(since)
            add(value, key, won, used)
        return counts

    def closed_deals(self, kind: str, value: str | None) -> tuple[int, int]:
        """(won, lost) distinct closed opportunities shown in one segment value."""
        since = self.since_day
        won, lost = (self._rollups.closed_deals(kind, since, value=(value,))
                     if self._rollups else (0, 0))
        changed = self._changed_outcomes()
        outcomes = self._tail.outcomes
        tail = {opportunity for (k, v, _, opportunity) in self._tail.deals
                if k == kind and v == value}
        rolled = self._opportunities(kind, set(changed) | tail, (value,))
        shown = {o for (_, o), marks in rolled.items() if marks.last_shown >= since}
        for opportunity in shown & set(changed):
            was, now = changed[opportunity]
            if was is not None:
                won, lost = won - was, lost - (not was)
            if now is not None:
                won, lost = won + now, lost + (not now)
        for opportunity in (tail - shown) & set(outcomes):
            won += outcomes[opportunity]
            lost += not outcomes[opportunity]
        return won, lost

    def _changed_outcomes(self) -> dict[str, tuple[bool | None, bool | None]]:
        if self._rollups is None:
            return {}
        if self._changed is None:
            self._changed = self._rollups.changed_outcomes(ALL)
        return self._changed

    def _opportunities(self, kind: str, opportunities: Iterable[str], values: ValueFilter):
        opportunities = frozenset(opportunities)
        if self._rollups is None or not opportunities:
            return {}
        key = (kind, opportunities, values)
        if key not in self._marks:
            self._marks[key] = self._rollups.opportunities(kind, opportunities, value=values)
        return self._marks[key]


def _picked(values: ValueFilter, value: str | None) -> bool:
    return values is None or values[0] == value


__all__ = ["ALL", "WindowLog"]

"""One org's content analytics roll-ups: written whole by the roll-up job (in the caller's
transaction), summed by the pages. '' stores "not set"; callers see None."""
from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from content_catalog.database import analyze
from content_catalog.module_rows import utc
from content_catalog.tables.analytics_tables import (
    AnalyticsDailyActivityRow,
    AnalyticsDailyModuleRow,
    AnalyticsDealTallyRow,
    AnalyticsOpportunityRow,
    AnalyticsRollupRow,
)
from content_catalog.tables.learning_tables import DealOutcomeRow

_ACTIVITY = AnalyticsDailyActivityRow.__table__
_MODULES = AnalyticsDailyModuleRow.__table__
_TALLIES = AnalyticsDealTallyRow.__table__
_OPPORTUNITIES = AnalyticsOpportunityRow.__table__
_STATE = AnalyticsRollupRow.__table__
_OUTCOMES = DealOutcomeRow.__table__
_IDS_PER_QUERY = 500
#: Rows per INSERT batch.
_BATCH = 5000


@dataclass(frozen=True)
class RollupCounts:
    """Additive counts of impressions and what reps did with them."""

    impressions: int = 0
    explored: int = 0
    opens: int = 0
    helpful_votes: int = 0
    unhelpful_votes: int = 0
    uses: int = 0
    rewarded: int = 0
    views: int = 0

    def __add__(self, other: "RollupCounts") -> "RollupCounts":
        return RollupCounts(*(getattr(self, f) + getattr(other, f) for f in COUNT_FIELDS))


COUNT_FIELDS = tuple(f.name for f in fields(RollupCounts))


@dataclass(frozen=True)
class DealMark:
    """A module on an opportunity (in a segment value): the last days it was shown and used."""

    last_shown: date
    last_used: date | None = None

    def used_since(self, day: date) -> bool:
        return self.last_used is not None and self.last_used >= day

    def merged(self, other: "DealMark") -> "DealMark":
        used = [d for d in (self.last_used, other.last_used) if d is not None]
        return DealMark(max(self.last_shown, other.last_shown), max(used) if used else None)


@dataclass(frozen=True)
class DealCounts:
    """Closed deals a module was shown in, by outcome and whether a rep used it there."""

    won_used: int = 0
    lost_used: int = 0
    won_unused: int = 0
    lost_unused: int = 0

    def plus(self, won: bool, used: bool, n: int = 1) -> "DealCounts":
        name = f"{'won' if won else 'lost'}_{'used' if used else 'unused'}"
        return DealCounts(**{**self.__dict__, name: getattr(self, name) + n})


@dataclass(frozen=True)
class RollupState:
    org_id: str
    starts_at: datetime
    covered_until: datetime
    built_at: datetime
    #: The first days of the windows the deal tallies can answer for, in order.
    window_starts: tuple[date, ...] = ()

    def bucket(self, day: date) -> int:
        """The deal tallies' bucket of ``day``: how many window starts are on or before it."""
        return bisect_right(self.window_starts, day)


@dataclass(frozen=True)
class OpportunityMarks:
    """One opportunity in a segment value, as rolled up."""

    last_shown: date
    #: The outcome at the roll-up; None: open then.
    won: bool | None
    modules: Mapping[str, DealMark]


#: (kind, value, day) → counts; (kind, value, module, day) → counts; (kind, value, module,
#: opportunity) → mark. Value None is "not set".
ActivityKey = tuple[str, str | None, date]
ModuleKey = tuple[str, str | None, str, date]
DealKey = tuple[str, str | None, str, str]


def _stored(value: str | None) -> str:
    return "" if value is None else value


def _read(value: str) -> str | None:
    return None if value == "" else value


class AnalyticsRollups:
    """One org's roll-ups."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    # -- writing ---------------------------------------------------------------------------------
    def replace(
        self, state: RollupState, *,
        activity: Mapping[ActivityKey, RollupCounts],
        modules: Mapping[ModuleKey, RollupCounts],
        deals: Mapping[DealKey, DealMark],
        outcomes: Mapping[str, bool],
    ) -> int:
        """The org's roll-ups become these (every earlier row goes); returns rows written.
        ``outcomes``: opportunity → won, for those closed now."""
        org = self.org_id
        before = self.state()
        if before is not None and state.built_at <= before.built_at:
            # ``built_at`` names a roll-up (pages keep its sums while it is the current one):
            # a rebuild within the same clock tick still gets a later one.
            state = replace(state, built_at=before.built_at + timedelta(microseconds=1))
        for table in (_ACTIVITY, _MODULES, _TALLIES, _OPPORTUNITIES, _STATE):
            self.session.execute(delete(table).where(table.c.org_id == org))
        self.session.execute(_STATE.insert(), [dict(
            org_id=org, starts_at=state.starts_at, covered_until=state.covered_until,
            built_at=state.built_at,
            window_starts=json.dumps([d.isoformat() for d in state.window_starts]))])
        tallies: Counter = Counter()
        opportunities: dict[tuple, dict[str, DealMark]] = defaultdict(dict)
        for (kind, value, module, opportunity), mark in deals.items():
            opportunities[(kind, value, opportunity)][module] = mark
            won = outcomes.get(opportunity)
            if won is not None:
                used = state.bucket(mark.last_used) if mark.last_used is not None else -1
                tallies[(kind, value, module, state.bucket(mark.last_shown), used, won)] += 1
        written = 0
        written += self._insert(_ACTIVITY, (
            dict(org_id=org, kind=kind, value=_stored(value), day=day, **counts.__dict__)
            for (kind, value, day), counts in activity.items()))
        written += self._insert(_MODULES, (
            dict(org_id=org, kind=kind, value=_stored(value), module_key=module, day=day,
                 **counts.__dict__)
            for (kind, value, module, day), counts in modules.items()))
        written += self._insert(_TALLIES, (
            dict(org_id=org, kind=kind, value=_stored(value), module_key=module,
                 shown_bucket=shown, used_bucket=used, won=won, deals=n)
            for (kind, value, module, shown, used, won), n in tallies.items()))
        written += self._insert(_OPPORTUNITIES, (
            dict(org_id=org, kind=kind, value=_stored(value), opportunity_id=opportunity,
                 last_shown_day=max(m.last_shown for m in marks.values()),
                 won=outcomes.get(opportunity), modules=_marks_json(marks))
            for (kind, value, opportunity), marks in opportunities.items()))
        return written

    def refresh_statistics(self) -> None:
        """PostgreSQL: ANALYZE the roll-up tables, which a rebuild has just rewritten. Until
        they are analysed the planner guesses (autovacuum may be off, as on the benchmark's
        server, or a minute behind): at 1,000,000 impressions it then looked up the few
        opportunities a page needs by (org, kind) alone, 5,000 wide rows, and each page waited
        about 25 ms more."""
        analyze(self.session.connection(), (_STATE, _ACTIVITY, _MODULES, _TALLIES, _OPPORTUNITIES))

    def _insert(self, table, rows: Iterable[dict]) -> int:
        batch: list[dict] = []
        written = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                self.session.execute(table.insert(), batch)
                written += len(batch)
                batch = []
        if batch:
            self.session.execute(table.insert(), batch)
            written += len(batch)
        return written

    # -- reading ---------------------------------------------------------------------------------
    def state(self) -> RollupState | None:
        row = self.session.execute(select(_STATE).where(_STATE.c.org_id == self.org_id)).first()
        if row is None:
            return None
        return RollupState(row.org_id, utc(row.starts_at), utc(row.covered_until),
                           utc(row.built_at),
                           tuple(date.fromisoformat(d) for d in json.loads(row.window_starts)))

    def activity(self, kind: str, since: date, *, value: tuple[str | None] | None = None,
                 by: tuple[str, ...] = ("value",)) -> dict[tuple, RollupCounts]:
        """All modules together from ``since`` on, summed by the columns ``by`` (``value``,
        ``day``; keys are tuples in that order); ``value``: only that value (a 1-tuple)."""
        where = [_ACTIVITY.c.org_id == self.org_id, _ACTIVITY.c.kind == kind,
                 _ACTIVITY.c.day >= since]
        if value is not None:
            where.append(_ACTIVITY.c.value == _stored(value[0]))
        return self._sums(_ACTIVITY, by, where)

    def module_counts(self, kind: str, since: date, *, value: tuple[str | None] | None = None,
                      module: str | None = None, by: tuple[str, ...] = ("value", "module_key"),
                      ) -> dict[tuple, RollupCounts]:
        """One module's (or every module's) counts from ``since`` on, summed by ``by``."""
        where = [_MODULES.c.org_id == self.org_id, _MODULES.c.kind == kind,
                 _MODULES.c.day >= since]
        if value is not None:
            where.append(_MODULES.c.value == _stored(value[0]))
        if module is not None:
            where.append(_MODULES.c.module_key == module)
        return self._sums(_MODULES, by, where)

    def _sums(self, table, by: tuple[str, ...], where: list) -> dict[tuple, RollupCounts]:
        group = [table.c[name] for name in by]
        query = select(*group, *(func.sum(table.c[f]) for f in COUNT_FIELDS)).where(
            *where).group_by(*group)
        out = {}
        for row in self.session.execute(query):
            key = tuple(_column(name, v) for name, v in zip(by, row[:len(by)]))
            out[key] = RollupCounts(*(int(n) for n in row[len(by):]))
        return out

    def deal_counts(self, kind: str, bucket: int, *, value: tuple[str | None] | None = None,
                    module: str | None = None) -> dict[tuple[str | None, str], DealCounts]:
        """(value, module) → the closed deals shown there in the window whose first day has
        the bucket ``bucket`` (:meth:`RollupState.bucket`), by outcome at the roll-up and use."""
        t = _TALLIES
        used = case((t.c.used_bucket >= bucket, 1), else_=0)
        where = [t.c.org_id == self.org_id, t.c.kind == kind, t.c.shown_bucket >= bucket]
        if value is not None:
            where.append(t.c.value == _stored(value[0]))
        if module is not None:
            where.append(t.c.module_key == module)
        query = (select(t.c.value, t.c.module_key, t.c.won, used, func.sum(t.c.deals))
                 .where(*where).group_by(t.c.value, t.c.module_key, t.c.won, used))
        out: dict[tuple[str | None, str], DealCounts] = {}
        for stored, module_key, won, was_used, n in self.session.execute(query):
            key = (_read(stored), module_key)
            out[key] = out.get(key, DealCounts()).plus(bool(won), bool(was_used), int(n))
        return out

    def closed_deals(self, kind: str, since: date, *, value: tuple[str | None]) -> tuple[int, int]:
        """(won, lost) distinct opportunities shown from ``since`` on, closed at the roll-up."""
        o = _OPPORTUNITIES
        query = (select(o.c.won, func.count())
                 .where(o.c.org_id == self.org_id, o.c.kind == kind,
                        o.c.value == _stored(value[0]), o.c.last_shown_day >= since,
                        o.c.won.is_not(None))
                 .group_by(o.c.won))
        counts = {bool(won): int(n) for won, n in self.session.execute(query)}
        return counts.get(True, 0), counts.get(False, 0)

    def opportunities(self, kind: str, opportunity_ids: Iterable[str], *,
                      value: tuple[str | None] | None = None,
                      ) -> dict[tuple[str | None, str], OpportunityMarks]:
        """(value, opportunity) → its marks, for the given opportunities."""
        ids = sorted(set(opportunity_ids))
        o = _OPPORTUNITIES
        found = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            where = [o.c.org_id == self.org_id, o.c.kind == kind,
                     o.c.opportunity_id.in_(ids[start:start + _IDS_PER_QUERY])]
            if value is not None:
                where.append(o.c.value == _stored(value[0]))
            for row in self.session.execute(select(o).where(*where)):
                found[(_read(row.value), row.opportunity_id)] = OpportunityMarks(
                    _as_date(row.last_shown_day), row.won, _marks(row.modules))
        return found

    def changed_outcomes(self, kind: str) -> dict[str, tuple[bool | None, bool | None]]:
        """opportunity → (outcome at the roll-up, outcome now), for the opportunities rolled up
        whose outcome changed since (closed, reopened or turned). One join in SQL; a page that
        keeps :meth:`rolled_outcomes` compares them with :meth:`outcomes_now` instead
        (:func:`outcome_changes`), with the same answer."""
        o, outcomes = _OPPORTUNITIES, _OUTCOMES
        query = (
            select(o.c.opportunity_id, o.c.won, outcomes.c.won)
            .select_from(o.outerjoin(outcomes, and_(
                outcomes.c.org_id == o.c.org_id,
                outcomes.c.opportunity_id == o.c.opportunity_id)))
            .where(o.c.org_id == self.org_id, o.c.kind == kind, o.c.value == "",
                   o.c.won.is_distinct_from(outcomes.c.won))
        )
        return {opportunity: (was, now) for opportunity, was, now in self.session.execute(query)}

    def rolled_outcomes(self, kind: str) -> dict[str, bool | None]:
        """opportunity → its outcome at the roll-up (None: open then), for every opportunity
        rolled up (value "not set" of ``kind``; with ``all``, every one). Fixed for a roll-up,
        so a page may keep it; on PostgreSQL this read is the wide rows' heap, page by page."""
        o = _OPPORTUNITIES
        query = select(o.c.opportunity_id, o.c.won).where(
            o.c.org_id == self.org_id, o.c.kind == kind, o.c.value == "")
        return {opportunity: won for opportunity, won in self.session.execute(query)}

    def outcomes_now(self) -> dict[str, bool]:
        """opportunity → won, for the org's deals closed now (two narrow columns)."""
        outcomes = _OUTCOMES
        query = select(outcomes.c.opportunity_id, outcomes.c.won).where(
            outcomes.c.org_id == self.org_id)
        return {opportunity: won for opportunity, won in self.session.execute(query)}


def outcome_changes(rolled: Mapping[str, bool | None], now: Mapping[str, bool],
                    ) -> dict[str, tuple[bool | None, bool | None]]:
    """opportunity → (was, now) where they differ; an opportunity not closed now is None."""
    changed = {}
    for opportunity, was in rolled.items():
        current = now.get(opportunity)
        if current is not None:
            current = bool(current)
        if was is not None:
            was = bool(was)
        if was != current:
            changed[opportunity] = (was, current)
    return changed


def _marks_json(marks: Mapping[str, DealMark]) -> str:
    return json.dumps({
        module: [m.last_shown.isoformat(), m.last_used.isoformat() if m.last_used else None]
        for module, m in sorted(marks.items())}, separators=(",", ":"))


def _marks(text: str) -> dict[str, DealMark]:
    return {module: DealMark(date.fromisoformat(shown),
                             date.fromisoformat(used) if used else None)
            for module, (shown, used) in json.loads(text).items()}


def _column(name: str, value):
    if name == "value":
        return _read(value)
    if name == "day":
        return _as_date(value)
    return value


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value

"""The demo's simulated impressions (shown to its simulated reps) counted per day: kept in the
roll-ups by the job, read back with the raw impressions since. Design: docs/design/analytics.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from content_catalog.analytics_rollups import (
    ActivityKey,
    AnalyticsRollups,
    ModuleKey,
    RollupCounts,
)
from content_catalog.events import PanelEventLog
from plugin.analytics.rollup_memo import RollupMemo
from plugin.crm.demo_org import SIMULATED_REP_PREFIX

#: The roll-ups' kind for the simulated reps' impressions (value always "not set"); only the
#: impression count is kept.
SIMULATED = "simulated"
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class SimulatedSpan:
    """How many simulated impressions, shown from which day to which."""

    impressions: int
    first_day: date
    last_day: date


def simulated_rollup_rows(session: Session, org_id: str, starts_at: datetime,
                          covered_until: datetime,
                          ) -> tuple[dict[ActivityKey, RollupCounts], dict[ModuleKey, RollupCounts]]:
    """The roll-up rows of the simulated impressions shown before ``covered_until``: per day
    for the whole history (its span labels the pages), per module and day from ``starts_at``."""
    shown = PanelEventLog(session, org_id).shown_to_by_day(SIMULATED_REP_PREFIX,
                                                          until=covered_until)
    first_module_day = starts_at.date()
    activity: dict[ActivityKey, RollupCounts] = {}
    modules: dict[ModuleKey, RollupCounts] = {}
    for (day, module), count in shown.items():
        key = (SIMULATED, None, day)
        activity[key] = activity.get(key, RollupCounts()) + RollupCounts(impressions=count)
        if day >= first_module_day:
            modules[(SIMULATED, None, module, day)] = RollupCounts(impressions=count)
    return activity, modules


def simulated_span(session: Session, org_id: str, *, since: datetime | None = None,
                   until: datetime | None = None,
                   module_key: str | None = None,
                   memo: RollupMemo | None = None) -> SimulatedSpan | None:
    """The simulated impressions shown in ``[since, until)`` (``since`` at midnight; None: from
    the first), of one module if given; None if there are none. From the roll-ups up to
    where they counted (their sums kept in ``memo``, if given) and the raw impressions after;
    all raw when the roll-ups cannot say."""
    log = PanelEventLog(session, org_id)
    rollups = AnalyticsRollups(session, org_id)
    state = rollups.state()
    usable = (state is not None
              and (until is None or state.covered_until <= until)
              and (since is None or since.time() == datetime.min.time())
              and (module_key is None or (since is not None and since >= state.starts_at)))
    if not usable:
        raw = log.span_shown_to(SIMULATED_REP_PREFIX, since=since, until=until,
                                module_key=module_key)
        return SimulatedSpan(raw.impressions, raw.first.date(), raw.last.date()) if raw else None
    first = since.date() if since is not None else _EPOCH
    reader = memo.reader(rollups, state) if memo is not None else rollups
    if module_key is None:
        rolled = reader.activity(SIMULATED, first, value=(None,), by=("day",))
    else:
        rolled = reader.module_counts(SIMULATED, first, value=(None,), module=module_key,
                                       by=("day",))
    days = [day for (day,), counts in rolled.items() if counts.impressions]
    count = sum(counts.impressions for counts in rolled.values())
    tail_since = state.covered_until if since is None else max(since, state.covered_until)
    tail = log.span_shown_to(SIMULATED_REP_PREFIX, since=tail_since, until=until,
                             module_key=module_key)
    if tail is not None:
        days += [tail.first.date(), tail.last.date()]
        count += tail.impressions
    return SimulatedSpan(count, min(days), max(days)) if count else None

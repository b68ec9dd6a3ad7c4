"""Logged impressions counted into roll-up shapes (per day, segment value and module), and
those counts turned back into the figures the analytics pages show. Pure: no database."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from content_catalog.analytics_rollups import (
    ActivityKey,
    DealCounts,
    DealKey,
    DealMark,
    ModuleKey,
    RollupCounts,
)
from plugin.analytics.module_figures import SEGMENTS, Activity, ContentStats, WeekStats, week_start
from recommender.feedback import Impression, ModuleFeedback

#: The "segment" that is the whole org (its one value is None).
ALL = "all"
KINDS = (ALL, *SEGMENTS)


@dataclass
class LogTally:
    """What the roll-up tables hold, for some impressions."""

    activity: dict[ActivityKey, RollupCounts] = field(default_factory=dict)
    modules: dict[ModuleKey, RollupCounts] = field(default_factory=dict)
    deals: dict[DealKey, DealMark] = field(default_factory=dict)
    #: opportunity → won, for the closed deals among them (as read with the impressions).
    outcomes: dict[str, bool] = field(default_factory=dict)

    def merge(self, other: "LogTally") -> None:
        """Add ``other`` (impressions shown at other moments) to this one."""
        for mine, theirs in ((self.activity, other.activity), (self.modules, other.modules)):
            for key, counts in theirs.items():
                mine[key] = mine[key] + counts if key in mine else counts
        for key, mark in other.deals.items():
            self.deals[key] = self.deals[key].merged(mark) if key in self.deals else mark
        self.outcomes.update(other.outcomes)


def tally(impressions: Iterable[Impression], kinds: Sequence[str] = KINDS) -> LogTally:
    """Count ``impressions`` per (kind, value, day[, module]) and mark each module's deals.
    A view counts once per key it appears in (its impressions share one moment, so a view is
    in one day). The job runs this over every impression of 180 days: the loop is kept lean."""
    counts: dict[tuple, list] = {}
    deals: dict[DealKey, DealMark] = {}
    outcomes: dict[str, bool] = {}
    getters = [(kind, None if kind == ALL else SEGMENTS[kind]) for kind in kinds]
    for impression in impressions:
        day = impression.shown_at.date()
        explored, opened, used = impression.explored, impression.opened, impression.used
        helpful = impression.helpful
        rewarded = helpful is True or used
        module = impression.module_id
        view = impression.view_key
        opportunity = impression.opportunity_id
        if opportunity is not None and impression.deal_won is not None:
            outcomes[opportunity] = impression.deal_won
        context = impression.context
        for kind, value_of in getters:
            value = None if value_of is None else value_of(context)
            for key in ((kind, value, day), (kind, value, module, day)):
                total = counts.get(key)
                if total is None:
                    total = counts[key] = [0, 0, 0, 0, 0, 0, 0, set()]
                total[0] += 1
                if explored:
                    total[1] += 1
                if opened:
                    total[2] += 1
                if helpful is True:
                    total[3] += 1
                elif helpful is False:
                    total[4] += 1
                if used:
                    total[5] += 1
                if rewarded:
                    total[6] += 1
                total[7].add(view)
            if opportunity is not None:
                deal = (kind, value, module, opportunity)
                mark = deals.get(deal)
                if mark is None:
                    deals[deal] = DealMark(day, day if used else None)
                elif day > mark.last_shown or (used and (mark.last_used is None
                                                         or day > mark.last_used)):
                    deals[deal] = mark.merged(DealMark(day, day if used else None))
    result = LogTally(deals=deals, outcomes=outcomes)
    for key, total in counts.items():
        target = result.activity if len(key) == 3 else result.modules
        target[key] = RollupCounts(*total[:7], views=len(total[7]))
    return result


def as_activity(counts: RollupCounts) -> Activity:
    return Activity(
        impressions=counts.impressions, views=counts.views, opens=counts.opens,
        helpful_votes=counts.helpful_votes,
        votes=counts.helpful_votes + counts.unhelpful_votes,
        helpful_or_used=counts.rewarded,
    )


def content_stats(module_id: str, counts: RollupCounts, deals: DealCounts) -> ContentStats:
    feedback = ModuleFeedback(
        module_id, impressions=counts.impressions, explored_impressions=counts.explored,
        opens=counts.opens, helpful_votes=counts.helpful_votes,
        unhelpful_votes=counts.unhelpful_votes, uses=counts.uses, rewarded=counts.rewarded,
        won_deals_used=deals.won_used, lost_deals_used=deals.lost_used,
        won_deals_unused=deals.won_unused, lost_deals_unused=deals.lost_unused,
    )
    return ContentStats(feedback, counts.views)


def total(counts: Iterable[RollupCounts]) -> RollupCounts:
    result = RollupCounts()
    for one in counts:
        result = result + one
    return result


def weekly_from_days(daily: Mapping[date, RollupCounts], first: date, last: date,
                     ) -> list[WeekStats]:
    """:func:`plugin.analytics.module_figures.weekly_trend` from per-day counts."""
    if last < first:
        raise ValueError(f"the trend's last day {last} is before its first {first}")
    by_week: dict[date, RollupCounts] = defaultdict(RollupCounts)
    for day, counts in daily.items():
        by_week[week_start(day)] = by_week[week_start(day)] + counts
    weeks = []
    week = week_start(first)
    while week <= last:
        weeks.append(WeekStats(week, as_activity(by_week.get(week, RollupCounts()))))
        week += timedelta(days=7)
    return weeks

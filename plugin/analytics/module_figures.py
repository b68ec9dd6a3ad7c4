"""Content analytics for enablement leads: how each module fared with reps and deals.
Pure counting over logged impressions (design: docs/design/analytics.md)."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable, Mapping, Sequence

from recommender.evaluation import (
    ASSOCIATION_CAUTION,
    Interval,
    WinRateDifference,
    module_win_rates,
    wilson_interval,
)
from recommender.feedback import Impression, ModuleFeedback, module_feedback
from recommender.types import OpportunityContext

__all__ = ["ASSOCIATION_CAUTION"]  # re-exported: the pages show it beside every win rate

#: Segment name (as the pages' ``segment`` parameter spells it) → the context's value for it.
SEGMENTS: Mapping[str, Callable[[OpportunityContext], str | None]] = {
    "phase": lambda context: context.journey_phase,
    "role": lambda context: context.primary_role,
    "industry": lambda context: context.industry,
}

#: "Never opened": shown at least this often and not once opened.
NEVER_OPENED_MIN_IMPRESSIONS = 10
#: "Often marked not helpful": at least this many votes, and the Wilson lower bound of the
#: not-helpful share above :data:`NOT_HELPFUL_THRESHOLD` — confidently more "no" than "yes",
#: not two unlucky votes.
NOT_HELPFUL_MIN_VOTES = 5
NOT_HELPFUL_THRESHOLD = 0.5


class _Rates:
    """The rates the pages show, with their denominators (docs/analytics.md), for anything
    that counts impressions, opens, votes and helpful-or-used."""

    impressions: int
    opens: int
    helpful_votes: int
    votes: int
    helpful_or_used: int

    @property
    def open_rate(self) -> Interval:
        return wilson_interval(self.opens, self.impressions)

    @property
    def helpful_rate(self) -> Interval:
        """Among votes; the estimate is NaN with no vote."""
        return wilson_interval(self.helpful_votes, self.votes)

    @property
    def helpful_or_used_rate(self) -> Interval:
        return wilson_interval(self.helpful_or_used, self.impressions)


@dataclass(frozen=True)
class ContentStats(_Rates):
    """What reps did with one module (or one module in one segment), and its deals."""

    feedback: ModuleFeedback
    #: Distinct panel views that showed it.
    views: int

    @property
    def module_id(self) -> str:
        return self.feedback.module_id

    @property
    def impressions(self) -> int:
        return self.feedback.impressions

    @property
    def opens(self) -> int:
        return self.feedback.opens

    @property
    def helpful_votes(self) -> int:
        return self.feedback.helpful_votes

    @property
    def unhelpful_votes(self) -> int:
        return self.feedback.unhelpful_votes

    @property
    def votes(self) -> int:
        return self.feedback.helpful_votes + self.feedback.unhelpful_votes

    @property
    def uses(self) -> int:
        return self.feedback.uses

    @property
    def helpful_or_used(self) -> int:
        return self.feedback.rewarded

    @property
    def not_helpful_share(self) -> Interval:
        return wilson_interval(self.unhelpful_votes, self.votes)

    @property
    def deals_used(self) -> int:
        return self.feedback.won_deals_used + self.feedback.lost_deals_used

    @property
    def deals_unused(self) -> int:
        return self.feedback.won_deals_unused + self.feedback.lost_deals_unused

    @property
    def win_rates(self) -> WinRateDifference:
        return module_win_rates(self.feedback)


@dataclass(frozen=True)
class Activity(_Rates):
    """Impressions and what reps did with them, without deals: for a week, or the whole org
    (deals count once per module, so they do not add up across modules)."""

    impressions: int = 0
    #: Distinct panel views.
    views: int = 0
    opens: int = 0
    helpful_votes: int = 0
    votes: int = 0
    helpful_or_used: int = 0


@dataclass(frozen=True)
class WeekStats:
    """One ISO week of impressions (of one module, or of the whole org)."""

    #: The week's Monday.
    starts: date
    activity: Activity

    @property
    def label(self) -> str:
        year, week, _ = self.starts.isocalendar()
        return f"{year}-W{week:02d}"


def activity(impressions: Iterable[Impression]) -> Activity:
    impressions = list(impressions)
    return Activity(
        impressions=len(impressions),
        views=len({i.view_key for i in impressions}),
        opens=sum(i.opened for i in impressions),
        helpful_votes=sum(i.helpful is True for i in impressions),
        votes=sum(i.helpful is not None for i in impressions),
        helpful_or_used=sum(i.rewarded for i in impressions),
    )


def module_stats(impressions: Iterable[Impression]) -> dict[str, ContentStats]:
    """Per module, over all its impressions."""
    impressions = list(impressions)
    views: dict[str, set] = defaultdict(set)
    for impression in impressions:
        views[impression.module_id].add(impression.view_key)
    return {
        module: ContentStats(feedback, len(views[module]))
        for module, feedback in module_feedback(impressions).items()
    }


def segment_value(impression: Impression, segment: str) -> str | None:
    try:
        value_of = SEGMENTS[segment]
    except KeyError:
        raise ValueError(f"unknown segment {segment!r}; choose from {sorted(SEGMENTS)}") from None
    return value_of(impression.context)


def in_segment(
    impressions: Iterable[Impression], segment: str, value: str | None
) -> list[Impression]:
    """The impressions shown in opportunities whose ``segment`` is ``value`` (None: unset)."""
    return [i for i in impressions if segment_value(i, segment) == value]


def segment_activity(
    impressions: Iterable[Impression], segment: str
) -> dict[str | None, Activity]:
    """Segment value → the org's activity there, all modules together."""
    by_value: dict[str | None, list[Impression]] = defaultdict(list)
    for impression in impressions:
        by_value[segment_value(impression, segment)].append(impression)
    return {value: activity(group) for value, group in by_value.items()}


def segment_stats(
    impressions: Iterable[Impression], segment: str
) -> dict[str | None, dict[str, ContentStats]]:
    """Segment value (None: the opportunity had none) → module → its figures there.

    A deal is counted in the segment its impressions were shown in; a deal whose stage moved it
    from one phase to another between views counts once in each.
    """
    by_value: dict[str | None, list[Impression]] = defaultdict(list)
    for impression in impressions:
        by_value[segment_value(impression, segment)].append(impression)
    return {value: module_stats(group) for value, group in by_value.items()}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_trend(impressions: Iterable[Impression], first: date, last: date) -> list[WeekStats]:
    """One :class:`WeekStats` per ISO week from ``first``'s week to ``last``'s, weeks without an
    impression included (a gap is news too), oldest first."""
    if last < first:
        raise ValueError(f"the trend's last day {last} is before its first {first}")
    by_week: dict[date, list[Impression]] = defaultdict(list)
    for impression in impressions:
        by_week[week_start(impression.shown_at.date())].append(impression)
    weeks = []
    week = week_start(first)
    while week <= last:
        weeks.append(WeekStats(week, activity(by_week.get(week, ()))))
        week += timedelta(days=7)
    return weeks


def never_opened(
    stats: Mapping[str, ContentStats], min_impressions: int = NEVER_OPENED_MIN_IMPRESSIONS
) -> list[ContentStats]:
    """Shown at least ``min_impressions`` times and never opened, most shown first."""
    found = [s for s in stats.values() if s.impressions >= min_impressions and s.opens == 0]
    return sorted(found, key=lambda s: (-s.impressions, s.module_id))


def often_not_helpful(
    stats: Mapping[str, ContentStats],
    min_votes: int = NOT_HELPFUL_MIN_VOTES,
    threshold: float = NOT_HELPFUL_THRESHOLD,
) -> list[ContentStats]:
    """Modules whose "not helpful" share is confidently above ``threshold``, surest first."""
    found = [
        s for s in stats.values()
        if s.votes >= min_votes and s.not_helpful_share.low > threshold
    ]
    return sorted(found, key=lambda s: (-s.not_helpful_share.low, s.module_id))


def sort_key(column: str) -> Callable[[ContentStats], float]:
    """A number to sort the module table by; figures with no data (NaN) sort as lowest."""
    try:
        figure = SORTABLE[column]
    except KeyError:
        raise ValueError(f"unknown column {column!r}; choose from {sorted(SORTABLE)}") from None

    def key(stats: ContentStats) -> float:
        value = figure(stats)
        return -math.inf if math.isnan(value) else value

    return key


#: Module-table columns that sort by a figure (the title column sorts by title, elsewhere).
SORTABLE: Mapping[str, Callable[[ContentStats], float]] = {
    "impressions": lambda s: float(s.impressions),
    "open_rate": lambda s: s.open_rate.estimate,
    "helpful_rate": lambda s: s.helpful_rate.estimate,
    "helpful_or_used": lambda s: s.helpful_or_used_rate.estimate,
    "uses": lambda s: float(s.uses),
    "win_difference": lambda s: s.win_rates.difference.estimate,
}


def sorted_stats(
    stats: Iterable[ContentStats], column: str, descending: bool = True
) -> list[ContentStats]:
    """Ties keep module-id order (sorting is stable, reversed too), so reloads agree."""
    ordered = sorted(stats, key=lambda s: s.module_id)
    return sorted(ordered, key=sort_key(column), reverse=descending)


def closed_deals(impressions: Sequence[Impression]) -> tuple[int, int]:
    """(won, lost) distinct closed opportunities among ``impressions``."""
    outcomes: dict = {}
    for impression in impressions:
        if impression.deal_won is not None:
            outcomes[impression.deal_key] = impression.deal_won
    won = sum(outcomes.values())
    return won, len(outcomes) - won

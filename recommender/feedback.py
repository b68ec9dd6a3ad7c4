"""Feedback as the learner sees it: an :class:`Impression` per suggestion shown, and its outcome.
Design: docs/design/recommender.md."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Hashable, Iterable, Mapping, Sequence

from recommender.types import OpportunityContext


class InvalidImpression(ValueError):
    """An impression no ranker could have logged: position or propensity out of range."""


@dataclass(frozen=True)
class Impression:
    """One module shown at one position of one list, with the rep's response and the deal's end.

    ``propensity`` is the probability that the logging policy would show this module at this
    position for this context; a deterministic ranker logs 1.0. Off-policy evaluation divides by
    it, so it must be the probability the serving model *computed*, not a guess made later.
    """

    context: OpportunityContext
    module_id: str
    #: 1-based, within its own list (client-facing and internal lists count separately).
    position: int
    score: float
    propensity: float
    model_version: str
    shown_at: datetime
    opened: bool = False
    #: The rep's vote; None when no vote was given.
    helpful: bool | None = None
    #: Personalised, copied, downloaded or shared.
    used: bool = False
    #: How the opportunity closed; None while it is open.
    deal_won: bool | None = None
    #: The list's exploratory pick: its position was drawn uniformly at random, independently of
    #: the module, which is what lets the learner measure position bias.
    explored: bool = False
    #: "client_facing" or "internal"; None means "look it up in the catalog".
    audience: str | None = None
    #: Impressions of one panel view share it. None: grouped by time, model and context.
    view_id: str | None = None
    #: Impressions of one opportunity share it, so a deal counts once in win rates. None: the view.
    opportunity_id: str | None = None

    def __post_init__(self) -> None:
        if self.position < 1:
            raise InvalidImpression(f"position must be 1 or more, not {self.position}")
        if not 0.0 < self.propensity <= 1.0:
            raise InvalidImpression(f"propensity must be in (0, 1], not {self.propensity}")

    @property
    def rewarded(self) -> bool:
        """The learner's label: the rep found it helpful or used it."""
        return self.helpful is True or self.used

    @property
    def view_key(self) -> Hashable:
        if self.view_id is not None:
            return self.view_id
        return (self.shown_at, self.model_version, self.context)

    @property
    def deal_key(self) -> Hashable:
        return self.opportunity_id if self.opportunity_id is not None else self.view_key


#: The outcomes an evaluator can be asked about, by name.
REWARDS: Mapping[str, Callable[[Impression], bool]] = {
    "helpful_or_used": lambda i: i.rewarded,
    "opened": lambda i: i.opened,
    "helpful": lambda i: i.helpful is True,
    "used": lambda i: i.used,
}


def reward_function(reward: str) -> Callable[[Impression], bool]:
    try:
        return REWARDS[reward]
    except KeyError:
        raise ValueError(f"unknown reward {reward!r}; choose from {sorted(REWARDS)}") from None


@dataclass(frozen=True)
class LoggedView:
    """The impressions of one panel view: both lists, shown together for one context."""

    key: Hashable
    context: OpportunityContext
    shown_at: datetime
    impressions: tuple[Impression, ...]


def group_views(impressions: Iterable[Impression]) -> list[LoggedView]:
    """Impressions grouped by panel view, in the order the views were first shown."""
    grouped: dict[Hashable, list[Impression]] = defaultdict(list)
    for impression in impressions:
        grouped[impression.view_key].append(impression)
    views = [
        LoggedView(key, group[0].context, min(i.shown_at for i in group), tuple(group))
        for key, group in grouped.items()
    ]
    views.sort(key=lambda v: v.shown_at)
    return views


@dataclass(frozen=True)
class ModuleFeedback:
    """What reps did with one module, counted over impressions and, for outcomes, over deals."""

    module_id: str
    impressions: int = 0
    explored_impressions: int = 0
    opens: int = 0
    helpful_votes: int = 0
    unhelpful_votes: int = 0
    uses: int = 0
    #: Impressions that were helpful or used (the learner's label).
    rewarded: int = 0
    #: Closed deals in which a rep used the module, by outcome.
    won_deals_used: int = 0
    lost_deals_used: int = 0
    #: Closed deals in which it was shown but never used, by outcome.
    won_deals_unused: int = 0
    lost_deals_unused: int = 0

    @property
    def open_rate(self) -> float:
        """Raw share of impressions opened: position-biased (the learner corrects for that)."""
        return self.opens / self.impressions if self.impressions else 0.0

    @property
    def reward_rate(self) -> float:
        return self.rewarded / self.impressions if self.impressions else 0.0

    @property
    def helpful_share(self) -> float | None:
        """Share of votes that said "helpful"; None with no votes."""
        votes = self.helpful_votes + self.unhelpful_votes
        return self.helpful_votes / votes if votes else None


def module_feedback(impressions: Iterable[Impression]) -> dict[str, ModuleFeedback]:
    """Per-module counts; a deal counts once per module, as used if any view of it used it."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    deals: dict[tuple[str, Hashable], list[bool | None]] = {}
    for i in impressions:
        c = counts[i.module_id]
        c["impressions"] += 1
        c["explored_impressions"] += i.explored
        c["opens"] += i.opened
        c["helpful_votes"] += i.helpful is True
        c["unhelpful_votes"] += i.helpful is False
        c["uses"] += i.used
        c["rewarded"] += i.rewarded
        deal = deals.setdefault((i.module_id, i.deal_key), [False, None])
        deal[0] = deal[0] or i.used
        if i.deal_won is not None:
            deal[1] = i.deal_won
    for (module_id, _), (used, won) in deals.items():
        if won is None:
            continue
        outcome = "won" if won else "lost"
        counts[module_id][f"{outcome}_deals_{'used' if used else 'unused'}"] += 1
    return {m: ModuleFeedback(m, **dict(c)) for m, c in counts.items()}


def rewards(impressions: Sequence[Impression], reward: str = "helpful_or_used") -> list[bool]:
    outcome = reward_function(reward)
    return [outcome(i) for i in impressions]

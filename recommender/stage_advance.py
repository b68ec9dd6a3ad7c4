"""A stuck deal's suggestions reordered by this org's history: content used in deals that moved on
from the deal's stage goes first, shrunk toward the stage's usual rate, with exploration.
Design: docs/design/recommender.md; what the reason means: docs/ranking.md (Stuck deals)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
from scipy.stats import beta

from recommender.types import Reason, Recommendations, Suggestion

__all__ = [
    "EXPLORED_STAGE_REASON",
    "MIN_BASELINE_DEALS",
    "STAGE_ADVANCE",
    "StageAdvanceEvidence",
    "StageAdvancePolicy",
    "StageBaseline",
    "stage_advance_lift",
    "stage_advance_order",
    "stage_advance_reason",
]

#: The ``Reason.dimension`` of what this module adds.
STAGE_ADVANCE = "stage_advance"
#: Below this many deals in the stage the usual rate is too uncertain to centre a prior on (at 30
#: deals its standard error is still ~0.09): the lists are returned unchanged.
MIN_BASELINE_DEALS = 30
#: The interval :func:`stage_advance_lift` reports: equal-tailed, of the Beta posterior.
INTERVAL = 0.95
EXPLORED_STAGE_REASON = "Being tried on deals at this stage: did it help?"


def _check_counts(what: str, total: int, moved_on: int) -> None:
    for name, value in ((what, total), ("moved_on", moved_on)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
    if not 0 <= moved_on <= total:
        raise ValueError(f"need 0 <= moved_on <= {what}, got {moved_on} of {total}")


@dataclass(frozen=True)
class StageAdvanceEvidence:
    """One module in one stage of one org: in how many deals it was used while they were in the
    stage (opened, shared or personalised), and how many of those deals then moved on."""

    module_id: str
    used_in: int
    moved_on: int

    def __post_init__(self) -> None:
        if not isinstance(self.module_id, str) or not self.module_id:
            raise ValueError("evidence needs a module id")
        _check_counts("used_in", self.used_in, self.moved_on)


@dataclass(frozen=True)
class StageBaseline:
    """Every deal of the org that was in the stage, content used or not, and how many moved on."""

    deals: int
    moved_on: int

    def __post_init__(self) -> None:
        _check_counts("deals", self.deals, self.moved_on)

    @property
    def rate(self) -> float:
        """The usual share of deals that move on, with half a deal added to each side (Jeffreys)
        so that a stage where every deal (or none) moved on still centres a proper prior."""
        return (self.moved_on + 0.5) / (self.deals + 1.0)


@dataclass(frozen=True)
class StageAdvancePolicy:
    """How much the stage's history may reorder a stuck deal's lists (docs/design/recommender.md).

    ``weight`` is v1 points per doubling of a module's shrunk stage-advance rate over the stage's
    usual rate: 8.0, as the learned ranker's ``blend`` gives 8 points per doubling of usefulness,
    so a module twice as associated with moving on counts as much as one twice as helpful."""

    min_uses: int = 5
    prior_strength: float = 10.0
    explore: float = 0.1
    weight: float = 8.0

    def __post_init__(self) -> None:
        if isinstance(self.min_uses, bool) or not isinstance(self.min_uses, int):
            raise ValueError("min_uses must be a whole number")
        if self.min_uses < 1:
            raise ValueError(f"min_uses must be >= 1, not {self.min_uses}")
        if not (math.isfinite(self.prior_strength) and self.prior_strength > 0):
            raise ValueError(f"prior_strength must be > 0, not {self.prior_strength}")
        if not 0.0 <= self.explore <= 1.0:
            raise ValueError(f"explore is a share: 0..1, not {self.explore}")
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"weight must be >= 0, not {self.weight}")


def _posterior(
    evidence: StageAdvanceEvidence, baseline: StageBaseline, policy: StageAdvancePolicy
) -> tuple[float, float]:
    """Beta(a, b): a prior worth ``prior_strength`` deals at the usual rate, plus the evidence."""
    prior = policy.prior_strength
    a = prior * baseline.rate + evidence.moved_on
    b = prior * (1.0 - baseline.rate) + (evidence.used_in - evidence.moved_on)
    return a, b


def _checked(evidence: Mapping[str, StageAdvanceEvidence]) -> Mapping[str, StageAdvanceEvidence]:
    for module_id, found in evidence.items():
        if not isinstance(found, StageAdvanceEvidence) or found.module_id != module_id:
            raise ValueError(f"evidence for {module_id!r} is not that module's")
    return evidence


def stage_advance_lift(
    evidence: Mapping[str, StageAdvanceEvidence],
    baseline: StageBaseline,
    policy: StageAdvancePolicy = StageAdvancePolicy(),
) -> dict[str, tuple[float, float, float]]:
    """module id → (posterior mean, low, high) of its stage-advance rate (95 % Beta interval), for
    the modules with at least ``min_uses`` uses; empty when the stage has too few deals."""
    _checked(evidence)
    if baseline.deals < MIN_BASELINE_DEALS:
        return {}
    lifts = {}
    tail = (1.0 - INTERVAL) / 2
    for module_id, found in sorted(evidence.items()):
        if found.used_in >= policy.min_uses:
            a, b = _posterior(found, baseline, policy)
            low, high = beta.ppf([tail, 1.0 - tail], a, b)
            lifts[module_id] = (a / (a + b), float(low), float(high))
    return lifts


def stage_advance_reason(found: StageAdvanceEvidence, baseline: StageBaseline) -> Reason:
    """The reason a boosted suggestion carries, in counts a rep can check: "used in 8 deals at
    this stage, 6 moved on (usually 3 in 10)"."""
    usual = baseline.moved_on / baseline.deals if baseline.deals else 0.0
    tenths = round(usual * 10)
    usually = "fewer than 1 in 10" if tenths == 0 and usual > 0 else f"{tenths} in 10"
    deals = "deal" if found.used_in == 1 else "deals"
    return Reason(
        STAGE_ADVANCE,
        f"used in {found.used_in} {deals} at this stage, {found.moved_on} moved on "
        f"(usually {usually})",
    )


def stage_advance_order(
    recommendations: Recommendations,
    evidence: Mapping[str, StageAdvanceEvidence],
    baseline: StageBaseline,
    *,
    rng: np.random.Generator,
    policy: StageAdvancePolicy = StageAdvancePolicy(),
) -> Recommendations:
    """The same suggestions, each audience list reordered for a stuck deal in the stage that
    ``evidence`` and ``baseline`` describe; unchanged when the stage has too few deals."""
    _checked(evidence)
    if baseline.deals < MIN_BASELINE_DEALS:
        return recommendations
    return Recommendations(
        _reorder(recommendations.client_facing, evidence, baseline, rng, policy),
        _reorder(recommendations.internal, evidence, baseline, rng, policy),
    )


def _boost(
    found: StageAdvanceEvidence | None, baseline: StageBaseline, policy: StageAdvancePolicy
) -> float:
    """``weight`` × log2(shrunk rate / usual rate), when the module has its own figure and it is
    above the usual rate; else 0: evidence never sinks a module (docs/design/recommender.md)."""
    if found is None or found.used_in < policy.min_uses:
        return 0.0
    a, b = _posterior(found, baseline, policy)
    ratio = (a / (a + b)) / baseline.rate
    return policy.weight * math.log2(ratio) if ratio > 1.0 else 0.0


def _reorder(
    shown: Sequence[Suggestion],
    evidence: Mapping[str, StageAdvanceEvidence],
    baseline: StageBaseline,
    rng: np.random.Generator,
    policy: StageAdvancePolicy,
) -> tuple[Suggestion, ...]:
    """One list: an upstream exploratory pick keeps its slot (its propensity assumes it); the
    others fill the remaining slots by score + boost, or, in an exploring list, one of those
    without a figure of their own first."""
    if not shown:
        return ()
    free = [n for n, s in enumerate(shown) if not s.explored]  # also the slots they fill
    boosts = [_boost(evidence.get(s.module_id), baseline, policy) for s in shown]
    # The upstream order stands where no boost moves it: it may differ from the scores' order
    # (the learned ranker puts what reps reject last whatever its score), so each card starts
    # from the lowest score at or above its place, and only a boost lifts it past another.
    base, lowest = {}, math.inf
    for n in free:
        lowest = min(lowest, shown[n].score)
        base[n] = lowest
    settled = sorted(free, key=lambda n: (-(base[n] + boosts[n]), n))
    untried = [n for n in settled if _untried(evidence.get(shown[n].module_id), policy)]
    if len(settled) < 2 or policy.explore <= 0:
        untried = []  # nothing to put first, or no exploring: one outcome
    outcomes = [(settled, 1.0 - policy.explore if untried else 1.0)]
    share = policy.explore / max(len(untried), 1)
    outcomes += [([n, *(m for m in settled if m != n)], share) for n in untried]
    explored_first = None
    order = settled
    if untried and rng.random() < policy.explore:
        explored_first = untried[int(rng.integers(len(untried)))]
        order = [explored_first, *(m for m in settled if m != explored_first)]
    placed = list(shown)
    for at, (slot, n) in enumerate(zip(free, order)):
        chance = sum(p for o, p in outcomes if o[at] == n)
        placed[slot] = _placed(shown[n], boosts[n], chance, n == explored_first,
                               evidence.get(shown[n].module_id), baseline)  # fmt: skip
    return tuple(replace(s, rank=rank) for rank, s in enumerate(placed, 1))


def _untried(found: StageAdvanceEvidence | None, policy: StageAdvancePolicy) -> bool:
    return found is None or found.used_in < policy.min_uses


def _placed(
    suggestion: Suggestion,
    boost: float,
    chance: float,
    explored: bool,
    found: StageAdvanceEvidence | None,
    baseline: StageBaseline,
) -> Suggestion:
    """``suggestion`` where this step put it: its propensity times the chance of this place;
    ``explored``: this step's exploratory pick, told to the rep by its reason."""
    reasons, breakdown, score = suggestion.reasons, suggestion.breakdown, suggestion.score
    if explored:
        reasons = (*reasons, Reason(STAGE_ADVANCE, EXPLORED_STAGE_REASON))
    elif boost > 0 and found is not None:
        reasons = (*reasons, stage_advance_reason(found, baseline))
        breakdown = {**breakdown, STAGE_ADVANCE: round(boost, 4)}
        score = round(score + boost, 4)
    return replace(
        suggestion,
        score=score,
        reasons=reasons,
        breakdown=breakdown,
        propensity=suggestion.propensity * chance,
        # ``explored`` stays the upstream's: it marks picks at a uniformly drawn slot, whose
        # opens measure position bias; one always put first would skew that (design notes).
    )

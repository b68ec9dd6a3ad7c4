"""Judging rankers from logged feedback: offline ranking metrics, off-policy estimates, intervals.
Design: docs/design/recommender.md and docs/learning.md (Evaluating a ranker)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from recommender.feedback import (
    Impression,
    LoggedView,
    ModuleFeedback,
    group_views,
    reward_function,
)
from recommender.types import OpportunityContext, Recommendations

Z95 = 1.959963984540054

#: Shown beside every content win-rate figure.
ASSOCIATION_CAUTION = (
    "Deals where reps used this content won more (or less) often — that is an association, not "
    "proof that the content changed the outcome. Reps pick content for deals they already expect "
    "to win, and the most engaged reps both use more content and win more deals."
)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


# -- intervals ------------------------------------------------------------------------------------
def wilson_interval(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for a proportion; sensible at 0/n and n/n, unlike p ± z·se."""
    if n <= 0:
        return Interval(math.nan, 0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: Sequence[float], z: float = Z95) -> Interval:
    """Mean ± z standard errors (CLT) of i.i.d. values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    se = x.std(ddof=1) / math.sqrt(x.size) if x.size > 1 else math.inf
    return Interval(float(x.mean()), float(x.mean() - z * se), float(x.mean() + z * se))


@dataclass(frozen=True)
class WinRateDifference:
    with_content: Interval
    without_content: Interval
    #: Win rate with minus without, Newcombe's hybrid score interval.
    difference: Interval
    caution: str = ASSOCIATION_CAUTION


def win_rate_difference(
    won_with: int, deals_with: int, won_without: int, deals_without: int, z: float = Z95
) -> WinRateDifference:
    """Difference of two win rates with Newcombe's (1998, method 10) interval built from Wilson's.

    For content analytics: closed deals where the content was used against closed deals where it
    was shown but not used. See :data:`ASSOCIATION_CAUTION` before reading anything into it.
    """
    a = wilson_interval(won_with, deals_with, z)
    b = wilson_interval(won_without, deals_without, z)
    if math.isnan(a.estimate) or math.isnan(b.estimate):
        return WinRateDifference(a, b, Interval(math.nan, -1.0, 1.0))
    delta = a.estimate - b.estimate
    low = delta - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = delta + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return WinRateDifference(a, b, Interval(delta, low, high))


def module_win_rates(feedback: ModuleFeedback, z: float = Z95) -> WinRateDifference:
    return win_rate_difference(
        feedback.won_deals_used,
        feedback.won_deals_used + feedback.lost_deals_used,
        feedback.won_deals_unused,
        feedback.won_deals_unused + feedback.lost_deals_unused,
        z,
    )


# -- ranking metrics ------------------------------------------------------------------------------
def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int = 5) -> float:
    """DCG of the first k of ``ranked`` over the DCG of the best possible order of ``gains``."""
    ideal = np.sort(np.array([g for g in gains.values() if g > 0], dtype=float))[::-1][:k]
    if ideal.size == 0:
        return 0.0
    got = np.array([gains.get(m, 0.0) for m in list(ranked)[:k]], dtype=float)
    return float(got @ _discounts(got.size) / (ideal @ _discounts(ideal.size)))


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int = 10) -> float:
    relevant = set(relevant)
    if not relevant:
        return 0.0
    return len(relevant & set(list(ranked)[:k])) / len(relevant)


def catalog_coverage(lists: Iterable[Sequence[str]], catalog_ids: Iterable[str]) -> float:
    """Share of the catalog that appears in at least one of ``lists``."""
    catalog = set(catalog_ids)
    if not catalog:
        return 0.0
    shown = {m for ranked in lists for m in ranked}
    return len(shown & catalog) / len(catalog)


def time_split(
    impressions: Iterable[Impression], at: datetime
) -> tuple[list[Impression], list[Impression]]:
    """Views first shown before ``at`` (to train on) and from ``at`` on (to evaluate on).

    Whole views move together, so no list is split between training and evaluation.
    """
    before: list[Impression] = []
    after: list[Impression] = []
    for view in group_views(impressions):
        (before if view.shown_at < at else after).extend(view.impressions)
    return before, after


@dataclass(frozen=True)
class OfflineMetrics:
    ndcg_at_5: float
    recall_at_10: float
    coverage: float
    #: Lists with at least one rewarded suggestion: the ones NDCG and recall are averaged over.
    lists: int


def offline_ranking_metrics(
    rank: Callable[[OpportunityContext], Recommendations],
    held_out: Iterable[Impression],
    catalog_ids: Iterable[str],
    *,
    reward: str = "helpful_or_used",
    k_client_facing: int = 5,
    k_internal: int = 3,
) -> OfflineMetrics:
    """NDCG@5 and recall@10 against what reps rewarded in each held-out list; coverage of the
    lists the panel would show (the first ``k_client_facing`` / ``k_internal``).

    ``rank`` should return at least 10 per list (recall@10 looks that deep).
    """
    outcome = reward_function(reward)
    ndcg, recall, shown = [], [], []
    for view in group_views(held_out):
        ranked = rank(view.context)
        by_audience = {
            "client_facing": [s.module_id for s in ranked.client_facing],
            "internal": [s.module_id for s in ranked.internal],
        }
        shown += [
            by_audience["client_facing"][:k_client_facing],
            by_audience["internal"][:k_internal],
        ]
        for audience, ids in by_audience.items():
            rewarded = {
                i.module_id
                for i in view.impressions
                if outcome(i) and _audience(i, ranked) == audience
            }
            if rewarded:
                ndcg.append(ndcg_at_k(ids, dict.fromkeys(rewarded, 1.0), 5))
                recall.append(recall_at_k(ids, rewarded, 10))
    return OfflineMetrics(
        ndcg_at_5=float(np.mean(ndcg)) if ndcg else math.nan,
        recall_at_10=float(np.mean(recall)) if recall else math.nan,
        coverage=catalog_coverage(shown, catalog_ids),
        lists=len(ndcg),
    )


def _audience(impression: Impression, ranked: Recommendations) -> str:
    if impression.audience is not None:
        return impression.audience
    return (
        "internal"
        if any(s.module_id == impression.module_id for s in ranked.internal)
        else "client_facing"
    )


# -- off-policy estimates -------------------------------------------------------------------------
@dataclass(frozen=True)
class OffPolicyEstimates:
    """Expected rewarded suggestions per panel view under the target policy."""

    ips: Interval
    snips: Interval
    #: None without a reward model.
    dr: Interval | None
    views: int
    #: Share of the target's examination that fell on modules the logged views showed: low
    #: overlap means the estimates rest on few impressions.
    overlap: float
    max_weight: float


#: A reward model: predicted P(reward | examined) for modules in a context.
RewardModel = Callable[[OpportunityContext, Sequence[str]], np.ndarray]


def off_policy_estimates(
    logged: Iterable[Impression],
    target: Callable[[OpportunityContext], Recommendations],
    *,
    examination: Sequence[float],
    reward_model: RewardModel | None = None,
    reward: str = "helpful_or_used",
    z: float = Z95,
) -> OffPolicyEstimates:
    """IPS, SNIPS and doubly robust estimates of the target's reward per view
    (docs/design/recommender.md).

    ``target`` must be deterministic (a ranker without exploration); ``examination`` is θ by
    position, e.g. ``LearnedRanker.examination_``.
    """
    theta = np.asarray(examination, dtype=float)
    outcome = reward_function(reward)
    terms = [
        _view_terms(v, target(v.context), theta, outcome, reward_model) for v in group_views(logged)
    ]
    if not terms:
        nan = Interval(math.nan, math.nan, math.nan)
        return OffPolicyEstimates(
            nan, nan, None if reward_model is None else nan, 0, math.nan, math.nan
        )
    a, b, exposure, dr, supported, biggest = (np.array(t) for t in zip(*terms))
    return OffPolicyEstimates(
        ips=mean_interval(a, z),
        snips=_snips(a, b, exposure, z),
        dr=mean_interval(dr, z) if reward_model is not None else None,
        views=len(terms),
        overlap=float(supported.sum() / exposure.sum()) if exposure.sum() else math.nan,
        max_weight=float(biggest.max()),
    )


def _theta_at(theta: np.ndarray, position: int) -> float:
    return float(theta[min(position, len(theta)) - 1])


def _view_terms(view: LoggedView, chosen: Recommendations, theta, outcome, reward_model):
    """Per view: Σ w·r (IPS), Σ w·θ (SNIPS's control variate, expectation = the target's
    exposure), the target's exposure, the DR term, the supported exposure and the largest w."""
    target_exposure = {
        s.module_id: _theta_at(theta, position)
        for shown in (chosen.client_facing, chosen.internal)
        for position, s in enumerate(shown, 1)
    }
    list_length: dict[str | None, int] = {}
    for i in view.impressions:
        list_length[i.audience] = max(list_length.get(i.audience, 0), i.position)
    ids = list(dict.fromkeys([*target_exposure, *(i.module_id for i in view.impressions)]))
    predicted = dict(zip(ids, reward_model(view.context, ids))) if reward_model is not None else {}
    ips = control = correction = supported = biggest = 0.0
    for i in view.impressions:
        logged_theta = _theta_at(theta, i.position)
        if i.explored:
            any_slot = sum(_theta_at(theta, j) for j in range(1, list_length[i.audience] + 1))
            logging_exposure = i.propensity * any_slot
        else:
            logging_exposure = i.propensity * logged_theta
        weight = target_exposure.get(i.module_id, 0.0) / logging_exposure
        r = float(outcome(i))
        ips += weight * r
        control += weight * logged_theta
        if reward_model is not None:
            correction += weight * (r - logged_theta * predicted[i.module_id])
        biggest = max(biggest, weight)
    for module_id in {i.module_id for i in view.impressions} & set(target_exposure):
        supported += target_exposure[module_id]
    direct = (
        sum(e * predicted[m] for m, e in target_exposure.items())
        if reward_model is not None
        else 0.0
    )
    exposure = sum(target_exposure.values())
    return ips, control, exposure, direct + correction, supported, biggest


def _snips(a: np.ndarray, b: np.ndarray, exposure: np.ndarray, z: float) -> Interval:
    """Θ̄ · ΣA / ΣB, with a delta-method interval; Θ̄ is the target's mean exposure per view."""
    if b.sum() <= 0:
        return Interval(math.nan, math.nan, math.nan)
    ratio = a.mean() / b.mean()
    scale = exposure.mean()
    estimate = scale * ratio
    influence = scale * (a - ratio * b) / b.mean() + ratio * (exposure - scale)
    se = influence.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.inf
    return Interval(float(estimate), float(estimate - z * se), float(estimate + z * se))

"""What ``beinspired evaluate`` computes for one org: its logged history judged offline, and the
simulator's checks on its catalog (design: docs/design/learning.md)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

import numpy as np
from sqlalchemy.orm import Session

from content_catalog.events import PanelEventLog
from content_catalog.repository import CatalogRepository, OrgNotFound
from content_catalog.taxonomy import Taxonomy
from plugin.crm.demo_org import SIMULATED_REP_PREFIX
from plugin.ranking.logged_views import logged_impressions
from plugin.ranking.candidates import candidate_from_module, v1_ranker
from recommender.evaluation import (
    Interval,
    OffPolicyEstimates,
    WinRateDifference,
    mean_interval,
    off_policy_estimates,
    offline_ranking_metrics,
    time_split,
    wilson_interval,
    win_rate_difference,
)
from recommender.feedback import Impression, group_views, reward_function
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.simulated_evaluation import (
    SimulatedEvaluation,
    SimulationScale,
    simulate_on_catalog,
)
from recommender.types import OpportunityContext, Recommendations

#: Fewer logged views than this, or no reward on either side of the split, and there is nothing
#: to say: the command explains instead of printing noise.
MIN_VIEWS = 40
BOOTSTRAP_SAMPLES = 500
REWARDS = ("helpful_or_used", "opened")
#: The steps ``progress`` is told about, in order (the CLI's progress bar counts them).
STEPS = (
    "reading logged impressions",
    "fitting the candidate on the earlier views",
    "offline metrics on the later views",
    "off-policy estimates",
    "simulation: learned vs tag-only",
    "simulation: estimates vs truth",
    "simulation: a new strong module",
)


class NotEnoughHistory(Exception):
    """The org has too few logged views (or rewards) to evaluate anything; says what it has."""


class UnknownOrg(Exception):
    pass


@dataclass(frozen=True)
class RankingMetrics:
    ndcg_at_5: Interval
    recall_at_10: Interval
    coverage: Interval
    #: Held-out lists with at least one rewarded suggestion (what NDCG and recall average over).
    lists: int


@dataclass(frozen=True)
class PolicyValues:
    """Suggestions per view earning ``reward``: observed under logging, estimated for others."""

    reward: str
    logged: Interval
    candidate: OffPolicyEstimates
    v1: OffPolicyEstimates


@dataclass(frozen=True)
class PositionRate:
    audience: str
    position: int
    impressions: int
    opened: Interval
    rewarded: Interval


@dataclass(frozen=True)
class LoggedEvaluation:
    org_id: str
    since: datetime
    until: datetime
    split_at: datetime
    views: int
    impressions: int
    train_views: int
    test_views: int
    catalog_modules: int
    model_versions: tuple[str, ...]
    candidate_version: str
    #: θ by position, measured on the earlier views' exploratory picks.
    examination: tuple[float, ...]
    candidate: RankingMetrics
    v1: RankingMetrics
    values: tuple[PolicyValues, ...]
    positions: tuple[PositionRate, ...]
    #: Closed deals of the window where a rep used content vs where none was used.
    deals: WinRateDifference
    #: Of the impressions, those the demo simulated, and the weeks its simulated history spans
    #: (0 and 0 for a real org's history).
    simulated_impressions: int = 0
    simulated_weeks: int = 0

    @property
    def simulated_label(self) -> str | None:
        """"Demo data: 10 simulated weeks", for a history that is (partly) simulated."""
        if not self.simulated_impressions:
            return None
        weeks = self.simulated_weeks
        return (f"Demo data: {weeks} simulated week{'' if weeks == 1 else 's'} "
                f"({self.simulated_impressions} of these {self.impressions} impressions were "
                "shown to simulated reps on made-up opportunities)")


@dataclass(frozen=True)
class EvaluationReport:
    logged: LoggedEvaluation
    simulated: SimulatedEvaluation
    seed: int
    generated_at: datetime


def _simulated_part(session: Session, org_id: str, since: datetime,
                    until: datetime) -> dict[str, int]:
    log = PanelEventLog(session, org_id)
    here = log.span_shown_to(SIMULATED_REP_PREFIX, since=since, until=until)
    everything = log.span_shown_to(SIMULATED_REP_PREFIX)
    if here is None or everything is None:
        return {}
    days = (everything.last.date() - everything.first.date()).days + 1
    return {"simulated_impressions": here.impressions, "simulated_weeks": -(-days // 7)}


def evaluate_org(
    session: Session,
    org_id: str,
    taxonomy: Taxonomy,
    *,
    now: datetime,
    days: int = 90,
    test_share: float = 0.3,
    seed: int = 7,
    k: tuple[int, int] = (5, 3),
    scale: SimulationScale = SimulationScale(),
    progress: Callable[[str], None] = lambda step: None,
) -> EvaluationReport:
    """The whole report's figures; ``progress`` is called with each of :data:`STEPS` as it
    starts. Raises :class:`UnknownOrg` or :class:`NotEnoughHistory`."""
    progress(STEPS[0])
    repository = CatalogRepository(session, org_id)
    try:
        repository.revision()  # published() of an unknown org is merely empty
    except OrgNotFound:
        raise UnknownOrg(f"no org {org_id!r} in this database") from None
    catalog = [candidate_from_module(m) for m in repository.published()]
    since = now - timedelta(days=days)
    logged = logged_impressions(session, org_id, since, now)
    train, test = _split(logged, test_share, org_id, days)
    base = v1_ranker(taxonomy)
    today = now.date()

    progress(STEPS[1])
    candidate = LearnedRanker(base).fit(catalog, train, today=today)
    opens = LearnedRanker(base).fit(catalog, [_opened_as_reward(i) for i in train], today=today)
    v1 = TagTextRanker(base.weights, base.labels).fit(catalog)

    progress(STEPS[2])
    catalog_ids = [c.module_id for c in catalog]
    deep = dict(today=today, k_client_facing=max(10, k[0]), k_internal=max(10, k[1]))
    ranked_candidate = _memo(lambda c: candidate.rank(c, **deep))
    ranked_v1 = _memo(lambda c: v1.rank(c, **deep))
    rng = np.random.default_rng(seed)
    metrics = {
        name: _ranking_metrics(rank, test, catalog_ids, k, rng)
        for name, rank in (("candidate", ranked_candidate), ("v1", ranked_v1))
    }

    progress(STEPS[3])
    shown = dict(today=today, k_client_facing=k[0], k_internal=k[1])
    targets = {
        "candidate": _memo(lambda c: candidate.rank(c, **shown)),
        "v1": _memo(lambda c: v1.rank(c, **shown)),
    }
    models = {
        "helpful_or_used": lambda c, ids: candidate.predict_usefulness(c, ids, today=today),
        "opened": lambda c, ids: opens.predict_usefulness(c, ids, today=today),
    }
    values = tuple(
        _policy_values(test, reward, targets, candidate.examination_, models[reward])
        for reward in REWARDS
    )
    logged_part = LoggedEvaluation(
        org_id=org_id, since=since, until=now, split_at=min(i.shown_at for i in test),
        views=len(group_views(logged)), impressions=len(logged),
        train_views=len(group_views(train)), test_views=len(group_views(test)),
        catalog_modules=len(catalog),
        model_versions=tuple(dict.fromkeys(i.model_version for i in logged)),
        candidate_version=candidate.model_version_,
        examination=tuple(float(t) for t in candidate.examination_),
        candidate=metrics["candidate"], v1=metrics["v1"], values=values,
        positions=position_rates(logged), deals=deal_win_rates(logged),
        **_simulated_part(session, org_id, since, now),
    )

    progress(STEPS[4])
    contexts = [v.context for v in group_views(logged)]  # one per view, as reps saw them
    steps = iter(STEPS[5:])
    simulated = simulate_on_catalog(
        catalog, contexts, base=base, today=today, seed=seed, scale=scale,
        progress=lambda _: progress(next(steps)),
    )
    return EvaluationReport(logged_part, simulated, seed, now)


def _split(
    logged: list[Impression], test_share: float, org_id: str, days: int
) -> tuple[list[Impression], list[Impression]]:
    views = group_views(logged)
    if len(views) < MIN_VIEWS:
        raise NotEnoughHistory(
            f"org {org_id} has {len(views)} panel views in the last {days} days; evaluate needs "
            f"at least {MIN_VIEWS} (in the demo org, `beinspired load-demo` seeds a history)"
        )
    cut = min(len(views) - 1, max(1, round(len(views) * (1 - test_share))))
    train, test = time_split(logged, views[cut].shown_at)
    for part, name in ((train, "earlier"), (test, "later")):
        if not any(i.rewarded for i in part):
            raise NotEnoughHistory(
                f"no suggestion was marked helpful or used in the {name} part of the split "
                f"({len(group_views(part))} views): nothing to fit or to score against"
            )
    return train, test


def _opened_as_reward(impression: Impression) -> Impression:
    """The impression relabelled so that a learner fitted on it predicts P(opened | examined)."""
    return dataclasses.replace(impression, used=impression.opened, helpful=None)


def _memo(
    rank: Callable[[OpportunityContext], Recommendations]
) -> Callable[[OpportunityContext], Recommendations]:
    """Deterministic rankers give the same lists for the same context: rank each context once."""
    cache: dict[OpportunityContext, Recommendations] = {}

    def ranked(context: OpportunityContext) -> Recommendations:
        if context not in cache:
            cache[context] = rank(context)
        return cache[context]

    return ranked


def _ranking_metrics(
    rank: Callable[[OpportunityContext], Recommendations],
    test: list[Impression],
    catalog_ids: Sequence[str],
    k: tuple[int, int],
    rng: np.random.Generator,
) -> RankingMetrics:
    """The metrics over the held-out views, each with a percentile bootstrap interval over views
    (per view: its lists' mean NDCG and recall, weighted by its rewarded lists; the modules its
    panel would show)."""
    overall = offline_ranking_metrics(
        rank, test, catalog_ids, k_client_facing=k[0], k_internal=k[1]
    )
    views = group_views(test)
    per_view = [
        offline_ranking_metrics(
            rank, v.impressions, catalog_ids, k_client_facing=k[0], k_internal=k[1]
        )
        for v in views
    ]
    lists = np.array([m.lists for m in per_view], dtype=float)
    ndcg = np.array([m.ndcg_at_5 if m.lists else 0.0 for m in per_view]) * lists
    recall = np.array([m.recall_at_10 if m.lists else 0.0 for m in per_view]) * lists
    column = {m: n for n, m in enumerate(catalog_ids)}
    shown = np.zeros((len(views), len(catalog_ids)), dtype=bool)
    for row, view in enumerate(views):
        ranked = rank(view.context)
        for s in (*ranked.client_facing[: k[0]], *ranked.internal[: k[1]]):
            shown[row, column[s.module_id]] = True
    samples = rng.integers(len(views), size=(BOOTSTRAP_SAMPLES, len(views)))
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_ndcg = ndcg[samples].sum(1) / lists[samples].sum(1)
        boot_recall = recall[samples].sum(1) / lists[samples].sum(1)
    boot_coverage = np.array([shown[s].any(0).mean() for s in samples])
    return RankingMetrics(
        _percentile(overall.ndcg_at_5, boot_ndcg),
        _percentile(overall.recall_at_10, boot_recall),
        _percentile(overall.coverage, boot_coverage),
        overall.lists,
    )


def _percentile(estimate: float, samples: np.ndarray) -> Interval:
    samples = samples[np.isfinite(samples)]
    if math.isnan(estimate) or samples.size == 0:
        return Interval(estimate, math.nan, math.nan)
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(float(estimate), float(low), float(high))


def _policy_values(test, reward, targets, examination, reward_model) -> PolicyValues:
    outcome = reward_function(reward)
    observed = [sum(outcome(i) for i in v.impressions) for v in group_views(test)]
    estimates = {
        name: off_policy_estimates(
            test, target, examination=examination, reward_model=reward_model, reward=reward
        )
        for name, target in targets.items()
    }
    return PolicyValues(reward, mean_interval(observed), estimates["candidate"], estimates["v1"])


def position_rates(logged: Sequence[Impression]) -> tuple[PositionRate, ...]:
    """Raw open and helpful-or-used rates by list and position, with Wilson intervals. Raw: a
    ranker puts its best guesses first, so these mix position bias with relevance."""
    cells: dict[tuple[str, int], list[Impression]] = {}
    for i in logged:
        cells.setdefault((i.audience or "client_facing", i.position), []).append(i)
    return tuple(
        PositionRate(
            audience, position, len(shown),
            wilson_interval(sum(i.opened for i in shown), len(shown)),
            wilson_interval(sum(i.rewarded for i in shown), len(shown)),
        )
        for (audience, position), shown in sorted(cells.items())
    )


def deal_win_rates(logged: Sequence[Impression]) -> WinRateDifference:
    """Closed deals where a rep used any suggested content against those where none was used."""
    deals: dict[object, list] = {}
    for i in logged:
        deal = deals.setdefault(i.deal_key, [False, None])
        deal[0] = deal[0] or i.used
        if i.deal_won is not None:
            deal[1] = i.deal_won
    closed = [(used, won) for used, won in deals.values() if won is not None]
    won_with = sum(1 for used, won in closed if used and won)
    with_content = sum(1 for used, _ in closed if used)
    won_without = sum(1 for used, won in closed if not used and won)
    return win_rate_difference(
        won_with, with_content, won_without, len(closed) - with_content
    )

"""The simulator keeps its documented assumptions: seeded, position-biased, unlike the tags."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
from scipy.stats import spearmanr

from recommender.evaluation import mean_interval, win_rate_difference
from recommender.feedback import group_views
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator, SimulationAssumptions
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.synthetic import synthetic_catalog
from recommender.types import CLIENT_FACING, CandidateModule, Recommendations

START = datetime(2026, 1, 5, 9)


def small_world(seed=21, **assumptions):
    simulator = DealSimulator.synthetic(120, seed, assumptions=SimulationAssumptions(**assumptions))
    return simulator, TagTextRanker().fit(simulator.catalog)


def test_the_same_seed_gives_the_same_sessions():
    runs = []
    for _ in range(2):
        simulator, v1 = small_world()
        contexts = simulator.contexts(30, 1)
        rank = lambda c, _: v1.rank(c, today=TODAY)  # noqa: E731
        runs.append(simulator.log_sessions(rank, contexts, np.random.default_rng(4), start=START))
    assert runs[0] == runs[1]


def test_reps_look_less_often_at_lower_positions():
    simulator, v1 = small_world()
    order = np.random.default_rng(7)

    def shuffled(context, _):  # v1's modules in a random order: position is independent of module
        found = v1.rank(context, today=TODAY)
        picked = [found.client_facing[i] for i in order.permutation(len(found.client_facing))]
        return Recommendations(tuple(replace(s, rank=n) for n, s in enumerate(picked, 1)), ())

    logged = simulator.log_sessions(
        shuffled, simulator.contexts(1000, 5), np.random.default_rng(8), start=START
    )
    opened = [np.mean([i.opened for i in logged if i.position == k]) for k in range(1, 6)]
    assert all(a > b for a, b in zip(opened, opened[1:]))
    theta = simulator.assumptions.examination(5)
    assert abs(opened[4] / opened[0] - theta[4]) < 0.08


def test_expected_reward_is_the_average_of_simulated_sessions():
    simulator, v1 = small_world()
    contexts = simulator.contexts(1000, 2)
    rank = lambda c, _: v1.rank(c, today=TODAY)  # noqa: E731
    expected = simulator.policy_values(rank, contexts, None)
    logged = simulator.log_sessions(rank, contexts, np.random.default_rng(5), start=START)
    observed = mean_interval([sum(i.rewarded for i in v.impressions) for v in group_views(logged)])
    assert expected.mean() in observed


def test_true_usefulness_differs_from_what_the_tags_say():
    simulator, v1 = small_world()
    correlations = []
    for context in simulator.contexts(40, 3):
        scores = v1.scores(context, TODAY)
        modules = list(scores)
        correlations.append(
            spearmanr([scores[m] for m in modules], simulator.usefulness(context, modules))[0]
        )
    assert 0.2 < np.mean(correlations) < 0.8  # related, far from identical
    assert (simulator.quality > 1).any() and (simulator.quality < -1).any()


def test_publishing_a_module_leaves_the_others_hidden_quality_alone():
    catalog = synthetic_catalog(60, 8)
    newcomer = CandidateModule("newcomer", "brand new case study", CLIENT_FACING)
    before = DealSimulator(catalog, 8)
    after = DealSimulator([*catalog, newcomer], 8, quality={"newcomer": 2.5})
    assert all(
        after.hidden_quality(m.module_id) == before.hidden_quality(m.module_id) for m in catalog
    )
    assert after.hidden_quality("newcomer") == 2.5


def test_engaged_reps_make_used_content_look_more_winning_than_it_is():
    lift = 0.05
    simulator, v1 = small_world(win_engagement=0.4, win_lift=lift)
    logged = simulator.log_sessions(
        lambda c, _: v1.rank(c, today=TODAY),
        simulator.contexts(2500, 4),
        np.random.default_rng(6),
        start=START,
    )
    views = group_views(logged)
    used = [v for v in views if any(i.used for i in v.impressions)]
    unused = [v for v in views if not any(i.used for i in v.impressions)]
    won = lambda vs: sum(v.impressions[0].deal_won for v in vs)  # noqa: E731
    observed = win_rate_difference(won(used), len(used), won(unused), len(unused))
    assert observed.difference.low > lift  # association overstates the causal lift

"""Stuck deals in the simulator: ranking by "moved deals on from this stage" lifts v1, and the
stuck-deal world keeps its stated assumptions."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from recommender.evaluation import wilson_interval
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.stage_simulation import (
    StageAssumptions,
    StuckDealSimulator,
    describe,
    exploring_v1,
    stuck_deal_report,
    v1_lists,
)
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.synthetic import synthetic_catalog
from recommender.types import CLIENT_FACING, CandidateModule

#: The scenario of docs/design/recommender.md (recommender/stage_simulation.py), one fixed seed.
SEED = 5


@pytest.fixture(scope="module")
def small_world():
    world = DealSimulator.synthetic(80, 11)
    return StuckDealSimulator(world), TagTextRanker().fit(world.catalog)


def test_ranking_by_moved_on_lifts_the_stage_advance_rate_of_stuck_deals_over_v1():
    comparison = stuck_deal_report(SEED)
    figures = describe(comparison)
    print(figures)
    assert comparison.lift.low > 0, figures  # the 95 % interval, paired by deal, excludes 0
    assert comparison.lift.estimate < comparison.oracle_lift.estimate, figures


def test_v1_lists_are_what_v1_ranks(small_world):
    stuck, v1 = small_world
    lists = v1_lists(v1, TODAY)
    for context in stuck.stuck_deals(40, 3):
        ranked, light = v1.rank(context, today=TODAY), lists(context)
        assert [(s.module_id, s.score, s.rank, s.audience) for s in light] == [
            (s.module_id, s.score, s.rank, s.audience) for s in ranked
        ]


def test_stuck_deals_are_open_deals(small_world):
    stuck, _ = small_world
    stages = {c.stage for c in stuck.stuck_deals(300, 4)}
    assert len(stages) >= 6 and not any(s.startswith("Closed") for s in stages)


def test_a_module_helps_in_some_stages_whatever_its_relevance_and_the_catalog_around_it():
    catalog = synthetic_catalog(60, 8)
    newcomer = CandidateModule("newcomer", "brand new case study", CLIENT_FACING)
    before = StuckDealSimulator(DealSimulator(catalog, 8))
    after = StuckDealSimulator(DealSimulator([*catalog, newcomer], 8))
    ids = [m.module_id for m in catalog]
    stages = ["Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review"]
    pushes = np.array([before.push(stage, ids) for stage in stages])
    assert all((after.push(s, ids) == p).all() for s, p in zip(stages, pushes))
    helping = pushes > 0
    assert 0.1 < helping.mean() < 0.3  # helping_share = 0.2
    assert not (helping.all(axis=0) | ~helping.any(axis=0)).all()  # modules differ by stage
    assert ((pushes[helping] >= 0.15) & (pushes[helping] <= 0.45)).all()


def test_the_exact_chance_of_moving_on_is_what_simulated_deals_do(small_world):
    stuck, v1 = small_world
    lists = v1_lists(v1, TODAY)
    deals = stuck.stuck_deals(600, 5)
    history = stuck.log_history(lambda c, _: lists(c), deals, np.random.default_rng(2))
    moved = sum(b.moved_on for b in history.baselines.values())
    expected = np.mean([stuck.move_on_chance(lists(c), c) for c in deals])
    assert expected in wilson_interval(moved, len(deals))


def test_the_history_counts_deals_per_stage_and_the_deals_each_module_was_used_in(small_world):
    stuck, v1 = small_world
    deals = stuck.stuck_deals(400, 6)
    history = stuck.log_history(exploring_v1(v1, TODAY), deals, np.random.default_rng(3))
    assert sum(b.deals for b in history.baselines.values()) == len(deals)
    for stage, found in history.evidence.items():
        assert stage in history.baselines
        assert max(e.used_in for e in found.values()) <= history.baselines[stage].deals
    listed_in = defaultdict(set)  # stage → modules v1 lists for some deal in it
    for c in deals:
        listed_in[c.stage] |= {s.module_id for s in v1_lists(v1, TODAY)(c)}
    assert any(set(found) - listed_in[stage] for stage, found in history.evidence.items())


def test_an_exploring_v1_list_logs_the_chance_of_its_pick(small_world):
    stuck, v1 = small_world
    rank = exploring_v1(v1, TODAY, explore=1.0, depth=10)
    context = stuck.stuck_deals(1, 7)[0]
    shown = rank(context, np.random.default_rng(1)).client_facing
    below = len(v1_lists(v1, TODAY, k_client_facing=15)(context).client_facing) - len(shown)
    picked = [s for s in shown if s.explored]
    assert len(picked) == 1 and picked[0].propensity == pytest.approx(1.0 / len(shown) / below)
    assert all(s.propensity == pytest.approx(1 - 1 / len(shown)) for s in shown if not s.explored)
    assert [s.rank for s in shown] == list(range(1, len(shown) + 1))


def test_when_only_real_use_helps_opens_dilute_the_evidence(small_world):
    """The knob docs/design/recommender.md discusses: with the push behind shares and
    personalisations only, deals that merely opened a helping module move on no more often."""
    _, v1 = small_world
    world = DealSimulator.synthetic(80, 11)
    opened = StuckDealSimulator(world)
    used = StuckDealSimulator(world, StageAssumptions(push_needs_use=True))
    context = next(c for c in opened.stuck_deals(200, 8) if opened.push(c.stage, [
        s.module_id for s in v1_lists(v1, TODAY)(c).client_facing[:1]])[0] > 0)  # fmt: skip
    shown = v1_lists(v1, TODAY)(context)
    nothing = StuckDealSimulator(world, StageAssumptions(helping_share=0.0))
    base = nothing.move_on_chance(shown, context)
    assert base < used.move_on_chance(shown, context) < opened.move_on_chance(shown, context)

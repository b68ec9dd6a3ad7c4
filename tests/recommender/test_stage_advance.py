"""A stuck deal's lists reordered by what was used in deals that moved on from its stage."""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from recommender.stage_advance import (
    EXPLORED_STAGE_REASON,
    MIN_BASELINE_DEALS,
    STAGE_ADVANCE,
    StageAdvanceEvidence,
    StageAdvancePolicy,
    StageBaseline,
    stage_advance_lift,
    stage_advance_order,
)
from recommender.types import CLIENT_FACING, INTERNAL, Reason, Recommendations, Suggestion

#: 30 of 100 deals in the stage moved on: "usually 3 in 10".
BASELINE = StageBaseline(deals=100, moved_on=30)
NO_EXPLORING = StageAdvancePolicy(explore=0.0)


def suggestion(module_id, score, rank, audience=CLIENT_FACING, **kwargs):
    return Suggestion(module_id, score, rank, audience, (Reason("industry", "Banking"),),
                      {"industry": score}, **kwargs)  # fmt: skip


def listed(*scores, audience=CLIENT_FACING, prefix="m"):
    return tuple(
        suggestion(f"{prefix}{n}", score, n, audience) for n, score in enumerate(scores, 1)
    )


def evidence(**counts):
    return {m: StageAdvanceEvidence(m, used, moved) for m, (used, moved) in counts.items()}


def order(recommendations, found, baseline=BASELINE, policy=NO_EXPLORING, seed=0):
    return stage_advance_order(
        recommendations, found, baseline, rng=np.random.default_rng(seed), policy=policy
    )


def ids(suggestions):
    return [s.module_id for s in suggestions]


def test_content_used_in_deals_that_moved_on_goes_first_with_its_counts_as_the_reason():
    shown = Recommendations(listed(12.0, 11.5, 11.0, 10.5, 10.0), ())
    ranked = order(shown, evidence(m4=(8, 6), m1=(20, 6)))
    assert ids(ranked.client_facing) == ["m4", "m1", "m2", "m3", "m5"]
    assert [s.rank for s in ranked.client_facing] == [1, 2, 3, 4, 5]
    first = ranked.client_facing[0]
    assert first.reasons[-1] == Reason(
        STAGE_ADVANCE, "used in 8 deals at this stage, 6 moved on (usually 3 in 10)"
    )
    assert first.breakdown[STAGE_ADVANCE] > 0 and first.score > 12.0
    assert ranked.client_facing[1].reasons == shown.client_facing[0].reasons  # at the usual rate


def test_two_lucky_deals_do_not_outrank_eighteen_of_twenty():
    everyone_counts = StageAdvancePolicy(min_uses=1, explore=0.0)
    found = evidence(lucky=(2, 2), proven=(20, 18))
    shown = Recommendations(
        (suggestion("lucky", 10.0, 1), suggestion("proven", 10.0, 2)), ()
    )
    assert ids(order(shown, found, policy=everyone_counts).client_facing) == ["proven", "lucky"]
    lift = stage_advance_lift(found, BASELINE, everyone_counts)
    assert lift["lucky"][0] < lift["proven"][0]
    assert lift["lucky"][1] < BASELINE.rate < lift["proven"][1]  # only 18/20 is surely above


def test_a_module_with_too_few_uses_moves_up_only_when_a_list_explores():
    found = evidence(few=(4, 4), m1=(30, 9), m2=(30, 9))
    shown = Recommendations((*listed(12.0, 11.0), suggestion("few", 10.0, 3)), ())
    placed = Counter()
    for seed in range(400):
        ranked = order(shown, found, policy=StageAdvancePolicy(explore=0.25), seed=seed)
        first = ranked.client_facing[0]
        placed[(first.module_id, first.reasons[-1].label == EXPLORED_STAGE_REASON)] += 1
        few = next(s for s in ranked.client_facing if s.module_id == "few")
        assert not any(r.label.startswith("used in") for r in few.reasons)  # no figure of its own
    assert set(placed) == {("m1", False), ("few", True)}
    assert 0.18 < placed[("few", True)] / 400 < 0.32  # explore = 0.25: every untried one is "few"


def test_an_explored_pick_says_it_is_being_tried():
    shown = Recommendations(listed(12.0, 11.0, 10.0), ())
    ranked = order(shown, evidence(m1=(30, 9)), policy=StageAdvancePolicy(explore=1.0), seed=3)
    assert ids(ranked.client_facing)[0] in ("m2", "m3")  # m1 has a figure: not tried
    first = ranked.client_facing[0]
    assert first.reasons[-1] == Reason(STAGE_ADVANCE, EXPLORED_STAGE_REASON)
    assert all(r.dimension != STAGE_ADVANCE for s in ranked.client_facing[1:] for r in s.reasons)


def test_a_pick_put_first_is_not_flagged_as_a_uniform_slot_exploration():
    """``explored`` marks picks whose slot was drawn uniformly: position bias is measured on
    them. A stuck-deal pick always goes first, so it keeps the upstream's flag."""
    shown = Recommendations(listed(12.0, 11.0, 10.0), ())
    for seed in range(20):
        ranked = order(shown, {}, policy=StageAdvancePolicy(explore=1.0), seed=seed)
        assert not any(s.explored for s in ranked)


def test_propensities_are_the_chance_of_each_place_and_add_up_to_one_per_place():
    found = evidence(m1=(40, 12), m3=(9, 7))  # m2, m4 untried
    shown = Recommendations(listed(12.0, 11.0, 10.0, 9.0), listed(5.0, 4.0, prefix="i"))
    policy = StageAdvancePolicy(explore=0.3)
    seen: dict[tuple[int, str], float] = {}
    counted = Counter()
    draws = 3000
    for seed in range(draws):
        for s in order(shown, found, policy=policy, seed=seed).client_facing:
            assert seen.setdefault((s.rank, s.module_id), s.propensity) == s.propensity
            counted[(s.rank, s.module_id)] += 1
    by_place = defaultdict(float)
    for (rank, _), propensity in seen.items():
        by_place[rank] += propensity
    assert by_place == pytest.approx({1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0})
    for place, propensity in seen.items():
        assert counted[place] / draws == pytest.approx(propensity, abs=0.03), place


def test_the_logged_propensity_keeps_the_upstream_rankers_share():
    shown = Recommendations(
        (suggestion("m1", 12.0, 1, propensity=0.9), suggestion("m2", 11.0, 2, propensity=0.9)), ()
    )
    ranked = order(shown, evidence(m1=(50, 15)), policy=StageAdvancePolicy(explore=0.5), seed=1)
    chances = {s.module_id: s.propensity / 0.9 for s in ranked.client_facing}
    assert sorted(chances.values()) == pytest.approx([0.5, 0.5])


def test_an_upstream_exploratory_pick_keeps_its_slot_and_propensity():
    picked = suggestion("tried", 1.0, 2, propensity=0.02, explored=True)
    shown = Recommendations((suggestion("m1", 12.0, 1), picked, suggestion("m3", 11.0, 3)), ())
    ranked = order(shown, evidence(m3=(10, 9)))
    assert ids(ranked.client_facing) == ["m3", "tried", "m1"]
    assert ranked.client_facing[1] == picked


def test_audiences_stay_apart_and_each_list_is_reordered_on_its_own():
    shown = Recommendations(listed(12.0, 11.0), listed(6.0, 5.0, audience=INTERNAL, prefix="i"))
    ranked = order(shown, evidence(i2=(12, 10), m2=(12, 10)))
    assert ids(ranked.client_facing) == ["m2", "m1"]
    assert ids(ranked.internal) == ["i2", "i1"]
    assert {s.audience for s in ranked.internal} == {INTERNAL}


def test_evidence_below_the_usual_rate_never_sinks_a_module():
    shown = Recommendations(listed(12.0, 11.0, 10.0), ())
    ranked = order(shown, evidence(m1=(40, 0)))
    assert ranked.client_facing == shown.client_facing


def test_lists_are_unchanged_while_the_stage_has_too_few_deals():
    shown = Recommendations(listed(12.0, 11.0, 10.0), ())
    few = StageBaseline(deals=MIN_BASELINE_DEALS - 1, moved_on=5)
    found = evidence(m3=(20, 19))
    assert order(shown, found, few, StageAdvancePolicy(explore=1.0)) is shown
    assert stage_advance_lift(found, few) == {}


def test_the_lift_interval_holds_its_mean_and_narrows_with_evidence():
    found = evidence(some=(10, 6), more=(100, 60), too_few=(4, 4))
    lift = stage_advance_lift(found, BASELINE)
    assert set(lift) == {"some", "more"}
    for mean, low, high in lift.values():
        assert low < mean < high
    assert lift["more"][2] - lift["more"][1] < lift["some"][2] - lift["some"][1]
    # shrunk toward 30 %: 6/10 is pulled further than 60/100
    assert lift["some"][0] < lift["more"][0] < 0.6


def test_the_usual_rate_is_said_in_tenths():
    shown = Recommendations(listed(12.0, 11.0), ())
    rare = StageBaseline(deals=200, moved_on=6)
    ranked = order(shown, evidence(m2=(10, 3)), rare)
    assert ranked.client_facing[0].reasons[-1].label == (
        "used in 10 deals at this stage, 3 moved on (usually fewer than 1 in 10)"
    )


@pytest.mark.parametrize("make", [
    lambda: StageAdvanceEvidence("m1", 3, 4),
    lambda: StageAdvanceEvidence("m1", -1, 0),
    lambda: StageAdvanceEvidence("m1", True, 0),
    lambda: StageAdvanceEvidence("m1", 2.5, 1),
    lambda: StageAdvanceEvidence("", 3, 1),
    lambda: StageBaseline(10, 11),
    lambda: StageAdvancePolicy(explore=1.5),
    lambda: StageAdvancePolicy(prior_strength=0.0),
    lambda: StageAdvancePolicy(min_uses=0),
    lambda: StageAdvancePolicy(weight=float("nan")),
])  # fmt: skip
def test_impossible_counts_and_policies_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_evidence_filed_under_another_module_is_refused():
    shown = Recommendations(listed(12.0), ())
    with pytest.raises(ValueError):
        order(shown, {"m1": StageAdvanceEvidence("m2", 10, 5)})


def test_a_list_of_one_is_never_explored():
    shown = Recommendations(listed(12.0), listed(3.0, audience=INTERNAL, prefix="i"))
    for seed in range(20):
        ranked = order(shown, {}, policy=StageAdvancePolicy(explore=1.0), seed=seed)
        assert not any(s.explored for s in ranked) and ranked == shown



def test_the_upstream_order_stands_where_no_boost_moves_it():
    """The learned ranker puts a module reps reject last whatever its score; reordering a stuck
    deal's list must not lift it back above the cards reps did not reject. A boost still can."""
    shown = Recommendations((suggestion("a", 8.0, 1), suggestion("b", 7.0, 2),
                             suggestion("rejected", 9.0, 3)), ())
    assert [s.module_id for s in order(shown, {}).client_facing] == ["a", "b", "rejected"]
    lifted = order(shown, evidence(b=(40, 38)))
    assert [s.module_id for s in lifted.client_facing] == ["b", "a", "rejected"]

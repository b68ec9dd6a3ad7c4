"""Offline metrics, intervals and off-policy estimates: by hand, and against the simulator."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from recommender.evaluation import (
    ASSOCIATION_CAUTION,
    catalog_coverage,
    module_win_rates,
    ndcg_at_k,
    off_policy_estimates,
    offline_ranking_metrics,
    recall_at_k,
    time_split,
    wilson_interval,
    win_rate_difference,
)
from recommender.feedback import Impression, module_feedback
from recommender.learning import LearnedRanker
from recommender.types import OpportunityContext

CONTEXT = OpportunityContext(industry="Banking")
MONDAY = datetime(2026, 3, 2, 9)


def shown(module_id, position=1, *, view="v", at=MONDAY, **response) -> Impression:
    return Impression(CONTEXT, module_id, position, 1.0, 1.0, "v1", at, view_id=view, **response)


# -- (g) metrics on hand-made examples ------------------------------------------------------------
def test_ndcg_at_5_with_binary_gains_matches_hand_computation():
    # Hits at ranks 2 and 4: 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161.
    # Three relevant modules, best order: 1 + 0.63093 + 0.5 = 2.13093.   1.06161 / 2.13093 = 0.49819
    assert ndcg_at_k(["a", "b", "c", "d", "e", "b2"], {"b": 1, "d": 1, "z": 1}, 5) == pytest.approx(
        0.49819, abs=1e-5
    )


def test_ndcg_with_graded_gains_matches_hand_computation():
    # DCG = 3/1 + 0/log2(3) + 2/log2(4) = 4.0; ideal = 3 + 2/log2(3) = 4.26186; 4/4.26186 = 0.93856
    assert ndcg_at_k(["a", "b", "c"], {"a": 3, "b": 0, "c": 2}, 5) == pytest.approx(
        0.93856, abs=1e-5
    )
    assert ndcg_at_k(["a", "b"], {}, 5) == 0.0


def test_recall_at_10_counts_relevant_modules_found_in_the_first_ten():
    ranked = [f"m{n}" for n in range(12)]
    assert recall_at_k(ranked, {"m1", "m9", "m11"}, 10) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, set(), 10) == 0.0


def test_catalog_coverage_is_the_share_of_the_catalog_ever_listed():
    lists = [["a", "b"], ["b", "c"], ["retired"]]
    assert catalog_coverage(lists, ["a", "b", "c", "d", "e"]) == pytest.approx(3 / 5)


def test_wilson_interval_matches_hand_computation():
    # 8/10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71683,
    # half 1.96·sqrt(0.8·0.2/10 + 1.96²/400) / 1.38415 = 0.22658
    eight = wilson_interval(8, 10)
    assert (eight.low, eight.high) == pytest.approx((0.49016, 0.94332), abs=1e-4)
    # 0/10: the upper bound is z² / (n + z²) = 3.8415 / 13.8415
    assert wilson_interval(0, 10).high == pytest.approx(0.27753, abs=1e-4)
    assert wilson_interval(0, 0).low == 0.0 and wilson_interval(0, 0).high == 1.0


def test_win_rate_difference_matches_newcombes_worked_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example 56/70 − 48/80, method 10.
    found = win_rate_difference(56, 70, 48, 80)
    assert found.difference.estimate == pytest.approx(0.2)
    assert (found.difference.low, found.difference.high) == pytest.approx(
        (0.0524, 0.3339), abs=1e-4
    )
    assert "not proof" in found.caution


def test_a_module_s_win_rates_count_each_deal_once():
    deal = lambda n, **kw: dict(
        view=f"view-{n}", at=MONDAY + timedelta(hours=n), **kw
    )  # noqa: E731
    logged = [
        shown("m", **deal(1, used=True, deal_won=True)),
        shown("m", **deal(1, deal_won=True)),  # the same deal seen again: still one deal
        shown("m", **deal(2, used=True, deal_won=False)),
        shown("m", **deal(3, deal_won=False)),
        shown("m", **deal(4)),  # still open
    ]
    rates = module_win_rates(module_feedback(logged)["m"])
    assert (rates.with_content.estimate, rates.without_content.estimate) == (0.5, 0.0)
    assert rates.caution == ASSOCIATION_CAUTION


def test_time_split_keeps_each_view_whole():
    cut = MONDAY + timedelta(hours=1)
    logged = [
        shown("a", 1, view="early", at=cut - timedelta(seconds=1)),
        shown("b", 2, view="early", at=cut + timedelta(seconds=5)),  # logged late, same view
        shown("c", 1, view="late", at=cut),
    ]
    before, after = time_split(logged, cut)
    assert [i.module_id for i in before] == ["a", "b"]
    assert [i.module_id for i in after] == ["c"]


# -- (b) off-policy estimates against the truth ---------------------------------------------------
def test_off_policy_estimates_cover_the_simulators_true_value_of_a_candidate(history):
    # The candidate: the serving model, had it trusted what it learned twice as much.
    candidate = LearnedRanker(blend=16.0).fit(
        history.catalog, history.v1_views, today=history.today
    )
    rank = lambda c: candidate.rank(c, today=history.today)  # noqa: E731
    truth = history.simulator.policy_values(
        lambda c, _: rank(c), history.simulator.contexts(1000, 50), None
    ).mean()

    found = off_policy_estimates(
        history.held_out,  # logged by the exploring first learner
        rank,
        examination=history.learner.examination_,  # measured on the training part
        reward_model=lambda c, ids: history.learner.predict_usefulness(c, ids, today=history.today),
    )
    for name in ("ips", "snips", "dr"):
        estimate = getattr(found, name)
        print(
            f"{name}: {estimate.estimate:.3f} ± {estimate.half_width:.3f} (truth {truth:.3f}, "
            f"error {estimate.estimate - truth:+.3f})"
        )
        assert truth in estimate, name
        assert estimate.half_width < 0.15 * truth, name  # narrow enough to mean something
    assert found.views == 1200


def test_offline_metrics_on_a_time_split_score_the_learner_above_tags_alone(history):
    held_out = [i for i in history.held_out if int(i.view_id.rsplit("-", 1)[1]) < 1600]
    catalog_ids = [m.module_id for m in history.catalog]
    deep = dict(today=history.today, k_client_facing=10, k_internal=10)
    v1 = offline_ranking_metrics(lambda c: history.v1.rank(c, **deep), held_out, catalog_ids)
    learned = offline_ranking_metrics(
        lambda c: history.learner.rank(c, **deep), held_out, catalog_ids
    )
    print(f"v1 {v1}\nlearned {learned}")
    assert learned.ndcg_at_5 > v1.ndcg_at_5
    assert learned.recall_at_10 > v1.recall_at_10
    assert 0 < v1.coverage < 1 and 0 < learned.coverage < 1

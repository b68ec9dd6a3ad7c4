"""The pruned LearnedRanker learns and ranks exactly as the previous implementation did.

Same coefficients and module effects from the same history (the features are the same floats),
and the same lists, scores, reasons and exploratory picks for the same random draws, on a catalog
large enough that most modules are never scored exactly, with recently published modules so
that the new-module share of exploration is exercised too. Propensities agree to 1e-12: the
linear predictor is now summed feature by feature (the same float for a module whichever
others are scored with it) where the previous code let BLAS sum it, so the last bit can differ.
"""
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from recommender import learned_scoring
from recommender._previous.learning import LearnedRanker as PreviousLearnedRanker
from recommender.learned_scoring import ContextView
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.synthetic import synthetic_catalog

SEED = 21


@pytest.fixture(scope="module")
def fitted():
    catalog = [
        replace(m, published_on=TODAY - timedelta(days=n % 90)) if n % 7 == 0 else m
        for n, m in enumerate(synthetic_catalog(2_500, SEED))
    ]
    return fitted_both(catalog, views=500)


def fitted_both(catalog, views: int):
    """(simulator, this ranker, the previous one), both fitted on the same ``views`` simulated
    panel views logged by v1."""
    simulator = DealSimulator(catalog, SEED, today=TODAY)
    v1 = TagTextRanker().fit(catalog)
    logged = simulator.log_sessions(
        lambda c, r: v1.rank(c, today=TODAY), simulator.contexts(views, 1),
        np.random.default_rng(SEED), start=datetime(2026, 9, 1, 9),
    )  # fmt: skip
    # The previous ranker read votes only as the reward: compared without sinking rejected
    # modules (test_learning.py holds what sinking does).
    now = LearnedRanker(sink_rejected=False).fit(catalog, logged, today=TODAY)
    before = PreviousLearnedRanker().fit(catalog, logged, today=TODAY)
    return simulator, now, before


def test_the_same_history_teaches_the_same_model(fitted):
    _, now, before = fitted
    np.testing.assert_array_equal(now.coef_, before.coef_)
    assert now.intercept_ == before.intercept_
    for name in ("module", "phase", "optimism", "exposure"):
        np.testing.assert_array_equal(getattr(now.effects_, name), getattr(before.effects_, name))
    # (model_version_ differs: it names the parameters, which now include the votes' ones.)


def unversioned(lists) -> list:
    """Both lists' suggestions without the model version (it names the parameters) and the text
    reason (it names shared phrases since issue 14, where the previous ranker named words)."""
    return [replace(s, model_version="",
                    reasons=tuple(r for r in s.reasons if r.dimension not in ("text", "any")))
            for s in lists]


def test_lists_propensities_and_exploratory_picks_are_the_same(fitted):
    simulator, now, before = fitted
    explored = 0
    for n, context in enumerate(simulator.contexts(80, 2)):
        assert unversioned(now.rank(context, today=TODAY)) == unversioned(
            before.rank(context, today=TODAY))
        got = unversioned(now.rank(context, today=TODAY, rng=np.random.default_rng(n)))
        expected = unversioned(before.rank(context, today=TODAY, rng=np.random.default_rng(n)))
        assert [replace(s, propensity=0.0) for s in got] == [
            replace(s, propensity=0.0) for s in expected
        ]
        np.testing.assert_allclose(
            [s.propensity for s in got], [s.propensity for s in expected], rtol=1e-12
        )
        explored += any(s.explored for s in got)
    assert explored > 5  # the exploratory pool was drawn from, not only skipped


def test_the_usefulness_model_predicts_the_same(fitted):
    simulator, now, before = fitted
    ids = list(now.base_.module_ids_[::37])
    for context in simulator.contexts(10, 3):
        np.testing.assert_allclose(
            now.predict_usefulness(context, ids, today=TODAY),
            before.predict_usefulness(context, ids, today=TODAY),
            rtol=1e-12,
        )


@pytest.fixture(scope="module")
def fitted_large():
    """Lists of several thousand modules: the heads and the exploratory pool score only the
    modules their bounds keep (below 1,024 a list is scored whole)."""
    return fitted_both(synthetic_catalog(12_000, SEED), views=150)


@pytest.mark.parametrize("text_first_above", [None, 0])
def test_exploratory_picks_from_pruned_lists_are_the_same(fitted_large, monkeypatch,
                                                          text_first_above):
    """Also with every module the sketch keeps given its exact text first (``tightest``), which
    the default threshold does only past a few hundred: that stage leaves out nothing that
    could reach a list."""
    simulator, now, before = fitted_large
    first = []
    if text_first_above is not None:
        tightest = ContextView.tightest
        monkeypatch.setattr(ContextView, "tightest", lambda view, positions: first.append(
            len(positions)) or tightest(view, positions))
        monkeypatch.setattr(learned_scoring, "_TEXT_FIRST_ABOVE", text_first_above)
    explored = 0
    for n, context in enumerate(simulator.contexts(40, 4)):
        got = unversioned(now.rank(context, today=TODAY, rng=np.random.default_rng(n)))
        expected = unversioned(before.rank(context, today=TODAY, rng=np.random.default_rng(n)))
        assert [(s.module_id, s.explored) for s in got] == [
            (s.module_id, s.explored) for s in expected]
        np.testing.assert_allclose(
            [s.propensity for s in got], [s.propensity for s in expected], rtol=1e-12
        )
        explored += sum(s.explored for s in got)
    assert explored > 10
    if text_first_above is not None:
        assert sum(first) > 500 and max(first) > 100, first  # whole heads went through it

"""The indexed, pruned TagTextRanker ranks exactly as the previous implementation did.

``recommender._previous`` is the ranker before the big-catalog work, kept verbatim. Same lists,
same scores, same reasons (but the text reason, which names shared phrases since issue 14 where
the previous ranker named single words) and breakdowns: on the random catalogs of the naive cross-check (ties,
exclusions and empty texts are common there), and on a synthetic catalog large enough that most
modules are pruned before their text is scored.
"""
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given

from recommender._previous.ranker import TagTextRanker as PreviousRanker
from recommender.ranker import TagTextRanker
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog, synthetic_contexts
from recommender.weights import ScoringWeights
from tests.recommender.random_catalogs import PROPERTY, TODAY, catalogs, contexts


def comparable(ranked) -> list:
    """The suggestions without their text reason (nor the "any" one that stands in for it when
    the texts share words but no phrase)."""
    return [replace(s, reasons=tuple(r for r in s.reasons if r.dimension not in ("text", "any")))
            for s in ranked]


@PROPERTY
@given(catalog=catalogs(), context=contexts)
def test_small_random_catalogs_rank_exactly_as_before(catalog, context):
    now = TagTextRanker().fit(catalog)
    before = PreviousRanker().fit(catalog)
    for k_client, k_internal in ((5, 3), (1, 0), (20, 20)):
        kwargs = dict(today=TODAY, k_client_facing=k_client, k_internal=k_internal)
        assert comparable(now.rank(context, **kwargs)) == comparable(
            before.rank(context, **kwargs))


@PROPERTY
@given(catalog=catalogs(), context=contexts)
def test_scores_of_every_module_are_the_same_floats_as_before(catalog, context):
    now = TagTextRanker().fit(catalog).score_catalog(context, TODAY)
    before = PreviousRanker().fit(catalog).score_catalog(context, TODAY)
    np.testing.assert_array_equal(now.total, before.total)
    np.testing.assert_array_equal(now.excluded, before.excluded)
    assert now.contributions.keys() == before.contributions.keys()
    for dim, values in before.contributions.items():
        np.testing.assert_array_equal(now.contributions[dim], values)


@pytest.fixture(scope="module")
def large():
    catalog = synthetic_catalog(3_000, 11)
    return TagTextRanker().fit(catalog), PreviousRanker().fit(catalog)


def test_a_large_catalog_ranks_exactly_as_before(large):
    now, before = large
    for context in synthetic_contexts(60, 11):
        for day in (REFERENCE_DAY, date(2027, 6, 1)):  # a later day: more modules past review
            kwargs = dict(today=day, k_client_facing=5, k_internal=3)
            assert comparable(now.rank(context, **kwargs)) == comparable(
            before.rank(context, **kwargs))


def test_scoring_some_modules_gives_the_floats_of_scoring_them_all(large):
    now, _ = large
    rows = np.random.default_rng(3).choice(len(now.module_ids_), 200, replace=False)
    for context in synthetic_contexts(10, 12):
        every = now.score_catalog(context, REFERENCE_DAY)
        some = now.score_modules(context, REFERENCE_DAY, np.sort(rows))
        np.testing.assert_array_equal(some.total, every.total[np.sort(rows)])
        np.testing.assert_array_equal(some.excluded, every.excluded[np.sort(rows)])


def test_eligible_modules_are_exactly_those_not_excluded(large):
    now, _ = large
    for context in synthetic_contexts(20, 13):
        every = now.score_catalog(context, REFERENCE_DAY)
        np.testing.assert_array_equal(
            now.eligible_modules(context, REFERENCE_DAY), np.flatnonzero(~every.excluded)
        )


def test_custom_weights_with_a_negative_text_weight_still_rank_as_before():
    catalog = synthetic_catalog(1_200, 14)
    weights = ScoringWeights(text_weight=-3.0, any_factor=0.3, conflict_penalty=0.7)
    now, before = TagTextRanker(weights).fit(catalog), PreviousRanker(weights).fit(catalog)
    for context in synthetic_contexts(30, 14):
        assert comparable(now.rank(context, today=REFERENCE_DAY)) == comparable(
            before.rank(context, today=REFERENCE_DAY))

"""The vectorised ranker against the plain-loop restatement of the rules, on random catalogs
(``tests/recommender/random_catalogs.py`` says what they are made of)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import TagTextRanker
from recommender.naive import NaiveRanker
from recommender.types import CLIENT_FACING, DIMENSIONS, INTERNAL
from tests.recommender.random_catalogs import PROPERTY, TODAY, catalogs, contexts


@settings(PROPERTY, max_examples=250)
@given(catalog=catalogs(), context=contexts)
def test_vectorised_scores_equal_the_plain_loop(catalog, context):
    vectorised = TagTextRanker().fit(catalog).scores(context, TODAY)
    naive = NaiveRanker().fit(catalog).scores(context, TODAY)
    assert set(vectorised) == set(naive)
    for module_id, score in naive.items():
        assert abs(vectorised[module_id] - score) <= 1e-9, module_id


@PROPERTY
@given(catalog=catalogs(), context=contexts, k_client=st.integers(0, 6), k_internal=st.integers(0, 4))
def test_rank_returns_the_top_k_of_each_audience_best_first(catalog, context, k_client, k_internal):
    ranker = TagTextRanker().fit(catalog)
    scores = ranker.scores(context, TODAY)
    audience = {c.module_id: c.audience for c in catalog}

    ranked = ranker.rank(context, today=TODAY, k_client_facing=k_client, k_internal=k_internal)

    for suggestions, wanted, k in ((ranked.client_facing, CLIENT_FACING, k_client), (ranked.internal, INTERNAL, k_internal)):
        eligible = [m for m in scores if audience[m] == wanted]
        expected = sorted(eligible, key=lambda m: (-scores[m], m))[:k]
        assert [s.module_id for s in suggestions] == expected
        assert [s.rank for s in suggestions] == list(range(1, len(expected) + 1))
        assert all(s.audience == wanted for s in suggestions)


@PROPERTY
@given(catalog=catalogs(), context=contexts)
def test_breakdown_accounts_for_the_whole_score(catalog, context):
    ranked = TagTextRanker().fit(catalog).rank(context, today=TODAY, k_client_facing=20, k_internal=20)
    for suggestion in ranked:
        assert set(suggestion.breakdown) <= set(DIMENSIONS) | {"text"}
        assert abs(sum(suggestion.breakdown.values()) - suggestion.score) <= 1e-3

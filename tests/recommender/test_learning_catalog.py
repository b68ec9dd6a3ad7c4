"""LearnedRanker.with_catalog: a stored model keeps serving while the catalog changes under it."""
from __future__ import annotations

import dataclasses

import numpy as np

from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.synthetic import synthetic_catalog, synthetic_contexts


def ids(suggestions) -> list[str]:
    return [s.module_id for s in suggestions]


def test_on_its_own_catalog_the_adapted_ranker_ranks_exactly_as_the_original(history):
    adapted = history.learner.with_catalog(history.catalog)
    for seed, context in enumerate(history.simulator.contexts(30, 21)):
        assert adapted.rank(context, today=TODAY) == history.learner.rank(context, today=TODAY)
        explored = adapted.rank(context, today=TODAY, rng=np.random.default_rng(seed))
        original = history.learner.rank(context, today=TODAY, rng=np.random.default_rng(seed))
        assert explored == original


def test_a_module_published_after_training_is_served_and_explored_as_new(history):
    new = history.new_module  # published yesterday; the learner was fitted without it
    adapted = history.learner.with_catalog([*history.catalog, new])
    index = {m: n for n, m in enumerate(adapted.base_.module_ids_)}
    old_index = {m: n for n, m in enumerate(history.learner.base_.module_ids_)}

    assert adapted.effects_.module[index[new.module_id]] == 1.0
    assert adapted.effects_.exposure[index[new.module_id]] == 0.0
    assert (adapted.effects_.phase[index[new.module_id]] == 1.0).all()
    for module_id in list(old_index)[:50]:
        assert adapted.effects_.module[index[module_id]] == (
            history.learner.effects_.module[old_index[module_id]]
        )
    np.testing.assert_array_equal(adapted.coef_, history.learner.coef_)
    assert adapted.model_version_ == history.learner.model_version_

    rng, shown, explored = np.random.default_rng(4), 0, 0
    for context in history.simulator.contexts(400, 22):
        for s in adapted.rank(context, today=TODAY, rng=rng).client_facing:
            shown += s.module_id == new.module_id
            explored += s.module_id == new.module_id and s.explored
    assert explored > 0  # it gets exploratory slots, as a new module should
    assert shown > 0


def test_a_module_retired_after_training_is_never_served(history):
    context = history.simulator.contexts(1, 23)[0]
    first = history.learner.rank(context, today=TODAY).client_facing[0].module_id
    remaining = [c for c in history.catalog if c.module_id != first]
    adapted = history.learner.with_catalog(remaining)

    rng = np.random.default_rng(5)
    for _ in range(50):
        found = adapted.rank(context, today=TODAY, rng=rng)
        assert first not in ids(found)
        assert len(found.client_facing) == 5


def test_adapting_leaves_the_stored_model_as_it_was(history):
    before = history.learner.base_.module_ids_.copy()
    history.learner.with_catalog(history.catalog[:100])
    np.testing.assert_array_equal(history.learner.base_.module_ids_, before)
    assert len(history.learner.effects_.module) == len(before)


def test_a_model_fitted_without_history_serves_v1_of_the_new_catalog():
    catalog = synthetic_catalog(120, 12)
    adapted = LearnedRanker().fit(catalog[:80], [], today=TODAY).with_catalog(catalog)
    v1 = TagTextRanker().fit(catalog)
    for context in synthetic_contexts(20, 12):
        got = adapted.rank(context, today=TODAY, rng=np.random.default_rng(0))
        expected = v1.rank(context, today=TODAY)
        assert [dataclasses.replace(s, model_version="v1") for s in got] == list(expected)

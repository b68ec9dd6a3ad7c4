"""A score's breakdown in words: which ranking rule gave each dimension its points."""
from __future__ import annotations

from dataclasses import fields, replace

import pytest

from content_catalog.modules import ContentModule
from content_catalog.taxonomy import Dimension
from plugin.ranking.context_mapping import map_context
from plugin.panel.suggestions import RecommendationService
from plugin.ranking.candidates import candidate_from_module, tag_labels
from plugin.panel.score_explanation import Match, explain
from recommender import ScoringWeights, TagTextRanker

WEIGHTS = ScoringWeights()


def explained(module, taxonomy, today, **context):
    """Rank ``module`` alone for the context and explain its breakdown, as the preview does."""
    mapped = map_context(taxonomy, **context).context
    ranker = TagTextRanker(WEIGHTS, tag_labels(taxonomy)).fit([candidate_from_module(module)])
    suggestion = ranker.rank(mapped, today=today).client_facing[0]
    card = RecommendationService._card(suggestion, {module.key: stored(module)})
    return {row.dimension: row for row in explain(card, mapped, module, WEIGHTS, taxonomy)}


def stored(module):
    return ContentModule(**{f.name: getattr(module, f.name) for f in fields(module)})


def test_each_rule_is_named_and_its_points_are_the_rankers(module_factory, taxonomy, today):
    module = module_factory(
        "m",
        body="audit costs",
        tags={"journey_phase": "buying", "buyer_role": "Evaluator", "deal_stage": "Prospecting"},
    )
    rows = explained(
        module, taxonomy, today, stage="Proposal/Price Quote", industry="Healthcare",
        buyer_roles=["Economic Buyer", "Evaluator"], text="audit costs",
    )  # fmt: skip

    assert (rows["journey_phase"].match, rows["journey_phase"].points) == (Match.EXACT, 3.0)
    assert (rows["buyer_role"].match, rows["buyer_role"].points) == (Match.OTHER_ROLE, 1.5)
    assert (rows["industry"].match, rows["industry"].points) == (Match.ANY, 0.625)
    assert (rows["deal_stage"].match, rows["deal_stage"].points) == (Match.PENALTY, -0.75)
    assert (rows["challenge"].match, rows["challenge"].points) == (Match.NO_VALUE, 0.0)
    assert rows["text"].match is Match.TEXT and rows["text"].points > 0


def test_the_explanations_say_the_rule_in_words(module_factory, taxonomy, today):
    module = module_factory("m", tags={"buyer_role": "Economic Buyer", "deal_stage": "Prospecting"})
    rows = explained(
        module,
        taxonomy,
        today,
        stage="Proposal/Price Quote",
        buyer_roles=["Economic Buyer", "Evaluator"],
    )

    assert rows["buyer_role"].opportunity == "Economic Buyer (primary), Evaluator"
    assert "full weight" in rows["buyer_role"].explanation
    assert rows["journey_phase"].module_tags == "Any"
    assert "fits every one, but weakly: 0.25 × 3" in rows["journey_phase"].explanation
    assert "ranked down: −0.5 × 1.5" in rows["deal_stage"].explanation
    assert (
        rows["industry"].explanation
        == "The opportunity has no industry, so this counts neither way."
    )
    assert rows["text"].explanation.startswith("The opportunity has no description")


def test_rows_follow_the_rankers_dimension_order_then_text(module_factory, taxonomy, today):
    rows = list(explained(module_factory("m"), taxonomy, today, stage="Prospecting"))
    assert rows == [*(d.value for d in (
        Dimension.JOURNEY_PHASE, Dimension.BUYER_ROLE, Dimension.INDUSTRY,
        Dimension.DEAL_STAGE, Dimension.CHALLENGE, Dimension.DEAL_SIZE,
    )), "text"]  # fmt: skip


def test_the_learned_rankers_points_get_a_row_of_their_own(module_factory, taxonomy, today):
    module = module_factory("m", tags={"journey_phase": "buying"})
    mapped = map_context(taxonomy, stage="Proposal/Price Quote").context
    ranker = TagTextRanker(WEIGHTS, tag_labels(taxonomy)).fit([candidate_from_module(module)])
    suggestion = ranker.rank(mapped, today=today).client_facing[0]
    for learned, words in ((4.5, "more often"), (-2.0, "less often"), (0.0, "about as often")):
        card = RecommendationService._card(suggestion, {module.key: stored(module)})
        card = replace(card, breakdown={**card.breakdown, "learned": learned},
                       model_version="learned-abc")
        rows = explain(card, mapped, module, WEIGHTS, taxonomy)
        assert sum(row.points for row in rows) == pytest.approx(sum(card.breakdown.values()))
        last = rows[-1]
        assert (last.dimension, last.match, last.points) == ("learned", Match.LEARNED, learned)
        assert words in last.explanation and "learned-abc" in last.explanation


def test_a_v1_score_has_no_learned_row(module_factory, taxonomy, today):
    rows = explained(module_factory("m"), taxonomy, today, stage="Prospecting")
    assert "learned" not in rows

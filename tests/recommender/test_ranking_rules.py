"""The scoring rules of ``recommender.weights``, one behaviour at a time, through TagTextRanker."""
import pickle
import random
from datetime import date, timedelta

import pytest

from recommender import (
    CandidateModule,
    ConflictPolicy,
    OpportunityContext,
    Reason,
    ScoringWeights,
    TagTextRanker,
)
from recommender.ranker import NotFittedError
from recommender.types import CLIENT_FACING, INTERNAL

TODAY = date(2026, 6, 15)
UNKNOWN_INDUSTRY = "Space Mining"


def module(module_id, *, text="", audience=CLIENT_FACING, review_by=None, **tags) -> CandidateModule:
    """A candidate; tags as keyword arguments, one value or a tuple of values per dimension."""
    tags = {dim: (values,) if isinstance(values, str) else tuple(values) for dim, values in tags.items()}
    return CandidateModule(module_id, text, audience, tags, review_by)


def rank(catalog, context, *, weights=None, k=10, labels=None):
    ranker = TagTextRanker(weights or ScoringWeights(), labels).fit(catalog)
    return ranker.rank(context, today=TODAY, k_client_facing=k, k_internal=k)


def ranked_ids(catalog, context, **kwargs) -> list[str]:
    return [s.module_id for s in rank(catalog, context, **kwargs)]


def by_id(catalog, context, **kwargs):
    return {s.module_id: s for s in rank(catalog, context, **kwargs)}


# -- eligibility --------------------------------------------------------------------------------
def test_expired_review_date_is_never_suggested():
    catalog = [
        module("expired", industry="Banking", text="audit", review_by=TODAY - timedelta(days=1)),
        module("due-today", review_by=TODAY),
        module("no-review-date"),
    ]
    context = OpportunityContext(industry="Banking", text="audit")
    assert ranked_ids(catalog, context) == ["due-today", "no-review-date"]
    assert "expired" not in TagTextRanker().fit(catalog).scores(context, TODAY)


def test_conflicting_industry_excludes_module():
    catalog = [
        module("a-healthcare", industry="Healthcare", text="hospital audit compliance"),
        module("b-banking", industry="Banking"),
        module("c-any-industry"),
    ]
    context = OpportunityContext(industry="Banking", text="hospital audit compliance")
    assert ranked_ids(catalog, context) == ["b-banking", "c-any-industry"]


def test_conflicting_journey_phase_excludes_module():
    catalog = [
        module("awareness-teaser", journey_phase="awareness"),
        module("adoption-guide", journey_phase=("buying", "implementation_adoption")),
        module("evergreen"),
    ]
    context = OpportunityContext(journey_phase="implementation_adoption")
    assert ranked_ids(catalog, context) == ["adoption-guide", "evergreen"]


def test_module_tagged_with_several_values_matches_any_of_them():
    catalog = [module("multi", industry=("Healthcare", "Banking")), module("single", industry="Banking")]
    scores = TagTextRanker().fit(catalog).scores(OpportunityContext(industry="Banking"), TODAY)
    assert scores["multi"] == scores["single"]


@pytest.mark.parametrize(
    ("dimension", "wanted", "other"),
    [
        ("buyer_role", "Economic Buyer", "Technical Buyer"),
        ("deal_stage", "Negotiation/Review", "Prospecting"),
        ("challenge", "efficiency", "growth"),
        ("deal_size", "large", "small"),
    ],
)
def test_conflict_on_a_soft_dimension_is_penalised_not_excluded(dimension, wanted, other):
    catalog = [
        module("a-conflict", **{dimension: other}),
        module("b-any"),
        module("c-exact", **{dimension: wanted}),
    ]
    field = {"buyer_role": "buyer_roles", "deal_stage": "stage"}.get(dimension, dimension)
    value = (wanted,) if dimension == "buyer_role" else wanted
    suggestions = by_id(catalog, OpportunityContext(**{field: value}))

    assert list(suggestions) == ["c-exact", "b-any", "a-conflict"]
    assert suggestions["a-conflict"].breakdown[dimension] < 0 < suggestions["b-any"].breakdown[dimension]


def test_exclusion_is_a_policy_that_can_be_relaxed():
    weights = ScoringWeights(conflict_policies={"industry": ConflictPolicy.PENALISE})
    catalog = [module("a-healthcare", industry="Healthcare"), module("b-any")]
    assert ranked_ids(catalog, OpportunityContext(industry="Banking"), weights=weights) == ["b-any", "a-healthcare"]


# -- tag matches ----------------------------------------------------------------------------------
def test_exact_tag_outranks_any():
    # The ids would put the generic module first on a tie: only the exact match can lift "z".
    catalog = [module("a-generic"), module("z-exact", challenge="growth")]
    assert ranked_ids(catalog, OpportunityContext(challenge="growth")) == ["z-exact", "a-generic"]


def test_untagged_dimension_matches_weakly_as_any():
    catalog = [module("exact", industry="Banking"), module("generic")]
    suggestions = by_id(catalog, OpportunityContext(industry="Banking"))
    assert 0 < suggestions["generic"].breakdown["industry"] < suggestions["exact"].breakdown["industry"]


def test_tag_contributions_follow_the_documented_weights():
    weights = ScoringWeights(
        dimension_weights={"challenge": 2.0},
        conflict_policies={"challenge": ConflictPolicy.PENALISE},
        any_factor=0.25,
        conflict_penalty=0.5,
    )
    catalog = [module("exact", challenge="growth"), module("any"), module("conflict", challenge="efficiency")]
    scores = TagTextRanker(weights).fit(catalog).scores(OpportunityContext(challenge="growth"), TODAY)
    assert scores == {"exact": 2.0, "any": 0.5, "conflict": -1.0}


def test_missing_context_value_neither_rewards_nor_penalises():
    catalog = [module("b-banking", industry="Banking"), module("a-any"), module("c-healthcare", industry="Healthcare")]
    suggestions = by_id(catalog, OpportunityContext(stage="Prospecting"))
    assert list(suggestions) == ["a-any", "b-banking", "c-healthcare"]  # a tie, broken by id
    assert all("industry" not in s.breakdown for s in suggestions.values())
    assert len({s.score for s in suggestions.values()}) == 1


def test_unknown_crm_value_matches_no_tag():
    """An industry the taxonomy does not know is no industry a module is tagged with."""
    catalog = [module("banking", industry="Banking"), module("generic")]
    assert ranked_ids(catalog, OpportunityContext(industry=UNKNOWN_INDUSTRY)) == ["generic"]


def test_primary_role_match_scores_above_secondary():
    context = OpportunityContext(buyer_roles=("Economic Buyer", "Technical Buyer"))
    catalog = [
        module("a-technical", buyer_role="Technical Buyer"),
        module("b-economic", buyer_role="Economic Buyer"),
        module("c-any-role"),
        module("d-influencer", buyer_role="Influencer"),
    ]
    assert ranked_ids(catalog, context) == ["b-economic", "a-technical", "c-any-role", "d-influencer"]


def test_module_for_primary_and_secondary_roles_counts_as_a_primary_match():
    context = OpportunityContext(buyer_roles=("Economic Buyer", "Technical Buyer"))
    catalog = [module("both", buyer_role=("Technical Buyer", "Economic Buyer")), module("primary", buyer_role="Economic Buyer")]
    scores = TagTextRanker().fit(catalog).scores(context, TODAY)
    assert scores["both"] == scores["primary"]


def test_unknown_primary_role_leaves_the_known_roles_as_secondary_matches():
    context = OpportunityContext(buyer_roles=("Chief Wizard", "Technical Buyer"))
    catalog = [module("technical", buyer_role="Technical Buyer"), module("economic", buyer_role="Economic Buyer"), module("any")]
    suggestions = by_id(catalog, context)
    assert list(suggestions) == ["technical", "any", "economic"]
    exact_weight = ScoringWeights().weight("buyer_role")
    assert suggestions["technical"].breakdown["buyer_role"] < exact_weight


# -- text -----------------------------------------------------------------------------------------
def test_text_similarity_breaks_tag_ties():
    catalog = [
        module("a-pricing", industry="Banking", text="Pricing negotiation tactics for discounts"),
        module("b-audit", industry="Banking", text="Audit readiness checklist and evidence collection"),
    ]
    assert ranked_ids(catalog, OpportunityContext(industry="Banking")) == ["a-pricing", "b-audit"]
    with_text = OpportunityContext(industry="Banking", text="They fear the next audit; evidence is scattered.")
    assert ranked_ids(catalog, with_text) == ["b-audit", "a-pricing"]


def test_text_does_not_override_an_exclusion():
    catalog = [module("healthcare", industry="Healthcare", text="audit audit audit"), module("generic")]
    assert ranked_ids(catalog, OpportunityContext(industry="Banking", text="audit")) == ["generic"]


def test_catalog_of_stop_words_only_still_ranks_by_tags():
    catalog = [module("a", text="the and of"), module("b", text="", challenge="growth")]
    suggestions = by_id(catalog, OpportunityContext(challenge="growth", text="and the"))
    assert list(suggestions) == ["b", "a"]
    assert all("text" not in s.breakdown for s in suggestions.values())


# -- order and lists ------------------------------------------------------------------------------
def test_order_is_deterministic_with_ties_broken_by_id():
    ids = ["m3", "m10", "m1", "m2", "m20", "a"]
    expected = sorted(ids)  # plain string order: "m10" before "m2"
    context = OpportunityContext(industry="Banking", text="anything")
    for seed in range(5):
        shuffled = ids[:]
        random.Random(seed).shuffle(shuffled)
        catalog = [module(i, industry="Banking", text="same words") for i in shuffled]
        assert ranked_ids(catalog, context) == expected
        assert ranked_ids(catalog, context, k=2) == expected[:2]


def test_results_are_split_by_audience_and_capped():
    catalog = [module(f"client-{i}") for i in range(4)] + [module(f"internal-{i}", audience=INTERNAL) for i in range(4)]
    ranked = TagTextRanker().fit(catalog).rank(OpportunityContext(), today=TODAY, k_client_facing=3, k_internal=2)
    assert [s.module_id for s in ranked.client_facing] == ["client-0", "client-1", "client-2"]
    assert [s.module_id for s in ranked.internal] == ["internal-0", "internal-1"]
    assert [s.rank for s in ranked.client_facing] == [1, 2, 3]
    assert [s.rank for s in ranked.internal] == [1, 2]
    assert {s.audience for s in ranked.internal} == {INTERNAL}
    empty = TagTextRanker().fit(catalog).rank(OpportunityContext(), today=TODAY, k_client_facing=0, k_internal=0)
    assert list(empty) == []


def test_empty_catalog_suggests_nothing():
    assert list(rank([], OpportunityContext(industry="Banking", text="audit"))) == []


# -- reasons --------------------------------------------------------------------------------------
def test_reasons_name_matched_tags_and_text_phrases():
    labels = {"journey_phase": {"buying": "Buying phase"}, "challenge": {"efficiency": "Efficiency"}}
    catalog = [
        module(
            "audit-kit",
            text="Audit readiness checklist for compliance teams",
            journey_phase="buying",
            buyer_role="Technical Buyer",
            industry="Banking",
            challenge="growth",  # conflicts: must not be named
        )
    ]
    context = OpportunityContext(
        journey_phase="buying",
        buyer_roles=("Economic Buyer", "Technical Buyer"),
        industry="Banking",
        challenge="efficiency",
        deal_size="large",  # the module is untagged here: matches as "any", not worth naming
        text="Compliance teams want audit readiness next quarter",
    )
    (suggestion,) = rank(catalog, context, labels=labels)
    assert suggestion.reasons[:3] == (
        Reason("journey_phase", "Buying phase"),
        Reason("buyer_role", "Technical Buyer"),
        Reason("industry", "Banking"),
    )
    text_reason = suggestion.reasons[3]
    assert text_reason.dimension == "text"
    assert text_reason.label.startswith("mentions ")
    assert "'audit readiness'" in text_reason.label and "'compliance teams'" in text_reason.label
    assert len(suggestion.reasons) == 4
    assert suggestion.reason_text.startswith("Buying phase · Technical Buyer · Banking · mentions ")


def test_text_reason_names_at_most_the_configured_number_of_phrases():
    catalog = [module("kit", text="audit compliance evidence retention")]
    context = OpportunityContext(text="audit compliance evidence retention")
    for limit in (1, 3):
        (suggestion,) = rank(catalog, context, weights=ScoringWeights(text_terms_in_reason=limit))
        assert suggestion.reasons[0].label.count("'") == 2 * limit


def test_module_that_matches_only_as_any_gets_a_generic_reason():
    (suggestion,) = rank([module("evergreen")], OpportunityContext(industry="Banking", text="audit"))
    assert [r.dimension for r in suggestion.reasons] == ["any"]


# -- the estimator ------------------------------------------------------------------------------
def test_ranking_before_fit_is_an_error():
    with pytest.raises(NotFittedError):
        TagTextRanker().rank(OpportunityContext(), today=TODAY)


def test_refitting_forgets_the_previous_catalog():
    ranker = TagTextRanker().fit([module("old", text="audit")])
    assert ranker.fit([module("new", text="pricing")]) is ranker
    assert list(ranker.scores(OpportunityContext(text="audit"), TODAY)) == ["new"]


def test_fitted_ranker_survives_pickling():
    catalog = [module("a", text="audit evidence", industry="Banking"), module("b", text="pricing")]
    context = OpportunityContext(industry="Banking", text="audit")
    ranker = TagTextRanker().fit(catalog)
    copy = pickle.loads(pickle.dumps(ranker))
    assert copy.scores(context, TODAY) == ranker.scores(context, TODAY)


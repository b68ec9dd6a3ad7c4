"""A stuck deal's cards reordered by stage-advance evidence: same cards, the proven module
first with its reason, propensities logged; unchanged without enough deals in the stage."""
from __future__ import annotations

import numpy as np

from plugin.deals.stage_evidence import StageEvidence
from plugin.panel.stuck_ranking import stage_advance_cards
from plugin.panel.suggestions import PanelSuggestions, SuggestionCard
from recommender.stage_advance import StageAdvanceEvidence, StageBaseline


def card(module_id: str, rank: int, score: float) -> SuggestionCard:
    return SuggestionCard(module_id, module_id.title(), "", "case_study", "Case study",
                          "client_facing", "", None, ("Buying phase",), score, rank,
                          {"phase": score}, propensity=1.0)


LISTS = PanelSuggestions((card("a", 1, 30.0), card("b", 2, 29.0), card("c", 3, 28.0)), ())
PROVEN = {m: StageAdvanceEvidence(m, 20, k) for m, k in (("a", 5), ("b", 5), ("c", 18))}


def test_the_module_used_in_deals_that_moved_on_goes_first_with_its_reason():
    ordered = stage_advance_cards(LISTS, StageEvidence(StageBaseline(60, 20), PROVEN),
                                  rng=np.random.default_rng(1), explore=False)
    assert [c.module_id for c in ordered.client_facing] == ["c", "a", "b"]
    assert [c.rank for c in ordered.client_facing] == [1, 2, 3]
    first = ordered.client_facing[0]
    assert first.reasons[0] == "Buying phase"
    assert first.reasons[-1].startswith("used in 20 deals at this stage, 18 moved on")
    assert all(0 < c.propensity <= 1 for c in ordered.client_facing)


def test_a_stage_with_too_few_deals_or_no_evidence_leaves_the_cards_as_they_were():
    few = stage_advance_cards(LISTS, StageEvidence(StageBaseline(5, 2), PROVEN),
                              rng=np.random.default_rng(1))
    assert few == LISTS
    assert stage_advance_cards(LISTS, None, rng=np.random.default_rng(1)) == LISTS

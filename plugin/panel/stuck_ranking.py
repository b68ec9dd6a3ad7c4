"""A stuck deal's cards reordered by ``recommender.stage_advance``: content used in this org's
deals that moved on from the stage first, each move logged in the card's propensity."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from plugin.deals.stage_evidence import StageEvidence
from plugin.panel.suggestions import PanelSuggestions, SuggestionCard
from recommender.stage_advance import StageAdvancePolicy, stage_advance_order
from recommender.types import Reason, Recommendations, Suggestion

_SHOWN_REASON = "shown"


def stage_advance_cards(suggestions: PanelSuggestions, evidence: StageEvidence | None, *,
                        rng: np.random.Generator, explore: bool = True) -> PanelSuggestions:
    """The same cards in each list, reordered; unchanged without evidence (or with too few
    deals in the stage, which ``stage_advance_order`` decides). ``explore=False`` for views not
    shown to a rep (the workspace's preview)."""
    if evidence is None or suggestions.from_memory:
        return suggestions
    policy = StageAdvancePolicy() if explore else StageAdvancePolicy(explore=0.0)
    ordered = stage_advance_order(
        Recommendations(tuple(map(_suggestion, suggestions.client_facing)),
                        tuple(map(_suggestion, suggestions.internal))),
        evidence.modules, evidence.baseline, rng=rng, policy=policy)
    return replace(suggestions,
                   client_facing=_cards(suggestions.client_facing, ordered.client_facing),
                   internal=_cards(suggestions.internal, ordered.internal))


def _suggestion(card: SuggestionCard) -> Suggestion:
    return Suggestion(card.module_id, card.score, card.rank, card.audience,
                      tuple(Reason(_SHOWN_REASON, label) for label in card.reasons),
                      card.breakdown, card.propensity, card.explored, card.model_version)


def _cards(cards: tuple[SuggestionCard, ...],
           ordered: tuple[Suggestion, ...]) -> tuple[SuggestionCard, ...]:
    by_module = {card.module_id: card for card in cards}
    return tuple(replace(by_module[s.module_id], rank=s.rank, score=s.score,
                         breakdown=dict(s.breakdown), propensity=s.propensity,
                         explored=s.explored, reasons=tuple(r.label for r in s.reasons))
                 for s in ordered)


__all__ = ["stage_advance_cards"]

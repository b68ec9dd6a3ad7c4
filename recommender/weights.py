"""The one place the scoring rules and weights live (explained in docs/ranking.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping


class ConflictPolicy(StrEnum):
    EXCLUDE = "exclude"
    PENALISE = "penalise"


@dataclass(frozen=True)
class ScoringWeights:
    dimension_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "journey_phase": 3.0,
            "industry": 2.5,
            "buyer_role": 2.0,
            "deal_stage": 1.5,
            "challenge": 1.5,
            "deal_size": 0.5,
        }
    )
    conflict_policies: Mapping[str, ConflictPolicy] = field(
        default_factory=lambda: {
            "journey_phase": ConflictPolicy.EXCLUDE,
            "industry": ConflictPolicy.EXCLUDE,
            "buyer_role": ConflictPolicy.PENALISE,
            "deal_stage": ConflictPolicy.PENALISE,
            "challenge": ConflictPolicy.PENALISE,
            "deal_size": ConflictPolicy.PENALISE,
        }
    )
    any_factor: float = 0.25
    conflict_penalty: float = 0.5
    secondary_role_factor: float = 0.75
    text_weight: float = 4.0
    #: How many words of the text match to name in a reason ("mentions 'audit', 'HIPAA'").
    text_terms_in_reason: int = 2
    #: A text term is named only if it adds at least this much cosine similarity (below it the
    #: shared words are filler such as "runs" or "wants"; measured on the demo org).
    text_term_floor: float = 0.02

    def weight(self, dimension: str) -> float:
        return self.dimension_weights.get(dimension, 0.0)

    def policy(self, dimension: str) -> ConflictPolicy:
        return self.conflict_policies.get(dimension, ConflictPolicy.PENALISE)


DEFAULT_WEIGHTS = ScoringWeights()

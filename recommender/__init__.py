"""What to show: ranks content modules for an opportunity. Pure Python + numpy/scikit-learn.

Nothing here knows Flask, a database or Salesforce; callers hand in plain dataclasses
(:class:`OpportunityContext`, :class:`CandidateModule`) and get :class:`Suggestion` objects back.
"""
from recommender.types import (
    CandidateModule,
    OpportunityContext,
    Reason,
    Recommendations,
    Suggestion,
)
from recommender.weights import ConflictPolicy, ScoringWeights
from recommender.ranker import TagTextRanker

__all__ = [
    "CandidateModule",
    "ConflictPolicy",
    "OpportunityContext",
    "Reason",
    "Recommendations",
    "ScoringWeights",
    "Suggestion",
    "TagTextRanker",
]

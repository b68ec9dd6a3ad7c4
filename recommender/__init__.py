"""What to show: ranks content modules for an opportunity, and learns from what reps did.
Pure Python + numpy/scikit-learn: no Flask, database or Salesforce; plain dataclasses in and out."""
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

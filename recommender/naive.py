"""The scoring rules of :mod:`recommender.weights` as a plain loop over modules: the benchmark's
baseline and an independent restatement the tests hold :class:`TagTextRanker` to."""
from __future__ import annotations

import math
from datetime import date
from typing import Sequence

from recommender.ranker import build_vectorizer
from recommender.types import DIMENSIONS, CandidateModule, OpportunityContext
from recommender.weights import DEFAULT_WEIGHTS, ConflictPolicy, ScoringWeights


class NaiveRanker:
    def __init__(self, weights: ScoringWeights = DEFAULT_WEIGHTS):
        self.weights = weights

    def fit(self, candidates: Sequence[CandidateModule]) -> "NaiveRanker":
        self.candidates_ = list(candidates)
        self.vectorizer_ = build_vectorizer()
        try:
            matrix = self.vectorizer_.fit_transform([c.text for c in self.candidates_]).tocsr()
        except ValueError:  # no candidates, or only stop words: text adds nothing, as in the ranker
            self.vectorizer_ = None
            self.term_weights_ = [{} for _ in self.candidates_]
            return self
        self.term_weights_ = [
            dict(zip(matrix.getrow(i).indices, matrix.getrow(i).data)) for i in range(matrix.shape[0])
        ]
        return self

    def scores(self, context: OpportunityContext, today: date) -> dict[str, float]:
        has_query = self.vectorizer_ is not None and context.text.strip()
        query = self.vectorizer_.transform([context.text]) if has_query else None
        query_terms = dict(zip(query.indices, query.data)) if query is not None else {}
        result = {}
        for module, terms in zip(self.candidates_, self.term_weights_):
            if module.review_by and module.review_by < today:
                continue
            score = self._tag_score(module, context)
            if score is None:
                continue
            cosine = sum(w * terms.get(t, 0.0) for t, w in query_terms.items())
            result[module.module_id] = score + self.weights.text_weight * cosine
        return result

    def top(self, context: OpportunityContext, today: date, k: int) -> list[str]:
        scores = self.scores(context, today)
        return sorted(scores, key=lambda m: (-scores[m], m))[:k]

    def _tag_score(self, module: CandidateModule, context: OpportunityContext) -> float | None:
        """The tag part of the score, or None when a conflict excludes the module."""
        w = self.weights
        score = 0.0
        for dim in DIMENSIONS:
            wanted = context.values(dim)
            if not wanted:
                continue
            tags = set(module.tags.get(dim, ()))
            weight = w.weight(dim)
            if not tags:
                score += weight * w.any_factor
            elif dim == "buyer_role" and wanted[0] in tags:
                score += weight
            elif tags & set(wanted):
                score += weight * (w.secondary_role_factor if dim == "buyer_role" else 1.0)
            elif w.policy(dim) is ConflictPolicy.EXCLUDE:
                return None
            else:
                score -= weight * w.conflict_penalty
        return score if math.isfinite(score) else None

"""Previous implementation, kept for the benchmark and equivalence tests only.

The v1 ranker: weighted tag matches plus TF-IDF text similarity, vectorised over the catalog.

``fit`` turns a catalog snapshot into per-dimension boolean matrices and a TF-IDF matrix once;
``rank`` then scores every module for a context with a handful of numpy operations, so a
10,000-module catalog ranks in a few milliseconds. The rules themselves are in
:mod:`recommender.weights`; :func:`recommender.naive.naive_scores` restates them as a plain loop
and the tests hold the two to the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from recommender.types import (
    CLIENT_FACING,
    DIMENSIONS,
    CandidateModule,
    OpportunityContext,
    Reason,
    Recommendations,
    Suggestion,
)
from recommender.weights import DEFAULT_WEIGHTS, ConflictPolicy, ScoringWeights

#: dimension → value → words a rep reads. Values without a label are shown as they are.
TagLabels = Mapping[str, Mapping[str, str]]

_NO_REVIEW_DATE = np.iinfo(np.int64).max
#: ``_score``'s default: vectorise the context's own text (``score_catalogs`` passes it in).
_VECTORISE = object()


class NotFittedError(RuntimeError):
    """``rank`` was called before ``fit``."""


def build_vectorizer() -> TfidfVectorizer:
    """The text model both rankers share: English stop words, damped term counts."""
    return TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float64)


@dataclass(frozen=True)
class _DimensionIndex:
    vocabulary: Mapping[str, int]
    tagged: np.ndarray  # (n_modules, n_values) bool
    is_any: np.ndarray  # (n_modules,) bool


@dataclass(frozen=True)
class ScoredCatalog:
    """Every module's score for one context, aligned with ``TagTextRanker.module_ids_``."""

    total: np.ndarray
    excluded: np.ndarray
    contributions: Mapping[str, np.ndarray]
    query: sparse.csr_matrix | None


class TagTextRanker:
    """Ranks a catalog snapshot for opportunity contexts, in the scikit-learn manner."""

    def __init__(self, weights: ScoringWeights = DEFAULT_WEIGHTS, labels: TagLabels | None = None):
        self.weights = weights
        self.labels = labels or {}

    # -- learning -------------------------------------------------------------------------------
    def fit(self, candidates: Sequence[CandidateModule]) -> "TagTextRanker":
        ordered = sorted(candidates, key=lambda c: c.module_id)
        self.module_ids_ = np.array([c.module_id for c in ordered], dtype=object)
        self.client_facing_ = np.array([c.audience == CLIENT_FACING for c in ordered], dtype=bool)
        self.review_by_ = np.array(
            [c.review_by.toordinal() if c.review_by else _NO_REVIEW_DATE for c in ordered],
            dtype=np.int64,
        )
        self.dimensions_ = {dim: self._index_dimension(ordered, dim) for dim in DIMENSIONS}
        self.vectorizer_ = build_vectorizer()
        texts = [c.text for c in ordered]
        if any(t.strip() for t in texts):
            try:
                matrix = self.vectorizer_.fit_transform(texts)
            except ValueError:  # every word was a stop word
                matrix = None
        else:
            matrix = None
        self.text_matrix_ = None if matrix is None else sparse.csr_matrix(matrix)
        # Column access for queries (few terms, all modules) is fast on CSC.
        self.text_columns_ = None if matrix is None else sparse.csc_matrix(matrix)
        self.terms_ = None if matrix is None else self.vectorizer_.get_feature_names_out()
        return self

    @staticmethod
    def _index_dimension(ordered: Sequence[CandidateModule], dim: str) -> _DimensionIndex:
        vocabulary: dict[str, int] = {}
        for module in ordered:
            for value in module.tags.get(dim, ()):
                vocabulary.setdefault(value, len(vocabulary))
        tagged = np.zeros((len(ordered), max(len(vocabulary), 1)), dtype=bool)
        for row, module in enumerate(ordered):
            for value in module.tags.get(dim, ()):
                tagged[row, vocabulary[value]] = True
        is_any = ~tagged.any(axis=1)
        return _DimensionIndex(vocabulary, tagged, is_any)

    # -- scoring --------------------------------------------------------------------------------
    def scores(self, context: OpportunityContext, today: date) -> dict[str, float]:
        """Every eligible module's score (for tests, previews and the naive cross-check)."""
        scored = self._score(context, today)
        eligible = np.flatnonzero(~scored.excluded)
        return {self.module_ids_[i]: float(scored.total[i]) for i in eligible}

    def score_catalog(self, context: OpportunityContext, today: date) -> ScoredCatalog:
        """Scores, exclusions and per-dimension contributions of every module, for re-rankers.

        :class:`recommender.learning.LearnedRanker` builds on this rather than on ``rank``: it
        needs the contributions of modules that do not reach the top k.
        """
        return self._score(context, today)

    def score_catalogs(
        self, contexts: Sequence[OpportunityContext], today: date
    ) -> list[ScoredCatalog]:
        """``score_catalog`` for many contexts; their texts are vectorised in one call, which is
        most of the cost of scoring a context against a small catalog."""
        if not hasattr(self, "module_ids_"):
            raise NotFittedError("fit the ranker on a catalog before ranking")
        texts = [c.text for c in contexts]
        vectorise = [n for n, t in enumerate(texts) if t.strip()]
        queries: list[sparse.csr_matrix | None] = [None] * len(texts)
        if self.text_matrix_ is not None and vectorise:
            matrix = sparse.csr_matrix(self.vectorizer_.transform([texts[n] for n in vectorise]))
            for row, n in enumerate(vectorise):
                query = matrix[row]
                queries[n] = query if query.nnz else None
        return [self._score(c, today, q) for c, q in zip(contexts, queries)]

    def explain(
        self, index: int, rank: int, scored: ScoredCatalog, context: OpportunityContext
    ) -> Suggestion:
        """The suggestion (score, reasons, breakdown) for the module at ``index`` in ``scored``."""
        return self._suggest(index, rank, scored, context)

    def rank(
        self,
        context: OpportunityContext,
        *,
        today: date,
        k_client_facing: int = 5,
        k_internal: int = 3,
    ) -> Recommendations:
        """The top modules for ``context``, split by audience, best first, with reasons."""
        scored = self._score(context, today)
        eligible = ~scored.excluded
        client = self._top(scored, eligible & self.client_facing_, k_client_facing)
        internal = self._top(scored, eligible & ~self.client_facing_, k_internal)
        return Recommendations(
            client_facing=tuple(self._suggest(i, rank, scored, context) for rank, i in enumerate(client, 1)),
            internal=tuple(self._suggest(i, rank, scored, context) for rank, i in enumerate(internal, 1)),
        )

    def _score(
        self, context: OpportunityContext, today: date, query: object = _VECTORISE
    ) -> ScoredCatalog:
        if not hasattr(self, "module_ids_"):
            raise NotFittedError("fit the ranker on a catalog before ranking")
        n = len(self.module_ids_)
        total = np.zeros(n)
        excluded = self.review_by_ < today.toordinal()
        contributions: dict[str, np.ndarray] = {}
        for dim in DIMENSIONS:
            values = context.values(dim)
            if not values:
                continue
            contribution, conflict = self._dimension_contribution(dim, values)
            if self.weights.policy(dim) is ConflictPolicy.EXCLUDE:
                excluded = excluded | conflict
            else:
                contribution = contribution - conflict * (self.weights.weight(dim) * self.weights.conflict_penalty)
            contributions[dim] = contribution
            total += contribution
        if query is _VECTORISE:
            query = self._query_vector(context.text)
        if query is not None:
            similarity = self._similarity(query)
            contributions["text"] = self.weights.text_weight * similarity
            total += contributions["text"]
        return ScoredCatalog(total, excluded, contributions, query)

    def _dimension_contribution(self, dim: str, values: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        index = self.dimensions_[dim]
        weight = self.weights.weight(dim)
        columns = [index.vocabulary[v] for v in values if v in index.vocabulary]
        n = len(index.is_any)
        if dim == "buyer_role" and columns:
            primary = values[0] in index.vocabulary
            primary_match = index.tagged[:, columns[0]] if primary else np.zeros(n, dtype=bool)
            others = columns[1:] if primary else columns
            other_match = index.tagged[:, others].any(axis=1) if others else np.zeros(n, dtype=bool)
            matched = primary_match | other_match
            exact = np.where(primary_match, weight, np.where(other_match, weight * self.weights.secondary_role_factor, 0.0))
        else:
            matched = index.tagged[:, columns].any(axis=1) if columns else np.zeros(n, dtype=bool)
            exact = matched * weight
        contribution = exact + index.is_any * (weight * self.weights.any_factor)
        conflict = ~index.is_any & ~matched
        return contribution, conflict

    def _query_vector(self, text: str) -> sparse.csr_matrix | None:
        if self.text_matrix_ is None or not text.strip():
            return None
        query = self.vectorizer_.transform([text])
        return query if query.nnz else None

    def _similarity(self, query: sparse.csr_matrix) -> np.ndarray:
        # Rows of both matrices are L2-normalised, so the dot product is the cosine.
        columns = self.text_columns_[:, query.indices]
        return np.asarray(columns @ query.data).ravel()

    # -- selecting and explaining ---------------------------------------------------------------
    def _top(self, scored: ScoredCatalog, mask: np.ndarray, k: int) -> list[int]:
        candidates = np.flatnonzero(mask)
        if k <= 0 or candidates.size == 0:
            return []
        scores = scored.total[candidates]
        if candidates.size > k:
            # Keep everything that ties with the k-th best, then order exactly.
            kth = np.partition(scores, candidates.size - k)[candidates.size - k]
            keep = scores >= kth
            candidates, scores = candidates[keep], scores[keep]
        # module_ids_ are sorted, so a lower index is the smaller id: the tie-break.
        order = np.lexsort((candidates, -scores))
        return [int(i) for i in candidates[order][:k]]

    def _suggest(self, i: int, rank: int, scored: ScoredCatalog, context: OpportunityContext) -> Suggestion:
        breakdown = {dim: round(float(values[i]), 4) for dim, values in scored.contributions.items()}
        return Suggestion(
            module_id=str(self.module_ids_[i]),
            score=round(float(scored.total[i]), 4),
            rank=rank,
            audience=CLIENT_FACING if self.client_facing_[i] else "internal",
            reasons=tuple(self._reasons(i, scored, context)),
            breakdown=breakdown,
        )

    def _reasons(self, i: int, scored: ScoredCatalog, context: OpportunityContext) -> list[Reason]:
        reasons = []
        for dim in DIMENSIONS:
            index = self.dimensions_[dim]
            for value in context.values(dim):
                column = index.vocabulary.get(value)
                if column is not None and index.tagged[i, column]:
                    reasons.append(Reason(dim, self._label(dim, value)))
                    break
        terms = self._shared_terms(i, scored.query)
        if terms:
            reasons.append(Reason("text", "mentions " + ", ".join(f"'{t}'" for t in terms)))
        if not reasons:
            reasons.append(Reason("any", "Useful for any opportunity like this"))
        return reasons

    def _label(self, dim: str, value: str) -> str:
        return self.labels.get(dim, {}).get(value, value)

    def _shared_terms(self, i: int, query: sparse.csr_matrix | None) -> list[str]:
        if query is None or self.text_matrix_ is None:
            return []
        row = self.text_matrix_.getrow(i)
        weights = dict(zip(row.indices, row.data))
        shared = [
            (w * weights[t], t) for t, w in zip(query.indices, query.data) if t in weights
        ]
        # A bare number ("60", "2026") is no reason a rep would recognise.
        shared = [(s, t) for s, t in shared if s >= self.weights.text_term_floor and not self.terms_[t].isdigit()]
        shared.sort(key=lambda pair: (-pair[0], self.terms_[pair[1]]))
        return [str(self.terms_[t]) for _, t in shared[: self.weights.text_terms_in_reason]]

"""The v1 ranker: weighted tag matches plus TF-IDF text similarity, scored where it can matter.
Design: docs/design/recommender.md and docs/ranking.md."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

import numpy as np

from recommender.catalog_tags import CatalogTags
from recommender.selection import best_of, contenders
from recommender.text_index import (
    QueryVector,
    TextIndex,
    build_vectorizer,
    shared_phrases,
    text_phrases,
)
from recommender.types import (
    CLIENT_FACING,
    DIMENSIONS,
    CandidateModule,
    OpportunityContext,
    Reason,
    Recommendations,
    Suggestion,
)
from recommender.weights import DEFAULT_WEIGHTS, ScoringWeights

__all__ = ["NotFittedError", "ScoredCatalog", "TagTextRanker", "build_vectorizer"]

#: dimension → value → words a rep reads. Values without a label are shown as they are.
TagLabels = Mapping[str, Mapping[str, str]]

_NO_REVIEW_DATE = np.iinfo(np.int64).max
#: ``score_modules``' default: vectorise the context's own text.
_VECTORISE = object()


class NotFittedError(RuntimeError):
    """``rank`` was called before ``fit``."""


@dataclass(frozen=True)
class ScoredCatalog:
    """Scores of modules for one context: every module, or the modules ``rows`` names (in
    module order, as in ``TagTextRanker.module_ids_``); the arrays are aligned with them."""

    total: np.ndarray
    excluded: np.ndarray
    contributions: Mapping[str, np.ndarray]
    query: QueryVector | None
    rows: np.ndarray | None = None


class TagTextRanker:
    """Ranks a catalog snapshot for opportunity contexts, in the scikit-learn manner."""

    def __init__(self, weights: ScoringWeights = DEFAULT_WEIGHTS, labels: TagLabels | None = None):
        self.weights = weights
        self.labels = labels or {}

    # -- learning -------------------------------------------------------------------------------
    def fit(
        self, candidates: Sequence[CandidateModule], previous: "TagTextRanker | None" = None
    ) -> "TagTextRanker":
        """Index the catalog in one pass over its modules, in module-id order.

        ``previous``: a ranker fitted before on this catalog as it was, in this process (a
        refit after an edit). Its TF-IDF is reused, as is when no text changed, else brought up
        to date tokenising only the changed texts (``TextIndex.updated``); the result is the
        same, float for float, as without it."""
        ordered = sorted(candidates, key=lambda c: c.module_id)
        self.module_ids_ = np.array([c.module_id for c in ordered], dtype=object)
        self.client_facing_ = np.array([c.audience == CLIENT_FACING for c in ordered], dtype=bool)
        self.review_by_ = np.array(
            [c.review_by.toordinal() if c.review_by else _NO_REVIEW_DATE for c in ordered],
            dtype=np.int64,
        )
        self.for_partners_ = np.packbits(np.array([c.for_partners for c in ordered], dtype=bool))
        self.tags_ = CatalogTags.fit([c.tags for c in ordered], self.weights)
        texts = [c.text for c in ordered]
        if previous is None or getattr(previous, "text_", None) is None:
            self.text_ = TextIndex.fit(texts)
        else:
            self.text_ = previous.text_.updated(
                previous.texts_, texts, _previous_rows(previous.module_ids_, self.module_ids_)
            )
        #: Each module's text, for the phrases a reason names (read for the few suggested).
        self.texts_ = texts
        #: (module, opportunity text) → their shared phrases, for at most ``EXPLAINED_KEPT``.
        self._explained: dict[tuple[int, str], frozenset[tuple[str, str]]] = {}
        self.text_matrix_ = None if self.text_ is None else self.text_.rows
        self.terms_ = None if self.text_ is None else self.text_.terms
        self._open_on: tuple[int, np.ndarray] | None = None
        return self

    def prepare(self) -> "TagTextRanker":
        """Make now what the first query would otherwise make (the TF-IDF postings and the
        bounds' sketch), so that a refit run on this process's own thread does not leave it to
        a view."""
        if self.text_ is not None:
            from recommender import kernels  # noqa: F401 - compiled (or loaded) here, once

            self.text_.postings  # noqa: B018 - made on first use
            self.text_.sketch  # noqa: B018 - likewise
        return self

    # -- scoring --------------------------------------------------------------------------------
    def scores(self, context: OpportunityContext, today: date) -> dict[str, float]:
        """Every eligible module's score (for tests, previews and the naive cross-check)."""
        scored = self.score_modules(context, today)
        eligible = np.flatnonzero(~scored.excluded)
        return {self.module_ids_[i]: float(scored.total[i]) for i in eligible}

    def score_catalog(self, context: OpportunityContext, today: date) -> ScoredCatalog:
        """Scores, exclusions and per-dimension contributions of every module: O(catalog)."""
        return self.score_modules(context, today)

    def score_catalogs(
        self, contexts: Sequence[OpportunityContext], today: date
    ) -> list[ScoredCatalog]:
        """``score_catalog`` for many contexts."""
        return [self.score_modules(c, today) for c in contexts]

    def score_modules(
        self,
        context: OpportunityContext,
        today: date,
        rows: np.ndarray | None = None,
        query: object = _VECTORISE,
    ) -> ScoredCatalog:
        """Scores of the modules ``rows`` (indices into ``module_ids_``; default every module),
        excluded ones included: the same floats whichever rows are asked for."""
        self._check_fitted()
        if query is _VECTORISE:
            query = self.query_vector(context.text)
        tables = self.tags_.contributions(context)
        return self._score_rows(context, today, rows, query, tables)

    def score_eligible(
        self, context: OpportunityContext, rows: np.ndarray, query: QueryVector | None,
        tables: Mapping[str, np.ndarray],
    ) -> ScoredCatalog:
        """``score_modules`` for modules already known to be eligible (``eligible_modules``):
        the same floats, without checking exclusion again (``excluded`` is all False).
        ``tables``: the context's ``tags_.contributions``, which the caller made already."""
        return self._score_rows(context, None, rows, query, tables)

    def _score_rows(self, context, today, rows, query, tables) -> ScoredCatalog:
        """``today`` None: the rows are eligible, so exclusion is not checked."""
        selected = slice(None) if rows is None else np.asarray(rows, dtype=np.intp)
        contributions = self.tags_.module_contributions(tables, selected)
        total = np.zeros(len(self.review_by_) if rows is None else len(selected))
        for dim in DIMENSIONS:  # the order the sum has always been taken in
            if dim in contributions:
                total += contributions[dim]
        if today is None:
            excluded = np.zeros(len(total), dtype=bool)
        else:
            excluded = (self.review_by_[selected] < today.toordinal()) | self.tags_.excluded(
                context, selected
            )
        if query is not None:
            text = self.text_contributions(query, None if rows is None else selected)
            contributions["text"] = text
            total += text
        return ScoredCatalog(
            total, excluded, contributions, query, None if rows is None else selected
        )

    def query_vector(self, text: str) -> QueryVector | None:
        """The context's text as TF-IDF over the catalog's terms; None when it shares none."""
        return None if self.text_ is None else self.text_.query(text)

    def eligible_modules(self, context: OpportunityContext, today: date, *,
                         partners_only: bool = False) -> np.ndarray:
        """Indices, ascending, of the modules ``context`` may be shown: no exclusion rule
        removes them and their review date has not passed (and, ``partners_only``, they are
        marked for partners)."""
        return self._unpack(self._eligible_bits(context, today, partners_only))

    def eligible_by_audience(self, context: OpportunityContext, today: date, *,
                             partners_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``eligible_modules`` split into the client-facing and the internal ones: two ANDs
        on packed bits, where splitting the indices costs passes over every eligible module."""
        bits = self._eligible_bits(context, today, partners_only)
        client = self._client_bits()
        return self._unpack(bits & client), self._unpack(bits & ~client)

    def _eligible_bits(self, context: OpportunityContext, today: date,
                       partners_only: bool) -> np.ndarray:
        self._check_fitted()
        bits = self.tags_.allowed_bits(context)
        current = self._current_bits(today)
        bits = current if bits is None else bits & current
        if partners_only:
            bits = bits & self.for_partners_
        return bits

    def _unpack(self, bits: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.unpackbits(bits, count=len(self.module_ids_)).view(bool))

    def _client_bits(self) -> np.ndarray:
        """Packed bits of the client-facing modules (made once; a ranker unpickled from before
        they were kept makes them on first use)."""
        bits = self.__dict__.get("_client_facing_bits")
        if bits is None:
            bits = self._client_facing_bits = np.packbits(self.client_facing_)
        return bits

    def _current_bits(self, today: date) -> np.ndarray:
        """Packed bits of the modules still within their review date, kept for the day."""
        day = today.toordinal()
        cached = self._open_on
        if cached is None or cached[0] != day:
            cached = (day, np.packbits(self.review_by_ >= day))
            self._open_on = cached  # one assignment: threads see the old or the new pair
        return cached[1]

    def tag_totals(self, tables: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        """The tag part of the score of each module in ``rows``, summed as ``score_modules``
        sums it (dimension order), so the floats agree."""
        total = np.zeros(len(rows))
        for dim in DIMENSIONS:
            if dim in tables:
                total += tables[dim][self.tags_.dimensions[dim].codes[rows]]
        return total

    def text_contributions(self, query: QueryVector, rows: np.ndarray | None) -> np.ndarray:
        """The text term of the score of each module in ``rows`` (None: every module)."""
        return self.weights.text_weight * self.text_.similarity(query, rows)

    def _bound_margin(self) -> float:
        """Slack on bounds: tag score estimates are float32 sums (relative error ~1e-7)."""
        largest = sum(abs(w) for w in self.weights.dimension_weights.values())
        return 1e-5 * (1.0 + largest + abs(self.weights.text_weight))

    def text_bound(self) -> tuple[float, float]:
        """The least and the most the text term can add to any module's score."""
        weight = self.weights.text_weight
        return min(weight, 0.0), max(weight, 0.0)

    def explain(
        self, index: int, rank: int, scored: ScoredCatalog, context: OpportunityContext
    ) -> Suggestion:
        """The suggestion (score, reasons, breakdown) for position ``index`` of ``scored``."""
        module = index if scored.rows is None else int(scored.rows[index])
        breakdown = {dim: float(values[index]) for dim, values in scored.contributions.items()}
        total = float(scored.total[index])
        return self.suggestion(module, rank, total, breakdown, scored.query, context)

    def rank(
        self,
        context: OpportunityContext,
        *,
        today: date,
        k_client_facing: int = 5,
        k_internal: int = 3,
        partners_only: bool = False,
    ) -> Recommendations:
        """The top modules for ``context``, split by audience, best first, with reasons;
        ``partners_only``: among the modules marked for partners alone."""
        self._check_fitted()
        query = self.query_vector(context.text)
        tables = self.tags_.contributions(context)
        per_list = [
            self._contenders(rows, self.tags_.tag_score_estimates(tables, rows), query, k)
            for rows, k in zip(
                self.eligible_by_audience(context, today, partners_only=partners_only),
                (k_client_facing, k_internal),
            )
        ]
        wanted = np.concatenate(per_list)
        scored = self._score_rows(context, None, wanted, query, tables)
        lists, start = [], 0
        for kept, k in zip(per_list, (k_client_facing, k_internal)):
            at = start + best_of(kept, scored.total[start : start + len(kept)], k)
            lists.append(
                tuple(self.explain(int(p), n, scored, context) for n, p in enumerate(at, 1))
            )
            start += len(kept)
        return Recommendations(*lists)

    def _contenders(
        self, rows: np.ndarray, estimates: np.ndarray, query: QueryVector | None, k: int
    ) -> np.ndarray:
        """The modules of ``rows`` (one audience) that may be among its ``k`` best, given their
        tag score estimates: their estimate plus the most the text can add reaches the floor,
        and so does their estimate plus their own text bound (the sketch's)."""
        low, high = self.text_bound()
        margin = self._bound_margin()
        if query is None:
            return rows[contenders(estimates + margin, lambda p: estimates[p] - margin, k)]
        weight = self.weights.text_weight

        def lower(positions: np.ndarray) -> np.ndarray:
            text = weight * self.text_.similarity(query, rows[positions])
            return estimates[positions] + text - margin

        def tighter(positions: np.ndarray) -> np.ndarray:
            text = weight * self.text_.similarity_bounds(query, rows[positions])
            return estimates[positions] + (np.maximum(text, 0.0) + margin)

        return rows[contenders(estimates + (high + margin), lower, k, tighter)]

    # -- explaining -----------------------------------------------------------------------------
    def suggestion(
        self,
        i: int,
        rank: int,
        score: float,
        breakdown: Mapping[str, float],
        query: QueryVector | None,
        context: OpportunityContext,
    ) -> Suggestion:
        """The suggestion for module ``i`` with its reasons; scores rounded for display."""
        return Suggestion(
            module_id=str(self.module_ids_[i]),
            score=round(score, 4),
            rank=rank,
            audience=CLIENT_FACING if self.client_facing_[i] else "internal",
            reasons=tuple(self._reasons(i, query, context)),
            breakdown={dim: round(value, 4) for dim, value in breakdown.items()},
        )

    def _reasons(
        self, i: int, query: QueryVector | None, context: OpportunityContext
    ) -> list[Reason]:
        reasons = []
        for dim in DIMENSIONS:
            index = self.tags_.dimensions[dim]
            for value in context.values(dim):
                if index.has(i, value):
                    reasons.append(Reason(dim, self._label(dim, value)))
                    break
        phrases = self._shared_phrases(i, query, context.text)
        if phrases:
            reasons.append(Reason("text", "mentions " + ", ".join(f"'{p}'" for p in phrases)))
        if not reasons:
            reasons.append(Reason("any", "Useful for any opportunity like this"))
        return reasons

    def _label(self, dim: str, value: str) -> str:
        return self.labels.get(dim, {}).get(value, value)

    def _shared_phrases(self, i: int, query: QueryVector | None, text: str) -> list[str]:
        """Phrases of two words both the opportunity's text and module ``i``'s say ("spare
        parts", "vendor security"), rarest in the catalog first: a single shared word
        ("median", "account") is a coincidence more often than a reason a rep would believe.
        Only when the texts share a term at all (``query``), so the score has a text part."""
        if query is None or self.text_ is None:
            return []
        key = (i, text)
        explained = self.__dict__.setdefault("_explained", {})  # a ranker pickled before it
        shared = explained.get(key)
        if shared is None:
            shared = frozenset(shared_phrases(self.texts_[i], _context_phrases(text)))
            if len(explained) >= EXPLAINED_KEPT:
                explained.clear()
            explained[key] = shared
        if not shared:
            return []
        columns, idf = self.text_._columns, self.text_.idf

        def rarity(phrase: tuple[str, str]) -> float:
            return sum(float(idf[columns[w]]) if w in columns else 0.0 for w in phrase)

        ranked = sorted(shared, key=lambda phrase: (-rarity(phrase), phrase))
        return [" ".join(phrase) for phrase in ranked[: self.weights.text_terms_in_reason]]

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_ids_"):
            raise NotFittedError("fit the ranker on a catalog before ranking")

    @property
    def fitted_bytes(self) -> int:
        """Bytes of the arrays ``fit`` keeps (module ids' strings not counted)."""
        self._check_fitted()
        arrays = (self.module_ids_, self.client_facing_, self.review_by_, self.for_partners_)
        text = 0 if self.text_ is None else self.text_.nbytes
        return sum(a.nbytes for a in arrays) + self.tags_.nbytes + text


def _previous_rows(before: np.ndarray, now: np.ndarray) -> np.ndarray:
    """For each module of ``now``, its row in ``before`` (both ascending), -1 if it is new."""
    if len(before) == len(now) and (before == now).all():
        return np.arange(len(now))
    at = np.searchsorted(before, now)
    found = at < len(before)
    found[found] = before[at[found]] == now[found]
    return np.where(found, at, -1)


#: (module, opportunity text) pairs whose shared phrases a fitted ranker keeps: a record viewed
#: again (a list not remembered, an exploring one say) explains the same modules, and each
#: would tokenise its text again. Small sets; racing threads at worst make one twice.
EXPLAINED_KEPT = 4096


@functools.lru_cache(maxsize=256)
def _context_phrases(text: str) -> frozenset[tuple[str, str]]:
    """An opportunity's phrases, made once for the several suggestions a list explains (and the
    views of one record that follow)."""
    return frozenset(text_phrases(text))

"""The catalog's texts as L2-normalised TF-IDF rows, fitted in one pass and read row by row.
Design: docs/design/recommender.md and docs/ranking.md (Speed)."""
from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

#: Finds the same tokens as scikit-learn's default ``(?u)\b\w\w+\b``: a greedy run of two or
#: more word characters already ends and starts at word boundaries. About a third faster.
_WORD = re.compile(r"\w\w+")


def build_vectorizer() -> TfidfVectorizer:
    """The text model both rankers share: English stop words, damped term counts."""
    return TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float64)


_STOP_WORDS = frozenset(build_vectorizer().get_stop_words())
#: In ASCII text a word character is [a-z0-9_] once lowered: every other ASCII character
#: becomes a space, and splitting on spaces finds the regex's tokens several times faster.
_ASCII_NON_WORD = {c: " " for c in range(128) if not _WORD.match(chr(c) * 2)}


def text_terms(text: str) -> Counter:
    """Term → count in ``text``, tokenised as the vectorizer tokenises it."""
    lowered = text.lower()
    if lowered.isascii():
        words = lowered.translate(_ASCII_NON_WORD).split()
    else:
        words = _WORD.findall(lowered)
    return Counter([w for w in words if len(w) > 1 and w not in _STOP_WORDS])


#: Words that occur in most sales text and convince no rep on their own: a phrase made only of
#: them is never a reason (a phrase they are part of, "account transfers", may be).
GENERIC_TERMS = frozenset("""
    account accounts business businesses buyer buyers call case cases ceo cfo chief cio company
    companies cost costs customer customers data day days deal deals director email head held
    leader leaders management manager median meeting month months new next officer open people
    plan point points process processes product products program project quarter review
    service services solution solutions staff step steps study studies svp team teams time
    today vendor vp week weeks work year years
""".split())


#: Punctuation ends a phrase: "transfers, beneficiary" is two of them.
_CLAUSE_BREAK = re.compile(r"[^\w\s]+")


def text_phrases(text: str) -> set[tuple[str, str]]:
    """Pairs of adjacent words in ``text``, tokenised as the vectorizer tokenises it, neither a
    stop word nor a bare number, and not both generic: the phrases a reason may name ("spare
    parts", "vendor security"). A stop word or punctuation between two words breaks the pair."""
    found = set()
    for clause in _CLAUSE_BREAK.split(text.lower()):
        words = _WORD.findall(clause)
        found.update(
            (a, b) for a, b in zip(words, words[1:])
            if _phrase_word(a) and _phrase_word(b)
            and not (a in GENERIC_TERMS and b in GENERIC_TERMS)
        )
    return found


def _phrase_word(word: str) -> bool:
    return word not in _STOP_WORDS and not word.isdigit() and "_" not in word


@dataclass(frozen=True)
class QueryVector:
    """An opportunity's text as TF-IDF weights over the catalog's terms (L2-normalised)."""

    terms: np.ndarray  # ascending term columns, int32
    weights: np.ndarray  # float64, aligned with ``terms``


class TextIndex:
    """TF-IDF rows of a catalog (module order) and what is needed to vectorise a query."""

    def __init__(self, rows: sparse.csr_matrix, terms: np.ndarray, idf: np.ndarray):
        self.rows = rows
        #: The same matrix by term: the postings of a term, for queries that need most rows.
        self.postings = sparse.csc_matrix(rows)
        self.terms = terms
        self.idf = idf
        self._columns = {str(term): n for n, term in enumerate(terms)}
        self._row_lengths = np.diff(rows.indptr)
        self._posting_lengths = np.diff(self.postings.indptr)

    @classmethod
    def fit(cls, texts: Iterable[str]) -> "TextIndex | None":
        """One pass over ``texts``; None when no text has a word that is not a stop word."""
        provisional: defaultdict[str, int] = defaultdict()
        provisional.default_factory = provisional.__len__  # a new term gets the next column
        columns, counts, indptr = array("i"), array("i"), array("q", [0])
        for text in texts:
            found = text_terms(text)
            columns.extend(map(provisional.__getitem__, found))
            counts.extend(found.values())
            indptr.append(len(columns))
        if not provisional:
            return None
        terms = sorted(provisional)
        counted = sparse.csr_matrix(
            (
                np.frombuffer(counts, dtype=np.int32).astype(np.float64),
                np.frombuffer(columns, dtype=np.int32),
                np.frombuffer(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, len(terms)),
        )
        del columns, counts
        # The vectorizer weighs each row with its terms in order of first appearance in the
        # catalog, then renumbers them alphabetically; its row norms sum in that order, so this
        # does the same to get the same floats, and only then sorts each row by column.
        counted.sort_indices()
        position = np.empty(len(terms), dtype=np.int32)  # first-appearance column → sorted column
        position[[provisional[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
        counted.indices = position[counted.indices]
        counted.has_sorted_indices = False
        transformer = TfidfTransformer(sublinear_tf=True)
        rows = sparse.csr_matrix(transformer.fit_transform(counted))
        rows.has_sorted_indices = False  # never trust a flag carried over from ``counted``
        rows.sort_indices()
        return cls(rows, np.array(terms), transformer.idf_)

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    def query(self, text: str) -> QueryVector | None:
        """``text`` weighted as the vectorizer's ``transform`` weighs it; None without a known
        term. The arithmetic is the transformer's, in the same order, so the floats agree."""
        if not text.strip():
            return None
        found = sorted(
            (self._columns[term], count)
            for term, count in text_terms(text).items()
            if term in self._columns
        )
        if not found:
            return None
        terms = np.array([t for t, _ in found], dtype=np.int32)
        weights = np.log(np.array([c for _, c in found], dtype=np.float64))
        weights += 1.0
        weights *= self.idf[terms]
        squares = 0.0
        for w in weights.tolist():  # sequential, as sklearn's row normaliser sums
            squares += w * w
        weights /= math.sqrt(squares)
        return QueryVector(terms, weights)

    def similarity(self, query: QueryVector, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine of ``query`` with each of ``rows`` (default: every module).

        Each sum runs over the module's terms in column order, whether the rows are read one by
        one or the query's postings column by column (whichever touches fewer numbers): the
        same floats whichever rows are asked for and whichever way.
        """
        by_term = rows is None or (
            self._row_lengths[rows].sum() > self._posting_lengths[query.terms].sum()
        )
        if by_term:
            every = np.asarray(self.postings[:, query.terms] @ query.weights).ravel()
            return every if rows is None else every[rows]
        return np.asarray(self.rows[rows] @ self.dense(query)).ravel()

    def dense(self, query: QueryVector) -> np.ndarray:
        """``query`` as a vector over every term."""
        dense = np.zeros(self.n_terms)
        dense[query.terms] = query.weights
        return dense

    def similarity_estimates(self, dense: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosines of a few ``rows`` with the ``dense`` query, summed in whatever order the dot
        product likes: within float rounding of :meth:`similarity`, for bounds only."""
        indptr, indices, data = self.rows.indptr, self.rows.indices, self.rows.data
        return np.array(
            [data[indptr[i]:indptr[i + 1]] @ dense[indices[indptr[i]:indptr[i + 1]]] for i in rows]
        )

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Term columns and weights of module ``i``."""
        start, end = self.rows.indptr[i], self.rows.indptr[i + 1]
        return self.rows.indices[start:end], self.rows.data[start:end]

    @property
    def nbytes(self) -> int:
        matrices = (self.rows, self.postings)
        arrays = [a for m in matrices for a in (m.data, m.indices, m.indptr)]
        return sum(a.nbytes for a in (*arrays, self.idf, self._row_lengths, self._posting_lengths))

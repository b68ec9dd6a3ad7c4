"""The catalog's texts as L2-normalised TF-IDF rows, fitted in one pass and read row by row.
Design: docs/design/recommender.md and docs/ranking.md (Speed)."""
from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

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
#: In ASCII text: word characters stay, spacing becomes a space, anything else a clause break
#: ("|"), so one ``translate`` and two ``split`` find what the two regexes find, faster.
_ASCII_CLAUSES = {
    c: (" " if re.match(r"\s", chr(c)) else "|")
    for c in range(128) if not re.match(r"\w", chr(c))
}


def text_phrases(text: str) -> set[tuple[str, str]]:
    """Pairs of adjacent words in ``text``, tokenised as the vectorizer tokenises it, neither a
    stop word nor a bare number, and not both generic: the phrases a reason may name ("spare
    parts", "vendor security"). A stop word or punctuation between two words breaks the pair."""
    found = set()
    for words in _clauses(text):
        if len(words) < 2:
            continue
        usable = [w not in _STOP_WORDS and not w.isdigit() and "_" not in w for w in words]
        found.update(
            (a, b) for a, b, ok_a, ok_b in zip(words, words[1:], usable, usable[1:])
            if ok_a and ok_b and not (a in GENERIC_TERMS and b in GENERIC_TERMS)
        )
    return found


def shared_phrases(text: str, phrases: frozenset[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs of ``phrases`` (another text's :func:`text_phrases`) that ``text`` has too.

    Equal to ``phrases & text_phrases(text)``, since the phrase rule looks at the two words
    alone and every pair of ``phrases`` passed it: so ``text``'s adjacent pairs are met against
    ``phrases`` directly (in C), without the rule's test per word: a reason runs it for each
    module it explains, the first time most of them (30 % of a cold v1 call before)."""
    found: set[tuple[str, str]] = set()
    if phrases:
        for words in _clauses(text):
            if len(words) > 1:
                found.update(phrases.intersection(zip(words, words[1:])))
    return found


def _clauses(text: str) -> list[list[str]]:
    """``text``'s clauses (punctuation ends one), each as its words, tokenised as the
    vectorizer tokenises (stop words kept: they break phrases)."""
    lowered = text.lower()
    if lowered.isascii():
        return [
            [w for w in clause.split() if len(w) > 1]
            for clause in lowered.translate(_ASCII_CLAUSES).split("|")
        ]
    return [_WORD.findall(clause) for clause in _CLAUSE_BREAK.split(lowered)]


def _first_seen(wanted: np.ndarray, terms: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                texts: Sequence[str], found: dict[int, Counter]) -> np.ndarray:
    """The first-seen keys (``TextIndex.first_seen``) of the terms ``wanted`` (columns of
    ``terms``) in the rows ``indptr``/``indices``: the first row holding each, scanned in
    growing blocks (most terms turn up in the first rows), then the term's place among that
    row's tokens (``found`` holds the rows tokenised already)."""
    first = np.full(len(terms), -1, dtype=np.int64)
    missing = np.zeros(len(terms), dtype=bool)
    missing[wanted] = True
    start, step, n_rows = 0, 64, len(indptr) - 1
    while missing.any() and start < n_rows:
        end = min(n_rows, start + step)
        block = indices[indptr[start]:indptr[end]]
        block_rows = np.repeat(np.arange(start, end), np.diff(indptr[start:end + 1]))
        hit = missing[block]
        if hit.any():
            columns, at = np.unique(block[hit], return_index=True)  # first: the lowest row
            first[columns] = block_rows[hit][at]
            missing[columns] = False
        start, step = end, step * 2
    places: dict[int, dict[str, int]] = {}
    keys = np.empty(len(wanted), dtype=np.int64)
    for n, column in enumerate(wanted.tolist()):
        row = int(first[column])
        place = places.get(row)
        if place is None:
            tokens = found[row] if row in found else text_terms(texts[row])
            place = places[row] = {t: k for k, t in enumerate(tokens)}
        keys[n] = row << 32 | place[str(terms[column])]
    return keys


def _weigh(rows: sparse.csr_matrix, counts: np.ndarray, redo: np.ndarray, idf: np.ndarray,
           first_seen: np.ndarray) -> None:
    """Rows ``redo`` of ``rows`` weighed again from their ``counts``, in place, with the
    transformer's arithmetic in the order :meth:`TextIndex.fit` gives it: each row's terms by
    first appearance, so that the squares of its norm are summed as a fresh fit sums them."""
    if not len(redo):
        return
    if len(redo) == rows.shape[0]:  # every row (an idf every row holds changed): no gather
        positions, indptr = slice(None), rows.indptr
    else:
        lengths = np.diff(rows.indptr)[redo]
        indptr = np.zeros(len(redo) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        positions = np.repeat(rows.indptr[redo] - indptr[:-1], lengths) + np.arange(indptr[-1])
    by_appearance = np.argsort(first_seen, kind="stable").astype(np.int32)  # rank → column
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(len(rank), dtype=np.int32)
    weighed = sparse.csr_matrix(
        (counts[positions].astype(np.float64), rank[rows.indices[positions]], indptr),
        shape=(len(redo), rows.shape[1]),
    )
    weighed.has_sorted_indices = False
    weighed.sort_indices()
    weighed.indices = by_appearance[weighed.indices]
    weighed.has_sorted_indices = False
    np.log(weighed.data, out=weighed.data)  # TfidfTransformer.transform, step by step
    weighed.data += 1.0
    weighed.data *= idf[weighed.indices]
    weighed = normalize(weighed, norm="l2", copy=False)
    weighed.has_sorted_indices = False
    weighed.sort_indices()
    rows.data[positions] = weighed.data


@dataclass(frozen=True)
class QueryVector:
    """An opportunity's text as TF-IDF weights over the catalog's terms (L2-normalised)."""

    terms: np.ndarray  # ascending term columns, int32
    weights: np.ndarray  # float64, aligned with ``terms``


class TextIndex:
    """TF-IDF rows of a catalog (module order) and what is needed to vectorise a query.

    The process that fits also keeps each entry's raw count (``counts``) and where each term was
    first seen (``first_seen``): with them :meth:`updated` refits after an edit without
    tokenising the unchanged texts. Neither is pickled (a served copy never refits)."""

    def __init__(self, rows: sparse.csr_matrix, terms: np.ndarray, idf: np.ndarray,
                 counts: np.ndarray | None = None, first_seen: np.ndarray | None = None):
        self.rows = rows
        self.terms = terms
        self.idf = idf
        #: int32 term counts aligned with ``rows.data``; None in a copy that cannot refit.
        self.counts = counts
        #: int64 per term: (first row holding it << 32) | its place among that row's terms.
        #: The vectorizer sums each row's squares in this order (see :meth:`fit`).
        self.first_seen = first_seen
        self._columns = {str(term): n for n, term in enumerate(terms)}
        self._row_lengths = np.diff(rows.indptr)
        #: Document frequency of each term, i.e. the length of its postings.
        self._posting_lengths = np.bincount(rows.indices, minlength=len(terms))
        self._postings: sparse.csc_matrix | None = None
        self._sketch: BucketNorms | None = None

    @property
    def postings(self) -> sparse.csc_matrix:
        """The same matrix by term: the postings of a term, for queries that need most rows.
        Made on first use (racing threads at worst make it twice): a refit in a child process
        never queries, and the copy it hands back is smaller without it (``__getstate__``)."""
        postings = self._postings
        if postings is None:
            postings = self._postings = sparse.csc_matrix(self.rows)
        return postings

    @property
    def sketch(self) -> "BucketNorms":
        """Each module's norm within each bucket of terms, for bounds on its similarity to any
        query (:meth:`similarity_bounds`); made on first use, as the postings are."""
        sketch = self._sketch
        if sketch is None:
            sketch = self._sketch = BucketNorms.of(self.rows)
        return sketch

    def __getstate__(self) -> dict:
        """What a served copy needs: no postings or sketch (rebuilt on arrival: cheaper than
        pickling and piping them) and no refit state."""
        state = self.__dict__.copy()
        state.update(_postings=None, _sketch=None, counts=None, first_seen=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.setdefault("_sketch", None)  # a copy pickled before the sketch existed
        self.__dict__.update(state)
        self.postings  # noqa: B018 - built here, on the receiving refit thread, not in a view
        self.sketch  # noqa: B018 - likewise

    @classmethod
    def fit(cls, texts: Iterable[str]) -> "TextIndex | None":
        """One pass over ``texts``; None when no text has a word that is not a stop word."""
        provisional: defaultdict[str, int] = defaultdict()
        provisional.default_factory = provisional.__len__  # a new term gets the next column
        columns, counts, indptr = array("i"), array("i"), array("q", [0])
        first_seen = array("q")  # by provisional column
        for row, text in enumerate(texts):
            found = text_terms(text)
            known = len(provisional)
            columns.extend(map(provisional.__getitem__, found))
            counts.extend(found.values())
            indptr.append(len(columns))
            if len(provisional) > known:  # new terms, numbered in the order the row has them
                first_seen.extend(
                    row << 32 | place
                    for place, column in enumerate(columns[indptr[-2]:])
                    if column >= known
                )
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
        first = np.array([provisional[t] for t in terms], dtype=np.int32)
        position = np.empty(len(terms), dtype=np.int32)  # first-appearance column → sorted column
        position[first] = np.arange(len(terms), dtype=np.int32)
        counted.indices = position[counted.indices]
        counted.has_sorted_indices = False
        transformer = TfidfTransformer(sublinear_tf=True)
        rows = sparse.csr_matrix(transformer.fit_transform(counted))
        rows.has_sorted_indices = False  # never trust a flag carried over from ``counted``
        rows.sort_indices()
        counted.has_sorted_indices = False
        counted.sort_indices()  # the same order as ``rows``: the counts line up with its data
        return cls(rows, np.array(terms), transformer.idf_, counted.data.astype(np.int32),
                   np.frombuffer(first_seen, dtype=np.int64)[first])

    def updated(self, before: Sequence[str], texts: Sequence[str],
                previous_rows: np.ndarray) -> "TextIndex | None":
        """What :meth:`fit` makes of ``texts``, from this index fitted on ``before``:
        ``previous_rows[j]`` is the row of ``before`` that module ``j`` of ``texts`` was (-1 for
        a new module). Only new or changed texts are tokenised; the rows whose floats can change
        are weighed again from their kept counts (all of them when the number of modules
        changes, since every idf does), the others are kept. Exact: the same terms, idf and row
        floats as a fresh fit, or a fresh fit itself when this copy kept no counts."""
        n_before = len(before)
        if (self.counts is None or self.first_seen is None or len(self._row_lengths) != n_before
                or len(previous_rows) != len(texts)):
            return TextIndex.fit(texts)
        previous_rows = np.asarray(previous_rows, dtype=np.int64)
        kept = previous_rows >= 0
        kept_rows = np.flatnonzero(kept)
        differs = [j for j, i in zip(kept_rows.tolist(), previous_rows[kept].tolist())
                   if texts[j] != before[i]]
        changed = np.union1d(np.flatnonzero(~kept), np.array(differs, dtype=np.int64))
        if (not len(changed) and len(texts) == n_before
                and np.array_equal(previous_rows, np.arange(n_before))):
            return self  # every text as it was: nothing to weigh again
        if len(changed) > len(texts) // 2:  # mostly new texts: tokenising them is the fit
            return TextIndex.fit(texts)
        old_indptr, old_indices = self.rows.indptr, self.rows.indices
        # Rows whose old content leaves: removed modules and the old text of changed ones.
        leaving = np.ones(n_before, dtype=bool)
        unchanged_new = np.ones(len(texts), dtype=bool)
        unchanged_new[changed] = False
        leaving[previous_rows[unchanged_new]] = False
        found = {int(j): text_terms(texts[j]) for j in changed}

        # Document frequencies after the edit, and the terms no row had before.
        df = self._posting_lengths.astype(np.int64)
        for i in np.flatnonzero(leaving).tolist():
            df[old_indices[old_indptr[i]:old_indptr[i + 1]]] -= 1
        extra: dict[str, int] = {}
        columns = self._columns
        for terms in found.values():
            for term in terms:
                column = columns.get(term)
                if column is None:
                    extra[term] = extra.get(term, 0) + 1
                else:
                    df[column] += 1
        alive = df > 0
        if not alive.any() and not extra:
            return None
        if extra or not alive.all():
            terms = sorted([*self.terms[alive].tolist(), *extra])
            new_columns = {t: n for n, t in enumerate(terms)}
            renumber = np.full(len(self.terms), -1, dtype=np.int32)
            renumber[alive] = [new_columns[t] for t in self.terms[alive].tolist()]
            term_array = np.array(terms)
        else:
            new_columns, renumber, term_array = columns, None, self.terms
        n_terms = len(term_array)
        new_df = np.zeros(n_terms, dtype=np.int64)
        new_df[renumber[alive] if renumber is not None else np.arange(n_terms)] = df[alive]
        for term, count in extra.items():
            new_df[new_columns[term]] = count

        # The rows after the edit: runs of kept rows copied as they were (renumbered), each
        # changed row from its tokens, in module order.
        lengths = np.empty(len(texts), dtype=np.int64)
        lengths[unchanged_new] = self._row_lengths[previous_rows[unchanged_new]]
        old_renumbered = old_indices if renumber is None else renumber[old_indices]
        pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        follows = np.zeros(len(texts), dtype=bool)  # continues the run of the row before it
        follows[1:] = (unchanged_new[1:] & unchanged_new[:-1]
                       & (previous_rows[1:] == previous_rows[:-1] + 1))
        runs = np.flatnonzero(unchanged_new & ~follows)
        stops = np.flatnonzero(unchanged_new & ~np.append(follows[1:], False)) + 1
        ends = np.searchsorted(changed, runs)  # the changed rows before each run come first
        at, pending = 0, changed.tolist()
        for start, stop, bound in zip(runs.tolist(), stops.tolist(), ends.tolist()):
            while at < bound:
                pieces.append(self._tokens_row(found[pending[at]], new_columns))
                lengths[pending[at]] = len(pieces[-1][0])
                at += 1
            first, last = old_indptr[previous_rows[start]], old_indptr[previous_rows[stop - 1] + 1]
            pieces.append((old_renumbered[first:last], self.counts[first:last],
                           self.rows.data[first:last]))
        for j in pending[at:]:
            pieces.append(self._tokens_row(found[j], new_columns))
            lengths[j] = len(pieces[-1][0])
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.concatenate([p[0] for p in pieces]).astype(np.int32, copy=False)
        counts = np.concatenate([p[1] for p in pieces])
        data = np.concatenate([p[2] for p in pieces])
        del pieces

        # Where each term is first seen now: only terms of leaving or changed rows can move.
        moved = np.zeros(n_terms, dtype=bool)
        for i in np.flatnonzero(leaving).tolist():
            olds = old_indices[old_indptr[i]:old_indptr[i + 1]]
            olds = olds[alive[olds]]
            moved[olds if renumber is None else renumber[olds]] = True
        for j in changed.tolist():
            moved[indices[indptr[j]:indptr[j + 1]]] = True
        new_row = np.full(n_before, -1, dtype=np.int64)
        new_row[previous_rows[kept]] = np.flatnonzero(kept)
        old_first = self.first_seen[alive]
        old_first_row = new_row[old_first >> 32]
        was = np.full(n_terms, -1, dtype=np.int64)  # old key, rows renumbered; -1: none
        was[renumber[alive] if renumber is not None else np.arange(n_terms)] = np.where(
            old_first_row >= 0, old_first_row << 32 | (old_first & 0xFFFFFFFF), -1)
        first_seen = was.copy()
        first_seen[moved] = _first_seen(
            np.flatnonzero(moved), term_array, indptr, indices, texts, found)
        reordered = first_seen != was

        idf = np.full(n_terms, len(texts) + 1, dtype=np.float64)  # the transformer's arithmetic
        idf /= new_df.astype(np.float64) + 1.0
        np.log(idf, out=idf)
        idf += 1.0
        old_idf = np.full(n_terms, np.nan)
        old_idf[renumber[alive] if renumber is not None else np.arange(n_terms)] = self.idf[alive]
        touched = reordered | (idf != old_idf)
        if touched.all():
            redo = np.ones(len(texts), dtype=bool)
        else:
            redo = np.zeros(len(texts), dtype=bool)
            filled = np.flatnonzero(lengths)
            if len(filled):
                redo[filled] = np.logical_or.reduceat(touched[indices], indptr[filled])
        redo[changed] = True
        rows = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), n_terms))
        rows.has_sorted_indices = True
        _weigh(rows, counts, np.flatnonzero(redo), idf, first_seen)
        return TextIndex(rows, term_array, idf, counts, first_seen)

    @staticmethod
    def _tokens_row(terms: Counter, columns: dict[str, int]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A changed row's columns (sorted) and counts, its weights to be computed."""
        row = sorted((columns[t], c) for t, c in terms.items())
        return (np.array([t for t, _ in row], dtype=np.int32),
                np.array([c for _, c in row], dtype=np.int32), np.zeros(len(row)))

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
        from recommender import kernels  # numba: imported by ``prepare``, not by every process

        out = np.empty(len(rows))
        matrix = self.rows
        kernels.row_cosines(matrix.indptr, matrix.indices, matrix.data, self.dense(query),
                            np.ascontiguousarray(rows, dtype=np.intp), out)
        return out

    def dense(self, query: QueryVector) -> np.ndarray:
        """``query`` as a vector over every term."""
        dense = np.zeros(self.n_terms)
        dense[query.terms] = query.weights
        return dense

    def similarity_bounds(self, query: QueryVector, rows: np.ndarray) -> np.ndarray:
        """Upper bounds of :meth:`similarity` for ``rows``, from the sketch: O(buckets) a row
        whatever the texts' lengths (see :class:`BucketNorms`)."""
        return self.sketch.bounds(query, rows)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Term columns and weights of module ``i``."""
        start, end = self.rows.indptr[i], self.rows.indptr[i + 1]
        return self.rows.indices[start:end], self.rows.data[start:end]

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays served, the postings counted whether made yet or not, plus the
        refit state when this copy keeps it."""
        rows = self.rows
        postings = rows.data.nbytes + rows.indices.nbytes + (self.n_terms + 1) * 8
        refit = [a for a in (self.counts, self.first_seen) if a is not None]
        arrays = (rows.data, rows.indices, rows.indptr, self.idf, self._row_lengths,
                  self._posting_lengths, *refit)
        return postings + BucketNorms.nbytes_for(*rows.shape) + sum(a.nbytes for a in arrays)


#: Buckets of terms in :class:`BucketNorms`: more prune more and cost two bytes a module each.
SKETCH_BUCKETS = 64
#: Rows summed at a time while sketching: bounds the float64 scratch to ~32 MB.
_SKETCH_CHUNK = 1 << 16
#: A bucket's norm (at most 1) is kept as a byte: the next 1/255 up.
_LEVELS = 255
#: A cosine is at most 1; computed, it may pass 1 by rounding (many ulps below this).
_MOST_COSINE = 1.0 + 1e-9
#: Covers a float32 sum of the sketch's non-negative products (see :meth:`BucketNorms.bounds`).
_SUM_ERROR = 1.0 + 2.0**-16
#: A line read in address order costs about this fraction of a line fetched on its own.
_STREAMED_PER_FETCHED = 10
#: Fewer rows than this are read row by row: a few rows' bytes in a bucket are lines apart, each
#: a fetch of its own, so a query of few buckets would otherwise read several lines for one.
_STREAMED_FROM = 512


def _rounded_up(values: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` (float64, non-negative) in ``dtype``, each rounded up, never down."""
    low = values.astype(dtype)
    return np.where(low.astype(np.float64) < values, np.nextafter(low, dtype(np.inf)), low)


@dataclass(frozen=True)
class BucketNorms:
    """Each module's TF-IDF norm within each of ``SKETCH_BUCKETS`` buckets of terms.

    Why: the text term bounds which modules can reach a list at all, and the constant bound (a
    cosine is at most 1) keeps thousands of modules a context in a catalog whose texts share
    most words. By Cauchy–Schwarz per bucket, cos(q, m) = Σ_b q_b·m_b ≤ Σ_b ‖q_b‖·‖m_b‖: a
    bound of ``SKETCH_BUCKETS`` multiplications a module, well under 1 where the best cosines
    are 0.5 (docs/ranking.md, "Speed"). Terms are dealt to buckets in order of
    their weight in the catalog, so each bucket holds a share of every text's mass. A norm is
    kept as a byte, rounded up to the next 1/255, so a bound is never below the truth; bytes
    turn into floats several times faster than float16 does.

    The levels are kept twice, module by module and bucket by bucket (64 bytes a module each):
    a few rows far apart read fastest as one fetch of each row, thousands of rows a few apart
    as the query's buckets streamed one after the other (2× faster for 10,000 of 100,000
    modules, 2× slower for 1,000; :meth:`bounds` chooses by the lines each way reads)."""

    bucket_of: np.ndarray  # int32 per term
    levels: np.ndarray  # (modules, SKETCH_BUCKETS) uint8: ⌈norm × 255⌉
    by_bucket: np.ndarray  # (SKETCH_BUCKETS, modules): the same levels, bucket by bucket
    #: (the last query, its bucket weights, the buckets of non-zero weight): see
    #: :meth:`query_weights`.
    _last: tuple | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, rows: sparse.csr_matrix) -> "BucketNorms":
        n_rows, n_terms = rows.shape
        squares = rows.data * rows.data
        mass = np.bincount(rows.indices, weights=squares, minlength=n_terms)
        bucket_of = np.empty(n_terms, dtype=np.int32)
        bucket_of[np.argsort(-mass, kind="stable")] = np.arange(n_terms) % SKETCH_BUCKETS
        levels = np.empty((n_rows, SKETCH_BUCKETS), dtype=np.uint8)
        indptr, buckets = rows.indptr, bucket_of[rows.indices]
        for start in range(0, n_rows, _SKETCH_CHUNK):
            end = min(n_rows, start + _SKETCH_CHUNK)
            lo, hi = indptr[start], indptr[end]
            row_of = np.repeat(np.arange(end - start), np.diff(indptr[start:end + 1]))
            sums = np.bincount(row_of * SKETCH_BUCKETS + buckets[lo:hi], weights=squares[lo:hi],
                               minlength=(end - start) * SKETCH_BUCKETS)
            # sqrt is correctly rounded, the product by 255 may lose an ulp: nudge it up first.
            scaled = np.ceil(np.sqrt(sums) * (_LEVELS * (1.0 + 1e-12)))
            levels[start:end] = np.minimum(scaled, _LEVELS).reshape(-1, SKETCH_BUCKETS)
        return cls(bucket_of, levels, np.ascontiguousarray(levels.T))

    def bounds(self, query: QueryVector, rows: np.ndarray) -> np.ndarray:
        """Upper bounds of the cosine of ``query`` with each of ``rows``, at most 1 (and a
        hair, as a computed cosine of a text with itself can exceed 1 by its rounding).

        Summed in float32 (in whatever order): every product is non-negative, so the sum's
        relative error is at most ``SKETCH_BUCKETS`` × 2⁻²⁴, and the factor 1 + 2⁻¹⁶ covers it
        (the query's norms are rounded up as well). ``rows`` ascending, as every caller has
        them (in another order the bounds are the same, only slower to make)."""
        from recommender import kernels

        out = np.empty(len(rows))
        weights, buckets = self.query_weights(query)
        rows = np.ascontiguousarray(rows, dtype=np.intp)
        if self._streams(rows, len(buckets)):
            kernels.sketch_bounds_by_bucket(self.by_bucket, weights, buckets, rows, _SUM_ERROR,
                                            _MOST_COSINE, out)  # fmt: skip
        else:
            kernels.sketch_bounds(self.levels, weights, rows, _SUM_ERROR, _MOST_COSINE, out)
        return out

    @staticmethod
    def _streams(rows: np.ndarray, n_buckets: int) -> bool:
        """Whether reading ``rows`` bucket by bucket is the cheaper: it reads, per bucket, a
        line per row or every line the rows span, whichever is fewer, but in address order, at
        about a tenth of the cost of fetching a row's line of its own (measured on 100,000
        modules: equal at 3,000 rows over the catalog, 21 buckets)."""
        if len(rows) < _STREAMED_FROM:
            return False
        span_lines = abs(int(rows[-1]) - int(rows[0])) // 64 + 1
        return n_buckets * min(len(rows), span_lines) < _STREAMED_PER_FETCHED * len(rows)

    def query_weights(self, query: QueryVector) -> tuple[np.ndarray, np.ndarray]:
        """``query``'s norm within each bucket, in float32 and rounded up, over ``_LEVELS`` (a
        level's scale), and the buckets where it is not zero. The last query's are kept: one
        ``rank`` asks for bounds several times."""
        last = self._last
        if last is not None and last[0] is query:
            return last[1], last[2]
        squares = np.bincount(self.bucket_of[query.terms], weights=query.weights * query.weights,
                              minlength=SKETCH_BUCKETS)
        weights = _rounded_up(np.sqrt(squares) / _LEVELS, np.float32)
        buckets = np.flatnonzero(weights)
        # One assignment: threads see a whole triple.
        object.__setattr__(self, "_last", (query, weights, buckets))
        return weights, buckets

    @staticmethod
    def nbytes_for(n_rows: int, n_terms: int) -> int:
        return 2 * n_rows * SKETCH_BUCKETS + n_terms * 4

    @property
    def nbytes(self) -> int:
        return self.nbytes_for(len(self.levels), len(self.bucket_of))

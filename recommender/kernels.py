"""The ranking's innermost loops compiled with numba: exact text similarities (scipy's floats),
the sketch's bounds (by module or by bucket), eligible modules' tag bounds, a head's cosines.
Design: docs/design/recommender.md (recommender/kernels.py)."""
from __future__ import annotations

import numba
import numpy as np

_COMPILE = dict(nogil=True, boundscheck=False)


def _compiled(signatures, **options):
    """``numba.njit`` with an on-disk cache when a directory for it is writable: numba refuses
    to compile a cached function with nowhere to cache it (a read-only install, no writable
    home), and compiling in memory costs ~5 s a process, not a failed ranking."""
    def decorate(function):
        try:
            return numba.njit(signatures, cache=True, **options)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(signatures, cache=False, **options)(function)
    return decorate


#: Rows a kernel first touches, then computes: the touching loads have nothing to wait for,
#: so the memory fetches many rows at once (a compute loop waits on one row's chain of adds
#: before the next row's address is read); on rows not in cache, 100,000-module catalog:
#: 172 rows' cosines 161 -> 88 µs, 1,000 rows' sketch bounds 82 -> 55 µs.
_TOUCHED_ROWS, _TOUCHED_SKETCH_ROWS = 64, 512

#: (indptr, indices) dtypes of a CSR matrix: scipy keeps them in int32 until they outgrow it.
_CSR_INDEX_TYPES = (("int32", "int32"), ("int64", "int32"), ("int64", "int64"))
_ROW_COSINES = [f"float64({ptr}[::1], {ind}[::1], float64[::1], float64[::1], intp[::1], "
                "float64[::1])" for ptr, ind in _CSR_INDEX_TYPES]


@_compiled(_ROW_COSINES, **_COMPILE)
def row_cosines(indptr, indices, data, dense_query, rows, out):  # pragma: no cover - compiled
    """``out[n]`` = Σ over the stored entries of row ``rows[n]`` of data × query, in stored
    (column) order from 0.0: ``(matrix[rows] @ dense_query)`` float for float. Returns the
    touched values' sum, so that the compiler keeps the touching loads."""
    touched = 0.0
    for start in range(0, rows.size, _TOUCHED_ROWS):
        end = min(start + _TOUCHED_ROWS, rows.size)
        for n in range(start, end):
            first = indptr[rows[n]]
            if first < indptr[rows[n] + 1]:
                touched += data[first] + indices[first]
        for n in range(start, end):
            row = rows[n]
            total = 0.0
            for at in range(indptr[row], indptr[row + 1]):
                total += data[at] * dense_query[indices[at]]
            out[n] = total
    return touched


#: Reassociation only: it lets the compiler sum a module's 64 products in vector lanes (3–4×
#: faster than one chain of dependent adds); the sum is a bound, and its error bound holds in any
#: order (every product is non-negative).
_REASSOCIATE = dict(_COMPILE, fastmath={"reassoc"})


@_compiled("int64(uint8[:, ::1], float32[::1], intp[::1], float64, float64, float64[::1])",
           **_REASSOCIATE)
def sketch_bounds(levels, weights, rows, factor, most, out):  # pragma: no cover - compiled
    """``out[n]`` = min(Σ_b levels[rows[n], b] × weights[b] (float32) × ``factor``, ``most``):
    every bucket of a module's row, contiguous (a bucket the query lacks weighs 0). Returns the
    touched values' sum (see :func:`row_cosines`)."""
    touched = 0
    for start in range(0, rows.size, _TOUCHED_SKETCH_ROWS):
        end = min(start + _TOUCHED_SKETCH_ROWS, rows.size)
        for n in range(start, end):
            touched += levels[rows[n], 0]
        for n in range(start, end):
            row = rows[n]
            total = np.float32(0.0)
            for b in range(levels.shape[1]):
                total += np.float32(levels[row, b]) * weights[b]
            out[n] = min(np.float64(total) * factor, most)
    return touched


@_compiled("void(uint8[:, ::1], float32[::1], intp[::1], intp[::1], float64, float64, "
           "float64[::1])", **_REASSOCIATE)
def sketch_bounds_by_bucket(by_bucket, weights, buckets, rows, factor, most, out):  # pragma: no cover - compiled
    """:func:`sketch_bounds` from the sketch stored bucket by bucket (``by_bucket[b, row]``),
    over the query's ``buckets`` (those of non-zero weight) one after the other: each bucket's
    bytes of ascending ``rows`` are read in address order, which the memory streams, where a
    module's row is a fetch of its own. For thousands of rows a few apart, not for a few rows
    far apart (``BucketNorms.bounds`` chooses). The same bound, its sum in another order."""
    totals = np.zeros(rows.size, dtype=np.float32)
    for k in range(buckets.size):
        column = by_bucket[buckets[k]]
        weight = weights[buckets[k]]
        for n in range(rows.size):
            totals[n] += np.float32(column[rows[n]]) * weight
    for n in range(rows.size):
        out[n] = min(np.float64(totals[n]) * factor, most)


@_compiled("int64(intp[::1], int32[::1], int32[::1], float32[::1], float32[::1], float32[::1], "
           "float64, float64, boolean[::1], boolean[::1], float32[::1], float64[::1], "
           "boolean[::1], boolean[::1], intp[::1], intp[::1], float64[::1])", **_COMPILE)
def context_bounds(rows, first, second, first_table, second_table, constant, add, floored,
                   kept_by_module, client_by_module, partial, upper, kept, client,
                   by_audience, audience_rows, audience_upper):  # pragma: no cover - compiled
    """For each eligible module ``rows[n]``: ``partial[n]`` = its two groups' tag estimates and
    its constant, summed in float32 in that order from 0 (as numpy sums the arrays); ``upper[n]`` =
    max(partial + ``add`` in float64, ``floored``); its ``kept`` and ``client`` flags. Then the
    positions of the client-facing modules, ascending, and after them the internal ones', with
    their rows and upper bounds (``by_audience``, ``audience_rows``, ``audience_upper``);
    returns how many are client-facing. One pass (and one over what it wrote) where numpy made
    eight, and six more for the two lists' modules."""
    n_client = 0
    for n in range(rows.size):
        row = rows[n]
        total = np.float32(0.0) + first_table[first[row]] + second_table[second[row]]
        total = total + constant[row]
        partial[n] = total
        upper[n] = max(np.float64(total) + add, floored)
        kept[n] = kept_by_module[row]
        client[n] = client_by_module[row]
        n_client += client[n]
    at_client, at_internal = 0, n_client
    for n in range(rows.size):
        if client[n]:
            at = at_client
            at_client += 1
        else:
            at = at_internal
            at_internal += 1
        by_audience[at] = n
        audience_rows[at] = rows[n]
        audience_upper[at] = upper[n]
    return n_client


@_compiled("void(intp[::1], int32[::1], int32[::1], float32[::1], float32[::1], float32[::1])",
           **_COMPILE)
def tag_estimates(rows, first, second, first_table, second_table, out):  # pragma: no cover - compiled
    """``out[n]`` = module ``rows[n]``'s two groups' tag estimates summed in float32 from 0, in
    that order (``CatalogTags.tag_score_estimates``): one pass where numpy made five."""
    for n in range(rows.size):
        row = rows[n]
        out[n] = np.float32(0.0) + first_table[first[row]] + second_table[second[row]]


_ROW_GRAM = [f"void({ptr}[::1], {ind}[::1], float64[::1], intp[::1], int64, float64[:, ::1])"
             for ptr, ind in _CSR_INDEX_TYPES]


@_compiled(_ROW_GRAM, **_COMPILE)
def row_gram(indptr, indices, data, rows, n_columns, out):  # pragma: no cover - compiled
    """``out`` = the dot products of every pair of ``rows``: each row in turn spread over a
    dense vector of ``n_columns``, then each later row's stored entries multiplied into it (in
    stored order), a number per entry with no branch to mispredict."""
    dense = np.zeros(n_columns)
    for i in range(rows.size):
        start, end = indptr[rows[i]], indptr[rows[i] + 1]
        for at in range(start, end):
            dense[indices[at]] = data[at]
        for j in range(i, rows.size):
            total = 0.0
            for at in range(indptr[rows[j]], indptr[rows[j] + 1]):
                total += dense[indices[at]] * data[at]
            out[i, j] = total
            out[j, i] = total
        for at in range(start, end):
            dense[indices[at]] = 0.0

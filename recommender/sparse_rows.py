"""The dot products of a few rows of a CSR matrix (a list's head, for maximal marginal
relevance), where scipy's and numpy's fixed costs dominate. Design: docs/design/recommender.md."""
from __future__ import annotations

import numpy as np
from scipy import sparse


def row_gram(matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """``(matrix[rows] @ matrix[rows].T).toarray()`` for a few rows, within rounding (each dot
    product summed in the later row's stored order)."""
    from recommender import kernels  # numba: imported by ``TagTextRanker.prepare``

    rows = np.ascontiguousarray(rows, dtype=np.intp)
    out = np.empty((rows.size, rows.size))
    kernels.row_gram(matrix.indptr, matrix.indices, matrix.data, rows, matrix.shape[1], out)
    return out

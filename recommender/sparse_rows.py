"""A few rows of a CSR matrix read with numpy alone, where scipy's fixed costs dominate (a
list's head of 20 rows: ~0.2 ms to index and multiply them). For hundreds of rows scipy's
one-pass copy is faster (300 rows: 56 µs against 143 µs here); use it there."""
from __future__ import annotations

import numpy as np
from scipy import sparse


def row_entries(matrix: sparse.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``matrix.indices`` / ``.data`` of the stored entries of ``rows``, row by
    row and each row's in stored (column) order; the ordinal in ``rows`` of each one's row)."""
    rows = np.asarray(rows, dtype=np.intp)
    starts = matrix.indptr[rows].astype(np.intp)
    lengths = matrix.indptr[rows + 1] - starts
    owner = np.repeat(np.arange(rows.size), lengths)
    first = np.cumsum(lengths) - lengths  # where each row's entries start in the output
    positions = np.arange(owner.size) + np.repeat(starts - first, lengths)
    return positions, owner


def row_gram(matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """``(matrix[rows] @ matrix[rows].T).toarray()`` for a few rows, through a dense block over
    the terms they use (a few hundred columns for a list's head, not the vocabulary)."""
    positions, owner = row_entries(matrix, rows)
    used, column = np.unique(matrix.indices[positions], return_inverse=True)
    block = np.zeros((len(rows), used.size))
    block[owner, column] = matrix.data[positions]
    return block @ block.T

"""Rows of a CSR matrix read in place agree with scipy's own indexing and products."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from recommender.sparse_rows import row_entries, row_gram


def _matrix(seed: int, shape=(60, 40), density=0.15) -> sparse.csr_matrix:
    matrix = sparse.random(*shape, density=density, format="csr", random_state=seed)
    matrix.data[:] = np.random.default_rng(seed).normal(size=matrix.nnz)
    return matrix


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), rows=st.lists(st.integers(0, 59), max_size=25))
def test_a_rows_gram_matrix_is_scipys_product_of_the_same_rows(seed, rows):
    matrix, rows = _matrix(seed), np.array(rows, dtype=np.intp)
    expected = (matrix[rows] @ matrix[rows].T).toarray()
    np.testing.assert_allclose(row_gram(matrix, rows), expected, rtol=1e-12, atol=1e-12)


def test_row_entries_are_each_rows_stored_entries_in_order_with_their_owner():
    matrix = _matrix(3)
    rows = np.array([7, 2, 7, 59])
    positions, owner = row_entries(matrix, rows)
    picked = matrix[rows]
    np.testing.assert_array_equal(matrix.indices[positions], picked.indices)
    np.testing.assert_array_equal(matrix.data[positions], picked.data)
    np.testing.assert_array_equal(owner, np.repeat(np.arange(4), np.diff(picked.indptr)))


def test_no_rows_and_empty_rows_give_empty_and_zero_blocks():
    matrix = sparse.csr_matrix((3, 5))
    assert row_gram(matrix, np.array([], dtype=np.intp)).shape == (0, 0)
    np.testing.assert_array_equal(row_gram(matrix, np.array([0, 2])), np.zeros((2, 2)))

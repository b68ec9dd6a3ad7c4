"""The dot products of a few rows of a CSR matrix agree with scipy's product of those rows."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from recommender.sparse_rows import row_gram


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


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_int64_indices_give_the_same_products(seed):
    """scipy moves a matrix's indices to int64 past 2**31 stored entries."""
    matrix, rows = _matrix(seed), np.array([3, 0, 59, 3, 17], dtype=np.intp)
    wide = sparse.csr_matrix(matrix.shape)
    wide.data, wide.indices, wide.indptr = (
        matrix.data, matrix.indices.astype(np.int64), matrix.indptr.astype(np.int64))
    np.testing.assert_array_equal(row_gram(wide, rows), row_gram(matrix, rows))


def test_no_rows_and_empty_rows_give_empty_and_zero_blocks():
    matrix = sparse.csr_matrix((3, 5))
    assert row_gram(matrix, np.array([], dtype=np.intp)).shape == (0, 0)
    np.testing.assert_array_equal(row_gram(matrix, np.array([0, 2])), np.zeros((2, 2)))

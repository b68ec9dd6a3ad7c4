"""contenders + best_of return what sorting every exact score would, scoring only a few."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.selection import best_of, contenders


@settings(max_examples=200, deadline=None, database=None)
@given(
    size=st.integers(0, 3_000),
    n=st.integers(0, 30),
    seed=st.integers(0, 2**32 - 1),
    levels=st.integers(1, 40),
)
def test_the_n_best_by_exact_score_ties_to_the_lower_position(size, n, seed, levels):
    rng = np.random.default_rng(seed)
    tags = rng.integers(0, levels, size) / 4.0  # few distinct values: many ties
    text = np.where(rng.random(size) < 0.3, 0.0, rng.integers(0, 5, size) / 2.0)
    exact = tags + text

    kept = contenders(tags + 2.0 + 1e-9, lambda p: tags[p], n)
    chosen = kept[best_of(kept, exact[kept], n)]

    np.testing.assert_array_equal(chosen, np.lexsort((np.arange(size), -exact))[:n])


def test_only_candidates_whose_bound_reaches_the_floor_are_kept():
    tags = np.zeros(10_000)
    tags[:7] = 10.0  # seven modules whose tags alone beat anything the text adds to the rest
    kept = contenders(tags + 2.0, lambda p: tags[p], 5)
    assert set(kept.tolist()) == set(range(7))

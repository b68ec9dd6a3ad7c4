"""contenders + best_of return what sorting every exact score would, scoring only a few."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.selection import best_bounds, best_of, contenders


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


@settings(max_examples=200, deadline=None, database=None)
@given(size=st.integers(0, 3_000), n=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_a_tighter_bound_keeps_every_module_of_the_n_best(size, n, seed):
    rng = np.random.default_rng(seed)
    tags = rng.integers(0, 12, size) / 4.0
    text = rng.random(size) * rng.random(size)  # most texts far below the constant bound
    exact = tags + text
    own = np.minimum(text + rng.random(size) * 0.2, 1.0)  # each module's bound: above its text

    kept = contenders(tags + 1.0 + 1e-9, lambda p: exact[p] - 1e-9, n, lambda p: tags[p] + own[p])
    chosen = kept[best_of(kept, exact[kept], n)]

    np.testing.assert_array_equal(chosen, np.lexsort((np.arange(size), -exact))[:n])


def test_a_tighter_bound_leaves_out_what_the_constant_bound_cannot():
    rng = np.random.default_rng(1)
    tags = np.zeros(20_000)  # tags tie: only the text can separate the modules
    text = rng.random(20_000) * 0.5
    text[:5] = 0.9
    exact = tags + text

    loose = contenders(tags + 1.0, lambda p: exact[p], 5)
    tight = contenders(tags + 1.0, lambda p: exact[p], 5, lambda p: tags[p] + text[p] + 0.1)

    assert len(loose) == 20_000 and set(range(5)) <= set(tight.tolist()) and len(tight) < 200


@settings(max_examples=200, deadline=None, database=None)
@given(size=st.integers(1, 50_000), probes=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       levels=st.integers(1, 1_000))
def test_probes_are_the_best_bounds_at_least_as_many_as_asked(size, probes, seed, levels):
    upper = np.random.default_rng(seed).integers(0, levels, size).astype(np.float32)
    probes = min(probes, size)

    found = best_bounds(upper, probes)

    assert len(found) >= probes and len(set(found.tolist())) == len(found)
    left = np.ones(size, dtype=bool)
    left[found] = False
    assert not left.any() or upper[left].max() <= upper[found].min()

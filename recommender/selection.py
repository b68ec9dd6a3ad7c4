"""Exact top-n selection that computes exact scores only where they can matter.
Design: docs/design/recommender.md."""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Below this many candidates keep them all: the bookkeeping would cost more than it saves.
_KEEP_ALL_BELOW = 256


def contenders(
    upper: np.ndarray,
    lower_of: Callable[[np.ndarray], np.ndarray],
    n: int,
    tighter: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Positions whose upper bound reaches the n-th best lower bound among the best bounds.

    ``lower_of(positions)`` gives lower bounds of those positions' exact scores; ``upper`` must
    bound the exact scores from above (callers add a margin for rounding), and so must
    ``tighter(positions)``, a dearer, tighter bound asked only of the positions ``upper`` keeps.
    The floor comes from the ``probe_size(n)`` best upper bounds: probing more than n costs a
    few more lower bounds and raises the floor, which keeps fewer contenders.
    """
    size = len(upper)
    if n <= 0 or size == 0:
        return np.empty(0, dtype=np.intp)
    probes = probe_size(n)
    if size <= max(_KEEP_ALL_BELOW, probes):
        return np.arange(size)
    probe = best_bounds(upper, probes)
    lower = lower_of(probe)
    floor = np.partition(lower, len(lower) - n)[len(lower) - n]  # the n-th best
    kept = np.flatnonzero(upper >= floor)
    if tighter is not None and len(kept) > probes:
        kept = kept[tighter(kept) >= floor]
    return kept


def best_bounds(upper: np.ndarray, probes: int) -> np.ndarray:
    """About the ``probes`` positions of largest ``upper`` (at least ``probes``, a few times
    more at most): any positions give a true floor, the best give the highest. A strided
    sample finds a threshold that about twice ``probes`` reach, so the full array is compared
    once, not partitioned (partitioning hundreds of thousands of bounds cost more than
    scoring the probes)."""
    size = len(upper)
    target = 2 * probes
    step = target // _SAMPLED_PER_TARGET  # the sample's share of ``target``: ~16 values
    if step >= 2 and size >= 8 * target:
        sample = upper[::step]
        wanted = _SAMPLED_PER_TARGET
        while wanted <= len(sample):
            threshold = np.partition(sample, len(sample) - wanted)[len(sample) - wanted]
            found = np.flatnonzero(upper >= threshold)
            if len(found) >= probes:
                if len(found) <= 4 * probes:
                    return found
                # a long tie at the threshold: the best of those reaching it
                return found[np.argpartition(-upper[found], probes - 1)[:probes]]
            wanted *= 4  # an unlucky sample: a lower threshold
    return np.argpartition(-upper, probes - 1)[:probes]


#: How many sampled values stand for the ``2 × probes`` best in :func:`best_bounds`: the count
#: reaching the threshold then varies by about a quarter (1/√16) around its aim.
_SAMPLED_PER_TARGET = 16


def probe_size(n: int) -> int:
    """How many of the best bounds to score exactly for a floor under the n best: with 4n the
    floor sat low on the contexts that set the p99 (twice the contenders of the best possible
    floor); 256 reached that floor, 64 come close enough once each module's own text bound
    (``tighter``) prunes after it, and cost less to score (BENCHMARKS.md)."""
    return max(4 * n, _PROBES)


#: See :func:`probe_size`.
_PROBES = 64


def best_of(positions: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Indices into ``positions`` of the ``n`` best ``scores``, best first, ties to the lower
    position (positions follow module ids, so the smaller id wins a tie)."""
    if n <= 0:
        return np.empty(0, dtype=np.intp)
    keep = np.arange(len(scores))
    if len(scores) > n:  # everything that ties with the n-th best, then order exactly
        nth = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = np.flatnonzero(scores >= nth)
    return keep[np.lexsort((positions[keep], -scores[keep]))[:n]]


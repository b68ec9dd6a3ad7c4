"""Exact top-n selection that computes exact scores only where they can matter.
Design: docs/design/recommender.md."""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Below this many candidates keep them all: the bookkeeping would cost more than it saves.
_KEEP_ALL_BELOW = 256


def contenders(
    upper: np.ndarray, lower_of: Callable[[np.ndarray], np.ndarray], n: int
) -> np.ndarray:
    """Positions whose ``upper`` bound reaches the n-th best lower bound among the 4n best bounds.

    ``lower_of(positions)`` gives lower bounds of those positions' exact scores; ``upper`` must
    bound the exact scores from above (callers add a margin for rounding). Probing 4n rather
    than n costs a few more lower bounds and raises the floor, which keeps fewer contenders.
    """
    size = len(upper)
    if n <= 0 or size == 0:
        return np.empty(0, dtype=np.intp)
    if size <= max(_KEEP_ALL_BELOW, 4 * n):
        return np.arange(size)
    probe = np.argpartition(-upper, 4 * n - 1)[: 4 * n]
    lower = lower_of(probe)
    floor = np.partition(lower, len(lower) - n)[len(lower) - n]  # the n-th best
    return np.flatnonzero(upper >= floor)


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


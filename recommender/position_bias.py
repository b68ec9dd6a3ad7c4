"""How likely a rep is to look at a suggestion at each position: the examination curve θ.
Design: docs/design/recommender.md."""
from __future__ import annotations

from typing import Iterable

import numpy as np
from sklearn.isotonic import IsotonicRegression

from recommender.feedback import Impression


def prior_examination(positions: int) -> np.ndarray:
    """θ assumed before any exploratory data: the DCG discount 1 / log2(k + 1)."""
    return 1.0 / np.log2(np.arange(2, positions + 2, dtype=float))


def estimate_examination(
    impressions: Iterable[Impression],
    *,
    positions: int = 5,
    prior_strength: float = 50.0,
    floor: float = 0.05,
) -> np.ndarray:
    """θ_1..θ_positions from the exploratory impressions, with θ_1 = 1.

    Each position's open rate is shrunk toward the prior's shape by ``prior_strength``
    pseudo-impressions (so a position with few exploratory picks keeps the prior), made
    non-increasing by isotonic regression, divided by the first, and floored at ``floor`` so that
    no inverse weight can exceed 1/floor.
    """
    shown = np.zeros(positions)
    opened = np.zeros(positions)
    for i in impressions:
        if i.explored and i.position <= positions:
            shown[i.position - 1] += 1
            opened[i.position - 1] += i.opened
    prior = prior_examination(positions)
    if not opened.any():
        return np.maximum(prior, floor)
    scale = opened.sum() / (shown * prior).sum()  # the open rate an always-examined slot would have
    rate = (opened + prior_strength * prior * scale) / (shown + prior_strength)
    k = np.arange(positions)
    rate = (
        IsotonicRegression(increasing=False)
        .fit(k, rate, sample_weight=shown + prior_strength)
        .predict(k)
    )
    return np.clip(rate / rate[0], floor, 1.0)

"""The learned ranker's exploratory slot: which modules it may show, and with what probability.
Design: docs/learning.md (Exploration)."""
from __future__ import annotations

import numpy as np


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    weights = np.exp((scores - scores.max()) / temperature)
    return weights / weights.sum()


def exploration_pool(
    best_rows: np.ndarray,
    best_optimistic: np.ndarray,
    new_rows: np.ndarray,
    new_scores: np.ndarray,
    *,
    temperature: float,
    new_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The modules an exploratory slot may show, in module order, and the probability of each.

    ``best_rows`` are the best by optimistic score, best first (ties: smaller row first), with
    their ``best_optimistic`` scores; ``new_rows`` (ascending) the new modules with their scores.
    The arithmetic runs over the same values in the same order as a pass over every module
    would, so the probabilities, and the draws made with them, are the same.
    """
    pooled = softmax(best_optimistic, temperature) if len(best_rows) else best_optimistic
    if len(new_rows) == 0:
        keep = pooled > 0
        order = np.argsort(best_rows[keep], kind="stable")
        return best_rows[keep][order], pooled[keep][order]
    rows = np.union1d(best_rows, new_rows)
    pool = np.zeros(len(rows))
    pool[np.searchsorted(rows, best_rows)] = pooled
    fresh = np.zeros(len(rows))
    fresh[np.searchsorted(rows, new_rows)] = softmax(new_scores, temperature)
    probabilities = (1 - new_share) * pool + new_share * fresh
    keep = probabilities > 0
    return rows[keep], probabilities[keep] / probabilities[keep].sum()

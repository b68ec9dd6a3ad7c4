"""Maximal marginal relevance: keep near-identical modules from filling one list.
Design: docs/design/recommender.md and docs/learning.md (Diversity)."""
from __future__ import annotations

import numpy as np
from scipy import sparse

from recommender.sparse_rows import row_gram


def maximal_marginal_relevance(
    ordered: np.ndarray,
    scores: np.ndarray,
    vectors: sparse.csr_matrix | None,
    k: int,
    diversity: float,
    *,
    window: int | None = None,
) -> list[int]:
    """The first ``k`` of ``ordered`` (best first) re-chosen by MMR with λ = 1 − ``diversity``.

    ``scores`` are aligned with ``ordered``; ``vectors`` holds every module's L2-normalised row,
    indexed by the values in ``ordered``. Only the best ``window`` (default max(4k, 20)) are
    considered: MMR re-orders the head of the list, it does not dig up the tail.
    """
    if diversity <= 0 or vectors is None or len(ordered) <= 1 or k <= 1:
        return [int(i) for i in ordered[:k]]
    size = window or max(4 * k, 20)
    head, head_scores = ordered[:size], np.asarray(scores[:size], dtype=float)
    spread = head_scores.max() - head_scores.min()
    relevance = (head_scores - head_scores.min()) / spread if spread > 0 else np.ones(len(head))
    similarity = row_gram(vectors, head)
    lam = 1.0 - diversity
    chosen = [0]
    redundancy = similarity[0].copy()
    while len(chosen) < min(k, len(head)):
        value = lam * relevance - (1.0 - lam) * redundancy
        value[chosen] = -np.inf
        best = int(np.argmax(value))  # the first maximum: ties keep the score order
        chosen.append(best)
        redundancy = np.maximum(redundancy, similarity[best])
    return [int(head[c]) for c in chosen]

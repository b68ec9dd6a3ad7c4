"""Maximal marginal relevance: keep near-identical modules from filling one list.

Carbonell & Goldstein (1998): choose, one at a time, the module maximising

    λ · relevance − (1 − λ) · (highest similarity to a module already chosen)

Relevance is the ranking score min-max scaled to [0, 1] over the window considered; similarity is
the cosine of the modules' TF-IDF vectors (the ones v1's text score uses). With λ = 0.7 (the
learned ranker's default ``diversity=0.3``) a module that is a 0.9-cosine copy of one already
chosen loses 0.27, i.e. 39 % of the window's score range: two versions of the same case study
rarely both make the list, while two different strong modules both do.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse


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
    rows = vectors[head]
    similarity = (rows @ rows.T).toarray()
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

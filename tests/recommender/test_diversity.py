"""Maximal marginal relevance's similarities: numpy over the head, the sparse product's values."""
import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize

from recommender.diversity import maximal_marginal_relevance


def reference_mmr(ordered, scores, vectors, k, diversity, window=None):
    """The previous implementation: the whole window's sparse product."""
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
        best = int(np.argmax(value))
        chosen.append(best)
        redundancy = np.maximum(redundancy, similarity[best])
    return [int(head[c]) for c in chosen]


@pytest.mark.parametrize("seed", range(40))
def test_mmr_chooses_exactly_what_the_sparse_product_chose(seed):
    rng = np.random.default_rng(seed)
    n, vocabulary = int(rng.integers(2, 80)), int(rng.integers(1, 400))
    vectors = sparse.random(n, vocabulary, density=float(rng.uniform(0.0, 0.2)), format="csr",
                            random_state=seed)
    vectors.data = rng.random(vectors.data.size)
    if seed % 4 == 0:  # near-copies and identical rows: ties decide
        vectors = sparse.vstack([vectors, vectors[: n // 2]]).tocsr()
    vectors = normalize(vectors).tocsr()
    vectors.sort_indices()
    ordered = rng.permutation(vectors.shape[0])
    scores = np.sort(rng.choice([0.5, 1.0, 1.5, 2.0], ordered.size))[::-1]
    for k in (2, 3, 5):
        for diversity in (0.3, 0.7):
            assert maximal_marginal_relevance(ordered, scores, vectors, k, diversity) == \
                reference_mmr(ordered, scores, vectors, k, diversity)

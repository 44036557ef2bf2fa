"""The top-n selection against a full stable sort, on integer scores full of ties."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shopcase.recommend._topn import keep_top_k, top_n_dense

scores_strategy = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 12)),
    elements=st.sampled_from([-np.inf, -1.0, 0.0, 1.0, 2.0, 2.0, 3.0]),
)


@settings(max_examples=300, deadline=None)
@given(scores=scores_strategy, n=st.integers(1, 15))
def test_top_n_dense_equals_stable_sort(scores, n):
    row, col, rank = top_n_dense(scores, n)
    for r in range(scores.shape[0]):
        finite = [j for j in range(scores.shape[1]) if np.isfinite(scores[r, j])]
        expected = sorted(finite, key=lambda j: (-scores[r, j], j))[:n]
        assert col[row == r].tolist() == expected
        assert rank[row == r].tolist() == list(range(1, len(expected) + 1))


@settings(max_examples=200, deadline=None)
@given(scores=scores_strategy, k=st.integers(1, 15))
def test_keep_top_k_keeps_positive_entries_by_value_then_column(scores, k):
    dense = np.where(np.isfinite(scores), scores, 0.0)
    kept_sparse = keep_top_k(dense, k)
    assert isinstance(kept_sparse, sp.csr_matrix)
    kept = kept_sparse.toarray()
    for r in range(dense.shape[0]):
        positive = [j for j in range(dense.shape[1]) if dense[r, j] > 0]
        expected = sorted(positive, key=lambda j: (-dense[r, j], j))[:k]
        assert np.flatnonzero(kept[r]).tolist() == sorted(expected)
        assert np.array_equal(kept[r, expected], dense[r, expected])

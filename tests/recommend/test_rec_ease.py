"""EASE's in-place Cholesky fit: equal to a plain numpy inverse, float32 close to float64, memory refused early."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from recommend_oracles import dense_matrix, ease_scores, random_interactions
from threadpoolctl import threadpool_info

import shopcase.recommend.ease as ease_module
from shopcase.recommend import EASE


def numpy_weights(x: np.ndarray, l2: float) -> np.ndarray:
    """Steck's closed form, written plainly: B = I - P / diag(P), P = inv(X^T X + l2 I), diag(B) = 0."""
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    b = np.eye(x.shape[1]) - p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("l2", [0.5, 50.0])
def test_weights_equal_numpy_inverse_across_blocks_and_tiles(dtype, l2, monkeypatch):
    # Tiny Gram blocks (4 rows, more as the triangle narrows) and mirroring tiles (7): every boundary is crossed.
    monkeypatch.setattr(ease_module, "_GRAM_CELLS", 3 * 53)
    monkeypatch.setattr(ease_module, "_TILE", 7)
    x, _, _ = dense_matrix(random_interactions(120, 53, 0.15, seed=5))
    got = ease_module.ease_weights(sp.csr_matrix(x), l2, dtype)
    expected = numpy_weights(x, l2)
    assert got.dtype == np.dtype(dtype) and got.flags.c_contiguous
    assert np.all(np.diag(got) == 0)
    # float32: G's condition number times float32's 6e-8, relative to the largest weight.
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance * np.abs(expected).max())


def test_float32_ranks_like_float64(small):
    """Scores agree to 1e-5 of their scale; a list may differ only by swapping items whose float64
    scores are that close (none do on this data, so the lists are identical)."""
    users = sorted(small["user_id"].unique())
    x, _, _ = dense_matrix(small)
    exact = ease_scores(x, 20.0)
    wide = EASE(l2=20.0).fit(small).recommend(users, n=10)
    model = EASE(l2=20.0, dtype="float32").fit(small)
    narrow = model.recommend(users, n=10)
    assert narrow["score"].dtype == np.float64
    assert model.similar_items(model.item_ids_[:3], n=5)["score"].dtype == np.float64
    scale = np.abs(exact).max()
    np.testing.assert_allclose(narrow["score"], wide["score"], rtol=0, atol=1e-5 * scale)
    assert narrow[["user_id", "item_id", "rank"]].equals(wide[["user_id", "item_id", "rank"]])


def test_float32_lists_are_optimal_up_to_the_float32_error():
    """On wider data with integer strengths (near-ties), each float32 list is a float64 top-10 up to 1e-5."""
    frame = random_interactions(400, 300, 0.05, seed=9, integer=True)
    x, users, items = dense_matrix(frame)
    exact = ease_scores(x, 5.0)
    exact[x > 0] = -np.inf  # seen items are excluded
    narrow = EASE(l2=5.0, dtype="float32").fit(frame).recommend(users, n=10)
    tolerance = 1e-5 * np.abs(exact[np.isfinite(exact)]).max()
    best = -np.sort(-exact, axis=1)[:, :10]
    rows = pd.Index(users).get_indexer(narrow["user_id"])
    cols = pd.Index(items).get_indexer(narrow["item_id"])
    got = exact[rows, cols].reshape(len(users), 10)
    assert np.all(np.abs(got - best) <= tolerance)  # rank by rank, within the float32 error of the best


def test_too_large_for_the_budget_is_refused_before_any_allocation(small, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("ease_weights must not run")

    monkeypatch.setattr(ease_module, "ease_weights", never)
    model = EASE(max_memory_gb=1e-6)
    with pytest.raises(ValueError, match=r"EASE on 40 items \(float64, l2=500\) needs ~0\.\d+ GB.*max_memory_gb=1e-06"):
        model.fit(small)
    assert not hasattr(model, "weights_")
    monkeypatch.setattr(ease_module, "available_memory_bytes", lambda: 10_000)
    with pytest.raises(ValueError, match=r"needs ~0\.\d+ GB but only 0\.0 GB are available.*dtype='float32'"):
        EASE(dtype="float32").fit(small)


def test_memory_needed_is_stated_in_gigabytes():
    assert ease_module.fit_memory_bytes(20_000, "float32") == pytest.approx(1.6e9, rel=0.1)
    assert ease_module.fit_memory_bytes(20_000, "float64") == pytest.approx(3.2e9, rel=0.05)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (EASE(dtype="float16"), "dtype must be one of"),
        (EASE(dtype=np.float32), "dtype must be one of"),
        (EASE(max_memory_gb=-1.0), "max_memory_gb"),
        (EASE(max_memory_gb="4GB"), "max_memory_gb"),
        (EASE(max_items=10), r"max_items=10 \(fitting needs ~"),
    ],
)
def test_bad_parameters(small, model, match):
    with pytest.raises(ValueError, match=match):
        model.fit(small)


def test_blas_threads_are_raised_only_for_the_factorisation(small, monkeypatch):
    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    seen = []
    potrf, potri = ease_module._LAPACK["float64"]

    def recording_potrf(*args, **kwargs):
        seen.append(blas_threads())
        return potrf(*args, **kwargs)

    monkeypatch.setitem(ease_module._LAPACK, "float64", (recording_potrf, potri))
    monkeypatch.setattr(ease_module, "available_cpus", lambda: 3)
    before = blas_threads()
    EASE().fit(small)  # n_jobs=None: every core for LAPACK, as scikit-learn's BLAS-backed estimators
    EASE(n_jobs=2).fit(small)
    assert seen == [{3}, {2}]
    assert blas_threads() == before

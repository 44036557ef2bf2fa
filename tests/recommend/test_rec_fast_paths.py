"""The fast paths (sampled thresholds, sparse top-n, symmetric similarity blocks, threads) give exactly
the results of plain implementations: same items, same order, same score bits."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from recommend_oracles import random_interactions
from threadpoolctl import threadpool_info, threadpool_limits

import shopcase.recommend._parallel as parallel
import shopcase.recommend._similarity as similarity
from shopcase.recommend import EASE, ContentBased, ItemKNN, Popularity, UserKNN
from shopcase.recommend._similarity import cosine_top_k, cosine_top_k_all, row_norms, sparse_product
from shopcase.recommend._topn import TINY, Candidates, keep_top_k, top_n_csr, top_n_dense


def plain_top_n(scores: np.ndarray, n: int, positive: bool = False) -> list[list[int]]:
    """Per row: columns of the top ``n`` finite (or positive) entries, by score desc then column."""
    lists = []
    for row in scores:
        ok = row > 0 if positive else np.isfinite(row)
        cols = np.flatnonzero(ok)
        lists.append(cols[np.lexsort((cols, -row[cols]))][:n].tolist())
    return lists


def tied_scores(rng: np.random.Generator, rows: int, cols: int, missing: float) -> np.ndarray:
    """Integer scores (many exact ties), a share ``missing`` of ``-inf``, a few NaN."""
    scores = rng.integers(-3, 6, (rows, cols)).astype(np.float64)
    scores[rng.random((rows, cols)) < missing] = -np.inf
    scores[rng.random((rows, cols)) < 0.01] = np.nan
    return scores


# Wide rows take the sampled-threshold path, narrow rows the exact one; n > cols and
# rows with fewer than n finite entries (missing=0.97) are included.
CASES = [(5, 1, 1), (7, 12, 15), (6, 40, 3), (9, 400, 1), (9, 400, 3), (9, 2000, 10), (4, 3000, 100), (3, 50, 50)]


@pytest.mark.parametrize(("rows", "cols", "n"), CASES)
@pytest.mark.parametrize("missing", [0.0, 0.5, 0.97])
def test_top_n_dense_equals_plain_sort(rows, cols, n, missing):
    rng = np.random.default_rng(rows * cols + n)
    scores = tied_scores(rng, rows, cols, missing)
    row, col, rank = top_n_dense(scores, n)
    expected = plain_top_n(scores, n)
    for r in range(rows):
        assert col[row == r].tolist() == expected[r]
        assert rank[row == r].tolist() == list(range(1, len(expected[r]) + 1))
    assert (np.diff(row) >= 0).all()


@pytest.mark.parametrize(("rows", "cols", "k"), CASES)
@pytest.mark.parametrize("missing", [0.0, 0.9])
def test_keep_top_k_equals_plain_sort(rows, cols, k, missing):
    rng = np.random.default_rng(rows + cols * k)
    scores = np.nan_to_num(tied_scores(rng, rows, cols, missing), nan=0.0, neginf=0.0)
    kept = keep_top_k(scores, k)
    assert kept.has_sorted_indices
    for r, expected in enumerate(plain_top_n(scores, k, positive=True)):
        assert kept[r].indices.tolist() == sorted(expected)
        assert np.array_equal(kept[r].data, scores[r, sorted(expected)])


@pytest.mark.parametrize(("rows", "cols", "n"), CASES)
@pytest.mark.parametrize("density", [0.05, 0.6, 1.0])
def test_top_n_csr_equals_plain_sort(rows, cols, n, density):
    rng = np.random.default_rng(rows * 7 + cols + n)
    scores = tied_scores(rng, rows, cols, 0.1)
    stored = rng.random((rows, cols)) < density
    stored[0] = False  # an empty row
    excluded = np.nonzero(rng.random((rows, cols)) < 0.2)
    # Stored entries in a shuffled order within rows: top_n_csr must not rely on sorted columns.
    r, c = np.nonzero(stored)
    order = np.lexsort((rng.random(len(r)), r))
    indptr = np.concatenate(([0], np.cumsum(stored.sum(axis=1))))
    matrix = sp.csr_matrix((scores[r[order], c[order]], c[order], indptr), shape=(rows, cols))
    assert not matrix.has_sorted_indices or cols < 40 or density < 0.1
    row, col, value, rank = top_n_csr(matrix, n, excluded)
    candidates = np.where(stored, scores, -np.inf)
    candidates[excluded] = -np.inf
    expected = plain_top_n(candidates, n)
    for i in range(rows):
        assert col[row == i].tolist() == expected[i]
        assert np.array_equal(value[row == i], candidates[i, expected[i]])
        assert rank[row == i].tolist() == list(range(1, len(expected[i]) + 1))


@pytest.mark.parametrize(("rows", "cols", "n"), CASES)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_candidates_rank_what_is_left_after_exclusions_on_any_rows(rows, cols, n, kind):
    """``Candidates``: excluded items and cells never come back, and ranking a subset of rows again (deeper)
    equals ranking those rows alone."""
    rng = np.random.default_rng(rows * 11 + cols + n)
    scores = tied_scores(rng, rows, cols, 0.3)
    seen = np.nonzero(rng.random((rows, cols)) < 0.1)
    items = np.flatnonzero(rng.random(cols) < 0.2)
    cells = np.nonzero(rng.random((rows, cols)) < 0.1)
    if kind == "sparse":
        positive = np.where(scores > 0, scores, 0.0)
        candidates = Candidates(sp.csr_matrix(positive), floor=TINY, excluded=seen)
        expected = np.where(positive > 0, positive, -np.inf)
    else:
        candidates = Candidates(np.where(np.isnan(scores), -np.inf, scores))
        candidates.exclude(cells=seen)
        expected = np.where(np.isnan(scores), -np.inf, scores)
    candidates.exclude(items=items, cells=cells)
    for cut in (seen, cells):
        expected[cut] = -np.inf
    expected[:, items] = -np.inf
    subset = np.flatnonzero(rng.random(rows) < 0.6)
    for depth, which in ((n, None), (2 * n + 1, subset)):
        row, col, value, rank = candidates.top_n(depth, rows=which)
        chosen = np.arange(rows) if which is None else which
        lists = plain_top_n(expected[chosen], depth)
        for i, want in enumerate(lists):
            assert col[row == i].tolist() == want
            assert np.array_equal(value[row == i], expected[chosen[i], want])
            assert rank[row == i].tolist() == list(range(1, len(want) + 1))


@pytest.mark.parametrize("kernel", ["scipy's private kernel", "public @"])
def test_sparse_product_equals_matmul_bit_for_bit(kernel, monkeypatch):
    assert similarity._csr_matmat is not None  # this scipy has the kernel: both paths run here
    if kernel == "public @":
        monkeypatch.setattr(similarity, "_csr_matmat", None)
    left = sp.random(300, 200, density=0.05, format="csr", random_state=1)
    right = sp.random(200, 500, density=0.02, format="csr", random_state=2)
    got, expected = sparse_product(left, right), (left @ right).tocsr()
    got.sort_indices()
    expected.sort_indices()
    assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)
    empty = sparse_product(sp.csr_matrix((3, 4)), sp.csr_matrix((4, 5)))
    assert empty.shape == (3, 5) and empty.nnz == 0
    coo = sparse_product(left.tocoo(), right)  # not CSR: falls back to `@`
    assert abs(coo - expected).max() == 0


def test_a_scipy_without_the_private_kernel_falls_back_to_the_public_product(monkeypatch, small):
    monkeypatch.setitem(sys.modules, "scipy.sparse._sparsetools", None)  # `import` now raises ImportError
    assert similarity._load_kernel() is None
    users = sorted(small["user_id"].unique())
    expected = ItemKNN(k_neighbors=10).fit(small)
    monkeypatch.setattr(similarity, "_csr_matmat", similarity._load_kernel())
    fallback = ItemKNN(k_neighbors=10).fit(small)
    assert (fallback.similarity_ != expected.similarity_).nnz == 0
    pd.testing.assert_frame_equal(fallback.recommend(users, n=8), expected.recommend(users, n=8))
    monkeypatch.undo()
    assert similarity._load_kernel() is not None


def _integer_vectors(seed: int, items: int = 60, users: int = 90) -> sp.csr_matrix:
    frame = random_interactions(users, items, 0.15, seed=seed, integer=True)
    x = sp.csr_matrix((frame["rating"], (frame["user_id"], frame["item_id"])), shape=(users, items))
    return x.T.tocsr()  # items x users


@pytest.mark.parametrize("k", [1, 3, 10, 100])
@pytest.mark.parametrize("shrinkage", [0.0, 1.5])
@pytest.mark.parametrize("block", [1, 7, 60, "varying"])
def test_symmetric_blocks_equal_one_chunk_at_a_time(k, shrinkage, block):
    vectors = _integer_vectors(seed=k)
    m = vectors.shape[0]
    keep = np.ones(m)
    keep[5] = 0  # an item with no users (norm 0) never has neighbours
    vectors = (sp.diags(keep) @ vectors).tocsr()
    vectors.eliminate_zeros()
    norms = row_norms(vectors)
    vectors_t = vectors.T.tocsr()
    expected = cosine_top_k(vectors, norms, vectors_t, norms, shrinkage, np.arange(m), k)
    block_rows = (lambda start: 1 + start % 5) if block == "varying" else (lambda start: block)
    got = cosine_top_k_all(vectors, vectors_t, norms, shrinkage, k, block_rows)
    assert got.has_sorted_indices
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # bit for bit


@pytest.fixture(scope="module")
def tied():
    """300 users x 80 items, integer strengths (ties in similarities and scores)."""
    return random_interactions(300, 80, 0.1, seed=21, integer=True)


FAST_PATH_MODELS = {
    "item_knn": lambda: ItemKNN(k_neighbors=10),
    "item_knn_tfidf": lambda: ItemKNN(k_neighbors=5, weighting="tfidf", shrinkage=2.0),
    "user_knn": lambda: UserKNN(k_neighbors=8),
    "popularity": lambda: Popularity(),
    "ease": lambda: EASE(l2=10.0),
}


@pytest.mark.parametrize("name", list(FAST_PATH_MODELS))
def test_threads_and_chunk_sizes_do_not_change_results_with_ties(tied, name):
    users = sorted(tied["user_id"].unique())[::3] + [10_000]
    items = sorted(tied["item_id"].unique())
    outputs = []
    for n_jobs in (1, 3):
        for chunk_rows in (1, 7, None):
            model = FAST_PATH_MODELS[name]().set_params(chunk_rows=chunk_rows, n_jobs=n_jobs).fit(tied)
            state = model.similarity_ if hasattr(model, "similarity_") else None
            outputs.append((model.recommend(users, n=7), model.similar_items(items, n=5), state))
    for recs, similar, state in outputs[1:]:
        pd.testing.assert_frame_equal(recs, outputs[0][0])
        pd.testing.assert_frame_equal(similar, outputs[0][1])
        if state is not None:
            assert (state != outputs[0][2]).nnz == 0


@pytest.mark.parametrize("name", ["item_knn", "item_knn_tfidf", "user_knn"])
@pytest.mark.parametrize("exclude_seen", [True, False])
def test_sparse_top_n_equals_dense_top_n(tied, name, exclude_seen):
    model = FAST_PATH_MODELS[name]().set_params(chunk_rows=50).fit(tied)
    users = sorted(tied["user_id"].unique())
    sparse_recs = model.recommend(users, n=12, exclude_seen=exclude_seen)
    sparse_similar = model.similar_items(model.item_ids_, n=6)
    model._sparse_scores = False  # the dense path: densify, mask, top_n_dense
    pd.testing.assert_frame_equal(sparse_recs, model.recommend(users, n=12, exclude_seen=exclude_seen))
    pd.testing.assert_frame_equal(sparse_similar, model.similar_items(model.item_ids_, n=6))


def test_sparse_top_n_equals_dense_top_n_for_content(small, catalogue):
    model = ContentBased(chunk_rows=9).fit(small, catalogue)
    users = sorted(small["user_id"].unique())
    sparse_recs, sparse_similar = model.recommend(users, n=8), model.similar_items(catalogue["item_id"], n=8)
    model._sparse_scores = False
    pd.testing.assert_frame_equal(sparse_recs, model.recommend(users, n=8))
    pd.testing.assert_frame_equal(sparse_similar, model.similar_items(catalogue["item_id"], n=8))


def test_ordered_map_keeps_order_bounds_work_in_flight_and_raises():
    running, peak, lock = [0], [0], threading.Lock()

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.001 * (i % 3))
        with lock:
            running[0] -= 1
        return i * i

    consumed = []
    for value in parallel.ordered_map(work, iter(range(40)), workers=3):
        consumed.append(value)
    assert consumed == [i * i for i in range(40)]
    assert peak[0] <= 3
    assert list(parallel.ordered_map(work, range(5), workers=1)) == [0, 1, 4, 9, 16]

    def fail(i: int) -> int:
        if i == 4:
            raise RuntimeError("chunk 4")
        return i

    with pytest.raises(RuntimeError, match="chunk 4"):
        list(parallel.ordered_map(fail, range(10), workers=2))


def test_workers_run_blas_on_one_thread_each():
    def blas_threads(_: int) -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):  # as a machine with 2+ cores would have it
        outside = blas_threads(0)
        assert outside == {2}
        inside = set().union(*parallel.ordered_map(blas_threads, range(4), workers=2))
        assert inside == {1}  # n workers use n cores, not n x BLAS threads
        assert blas_threads(0) == outside  # restored afterwards
        assert set().union(*parallel.ordered_map(blas_threads, range(2), workers=1)) == outside


def test_broadcast_scores_are_made_row_major(tied):
    model = Popularity().fit(tied)
    scores = model._chunk_scores(np.arange(5), exclude_seen=True)
    assert scores.flags["C_CONTIGUOUS"]

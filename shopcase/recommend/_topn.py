"""Deterministic top-n selection over a dense chunk of score rows, and sparse top-k neighbour lists.

Ties are always broken by column index, lower first, so results never depend on
the sort algorithm, the chunk size or the platform.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_n_dense(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top ``n`` finite entries of every row of ``scores`` (shape ``rows x cols``, float64).

    ``-inf`` marks entries that must never be returned; a row with fewer than
    ``n`` finite entries returns all of them. Order is score descending, then
    column index ascending. Returns flat arrays ``(row, col, rank)`` grouped by
    row in row order, ``rank`` starting at 1. Work is linear in the array size
    apart from sorting the at most ``rows x n`` selected entries.
    """
    n_rows, n_cols = scores.shape
    finite = np.isfinite(scores)
    if n >= n_cols:
        selected = finite
    else:
        # The n-th largest value of each row; everything strictly above it is in,
        # and ties at it are filled in column order (the cumulative count).
        # Partition the negated scores: numpy's introselect is far slower with kth near the end
        # of rows full of -inf (measured 8x), which is what candidate rows look like.
        threshold = -np.partition(-scores, n - 1, axis=1)[:, n - 1]
        above = scores > threshold[:, None]
        selected = above.copy()
        fill = np.isfinite(threshold)
        selected[~fill] = finite[~fill]
        if fill.any():
            rows = np.flatnonzero(fill)
            at = scores[rows] == threshold[rows, None]
            need = n - above[rows].sum(axis=1)
            rank_at = np.cumsum(at, axis=1, dtype=np.int32)
            selected[rows] |= at & (rank_at <= need[:, None])
    row, col = np.nonzero(selected)
    order = np.lexsort((col, -scores[row, col], row))
    row, col = row[order], col[order]
    return row, col, _rank_within(row, n_rows)


def _rank_within(row: np.ndarray, n_rows: int) -> np.ndarray:
    """1-based position of each entry within its (contiguous, sorted) row group."""
    starts = np.searchsorted(row, np.arange(n_rows))
    return np.arange(len(row)) - starts[row] + 1


def keep_top_k(scores: np.ndarray, k: int) -> sp.csr_matrix:
    """Sparse copy of ``scores`` (``rows x cols``) keeping each row's ``k`` largest positive entries.

    Ties go to the lower column. Used on chunks of similarities sized to fit the
    memory budget, where a dense partition is much faster than sorting sparse entries.
    """
    candidates = np.where(scores > 0, scores, -np.inf)
    row, col, _ = top_n_dense(candidates, k)
    return sp.csr_matrix((scores[row, col], (row, col)), shape=scores.shape)

"""Deterministic top-n selection over dense or sparse (CSR) rows of scores, and sparse top-k neighbour lists.

Ties are always broken by column index, lower first, so results never depend on
the sort algorithm, the chunk size, the number of threads or the platform.

How (the same for every entry point): find a per-row threshold ``t`` such that
the row's top ``n`` are all ``>= t``, gather only those few entries, and sort
just them by ``(row, score desc, column)``. The threshold is the exact ``n``-th
largest value, found with ``np.partition`` (linear time). On wide rows a cheap
lower bound comes first, the ``n``-th largest of a strided sample of the row,
so that the exact partition runs on the entries above it only: a few times
``n`` per row instead of the whole row. Scores that tie at the threshold are all
gathered, so the final sort applies the column rule exactly.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LOWEST = np.finfo(np.float64).min
"""``score >= LOWEST`` is true for every finite score and false for ``-inf`` and NaN."""
TINY = np.nextafter(0.0, 1.0)
"""``score >= TINY`` is ``score > 0``."""


def nth_largest(scores: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-th largest entry of every row (``n <= cols``); ``-inf`` or NaN if a row has fewer valid ones.

    Partitions the negated scores: numpy's introselect is far slower with ``kth``
    near the end of rows full of ``-inf`` (measured 8x), which is what candidate rows look like.
    """
    negated = np.negative(scores)
    negated.partition(n - 1, axis=1)
    return -negated[:, n - 1]


def nth_largest_grouped(indptr: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``nth_largest`` for rows stored CSR-style: row ``i`` is ``values[indptr[i]:indptr[i + 1]]``.

    Rows with at most ``n`` entries get ``-inf`` (keep them all). Longer rows are
    padded to the next power of two and partitioned together, one block per
    width, so the padding costs at most twice the entries.
    """
    lengths = np.diff(indptr)
    threshold = np.full(len(lengths), -np.inf)
    long = np.flatnonzero(lengths > n)
    if len(long) == 0:
        return threshold
    widths = np.left_shift(1, np.ceil(np.log2(lengths[long])).astype(np.int64))
    for width in np.unique(widths):
        rows = long[widths == width]
        size = lengths[rows]
        local = np.repeat(np.arange(len(rows)), size)
        offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
        negated = np.full((len(rows), int(width)), np.inf)  # negated, as in nth_largest
        negated[local, offset] = -values[indptr[rows][local] + offset]
        negated.partition(n - 1, axis=1)
        threshold[rows] = -negated[:, n - 1]
    return threshold


def _sample_step(width: int, n: int) -> int:
    """Column stride of the sample whose ``n``-th value bounds a row from below (1: no sample).

    About ``2 * sqrt(width * n)`` sampled columns balance the sample's partition
    against the entries that pass its bound (about ``width * n / sample`` per row).
    """
    sample = 2.0 * np.sqrt(float(width) * n)
    return int(width // sample) if sample * 4 <= width else 1


def _threshold_floor(threshold: np.ndarray, floor: float) -> np.ndarray:
    """``threshold``, with ``-inf``/NaN (fewer than n valid entries) replaced and everything raised to ``floor``."""
    return np.where(threshold >= floor, threshold, floor)


def _ranked(
    row: np.ndarray, col: np.ndarray, value: np.ndarray, n: int, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From entries holding at least each row's top ``n`` (and every tie at its ``n``-th value),
    the top ``n`` per row ordered by row, score descending, column ascending, with 1-based ranks."""
    order = np.lexsort((col, -value, row))
    row, col, value = row[order], col[order], value[order]
    rank = _rank_within(row, n_rows)
    top = rank <= n
    return row[top], col[top], value[top], rank[top]


def _rank_within(row: np.ndarray, n_rows: int) -> np.ndarray:
    """1-based position of each entry within its (contiguous, sorted) row group."""
    return np.arange(1, len(row) + 1) - _row_starts(row, n_rows)[row]


def _row_starts(row: np.ndarray, n_rows: int) -> np.ndarray:
    """Index of each row's first entry in a row-sorted entry list (``n_rows`` values)."""
    counts = np.bincount(row, minlength=n_rows)
    return np.cumsum(counts) - counts


def _first_n(row: np.ndarray, value: np.ndarray, threshold: np.ndarray, n: int, n_rows: int) -> np.ndarray:
    """Mask of each row's top ``n`` among entries in row-major order, all ``>= threshold[row]``.

    ``threshold`` is the row's ``n``-th largest value (or lower, if the row has
    fewer than ``n`` entries: then all are kept). Everything above it is in; of the
    entries equal to it, the first ones in entry (column) order fill the row up to ``n``.
    """
    at = value == threshold[row]
    above = np.bincount(row[~at], minlength=n_rows)
    tie_rank = np.cumsum(at) - _row_starts(row[at], n_rows)[row]
    return ~at | (tie_rank <= n - above[row])


def _select_dense(scores: np.ndarray, n: int, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's top ``n`` entries ``>= floor`` as ``(row, col, value)``, ties to the lower column,
    in row-major order (so columns ascend within a row)."""
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    n_rows, width = scores.shape
    step = _sample_step(width, n)
    if n >= width:
        bound = np.full(n_rows, floor)
    elif step > 1:
        bound = _threshold_floor(nth_largest(scores[:, ::step], n), floor)  # a lower bound only
    else:
        bound = _threshold_floor(nth_largest(scores, n), floor)  # exact
    passed = scores >= bound[:, None]
    flat = np.flatnonzero(passed)
    row, col = np.divmod(flat, width)
    value = scores.reshape(-1)[flat]
    if step > 1 and n < width:
        indptr = np.concatenate(([0], np.cumsum(np.count_nonzero(passed, axis=1))))
        bound = _threshold_floor(nth_largest_grouped(indptr, value, n), floor)
        keep = np.flatnonzero(value >= bound[row])
        row, col, value = row[keep], col[keep], value[keep]
    keep = np.flatnonzero(_first_n(row, value, bound, n, n_rows))
    return row[keep], col[keep], value[keep]


def top_n_dense(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top ``n`` finite entries of every row of ``scores`` (shape ``rows x cols``, float64).

    ``-inf`` (or NaN) marks entries that must never be returned; ``+inf`` is not
    allowed. A row with fewer than ``n`` finite entries returns all of them.
    Order is score descending, then column index ascending. Returns flat arrays
    ``(row, col, rank)`` grouped by row in row order, ``rank`` starting at 1.
    Work is linear in the array size apart from sorting the selected entries.
    """
    row, col, value = _select_dense(scores, n, LOWEST)
    row, col, _, rank = _ranked(row, col, value, n, scores.shape[0])
    return row, col, rank


def top_n_csr(
    scores: sp.csr_matrix,
    n: int,
    excluded: tuple[np.ndarray, np.ndarray] | None = None,
    floor: float = LOWEST,
    blocked: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Top ``n`` stored entries ``>= floor`` of every row of a CSR matrix (no duplicate entries, no ``+inf``).

    Entries not stored are not candidates; stored ``-inf`` (or NaN) entries, entries
    below ``floor`` (e.g. ``TINY``: positive scores only), the ``excluded`` cells
    ``(rows, cols)`` and the cells where the bool mask ``blocked`` (the matrix's shape)
    is True are never returned. Column indices need not be sorted (ties at
    a row's ``n``-th value are settled by the final sort). Same order and tie rule
    as ``top_n_dense``; returns ``(row, col, score, rank)``. Work is linear in the
    number of stored entries, never in the number of columns.
    """
    n_rows = scores.shape[0]
    indptr, value = scores.indptr, scores.data
    if excluded is not None and len(excluded[0]):
        blocked = np.zeros(scores.shape, dtype=bool) if blocked is None else blocked.copy()  # 1 byte per cell
        blocked[excluded] = True
    # A lower bound of each row's n-th best allowed score; excluded cells are looked up only for
    # the sample and for the few entries above the bound, not for every stored entry.
    bound = _threshold_floor(_sampled_nth_largest(indptr, value, n, scores.indices, blocked), floor)
    keep = np.flatnonzero(value >= np.repeat(bound, np.diff(indptr)))
    row = np.searchsorted(indptr, keep, side="right") - 1
    col, value = scores.indices[keep].astype(np.int64), value[keep]
    if blocked is not None:
        keep = np.flatnonzero(~blocked[row, col])
        row, col, value = row[keep], col[keep], value[keep]
    kept_indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=n_rows))))
    exact = _threshold_floor(nth_largest_grouped(kept_indptr, value, n), floor)
    keep = np.flatnonzero(value >= exact[row])
    return _ranked(row[keep], col[keep], value[keep], n, n_rows)


class Candidates:
    """One chunk's candidate scores, ranked by ``top_n`` as often as needed without scoring again.

    Built from dense scores (``rows x items``, ``-inf`` where an item may not be returned; the array is
    owned, and ``exclude`` writes into it) or from a CSR matrix of a sparse model, whose stored entries
    ``>= floor`` are the candidates, less the ``excluded`` cells (``(rows, cols)``). ``exclude`` takes out
    more: whole items, or cells. The base's ``_top_n_rows`` ranks a chunk once; ``shopcase.serve``'s
    business rules exclude the items a merchandiser blocks before ranking, and rank the users a rule
    leaves short again, deeper, on the same scores.
    """

    def __init__(
        self,
        scores: np.ndarray | sp.spmatrix,
        floor: float = LOWEST,
        excluded: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.floor = floor
        self._blocked: np.ndarray | None = None
        if sp.issparse(scores):
            scores = sp.csr_matrix(scores)
            if scores.nnz and scores.data.max() == np.inf:  # never returned, like NaN (rare: copy)
                scores = scores.copy()
                scores.data[scores.data == np.inf] = -np.inf
        self.scores = scores
        self.exclude(cells=excluded)

    @property
    def n_rows(self) -> int:
        return self.scores.shape[0]

    def exclude(self, items: np.ndarray | None = None, cells: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Never return the columns ``items`` (indices) nor the ``cells`` ``(rows, cols)``."""
        items = None if items is None or not len(items) else items
        cells = None if cells is None or not len(cells[0]) else cells
        if items is None and cells is None:
            return
        if sp.issparse(self.scores):
            if self._blocked is None:
                self._blocked = np.zeros(self.scores.shape, dtype=bool)  # 1 byte per cell of the chunk
            target, value = self._blocked, True
        else:
            target, value = self.scores, -np.inf
        if items is not None:
            target[:, items] = value
        if cells is not None:
            target[cells] = value

    def top_n(self, n: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Top ``n`` candidates of each row (of ``rows`` only, if given) as ``(row, col, score, rank)``.

        Same order and tie rule as ``top_n_dense``; ``row`` is the row in the chunk, or the index in ``rows``.
        """
        scores, blocked = self.scores, self._blocked
        if rows is not None:
            scores = scores[rows]
            blocked = None if blocked is None else blocked[rows]
        if sp.issparse(scores):
            row, col, value, rank = top_n_csr(scores, n, floor=self.floor, blocked=blocked)
        else:
            row, col, rank = top_n_dense(scores, n)
            value = scores[row, col]
        return row, col, value, rank


def _sampled_nth_largest(
    indptr: np.ndarray, values: np.ndarray, n: int, cols: np.ndarray, blocked: np.ndarray | None
) -> np.ndarray:
    """A lower bound of each CSR row's ``n``-th largest value outside the ``blocked`` cells: the
    ``n``-th largest of an evenly strided sample of the row (the whole row if short), blocked cells
    left out; ``-inf``/NaN where the sample has fewer than ``n``."""
    lengths = np.diff(indptr)
    if len(lengths) == 0:
        return np.zeros(0)
    size = max(n, int(2 * np.sqrt(float(lengths.mean()) * n)))
    take = np.minimum(lengths, size)
    stride = np.maximum(lengths // np.maximum(take, 1), 1)
    local = np.repeat(np.arange(len(lengths)), take)
    offset = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    position = indptr[local] + offset * stride[local]
    sample = values[position]
    if blocked is not None:
        sample[blocked[local, cols[position]]] = -np.inf
    negated = np.full((len(lengths), size), np.inf)  # negated, as in nth_largest
    negated[local, offset] = -sample
    negated.partition(n - 1, axis=1)
    return -negated[:, n - 1]


def keep_top_k(scores: np.ndarray, k: int) -> sp.csr_matrix:
    """Sparse copy of ``scores`` (``rows x cols``) keeping each row's ``k`` largest positive entries.

    Ties go to the lower column. The result has sorted column indices. Used on
    chunks of similarities sized to fit the memory budget, where a dense
    partition is much faster than sorting sparse entries.
    """
    row, col, value = top_k_positions(scores, k)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=scores.shape[0]))))
    return sp.csr_matrix((value, col, indptr), shape=scores.shape)


def top_k_positions(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``k`` largest positive entries (ties: lower column) as ``(row, col, value)`` in row-major order."""
    return _select_dense(scores, k, TINY)

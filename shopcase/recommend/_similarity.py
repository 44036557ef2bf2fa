"""Sparse cosine similarity between the rows of two matrices, computed a chunk of rows at a time.

Shared by the neighbourhood models (items for ``ItemKNN``, users for ``UserKNN``)
and by their ``similar_items``. Never builds a dense ``all rows x all rows`` array:
at most a few chunks of rows against all rows, the chunk sized by the caller.
The right-hand side of every product is transposed once by the caller, never per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

from shopcase.recommend._memory import release_free_memory
from shopcase.recommend._parallel import ordered_map
from shopcase.recommend._topn import TINY, _rank_within, keep_top_k, top_k_positions


def _load_kernel() -> Callable | None:
    """scipy's own CSR product kernel (private: ``scipy.sparse._sparsetools``), or None if it is gone.

    ``sparse_product`` calls it without scipy's counting pass; without it, it uses the public ``@``.
    Both paths give the same bits (tested, as is this fallback when the import fails).
    """
    try:
        from scipy.sparse._sparsetools import csr_matmat
    except ImportError:
        return None
    return csr_matmat


_csr_matmat = _load_kernel()


def row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of every row of a sparse matrix (shape ``rows``, float64)."""
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())


def sparse_product(left: sp.csr_matrix, right: sp.csr_matrix) -> sp.csr_matrix:
    """``left @ right`` for CSR matrices, a third faster than scipy's ``@``.

    scipy runs its product kernel twice: once only to count the result's entries,
    then for real. The count is bounded by ``min(rows x cols, multiply-adds)``, both
    known for free, so this allocates that bound and runs the kernel once (untouched
    memory costs nothing). Same kernel, same summation order: the same bits as ``@``.
    The result has no duplicates; its column indices are not sorted.
    """
    n_row, n_col = left.shape[0], right.shape[1]
    if _csr_matmat is None or left.format != "csr" or right.format != "csr" or left.shape[1] != right.shape[0]:
        return sp.csr_matrix(left @ right)
    bound = min(n_row * n_col, int(np.diff(right.indptr)[left.indices].sum()))
    big = max(bound, left.nnz, right.nnz, n_row + 1, n_col + 1, left.shape[1] + 1) >= 2**31 - 1
    index = np.int64 if big else np.int32
    dtype = np.result_type(left.data, right.data)
    indptr = np.empty(n_row + 1, dtype=index)
    indices = np.empty(bound, dtype=index)
    data = np.empty(bound, dtype=dtype)
    _csr_matmat(
        n_row, n_col,
        left.indptr.astype(index, copy=False), left.indices.astype(index, copy=False),
        left.data.astype(dtype, copy=False),
        right.indptr.astype(index, copy=False), right.indices.astype(index, copy=False),
        right.data.astype(dtype, copy=False),
        indptr, indices, data,
    )  # fmt: skip
    nnz = int(indptr[-1])
    return sp.csr_matrix((data[:nnz], indices[:nnz], indptr), shape=(n_row, n_col))


def cosine_rows(
    query: sp.csr_matrix,
    query_norms: np.ndarray,
    base_t: sp.csr_matrix,
    base_norms: np.ndarray,
    shrinkage: float,
) -> sp.csr_matrix:
    """Shrunk cosine ``dot(a, b) / (|a| |b| + shrinkage)`` of each query row with each base row.

    ``query`` is ``q x d``; ``base_t`` is the base rows as columns (``d x m``, the
    transpose done once by the caller, not per chunk); returns a sparse ``q x m``
    matrix holding only pairs that share a non-zero dimension.
    """
    dots = sparse_product(query.tocsr(), base_t.tocsr())
    row = np.repeat(np.arange(dots.shape[0]), np.diff(dots.indptr))
    dots.data = dots.data / (query_norms[row] * base_norms[dots.indices] + shrinkage)
    return dots


def cosine_top_k(
    query: sp.csr_matrix,
    query_norms: np.ndarray,
    base_t: sp.csr_matrix,
    base_norms: np.ndarray,
    shrinkage: float,
    self_index: np.ndarray,
    k: int,
) -> sp.csr_matrix:
    """``cosine_rows`` keeping the ``k`` most similar (positive) base rows per query row.

    ``self_index[i]`` (a base row) is dropped from row ``i``: nothing is its own
    neighbour. The chunk is densified (``q x m`` cells), so callers size ``q`` to the budget.
    """
    similarity = cosine_rows(query, query_norms, base_t, base_norms, shrinkage).toarray()
    similarity[np.arange(len(self_index)), self_index] = 0.0
    return keep_top_k(similarity, k)


def upper_gram_blocks(
    vectors: sp.csr_matrix,
    vectors_t: sp.csr_matrix,
    block_rows: Callable[[int], int],
    transform: Callable[[int, int, np.ndarray], None] | None = None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """The upper triangle of ``vectors @ vectors.T`` a block of rows at a time, in row order.

    ``vectors`` is ``m x d`` and ``vectors_t`` the same matrix as ``d x m`` (the same
    entries). Yields ``(a, e, dense)`` with ``dense[i, j] = dot(row a + i, row a + j)``,
    shape ``(e - a) x (m - a)``, for consecutive blocks of ``block_rows(a)`` rows: only
    the pairs with rows ``>= a``, about half the work of the full product. Each block
    is one ``sparse_product`` with exactly the useful multiply-adds, in the order a
    column slice of ``vectors_t`` would give (the same bits; see ``_suffix_blocks``),
    then ``transform(a, e, dense)`` if given (in place). Blocks are computed on worker
    threads (``ordered_map``, at most ``n_jobs + 1`` in flight).
    """
    m = vectors.shape[0]

    def block(item: tuple[int, int, sp.csr_matrix, sp.csr_matrix]) -> tuple[int, int, np.ndarray]:
        a, e, rows, suffixes = item
        dots = sparse_product(rows, suffixes)  # columns >= a only
        dots.indices -= a
        dense = sp.csr_matrix((dots.data, dots.indices, dots.indptr), shape=(e - a, m - a)).toarray()
        del dots
        if transform is not None:
            transform(a, e, dense)
        return a, e, dense

    return ordered_map(block, _suffix_blocks(vectors, vectors_t, block_rows))


def _suffix_blocks(
    vectors: sp.csr_matrix, vectors_t: sp.csr_matrix, block_rows: Callable[[int], int]
) -> Iterator[tuple[int, int, sp.csr_matrix, sp.csr_matrix]]:
    """Each block ``[a, e)``: its rows of ``vectors`` and, without copying, ``vectors_t`` in columns ``>= a``.

    Row ``u`` of ``vectors_t`` becomes two rows of a ``2 d x m`` matrix over the same
    ``data`` and ``indices`` (only its index pointer is new): row ``2 u + 1`` holds its
    entries in columns ``>= a`` (a suffix, as columns ascend) and row ``2 u`` those
    ``< a`` (a prefix). The block's rows point to the odd rows only (column ``u``
    becomes ``2 u + 1``). ``dead[u]``, row ``u``'s entries in columns ``< a``, grows by
    the previous blocks' entries (``vectors`` has the same entries as ``vectors_t``).
    """
    m, d = vectors.shape
    if not vectors_t.has_sorted_indices:  # the suffixes rely on each row's columns ascending
        vectors_t = vectors_t.sorted_indices()
    index = np.int64 if 2 * d + 1 >= 2**31 - 1 or vectors_t.nnz >= 2**31 - 1 else np.int32
    indices = vectors_t.indices.astype(index, copy=False)
    dead = np.zeros(d, dtype=index)
    a = 0
    while a < m:
        e = min(m, a + max(1, block_rows(a)))
        split = np.empty(2 * d + 1, dtype=index)
        split[0] = 0
        split[1::2] = vectors_t.indptr[:-1] + dead
        split[2::2] = vectors_t.indptr[1:]
        suffixes = sp.csr_matrix((vectors_t.data, indices, split), shape=(2 * d, m))
        rows = vectors[a:e]
        odd = sp.csr_matrix((rows.data, 2 * rows.indices.astype(index) + 1, rows.indptr), shape=(e - a, 2 * d))
        yield a, e, odd, suffixes
        dead += np.bincount(rows.indices, minlength=d).astype(index)
        a = e


def cosine_top_k_all(
    vectors: sp.csr_matrix,
    vectors_t: sp.csr_matrix,
    norms: np.ndarray,
    shrinkage: float,
    k: int,
    block_rows: Callable[[int], int],
) -> sp.csr_matrix:
    """Every row's ``k`` most similar *other* rows (positive shrunk cosine, ties: lower index), as CSR.

    ``vectors`` is ``m x d`` and ``vectors_t`` the same matrix as ``d x m``. Equal to
    ``cosine_top_k`` over all rows (bit for bit), at about half the cost: the
    similarity is symmetric, so block ``[a, e)`` computes only its pairs with rows
    ``>= a``, as a dense ``(e - a) x (m - a)`` array (``upper_gram_blocks``, ``block_rows(a)``
    rows, sized by the caller to the memory budget). Its columns ``>= e`` are the later
    rows' pairs with this block: they are kept as those rows' candidates (``_Candidates``).
    Its rows are then complete: their candidates from earlier blocks plus their row
    of the block. Products run on worker threads; candidates are gathered in the
    calling thread, in block order.
    """
    m = vectors.shape[0]

    def cosine(a: int, e: int, dense: np.ndarray) -> None:
        # The same operations, in the same order, as cosine_rows: the same bits. A few rows at a time,
        # so the denominators stay small (in cache) instead of another block-sized array.
        # 0 / 0 (a zero vector, no shrinkage) gives NaN, which is never a neighbour, like the 0 it stands for.
        step = max(1, 2**16 // (m - a))
        with np.errstate(invalid="ignore"):
            for r in range(0, e - a, step):
                denominator = np.multiply.outer(norms[a + r : min(e, a + r + step)], norms[a:])
                denominator += shrinkage
                dense[r : r + step] /= denominator
        dense[np.arange(e - a), np.arange(e - a)] = 0.0  # nothing is its own neighbour

    candidates = _Candidates(m, k)
    # The result is written in place as rows complete (at most k per row): no list of pieces to concatenate.
    size = m * min(k, max(m - 1, 0))
    values = np.empty(size)
    cols = np.empty(size, dtype=candidates.col.dtype)
    indptr = np.zeros(m + 1, dtype=np.int64)
    for a, e, dense in upper_gram_blocks(vectors, vectors_t, block_rows, cosine):
        candidates.add(e, dense[:, e - a :].T, a)
        row, col, value = candidates.finish(a, dense)
        del dense
        stored = int(indptr[a])
        values[stored : stored + len(value)] = value
        cols[stored : stored + len(value)] = col
        indptr[a + 1 : e + 1] = stored + np.cumsum(np.bincount(row, minlength=e - a))
    del candidates
    release_free_memory()  # the blocks' memory, kept by the worker threads' arenas otherwise
    nnz = int(indptr[-1])
    return sp.csr_matrix((values[:nnz], cols[:nnz], indptr), shape=(m, m))


class _Candidates:
    """Each row's candidate neighbours from the blocks seen so far, for ``cosine_top_k_all``.

    A row holds up to ``2 k`` candidates in column order (columns arrive in
    increasing order, block after block), so position order is column order and
    the tie rule holds through every selection. ``floor[j]`` is row ``j``'s ``k``-th
    best candidate when it was last compacted: its final ``k``-th best can only be
    higher, so a new candidate below it is dropped on arrival (after a few blocks
    almost all are). A row whose new candidates do not fit is compacted, with
    them, to its top ``k``.
    """

    def __init__(self, m: int, k: int) -> None:
        self.k, self.cap = k, 2 * k
        self.value = np.full((m, self.cap), -np.inf)
        self.col = np.zeros((m, self.cap), dtype=np.int32 if m < 2**31 else np.int64)
        self.count = np.zeros(m, dtype=np.int64)
        self.floor = np.full(m, TINY)  # only positive similarities are neighbours

    def add(self, first_row: int, scores: np.ndarray, first_col: int) -> None:
        """New candidates: ``scores[j, i]`` for row ``first_row + j`` and column ``first_col + i``."""
        n_rows, width = scores.shape
        if n_rows == 0:
            return
        rows = slice(first_row, first_row + n_rows)
        passed = np.empty((n_rows, width), dtype=bool)
        np.greater_equal(scores, self.floor[rows, None], out=passed)
        local, pos = np.divmod(np.flatnonzero(passed), width)  # row-major: columns ascend within a row
        value, col = scores[local, pos], first_col + pos
        new = np.bincount(local, minlength=n_rows)
        count = self.count[rows]
        over = count + new > self.cap
        slot = count[local] + _rank_within(local, n_rows) - 1
        fits = ~over[local]
        self.value[first_row + local[fits], slot[fits]] = value[fits]
        self.col[first_row + local[fits], slot[fits]] = col[fits]
        self.count[rows] += np.where(over, 0, new)
        if over.any():
            # Held candidates then the new ones, padded with -inf: position order is still column order.
            # A few thousand rows at a time, so the padded copies stay small.
            full = np.flatnonzero(over)
            spill = np.flatnonzero(~fits)  # the new candidates of the full rows, grouped by row
            width = self.cap + int(new[full].max())
            piece = max(1, 2**20 // width)
            for lo in range(0, len(full), piece):
                rows = full[lo : lo + piece]
                part = spill[np.searchsorted(local[spill], rows[0]) : np.searchsorted(local[spill], rows[-1], "right")]
                padded_value = np.full((len(rows), width), -np.inf)
                padded_col = np.zeros((len(rows), width), dtype=self.col.dtype)
                padded_value[:, : self.cap] = self.value[first_row + rows]
                padded_col[:, : self.cap] = self.col[first_row + rows]
                target = np.searchsorted(rows, local[part])
                position = self.cap + slot[part] - count[local[part]]
                padded_value[target, position] = value[part]
                padded_col[target, position] = col[part]
                self._compact(first_row + rows, padded_value, padded_col)

    def _compact(self, rows: np.ndarray, padded_value: np.ndarray, padded_col: np.ndarray) -> None:
        row, pos, value = top_k_positions(padded_value, self.k)
        kept = np.bincount(row, minlength=len(rows))
        slot = _rank_within(row, len(rows)) - 1
        self.value[rows] = -np.inf
        self.value[rows[row], slot] = value
        self.col[rows[row], slot] = padded_col[row, pos]
        self.count[rows] = kept
        full = np.flatnonzero(kept == self.k)
        if len(full):
            starts = np.cumsum(kept) - kept
            self.floor[rows[full]] = np.minimum.reduceat(value, starts[full])

    def finish(self, first_row: int, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top ``k`` of rows ``first_row + j``: their candidates plus ``scores[j, i]`` for column ``first_row + i``.

        Returns ``(row - first_row, col, value)`` in row-major, column order.
        """
        n_rows = scores.shape[0]
        held = slice(first_row, first_row + n_rows)
        row, pos, value = top_k_positions(np.concatenate((self.value[held], scores), axis=1), self.k)
        held_col = self.col[first_row + row, np.minimum(pos, self.cap - 1)]
        col = np.where(pos < self.cap, held_col, first_row + pos - self.cap)
        return row, col, value


def idf(matrix_docs_by_terms: sp.csr_matrix) -> np.ndarray:
    """``log(N) - log1p(df)`` per column, N = rows (implicit's formula, so results are comparable)."""
    n_docs = matrix_docs_by_terms.shape[0]
    df = np.bincount(matrix_docs_by_terms.indices, minlength=matrix_docs_by_terms.shape[1])
    return np.log(n_docs) - np.log1p(df)


def tfidf_weight(items_by_users: sp.csr_matrix) -> sp.csr_matrix:
    """TF-IDF weighting of an ``items x users`` matrix: ``sqrt(r) * idf(user)`` (as implicit does)."""
    out = items_by_users.tocsr(copy=True)
    out.data = np.sqrt(out.data) * idf(out)[out.indices]
    return out


def bm25_weight(items_by_users: sp.csr_matrix, k1: float, b: float) -> sp.csr_matrix:
    """BM25 weighting of an ``items x users`` matrix (items are documents, users are terms)."""
    out = items_by_users.tocsr(copy=True)
    lengths = np.asarray(out.sum(axis=1), dtype=np.float64).ravel()
    length_norm = (1.0 - b) + b * lengths / lengths.mean()
    row = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    out.data = out.data * (k1 + 1.0) / (k1 * length_norm[row] + out.data) * idf(out)[out.indices]
    return out


class ItemCosineSimilarMixin:
    """``_similar`` for the neighbourhood models: the full (unpruned) shrunk item-item cosine.

    The model provides ``item_vectors_`` (``items x users`` CSR), ``item_norms_`` and
    ``_users_by_items`` (``item_vectors_`` transposed once, CSR); the base class
    removes each item from its own list.
    """

    item_vectors_: sp.csr_matrix
    item_norms_: np.ndarray
    _users_by_items: sp.csr_matrix
    shrinkage: float

    def _similar(self, item_rows: np.ndarray) -> sp.csr_matrix:
        return cosine_rows(
            self.item_vectors_[item_rows],
            self.item_norms_[item_rows],
            self._users_by_items,
            self.item_norms_,
            float(self.shrinkage),
        )

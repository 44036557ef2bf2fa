"""EASE: Embarrassingly Shallow Autoencoder (Steck 2019), closed form."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

from shopcase.recommend._parallel import available_cpus
from shopcase.recommend._similarity import upper_gram_blocks
from shopcase.recommend.base import CHUNK_CELLS, BaseRecommender
from shopcase.validate import Choice, Integer, Number

DTYPES: tuple[str, ...] = ("float64", "float32")
"""Precisions of the ``items x items`` weights (the factorisation runs in the same one)."""

_LAPACK = {"float64": (lapack.dpotrf, lapack.dpotri), "float32": (lapack.spotrf, lapack.spotri)}
_GRAM_CELLS = CHUNK_CELLS // 4
"""Cells of one block of the Gram matrix (10 MB of float64; a few are alive at once)."""
_TILE = 2048
"""Rows x columns of the tiles that symmetrise and scale the weights in place (32 MB of float64)."""


class EASE(BaseRecommender):
    """EASE: ``B = argmin |X - XB|^2 + l2 |B|^2`` with ``diag(B) = 0``; ``score = X_u @ B``.

    Closed form: ``G = X^T X + l2 I``, ``P = G^-1``, ``B_ij = -P_ij / P_jj``,
    ``B_jj = 0``. ``G`` is built sparsely a block of items at a time straight into
    one dense ``items x items`` array, which is then factorised (Cholesky) and
    inverted in place by LAPACK (``potrf``, ``potri``: ``n^3`` flops in all) on
    every core the process may use (``n_jobs`` threads if set), and finally turned into ``B`` in place: fitting
    holds that one array (``itemsize * n_items^2`` bytes: 1.6 GB at 20k items in
    float32, 3.2 GB in float64) plus a few ``CHUNK_CELLS`` temporaries.

    ``dtype='float32'`` halves the memory and about halves the fit time; scores are
    then accurate to about ``1e-4`` relative (``G``'s condition number times float32's
    ``6e-8``), so items whose scores are that close may swap places.
    ``recommend`` returns float64 scores in both cases.

    A catalogue above ``max_items`` (default 25,000), or whose fit would need more
    than ``max_memory_gb`` (default: the memory the machine has available at fit
    time), is refused with a ``ValueError`` naming the memory needed, before anything
    large is allocated. Scores can be negative; every unseen item with a finite score
    is returnable. ``similar_items(i)`` ranks by row ``B[i, :]``, item ``i``'s weight
    in each other item's score.

    Learned: ``weights_`` (``B``, shape ``n_items x n_items``, ``dtype``).
    """

    _positive_only = False
    _parameter_constraints = {
        "l2": Number(low=0, low_inclusive=False),
        "max_items": Integer(low=1),
        "dtype": Choice(DTYPES),
        "max_memory_gb": Number(low=0, low_inclusive=False, optional=True),
    }

    def __init__(
        self,
        l2: float = 500.0,
        max_items: int = 25_000,
        chunk_rows: int | None = None,
        dtype: str = "float64",
        max_memory_gb: float | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.l2 = l2
        self.max_items = max_items
        self.chunk_rows = chunk_rows
        self.dtype = dtype
        self.max_memory_gb = max_memory_gb
        self.n_jobs = n_jobs

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        l2, max_items, dtype = float(self.l2), int(self.max_items), str(self.dtype)  # checked by the base
        budget = None if self.max_memory_gb is None else float(self.max_memory_gb)
        n = self.n_items_
        needed = fit_memory_bytes(n, dtype)
        if n > max_items:
            raise ValueError(
                f"EASE builds a dense items x items matrix; {n:,} items exceed max_items={max_items:,} "
                f"(fitting needs ~{needed / 1e9:.1f} GB in {dtype}). Use ItemKNN, "
                "or filter the catalogue to the most popular items"
            )
        check_memory(needed, budget, f"EASE on {n:,} items ({dtype}, l2={l2:g})")
        # LAPACK's BLAS threads: every core unless n_jobs says otherwise, as scikit-learn's BLAS-backed
        # estimators do; the Gram blocks and scoring follow n_jobs like every recommender.
        threads = None if self.n_jobs is None else self._threads()
        self.weights_ = ease_weights(self.user_items_, l2, dtype, threads=threads)

    def _score(self, user_rows: np.ndarray) -> np.ndarray:
        # In the weights' precision: a float64 x float32 product would convert all of B for every chunk.
        # The base turns the chunk into float64 candidates once (_as_candidates).
        rows = self.user_items_[user_rows].astype(self.weights_.dtype)
        return np.asarray(rows @ self.weights_)

    def _similar(self, item_rows: np.ndarray) -> np.ndarray:
        return self.weights_[item_rows]


def fit_memory_bytes(n_items: int, dtype: str) -> int:
    """Bytes ``ease_weights`` needs at its peak: the ``n x n`` array plus a block of the Gram matrix."""
    itemsize = np.dtype(dtype).itemsize
    return itemsize * n_items**2 + 24 * CHUNK_CELLS


def available_memory_bytes() -> int | None:
    """Memory the machine can give this process now (Linux ``MemAvailable``, else free pages; None if unknown)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(needed: int, budget_gb: float | None, what: str) -> None:
    """``ValueError`` naming ``needed`` if it exceeds ``budget_gb`` (None: the memory available now)."""
    if budget_gb is not None:
        if needed > budget_gb * 1e9:
            raise ValueError(
                f"{what} needs ~{needed / 1e9:.1f} GB, above max_memory_gb={budget_gb:g}; "
                "raise max_memory_gb, use dtype='float32', or filter the catalogue to the most popular items"
            )
        return
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise ValueError(
            f"{what} needs ~{needed / 1e9:.1f} GB but only {available / 1e9:.1f} GB are available; "
            "use dtype='float32', or filter the catalogue to the most popular items"
        )


def ease_weights(
    user_items: sp.csr_matrix, l2: float, dtype: str = "float64", threads: int | None = None
) -> np.ndarray:
    """EASE's ``B`` (``n_items x n_items``, C order, ``dtype``) from a ``users x items`` CSR matrix.

    Every step works in place on one array ``A``. Its upper triangle receives
    ``G = X^T X + l2 I`` row block by row block (sparse products); seen as
    ``A.T`` (Fortran order) that is the lower triangle LAPACK's ``potrf`` factorises
    and ``potri`` turns into the lower triangle of ``P = G^-1``, i.e. ``A``'s upper
    triangle again. Mirroring it and dividing column ``j`` by ``-P_jj`` gives ``B``.
    Only the factorisation and inversion use BLAS threads: ``threads`` of them (None: all the
    cores the process may use), whatever ``OPENBLAS_NUM_THREADS`` says (``threadpoolctl``).
    """
    n = user_items.shape[1]
    potrf, potri = _LAPACK[dtype]
    weights = np.empty((n, n), dtype=dtype)
    # Only the upper triangle is read by LAPACK: each block of rows holds its columns >= its first row.
    blocks = upper_gram_blocks(user_items.T.tocsr(), user_items, lambda start: _GRAM_CELLS // (n - start) + 1)
    for start, stop, gram in blocks:
        weights[start:stop, start:] = gram
        del gram
    diagonal = np.arange(n)
    weights[diagonal, diagonal] += l2
    lower = weights.T  # Fortran-ordered view: LAPACK works on it in place (no copy)
    with threadpool_limits(limits=threads or available_cpus(), user_api="blas"):
        factor, info = potrf(lower, lower=1, overwrite_a=1, clean=0)
        if info != 0:  # pragma: no cover - G + l2 I is positive definite for l2 > 0
            raise np.linalg.LinAlgError(f"EASE: Cholesky factorisation failed (LAPACK info={info})")
        inverse, info = potri(factor, lower=1, overwrite_c=1)
        if info != 0:  # pragma: no cover
            raise np.linalg.LinAlgError(f"EASE: inversion failed (LAPACK info={info})")
    if not np.shares_memory(inverse, weights):  # pragma: no cover - LAPACK copied (unexpected layout)
        weights[...] = inverse.T
    del factor, inverse, lower
    for start in range(0, n, _TILE):  # mirror the upper triangle into the lower, a tile at a time
        stop = min(n, start + _TILE)
        for left in range(0, start, _TILE):
            weights[start:stop, left : left + _TILE] = weights[left : left + _TILE, start:stop].T
        below = np.tril_indices(stop - start, -1)
        square = weights[start:stop, start:stop]
        square[below] = square.T[below]
    scale = -weights[diagonal, diagonal]  # B_ij = P_ij / -P_jj
    for start in range(0, n, _TILE):
        weights[start : start + _TILE] /= scale
    weights[diagonal, diagonal] = 0.0
    return weights

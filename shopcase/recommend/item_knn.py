"""Item-based k-nearest-neighbours with sparse cosine similarity."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopcase.recommend._similarity import (
    ItemCosineSimilarMixin,
    bm25_weight,
    cosine_top_k_all,
    row_norms,
    sparse_product,
    tfidf_weight,
)
from shopcase.recommend.base import CHUNK_CELLS, BaseRecommender
from shopcase.validate import Choice, Integer, Number

WEIGHTINGS: tuple[str | None, ...] = (None, "bm25", "tfidf")
_BUILDING = threading.Lock()


class ItemKNN(ItemCosineSimilarMixin, BaseRecommender):
    """Item kNN: ``score(u, j) = sum_i r(u, i) * S[i, j]``.

    ``S[i, :]`` holds item ``i``'s ``k_neighbors`` most similar *other* items
    (positive similarity, ties by lower index) with the shrunk cosine
    ``dot(i, j) / (|i| |j| + shrinkage)`` between item columns of the
    (optionally ``'bm25'``/``'tfidf'``-weighted, implicit's formulas) user x item
    matrix; ``r`` are the raw strengths. This is implicit's ``CosineRecommender``
    orientation, except that implicit's ``K`` counts the item itself (its
    ``K = k_neighbors + 1``). Note implicit's ``BM25Recommender`` uses a plain dot
    product on BM25 weights; here the weighted vectors are always cosine-normalised.

    ``S`` is built a block of items at a time (using its symmetry, see
    ``cosine_top_k_all``) and stays sparse (at most ``n_items x k_neighbors``
    entries). ``similar_items`` ranks by the full cosine, not only the kept neighbours.

    Learned: ``similarity_`` (CSR ``n_items x n_items``), ``item_norms_``; ``item_vectors_`` (the
    weighted ``items x users`` matrix) is built again on first use, as only ``similar_items`` needs it.
    """

    _sparse_scores = True
    _parameter_constraints = {
        "k_neighbors": Integer(low=1),
        "shrinkage": Number(low=0),
        "weighting": Choice(WEIGHTINGS),
        "bm25_k1": Number(low=0),
        "bm25_b": Number(low=0, high=1),
    }

    def __init__(
        self,
        k_neighbors: int = 100,
        shrinkage: float = 0.0,
        weighting: str | None = None,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.shrinkage = shrinkage
        self.weighting = weighting
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        k, shrinkage = int(self.k_neighbors), float(self.shrinkage)  # checked by the base
        # item_vectors_ is rebuilt with these, never with a later set_params
        self._weighting = (self.weighting, float(self.bm25_k1), float(self.bm25_b))
        self._vectors = None
        items, users_by_items = self._vector_pair()
        norms = row_norms(items)
        self.similarity_ = cosine_top_k_all(items, users_by_items, norms, shrinkage, k, self._block_rows)
        self.item_norms_ = norms
        # Not kept: recommend needs only user_items_ and similarity_, and the item vectors are another
        # copy of the interactions (12 bytes each). similar_items builds them again, once (item_vectors_).

    @property
    def item_vectors_(self) -> sp.csr_matrix:
        """The (weighted) ``items x users`` CSR matrix the cosine compares: built on first use, then kept."""
        return self._kept_vectors()[0]

    @property
    def _users_by_items(self) -> sp.csr_matrix:
        """``item_vectors_`` transposed (``users x items`` CSR): ``user_items_`` itself when unweighted."""
        return self._kept_vectors()[1]

    def _kept_vectors(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        with _BUILDING:  # similar_items scores chunks on worker threads: build once
            if self._vectors is None:
                self._vectors = self._vector_pair()
            return self._vectors

    def _vector_pair(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``(items x users, users x items)`` CSR matrices of the (weighted) interactions, as fitted."""
        weighting, k1, b = self._weighting
        items = self.user_items_.T.tocsr()
        if weighting == "tfidf":
            items = tfidf_weight(items)
        elif weighting == "bm25":
            items = bm25_weight(items, k1, b)
        return items, self.user_items_ if weighting is None else items.T.tocsr()

    def _block_rows(self, start: int) -> int:
        """Items per similarity block starting at item ``start``: a block holds its rows x items ``>= start``.

        An eighth of ``CHUNK_CELLS`` (5 MB dense). At 20k items and 89k users, half, a
        quarter, an eighth and a sixteenth took the same CPU time (14.0-14.7 s) while the
        neighbour table's peak fell from 283 to 223, 159 and 119 MB above its inputs, as
        up to ``n_jobs + 2`` blocks are alive at once and the allocator keeps freed blocks.
        """
        if self.chunk_rows is not None:
            return int(self.chunk_rows)
        return max(1, CHUNK_CELLS // 8 // max(1, self.n_items_ - start))

    def _score(self, user_rows: np.ndarray) -> sp.csr_matrix:
        return sparse_product(self.user_items_[user_rows], self.similarity_)

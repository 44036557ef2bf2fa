"""User-based k-nearest-neighbours: the reference's collaborative method, sparse and batched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopcase.recommend._similarity import ItemCosineSimilarMixin, cosine_top_k, row_norms, sparse_product
from shopcase.recommend.base import BaseRecommender
from shopcase.validate import Integer, Number


class UserKNN(ItemCosineSimilarMixin, BaseRecommender):
    """User kNN: ``score(u, i) = sum over neighbours v of r(v, i) * sim(u, v)``.

    ``sim`` is the shrunk cosine ``dot(u, v) / (|u| |v| + shrinkage)`` between user
    rows; the neighbours are the ``k_neighbors`` most similar *other* users with a
    positive similarity (ties by lower user index). Neighbours are found per
    chunk of users at recommend time (``chunk @ X.T`` sparse, top-k per row), so
    no ``users x users`` array is ever built. Unlike the reference, users with
    zero similarity are not neighbours (they add nothing to a score anyway) and
    items with a zero score are not returned. ``similar_items`` uses the item-item
    cosine of the same matrix.

    Learned: ``user_norms_``, ``item_vectors_``, ``item_norms_``.
    """

    _sparse_scores = True
    _parameter_constraints = {"k_neighbors": Integer(low=1), "shrinkage": Number(low=0)}

    def __init__(
        self, k_neighbors: int = 20, shrinkage: float = 0.0, chunk_rows: int | None = None, n_jobs: int | None = None
    ) -> None:
        self.k_neighbors = k_neighbors
        self.shrinkage = shrinkage
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        self.user_norms_ = row_norms(self.user_items_)
        self.item_vectors_ = self.user_items_.T.tocsr()
        self.item_norms_ = row_norms(self.item_vectors_)
        self._users_by_items = self.user_items_

    def _row_width(self) -> int:
        # A chunk also holds its users x all-users similarities (sparse, at worst dense).
        return max(self.n_items_, len(self.user_ids_))

    def _score(self, user_rows: np.ndarray) -> sp.csr_matrix:
        x = self.user_items_
        weights = cosine_top_k(
            x[user_rows],
            self.user_norms_[user_rows],
            self.item_vectors_,  # x transposed, once at fit
            self.user_norms_,
            float(self.shrinkage),
            user_rows,
            int(self.k_neighbors),
        )
        return sparse_product(weights, x)

"""EASE: Embarrassingly Shallow Autoencoder (Steck 2019), closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from shopcase.recommend.base import BaseRecommender
from shopcase.validate import Integer, Number


class EASE(BaseRecommender):
    """EASE: ``B = argmin |X - XB|^2 + l2 |B|^2`` with ``diag(B) = 0``; ``score = X_u @ B``.

    Closed form: ``G = X^T X + l2 I``, ``P = G^-1``, ``B_ij = -P_ij / P_jj``,
    ``B_jj = 0``. ``B`` is a dense ``items x items`` float64 array (8 * n_items^2
    bytes: 3.2 GB at 20k items; fitting peaks at twice that), so catalogues above
    ``max_items`` (default 25,000) are refused with a ``ValueError``. Scores can be negative; every
    unseen item with a finite score is returnable. ``similar_items(i)`` ranks by
    row ``B[i, :]``, item ``i``'s weight in each other item's score.

    Learned: ``weights_`` (``B``, shape ``n_items x n_items``).
    """

    _positive_only = False
    _parameter_constraints = {"l2": Number(low=0, low_inclusive=False), "max_items": Integer(low=1)}

    def __init__(
        self, l2: float = 500.0, max_items: int = 25_000, chunk_rows: int | None = None, n_jobs: int | None = None
    ) -> None:
        self.l2 = l2
        self.max_items = max_items
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        l2, max_items = float(self.l2), int(self.max_items)  # checked by the base
        if self.n_items_ > max_items:
            raise ValueError(
                f"EASE builds a dense items x items matrix; {self.n_items_:,} items exceed "
                f"max_items={max_items:,} (~{8 * self.n_items_**2 / 1e9:.1f} GB). Use ItemKNN, "
                "or filter the catalogue to the most popular items"
            )
        gram = (self.user_items_.T @ self.user_items_).toarray()
        gram[np.diag_indices_from(gram)] += l2
        # G is symmetric positive definite: a Cholesky solve is cheaper and steadier than inv(),
        # and overwriting its inputs keeps the peak at two items x items arrays.
        factor = scipy.linalg.cho_factor(gram, overwrite_a=True)
        weights = scipy.linalg.cho_solve(factor, np.eye(self.n_items_), overwrite_b=True)
        del gram, factor
        weights /= -np.diag(weights).copy()
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights

    def _score(self, user_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_items_[user_rows] @ self.weights_)

    def _similar(self, item_rows: np.ndarray) -> np.ndarray:
        return self.weights_[item_rows]

"""Most-popular items: the non-personalised baseline and every model's cold-start fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.data.interactions import age_in_days
from shopcase.recommend.base import BaseRecommender
from shopcase.schema import ITEM_ID, RATING
from shopcase.validate import Number


class Popularity(BaseRecommender):
    """Rank items by summed interaction strength, optionally decayed with age.

    With ``recency_half_life_days`` set, ``interactions`` must have a
    ``timestamp`` column; each row then weighs ``0.5 ** (age_days / half_life)``,
    the age measured from the latest timestamp in the data (never from today, so
    a refit on the same data gives the same ranking). Every known item is
    returnable (score >= 0), so each user gets ``min(n, unseen items)`` items.
    ``similar_items`` is non-personalised too: the most popular other items.

    Learned: ``scores_`` (shape ``n_items``, strength units).
    """

    _positive_only = False
    _kind = "popularity"
    _parameter_constraints = {"recency_half_life_days": Number(low=0, low_inclusive=False, optional=True)}

    def __init__(
        self, recency_half_life_days: float | None = None, chunk_rows: int | None = None, n_jobs: int | None = None
    ) -> None:
        self.recency_half_life_days = recency_half_life_days
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        if self.recency_half_life_days is None:
            self.scores_ = self.item_popularity_.copy()
            return
        age_days = age_in_days(interactions, "Popularity with recency_half_life_days")
        weight = interactions[RATING].to_numpy(dtype=np.float64) * 0.5 ** (age_days / self.recency_half_life_days)
        cols = self.item_index_.get_indexer(interactions[ITEM_ID])
        self.scores_ = np.bincount(cols, weights=weight, minlength=self.n_items_).astype(np.float64)

    def _score(self, user_rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.scores_, (len(user_rows), self.n_items_))

    def _similar(self, item_rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.scores_, (len(item_rows), self.n_items_))

    def _cold_start_scores(self) -> np.ndarray:
        return self.scores_

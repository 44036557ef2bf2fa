"""Recent interactions count more: any recommender fitted on recency-decayed strengths."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from shopcase.recommend.base import BaseRecommender, validate_interactions
from shopcase.recommend.repeat import age_in_days
from shopcase.schema import RATING
from shopcase.validate import check_bool, check_number

MIN_STRENGTH: float = 1e-300
"""Floor of a decayed strength: a very old interaction keeps a tiny weight instead of becoming 0."""


class TimeDecayed(BaseRecommender):
    """Fit ``model`` on strengths ``s(u, i) * 0.5 ** (age(u, i) / half_life_days)``.

    ``s`` is the interaction strength, or 1 with ``binary=True`` (only *whether* and
    *when*, not how much). ``age`` is measured in days from the pair's ``timestamp``
    (its last interaction; a column ``interactions`` must have) to the latest timestamp in
    the data, never to today. Strengths are floored at ``MIN_STRENGTH`` so none
    becomes 0. Everything else is ``model``'s: its scores, which items it returns,
    its ``similar_items`` and its cold-start list (popularity of the decayed strengths).

    Learned: ``model_`` (the fitted clone), ``decayed_`` (the strengths it was fitted on).
    """

    _positive_only = False

    def __init__(
        self,
        model: BaseRecommender,
        half_life_days: float = 90.0,
        binary: bool = False,
        chunk_rows: int | None = None,
    ) -> None:
        self.model = model
        self.half_life_days = half_life_days
        self.binary = binary
        self.chunk_rows = chunk_rows

    def fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None = None) -> Self:
        """Decay the strengths, then fit as ``BaseRecommender.fit``; needs a ``timestamp`` column."""
        if not isinstance(self.model, BaseRecommender):
            raise ValueError(f"TimeDecayed model must be a shopcase recommender, got {type(self.model).__name__}")
        check_bool(self.binary, "binary")
        half_life = check_number(self.half_life_days, "half_life_days", low=0, low_inclusive=False)
        frame = validate_interactions(interactions)
        age = age_in_days(frame, "TimeDecayed")
        strength = np.ones(len(frame)) if self.binary else frame[RATING].to_numpy(dtype=np.float64)
        decayed = np.maximum(strength * 0.5 ** (age / half_life), MIN_STRENGTH)
        return super().fit(frame.assign(rating=decayed), item_features)

    def _catalogue_item_ids(self, item_features: pd.DataFrame | None) -> pd.Series | None:
        return self.model._catalogue_item_ids(item_features)

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        self.decayed_ = interactions[RATING].to_numpy(dtype=np.float64)
        self.model_ = clone(self.model).fit(interactions, item_features)
        self._kind = self.model_._kind

    # Everything is the fitted model's: same users and items (same frame), so rows and columns agree.
    def _row_width(self) -> int:
        return self.model_._row_width()

    def _score(self, user_rows: np.ndarray) -> np.ndarray | sp.spmatrix:
        return self.model_._score(user_rows)

    def _similar(self, item_rows: np.ndarray) -> np.ndarray | sp.spmatrix:
        return self.model_._similar(item_rows)

    def _chunk_scores(self, user_rows: np.ndarray, exclude_seen: bool) -> np.ndarray:
        return self.model_._chunk_scores(user_rows, exclude_seen)

    def _similar_scores(self, item_rows: np.ndarray) -> np.ndarray:
        return self.model_._similar_scores(item_rows)

    def _top_n_rows(
        self, user_rows: np.ndarray, n: int, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.model_._top_n_rows(user_rows, n, exclude_seen)

    def _cold_start_scores(self) -> np.ndarray:
        return self.model_._cold_start_scores()

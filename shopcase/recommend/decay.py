"""Recent interactions count more: any recommender fitted on recency-decayed strengths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from shopcase.data.interactions import age_in_days
from shopcase.recommend._topn import Candidates
from shopcase.recommend.base import BaseRecommender
from shopcase.recommend.composite import RECOMMENDER
from shopcase.schema import RATING
from shopcase.validate import Flag, Number

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
    _parameter_constraints = {
        "model": RECOMMENDER,
        "half_life_days": Number(low=0, low_inclusive=False),
        "binary": Flag(),
    }

    def __init__(
        self,
        model: BaseRecommender,
        half_life_days: float = 90.0,
        binary: bool = False,
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.model = model
        self.half_life_days = half_life_days
        self.binary = binary
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    @property
    def _kind(self) -> str:  # the wrapped model's reference method, read from the parameter, never stored
        return self.model._kind if isinstance(self.model, BaseRecommender) else BaseRecommender._kind

    def _prepare_interactions(self, interactions: pd.DataFrame) -> pd.DataFrame:
        """The decayed strengths (needs a ``timestamp`` column)."""
        age = age_in_days(interactions, "TimeDecayed")
        strength = np.ones(len(interactions)) if self.binary else interactions[RATING].to_numpy(dtype=np.float64)
        decayed = np.maximum(strength * 0.5 ** (age / float(self.half_life_days)), MIN_STRENGTH)
        return interactions.assign(**{RATING: decayed})

    def _catalogue_item_ids(self, item_features: pd.DataFrame | None) -> pd.Series | None:
        return self.model._catalogue_item_ids(item_features)

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        self.decayed_ = interactions[RATING].to_numpy(dtype=np.float64)
        self.model_ = clone(self.model).fit(interactions, item_features)

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

    def _candidates(self, user_rows: np.ndarray, exclude_seen: bool) -> Candidates | None:
        return self.model_._candidates(user_rows, exclude_seen)

    def _top_n_rows(
        self, user_rows: np.ndarray, n: int, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.model_._top_n_rows(user_rows, n, exclude_seen)

    def _cold_start_scores(self) -> np.ndarray:
        return self.model_._cold_start_scores()

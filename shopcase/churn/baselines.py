"""Simple churn baselines a model must beat: one-feature rules.

``BinnedRateRule`` turns one feature into a probability: it cuts the feature
into quantile bins on the training customers and predicts each bin's observed
churn rate. A "recency rule" is ``BinnedRateRule('days_since_last_purchase')``,
a "frequency rule" ``BinnedRateRule('total_orders')``. It has ``ChurnModel``'s
``fit(features, labels)`` / ``predict_proba(features)`` interface, so the same
evaluation protocol (and the same Brier score) applies to both.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from shopcase.churn.model import align_labels, check_feature_frame
from shopcase.validate import check_int, check_number


class BinnedRateRule(ClassifierMixin, BaseEstimator):
    """P(churn) = training churn rate of the feature's quantile bin.

    Parameters
    ----------
    column : str
        The one feature used.
    n_bins : int, default 10
        Quantile bins on the training values (fewer when the feature has many ties).
    prior_strength : float, default 1.0
        Pseudo-customers at the overall churn rate added to each bin, so a tiny bin
        never predicts exactly 0 or 1.

    Learned: ``edges_`` (inner bin edges), ``rates_`` (one per bin), ``classes_``.
    """

    def __init__(self, column: str = "days_since_last_purchase", n_bins: int = 10, prior_strength: float = 1.0) -> None:
        self.column = column
        self.n_bins = n_bins
        self.prior_strength = prior_strength

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame) -> Self:
        """Learn bin edges and churn rates from ``features[column]`` and ``labels`` (joined on ids)."""
        n_bins = check_int(self.n_bins, "n_bins")
        check_number(self.prior_strength, "prior_strength", low=0.0)
        y = align_labels(features, labels).astype(float)
        x = features[self.column].to_numpy(dtype=float)
        # method="lower" puts every edge on an observed value, so no bin between two edges is empty.
        quantiles = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1], method="lower")
        self.edges_ = np.unique(quantiles)
        bins = np.searchsorted(self.edges_, x, side="left")
        n_per_bin = np.bincount(bins, minlength=self.edges_.size + 1)
        churn_per_bin = np.bincount(bins, weights=y, minlength=self.edges_.size + 1)
        overall = y.mean()
        numerator = churn_per_bin + self.prior_strength * overall
        denominator = n_per_bin + self.prior_strength
        # Bins are (edge[i-1], edge[i]]; the one above the top edge may be empty: it gets the overall rate.
        self.rates_ = np.divide(numerator, denominator, out=np.full(denominator.shape, overall), where=denominator > 0)
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """``[P(stay), P(churn)]`` per row, shape ``(n, 2)``."""
        check_is_fitted(self, "rates_")
        check_feature_frame(features, [self.column])
        bins = np.searchsorted(self.edges_, features[self.column].to_numpy(dtype=float), side="left")
        p = self.rates_[bins]
        return np.column_stack([1 - p, p])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(features)[:, 1] > 0.5

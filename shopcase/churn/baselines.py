"""Simple churn baselines a model must beat: one-feature rules.

``BinnedRateRule`` turns one feature into a probability: it cuts the feature into quantile bins on
the training customers and predicts each bin's observed churn rate. A "recency rule" is
``BinnedRateRule('days_since_last_purchase')``, a "frequency rule" ``BinnedRateRule('total_orders')``.
It is a scikit-learn classifier like ``ChurnModel`` (``fit(X, y)`` with ``customer_id`` as X's
index), so the same evaluation protocol, the same Brier score and the same tools apply to both.
"""

from __future__ import annotations

import numpy as np

from shopcase.churn.classifier import ChurnClassifier
from shopcase.validate import check_int, check_number, require_columns


class BinnedRateRule(ChurnClassifier):
    """P(churn) = training churn rate of the feature's quantile bin.

    Parameters
    ----------
    column : str or int, default 'days_since_last_purchase'
        The one feature used: a column name of a DataFrame X, or a position (for an array X).
    n_bins : int, default 10
        Quantile bins on the training values (fewer when the feature has many ties).
    prior_strength : float, default 1.0
        Pseudo-customers at the overall churn rate added to each bin, so a tiny bin
        never predicts exactly 0 or 1.

    Attributes
    ----------
    edges_ : ndarray
        Inner bin edges; bins are ``(edges_[i-1], edges_[i]]``.
    rates_ : ndarray of shape (len(edges_) + 1,)
        P(``classes_[1]``) per bin.
    classes_, n_features_in_, feature_names_in_, feature_columns_ : see ``ChurnClassifier``.
    """

    def __init__(self, column: str | int = "days_since_last_purchase", n_bins: int = 10, prior_strength: float = 1.0):
        self.column = column
        self.n_bins = n_bins
        self.prior_strength = prior_strength

    def _check_params(self) -> None:
        check_int(self.n_bins, "n_bins")
        check_number(self.prior_strength, "prior_strength", low=0.0)
        if not isinstance(self.column, (str, int)) or isinstance(self.column, bool):
            raise ValueError(f"column must be a column name or a position, got {self.column!r}")

    def _resolve_columns(self, X: object, n_features: int, names: np.ndarray | None) -> list[int]:
        if isinstance(self.column, str):
            if names is None:
                raise ValueError(f"column={self.column!r} names a column, but X has no column names")
            require_columns(X, [self.column], "X")  # type: ignore[arg-type]
            return [list(names).index(self.column)]
        return [check_int(self.column, "column", low=0, high=n_features - 1)]

    def _learn(self, design: np.ndarray, encoded: np.ndarray, classes: np.ndarray) -> dict[str, object]:
        x, y = design[:, 0], encoded.astype(float)
        # method="lower" puts every edge on an observed value, so no bin between two edges is empty.
        quantiles = np.quantile(x, np.linspace(0, 1, self.n_bins + 1)[1:-1], method="lower")
        edges = np.unique(quantiles)
        bins = np.searchsorted(edges, x, side="left")
        n_per_bin = np.bincount(bins, minlength=edges.size + 1)
        churn_per_bin = np.bincount(bins, weights=y, minlength=edges.size + 1)
        overall = y.mean()
        numerator = churn_per_bin + self.prior_strength * overall
        denominator = n_per_bin + self.prior_strength
        # The bin above the top edge may be empty (with no prior): it gets the overall rate.
        rates = np.divide(numerator, denominator, out=np.full(denominator.shape, overall), where=denominator > 0)
        return {"edges_": edges, "rates_": rates}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One feature by design: it cannot reach the accuracy scikit-learn's checks ask of a full model.
        tags.classifier_tags.poor_score = True
        return tags

    def _positive_proba(self, design: np.ndarray) -> np.ndarray:
        return self.rates_[np.searchsorted(self.edges_, design[:, 0], side="left")]

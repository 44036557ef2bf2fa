"""``ChurnModel``: a trained churn classifier over named numeric feature columns only.

What the reference ``ChurnPredictor`` got wrong and this cannot do: it is fitted before use
(``predict_*`` on an unfitted model raises ``NotFittedError``), ids and dates never reach the
estimator (``customer_id`` is X's index, and only the named numeric columns are read;
``feature_columns_`` shows which), and nothing depends on today's date (features come from
``customer_features(as_of=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from shopcase.churn.classifier import ChurnClassifier, refuse_ids
from shopcase.churn.features import BGNBD_FEATURE_COLUMNS, FEATURE_COLUMNS
from shopcase.schema import CHURN_PROBABILITY, CUSTOMER_ID, RISK_SEGMENT, SEED
from shopcase.validate import check_array, check_choice, check_int, check_range, require_columns

SEGMENTS: tuple[str, str, str] = ("LOW", "MEDIUM", "HIGH")
ESTIMATORS: tuple[str, ...] = ("gbm", "hgb")
CALIBRATIONS: tuple[str | None, ...] = (None, "isotonic", "sigmoid")
ALL_COLUMNS = "all"
"""``feature_columns='all'``: every column of X is a feature (X holds nothing else; arrays need it)."""


def risk_segments(probabilities: object, thresholds: tuple[float, float] = (0.4, 0.7)) -> np.ndarray:
    """``'HIGH'`` if p > high, ``'MEDIUM'`` if p > low, else ``'LOW'``, shape ``(n,)``.

    The comparisons are strict, as in the reference: p = 0.7 is MEDIUM and p = 0.4 is LOW.
    """
    low, high = check_range(thresholds, "thresholds")
    p = check_array(probabilities, "probabilities", low=0.0, high=1.0, allow_empty=True)
    return np.select([p > high, p > low], ["HIGH", "MEDIUM"], default="LOW").astype(object)


class ChurnModel(ChurnClassifier):
    """Gradient-boosted churn classifier on named numeric feature columns.

    ``fit(X, y)``: X is a DataFrame indexed by ``customer_id`` (a ``ChurnDataset``'s ``features``),
    y the binary target (its ``labels``); see ``shopcase.churn.classifier``.

    Parameters
    ----------
    estimator : {'gbm', 'hgb'}, default 'gbm'
        ``GradientBoostingClassifier`` (the reference's model) or ``HistGradientBoostingClassifier``.
    n_estimators : int, default 100
        Trees (``max_iter`` for ``'hgb'``); 100 as in the reference.
    calibration : {None, 'isotonic', 'sigmoid'}, default None
        Wrap the estimator in ``CalibratedClassifierCV`` (5 stratified folds, shuffled with ``random_state``).
    thresholds : (low, high), default (0.4, 0.7)
        Risk segments: HIGH if P(churn) > high, MEDIUM if > low, else LOW.
    random_state : int or None, default 42
    feature_columns : sequence of str, 'all' or None, default None
        Columns the model reads. None: ``FEATURE_COLUMNS`` (all required) plus the
        ``BGNBD_FEATURE_COLUMNS`` present. ``'all'``: every column of X (the only choice for an
        array X). Other columns of a DataFrame X are never read (they may hold dates or text), but
        X must have the same columns at predict time as at fit (scikit-learn's rule). Named columns
        must be numeric and must not be ids (``customer_id``, ``*_id``).
    estimator_params : dict or None
        Extra keyword arguments of the scikit-learn estimator, e.g. ``{"learning_rate": 0.05,
        "max_depth": 2}`` (None: scikit-learn's defaults, the reference's model).

    Attributes
    ----------
    estimator_ : the fitted scikit-learn classifier (calibrated when ``calibration`` is set).
    feature_columns_ : list of the columns read (names; positions for an array X).
    classes_ : ndarray of shape (2,)
        ``[False, True]`` for ``y = churned``: column 1 of ``predict_proba`` is P(churn).
    n_features_in_ : int
        Columns of X at fit (read or not).
    feature_names_in_ : ndarray of str
        Their names, when X is a DataFrame.
    """

    def __init__(
        self,
        estimator: str = "gbm",
        n_estimators: int = 100,
        calibration: str | None = None,
        thresholds: tuple[float, float] = (0.4, 0.7),
        random_state: int | None = SEED,
        feature_columns: Sequence[str] | str | None = None,
        estimator_params: dict | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.calibration = calibration
        self.thresholds = thresholds
        self.random_state = random_state
        self.feature_columns = feature_columns
        self.estimator_params = estimator_params

    # --- parameters ------------------------------------------------------------------
    def _check_params(self) -> None:
        check_range(self.thresholds, "thresholds")
        if self.random_state is not None:
            check_int(self.random_state, "random_state", low=0)
        columns = self.feature_columns
        if isinstance(columns, str) and columns != ALL_COLUMNS:
            raise ValueError(f"feature_columns must be a list of names, 'all' or None, got {columns!r}")
        if columns is not None and not isinstance(columns, str):
            columns = list(columns)
            if not columns:
                raise ValueError("feature_columns is empty: the model needs at least one feature")
            if len(set(columns)) != len(columns):
                raise ValueError(f"feature_columns has duplicates: {columns}")
            refuse_ids(columns, "feature_columns")
        self._classifier()  # builds nothing lasting: checks estimator, calibration, n_estimators, estimator_params

    def _classifier(self):
        check_choice(self.estimator, "estimator", ESTIMATORS)
        check_choice(self.calibration, "calibration", CALIBRATIONS)
        n_trees = check_int(self.n_estimators, "n_estimators")
        extra = {} if self.estimator_params is None else self.estimator_params
        if not isinstance(extra, dict):
            raise ValueError(f"estimator_params must be a dict or None, got {extra!r}")
        kind = GradientBoostingClassifier if self.estimator == "gbm" else HistGradientBoostingClassifier
        fixed = {"n_estimators": n_trees} if self.estimator == "gbm" else {"max_iter": n_trees, "early_stopping": False}
        try:
            # Unknown names fail here; bad values fail in the estimator's own fit, before any state changes.
            model = kind(**fixed, random_state=self.random_state).set_params(**extra)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"estimator_params {extra!r} do not suit estimator={self.estimator!r}: {exc}") from exc
        if self.calibration is not None:
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
            model = CalibratedClassifierCV(model, method=self.calibration, cv=folds)
        return model

    # --- fit / predict -----------------------------------------------------------------
    def _resolve_columns(self, X: object, n_features: int, names: np.ndarray | None) -> list[int]:
        if self.feature_columns == ALL_COLUMNS:
            if names is not None:
                refuse_ids(list(names), "X has columns")
            return list(range(n_features))
        if names is None:
            raise ValueError(
                "X has no column names: pass a DataFrame (a ChurnDataset's features), or feature_columns='all' "
                "to use every column of an array"
            )
        if self.feature_columns is None:
            require_columns(X, FEATURE_COLUMNS, "X")  # type: ignore[arg-type]
            wanted = [*FEATURE_COLUMNS, *(c for c in BGNBD_FEATURE_COLUMNS if c in set(names))]
        else:
            wanted = list(self.feature_columns)
            require_columns(X, wanted, "X")  # type: ignore[arg-type]
        position = {name: i for i, name in enumerate(names)}
        return [position[c] for c in wanted]

    def _learn(self, design: np.ndarray, encoded: np.ndarray, classes: np.ndarray) -> dict[str, object]:
        return {"estimator_": self._classifier().fit(design, encoded)}

    def _positive_proba(self, design: np.ndarray) -> np.ndarray:
        # The estimator was fitted on y encoded 0/1, so its column 1 is classes_[1] (churned).
        return self.estimator_.predict_proba(design)[:, 1]

    def predict_churn_risk(self, X: pd.DataFrame) -> pd.DataFrame:
        """``customer_id, churn_probability, risk_segment`` (HIGH / MEDIUM / LOW), rows in X's order."""
        require_columns(X, [], "X")
        p_churn = self.predict_proba(X)[:, 1]
        return pd.DataFrame(
            {
                CUSTOMER_ID: X.index.to_numpy(),
                CHURN_PROBABILITY: p_churn,
                RISK_SEGMENT: risk_segments(p_churn, self.thresholds),
            }
        )

"""``ChurnModel``: a trained churn classifier over numeric feature columns only.

What the reference ``ChurnPredictor`` got wrong and this cannot do: it is
fitted before use (``predict_*`` on an unfitted model raises), ids and dates
never reach the estimator (only named numeric feature columns are passed to
the pipeline; ``pipeline_.feature_names_in_`` shows which), and nothing
depends on today's date (features come from ``customer_features(as_of=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from shopcase.churn.features import BGNBD_FEATURE_COLUMNS, FEATURE_COLUMNS
from shopcase.schema import CHURN_PROBABILITY, CHURNED, CUSTOMER_ID, RISK_SEGMENT, SEED, USER_ID
from shopcase.validate import check_int, check_no_missing, check_numeric_columns, check_unique, require_columns

SEGMENTS: tuple[str, str, str] = ("LOW", "MEDIUM", "HIGH")
ESTIMATORS: tuple[str, ...] = ("gbm", "hgb")
CALIBRATIONS: tuple[str | None, ...] = (None, "isotonic", "sigmoid")


def check_thresholds(thresholds: object) -> tuple[float, float]:
    """``(low, high)`` with ``0 <= low < high <= 1``, else ``ValueError``."""
    try:
        low, high = (float(t) for t in thresholds)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"thresholds must be two numbers (low, high), got {thresholds!r}") from exc
    if not (0.0 <= low < high <= 1.0):
        raise ValueError(f"thresholds must satisfy 0 <= low < high <= 1, got {thresholds!r}")
    return low, high


def risk_segments(probabilities: object, thresholds: tuple[float, float] = (0.4, 0.7)) -> np.ndarray:
    """``'HIGH'`` if p > high, ``'MEDIUM'`` if p > low, else ``'LOW'``, shape ``(n,)``.

    The comparisons are strict, as in the reference: p = 0.7 is MEDIUM and p = 0.4 is LOW.
    """
    low, high = check_thresholds(thresholds)
    p = np.asarray(probabilities, dtype=float)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must be finite and in [0, 1]")
    return np.select([p > high, p > low], ["HIGH", "MEDIUM"], default="LOW").astype(object)


def _looks_like_id(column: object) -> bool:
    name = str(column).lower()
    return name in ("id", CUSTOMER_ID, USER_ID) or name.endswith("_id")


def check_feature_frame(features: pd.DataFrame, columns: Sequence[str], name: str = "features") -> None:
    """Raise ``ValueError`` unless ``features`` has unique ``customer_id``s and finite numeric ``columns``."""
    require_columns(features, [CUSTOMER_ID, *columns], name)
    if len(features) == 0:
        raise ValueError(f"{name} is empty")
    check_no_missing(features, [CUSTOMER_ID], name)
    check_unique(features, CUSTOMER_ID, name)
    check_numeric_columns(features, columns, name)


def align_labels(features: pd.DataFrame, labels: pd.DataFrame) -> np.ndarray:
    """``labels['churned']`` in the row order of ``features``, joined on ``customer_id``, shape ``(n,)`` bool.

    Raises ``ValueError`` unless both frames hold exactly the same customers once each and
    ``churned`` is boolean with both classes present.
    """
    require_columns(labels, [CUSTOMER_ID, CHURNED], "labels")
    if not pd.api.types.is_bool_dtype(labels[CHURNED]):
        raise ValueError(f"labels: column 'churned' must be boolean, got dtype {labels['churned'].dtype}")
    if labels[CUSTOMER_ID].duplicated().any():
        raise ValueError(
            f"labels: column 'customer_id' has {int(labels['customer_id'].duplicated().sum())} duplicated ids"
        )
    feature_ids, label_ids = pd.Index(features[CUSTOMER_ID]), pd.Index(labels[CUSTOMER_ID])
    only_features, only_labels = feature_ids.difference(label_ids), label_ids.difference(feature_ids)
    if len(only_features) or len(only_labels):
        raise ValueError(
            f"features and labels must cover the same customers (customer_id): {len(only_features)} only in "
            f"features (e.g. {only_features[:3].tolist()}), {len(only_labels)} only in labels "
            f"(e.g. {only_labels[:3].tolist()})"
        )
    y = labels.set_index(CUSTOMER_ID)[CHURNED].reindex(feature_ids).to_numpy(dtype=bool)
    return y


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Gradient-boosted churn classifier on named numeric feature columns.

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
    random_state : int, default 42
    feature_columns : sequence of str or None
        Columns the model may use. None means ``FEATURE_COLUMNS`` (all required)
        plus any ``BGNBD_FEATURE_COLUMNS`` present. Any other column of the
        input, ids and dates included, is ignored. Named columns must be
        numeric and must not be ids (``customer_id``, ``*_id``).
    estimator_params : dict or None
        Extra keyword arguments of the sklearn estimator, e.g.
        ``{"learning_rate": 0.05, "max_depth": 2}`` (None: sklearn's defaults,
        the reference's model).

    Learned attributes: ``pipeline_`` (the fitted sklearn ``Pipeline``; its
    ``feature_names_in_`` are the columns used), ``feature_columns_``,
    ``classes_`` (``[False, True]``: column 1 of ``predict_proba`` is P(churn)),
    ``n_features_in_``, ``feature_names_in_``.
    """

    def __init__(
        self,
        estimator: str = "gbm",
        n_estimators: int = 100,
        calibration: str | None = None,
        thresholds: tuple[float, float] = (0.4, 0.7),
        random_state: int | None = SEED,
        feature_columns: Sequence[str] | None = None,
        estimator_params: dict | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.calibration = calibration
        self.thresholds = thresholds
        self.random_state = random_state
        self.feature_columns = feature_columns
        self.estimator_params = estimator_params

    # --- set-up -----------------------------------------------------------------
    def _columns(self, features: pd.DataFrame) -> list[str]:
        if self.feature_columns is None:
            require_columns(features, FEATURE_COLUMNS, "features")
            return [*FEATURE_COLUMNS, *(c for c in BGNBD_FEATURE_COLUMNS if c in features.columns)]
        if isinstance(self.feature_columns, str):
            raise ValueError(f"feature_columns must be a list of names, got {self.feature_columns!r}")
        columns = list(self.feature_columns)
        if not columns:
            raise ValueError("feature_columns is empty: the model needs at least one feature")
        if len(set(columns)) != len(columns):
            raise ValueError(f"feature_columns has duplicates: {columns}")
        ids = [c for c in columns if _looks_like_id(c)]
        if ids:
            raise ValueError(f"feature_columns {ids} look like ids; ids never enter the model")
        return columns

    def _classifier(self):
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {ESTIMATORS}, got {self.estimator!r}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {self.calibration!r}")
        check_int(self.n_estimators, "n_estimators")
        extra = {} if self.estimator_params is None else self.estimator_params
        if not isinstance(extra, dict):
            raise ValueError(f"estimator_params must be a dict or None, got {extra!r}")
        try:
            if self.estimator == "gbm":
                model = GradientBoostingClassifier(
                    n_estimators=int(self.n_estimators), random_state=self.random_state, **extra
                )
            else:
                model = HistGradientBoostingClassifier(
                    max_iter=int(self.n_estimators), early_stopping=False, random_state=self.random_state, **extra
                )
        except TypeError as exc:
            message = f"estimator_params {extra!r} do not suit estimator={self.estimator!r}: {exc}"
            raise ValueError(message) from exc
        if self.calibration is not None:
            folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
            model = CalibratedClassifierCV(model, method=self.calibration, cv=folds)
        return model

    # --- fit / predict ----------------------------------------------------------
    def fit(self, features: pd.DataFrame, labels: pd.DataFrame) -> Self:
        """Fit on ``features`` (``customer_id`` + feature columns) and ``labels`` (``customer_id, churned``).

        The frames are joined on ``customer_id``; they must hold the same customers. Returns ``self``.
        """
        check_thresholds(self.thresholds)
        columns = self._columns(features)
        check_feature_frame(features, columns)
        y = align_labels(features, labels)
        if y.all() or not y.any():
            raise ValueError("labels: 'churned' has a single class; a classifier needs churners and stayers")
        pipeline = Pipeline([("classifier", self._classifier())])
        # Only the named numeric columns are passed: ids and dates cannot reach the estimator.
        pipeline.fit(features[columns].astype(float), y)
        self.pipeline_ = pipeline
        self.feature_columns_ = columns
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.classes_ = np.array([False, True])
        return self

    def _design(self, features: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "pipeline_")
        check_feature_frame(features, self.feature_columns_)
        return features[self.feature_columns_].astype(float)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """``[P(stay), P(churn)]`` per row of ``features``, shape ``(n, 2)`` (sklearn convention)."""
        design = self._design(features)  # raises NotFittedError first when unfitted
        proba = self.pipeline_.predict_proba(design)
        # The pipeline's classes are [False, True] (sorted), so column 1 is churn.
        return np.asarray(proba, dtype=float)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """``churned`` predicted at P(churn) > 0.5, shape ``(n,)`` bool."""
        return self.predict_proba(features)[:, 1] > 0.5

    def score(self, features: pd.DataFrame, labels: pd.DataFrame) -> float:
        """ROC-AUC of P(churn) against ``labels`` (ranking matters for targeting; accuracy does not)."""
        y = align_labels(features, labels)
        return float(roc_auc_score(y, self.predict_proba(features)[:, 1]))

    def predict_churn_risk(self, features: pd.DataFrame) -> pd.DataFrame:
        """``customer_id, churn_probability, risk_segment`` (HIGH / MEDIUM / LOW), rows as in ``features``."""
        p_churn = self.predict_proba(features)[:, 1]
        return pd.DataFrame(
            {
                CUSTOMER_ID: features[CUSTOMER_ID].to_numpy(),
                CHURN_PROBABILITY: p_churn,
                RISK_SEGMENT: risk_segments(p_churn, self.thresholds),
            }
        )

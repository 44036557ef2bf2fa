"""What every churn classifier shares: scikit-learn's ``fit(X, y)``, with ``customer_id`` as the index of X.

``X`` is a DataFrame indexed by ``customer_id`` (a ``ChurnDataset``'s ``features``) or a 2-D array;
``y`` the binary target (a ``ChurnDataset``'s ``labels``: ``churned`` indexed by ``customer_id``). A
``y`` given as a Series is joined to ``X`` on the index, so a shuffled ``y`` cannot pair a customer
with another's label; an array ``y`` pairs row by row, as scikit-learn's tools pass it. Because the
contract is scikit-learn's, ``clone``, ``cross_val_predict``, ``permutation_importance``,
``GridSearchCV`` and pipelines work unchanged.

A subclass says which columns it reads (``_resolve_columns``) and how it learns from them
(``_learn``) and scores them (``_positive_proba``). The base does the rest once: parameters are
checked first (``_check_params``), nothing is assigned until fitting has succeeded, so a failed fit
leaves a fitted model as it was and an unfitted one unfitted; ``n_features_in_`` and
``feature_names_in_`` describe X as given to ``fit``, and scikit-learn's own checks refuse an X with
other columns at predict time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_array as sklearn_check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from shopcase.validate import (
    align_to_ids,
    check_binary_target,
    check_not_empty,
    check_numeric_columns,
    check_same_length,
)


def looks_like_id(column: object) -> bool:
    """Whether a column name is an id (``id``, ``customer_id``, ``user_id``, ``*_id``): ids never enter a model."""
    name = str(column).lower()
    return name == "id" or name.endswith("_id")


def refuse_ids(columns: Sequence[object], name: str) -> None:
    """Raise ``ValueError`` if any of ``columns`` looks like an id (``customer_id`` belongs in the index)."""
    ids = [c for c in columns if looks_like_id(c)]
    if ids:
        raise ValueError(f"{name} {ids} look like ids; ids never enter the model (customer_id is X's index)")


def as_2d(X: object) -> object:
    """A DataFrame as it is (its columns are checked when chosen); anything else as a 2-D float array.

    scikit-learn's ``check_array`` gives the messages its tools expect ("Reshape your data", "0
    feature(s)", "Input X contains NaN").
    """
    return X if isinstance(X, pd.DataFrame) else sklearn_check_array(X, dtype=np.float64)


def _describe(X: object) -> tuple[int, np.ndarray | None]:
    """``(n_features, feature names or None)`` of X as scikit-learn records them, without touching a model."""
    probe = BaseEstimator()
    validate_data(probe, X, reset=True, skip_check_array=True)
    return probe.n_features_in_, getattr(probe, "feature_names_in_", None)


def design_matrix(X: object, positions: Sequence[int]) -> np.ndarray:
    """The columns ``positions`` of X as a finite float array, shape ``(n_customers, len(positions))``.

    A DataFrame's other columns are never read (they may be ids, dates or text); a chosen column that
    is not numeric or not finite raises ``ValueError`` naming it.
    """
    if isinstance(X, pd.DataFrame):
        check_not_empty(X, "X", "a model needs customers")
        chosen = X.iloc[:, list(positions)]
        check_numeric_columns(chosen, chosen.columns, "X")
        return sklearn_check_array(chosen, dtype=np.float64)
    return as_2d(X)[:, list(positions)]


def aligned_target(X: object, y: object) -> object:
    """``y`` in the row order of X: a Series is joined to a DataFrame X on the index (``customer_id``)."""
    if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
        raise ValueError(
            f"y must be one column of labels (e.g. a ChurnDataset's labels, 'churned' indexed by customer_id), "
            f"got a DataFrame with columns {list(y.columns)}"
        )
    if isinstance(y, pd.Series) and isinstance(X, pd.DataFrame):
        return align_to_ids(y, X.index, "y", "X")
    return y


def target(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, encoded)`` of ``y`` in the row order of X (see ``aligned_target``)."""
    classes, encoded = check_binary_target(aligned_target(X, y))
    check_same_length(X=X, y=encoded)
    return classes, encoded


class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """Base of the churn classifiers: binary ``fit(X, y)``, ``predict_proba``, ``predict``, ROC-AUC ``score``.

    Learned attributes set by the base: ``classes_`` (the two labels; column 1 of ``predict_proba`` is
    ``classes_[1]``, i.e. churned for ``y = churned``), ``n_features_in_``, ``feature_names_in_``
    (only when X is a DataFrame with string column names), ``feature_columns_`` (the columns read: names,
    or positions for an array X) and ``feature_positions_`` (their positions in X).
    """

    # --- what a subclass provides ------------------------------------------------------
    def _check_params(self) -> None:
        """Raise ``ValueError`` on a bad parameter; called first in ``fit``, before any state changes."""

    def _resolve_columns(self, X: object, n_features: int, names: np.ndarray | None) -> list[int]:
        """Positions of the columns of X the model reads."""
        raise NotImplementedError

    def _learn(self, design: np.ndarray, encoded: np.ndarray, classes: np.ndarray) -> dict[str, object]:
        """Fit on the design matrix and 0/1 target; return the learned attributes (names end in ``_``)."""
        raise NotImplementedError

    def _positive_proba(self, design: np.ndarray) -> np.ndarray:
        """P(``classes_[1]``) for each row of the design matrix, shape ``(n,)``."""
        raise NotImplementedError

    # --- the scikit-learn contract, written once ------------------------------------------
    def fit(self, X: object, y: object) -> Self:
        """Learn from X (``customer_id`` index, feature columns) and the binary target y. Returns ``self``."""
        self._check_params()
        X = as_2d(X)
        classes, encoded = target(X, y)
        n_features, names = _describe(X)
        positions = self._resolve_columns(X, n_features, names)
        design = design_matrix(X, positions)
        learned = self._learn(design, encoded, classes)
        learned.update(
            classes_=classes,
            n_features_in_=n_features,
            feature_positions_=list(positions),
            feature_columns_=[names[i] for i in positions] if names is not None else list(positions),
        )
        # Everything is known to be valid: replace the learned state in one go.
        if names is None and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if names is not None:
            learned["feature_names_in_"] = names
        for attribute, value in learned.items():
            setattr(self, attribute, value)
        return self

    def _design(self, X: object) -> np.ndarray:
        check_is_fitted(self, "classes_")
        X = as_2d(X)
        # scikit-learn's own checks: the same number of columns, and the same names in the same order.
        validate_data(self, X, reset=False, skip_check_array=True)
        return design_matrix(X, self.feature_positions_)

    def predict_proba(self, X: object) -> np.ndarray:
        """``[P(classes_[0]), P(classes_[1])]`` per row of X (``[P(stay), P(churn)]``), shape ``(n, 2)``."""
        p = np.clip(self._positive_proba(self._design(X)), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object) -> np.ndarray:
        """``classes_[1]`` (churned) where its probability exceeds 0.5, else ``classes_[0]``, shape ``(n,)``."""
        churn = self.predict_proba(X)[:, 1] > 0.5  # first: an unfitted model raises NotFittedError here
        return self.classes_[churn.astype(int)]

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """ROC-AUC of P(``classes_[1]``) against y (targeting ranks customers; accuracy at 0.5 does not matter)."""
        p = self.predict_proba(X)[:, 1]
        values = np.asarray(aligned_target(X, y)).reshape(-1)
        check_same_length(X=p, y=values)
        return float(roc_auc_score(values == self.classes_[1], p, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

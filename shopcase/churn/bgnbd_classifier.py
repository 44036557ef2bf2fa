"""``BGNBDClassifier``: BG/NBD as a churn classifier, P(churn) = P(no purchase in the horizon).

BG/NBD needs no label: it learns how often customers buy and how soon they drop out from their
purchase histories alone. Wrapped as a scikit-learn classifier it goes through the same protocol as
``ChurnModel`` and the rules (``cross_val_predict``, out-of-time evaluation, bootstrap comparisons):
``fit(X, y)`` fits BG/NBD on the customers of X (y only sets ``classes_``), and
``predict_proba(X)[:, 1]`` is ``BGNBD.prob_no_purchase`` over ``horizon_days``, the churn label's
own definition when the horizons match.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from shopcase.churn.bgnbd import BGNBD, PERIOD_DAYS
from shopcase.churn.classifier import ChurnClassifier
from shopcase.churn.features import BGNBD_SUMMARY_COLUMNS
from shopcase.validate import check_choice, check_int, require_columns


class BGNBDClassifier(ChurnClassifier):
    """P(churn) = BG/NBD's probability of no purchase in the next ``horizon_days``.

    X holds ``BGNBD_SUMMARY_COLUMNS`` (days; ``bgnbd_features`` or ``build_churn_dataset(...,
    bgnbd=True)`` add them), other columns are not read; an array X must be exactly those three
    columns in that order.

    Parameters
    ----------
    horizon_days : int, default 90
        The label's horizon: P(no purchase in ``[as_of, as_of + horizon_days)``).
    period : {'W', 'D'}, default 'W'
        Time unit BG/NBD is fitted in (weeks, as the paper; the fit is the same model in any unit).
    bgnbd : BGNBD or None, default None
        The model to fit, e.g. ``BGNBD(penalizer=0.01)`` (a clone is fitted); None is ``BGNBD()``.

    Attributes
    ----------
    bgnbd_ : the fitted ``BGNBD``.
    classes_ : ``[False, True]`` (or ``[0, 1]``): the positive class must mean churned.
    n_features_in_, feature_names_in_, feature_columns_ : see ``ChurnClassifier``.
    """

    def __init__(self, horizon_days: int = 90, period: str = "W", bgnbd: BGNBD | None = None) -> None:
        self.horizon_days = horizon_days
        self.period = period
        self.bgnbd = bgnbd

    def _check_params(self) -> None:
        check_int(self.horizon_days, "horizon_days")
        check_choice(self.period, "period", tuple(PERIOD_DAYS))
        if self.bgnbd is not None and not isinstance(self.bgnbd, BGNBD):
            raise ValueError(f"bgnbd must be a BGNBD model (e.g. BGNBD(penalizer=0.01)) or None, got {self.bgnbd!r}")

    def _resolve_columns(self, X: object, n_features: int, names: np.ndarray | None) -> list[int]:
        if names is None:
            if n_features != len(BGNBD_SUMMARY_COLUMNS):
                raise ValueError(
                    f"an array X must have the {len(BGNBD_SUMMARY_COLUMNS)} columns {BGNBD_SUMMARY_COLUMNS}"
                )
            return list(range(n_features))
        require_columns(X, BGNBD_SUMMARY_COLUMNS, "X")  # type: ignore[arg-type]
        return [list(names).index(c) for c in BGNBD_SUMMARY_COLUMNS]

    def _summary(self, design: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        unit = PERIOD_DAYS[self.period]
        return design[:, 0], design[:, 1] / unit, design[:, 2] / unit

    def _learn(self, design: np.ndarray, encoded: np.ndarray, classes: np.ndarray) -> dict[str, object]:
        if not (set(classes.tolist()) <= {0, 1}):
            raise ValueError(f"y must be churned flags (True/False or 1/0), got classes {classes.tolist()}")
        model = clone(self.bgnbd if self.bgnbd is not None else BGNBD()).fit(*self._summary(design))
        return {"bgnbd_": model}

    def _positive_proba(self, design: np.ndarray) -> np.ndarray:
        t = self.horizon_days / PERIOD_DAYS[self.period]
        return self.bgnbd_.prob_no_purchase(t, *self._summary(design))

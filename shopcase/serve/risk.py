"""Churn risk from a saved churn classifier: the feature rows it reads, and a risk segment per customer.

The churn models a shop can save and serve are shopcase's churn classifiers (``ChurnClassifier``):
``ChurnModel`` (gradient boosting), ``BGNBDClassifier`` (BG/NBD's P(no purchase in the horizon)) and
``BinnedRateRule`` (a one-feature rule), each fitted with ``fit(X, y)`` on a DataFrame X indexed by
``customer_id`` (a ``ChurnDataset``'s ``features``), so its columns are known by name. ``churn_risk`` gives
``customer_id, churn_probability, risk_segment`` for any of them: ``ChurnModel``'s own
``predict_churn_risk`` (its ``thresholds``), the others' P(churn) cut at ``risk_segments``' defaults (which
are ``ChurnModel``'s). ``feature_rows`` builds X from request rows (the service), ``churn_features`` from
an event log as of a date (``shopcase churn-score``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.churn.classifier import ChurnClassifier
from shopcase.churn.features import BGNBD_FEATURE_COLUMNS, BGNBD_SUMMARY_COLUMNS, bgnbd_features, customer_features
from shopcase.churn.model import ChurnModel, risk_segments
from shopcase.schema import CHURN_PROBABILITY, CUSTOMER_ID, RISK_SEGMENT
from shopcase.validate import as_id_index, check_int, require_columns

SERVED_CHURN_MODELS: tuple[str, ...] = ("ChurnModel", "BGNBDClassifier", "BinnedRateRule")
"""The churn classifiers of ``shopcase.churn`` (every subclass of ``ChurnClassifier``)."""


def check_churn_model(model: object, where: str) -> None:
    """``ValueError`` unless ``model`` is a churn classifier fitted on named columns (it can then be served)."""
    if not isinstance(model, ChurnClassifier):
        raise ValueError(
            f"{where}: holds a {type(model).__name__}, not a churn classifier ({', '.join(SERVED_CHURN_MODELS)})"
        )
    if getattr(model, "feature_names_in_", None) is None:
        raise ValueError(
            f"{where}: the churn model was fitted on an array, so its columns have no names to read requests by; "
            "fit it on a DataFrame (a ChurnDataset's features)"
        )


def churn_risk(model: ChurnClassifier, X: pd.DataFrame) -> pd.DataFrame:
    """``customer_id, churn_probability, risk_segment`` per row of X (indexed by ``customer_id``), in X's order."""
    if isinstance(model, ChurnModel):
        return model.predict_churn_risk(X)
    p_churn = model.predict_proba(X)[:, 1]
    return pd.DataFrame(
        {CUSTOMER_ID: X.index.to_numpy(), CHURN_PROBABILITY: p_churn, RISK_SEGMENT: risk_segments(p_churn)}
    )


def feature_rows(model: ChurnClassifier, rows: pd.DataFrame) -> pd.DataFrame:
    """X for ``model`` from rows holding ``customer_id`` and (at least) the columns the model reads.

    Each read column must hold numbers only (JSON ``null``, ``true`` or text are refused, naming the column);
    other columns of the rows are ignored, and columns the model was fitted with but does not read stay
    missing (it never reads them). ``customer_id`` values must be unique.
    """
    require_columns(rows, [CUSTOMER_ID], "customers")
    ids = as_id_index(rows[CUSTOMER_ID].tolist(), "customer_id")
    read = [str(c) for c in model.feature_columns_]
    missing = [c for c in read if c not in rows.columns]
    if missing:
        raise ValueError(f"customers lack feature column(s) {missing}")
    for column in read:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rows[column]):
            raise ValueError(f"feature column {column!r} must hold numbers only")
    X = pd.DataFrame(np.nan, index=pd.Index(ids, name=CUSTOMER_ID), columns=list(model.feature_names_in_))
    X[read] = rows[read].to_numpy(dtype=np.float64)
    return X


def churn_features(
    model: ChurnClassifier,
    events: pd.DataFrame,
    as_of: object,
    *,
    emails: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
    horizon_days: int | None = None,
) -> pd.DataFrame:
    """X for ``model`` as of a date: every customer with a purchase before ``as_of`` (the churn population).

    ``customer_features`` (with the ``emails`` and ``catalogue`` the model was trained with), joined with
    ``bgnbd_features`` when the model was fitted with BG/NBD columns; those need the label's horizon:
    ``BGNBDClassifier``'s own ``horizon_days``, else the ``horizon_days`` given. Columns in the order the
    model was fitted with; ``ValueError`` naming any it was fitted with that these functions do not make.
    """
    names = [str(c) for c in model.feature_names_in_]
    features = customer_features(events, as_of, emails=emails, catalogue=catalogue)
    features = features[features["total_orders"] > 0]
    if set(names) & {*BGNBD_SUMMARY_COLUMNS, *BGNBD_FEATURE_COLUMNS}:
        horizon = getattr(model, "horizon_days", horizon_days)
        if horizon is None:
            raise ValueError("horizon_days: the model reads BG/NBD features, which need the churn label's horizon")
        extra = bgnbd_features(events, as_of, check_int(horizon, "horizon_days"))
        features = features.join(extra, how="inner", validate="one_to_one")
    unknown = [c for c in names if c not in features.columns]
    if unknown:
        raise ValueError(f"the churn model was fitted with column(s) {unknown}, which customer features do not have")
    return features[names]

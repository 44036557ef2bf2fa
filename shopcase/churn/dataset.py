"""Features and labels as of one date, aligned row by row: what ``ChurnModel.fit`` and evaluations take."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from shopcase.churn.features import bgnbd_features, customer_features
from shopcase.churn.labels import churn_labels, label_window
from shopcase.schema import CHURNED, CUSTOMER_ID
from shopcase.validate import as_timestamp, check_int


@dataclass
class ChurnDataset:
    """``features`` (``customer_id`` + numeric columns) and ``labels`` (``customer_id, churned``), same rows.

    ``as_of`` separates them: features use events before it, labels the
    ``horizon_days`` from it on (see ``churn.labels``).
    """

    features: pd.DataFrame
    labels: pd.DataFrame
    as_of: pd.Timestamp
    horizon_days: int

    @property
    def label_end(self) -> pd.Timestamp:
        """The exclusive end of the label window: labels are known only from this date on."""
        return label_window(self.as_of, self.horizon_days)[1]

    @property
    def churn_rate(self) -> float:
        return float(self.labels[CHURNED].mean())


def build_churn_dataset(
    events: pd.DataFrame,
    as_of: object,
    horizon_days: int = 90,
    emails: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
    bgnbd: bool = False,
    log_end: object = None,
    bgnbd_period: str = "W",
) -> ChurnDataset:
    """Features as of ``as_of`` and churn labels for ``[as_of, as_of + horizon_days)``.

    The population is the customers with a purchase before ``as_of`` (whom
    ``churn_labels`` labels); users who only browsed have no label and are
    not in the result (by definition, not by cleaning). ``bgnbd=True`` adds
    ``BGNBD_FEATURE_COLUMNS`` from a BG/NBD fitted on the same pre-``as_of``
    purchases. Rows are sorted by ``customer_id`` in both frames.
    """
    as_of = as_timestamp(as_of)
    horizon_days = check_int(horizon_days, "horizon_days")
    labels = churn_labels(events, as_of, horizon_days, log_end=log_end)
    features = customer_features(events, as_of, emails=emails, catalogue=catalogue)
    features = features[features[CUSTOMER_ID].isin(labels[CUSTOMER_ID])]
    if bgnbd:
        extra = bgnbd_features(events, as_of, horizon_days, period=bgnbd_period)
        features = features.merge(extra, on=CUSTOMER_ID, how="left", validate="one_to_one")
    features = features.sort_values(CUSTOMER_ID, ignore_index=True)
    if len(features) != len(labels) or not features[CUSTOMER_ID].equals(labels[CUSTOMER_ID]):
        raise ValueError("features and labels do not cover the same customers; please report this as a bug")
    features.attrs["as_of"] = as_of
    return ChurnDataset(features=features, labels=labels, as_of=as_of, horizon_days=horizon_days)


def rolling_origins(
    test_as_of: object, horizon_days: int, n_windows: int = 4, step_days: int = 30
) -> list[pd.Timestamp]:
    """Training dates whose label windows end by ``test_as_of``, latest first.

    ``test_as_of - horizon_days - k * step_days`` for ``k = 0 .. n_windows - 1``:
    the latest one's labels end exactly on ``test_as_of``, so a model trained on
    them could be fitted on that date.
    """
    test_as_of = as_timestamp(test_as_of, "test_as_of")
    horizon_days = check_int(horizon_days, "horizon_days")
    n_windows = check_int(n_windows, "n_windows")
    step_days = check_int(step_days, "step_days")
    return [test_as_of - pd.Timedelta(days=horizon_days + k * step_days) for k in range(n_windows)]


def stack_datasets(datasets: Sequence[ChurnDataset]) -> ChurnDataset:
    """One training set from several as-of dates (rolling-origin training), for ``ChurnModel.fit``.

    A customer appears once per date, so ``customer_id`` becomes the string
    ``'<id>@<YYYY-MM-DD>'`` in both frames (ids never enter the model; they
    only join features to labels). All datasets must share ``horizon_days``;
    the result's ``as_of`` is the latest date, so its ``label_end`` is the
    latest label end (what ``evaluate_out_of_time`` checks against the test date).
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("datasets is empty: stack at least one ChurnDataset")
    horizons = {d.horizon_days for d in datasets}
    if len(horizons) != 1:
        raise ValueError(f"datasets mix horizon_days {sorted(horizons)}; a label must mean one thing")
    dates = [d.as_of for d in datasets]
    if len(set(dates)) != len(dates):
        raise ValueError(f"datasets repeat an as_of date: {[str(d.date()) for d in dates]}")
    features, labels = [], []
    for d in datasets:
        suffix = f"@{d.as_of.date()}"
        for frame, out in ((d.features, features), (d.labels, labels)):
            out.append(frame.assign(customer_id=(frame[CUSTOMER_ID].astype(str) + suffix).to_numpy()))
    return ChurnDataset(
        features=pd.concat(features, ignore_index=True),
        labels=pd.concat(labels, ignore_index=True),
        as_of=max(dates),
        horizon_days=horizons.pop(),
    )

"""Features and labels as of one date, aligned by ``customer_id``: the ``X`` and ``y`` of a churn classifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from shopcase.churn.bgnbd import BGNBD
from shopcase.churn.features import _bgnbd_features, _customer_features
from shopcase.churn.labels import _churn_labels, label_window
from shopcase.schema import CHURNED, CUSTOMER_ID, EVENTS_COLUMNS
from shopcase.validate import as_timestamp, check_int, validate_frame


@dataclass
class ChurnDataset:
    """``features`` (X: numeric columns indexed by ``customer_id``) and ``labels`` (y: bool ``churned``, same index).

    ``as_of`` separates them: features use events before it, labels the ``horizon_days`` from it on
    (see ``churn.labels``). ``model.fit(data.features, data.labels)`` and scikit-learn's tools
    (``cross_val_predict(model, data.features, data.labels)``) take them as they are.
    """

    features: pd.DataFrame
    labels: pd.Series
    as_of: pd.Timestamp
    horizon_days: int

    @property
    def label_end(self) -> pd.Timestamp:
        """The exclusive end of the label window: labels are known only from this date on."""
        return label_window(self.as_of, self.horizon_days)[1]

    @property
    def churn_rate(self) -> float:
        return float(self.labels.mean())


def build_churn_dataset(
    events: pd.DataFrame,
    as_of: object,
    horizon_days: int = 90,
    emails: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
    bgnbd: bool | BGNBD = False,
    log_end: object = None,
    bgnbd_period: str = "W",
) -> ChurnDataset:
    """Features as of ``as_of`` and churn labels for ``[as_of, as_of + horizon_days)``.

    The population is the customers with a purchase before ``as_of`` (whom ``churn_labels``
    labels); users who only browsed have no label and are not in the result (by definition, not by
    cleaning). ``bgnbd=True`` adds ``BGNBD_SUMMARY_COLUMNS`` and ``BGNBD_FEATURE_COLUMNS`` from a
    BG/NBD fitted on the same pre-``as_of`` purchases; pass a ``BGNBD`` (e.g. ``BGNBD(penalizer=0.01)``)
    to fit that one instead. Both frames are indexed and sorted by ``customer_id``. The event log is
    validated once, here.
    """
    as_of = as_timestamp(as_of)
    horizon_days = check_int(horizon_days, "horizon_days")
    start, end = label_window(as_of, horizon_days)
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    labels = _churn_labels(events, start, end, log_end).set_index(CUSTOMER_ID)[CHURNED]
    features = _customer_features(events, as_of, emails, catalogue)
    features = features[features.index.isin(labels.index)]
    if bgnbd is not False:
        model = bgnbd if isinstance(bgnbd, BGNBD) else None
        if bgnbd is not True and model is None:
            raise ValueError(f"bgnbd must be True, False or a BGNBD model, got {bgnbd!r}")
        extra = _bgnbd_features(events, as_of, horizon_days, bgnbd_period, model)
        features = features.join(extra, how="left", validate="one_to_one")
    features = features.sort_index()
    if not features.index.equals(labels.index):
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

    A customer appears once per date, so the index becomes the string ``'<id>@<YYYY-MM-DD>'`` in
    both ``features`` and ``labels`` (ids never enter the model; they only join X to y). All
    datasets must share ``horizon_days`` and columns; the result's ``as_of`` is the latest date, so
    its ``label_end`` is the latest label end (what ``evaluate_out_of_time`` checks against the test date).
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("datasets is empty: stack at least one ChurnDataset")
    horizons = {d.horizon_days for d in datasets}
    if len(horizons) != 1:
        raise ValueError(f"datasets mix horizon_days {sorted(horizons)}; a label must mean one thing")
    columns = {tuple(d.features.columns) for d in datasets}
    if len(columns) != 1:
        raise ValueError("datasets have different feature columns; build them with the same options")
    dates = [d.as_of for d in datasets]
    if len(set(dates)) != len(dates):
        raise ValueError(f"datasets repeat an as_of date: {[str(d.date()) for d in dates]}")

    def tagged(frame: pd.DataFrame | pd.Series, as_of: pd.Timestamp):
        ids = frame.index.astype(str) + f"@{as_of.date()}"
        return frame.set_axis(pd.Index(ids, name=CUSTOMER_ID), axis=0)

    return ChurnDataset(
        features=pd.concat([tagged(d.features, d.as_of) for d in datasets]),
        labels=pd.concat([tagged(d.labels, d.as_of) for d in datasets]),
        as_of=max(dates),
        horizon_days=horizons.pop(),
    )

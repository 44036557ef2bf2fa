"""What every forecaster shares: the history as a matrix, the horizon's checks, the forecast frame.

A forecaster follows scikit-learn: ``fit(history)`` returns self, parameters are stored unchanged and
validated at the start of ``fit``, learned state ends in ``_``. ``predict(horizon, future=None,
quantiles=())`` returns one row per series and day after the history's last day: ``series_id, date,
forecast`` (the predictive mean), ``variance`` and a ``q<level>`` column per quantile. A model implements
only ``_fit_matrix`` (learn from the series x days matrix) and ``_predict_matrix`` (means and variances,
series x horizon); ``future`` carries what is known in advance about the forecast days (prices, promotions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from shopcase.demand.distribution import check_quantiles, count_quantiles, quantile_column
from shopcase.demand.series import check_series
from shopcase.schema import DATE, DEMAND, FORECAST, SERIES_ID, VARIANCE
from shopcase.validate import check_int


def history_matrix(history: pd.DataFrame) -> tuple[pd.Index, pd.DatetimeIndex, np.ndarray]:
    """Series ids, the days and a (series x days) demand matrix, NaN before each series starts.

    Every series must end on the same day (the day before the forecast starts); ``ValueError`` otherwise.
    """
    history = check_series(history, "history")
    last = history.groupby(SERIES_ID, sort=False)[DATE].max()
    if last.nunique() > 1:
        raise ValueError(
            f"history: every series must end on the same day (the day before the forecast), got {last.nunique()} "
            f"different last days ({last.min().date()} to {last.max().date()})"
        )
    ids, codes = np.unique(history[SERIES_ID].to_numpy(), return_inverse=True)
    first_day = history[DATE].min()
    days = pd.date_range(first_day, last.iloc[0], freq="D")
    column = (history[DATE] - first_day).dt.days.to_numpy()
    values = np.full((len(ids), len(days)), np.nan)
    values[codes, column] = history[DEMAND].to_numpy(dtype=float)
    return pd.Index(ids, name=SERIES_ID), days, values


def series_lengths(values: np.ndarray) -> np.ndarray:
    """Observed days per series (rows of a history matrix)."""
    return (~np.isnan(values)).sum(axis=1)


def check_horizon(horizon: object, n_days: int) -> int:
    """``horizon`` as an int in [1, days of history]; ``ValueError`` naming it otherwise."""
    horizon = check_int(horizon, "horizon")
    if horizon > n_days:
        raise ValueError(f"horizon ({horizon} days) must not be longer than the history ({n_days} days)")
    return horizon


class Forecaster(BaseEstimator):
    """Base of the daily demand forecasters (see the module docstring for the contract)."""

    min_points: int = 1
    """Fewest days of history a series needs (a seasonal model: one season)."""

    def fit(self, history: pd.DataFrame) -> Forecaster:
        """Learn from ``history`` (a daily demand frame, ``check_series``); returns self."""
        self._validate_params()
        ids, days, values = history_matrix(history)
        short = series_lengths(values) < self._min_points()
        if short.any():
            raise ValueError(
                f"history: {int(short.sum()):,} series have fewer points than {type(self).__name__} needs "
                f"({self._min_points()} days, e.g. a season); e.g. {ids[short][:3].tolist()}"
            )
        self.series_ids_, self.days_ = ids, days
        self._fit_matrix(values, history)
        return self

    def predict(
        self, horizon: int, future: pd.DataFrame | None = None, quantiles: Sequence[float] = ()
    ) -> pd.DataFrame:
        """Forecast ``horizon`` days after the history; ``future`` as in the module docstring.

        Returns ``series_id, date, forecast, variance`` and ``q<level>`` per quantile, series by series.
        """
        if not hasattr(self, "series_ids_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(history) first")
        horizon = check_horizon(horizon, len(self.days_))
        levels = check_quantiles(quantiles)
        dates = pd.date_range(self.days_[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
        mean, variance = self._predict_matrix(horizon, dates, future)
        mean = np.maximum(mean, 0.0)
        variance = np.maximum(variance, 0.0)
        n = len(self.series_ids_)
        frame = pd.DataFrame(
            {
                SERIES_ID: np.repeat(self.series_ids_.to_numpy(), horizon),
                DATE: np.tile(dates.to_numpy(), n),
                FORECAST: mean.ravel(),
                VARIANCE: variance.ravel(),
            }
        )
        if levels:
            q = count_quantiles(mean, variance, levels).reshape(n * horizon, len(levels))
            for j, level in enumerate(levels):
                frame[quantile_column(level)] = q[:, j]
        return frame

    # --- what a model implements ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Check the constructor's parameters (called first in ``fit``)."""

    def _min_points(self) -> int:
        return self.min_points

    def _fit_matrix(self, values: np.ndarray, history: pd.DataFrame) -> None:
        raise NotImplementedError

    def _predict_matrix(
        self, horizon: int, dates: pd.DatetimeIndex, future: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def last_values(values: np.ndarray, n: int) -> np.ndarray:
    """The last ``n`` days of each row (series x n); NaN where a series is younger."""
    return values[:, -n:]


def residual_variance(values: np.ndarray, lag: int, window: int = 91) -> np.ndarray:
    """Mean squared ``lag``-day difference over each series' last ``window`` days (per series)."""
    recent = values[:, -(window + lag) :]
    diff = recent[:, lag:] - recent[:, :-lag]
    squared = diff**2
    count = (~np.isnan(squared)).sum(axis=1)
    total = np.nansum(squared, axis=1)
    return np.divide(total, count, out=np.zeros(len(values)), where=count > 0)

"""The baselines every forecast must beat: tomorrow is like today (naive), or like the same weekday last week.

Both are the textbook benchmarks (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 5.2):
their predictive variance is the mean squared in-sample error of the same rule times the number of steps
(naive) or of seasons (seasonal naive) ahead, over the last 91 days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.demand.base import Forecaster, residual_variance
from shopcase.validate import check_int


class Naive(Forecaster):
    """Every forecast day equals the last day of history."""

    def _fit_matrix(self, values: np.ndarray, history: pd.DataFrame) -> None:
        self.last_ = values[:, -1]
        self.sigma2_ = residual_variance(values, lag=1)

    def _predict_matrix(self, horizon, dates, future):
        steps = np.arange(1, horizon + 1)
        return np.repeat(self.last_[:, None], horizon, axis=1), self.sigma2_[:, None] * steps[None, :]


class SeasonalNaive(Forecaster):
    """Every forecast day equals the same day of the last season (``season`` days; 7: last week's weekday).

    Parameters
    ----------
    season : int, default 7
        Season length in days; every series needs at least one season of history.
    """

    def __init__(self, season: int = 7):
        self.season = season

    def _validate_params(self) -> None:
        check_int(self.season, "season")

    def _min_points(self) -> int:
        return self.season

    def _fit_matrix(self, values: np.ndarray, history: pd.DataFrame) -> None:
        self.last_season_ = values[:, -self.season :]
        self.sigma2_ = residual_variance(values, lag=self.season)

    def _predict_matrix(self, horizon, dates, future):
        step = np.arange(horizon)
        mean = self.last_season_[:, step % self.season]
        seasons_ahead = step // self.season + 1
        return mean, self.sigma2_[:, None] * seasons_ahead[None, :]

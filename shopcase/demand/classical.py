"""The classical models from statsforecast, as shopcase forecasters: AutoETS, Croston and TSB.

statsforecast (Nixtla) fits one model per series: exponential smoothing with the error, trend and season
chosen by AICc (``AutoETS``, Hyndman et al. 2002), and the intermittent-demand methods that forecast the size
of a sale and the interval between sales apart (``CrostonClassic``, ``CrostonOptimized``, ``CrostonSBA``,
``TSB``: Teunter, Syntetos & Babai 2011, whose probability of a sale decays when none come). Each series is
fitted from its first day; the variance comes from AutoETS's own 95% interval ((high - low) / 3.92, squared),
and for the intermittent methods, which give none, from the mean squared gap between the recent history (91
days) and the forecast.

statsforecast pins pandas below 3 in its metadata, but the model classes used here work on numpy arrays and
run under pandas 3 (the Makefile installs it without its dependencies; see the README).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from shopcase.demand.base import Forecaster
from shopcase.validate import check_choice, check_int, check_number

STATSFORECAST_MODELS: tuple[str, ...] = ("AutoETS", "CrostonClassic", "CrostonOptimized", "CrostonSBA", "TSB")
_Z95 = 1.959963984540054
_RESIDUAL_WINDOW = 91


def _statsforecast_model(name: str, season: int, alpha_d: float, alpha_p: float):
    try:
        # statsforecast imports tqdm.auto, which warns in a notebook without ipywidgets (naming the venv's path,
        # so a notebook's stored output would differ per machine); no progress bar is shown here anyway.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            from statsforecast import models
    except ImportError as exc:  # pragma: no cover - the Makefile installs it
        raise ImportError(
            "statsforecast is needed for the classical models: pip install --no-deps 'statsforecast>=2.1' "
            "'fugue>=0.9.7' (see the README)"
        ) from exc
    if name == "AutoETS":
        return models.AutoETS(season_length=season)
    if name == "TSB":
        return models.TSB(alpha_d=alpha_d, alpha_p=alpha_p)
    return getattr(models, name)()


class StatsForecastModel(Forecaster):
    """One of statsforecast's per-series models (``STATSFORECAST_MODELS``) behind the shopcase contract.

    Parameters
    ----------
    model : str, default "AutoETS"
        Which model; ``AutoETS`` uses ``season`` (weekly: 7), the intermittent ones ignore it.
    season : int, default 7
        Season length in days (AutoETS); every series needs at least one season of history.
    alpha_d, alpha_p : float, default 0.1
        TSB's smoothing of the demand size and of the probability of a sale, in (0, 1].
    """

    def __init__(self, model: str = "AutoETS", season: int = 7, alpha_d: float = 0.1, alpha_p: float = 0.1):
        self.model = model
        self.season = season
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _validate_params(self) -> None:
        check_choice(self.model, "model", STATSFORECAST_MODELS)
        check_int(self.season, "season")
        check_number(self.alpha_d, "alpha_d", low=0.0, high=1.0, low_inclusive=False)
        check_number(self.alpha_p, "alpha_p", low=0.0, high=1.0, low_inclusive=False)

    def _min_points(self) -> int:
        return self.season

    def _fit_matrix(self, values: np.ndarray, history: pd.DataFrame) -> None:
        # statsforecast models fit when asked to forecast (``forecast`` is fit + predict in one call).
        self.values_ = values

    def _predict_matrix(self, horizon, dates, future):
        model = _statsforecast_model(self.model, self.season, self.alpha_d, self.alpha_p)
        n = len(self.values_)
        mean, variance = np.zeros((n, horizon)), np.zeros((n, horizon))
        with_interval = self.model == "AutoETS"
        for i, row in enumerate(self.values_):  # one model per series: statsforecast's own design
            y = row[~np.isnan(row)]
            if with_interval:
                out = model.forecast(y=y, h=horizon, level=[95])
                mean[i] = out["mean"]
                variance[i] = ((out["hi-95"] - out["lo-95"]) / (2 * _Z95)) ** 2
            else:
                mean[i] = model.forecast(y=y, h=horizon)["mean"]
                recent = y[-_RESIDUAL_WINDOW:]
                variance[i] = np.mean((recent - mean[i, 0]) ** 2)
        return np.nan_to_num(mean), np.nan_to_num(variance)

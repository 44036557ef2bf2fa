"""statsforecast's models behind the shopcase contract, and the global LightGBM model: what each learns."""

import numpy as np
import pandas as pd
import pytest
from statsforecast import StatsForecast
from statsforecast.models import TSB, AutoETS

from shopcase.demand import GlobalForecaster, SeasonalNaive, StatsForecastModel, backtest
from shopcase.demand.global_model import _nb_dispersion
from tests.demand.demand_data import synthetic_series

SMALL_GLOBAL = dict(n_estimators=60, num_leaves=15, min_child_samples=20, horizon=14, train_days=140)


def test_the_wrapper_gives_statsforecasts_own_forecasts():
    series = synthetic_series(n_series=3, n_days=120, level=(1, 10))
    ours = StatsForecastModel("AutoETS").fit(series).predict(10)
    tsb = StatsForecastModel("TSB", alpha_d=0.2, alpha_p=0.3).fit(series).predict(10)
    frame = series.rename(columns={"series_id": "unique_id", "date": "ds", "demand": "y"})
    theirs = StatsForecast(models=[AutoETS(season_length=7)], freq="D").forecast(df=frame, h=10, level=[95])
    theirs["TSB"] = StatsForecast(models=[TSB(alpha_d=0.2, alpha_p=0.3)], freq="D").forecast(df=frame, h=10)["TSB"]
    np.testing.assert_allclose(ours["forecast"], theirs["AutoETS"], rtol=1e-8)
    np.testing.assert_allclose(tsb["forecast"], theirs["TSB"], rtol=1e-8)
    width = (theirs["AutoETS-hi-95"] - theirs["AutoETS-lo-95"]).to_numpy()
    np.testing.assert_allclose(np.sqrt(ours["variance"]) * 2 * 1.959964, width, rtol=1e-6)


def test_nb_dispersion_is_recovered_by_maximum_likelihood():
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.5, 5, 20_000)
    k = 2.0
    y = rng.negative_binomial(k, k / (k + mu))
    assert _nb_dispersion(y, mu) == pytest.approx(k, rel=0.1)


def _promoted_series(seed=0, n_series=40, n_days=260):
    """Weekly Poisson demand that doubles on promotion days (price cut by 30%), promotions known in advance."""
    rng = np.random.default_rng(seed)
    series = synthetic_series(n_series=n_series, n_days=n_days, seed=seed, level=(0.5, 6))
    promo = rng.random(len(series)) < 0.1
    series["promotion"] = promo.astype(float)
    series["price"] = np.where(promo, 7.0, 10.0)
    series["demand"] = np.where(promo, series["demand"] + rng.poisson(series["demand"] + 0.5), series["demand"])
    return series


def test_the_global_model_learns_promotions_and_beats_seasonal_naive():
    series = _promoted_series()
    result = backtest(
        series, {"seasonal naive": SeasonalNaive(), "global": GlobalForecaster(**SMALL_GLOBAL)}, horizon=14, n_origins=2
    )
    better = result.compare("global", "seasonal naive")
    assert better.gain > 0.15 and better.significant, better
    forecast = result.forecasts[result.forecasts["model"] == "global"].merge(result.actuals)
    lift = forecast.groupby("promotion")["forecast"].mean()
    assert lift[1.0] > 1.5 * lift[0.0]  # the truth: 2x plus a little
    again = backtest(series, {"global": GlobalForecaster(**SMALL_GLOBAL)}, horizon=14, n_origins=2)
    pd.testing.assert_frame_equal(
        result.forecasts[result.forecasts["model"] == "global"].reset_index(drop=True),
        again.forecasts.reset_index(drop=True),
    )


def test_global_quantiles_cover_about_as_often_as_they_say():
    series = _promoted_series(seed=1, n_series=60)
    result = backtest(
        series, {"global": GlobalForecaster(**SMALL_GLOBAL)}, horizon=14, n_origins=2, quantiles=(0.5, 0.9)
    )
    joined = result.forecasts.merge(result.actuals)
    # Count data: P(y <= q_0.9) >= 0.9 by construction of a discrete quantile; stated band for 1,680 days.
    assert 0.86 <= (joined["demand"] <= joined["q0.9"]).mean() <= 0.97
    assert 0.5 <= (joined["demand"] <= joined["q0.5"]).mean() <= 0.72


@pytest.mark.parametrize(
    ("model", "call", "message"),
    [
        (GlobalForecaster(objective="huber"), "fit", "objective must be one of"),
        (GlobalForecaster(point="mode"), "fit", "point must be one of"),
        (GlobalForecaster(horizon=100), "fit", "at least 2 x horizon"),
        (GlobalForecaster(**SMALL_GLOBAL), "predict", "must not exceed the horizon"),
        (StatsForecastModel("ARIMA"), "fit", "model must be one of"),
        (StatsForecastModel(alpha_d=0), "fit", "alpha_d must be"),
    ],
)
def test_bad_parameters_raise(model, call, message):
    series = synthetic_series(n_series=3, n_days=150)
    with pytest.raises(ValueError, match=message):
        fitted = model.fit(series)
        fitted.predict(20)

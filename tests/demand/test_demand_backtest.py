"""Baselines, the rolling-origin backtest (no peeking), comparisons with intervals, and bad input."""

import numpy as np
import pandas as pd
import pytest

from shopcase.demand import Naive, SeasonalNaive, backtest, rolling_origins
from shopcase.demand.base import Forecaster
from tests.demand.demand_data import synthetic_series


class Spy(Forecaster):
    """Forecasts the history's mean and records what it was shown."""

    seen: list = []

    def _fit_matrix(self, values, history):
        Spy.seen.append(("fit", history["date"].max()))
        self.mean_ = np.nanmean(values, axis=1)

    def _predict_matrix(self, horizon, dates, future):
        Spy.seen.append(("future", future is not None and "demand" in future.columns, dates[0], future["date"].min()))
        return np.repeat(self.mean_[:, None], horizon, axis=1), np.ones((len(self.mean_), horizon))


def test_seasonal_naive_repeats_last_week_and_grows_its_variance_by_season():
    series = synthetic_series(n_series=2, n_days=100)
    model = SeasonalNaive(7).fit(series)
    forecast = model.predict(15, quantiles=(0.5,))
    last_week = series.groupby("series_id")["demand"].apply(lambda s: s.to_numpy()[-7:])
    got = forecast[forecast["series_id"] == 1]["forecast"].to_numpy()
    np.testing.assert_array_equal(got, np.tile(last_week[1], 3)[:15])
    y = series[series["series_id"] == 1]["demand"].to_numpy()
    sigma2 = np.mean((y[-91:] - y[-98:-7]) ** 2)
    variance = forecast[forecast["series_id"] == 1]["variance"].to_numpy()
    np.testing.assert_allclose(variance, sigma2 * np.repeat([1, 2, 3], 7)[:15])
    assert forecast["date"].min() == series["date"].max() + pd.Timedelta(days=1)
    naive = Naive().fit(series).predict(3)
    np.testing.assert_array_equal(
        naive.groupby("series_id")["forecast"].first().to_numpy(), series.groupby("series_id")["demand"].last()
    )


def test_backtest_never_shows_a_model_the_days_it_forecasts():
    series = synthetic_series(n_series=4, n_days=120)
    Spy.seen = []
    result = backtest(series, {"spy": Spy()}, horizon=14, n_origins=3)
    origins = rolling_origins(series, horizon=14, n_origins=3)
    assert list(result.origins) == origins
    assert origins[-1] == series["date"].max() - pd.Timedelta(days=13)
    assert np.diff(origins).astype("timedelta64[D]").astype(int).tolist() == [14, 14]
    fits = [s[1] for s in Spy.seen if s[0] == "fit"]
    assert fits == [o - pd.Timedelta(days=1) for o in origins]
    futures = [s for s in Spy.seen if s[0] == "future"]
    assert all(
        not has_demand and first == o == f for (_, has_demand, first, f), o in zip(futures, origins, strict=True)
    )
    assert len(result.forecasts) == 3 * 4 * 14
    assert set(result.metrics()["model"]) == {"spy"}


def test_young_series_are_skipped_and_listed():
    series = synthetic_series(n_series=3, n_days=80)
    young = series["series_id"].eq(3) & (series["date"] < pd.Timestamp("2023-03-01"))
    newborn = series["series_id"].eq(2) & (series["date"] < pd.Timestamp("2023-03-12"))
    result = backtest(series[~young & ~newborn], {"sn": SeasonalNaive()}, horizon=7, n_origins=2, min_history=14)
    # Origins 8 and 15 March: series 3 has 7 then 14 days; series 2 none then 3 days (it starts in the window).
    skipped = result.skipped.set_index(["origin", "series_id"])["days"].to_dict()
    assert skipped == {
        (pd.Timestamp("2023-03-08"), 2): 0,
        (pd.Timestamp("2023-03-08"), 3): 7,
        (pd.Timestamp("2023-03-15"), 2): 3,
    }
    assert result.per_series.groupby("origin")["series_id"].apply(set).tolist() == [{1}, {1, 3}]


def test_seasonal_naive_beats_naive_on_weekly_series_and_the_interval_says_so():
    series = synthetic_series(n_series=40, n_days=200, weekly=0.9, level=(5, 30))
    result = backtest(series, {"naive": Naive(), "seasonal naive": SeasonalNaive()}, horizon=28, n_origins=3)
    better = result.compare("seasonal naive", "naive")
    assert better.gain > 0.1 and better.significant and len(better.per_origin) == 3
    same = result.compare("naive", "naive")
    assert same.gain == 0 and same.low == 0 and same.high == 0 and not same.significant
    summary = result.summary("mase").set_index("model")
    assert (summary["origin_low"] <= summary["origin_mean"]).all()
    assert (summary["origin_mean"] <= summary["origin_high"]).all()
    assert "seasonal naive vs naive: MASE" in str(better)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: SeasonalNaive().fit(s).predict(0), "horizon must be a positive integer"),
        (lambda s: SeasonalNaive().fit(s).predict(31), "longer than the history"),
        (lambda s: SeasonalNaive(season=40).fit(s), "fewer points than"),
        (lambda s: SeasonalNaive(season=0).fit(s), "season must be a positive integer"),
        (lambda s: SeasonalNaive().predict(3), "not fitted"),
        (lambda s: backtest(s, {"n": Naive()}, horizon=0), "horizon must be a positive integer"),
        (lambda s: backtest(s, {"n": Naive()}, origins=["2023-01-25"], horizon=14), "runs past the data"),
        (lambda s: backtest(s, {"n": Naive()}, horizon=20, n_origins=2), "no history"),
        (lambda s: backtest(s, {}, horizon=3), "models is empty"),
        (lambda s: SeasonalNaive().fit(s.drop(index=3)), "gaps in dates"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call(synthetic_series(n_series=2, n_days=30))

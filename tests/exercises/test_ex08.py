"""The checkers of notebook 08 accept the worked answers and name the plausible mistakes."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopcase.data import generate_shop
from shopcase.demand import PriceExperiment, daily_demand
from shopcase.exercises import ex08


@pytest.fixture(scope="module")
def shop():
    return generate_shop(n_users=2000, n_items=80, seed=6, price_elasticity=4.0)


@pytest.fixture(scope="module")
def series(shop):
    return daily_demand(shop.events, catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts)


def test_untouched_answers_are_not_attempted(series, shop):
    for feedback in (
        ex08.check_stockout_share(None, series),
        ex08.check_reorder_point(None, 2.4, 3, 0.95),
    ):
        assert feedback.status == "not attempted" and "not attempted" in str(feedback)


def test_stockout_share(series):
    right = float((series["in_stock"] == 0).mean())
    assert ex08.check_stockout_share(right, series).passed
    assert "percentage" in ex08.check_stockout_share(right * 100, series).message
    assert "no sale" in ex08.check_stockout_share(float((series["demand"] == 0).mean()), series).message
    assert not ex08.check_stockout_share("a lot", series).passed


def test_mase_by_hand(series):
    item = series.groupby("series_id")["demand"].sum().idxmax()
    one = series[series["series_id"] == item].sort_values("date")
    cut = one["date"].max() - pd.Timedelta(days=27)
    history, actual = one[one["date"] < cut], one[one["date"] >= cut]
    forecast = actual[["series_id", "date"]].assign(forecast=1.0)
    y = history["demand"].to_numpy()
    y = y[np.argmax(y > 0) :]
    mae = np.mean(np.abs(actual["demand"].to_numpy() - 1.0))
    right = mae / np.mean(np.abs(y[7:] - y[:-7]))
    assert ex08.check_mase(right, history, actual, forecast).passed
    assert "mean absolute error" in ex08.check_mase(mae, history, actual, forecast).message
    wrong_lag = mae / np.mean(np.abs(y[1:] - y[:-1]))
    assert "7-day lag" in ex08.check_mase(wrong_lag, history, actual, forecast).message


def test_reorder_point():
    right = stats.poisson.ppf(0.95, 2.4 * 4)
    assert ex08.check_reorder_point(right, 2.4, 3, 0.95).passed
    assert "review day" in ex08.check_reorder_point(stats.poisson.ppf(0.95, 2.4 * 3), 2.4, 3, 0.95).message
    assert "mean demand" in ex08.check_reorder_point(9.6, 2.4, 3, 0.95).message


def test_slowest_group(shop):
    result = PriceExperiment(seed=1).run(shop.truth, shop.catalogue, days=60)
    regret = result.daily.groupby("group")["regret"].sum().sort_values(ascending=False)
    assert ex08.check_slowest_group(regret.index[0], result).passed
    assert not ex08.check_slowest_group(regret.index[-1], result).passed
    assert "one of the groups" in ex08.check_slowest_group("shoes", result).message

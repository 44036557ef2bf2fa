"""daily_demand: zeros filled, stock-outs and promotions marked, categories summed; check_series refuses bad frames."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop
from shopcase.demand import check_series, daily_demand, popularity_bands, true_demand
from tests.demand.demand_data import events_frame, purchase, synthetic_series


@pytest.fixture(scope="module")
def log():
    rows = [
        purchase("A", "2023-01-01 10:00", 2),
        purchase("A", "2023-01-01 18:00", 1, order=2),
        purchase("B", "2023-01-03 09:00", 4, order=3),
        purchase("A", "2023-01-05 23:59", 1, order=4),
    ]
    return events_frame(rows)


def test_zeros_are_filled_and_units_summed_per_day(log):
    series = daily_demand(log)
    check_series(series)
    a = series[series["series_id"] == "A"].set_index("date")["demand"]
    assert a.index.tolist() == list(pd.date_range("2023-01-01", "2023-01-05"))
    assert a.tolist() == [3.0, 0.0, 0.0, 0.0, 1.0]
    assert series.groupby("series_id")["demand"].sum().to_dict() == {"A": 4.0, "B": 4.0}
    assert (series["in_stock"] == 1).all()
    wider = daily_demand(log, start="2022-12-30", end="2023-01-07")
    assert wider.groupby("series_id").size().tolist() == [9, 9]


def test_catalogue_stockouts_prices_and_categories(log):
    catalogue = pd.DataFrame(
        {
            "item_id": ["A", "B", "C"],
            "category": ["toys", "toys", "books"],
            "launch_date": pd.to_datetime(["2022-01-01", "2023-01-02", "2022-01-01"]),
        }
    )
    stockouts = pd.DataFrame(
        {"item_id": ["A"], "start": [pd.Timestamp("2023-01-02")], "end": [pd.Timestamp("2023-01-04")]}
    )
    prices = pd.DataFrame(
        {
            "item_id": ["A", "A", "B", "C"],
            "valid_from": pd.to_datetime(["2022-01-01", "2023-01-03", "2022-01-01", "2022-01-01"]),
            "valid_to": pd.to_datetime(["2023-01-03", "2023-02-01", "2023-02-01", "2023-02-01"]),
            "price": [10.0, 8.0, 5.0, 3.0],
            "promotion": [False, True, False, False],
        }
    )
    items = daily_demand(log, catalogue=catalogue, stockouts=stockouts, prices=prices)
    a = items[items["series_id"] == "A"].set_index("date")
    assert a["in_stock"].tolist() == [1, 0, 0, 1, 1]  # the end of a spell is exclusive
    assert a["price"].tolist() == [10, 10, 8, 8, 8] and a["promotion"].tolist() == [0, 0, 1, 1, 1]
    assert (a["category"] == "toys").all()
    # B launched on 2 January: its series starts there; C never sold but has a series of zeros.
    assert items[items["series_id"] == "B"]["date"].min() == pd.Timestamp("2023-01-02")
    assert items[items["series_id"] == "C"]["demand"].sum() == 0 and (items["series_id"] == "C").sum() == 5
    cats = daily_demand(log, level="category", catalogue=catalogue, stockouts=stockouts, prices=prices)
    toys = cats[cats["series_id"] == "toys"].set_index("date")
    np.testing.assert_allclose(toys["demand"], [3, 0, 4, 0, 1])
    np.testing.assert_allclose(toys["in_stock"], [1, 0.5, 0.5, 1, 1])  # A out, B in (B live from the 2nd)
    np.testing.assert_allclose(toys["promotion"], [0, 0, 0.5, 0.5, 0.5])


def test_generated_shop_series_add_up_and_censor_stockouts():
    shop = generate_shop(n_users=600, n_items=200, seed=3)
    series = daily_demand(shop.events, catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts)
    check_series(series)
    purchases = shop.events[shop.events["event_type"] == "purchase"]
    assert series["demand"].sum() == purchases["quantity"].sum()
    assert series.loc[series["in_stock"] == 0, "demand"].sum() == 0  # nothing sells out of stock
    assert (series["in_stock"] == 0).any() and (series["promotion"] == 1).any()
    cats = daily_demand(
        shop.events, level="category", catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts
    )
    assert cats["demand"].sum() == series["demand"].sum()


def test_popularity_bands_have_the_stated_sizes():
    series = synthetic_series(n_series=20)
    bands = popularity_bands(series)
    assert bands.value_counts().to_dict() == {"top 10%": 2, "10%-50%": 8, "bottom 50%": 10}
    assert set(bands[bands == "top 10%"].index) == {19, 20}  # the highest levels sell most
    with pytest.raises(ValueError, match="edges"):
        popularity_bands(series, edges=(0.5, 0.1))


def _frame():
    return synthetic_series(n_series=3, n_days=20)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(index=5), "gaps in dates"),
        (lambda f: f.assign(demand=f["demand"].where(f.index != 3, -1.0)), "negative"),
        (lambda f: f.assign(demand=f["demand"].where(f.index != 3, np.nan)), "missing"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "duplicate"),
        (lambda f: f.assign(price=np.where(f.index == 2, 0.0, 5.0)), "prices at or below 0"),
        (lambda f: f.assign(in_stock=1.5), "in_stock"),
        (lambda f: f.assign(date=f["date"] + pd.Timedelta(hours=1)), "midnight"),
        (lambda f: f.drop(columns=["demand"]), "missing column"),
    ],
)
def test_check_series_refuses_bad_frames(change, message):
    with pytest.raises(ValueError, match=message):
        check_series(change(_frame()), "series")


def test_daily_demand_refuses_bad_arguments(log):
    with pytest.raises(ValueError, match="level must be one of"):
        daily_demand(log, level="brand")
    with pytest.raises(ValueError, match="needs a catalogue"):
        daily_demand(log, level="category")
    with pytest.raises(ValueError, match="end .* must not be before start"):
        daily_demand(log, start="2023-02-01", end="2023-01-01")
    bad = log.assign(quantity=log["quantity"].where(log.index != 0, -2))
    with pytest.raises(ValueError, match="quantity.*negative"):
        daily_demand(bad)
    with pytest.raises(ValueError, match="not in the catalogue"):
        daily_demand(log, catalogue=pd.DataFrame({"item_id": ["A"]}))


def test_true_demand_adds_the_sales_stockouts_censored_and_nothing_else():
    shop = generate_shop(n_users=1500, n_items=200, seed=4, stockouts_per_year=6.0)
    truth = true_demand(shop)
    lost = truth["demand"] - truth["sales"]
    assert (lost >= 0).all() and lost.sum() > 0
    assert lost[truth["in_stock"] == 1].sum() == 0  # only out-of-stock days lose sales
    assert lost.sum() == shop.truth.item_lost_units.sum()
    # The censored days' true demand is like an in-stock day's of the same item (same process, same rate).
    out = truth[truth["in_stock"] == 0]["demand"].mean()
    inside = truth[(truth["in_stock"] == 1) & truth["series_id"].isin(truth.loc[truth["in_stock"] == 0, "series_id"])]
    assert 0.7 < out / inside["demand"].mean() < 1.4

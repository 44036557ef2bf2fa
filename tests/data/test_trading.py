"""The trading calendar: weekday and season, prices and promotions, stock-outs, and what they do to demand."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import compare_trading_profile, generate_shop, load_online_retail, trading_profile
from shopcase.data.trading import activity_profile, price_schedule, stock_schedule

SMALL = dict(n_users=800, n_items=300, seed=5)


@pytest.fixture(scope="module")
def shop():
    return generate_shop(**SMALL)


def test_activity_averages_one_over_a_year_and_can_be_flat():
    start = pd.Timestamp("2023-01-01")
    shaped = activity_profile(start, 365, (1, 2, 3, 4, 5, 6, 7), 0.8, 338, 55, 9)
    assert shaped.mean() == pytest.approx(1.0, abs=0.01)
    assert shaped[0] / shaped[1] == pytest.approx(7 / 1, rel=0.01)  # Sunday 1 Jan (weight 7) vs Monday 2 Jan (1)
    season = activity_profile(start, 365, (1,) * 7, 0.8, 338, 55, 9)
    assert (
        season[pd.Timestamp("2023-12-04").day_of_year - 1]
        > 1.5
        > 1
        > season[pd.Timestamp("2023-02-01").day_of_year - 1]
    )
    flat = activity_profile(start, 400, (1,) * 7, 0.0, 338, 55, 9)
    np.testing.assert_allclose(flat, 1.0)


def test_prices_promotions_and_stock_follow_their_schedules():
    rng = np.random.default_rng(0)
    list_price = np.array([10.0, 20.0, 30.0, 40.0])
    price, promotion = price_schedule(rng, list_price, np.array([0, 0, 1, 1]), 365, 0.0, 4.0, 0.2, 10.0)
    assert promotion.any() and (price[promotion] < np.repeat(list_price[:, None], 365, axis=1)[promotion]).all()
    assert (price[~promotion] == np.repeat(list_price[:, None], 365, axis=1)[~promotion]).all()  # no steps at rate 0
    assert (promotion[0] == promotion[1]).all()  # a promotion covers the whole category
    in_stock = stock_schedule(np.random.default_rng(1), 200, 365, 2.0, 5.0)
    out_per_item_year = (~in_stock).sum() / 200
    assert 5.0 < out_per_item_year < 15.0  # about 2 spells x 5 days


def test_events_record_the_price_of_the_day_and_nothing_is_bought_out_of_stock(shop):
    events = shop.events
    purchases = events[events["event_type"] == "purchase"]
    spells = shop.prices.merge(purchases[["item_id", "timestamp", "unit_price"]], on="item_id")
    current = spells[(spells["timestamp"] >= spells["valid_from"]) & (spells["timestamp"] < spells["valid_to"])]
    assert len(current) == len(purchases)
    np.testing.assert_allclose(current["unit_price"], current["price"])
    carts = events[events["event_type"].isin(["cart", "purchase"])].merge(shop.stockouts, on="item_id")
    inside = (carts["timestamp"] >= carts["start"]) & (carts["timestamp"] < carts["end"])
    assert not inside.any()
    assert len(shop.stockouts) > 0


def test_promotions_lift_the_purchases_of_an_item():
    """The same items sell more per view while on promotion (the price term of the cart decision)."""
    shop = generate_shop(n_users=3000, n_items=300, seed=11, promotions_per_year=6.0, promotion_discount=0.3)
    events = shop.events
    day = events["timestamp"].dt.normalize()
    promoted = shop.prices[shop.prices["promotion"]]
    rows = events[["item_id"]].assign(day=day, kind=events["event_type"].astype(str)).reset_index()
    joined = rows.merge(promoted, on="item_id")
    on_promo = joined.loc[(joined["day"] >= joined["valid_from"]) & (joined["day"] < joined["valid_to"]), "index"]
    flag = events.index.isin(on_promo)
    kind = events["event_type"].astype(str)
    rate = {p: (kind[flag == p] == "purchase").sum() / (kind[flag == p] == "view").sum() for p in (True, False)}
    assert rate[True] > 1.15 * rate[False]


def test_weekdays_and_season_are_within_tolerance_of_online_retail():
    reference = trading_profile(load_online_retail().events)
    table = compare_trading_profile(trading_profile(generate_shop().events), reference)
    judged = table["within"].dropna()
    assert len(judged) == 8 and judged.all(), table
    assert table.loc["share_Sat", "within"] is None  # Online Retail is closed on Saturdays


def test_bad_calendar_parameters_raise():
    with pytest.raises(ValueError, match="weekday_profile needs 7 weights"):
        generate_shop(**SMALL, weekday_profile=(1, 1))
    with pytest.raises(ValueError, match="all zero"):
        generate_shop(**SMALL, weekday_profile=(0,) * 7)
    with pytest.raises(ValueError, match="promotion_discount must be"):
        generate_shop(**SMALL, promotion_discount=1.5)
    with pytest.raises(ValueError, match="stockout_days must be"):
        generate_shop(**SMALL, stockout_days=0)

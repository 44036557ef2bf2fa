import numpy as np
import pandas as pd
import pytest
from handmade import event, handmade_events

from shopcase.data import average_order_value, describe_shop, order_totals
from shopcase.data.describe import STATISTICS


def purchases_log():
    rows = [
        event(1, 1, "2023-01-01", "purchase", "a", order=1),
        event(1, 1, "2023-01-01", "purchase", "b", order=1),
        event(1, 2, "2023-01-11", "purchase", "a", order=2),
        event(2, 3, "2023-01-06", "purchase", "a", order=3),
        event(3, 4, "2023-01-04", "purchase", "c", order=4),
    ]
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    return frame


def test_statistics_on_a_log_computed_by_hand():
    stats = describe_shop(purchases_log())
    assert list(stats.index) == list(STATISTICS)
    expected = {
        "customers": 3,
        "items_sold": 3,
        "orders": 4,
        "top1pct_item_share": 3 / 5,
        "top10pct_item_share": 3 / 5,  # the top item, a, has 3 of 5 lines
        "repeat_item_share": 1 / 5,  # user 1 buys a again in order 2
        "mean_basket_size": 5 / 4,
        "median_basket_size": 1,
        "median_days_between_orders": 10,
        "one_time_customer_share": 2 / 3,
        "orders_per_customer": 4 / 3,
    }
    for name, value in expected.items():
        assert stats[name] == pytest.approx(value), name


def test_zipf_exponent_recovers_a_power_law():
    counts = (1000 * np.arange(1, 201) ** -0.8).astype(int)
    rows = [
        event(u, u, "2023-01-01", "purchase", f"i{rank}", order=u)
        for u, rank in enumerate([r for r, c in enumerate(counts, start=1) for _ in range(c)])
    ]
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    assert describe_shop(frame)["zipf_exponent"] == pytest.approx(0.8, abs=0.03)


def test_logs_without_purchases_or_orders_raise():
    views = handmade_events()
    views = views[views["event_type"] == "view"]
    with pytest.raises(ValueError, match="no purchase lines"):
        describe_shop(views)
    broken = purchases_log()
    broken["order_id"] = pd.array([1, None, 2, 3, 4], dtype="Int64")
    with pytest.raises(ValueError, match="1 purchase lines have no order_id"):
        describe_shop(broken)


def test_order_value_sums_each_orders_lines_and_weighs_orders_equally():
    rows = [
        event(1, 1, "2023-01-01", "view", "a", price=99.0),
        event(1, 1, "2023-01-01", "cart", "a", price=99.0),
        event(1, 1, "2023-01-01", "purchase", "a", quantity=2, price=10.0, order=1),
        event(1, 1, "2023-01-01", "purchase", "b", quantity=1, price=5.0, order=1),
        event(2, 2, "2023-01-02", "purchase", "a", quantity=1, price=10.0, order=2),
    ]
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    totals = order_totals(frame)
    assert totals.to_dict() == {(1, 1): 25.0, (2, 2): 10.0}
    # per order, not per line: the lines' mean would be (20 + 5 + 10) / 3
    assert average_order_value(frame) == pytest.approx(17.5)
    with pytest.raises(ValueError, match="no purchase lines"):
        average_order_value(frame[frame["event_type"] != "purchase"])

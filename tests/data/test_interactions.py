import pandas as pd
import pytest
from handmade import handmade_events

from shopcase.data import age_in_days, interactions_from_events, purchase_interactions


def test_default_weights_sum_over_events():
    out = interactions_from_events(handmade_events()).set_index(["user_id", "item_id"])["rating"]
    # user 1 item A: view, cart, purchase twice each -> 2 x (1 + 3 + 5)
    assert out[(1, "A")] == 18
    assert out[(1, "B")] == 4 and out[(1, "C")] == 8 and out[(2, "C")] == 1 and out[(3, "B")] == 6
    assert out.index.is_unique and len(out) == 5


def test_max_keeps_the_strongest_event_and_zero_weights_drop_a_type():
    out = interactions_from_events(handmade_events(), aggregate="max").set_index(["user_id", "item_id"])["rating"]
    assert out[(1, "A")] == 5 and out[(1, "B")] == 3
    purchases_only = interactions_from_events(handmade_events(), weights={"view": 0, "cart": 0, "purchase": 1})
    assert len(purchases_only) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weights": {"view": 1, "cart": 3}}, r"\['purchase'\] have no weight"),
        ({"weights": {"view": -1, "cart": 3, "purchase": 5}}, r"weights\['view'\] must be a finite number >= 0"),
        ({"weights": {"view": 0, "cart": 0, "purchase": 0}}, "no events with a positive weight"),
        ({"aggregate": "mean"}, r"aggregate must be one of \('sum', 'max'\)"),
        ({"with_timestamp": 1}, "with_timestamp must be True or False"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        interactions_from_events(handmade_events(), **kwargs)


def test_nan_ids_raise():
    events = handmade_events()
    events.loc[0, "item_id"] = None
    with pytest.raises(ValueError, match="'item_id' has 1 of 13 rows missing"):
        interactions_from_events(events)


def test_with_timestamp_keeps_each_pairs_last_counted_event():
    out = interactions_from_events(handmade_events(), with_timestamp=True).set_index(["user_id", "item_id"])
    assert out.loc[(1, "A"), "timestamp"] == pd.Timestamp("2023-03-10 12:02")
    assert out.loc[(1, "B"), "timestamp"] == pd.Timestamp("2023-02-20 09:01")
    views_dropped = interactions_from_events(
        handmade_events(), weights={"view": 0, "cart": 1, "purchase": 1}, with_timestamp=True
    ).set_index(["user_id", "item_id"])
    assert views_dropped.loc[(3, "B"), "timestamp"] == pd.Timestamp("2023-04-10 08:05")
    assert list(out.columns) == ["rating", "timestamp"]


def test_purchase_interactions_count_distinct_orders_and_the_last_purchase():
    out = purchase_interactions(handmade_events()).set_index(["user_id", "item_id"])
    assert out["rating"].to_dict() == {(1, "A"): 2.0, (1, "C"): 1.0, (3, "B"): 1.0}
    assert out.loc[(1, "A"), "timestamp"] == pd.Timestamp("2023-03-10 12:02")
    logged = purchase_interactions(handmade_events(), strength="log1p").set_index(["user_id", "item_id"])
    assert logged.loc[(1, "A"), "rating"] == pytest.approx(1.0986122886681098)
    assert set(purchase_interactions(handmade_events(), strength="binary")["rating"]) == {1.0}
    with pytest.raises(ValueError, match="strength must be one of"):
        purchase_interactions(handmade_events(), strength="sum")
    views = handmade_events()
    with pytest.raises(ValueError, match="no purchase lines"):
        purchase_interactions(views[views["event_type"] == "view"])


def test_age_in_days_counts_back_from_the_latest_timestamp_never_from_today():
    events = handmade_events()
    table = purchase_interactions(events)
    ages = age_in_days(table, "a test")
    latest = table["timestamp"].max()
    expected = [(latest - t).total_seconds() / 86400 for t in table["timestamp"]]
    assert ages.tolist() == pytest.approx(expected, abs=1e-9) and ages.min() == 0.0
    shifted = table.assign(timestamp=table["timestamp"] + pd.Timedelta(days=1000))
    assert age_in_days(shifted, "a test").tolist() == pytest.approx(expected, abs=1e-9)
    as_text = table.assign(timestamp=table["timestamp"].astype(str))  # parsed, as validate_frame does
    assert age_in_days(as_text, "a test").tolist() == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="TimeDecayed needs a 'timestamp' column"):
        age_in_days(table.drop(columns="timestamp"), "TimeDecayed")
    with pytest.raises(ValueError, match="timestamp"):
        age_in_days(table.assign(timestamp=pd.NaT), "a test")

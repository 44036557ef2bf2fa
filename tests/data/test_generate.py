import numpy as np
import pandas as pd
import pytest

from shopcase.data import (
    compare_to_reference,
    describe_shop,
    generate_shop,
    purchases_in_top_categories,
)
from shopcase.data.real import load_online_retail
from shopcase.experiments import funnel
from shopcase.schema import CATALOGUE_COLUMNS, EMAILS_COLUMNS, EVENTS_COLUMNS, USERS_COLUMNS
from shopcase.validate import validate_frame

SMALL = dict(n_users=600, n_items=400, seed=7)


@pytest.fixture(scope="module")
def shop():
    return generate_shop()  # the defaults notebooks use


@pytest.fixture(scope="module")
def small():
    return generate_shop(**SMALL)


def _tables(s):
    return {name: getattr(s, name) for name in ("catalogue", "users", "events", "emails")}


def test_same_seed_gives_identical_frames(small):
    again = generate_shop(**SMALL)
    for name, table in _tables(small).items():
        pd.testing.assert_frame_equal(table, _tables(again)[name], obj=name)
    np.testing.assert_array_equal(small.truth.taste, again.truth.taste)


def test_another_seed_gives_another_shop(small):
    other = generate_shop(**{**SMALL, "seed": 8})
    assert not small.events["item_id"].head(1000).equals(other.events["item_id"].head(1000))
    assert len(small.events) != len(other.events)


def test_tables_follow_their_schemas(small):
    validate_frame(small.catalogue, CATALOGUE_COLUMNS, "catalogue", key=["item_id"])
    validate_frame(small.users, USERS_COLUMNS, "users", key=["user_id"])
    validate_frame(small.events, EVENTS_COLUMNS, "events")
    validate_frame(small.emails, EMAILS_COLUMNS, "emails")


def test_event_log_is_consistent(small):
    events = small.events
    assert events["timestamp"].is_monotonic_increasing
    kinds = events["event_type"].astype(str)
    assert events.loc[kinds == "purchase", "order_id"].notna().all()
    assert events.loc[kinds != "purchase", "order_id"].isna().all()
    # every purchased (session, item) was carted, and every carted one viewed, in that session
    pairs = {k: set(map(tuple, events.loc[kinds == k, ["session_id", "item_id"]].to_numpy())) for k in kinds.unique()}
    assert pairs["purchase"] <= pairs["cart"] <= pairs["view"]
    # no item is seen before its launch
    launch = small.catalogue.set_index("item_id")["launch_date"].reindex(events["item_id"]).to_numpy()
    assert (events["timestamp"].to_numpy() >= launch).all()
    # everything happens inside the period, after the user signed up
    assert events["timestamp"].min() >= pd.Timestamp(small.config.start)
    assert events["timestamp"].max() < small.log_end == pd.Timestamp(small.config.end) + pd.Timedelta(days=1)
    signup = small.users.set_index("user_id")["signup_date"].reindex(events["user_id"]).to_numpy()
    assert (events["timestamp"].to_numpy() >= signup).all()


def test_counts_are_in_expected_ranges(shop):
    events = shop.events
    kinds = events["event_type"].value_counts()
    assert len(shop.catalogue) == 3_000 and len(shop.users) == 4_000
    assert 200_000 < len(events) < 1_000_000
    assert kinds["view"] > kinds["cart"] > kinds["purchase"] > 5_000
    steps = funnel(events).set_index("step")["session_conversion"]
    assert 0.01 < steps["purchase"] < 0.15  # a few percent of sessions convert, as in real shops
    assert 0.1 < shop.emails["opened"].mean() < 0.5


def test_purchases_follow_hidden_tastes_well_above_chance(shop):
    signal = purchases_in_top_categories(shop.events, shop.truth.taste, shop.truth.item_category, top=2)
    assert signal["lift"] > 2.0 and signal["observed"] > 0.5


def test_higher_true_affinity_means_more_purchases(shop):
    views = shop.events[shop.events["event_type"] == "view"].drop_duplicates(["session_id", "item_id"])
    bought = shop.events[shop.events["event_type"] == "purchase"][["session_id", "item_id"]].assign(bought=True)
    views = views.merge(bought, on=["session_id", "item_id"], how="left").fillna({"bought": False})
    affinity = shop.affinity(views["user_id"].to_numpy(), views["item_id"].to_numpy())
    quartile = pd.qcut(affinity, 4, labels=False)
    rate = views["bought"].groupby(quartile).mean()
    assert rate.is_monotonic_increasing and rate.iloc[-1] > 3 * rate.iloc[0]


def test_popularity_is_long_tailed(shop):
    stats = describe_shop(shop.events)
    assert stats["top10pct_item_share"] > 0.35  # 10% of items take over a third of purchases
    assert stats["top1pct_item_share"] > 5 * 0.01
    assert stats["zipf_exponent"] > 0.5


def test_statistics_within_stated_tolerance_of_online_retail(shop):
    comparison = compare_to_reference(describe_shop(shop.events), describe_shop(load_online_retail().events))
    checked = comparison.dropna(subset=["within"])
    assert len(checked) == 7
    assert checked["within"].all(), checked[~checked["within"].astype(bool)]
    # the deliberate difference: consumer baskets are small, wholesale ones large
    assert comparison.loc["median_basket_size", "generated"] <= 2 < comparison.loc["median_basket_size", "reference"]


def test_falling_engagement_precedes_true_churn(shop):
    users = shop.users.set_index("user_id")
    sessions = shop.events.drop_duplicates("session_id")
    days_before = users["true_churn_date"].reindex(sessions["user_id"]).to_numpy() - sessions["timestamp"].to_numpy()
    days_before = days_before / np.timedelta64(1, "D")
    near = ((days_before >= 0) & (days_before < 15)).sum() / 15
    far = ((days_before >= 60) & (days_before < 75)).sum() / 15
    assert near < 0.6 * far  # fewer sessions per day just before churn than two months earlier


def test_affinity_rejects_unknown_ids(small):
    with pytest.raises(ValueError, match="item_ids: 1 ids are not in this shop"):
        small.affinity(np.array([1, 2]), np.array([1, 401]))
    with pytest.raises(ValueError, match="same shape"):
        small.affinity(np.array([1, 2]), np.array([1]))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n_users": 0}, "n_users must be a positive integer"),
        ({"n_items": 10}, "n_items must be at least 72"),
        ({"n_users": 2.5}, "n_users must be a positive integer"),
        ({"replenish_share": 1.5}, r"replenish_share must be a finite number in \[0.0, 1.0\]"),
        ({"sessions_per_month": -1.0}, "sessions_per_month must be a finite number > 0"),
        ({"popularity_offset": float("inf")}, "popularity_offset must be a finite number"),
        ({"start": "2023-05-01", "end": "2023-01-01"}, "end .* must not be before start"),
        ({"start": "soon"}, "start='soon' is not a date"),
    ],
)
def test_bad_parameters_raise(changes, message):
    with pytest.raises(ValueError, match=message):
        generate_shop(**{**SMALL, **changes})


def test_unknown_option_is_an_error():
    with pytest.raises(TypeError, match="unexpected keyword"):
        generate_shop(**SMALL, colour="blue")


def test_end_is_the_last_day_logged(shop):
    """``end`` is inclusive: the last day has a full day of activity, and nothing happens after it."""
    days = shop.events["timestamp"].dt.normalize()
    per_day = days.value_counts()
    last = pd.Timestamp(shop.config.end)
    assert days.max() == last
    assert per_day[last] > 0.5 * per_day.median()  # a full day, not a stub


def test_a_label_window_touching_the_last_day_sees_its_purchases(shop):
    from shopcase.churn import churn_labels

    as_of = shop.log_end - pd.Timedelta(days=30)
    labels = churn_labels(shop.events, as_of, horizon_days=30, log_end=shop.log_end)
    events = shop.events
    bought_last_day = events.loc[
        (events["event_type"] == "purchase") & (events["timestamp"] >= pd.Timestamp(shop.config.end)), "user_id"
    ]
    returning = labels[labels["customer_id"].isin(bought_last_day)]
    assert len(returning) > 0 and not returning["churned"].any()


def test_blocks_of_users_do_not_depend_on_each_other(monkeypatch):
    """Each block of users has its own seed: a block computed alone equals its part of the whole shop."""
    from shopcase.data import generate

    monkeypatch.setattr(generate, "USER_BLOCK", 150)
    config = generate.ShopConfig(n_users=400, n_items=300, seed=3).validated()
    whole = generate.generate_shop(n_users=400, n_items=300, seed=3)
    assert generate.n_user_blocks(config) == 3
    alone = generate.generate_user_block(config, 2)
    users = whole.users[whole.users["user_id"] > 300].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.users, users)
    part = whole.events[whole.events["user_id"] > 300].reset_index(drop=True)
    offset = part["session_id"].min() - alone.events["session_id"].min()
    pd.testing.assert_frame_equal(
        alone.events.assign(session_id=alone.events["session_id"] + offset, order_id=alone.events["order_id"] + offset),
        part,
    )
    np.testing.assert_array_equal(alone.truth.taste, whole.truth.taste[300:])
    assert whole.events["session_id"].nunique() == whole.events.groupby(["user_id", "session_id"]).ngroups
    assert whole.events["timestamp"].is_monotonic_increasing
    with pytest.raises(ValueError, match="block must be an integer in"):
        generate.generate_user_block(config, 3)

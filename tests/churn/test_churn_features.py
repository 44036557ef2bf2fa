import numpy as np
import pandas as pd
import pytest
from churn_logs import (
    AS_OF,
    as_log,
    event,
    future_rows,
    hand_catalogue,
    hand_emails,
    hand_log,
    hand_rows,
    simulated_log,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopcase.churn import (
    BGNBD,
    BGNBD_FEATURE_COLUMNS,
    BGNBD_SUMMARY_COLUMNS,
    FEATURE_COLUMNS,
    FEATURE_GROUPS,
    bgnbd_features,
    customer_features,
)


@pytest.fixture()
def features():
    return customer_features(hand_log(), AS_OF, hand_emails(), hand_catalogue())


def test_columns_groups_and_order():
    frame = customer_features(hand_log(), AS_OF)
    assert list(frame.columns) == list(FEATURE_COLUMNS) and frame.index.name == "customer_id"
    assert set(FEATURE_COLUMNS) == {c for group in FEATURE_GROUPS.values() for c in group}
    assert set(FEATURE_GROUPS) == {"rfm", "engagement", "trend", "basket"}
    assert all(pd.api.types.is_float_dtype(frame[c]) for c in FEATURE_COLUMNS)
    assert frame.index.tolist() == [1, 2, 3]  # user 4 appears only after as_of
    assert frame.attrs["as_of"] == AS_OF
    assert not set(BGNBD_FEATURE_COLUMNS) & set(FEATURE_COLUMNS)


def test_values_on_the_hand_built_log(features):
    one = features.loc[1]
    tenure = 90 - 10 / 24  # 2023-01-01 10:00 -> 2023-04-01 00:00
    assert one["tenure_days"] == pytest.approx(tenure)
    assert one["days_since_last_purchase"] == pytest.approx(11.5)  # 2023-03-20 12:00
    assert one["total_orders"] == 2
    assert one["purchase_frequency"] == pytest.approx(2 / tenure)
    assert one["total_revenue"] == pytest.approx(2 * 10 + 5 + 10)
    assert one["avg_order_value"] == pytest.approx(35 / 2)
    assert one["email_open_rate"] == pytest.approx(2 / 3)  # the 2023-04-05 email is after as_of
    assert one["cart_abandonment_rate"] == pytest.approx(1 / 2)  # sessions 13 (abandoned) and 14 (bought)
    assert one["revenue_trend"] == pytest.approx(10.0)  # 10 in [03-02, 04-01), nothing in [01-31, 03-02)
    assert one["order_trend"] == 1
    assert one["distinct_categories"] == 1  # A and B are both toys
    assert one["mean_basket_size"] == pytest.approx((2 + 1) / 2)
    assert one["mean_units_per_order"] == pytest.approx((3 + 1) / 2)


def test_without_catalogue_breadth_is_distinct_items():
    frame = customer_features(hand_log(), AS_OF)
    assert frame.loc[1, "distinct_categories"] == 2


def test_customer_without_orders_gets_documented_values(features):
    two = features.loc[2]
    assert two["tenure_days"] == pytest.approx(0.5)
    assert two["days_since_last_purchase"] == pytest.approx(two["tenure_days"])
    zero = [c for c in FEATURE_COLUMNS if c not in ("tenure_days", "days_since_last_purchase")]
    assert (two[zero] == 0).all()
    assert np.isfinite(features[list(FEATURE_COLUMNS)].to_numpy()).all()


def test_tenure_under_a_day_is_floored_for_the_frequency(features):
    three = features.loc[3]
    assert three["tenure_days"] == pytest.approx(1 / 24)
    assert three["purchase_frequency"] == pytest.approx(1.0)  # 1 order / max(1/24, 1) day, not 24 per day
    assert three["email_open_rate"] == 0  # no email sent: 0, not 0/0


def test_events_at_or_after_as_of_change_nothing():
    base = customer_features(hand_log(), AS_OF, hand_emails(), hand_catalogue())
    later = as_log(hand_rows() + future_rows())
    more_emails = pd.concat(
        [
            hand_emails(),
            pd.DataFrame({"user_id": [2, 3], "opened": [True, True], "timestamp": [AS_OF, pd.Timestamp("2023-05-01")]}),
        ]
    )
    pd.testing.assert_frame_equal(base, customer_features(later, AS_OF, more_emails, hand_catalogue()))


@st.composite
def logs_and_cut(draw):
    n = draw(st.integers(2, 25))
    users = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(["view", "cart", "purchase"]), min_size=n, max_size=n))
    items = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    cut = draw(st.integers(1, 121))
    rows = [
        event(
            u,
            i % 4,
            pd.Timestamp("2023-01-01") + pd.Timedelta(days=d, minutes=i),
            k,
            it,
            order=(1000 + i if k == "purchase" else None),
        )
        for i, (u, d, k, it) in enumerate(zip(users, days, kinds, items, strict=True))
    ]
    return rows, pd.Timestamp("2023-01-01") + pd.Timedelta(days=cut)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs_and_cut())
def test_no_feature_looks_past_as_of(case):
    rows, as_of = case
    past = [r for r in rows if r["timestamp"] < as_of]
    if not past:
        return
    # Whatever happens from as_of on, the features are those of the past events alone.
    expected = customer_features(as_log(past), as_of)
    pd.testing.assert_frame_equal(expected, customer_features(as_log(rows), as_of))


def test_bad_input_raises_naming_the_problem():
    with pytest.raises(ValueError, match="as_of is required"):
        customer_features(hand_log(), None)
    with pytest.raises(ValueError, match="no event before as_of"):
        customer_features(hand_log(), "2022-01-01")
    with pytest.raises(ValueError, match="missing column"):
        customer_features(hand_log().drop(columns="quantity"), AS_OF)
    with pytest.raises(ValueError, match="'unit_price'.*negative"):
        customer_features(hand_log().assign(unit_price=-1.0), AS_OF)
    with pytest.raises(ValueError, match="catalogue is missing column"):
        customer_features(hand_log(), AS_OF, catalogue=hand_catalogue().drop(columns="category"))
    with pytest.raises(ValueError, match="no category in the catalogue"):
        customer_features(hand_log(), AS_OF, catalogue=hand_catalogue().iloc[:1])
    with pytest.raises(ValueError, match="duplicated"):
        customer_features(hand_log(), AS_OF, catalogue=pd.concat([hand_catalogue()] * 2))


def test_bgnbd_features_cover_buyers_only_and_are_probabilities():
    events, _, _ = simulated_log(n_customers=200, seed=1)
    events = pd.concat([events, as_log([event(9999, 1, "2022-03-01", "view", "I01")])], ignore_index=True)
    as_of = pd.Timestamp("2022-09-01")
    frame = bgnbd_features(events, as_of, horizon_days=60, period="W")
    assert list(frame.columns) == [*BGNBD_SUMMARY_COLUMNS, *BGNBD_FEATURE_COLUMNS]
    buyers = events.loc[(events["event_type"] == "purchase") & (events["timestamp"] < as_of), "user_id"]
    assert frame.index.tolist() == sorted(buyers.unique())  # the browser 9999 is not there
    assert frame["bgnbd_p_alive"].between(0, 1).all() and frame["bgnbd_p_no_purchase"].between(0, 1).all()
    assert (frame["bgnbd_expected_purchases"] >= 0).all()
    # more expected purchases means a lower chance of none
    rho = frame["bgnbd_expected_purchases"].corr(frame["bgnbd_p_no_purchase"], method="spearman")
    assert rho < -0.5
    # the summary is in days: T counts to the day before as_of, recency never exceeds it
    assert (frame["days_first_to_last_purchase"] <= frame["days_since_first_purchase"]).all()
    assert frame["repeat_purchase_days"].eq(frame["repeat_purchase_days"].round()).all()


def test_bgnbd_features_fit_the_model_the_caller_passes():
    events, _, _ = simulated_log(n_customers=150, seed=3)
    plain = bgnbd_features(events, "2022-09-01", 60)
    given = BGNBD(penalizer=0.1)
    penalised = bgnbd_features(events, "2022-09-01", 60, bgnbd=given)
    assert not hasattr(given, "params_")  # a clone is fitted; the caller's model stays as it was
    assert penalised.attrs["bgnbd"].penalizer == 0.1
    assert penalised.attrs["bgnbd"].params_ != plain.attrs["bgnbd"].params_
    days = plain[list(BGNBD_SUMMARY_COLUMNS)]
    pd.testing.assert_frame_equal(days, penalised[list(BGNBD_SUMMARY_COLUMNS)])
    with pytest.raises(ValueError, match="bgnbd must be a BGNBD"):
        bgnbd_features(events, "2022-09-01", 60, bgnbd="yes")

import numpy as np
import pandas as pd
import pytest
from churn_logs import AS_OF, as_log, event, simulated_log

from shopcase.churn import BGNBD, VALUE_COLUMNS, GammaGamma, customer_value, summary_from_transactions


@pytest.fixture(scope="module")
def log():
    return simulated_log(n_customers=300, seed=6)[0]


def test_value_is_expected_purchases_times_expected_spend(log):
    value = customer_value(log, "2022-09-01", horizon_days=180)
    assert list(value.columns) == list(VALUE_COLUMNS) and value.index.name == "customer_id"
    purchases = log[(log["event_type"] == "purchase") & (log["timestamp"] < "2022-09-01")]
    assert value.index.tolist() == sorted(purchases["user_id"].unique())
    bgnbd, spend = value.attrs["bgnbd"], value.attrs["spend"]
    summary = summary_from_transactions(
        purchases.assign(value=purchases["quantity"] * purchases["unit_price"]),
        "user_id",
        "timestamp",
        "2022-09-01",
        value_col="value",
    )
    x, t_x, T, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    np.testing.assert_allclose(value["expected_purchases"], bgnbd.expected_purchases(180 / 7, x, t_x, T))
    np.testing.assert_allclose(value["p_alive"], bgnbd.p_alive(x, t_x, T))
    np.testing.assert_allclose(value["expected_spend"], spend.expected_spend(x, m))
    np.testing.assert_allclose(value["expected_value"], value["expected_purchases"] * value["expected_spend"])
    np.testing.assert_allclose(value["expected_value"], value["p_alive"] * value["value_if_active"])
    assert (value["value_if_active"] >= value["expected_value"]).all()
    one_timers = x == 0
    assert one_timers.any() and np.allclose(value.loc[one_timers, "expected_spend"], spend.mean_spend_)
    assert spend.n_customers_ == int((x > 0).sum())


def test_a_new_customer_is_not_extrapolated_from_one_busy_week(log):
    """Issue 9's customer 422: a few orders in a customer's first days, and a yearly rate that multiplies them.

    The model's expected purchases in a year cannot exceed what the posterior purchase rate implies
    (drop-out only lowers it), and that rate is shrunk towards the population's (BG/NBD's gamma prior).
    """
    newcomer = [
        event(10_001, 900_000 + k, AS_OF - pd.Timedelta(days=d), "purchase", "I01", quantity=4, price=50.0, order=k)
        for k, d in enumerate([6.5, 4.5, 1.5])
    ]
    events = pd.concat([log, as_log(newcomer)], ignore_index=True)
    value = customer_value(events, AS_OF, horizon_days=365)
    row = value.loc[10_001]
    naive_orders_per_year = 3 / 7 * 365  # what "revenue per day of tenure x 365" assumes: ~156 orders
    r, alpha = (value.attrs["bgnbd"].params_[k] for k in ("r", "alpha"))
    posterior_rate_cap = 52.14 * (r + 2) / (alpha + 6 / 7)  # (r + x) / (alpha + T) per week, x = 2, T = 6 days
    assert row["expected_purchases"] <= posterior_rate_cap < naive_orders_per_year / 3
    assert row["expected_spend"] < 200.0  # the 200 of each order, pulled towards the population's mean


def test_callers_models_and_bad_arguments(log):
    given_bgnbd, given_spend = BGNBD(penalizer=0.05), GammaGamma(penalizer=1e-6)
    value = customer_value(log, "2022-09-01", 90, bgnbd=given_bgnbd, spend=given_spend)
    assert value.attrs["bgnbd"].penalizer == 0.05 and value.attrs["spend"].penalizer == 1e-6
    assert not hasattr(given_bgnbd, "params_") and not hasattr(given_spend, "params_")
    for kwargs, message in [
        ({"horizon_days": 0}, "horizon_days"),
        ({"period": "M"}, "period"),
        ({"bgnbd": GammaGamma()}, "bgnbd must be a BGNBD"),
        ({"spend": "gg"}, "spend must be a GammaGamma"),
        ({"as_of": None}, "as_of is required"),
    ]:
        with pytest.raises(ValueError, match=message):
            customer_value(log, **{"as_of": "2022-09-01", **kwargs})

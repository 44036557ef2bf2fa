"""Reorder points from forecast distributions and the inventory simulation: by hand, by scipy, by simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopcase.demand import naive_policy, reorder_policy, simulate_inventory


def _forecast(means, n_days=30, variance_factor=1.0, start="2024-01-01"):
    means = np.asarray(means, dtype=float)
    return pd.DataFrame(
        {
            "series_id": np.repeat(np.arange(1, len(means) + 1), n_days),
            "date": np.tile(pd.date_range(start, periods=n_days), len(means)),
            "forecast": np.repeat(means, n_days),
            "variance": np.repeat(means * variance_factor, n_days),
        }
    )


def test_cycle_service_levels_are_poisson_and_negative_binomial_quantiles():
    forecast = _forecast([0.4, 3.0])
    policy = reorder_policy(forecast, lead_time=4, service_level=0.95, kind="cycle")
    first = policy.groupby("series_id").first()
    assert first.loc[1, "reorder_point"] == stats.poisson.ppf(0.95, 0.4 * 5)
    assert first.loc[2, "reorder_point"] == stats.poisson.ppf(0.95, 3.0 * 5)
    assert policy.groupby("series_id").size().tolist() == [26, 26]  # days whose 5-day protection fits in 30
    wide = reorder_policy(_forecast([3.0], variance_factor=3.0), lead_time=4, service_level=0.95, kind="cycle")
    mean, var = 15.0, 45.0
    n, p = mean**2 / (var - mean), mean / var
    assert wide["reorder_point"].iloc[0] == stats.nbinom.ppf(0.95, n, p)


def test_simulation_by_hand():
    # Two units a day, a level of 5 reviewed daily, orders arrive a day later.
    policy = pd.DataFrame(
        {"series_id": 1, "date": pd.date_range("2024-01-01", periods=4), "reorder_point": 5.0, "order_up_to": 5.0}
    )
    demand = pd.DataFrame({"series_id": 1, "date": pd.date_range("2024-01-01", periods=4), "demand": [2.0, 6, 2, 2]})
    result = simulate_inventory(
        policy, demand, lead_time=1, unit_cost=pd.Series({1: 365.0}), holding_rate=1.0, unmet="lost"
    )
    # Day 1: 5 on hand, position 5 is not below 5: no order; sell 2, 3 left.
    # Day 2: position 3 -> order 2 (arrives day 3); sell 3 of 6, 0 left.
    # Day 3: 2 arrive, position 2 -> order 3 (arrives day 4); sell 2, 0 left.
    # Day 4: 3 arrive, position 3 -> order 2; sell 2, 1 left.
    row = result.per_series.iloc[0]
    assert row["served"] == 2 + 3 + 2 + 2 and row["stockout_days"] == 1 and row["orders"] == 3
    assert row["holding_cost"] == pytest.approx(3 + 0 + 0 + 1)  # end-of-day units x 365 x 1.0 / 365
    assert result.fill_rate == pytest.approx(9 / 12)
    # Backordered, the 3 units short on day 2 wait for day 3's arrival (2 units) and day 4's (1 unit):
    # day 3: 2 arrive, both go to the backlog, position 0 - 1 = -1 -> order 6; sell 0 of 2 (backlog 3).
    waited = simulate_inventory(policy, demand, lead_time=1)
    assert waited.per_series.iloc[0]["served"] == 2 + 3 + 0 + 2 and waited.fill_rate == pytest.approx(7 / 12)


@pytest.mark.parametrize("target", [0.90, 0.95, 0.99])
def test_system_fill_rate_is_met_in_simulation_when_the_forecast_is_the_truth(target):
    """200 Poisson items, 90 days, true moments as the forecast: the realised fill rate is within 1 point."""
    rng = np.random.default_rng(1)
    means = rng.gamma(1.0, 1.5, 200) + 0.05
    forecast = _forecast(means, n_days=94)
    lead = 3
    policy = reorder_policy(forecast, lead, target, allocation="system")
    demand = forecast[["series_id", "date"]].assign(demand=rng.poisson(forecast["forecast"]).astype(float))
    result = simulate_inventory(policy, demand, lead)
    assert abs(result.fill_rate - target) <= 0.01, result
    per_item = simulate_inventory(reorder_policy(forecast, lead, target), demand, lead)
    assert per_item.fill_rate >= target - 0.005 and per_item.holding_cost > result.holding_cost


def test_naive_policy_covers_recent_demand():
    history = pd.DataFrame(
        {"series_id": 1, "date": pd.date_range("2023-12-01", periods=31), "demand": [0.0] * 3 + [2.0] * 28}
    )
    policy = naive_policy(history, pd.date_range("2024-01-01", periods=3), lead_time=2, cover=1.5)
    assert (policy["order_up_to"] == np.ceil(1.5 * 2.0 * 3)).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: reorder_policy(f, -1, 0.9), "lead_time must be an integer"),
        (lambda f: reorder_policy(f, 2, 0.0), "service_level must be"),
        (lambda f: reorder_policy(f, 2, 1.0), "service_level must be"),
        (lambda f: reorder_policy(f, 2, 1.5), "service_level must be"),
        (lambda f: reorder_policy(f, 40, 0.9), "cannot cover a protection interval"),
        (lambda f: reorder_policy(f, 2, 0.9, kind="cycle", allocation="system"), "allocation='system'"),
        (lambda f: reorder_policy(f.assign(variance=-1.0), 2, 0.9), "non-negative"),
        (
            lambda f: simulate_inventory(reorder_policy(f, 2, 0.9), f.rename(columns={"forecast": "demand"}), -2),
            "lead_time must be an integer",
        ),
    ],
)
def test_bad_input_raises_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call(_forecast([1.0, 2.0]))

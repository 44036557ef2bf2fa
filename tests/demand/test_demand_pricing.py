"""The pricing bandit on a shop's true demand curves: the curves themselves, the oracle, regret, guardrails."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop
from shopcase.demand import PriceExperiment


@pytest.fixture(scope="module")
def shop():
    return generate_shop(n_users=10_000, n_items=100, seed=8, price_elasticity=4.0)


def test_demand_curves_fall_with_price_and_match_the_sales_at_list_price(shop):
    items = shop.catalogue["item_id"].to_numpy()
    curve = shop.truth.demand_curve(items, [0.8, 1.0, 1.25])
    assert (np.diff(curve, axis=1) <= 1e-12).all()  # dearer never sells more
    # At list price the curve is the expected sales of the log's visitors; promotions (cheaper days) lift the
    # actual sales a little above it, stock-outs cut them: the lost units put them back.
    sold = shop.events.loc[shop.events["event_type"] == "purchase", "quantity"].sum()
    wanted = sold + shop.truth.item_lost_units.sum()
    assert 0.9 < wanted / (curve[:, 1].sum() * 365) < 1.15
    with pytest.raises(ValueError, match="multipliers must lie in"):
        shop.truth.demand_curve(items, [3.0])


def test_thompson_sampling_learns_the_oracle_price_with_sublinear_regret(shop):
    result = PriceExperiment(seed=1).run(shop.truth, shop.catalogue, days=365)
    arms = result.arms
    # The oracle is the best expected profit per group among the allowed price points, from the truth.
    oracle = arms.loc[arms.groupby("group")["expected_profit"].idxmax()]
    assert oracle["oracle"].all() and arms["oracle"].sum() == arms["group"].nunique()
    assert result.regret_growth < 1.0  # the second half's regret is smaller than the first half's
    late_rate = (result.cumulative_regret[-1] - result.cumulative_regret[-101]) / 100
    assert late_rate < 0.75 * result.fixed_regret / 365  # by the end it loses less a day than list price does
    late = result.daily[result.daily["day"] > 300].merge(oracle[["group", "multiplier"]], on="group")
    assert (late["multiplier_x"] == late["multiplier_y"]).mean() > 0.4  # the oracle arm is played most at the end
    assert set(result.daily.columns) >= {"day", "group", "multiplier", "units", "revenue", "profit", "regret"}
    assert "regret" in str(result)


def test_sharing_through_an_elasticity_beats_independent_arms(shop):
    shared = PriceExperiment(seed=2).run(shop.truth, shop.catalogue, days=200)
    independent = PriceExperiment(model="independent", seed=2).run(shop.truth, shop.catalogue, days=200)
    assert shared.regret < independent.regret


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(multipliers=(0.9, 1.0, 1.6)), "outside the guardrails"),
        (dict(multipliers=(0.5, 1.0), bounds=(0.0, 2.0)), "bounds\\[0\\] must be"),
        (dict(multipliers=(-1.0, 1.0)), "at or below 0"),
        (dict(fixed=2.0), "fixed must be"),
        (dict(objective="units"), "objective must be one of"),
        (dict(model="ucb"), "model must be one of"),
        (dict(multipliers=(1.0, 1.0)), "distinct"),
    ],
)
def test_bad_parameters_raise_naming_them(shop, params, message):
    with pytest.raises(ValueError, match=message):
        PriceExperiment(**params).run(shop.truth, shop.catalogue, days=5)


def test_prices_at_or_below_zero_in_the_catalogue_are_refused(shop):
    bad = shop.catalogue.assign(price=np.where(shop.catalogue.index == 0, 0.0, shop.catalogue["price"]))
    with pytest.raises(ValueError, match="prices at or below 0"):
        PriceExperiment().run(shop.truth, pd.DataFrame(bad), days=5)

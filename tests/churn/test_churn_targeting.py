import numpy as np
import pandas as pd
import pytest

from shopcase.churn import retention_targets, value_at_risk


def scores():
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "churn_probability": [0.9, 0.5, 0.8, 0.1, 0.6],
            "customer_value": [100.0, 300.0, 10.0, 1000.0, 50.0],
        }
    )


def test_value_at_risk():
    frame = scores()
    assert value_at_risk(frame["churn_probability"], frame["customer_value"]).tolist() == pytest.approx(
        [90.0, 150.0, 8.0, 100.0, 30.0]
    )
    with pytest.raises(ValueError, match="churn_probability"):
        value_at_risk([1.2], [1.0])
    with pytest.raises(ValueError, match="customer_value"):
        value_at_risk([0.5], [-1.0])


def test_targets_by_expected_net_gain_within_budget():
    # gains with uplift 0.2 and cost 10: a 8, b 20, c -8.4, d 10, e -4
    plan = retention_targets(scores(), budget=25.0, offer_cost=10.0, expected_uplift=0.2)
    assert plan.targets["customer_id"].tolist() == ["b", "d"]  # two offers fit in 25
    assert plan.targets["expected_gain"].tolist() == pytest.approx([20.0, 10.0])
    assert plan.targets["rank"].tolist() == [1, 2]
    assert plan.summary == pytest.approx(
        {
            "n_customers": 5,
            "n_positive_gain": 3,
            "n_targeted": 2,
            "spend": 20.0,
            "expected_retained_value": 0.2 * (150 + 100),
            "expected_net_gain": 50.0 - 20.0,
            "roi": 30.0 / 20.0,
        }
    )


def test_only_positive_gains_even_with_money_left():
    plan = retention_targets(scores(), budget=1000.0, offer_cost=10.0, expected_uplift=0.2)
    assert plan.targets["customer_id"].tolist() == ["b", "d", "a"]
    assert (plan.targets["expected_gain"] > 0).all() and plan.summary["spend"] == 30.0


def test_nothing_to_do():
    none = retention_targets(scores(), budget=0.0, offer_cost=10.0, expected_uplift=0.2)
    assert none.targets.empty and none.summary["spend"] == 0 and np.isnan(none.summary["roi"])
    useless = retention_targets(scores(), budget=100.0, offer_cost=10.0, expected_uplift=0.0)
    assert useless.summary["n_targeted"] == 0


def test_budget_division_is_not_fooled_by_floats():
    plan = retention_targets(scores(), budget=0.3, offer_cost=0.1, expected_uplift=1.0)
    assert plan.summary["n_targeted"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": -1.0}, "budget"),
        ({"budget": float("nan")}, "budget"),
        ({"offer_cost": 0.0}, "offer_cost"),
        ({"expected_uplift": 1.5}, "expected_uplift"),
        ({"expected_uplift": -0.1}, "expected_uplift"),
        ({"budget": "100"}, "budget must be a finite number"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    arguments = {"budget": 100.0, "offer_cost": 10.0, "expected_uplift": 0.2, **kwargs}
    with pytest.raises(ValueError, match=message):
        retention_targets(scores(), **arguments)


def test_bad_scores_raise():
    with pytest.raises(ValueError, match="missing column"):
        retention_targets(scores().drop(columns="customer_value"), 100.0, 10.0, 0.2)
    with pytest.raises(ValueError, match="duplicated"):
        retention_targets(pd.concat([scores(), scores()]), 100.0, 10.0, 0.2)
    with pytest.raises(ValueError, match="churn_probability"):
        retention_targets(scores().assign(churn_probability=1.5), 100.0, 10.0, 0.2)

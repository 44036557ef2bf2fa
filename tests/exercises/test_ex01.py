"""Checkers of notebook 01: each accepts the worked solution, names a plausible mistake, and waits for None."""

import pytest

from shopcase.data import customers_as_of, generate_shop, interactions_from_events, purchases_in_top_categories
from shopcase.exercises import ex01

AS_OF = "2023-10-01"


@pytest.fixture(scope="module")
def shop():
    return generate_shop(n_users=400, n_items=150, seed=11)


def test_buyers_as_of(shop):
    customers = customers_as_of(shop.events, as_of=AS_OF)
    right = int((customers["total_orders"] > 0).sum())
    check = ex01.check_buyers_as_of
    assert check(None, shop.events, AS_OF).status == "not attempted"
    assert check(right, shop.events, AS_OF).passed
    everyone = check(len(customers), shop.events, AS_OF)
    assert not everyone.passed and "only browsed" in everyone.message
    ever = shop.events.loc[shop.events["event_type"] == "purchase", "user_id"].nunique()
    assert "after as_of too" in check(ever, shop.events, AS_OF).message
    assert not check(str(right), shop.events, AS_OF).passed


def test_purchase_density(shop):
    purchases = interactions_from_events(shop.events, weights={"view": 0, "cart": 0, "purchase": 1})
    right = len(purchases) / (purchases["user_id"].nunique() * purchases["item_id"].nunique())
    check = ex01.check_purchase_density
    assert check(None, shop.events, 400, 150).status == "not attempted"
    assert check(right, shop.events, 400, 150).passed
    whole_shop = check(len(purchases) / (400 * 150), shop.events, 400, 150)
    assert not whole_shop.passed and "every user and item of the shop" in whole_shop.message
    everything = interactions_from_events(shop.events)
    with_views = len(everything) / (everything["user_id"].nunique() * everything["item_id"].nunique())
    assert "with views and carts" in check(with_views, shop.events, 400, 150).message
    assert "percentage" in check(right * 100, shop.events, 400, 150).message


def test_taste_lift(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPCASE_DATA_DIR", str(tmp_path))
    sizes = {"n_users": 300, "n_items": 120, "seed": 2}
    spread = generate_shop(**sizes, taste_concentration=3.0)
    default = generate_shop(**sizes)
    right = purchases_in_top_categories(spread.events, spread.truth.taste, spread.truth.item_category)
    base = purchases_in_top_categories(default.events, default.truth.taste, default.truth.item_category)
    assert ex01.check_taste_lift(None, **sizes).status == "not attempted"
    passed = ex01.check_taste_lift(right["lift"], **sizes)
    assert passed.passed and f"{base['lift']:.2f}x" in passed.message
    assert "default tastes" in ex01.check_taste_lift(base["lift"], **sizes).message
    assert "divides it by chance" in ex01.check_taste_lift(right["observed"], **sizes).message


def test_already_gone(shop):
    customers = customers_as_of(shop.events, as_of=AS_OF)
    buyers = customers.loc[customers["total_orders"] > 0, "customer_id"]
    churn = shop.users.set_index("user_id")["true_churn_date"]
    right = float((churn.reindex(buyers) < AS_OF).mean())
    check = ex01.check_already_gone
    assert check(None, shop.events, shop.users, AS_OF).status == "not attempted"
    passed = check(right, shop.events, shop.users, AS_OF)
    assert passed.passed and "median of" in passed.message
    everyone = check(float((churn < AS_OF).mean()), shop.events, shop.users, AS_OF)
    assert not everyone.passed and "never bought" in everyone.message
    assert "still active" in check(1 - right, shop.events, shop.users, AS_OF).message

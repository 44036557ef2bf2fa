"""Checkers of notebook 09: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop, purchase_interactions
from shopcase.exercises import ex09
from shopcase.recommend import ItemKNN
from shopcase.serve import BusinessRules, campaign_lists, category_lookup, recommend_with_rules, save


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    shop = generate_shop(n_users=500, n_items=200, seed=8)
    train = purchase_interactions(shop.events[shop.events["timestamp"] < "2023-10-01"])
    retrain = purchase_interactions(shop.events[shop.events["timestamp"] < "2023-11-01"])
    model = ItemKNN(k_neighbors=20).fit(train)
    folder = tmp_path_factory.mktemp("ex09")
    save(model, folder / "m", created_at="2023-10-01", training_data=train)
    manifest = save(ItemKNN(k_neighbors=20).fit(retrain), folder / "m", created_at="2023-11-01",
                    training_data=retrain, overwrite=True)  # fmt: skip
    categories = category_lookup(shop.catalogue)
    rules = BusinessRules(banned=[1, 2], max_per_category=3, item_category=categories)
    homepages = recommend_with_rules(model, model.user_ids_, 10, rules)
    rng = np.random.default_rng(1)
    p = rng.uniform(0.3, 1, len(model.user_ids_))
    scores = pd.DataFrame(
        {"customer_id": model.user_ids_, "churn_probability": p, "risk_segment": np.where(p > 0.7, "HIGH", "MEDIUM")}
    )
    value = pd.Series(rng.uniform(0, 100, len(p)), index=model.user_ids_)
    campaign = campaign_lists(scores, model, as_of="2023-10-01", customer_value=value, item_category=categories,
                              uplift=0.1, contact_cost=0.5)  # fmt: skip
    return shop, model, train, retrain, manifest, homepages, categories, campaign


def test_short_homepages(setup):
    *_, homepages, _, _ = setup
    sizes = homepages.groupby("user_id").size()
    right = int((sizes < 10).sum())
    assert 0 < right < len(sizes)
    assert ex09.check_short_homepages(None, homepages, 10).status == "not attempted"
    assert ex09.check_short_homepages(right, homepages, 10).passed
    full = ex09.check_short_homepages(int((sizes == 10).sum()), homepages, 10)
    assert not full.passed and "full homepages" in full.message
    assert not ex09.check_short_homepages("3", homepages, 10).passed


def test_training_data(setup):
    _, _, train, retrain, manifest, *_ = setup
    assert ex09.check_training_data(None, manifest, train, retrain).status == "not attempted"
    assert ex09.check_training_data(retrain, manifest, train, retrain).passed
    old = ex09.check_training_data(train, manifest, train, retrain)
    assert not old.passed and "before the retrained one" in old.message
    assert not ex09.check_training_data("retrain", manifest, train, retrain).passed


def test_categories_per_list(setup):
    _, model, *_, categories, _ = setup
    users = model.user_ids_[:100]
    capped = recommend_with_rules(model, users, 10, BusinessRules(max_per_category=2, item_category=categories))
    right = float(capped.assign(c=capped["item_id"].map(categories)).groupby("user_id")["c"].nunique().mean())
    plain = model.recommend(users, n=10)
    wrong = float(plain.assign(c=plain["item_id"].map(categories)).groupby("user_id")["c"].nunique().mean())
    check = ex09.check_categories_per_list
    assert check(None, model, users, 10, categories).status == "not attempted"
    assert check(right, model, users, 10, categories).passed
    model_only = check(wrong, model, users, 10, categories)
    assert not model_only.passed and "model's own lists" in model_only.message


def test_campaign_cost(setup):
    *_, campaign = setup
    customers = campaign.customers
    right = int((customers["expected_value"] + 0.5 - 2.0 > 0).sum())
    assert 0 < right < len(customers)
    check = ex09.check_campaign_cost
    assert check(None, campaign, 2.0, 0.1, 0.5).status == "not attempted"
    assert check(right, campaign, 2.0, 0.1, 0.5).passed
    dropped = check(len(customers) - right, campaign, 2.0, 0.1, 0.5)
    assert not dropped.passed and "drop out" in dropped.message
    assert not check(2.5, campaign, 2.0, 0.1, 0.5).passed

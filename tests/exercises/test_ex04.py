"""Checkers of notebook 04: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop, interactions_from_events, purchase_interactions
from shopcase.evaluate import compare_models, per_user_scores, purchase_truth, temporal_split
from shopcase.exercises import ex04
from shopcase.recommend import ItemKNN, Popularity


def test_ndcg_by_hand():
    recs = pd.DataFrame({"item_id": list("abcdefghij"), "rank": range(1, 11)})
    truth = pd.DataFrame({"item_id": ["c", "x", "y"]})
    right = (1 / np.log2(4)) / (1 + 1 / np.log2(3) + 1 / np.log2(4))
    check = ex04.check_ndcg_by_hand
    assert check(None, recs, truth).status == "not attempted"
    assert check(right, recs, truth).passed
    assert "without dividing" in check(1 / np.log2(4), recs, truth).message
    assert "precision" in check(0.1, recs, truth).message
    assert "hit rate" in check(1.0, recs, truth).message
    # more relevant items than K: the ideal is capped at K
    many = pd.DataFrame({"item_id": ["a", *[f"z{i}" for i in range(11)]]})
    capped = 1 / sum(1 / np.log2(np.arange(2, 12)))
    assert check(capped, recs, many, k=10).passed
    uncapped = 1 / sum(1 / np.log2(np.arange(2, 14)))
    assert "not capped at K" in check(uncapped, recs, many, k=10).message


@pytest.fixture(scope="module")
def shop():
    return generate_shop(n_users=400, n_items=150, seed=4)


def test_precision_intervals(shop):
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    train = interactions_from_events(train_events)
    truth = purchase_truth(test_events, train, new_items_only=True)
    models = {"Popularity": Popularity().fit(train), "ItemKNN": ItemKNN(k_neighbors=50).fit(train)}
    scores = per_user_scores(models, truth, [1, 5, 10])
    right = compare_models(scores, "precision_at_k", by="k")
    check = ex04.check_precision_intervals
    assert check(None, scores, [1, 5, 10]).status == "not attempted"
    passed = check(right, scores, [1, 5, 10])
    assert passed.passed and "from K=1 to K=10" in passed.message
    assert "about precision" in check(compare_models(scores, "recall_at_k", by="k"), scores, [1, 5, 10]).message
    assert "lacks K [10]" in check(right[right["k"] != 10], scores, [1, 5, 10]).message
    without_k = compare_models(scores[scores["k"] == 5], "precision_at_k")
    assert not check(without_k, scores, [1, 5, 10]).passed


def test_average_order_value(shop):
    lines = shop.events[shop.events["event_type"] == "purchase"]
    per_order = (lines["quantity"] * lines["unit_price"]).groupby([lines["user_id"], lines["order_id"]]).sum()
    check = ex04.check_average_order_value
    assert check(None, shop.events).status == "not attempted"
    assert check(float(per_order.mean()), shop.events).passed
    per_line = float((lines["quantity"] * lines["unit_price"]).mean())
    assert "per purchase line" in check(per_line, shop.events).message
    assert "unit price" in check(float(lines["unit_price"].mean()), shop.events).message


def test_repeat_share(shop):
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    bought = purchase_interactions(train_events)
    truth = purchase_truth(test_events, users=bought["user_id"].unique())
    again = truth.merge(bought[["user_id", "item_id"]], on=["user_id", "item_id"], how="left", indicator=True)
    right = float((again["_merge"] == "both").mean())
    assert 0 < right < 1
    check = ex04.check_repeat_share
    assert check(None, truth, bought).status == "not attempted"
    assert check(right, truth, bought).passed
    assert "the share of *new* items" in check(1 - right, truth, bought).message
    anyone = float(truth["item_id"].isin(bought["item_id"]).mean())
    assert "anyone bought" in check(anyone, truth, bought).message

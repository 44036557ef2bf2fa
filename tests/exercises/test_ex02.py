"""Checkers of notebook 02: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop, interactions_from_events
from shopcase.evaluate import (
    best_params,
    bootstrap_mean,
    grid_search,
    paired_difference,
    per_user_scores,
    purchase_truth,
    temporal_split,
)
from shopcase.exercises import ex02
from shopcase.recommend import ItemKNN, Popularity, UserKNN


@pytest.fixture(scope="module")
def split():
    shop = generate_shop(n_users=500, n_items=150, seed=21)
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    fit_events, validation_events, _ = temporal_split(train_events, "2023-08-01")
    train, fit_part = interactions_from_events(train_events), interactions_from_events(fit_events)
    validation = purchase_truth(validation_events, fit_part, new_items_only=True)
    test = purchase_truth(test_events, train, new_items_only=True)
    return interactions_from_events(shop.events), train, fit_part, validation, test


def test_shrunk_cosine_matches_itemknn_and_names_mistakes(split):
    interactions = split[0]
    a, b = interactions["item_id"].value_counts().index[:2]
    # the package's own shrunk cosine is the independent check of the checker's arithmetic
    model = ItemKNN(k_neighbors=200, shrinkage=50.0).fit(interactions)
    similar = model.similar_items([a], n=200).set_index("similar_item_id")["score"]
    right = float(similar[b])
    assert ex02.check_shrunk_cosine(None, interactions, a, b).status == "not attempted"
    assert ex02.check_shrunk_cosine(right, interactions, a, b, shrinkage=50).passed
    plain = float(
        ItemKNN(k_neighbors=200).fit(interactions).similar_items([a], n=200).set_index("similar_item_id")["score"][b]
    )
    assert "plain cosine" in ex02.check_shrunk_cosine(plain, interactions, a, b).message
    assert not ex02.check_shrunk_cosine(right + 0.01, interactions, a, b).passed


def test_userknn_tuning(split):
    _, _, fit_part, validation, _ = split
    grid = grid_search(UserKNN, {"k_neighbors": [5, 20], "shrinkage": [0, 10]}, fit_part, validation, k=10)
    right = best_params(grid, ["k_neighbors", "shrinkage"])
    check = ex02.check_userknn_tuning
    assert check(None, fit_part, validation, [5, 20], [0, 10]).status == "not attempted"
    passed = check(right, fit_part, validation, [5, 20], [0, 10])
    assert passed.passed and "within noise" in passed.message
    worst = grid.loc[grid["ndcg_at_k"].idxmin()]
    wrong = check(
        {"k_neighbors": int(worst["k_neighbors"]), "shrinkage": worst["shrinkage"]},
        fit_part,
        validation,
        [5, 20],
        [0, 10],
    )
    assert not wrong.passed
    assert (
        "not on the grid" in check({"k_neighbors": 7, "shrinkage": 0}, fit_part, validation, [5, 20], [0, 10]).message
    )
    assert "exactly the keys" in check({"k": 5}, fit_part, validation, [5, 20], [0, 10]).message


@pytest.fixture(scope="module")
def scores(split):
    _, train, _, _, test = split
    models = {
        "tuned": ItemKNN(k_neighbors=50, shrinkage=10.0).fit(train),
        "untuned": ItemKNN(k_neighbors=100).fit(train),
        "Popularity": Popularity().fit(train),
    }
    return per_user_scores(models, test, 10)


def test_tuned_gain(scores):
    by_user = scores.pivot(index="user_id", columns="model", values="ndcg_at_k")
    right = paired_difference(by_user["tuned"], by_user["untuned"], metric="ndcg_at_k")
    check = ex02.check_tuned_gain
    assert check(None, scores, "tuned", "untuned").status == "not attempted"
    assert check(right, scores, "tuned", "untuned").passed
    reversed_ = paired_difference(by_user["untuned"], by_user["tuned"], metric="ndcg_at_k")
    assert "other way round" in check(reversed_, scores, "tuned", "untuned").message
    hit = scores.pivot(index="user_id", columns="model", values="hit_rate_at_k")
    wrong_metric = paired_difference(hit["tuned"], hit["untuned"], metric="hit_rate_at_k")
    assert "about NDCG" in check(wrong_metric, scores, "tuned", "untuned").message
    assert (
        "what paired_difference returns" in check(bootstrap_mean(by_user["tuned"]), scores, "tuned", "untuned").message
    )


def test_new_customer_ndcg(split, scores):
    train = split[1]
    tuned = scores[scores["model"] == "tuned"].set_index("user_id")["ndcg_at_k"]
    new = ~tuned.index.isin(train["user_id"])
    assert new.any() and (~new).any()
    check = ex02.check_new_customer_ndcg
    assert check(None, scores, train, "tuned").status == "not attempted"
    passed = check(float(tuned[new].mean()), scores, train, "tuned")
    assert passed.passed and "popularity list" in passed.message
    assert "known customers'" in check(float(tuned[~new].mean()), scores, train, "tuned").message
    assert "every buyer's" in check(float(tuned.mean()), scores, train, "tuned").message
    assert not check(float(np.nan_to_num(tuned[new].mean()) + 0.5), scores, train, "tuned").passed
    with pytest.raises(ValueError, match="no model 'ALS'"):
        check(0.1, scores, train, "ALS")
    assert isinstance(scores, pd.DataFrame)

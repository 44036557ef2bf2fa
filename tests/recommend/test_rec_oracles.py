"""Each model equals a brute-force dense implementation (recommend_oracles.py) on small random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recommend_oracles import (
    assert_same_lists,
    cosine,
    dense_matrix,
    ease_scores,
    item_knn_scores,
    top_lists,
    user_knn_scores,
)
from sklearn.feature_extraction.text import TfidfVectorizer

from shopcase.recommend import EASE, ContentBased, ItemKNN, Popularity, UserKNN

N = 10


def test_oracle_data_has_no_near_ties(small):
    # Without this, float rounding (sparse vs dense sums) could legitimately swap two items.
    x, _, _ = dense_matrix(small)
    scores = np.sort(item_knn_scores(x, 5), axis=1)
    gaps = np.diff(scores, axis=1)
    assert gaps[(gaps > 0)].min() > 1e-9


@pytest.mark.parametrize(("k", "shrinkage"), [(5, 0.0), (100, 0.0), (8, 2.5)])
def test_item_knn_equals_dense(small, k, shrinkage):
    x, users, items = dense_matrix(small)
    model = ItemKNN(k_neighbors=k, shrinkage=shrinkage).fit(small)
    expected = top_lists(item_knn_scores(x, k, shrinkage), x, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)


@pytest.mark.parametrize("weighting", ["tfidf", "bm25"])
def test_weighted_item_knn_equals_dense(small, weighting):
    x, users, items = dense_matrix(small)
    model = ItemKNN(k_neighbors=6, shrinkage=0.5, weighting=weighting).fit(small)
    expected = top_lists(item_knn_scores(x, 6, 0.5, weighting), x, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)


@pytest.mark.parametrize(("k", "shrinkage"), [(20, 0.0), (3, 0.0), (10, 1.0)])
def test_user_knn_equals_dense(small, k, shrinkage):
    x, users, items = dense_matrix(small)
    model = UserKNN(k_neighbors=k, shrinkage=shrinkage).fit(small)
    expected = top_lists(user_knn_scores(x, k, shrinkage), x, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)


@pytest.mark.parametrize("l2", [0.5, 10.0, 500.0])
def test_ease_equals_dense(small, l2):
    x, users, items = dense_matrix(small)
    model = EASE(l2=l2).fit(small)
    expected = top_lists(ease_scores(x, l2), x, N, positive_only=False)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)


def test_scores_without_exclusion_include_seen_items(small):
    x, users, items = dense_matrix(small)
    model = ItemKNN(k_neighbors=10).fit(small)
    expected = top_lists(item_knn_scores(x, 10), None, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N, exclude_seen=False), expected, users, items)


def test_popularity_equals_dense(small):
    x, users, items = dense_matrix(small)
    popularity = np.tile(x.sum(axis=0), (len(users), 1))
    expected = top_lists(popularity, x, N, positive_only=False)
    assert_same_lists(Popularity().fit(small).recommend(users, n=N), expected, users, items)


def test_similar_items_equal_dense_item_cosine(small):
    x, _, items = dense_matrix(small)
    similarity = cosine(x.T, 1.5)
    np.fill_diagonal(similarity, -np.inf)
    expected = top_lists(similarity, None, N, positive_only=True)
    for model in (ItemKNN(k_neighbors=3, shrinkage=1.5), UserKNN(shrinkage=1.5)):
        result = model.fit(small).similar_items(items, n=N)
        assert_same_lists(result, expected, items, items, key="item_id", other="similar_item_id")


def _dense_content_profiles(catalogue: pd.DataFrame, items: list) -> np.ndarray:
    """Title TF-IDF + one-hot category and brand (pandas get_dummies), rows scaled to unit length."""
    text = TfidfVectorizer().fit_transform(catalogue["title"]).toarray()
    onehot = pd.get_dummies(catalogue[["category", "brand"]], dtype=float).to_numpy()
    features = np.hstack([text, onehot])
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    order = {item: row for row, item in enumerate(catalogue["item_id"])}
    return features[[order[i] for i in items]]


def test_content_equals_dense(small, catalogue):
    x, users, items = dense_matrix(small)
    all_items = sorted(catalogue["item_id"])
    profiles = _dense_content_profiles(catalogue, all_items)
    x_all = np.zeros((len(users), len(all_items)))
    x_all[:, [all_items.index(i) for i in items]] = x
    user_profiles = (x_all / x_all.sum(axis=1, keepdims=True)) @ profiles
    user_profiles /= np.linalg.norm(user_profiles, axis=1, keepdims=True)
    expected = top_lists(user_profiles @ profiles.T, x_all, N, positive_only=True)
    model = ContentBased(numeric_column=None).fit(small, catalogue)
    assert_same_lists(model.recommend(users, n=N), expected, users, all_items)

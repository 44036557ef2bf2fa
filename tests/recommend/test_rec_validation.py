"""Bad input raises ValueError naming the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopcase.recommend import EASE, ContentBased, Hybrid, ItemKNN, Popularity, UserKNN

ALL = [Popularity, ItemKNN, UserKNN, EASE, ContentBased, lambda: Hybrid([ItemKNN(), ContentBased()])]


def _good() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": [1, 2, 2], "rating": [1.0, 2.0, 3.0]})


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [1, 2, 3],
            "title": ["red hat", "blue hat", "red shoe"],
            "category": ["x", "x", "y"],
            "brand": ["p", "q", "p"],
            "price": [1.0, 2.0, 3.0],
        }
    )


BAD_INTERACTIONS = {
    "missing column": (_good().drop(columns="rating"), "missing column"),
    "NaN user id": (_good().assign(user_id=["a", None, "b"]), "user_id"),
    "NaN item id": (_good().assign(item_id=[1.0, np.nan, 2.0]), "item_id"),
    "negative rating": (_good().assign(rating=[1.0, -2.0, 3.0]), "negative"),
    "infinite rating": (_good().assign(rating=[1.0, np.inf, 3.0]), "infinite"),
    "NaN rating": (_good().assign(rating=[1.0, np.nan, 3.0]), "NaN"),
    "zero rating": (_good().assign(rating=[1.0, 0.0, 3.0]), "equal to 0"),
    "text rating": (_good().assign(rating=["1", "2", "3"]), "numeric"),
    "duplicate pairs": (pd.concat([_good(), _good().iloc[:1]]), "duplicate"),
    "empty table": (_good().iloc[:0], "empty"),
    "not a frame": (_good().to_dict(), "DataFrame"),
}


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("case", list(BAD_INTERACTIONS))
def test_bad_interactions(make, case):
    frame, message = BAD_INTERACTIONS[case]
    with pytest.raises(ValueError, match=message):
        make().fit(frame, _catalogue())


@pytest.mark.parametrize("make", ALL)
def test_bad_requests(make):
    model = make().fit(_good(), _catalogue())
    for n in (0, -1, 2.5, True, "3", None):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            model.recommend(["a"], n=n)
        with pytest.raises(ValueError, match="n must be a positive integer"):
            model.similar_items([1], n=n)
    with pytest.raises(ValueError, match="missing"):
        model.recommend(["a", np.nan])
    with pytest.raises(ValueError, match="missing"):
        model.recommend([None])
    with pytest.raises(ValueError, match="duplicated"):
        model.similar_items([1, 1])
    with pytest.raises(ValueError, match=r"unknown item.*\b99\b"):
        model.similar_items([1, 99])
    with pytest.raises(ValueError, match="unknown method"):
        model.recommend_for_user("a", 3, method="magic")


def test_not_fitted():
    with pytest.raises(ValueError, match="not fitted"):
        ItemKNN().recommend(["a"])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (ItemKNN(k_neighbors=0), "k_neighbors"),
        (ItemKNN(k_neighbors=-3), "k_neighbors"),
        (ItemKNN(k_neighbors=2.5), "k_neighbors"),
        (UserKNN(k_neighbors=0), "k_neighbors"),
        (ItemKNN(shrinkage=-1.0), "shrinkage"),
        (UserKNN(shrinkage=np.inf), "shrinkage"),
        (ItemKNN(weighting="idf"), "weighting"),
        (ItemKNN(weighting="bm25", bm25_b=1.5), "bm25_b"),
        (EASE(l2=0.0), "l2"),
        (EASE(max_items=1), "max_items=1"),
        (Popularity(recency_half_life_days=-5), "recency_half_life_days"),
        (Popularity(recency_half_life_days=7), "timestamp"),
        (ItemKNN(chunk_rows=0), "chunk_rows"),
        (ContentBased(n_price_bands=1), "n_price_bands"),
        (ContentBased(text_column=None, categorical_columns=None, numeric_column=None), "at least one"),
        (ContentBased(categorical_columns=("colour",)), "colour"),
        (Hybrid([]), "non-empty"),
        (Hybrid([ItemKNN(), "EASE"]), "shopcase recommenders"),
        (Hybrid([ItemKNN(), EASE()], weights=[1.0]), "weights"),
        (Hybrid([ItemKNN(), EASE()], weights=[1.0, -1.0]), "weight"),
        (Hybrid([ItemKNN(), EASE()], weights=[0, 0]), "all zero"),
        (Hybrid([ItemKNN(), EASE()], strategy="mix"), "strategy"),
        (Hybrid([ItemKNN(), EASE()], normalisation="zscore"), "normalisation"),
        (Hybrid([ItemKNN()], strategy="alternate"), "two models"),
    ],
)
def test_bad_parameters(model, message):
    with pytest.raises(ValueError, match=message):
        model.fit(_good(), _catalogue())


def test_bad_catalogue():
    with pytest.raises(ValueError, match="needs item_features"):
        ContentBased().fit(_good())
    with pytest.raises(ValueError, match="needs item_features"):
        Hybrid([ItemKNN(), ContentBased()]).fit(_good())
    with pytest.raises(ValueError, match="category"):
        ContentBased().fit(_good(), _catalogue().assign(category=["x", None, "y"]))
    with pytest.raises(ValueError, match="duplicate"):
        ContentBased().fit(_good(), pd.concat([_catalogue(), _catalogue().iloc[:1]]))
    with pytest.raises(ValueError, match="price"):
        ContentBased().fit(_good(), _catalogue().assign(price=[1.0, -2.0, 3.0]))


def test_hybrid_methods_need_their_model():
    model = Hybrid([ItemKNN(), EASE()]).fit(_good())
    with pytest.raises(ValueError, match="content model"):
        model.recommend_for_user("a", 2, method="content")
    with pytest.raises(ValueError, match="provides method 'collaborative' only"):
        ItemKNN().fit(_good()).recommend_for_user("a", 2, method="content")

"""TimeDecayed equals its model fitted on a plainly decayed dense matrix; bad input raises ValueError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recommend_oracles import (
    assert_same_lists,
    cosine,
    dated_interactions,
    dense_matrix,
    ease_scores,
    item_knn_scores,
    top_lists,
)
from sklearn.base import clone

from shopcase.recommend import EASE, Hybrid, ItemKNN, Popularity
from shopcase.recommend.decay import TimeDecayed

N = 10


@pytest.fixture(scope="module")
def dated() -> pd.DataFrame:
    """60 users x 40 items, ~20% dense, ratings 0.5..5, each pair's last interaction on a random day of 2011."""
    return dated_interactions(60, 40, 0.2, seed=9)


def _decayed(frame: pd.DataFrame, half_life: float, binary: bool) -> tuple[np.ndarray, list, list]:
    """users x items strengths (or 1) times 0.5 ** (days before the latest timestamp / half_life)."""
    x, users, items = dense_matrix(frame)
    latest = frame["timestamp"].max()
    out = np.zeros_like(x)
    for u, i, r, t in frame[["user_id", "item_id", "rating", "timestamp"]].itertuples(index=False):
        age = (latest - t).total_seconds() / 86400
        out[users.index(u), items.index(i)] = (1.0 if binary else r) * 0.5 ** (age / half_life)
    return out, users, items


@pytest.mark.parametrize(("half_life", "binary", "l2"), [(30.0, False, 1.0), (120.0, True, 10.0), (1e6, False, 3.0)])
def test_decayed_ease_equals_dense(dated, half_life, binary, l2):
    x, users, items = _decayed(dated, half_life, binary)
    model = TimeDecayed(EASE(l2=l2), half_life_days=half_life, binary=binary).fit(dated)
    pairs = dated[["user_id", "item_id"]].itertuples(index=False)
    expected_strengths = [x[users.index(u), items.index(i)] for u, i in pairs]
    np.testing.assert_allclose(model.decayed_, expected_strengths, rtol=1e-12, atol=0)
    expected = top_lists(ease_scores(x, l2), x, N, positive_only=False)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)


def test_decayed_item_knn_equals_dense(dated):
    x, users, items = _decayed(dated, 60.0, True)
    model = TimeDecayed(ItemKNN(k_neighbors=5), half_life_days=60.0, binary=True).fit(dated)
    expected = top_lists(item_knn_scores(x, 5), x, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N), expected, users, items)
    expected_all = top_lists(item_knn_scores(x, 5), None, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N, exclude_seen=False), expected_all, users, items)


def test_similar_items_and_cold_start_are_the_models(dated):
    x, _, items = _decayed(dated, 45.0, False)
    model = TimeDecayed(ItemKNN(k_neighbors=3), half_life_days=45.0).fit(dated)
    similarity = cosine(x.T)
    np.fill_diagonal(similarity, -np.inf)
    expected = top_lists(similarity, None, N, positive_only=True)
    assert_same_lists(model.similar_items(items, n=N), expected, items, items, key="item_id", other="similar_item_id")
    cold = model.recommend(["nobody"], n=N)
    expected_cold = top_lists(x.sum(axis=0)[None, :], None, N, positive_only=False)[0]
    assert cold["item_id"].tolist() == [items[j] for j, _ in expected_cold]


def test_inside_a_hybrid_and_cloned(dated):
    users = sorted(dated["user_id"].unique())
    inner = TimeDecayed(EASE(l2=5.0), half_life_days=60.0, binary=True)
    hybrid = Hybrid([inner, Popularity()], weights=[1.0, 0.0]).fit(dated)
    alone = clone(inner).fit(dated)
    got = hybrid.recommend(users, n=N)
    want = alone.recommend(users, n=N)
    assert got[["user_id", "item_id", "rank"]].equals(want[["user_id", "item_id", "rank"]])
    assert alone._kind == "collaborative" and "_kind" not in vars(alone)  # read from its model, never stored
    assert TimeDecayed(Popularity())._kind == "popularity"


def _ok() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": [1, 2, 2],
            "rating": [1.0, 2.0, 3.0],
            "timestamp": pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01"]),
        }
    )


# Bad parameters and bad interactions of every model are in test_rec_contract.py; this is what only
# the models weighing recency need.
BAD = [
    (lambda: TimeDecayed(EASE()), _ok().drop(columns="timestamp"), "TimeDecayed needs a 'timestamp'"),
    (lambda: TimeDecayed(EASE()), _ok().assign(timestamp=[None, "2011-01-01", "2011-01-02"]), "timestamp"),
    (lambda: TimeDecayed(EASE()), _ok().assign(timestamp=["2011-01-01", "never", "2011-01-02"]), "timestamp"),
]


@pytest.mark.parametrize(("make", "frame", "message"), BAD)
def test_bad_input(make, frame, message):
    with pytest.raises(ValueError, match=message):
        make().fit(frame)

"""RepeatPurchase and RepeatAware equal plain dense numpy versions; bad input raises ValueError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recommend_oracles import (
    assert_same_lists,
    dated_interactions,
    dense_matrix,
    ease_scores,
    top_lists,
)

from shopcase.recommend import EASE, ItemKNN, Popularity
from shopcase.recommend.repeat import RepeatAware, RepeatPurchase

N = 10


@pytest.fixture(scope="module")
def dated() -> pd.DataFrame:
    """50 users x 30 items, ~25% dense, ratings 0.5..5, each pair's last purchase on a random day of 2011."""
    return dated_interactions(50, 30, 0.25, seed=5)


def _dense_ages(frame: pd.DataFrame, users: list, items: list) -> np.ndarray:
    """users x items days from each pair's timestamp to the latest one (NaN where no pair)."""
    latest = frame["timestamp"].max()
    ages = np.full((len(users), len(items)), np.nan)
    for u, i, t in frame[["user_id", "item_id", "timestamp"]].itertuples(index=False):
        ages[users.index(u), items.index(i)] = (latest - t).total_seconds() / 86400
    return ages


def _repeat_oracle(
    frame: pd.DataFrame, half_life, exponent, repeat_exp, min_strength, trend_half_life, trend_exp, pop_exp
) -> tuple[np.ndarray, list, list]:
    x, users, items = dense_matrix(frame)
    ages = _dense_ages(frame, users, items)
    scores = np.zeros_like(x)
    for j in range(x.shape[1]):
        buyers = sum(1 for u in range(x.shape[0]) if x[u, j] > 0)
        repeaters = sum(1 for u in range(x.shape[0]) if x[u, j] >= min_strength)
        item = ((repeaters + 1) / (buyers + 2)) ** repeat_exp
        if trend_half_life is not None:
            recent = sum(0.5 ** (ages[u, j] / trend_half_life) for u in range(x.shape[0]) if x[u, j] > 0)
            item *= (recent + 1) ** trend_exp
        item /= (buyers + 1) ** pop_exp
        for u in range(x.shape[0]):
            if x[u, j] > 0:
                decay = 1.0 if half_life is None else 0.5 ** (ages[u, j] / half_life)
                scores[u, j] = x[u, j] ** exponent * decay * item
    return scores, users, items


SETTINGS = [
    dict(recency_half_life_days=None, count_exponent=1.0),
    dict(recency_half_life_days=30.0, count_exponent=1.0),
    dict(recency_half_life_days=90.0, count_exponent=2.0, item_repeat_exponent=0.5),
    dict(
        count_exponent=1.5,
        item_repeat_exponent=1.0,
        repeat_min_strength=3.0,
        trend_half_life_days=14.0,
        trend_exponent=1.0,
        popularity_exponent=0.5,
    ),
]


@pytest.mark.parametrize("params", SETTINGS)
def test_repeat_purchase_equals_dense(dated, params):
    full = (
        dict(
            recency_half_life_days=None,
            count_exponent=1.0,
            item_repeat_exponent=0.0,
            repeat_min_strength=2.0,
            trend_half_life_days=None,
            trend_exponent=0.0,
            popularity_exponent=0.0,
        )
        | params
    )
    scores, users, items = _repeat_oracle(dated, *full.values())
    model = RepeatPurchase(**params).fit(dated)
    np.testing.assert_allclose(model.affinity_.toarray(), scores, rtol=0, atol=1e-9)
    expected = top_lists(scores, None, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N, exclude_seen=False), expected, users, items)


def test_repeat_purchase_only_re_recommends(dated):
    model = RepeatPurchase(recency_half_life_days=30.0).fit(dated)
    users = sorted(dated["user_id"].unique())
    assert model.recommend(users, n=N, exclude_seen=True).empty
    recs = model.recommend(users, n=N, exclude_seen=False)
    bought = set(zip(dated["user_id"], dated["item_id"], strict=True))
    assert all(pair in bought for pair in zip(recs["user_id"], recs["item_id"], strict=True))
    assert model.similar_items(["i00"], n=5).empty


def test_repeat_purchase_cold_user_gets_popularity(dated):
    cold = RepeatPurchase().fit(dated).recommend(["nobody"], n=N)
    popular = Popularity().fit(dated).recommend(["nobody"], n=N)
    assert cold["item_id"].tolist() == popular["item_id"].tolist()


def test_repeat_aware_equals_dense(dated):
    history = RepeatPurchase(recency_half_life_days=60.0, item_repeat_exponent=0.5)
    model = RepeatAware(history, EASE(l2=5.0), model_weight=0.3).fit(dated)
    x, users, items = dense_matrix(dated)
    rep, _, _ = _repeat_oracle(dated, 60.0, 1.0, 0.5, 2.0, None, 0.0, 0.0)
    cf = np.maximum(ease_scores(x, 5.0), 0.0)
    expected_scores = rep / rep.max(axis=1, keepdims=True) + 0.3 * cf / cf.max(axis=1, keepdims=True)
    expected = top_lists(expected_scores, None, N, positive_only=True)
    assert_same_lists(model.recommend(users, n=N, exclude_seen=False), expected, users, items)


def test_repeat_aware_without_seen_items_ranks_like_its_model(dated):
    users = sorted(dated["user_id"].unique())
    blend = RepeatAware(RepeatPurchase(), ItemKNN(k_neighbors=5), model_weight=0.5).fit(dated)
    alone = ItemKNN(k_neighbors=5).fit(dated)
    got = blend.recommend(users, n=N, exclude_seen=True)
    want = alone.recommend(users, n=N, exclude_seen=True)
    assert got[["user_id", "item_id", "rank"]].equals(want[["user_id", "item_id", "rank"]])


def test_repeat_aware_weight_zero_is_the_history(dated):
    users = sorted(dated["user_id"].unique())
    blend = RepeatAware(RepeatPurchase(), EASE(l2=5.0), model_weight=0.0).fit(dated)
    alone = RepeatPurchase().fit(dated)
    got = blend.recommend(users, n=N, exclude_seen=False)
    want = alone.recommend(users, n=N, exclude_seen=False)
    assert got[["user_id", "item_id", "rank"]].equals(want[["user_id", "item_id", "rank"]])


# Bad parameters and bad interactions of every model are in test_rec_contract.py; these need a timestamp.
BAD = [
    (lambda: RepeatPurchase(recency_half_life_days=30.0), "no timestamp", "RepeatPurchase with a half-life needs"),
    (lambda: RepeatPurchase(trend_half_life_days=30.0, trend_exponent=1.0), "no timestamp", "timestamp"),
    (lambda: RepeatPurchase(recency_half_life_days=30.0), "bad dates", "timestamp"),
    (lambda: RepeatAware(RepeatPurchase(recency_half_life_days=30.0)), "no timestamp", "timestamp"),
]


def _frames() -> dict[str, pd.DataFrame]:
    ok = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": [1, 2, 2],
            "rating": [1.0, 2.0, 3.0],
            "timestamp": pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01"]),
        }
    )
    return {
        "ok": ok,
        "no timestamp": ok.drop(columns="timestamp"),
        "bad dates": ok.assign(timestamp=["2011-01-01", "not a date", "2011-03-01"]),
    }


@pytest.mark.parametrize(("make", "frame", "message"), BAD)
def test_bad_input(make, frame, message):
    with pytest.raises(ValueError, match=message):
        make().fit(_frames()[frame])

"""Behaviour beyond the shared contract (test_rec_contract.py): new items, ties, short lists, chunk sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopcase.recommend import EASE, ContentBased, Hybrid, ItemKNN, Popularity, UserKNN
from shopcase.recommend.base import CHUNK_CELLS
from shopcase.schema import RECOMMENDATIONS_COLUMNS


def test_seen_items_come_back_without_exclusion(small):
    recs = ItemKNN(k_neighbors=10).fit(small).recommend(sorted(small["user_id"].unique()), n=10, exclude_seen=False)
    seen = set(zip(small["user_id"], small["item_id"], strict=True))
    assert any(pair in seen for pair in zip(recs["user_id"], recs["item_id"], strict=True))


def test_cold_start_fills_with_catalogue_items_last(small, catalogue):
    model = ContentBased().fit(small, catalogue)
    recs = model.recommend(["nobody"], n=100)
    assert len(recs) == len(catalogue)  # min(n, items known)
    assert recs["item_id"].tolist()[-3:] == ["i40", "i41", "i42"]  # never bought: score 0, by index
    assert (recs["score"].to_numpy()[-3:] == 0).all()


def test_new_items_via_content(small, catalogue):
    new = {"i40", "i41", "i42"}
    assert not new & set(small["item_id"])
    for model in (ContentBased(), Hybrid([ItemKNN(), ContentBased()])):
        model.fit(small, catalogue)
        recs = model.recommend(sorted(small["user_id"].unique()), n=10)
        assert new & set(recs["item_id"])  # brand-new items are recommendable
        similar = model.similar_items(["i41"], n=5)
        assert len(similar) == 5 and "i41" not in set(similar["similar_item_id"])
    with pytest.raises(ValueError, match="i41"):
        ItemKNN().fit(small, catalogue).similar_items(["i41"])  # ItemKNN ignores the catalogue


def test_ties_broken_by_item_index():
    # Ids deliberately unsorted in the table: index order is sorted id order (10 < 20 < 30).
    frame = pd.DataFrame(
        {"user_id": [1, 2, 2, 2, 3, 3, 3], "item_id": [30, 30, 20, 10, 30, 10, 20], "rating": [1.0] * 7}
    )
    assert Popularity().fit(frame).recommend([9], n=3)["item_id"].tolist() == [30, 10, 20]
    # User 1 has item 30; items 10 and 20 are equally similar to it and get equal scores.
    recs = ItemKNN().fit(frame).recommend([1], n=2)
    assert recs["item_id"].tolist() == [10, 20]
    assert recs["score"].iloc[0] == recs["score"].iloc[1]
    assert UserKNN().fit(frame).recommend([1], n=2)["item_id"].tolist() == [10, 20]


def test_n_larger_than_available(small):
    user = "u00"
    n_seen = int((small["user_id"] == user).sum())
    n_items = small["item_id"].nunique()
    for model in (Popularity(), EASE()):  # every unseen item is returnable
        assert len(model.fit(small).recommend([user], n=1000)) == n_items - n_seen
    knn = ItemKNN(k_neighbors=2).fit(small)
    recs = knn.recommend([user], n=1000)
    assert 0 < len(recs) < n_items - n_seen  # only items with a positive score
    assert (recs["score"] > 0).all()


def test_request_edge_cases(small):
    model = ItemKNN().fit(small)
    empty = model.recommend([], n=3)
    assert list(empty.columns) == list(RECOMMENDATIONS_COLUMNS) and len(empty) == 0
    single = model.recommend("u01", n=3)  # a single id is accepted as-is
    pd.testing.assert_frame_equal(single, model.recommend(["u01"], n=3))
    assert model.recommend_for_user("u01", 3) == single["item_id"].tolist()
    with pytest.raises(ValueError, match="duplicated"):
        model.recommend(["u01", "u02", "u01"])


def test_scoring_never_sees_more_rows_than_a_chunk(small):
    model = UserKNN(chunk_rows=7).fit(small)
    sizes = []
    score = model._score
    model._score = lambda rows: sizes.append(len(rows)) or score(rows)
    model.recommend(sorted(small["user_id"].unique()), n=5)
    assert max(sizes) == 7 and sum(sizes) == small["user_id"].nunique()


def test_default_chunk_is_memory_bounded():
    frame = pd.DataFrame({"user_id": np.arange(30_000) % 500, "item_id": np.arange(30_000), "rating": 1.0})
    model = Popularity().fit(frame)
    assert model._chunk_size() * model.n_items_ <= CHUNK_CELLS  # 166 rows x 30,000 items
    assert model._chunk_size() >= 1
    # UserKNN also holds chunk x all-users similarities: its chunks are bounded by the user count.
    many_users = frame.assign(user_id=np.arange(30_000), item_id=np.arange(30_000) % 500)
    user_knn = UserKNN().fit(many_users)
    assert user_knn._chunk_size() * 30_000 <= CHUNK_CELLS


def test_popularity_recency_decay_is_relative_to_latest_timestamp():
    frame = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 1],
            "item_id": ["old", "old", "old", "new"],
            "rating": [1.0, 1.0, 1.0, 2.0],
            "timestamp": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-21"]),
        }
    )
    model = Popularity(recency_half_life_days=10).fit(frame)
    np.testing.assert_allclose(model.scores_, [2.0, 3 * 0.5**2])  # items sorted: new, old
    assert Popularity().fit(frame).recommend([99], n=1)["item_id"].tolist() == ["old"]
    assert model.recommend([99], n=1)["item_id"].tolist() == ["new"]
    shifted = frame.assign(timestamp=frame["timestamp"] + pd.Timedelta(days=400))
    np.testing.assert_allclose(Popularity(recency_half_life_days=10).fit(shifted).scores_, model.scores_)


def test_price_bands(small, catalogue):
    model = ContentBased(text_column=None, categorical_columns=None, n_price_bands=4).fit(small, catalogue)
    assert model.feature_names_.tolist() == [f"price_band={b}" for b in range(4)]
    known = model.item_profiles_[model.item_index_.get_indexer(catalogue["item_id"])]
    assert (known.sum(axis=1) == 1).all()  # every item sits in exactly one band

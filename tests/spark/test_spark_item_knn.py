"""``ItemKNNSpark`` gives ``shopcase.recommend.ItemKNN``'s neighbours, lists and scores on the same data."""

import numpy as np
import pandas as pd
import pytest

from shopcase.recommend import ItemKNN
from shopcase.schema import ITEM_ID, RANK, SCORE, SIMILAR_ITEM_ID, USER_ID
from shopcase.spark.recommend import ItemKNNSpark

COLD = [10**6, 10**6 + 1]
"""Users unknown at fit: both sides give them the popularity ranking."""


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, ignore_index=True)


def _assert_same_lists(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = _sorted(got, [USER_ID, RANK]), _sorted(expected, [USER_ID, RANK])
    assert len(got) == len(expected)
    for column in (USER_ID, ITEM_ID, RANK):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy(), err_msg=column)
    np.testing.assert_allclose(got[SCORE], expected[SCORE], rtol=0, atol=1e-9)


CASES = {"events, k=20": ("events", 20, 0.0), "log1p purchases, k=4, shrinkage 2.5": ("log1p_purchases", 4, 2.5)}
"""Integer strengths (sums exact in any order) and float ones (the summation order matters), two settings."""


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, spark, knn_data):
    """The same data and parameters fitted on both sides (one Spark fit per case: fits cost seconds)."""
    data, k, shrinkage = CASES[request.param]
    interactions = knn_data[data]
    reference = ItemKNN(k_neighbors=k, shrinkage=shrinkage).fit(interactions)
    model = ItemKNNSpark(k_neighbors=k, shrinkage=shrinkage).fit(spark.createDataFrame(interactions))
    return interactions, reference, model


def test_lists_and_scores_equal_item_knn(spark, fitted):
    interactions, reference, model = fitted
    users = [*interactions[USER_ID].drop_duplicates().iloc[::2], *COLD]
    got = model.recommend(spark.createDataFrame(pd.DataFrame({USER_ID: users})), n=8).toPandas()
    _assert_same_lists(got, reference.recommend(users, n=8))


def test_every_user_with_seen_items_kept(fitted):
    _, reference, model = fitted
    got = model.recommend(n=5, exclude_seen=False).toPandas()
    _assert_same_lists(got, reference.recommend(reference.user_ids_, n=5, exclude_seen=False))


def test_neighbours_are_item_knn_similarity(fitted):
    _, reference, model = fitted
    got = _sorted(model.neighbours_.toPandas(), [ITEM_ID, SIMILAR_ITEM_ID])
    similarity = reference.similarity_.tocoo()  # a learned attribute of ItemKNN: its kept neighbours
    expected = pd.DataFrame(
        {
            ITEM_ID: reference.item_ids_[similarity.row],
            SIMILAR_ITEM_ID: reference.item_ids_[similarity.col],
            SCORE: similarity.data,
        }
    )
    expected = _sorted(expected, [ITEM_ID, SIMILAR_ITEM_ID])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-12)


def test_bad_input_is_refused_before_fitting(spark, knn_data):
    frame = spark.createDataFrame(knn_data["events"])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rating'\]"):
        ItemKNNSpark().fit(frame.drop("rating"))
    with pytest.raises(ValueError, match="k_neighbors"):
        ItemKNNSpark(k_neighbors=0).fit(frame)
    repeated = frame.unionByName(frame.limit(2))
    with pytest.raises(ValueError, match="2 repeated"):
        ItemKNNSpark().fit(repeated)
    nulls = spark.createDataFrame(pd.DataFrame({USER_ID: [1.0, None], ITEM_ID: [1, 2], "rating": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="column 'user_id' has 1 of 2 rows missing"):
        ItemKNNSpark().fit(nulls)
    zero = spark.createDataFrame(pd.DataFrame({USER_ID: [1, 2], ITEM_ID: [1, 2], "rating": [1.0, 0.0]}))
    with pytest.raises(ValueError, match="not finite and > 0"):
        ItemKNNSpark().fit(zero)
    model = ItemKNNSpark(k_neighbors=3).fit(
        spark.createDataFrame(pd.DataFrame({USER_ID: [1, 1], ITEM_ID: [1, 2], "rating": [1.0, 1.0]}))
    )
    with pytest.raises(ValueError, match="duplicated user ids"):
        model.recommend(spark.createDataFrame(pd.DataFrame({USER_ID: [1, 1]})))
    with pytest.raises(ValueError, match="not fitted"):
        ItemKNNSpark().recommend()

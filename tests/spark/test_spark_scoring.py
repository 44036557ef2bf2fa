"""``recommend_spark`` runs a fitted model's own ``recommend``; Spark metrics equal ``ranking_metrics``; ALS."""

import numpy as np
import pandas as pd
import pytest

from shopcase.evaluate import ranking_metrics
from shopcase.recommend import EASE, ItemKNN
from shopcase.schema import ITEM_ID, RANK, SCORE, USER_ID
from shopcase.spark import ALSSpark, ranking_metrics_spark, recommend_spark


def _users(spark, ids):
    return spark.createDataFrame(pd.DataFrame({USER_ID: ids}))


@pytest.mark.parametrize("model", [ItemKNN(k_neighbors=10), EASE(l2=50.0)], ids=["ItemKNN", "EASE"])
def test_recommend_spark_equals_the_models_recommend(spark, knn_data, model):
    interactions = knn_data["events"]
    model.fit(interactions)
    ids = [*interactions[USER_ID].drop_duplicates().iloc[::3], 10**6]  # and one user unknown to the model
    expected = model.recommend(ids, n=7).sort_values([USER_ID, RANK], ignore_index=True)
    got = recommend_spark(model, _users(spark, ids).repartition(3), n=7).toPandas()
    got = got.sort_values([USER_ID, RANK], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)  # the same code ran: the same bits


def test_recommend_spark_refuses_what_it_cannot_score(spark, knn_data):
    with pytest.raises(ValueError, match="shopcase recommender"):
        recommend_spark(object(), _users(spark, [1]))
    model = ItemKNN().fit(knn_data["events"])
    with pytest.raises(ValueError, match="duplicated user ids"):
        recommend_spark(model, _users(spark, [1, 1]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['user_id'\]"):
        recommend_spark(model, _users(spark, [1]).withColumnRenamed(USER_ID, "customer"))


def _random_case(seed: int, k: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lists of 0..k+3 items with gaps in the ranks, truth of 1..k+3 items (half from the list), extra users."""
    rng = np.random.default_rng(seed)
    recs, truth = [], []
    for user in range(60):
        items = rng.choice(40, size=rng.integers(0, k + 4), replace=False)
        ranks = np.sort(rng.choice(np.arange(1, 2 * k + 2), size=len(items), replace=False))
        recs += [(user, int(i), float(-r), int(r)) for i, r in zip(items, ranks, strict=True)]
        pool = np.concatenate([items[: len(items) // 2], rng.choice(40, k)])
        truth += [(user, int(i)) for i in pd.unique(pool)[: rng.integers(1, k + 4)]]
    recs += [(100 + u, u, 1.0, 1) for u in range(4)]  # users with a list and no truth: ignored
    return (
        pd.DataFrame(recs, columns=[USER_ID, ITEM_ID, SCORE, RANK]),
        pd.DataFrame(truth, columns=[USER_ID, ITEM_ID]),
    )


@pytest.mark.parametrize("k", [1, 5])
def test_spark_metrics_equal_ranking_metrics(spark, k):
    recs, truth = _random_case(seed=k)
    expected = ranking_metrics(recs, truth, k)
    got = ranking_metrics_spark(spark.createDataFrame(recs), spark.createDataFrame(truth), k)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=0, abs=1e-9), name
    assert expected["n_users_without_recs"] > 0 and expected["n_rec_users_without_truth"] == 4


def test_spark_metrics_refuse_bad_input(spark):
    recs, truth = _random_case(seed=3)
    r, t = spark.createDataFrame(recs), spark.createDataFrame(truth)
    with pytest.raises(ValueError, match=r"recs is missing column\(s\) \['rank'\]"):
        ranking_metrics_spark(r.drop(RANK), t, 5)
    with pytest.raises(ValueError, match="could never match"):
        ranking_metrics_spark(r, t.withColumn(USER_ID, t[USER_ID].cast("string")), 5)
    with pytest.raises(ValueError, match="not integers >= 1"):
        ranking_metrics_spark(r.withColumn(RANK, r[RANK] - 1), t, 5)
    with pytest.raises(ValueError, match="truth has repeated"):
        ranking_metrics_spark(r, t.unionByName(t.limit(1)), 5)
    with pytest.raises(ValueError, match="truth is empty"):
        ranking_metrics_spark(r, t.limit(0), 5)


def test_als_is_a_peer_with_the_same_conventions(spark, knn_data):
    interactions = knn_data["log1p_purchases"]
    frame = spark.createDataFrame(interactions)
    model = ALSSpark(factors=8, iterations=3, random_state=1, n_blocks=2).fit(frame)
    ids = [*interactions[USER_ID].drop_duplicates().iloc[:40], 10**6]
    recs = model.recommend(_users(spark, ids), n=5).toPandas().sort_values([USER_ID, RANK], ignore_index=True)
    assert recs.groupby(USER_ID).size().eq(5).all() and set(recs[USER_ID]) == set(ids)
    seen = recs.merge(interactions, on=[USER_ID, ITEM_ID])
    assert seen.empty  # seen items excluded
    assert (recs.groupby(USER_ID)[SCORE].diff().dropna() <= 0).all()  # ranked by score
    cold = recs[recs[USER_ID] == 10**6]
    popular = interactions.groupby(ITEM_ID)["rating"].sum().sort_values(ascending=False, kind="stable")
    assert cold[ITEM_ID].tolist() == popular.index[:5].tolist()  # unknown users: popularity, as on one machine
    with pytest.raises(ValueError, match="integer user_ids"):
        ALSSpark().fit(frame.withColumn(USER_ID, frame[USER_ID].cast("string")))

"""``shopcase.evaluate.ranking_metrics`` on Spark DataFrames: the same definitions, the same numbers.

Precision, recall, NDCG, both MAP conventions (AP / min(R, k) and AP / R), hit rate and MRR at ``k``,
averaged over every user in ``truth`` (a truth user without a list scores 0), computed with joins and
aggregations, so recommendations and truth never leave the cluster. Equal to the single-machine
function to 1e-9 (tested); see ``shopcase.evaluate.metrics`` for the definitions.
"""

from __future__ import annotations

import numpy as np

from shopcase.evaluate.metrics import RANKING_METRICS
from shopcase.schema import ITEM_ID, RANK, USER_ID
from shopcase.spark.checks import check_spark_frame
from shopcase.validate import check_int

_NUMERIC = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")


def _kind(spark_type: str) -> str:
    return "number" if spark_type.startswith(_NUMERIC) else spark_type


def _check_inputs(recs, truth) -> None:
    """Four short jobs: nulls and ranks of ``recs``, nulls and size of ``truth``, then repeats in each."""
    from pyspark.sql import functions as F

    check_spark_frame(recs, [USER_ID, ITEM_ID, RANK], "recs")
    check_spark_frame(truth, [USER_ID, ITEM_ID], "truth")
    rec_types, truth_types = dict(recs.dtypes), dict(truth.dtypes)
    for column in (USER_ID, ITEM_ID):
        if _kind(rec_types[column]) != _kind(truth_types[column]):
            raise ValueError(
                f"column {column!r}: recs holds {rec_types[column]} ids but truth holds {truth_types[column]}, "
                "so they could never match; cast one of them"
            )
    if not rec_types[RANK].startswith(_NUMERIC):
        raise ValueError(f"recs: column '{RANK}' must be numeric, got Spark type {rec_types[RANK]}")
    rank = F.col(RANK)
    for frame, name, columns, extra in (
        (recs, "recs", [USER_ID, ITEM_ID, RANK], F.count_if((rank < 1) | (rank != F.floor(rank)))),
        (truth, "truth", [USER_ID, ITEM_ID], F.lit(0)),
    ):
        counts = frame.agg(
            F.count(F.lit(1)).alias("rows"),
            extra.alias("bad"),
            *[F.count_if(F.col(c).isNull()).alias(c) for c in columns],
        ).first()
        for column in columns:
            if counts[column]:
                raise ValueError(
                    f"{name}: column '{column}' has {counts[column]:,} of {counts['rows']:,} rows missing (null)"
                )
        if counts["bad"]:
            raise ValueError(
                f"recs: column '{RANK}' has {counts['bad']:,} of {counts['rows']:,} rows that are not integers >= 1"
            )
        if name == "truth" and counts["rows"] == 0:
            raise ValueError("truth is empty: metrics need at least one relevant (user, item) row")
    repeated = (
        truth.groupBy(USER_ID, ITEM_ID).count().where(F.col("count") > 1).agg(F.sum(F.col("count") - 1)).first()[0]
    )
    if repeated:
        raise ValueError(
            f"truth has repeated (user_id, item_id) pairs: {repeated:,} duplicate rows; each must appear once"
        )
    per_user = recs.groupBy(USER_ID).agg(
        F.count(F.lit(1)).alias("rows"), F.count_distinct(ITEM_ID).alias("items"), F.count_distinct(RANK).alias("ranks")
    )
    repeats = per_user.agg(F.sum(F.col("rows") - F.col("items")), F.sum(F.col("rows") - F.col("ranks"))).first()
    if repeats[0]:
        raise ValueError(
            f"recs has repeated (user_id, item_id) pairs: {repeats[0]:,} duplicate rows; each must appear once"
        )
    if repeats[1]:
        raise ValueError(f"recs has repeated ranks for a user: {repeats[1]:,} duplicate rows; each must appear once")


def ranking_metrics_spark(recs, truth, k: int) -> dict[str, float | int]:
    """``shopcase.evaluate.ranking_metrics(recs, truth, k)`` for Spark DataFrames: the same keys and values.

    ``recs``: ``user_id, item_id, rank`` (other columns ignored); ``truth``: ``user_id, item_id``.
    Raises ``ValueError`` (before the metric jobs) for missing columns, null ids or ranks, ranks that are
    not integers >= 1, id columns of different kinds, repeated pairs or ranks, or an empty ``truth``.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    k = check_int(k, "k")
    _check_inputs(recs, truth)
    truth = truth.select(USER_ID, ITEM_ID)
    top = recs.select(USER_ID, ITEM_ID, F.col(RANK).cast("long").alias(RANK)).where(F.col(RANK) <= k)
    hits = top.join(truth, [USER_ID, ITEM_ID], "left_semi")
    hits = hits.withColumn("so_far", F.row_number().over(Window.partitionBy(USER_ID).orderBy(RANK)))
    rank = F.col(RANK).cast("double")
    per_hit_user = hits.groupBy(USER_ID).agg(
        F.count(F.lit(1)).alias("hits"),
        F.sum(1.0 / F.log2(rank + 1.0)).alias("dcg"),
        F.sum(F.col("so_far") / rank).alias("ap_sum"),
        (1.0 / F.min(rank)).alias("rr"),
    )
    listed = top.groupBy(USER_ID).agg(F.count(F.lit(1)).alias("listed"))
    per_user = (
        truth.groupBy(USER_ID)
        .agg(F.count(F.lit(1)).alias("relevant"))
        .join(per_hit_user, USER_ID, "left")
        .join(listed, USER_ID, "left")
        .fillna(0, subset=["hits", "dcg", "ap_sum", "rr", "listed"])
    )
    # ideal[m] = DCG of m hits at ranks 1..m, looked up at m = min(R, k)
    ideal = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2, dtype=float)))])
    capped = F.least(F.col("relevant"), F.lit(k))
    idcg = F.element_at(F.array(*[F.lit(float(v)) for v in ideal]), (capped + 1).cast("int"))
    row = per_user.agg(
        F.count(F.lit(1)).alias("n_users"),
        F.count_if(F.col("listed") == 0).alias("n_users_without_recs"),
        F.avg(F.col("hits") / k).alias("precision_at_k"),
        F.avg(F.col("hits") / F.col("relevant")).alias("recall_at_k"),
        F.avg(F.col("dcg") / idcg).alias("ndcg_at_k"),
        F.avg(F.col("ap_sum") / capped).alias("map_at_k"),
        F.avg(F.col("ap_sum") / F.col("relevant")).alias("map_all_relevant_at_k"),
        F.avg((F.col("hits") > 0).cast("double")).alias("hit_rate_at_k"),
        F.avg("rr").alias("mrr_at_k"),
    ).first()
    rec_users = recs.select(USER_ID).distinct()
    outside = rec_users.join(truth.select(USER_ID).distinct(), USER_ID, "left_anti").count()
    result: dict[str, float | int] = {
        "k": k,
        "n_users": int(row["n_users"]),
        "n_users_without_recs": int(row["n_users_without_recs"]),
        "n_rec_users_without_truth": int(outside),
    }
    result.update({name: float(row[name]) for name in RANKING_METRICS})
    return result

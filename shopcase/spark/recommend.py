"""Recommenders on Spark DataFrames: the shared machinery and ``ItemKNNSpark``.

``SparkRecommender`` does once what every Spark model shares, as ``shopcase.recommend.base`` does on one
machine: validate the interactions, the popularity ranking for users unknown at fit time, excluding
seen items and the deterministic top-n (score descending, then item id ascending). A model supplies
candidate scores for known users (``_candidates``).

Equal to the single-machine models, not merely close: where ``shopcase`` sums a sequence of products
(a sparse product accumulates them in index order), Spark here sums the same products in the same
order (``ordered_sum``), so scores have the same bits and ties fall the same way. ``ItemKNN``'s item
norms are numpy's pairwise sums, so they are computed by numpy (a pandas UDF over each item's values).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from shopcase.schema import INTERACTIONS_COLUMNS, ITEM_ID, RANK, RATING, SCORE, SIMILAR_ITEM_ID, USER_ID, K
from shopcase.spark.checks import check_spark_frame
from shopcase.validate import check_bool, check_int, check_number


def ordered_sum(order: str, value):
    """``sum(value)`` over a group, added left to right in ascending ``order`` from 0.0 (a Spark column).

    Floating-point sums depend on their order; this is the order of ``scipy.sparse`` products, so the
    result has the same bits as shopcase's single-machine code (a plain ``F.sum`` does not promise it).
    """
    from pyspark.sql import functions as F

    terms = F.array_sort(F.collect_list(F.struct(F.col(order).alias("o"), value.alias("v"))))
    return F.aggregate(terms, F.lit(0.0).cast("double"), lambda total, term: total + term["v"])


def top_n(scores, key: str, item: str, n: int, score: str = SCORE):
    """Each ``key``'s ``n`` best rows by ``score`` descending, then ``item`` ascending, with ``rank`` 1..n."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy(key).orderBy(F.col(score).desc(), F.col(item).asc())
    ranked = scores.withColumn(RANK, F.row_number().over(window).cast("long"))
    return ranked.where(F.col(RANK) <= n)


def check_interactions_spark(interactions, name: str = "interactions"):
    """``validate_interactions`` for Spark: columns, no null ids or ratings, ratings finite and > 0, pairs unique.

    Two short jobs (one pass for nulls and ratings, one aggregation for repeated pairs), before any
    long one. Returns ``user_id, item_id, rating`` with the rating as double.
    """
    from pyspark.sql import functions as F

    check_spark_frame(interactions, INTERACTIONS_COLUMNS, name)
    rating = F.col(RATING).cast("double")
    counts = interactions.agg(
        F.count(F.lit(1)).alias("rows"),
        *[F.count_if(F.col(c).isNull()).alias(c) for c in (USER_ID, ITEM_ID, RATING)],
        F.count_if(F.isnan(rating) | (rating == float("inf")) | (rating <= 0)).alias("bad"),
    ).first()
    if counts["rows"] == 0:
        raise ValueError(f"{name} is empty: it needs at least one row")
    for column in (USER_ID, ITEM_ID, RATING):
        if counts[column]:
            raise ValueError(
                f"{name}: column '{column}' has {counts[column]:,} of {counts['rows']:,} rows missing (null)"
            )
    if counts["bad"]:
        raise ValueError(f"{name}: column 'rating' has {counts['bad']:,} of {counts['rows']:,} rows not finite and > 0")
    frame = interactions.select(USER_ID, ITEM_ID, rating.alias(RATING))
    repeated = frame.groupBy(USER_ID, ITEM_ID).count().where(F.col("count") > 1).count()
    if repeated:
        raise ValueError(f"{name} has {repeated:,} repeated (user_id, item_id) pairs; aggregate them first")
    return frame


def check_users_spark(users, name: str = "users"):
    """Requested users: a Spark DataFrame with ``user_id``, no nulls, each id once (one short job)."""
    from pyspark.sql import functions as F

    check_spark_frame(users, [USER_ID], name, not_null=[USER_ID])
    counts = users.agg(F.count(F.lit(1)).alias("rows"), F.count_distinct(USER_ID).alias("ids")).first()
    if counts["rows"] != counts["ids"]:
        raise ValueError(f"{name}: {counts['rows'] - counts['ids']:,} duplicated user ids; request each id once")
    return users.select(USER_ID)


class SparkRecommender(BaseEstimator):
    """Base of shopcase's Spark recommenders (scikit-learn conventions, Spark DataFrames in and out).

    Learned: ``interactions_`` (validated, cached), ``item_popularity_`` (pandas Series: summed strength
    per item, index item id sorted), then the model's own state.
    """

    def fit(self, interactions) -> Self:
        """Learn from a Spark DataFrame ``user_id, item_id, rating`` (rating > 0, one row per pair)."""
        from pyspark.sql import functions as F

        self._check_params()
        frame = check_interactions_spark(interactions).persist()
        popularity = frame.groupBy(ITEM_ID).agg(ordered_sum(USER_ID, F.col(RATING)).alias(SCORE)).toPandas()
        self.interactions_ = frame
        self.item_popularity_ = popularity.set_index(ITEM_ID)[SCORE].sort_index()
        self._fit(frame)
        return self

    def _check_params(self) -> None:
        """Validate the parameters (before any state changes)."""

    def _fit(self, interactions) -> None:
        raise NotImplementedError

    def _candidates(self, users, n: int, exclude_seen: bool):
        """Scores ``user_id, item_id, score`` of candidate items for ``users`` (all known at fit).

        Enough to leave ``n`` per user once seen items are dropped (``exclude_seen``).
        """
        raise NotImplementedError

    def recommend(self, users=None, n: int = K, exclude_seen: bool = True):
        """Top-``n`` items per user: Spark DataFrame ``user_id, item_id, score, rank`` (rank 1 = best).

        ``users``: a Spark DataFrame with ``user_id`` (each once, no nulls), or None for every user seen
        at fit. Users unknown at fit get the popularity ranking; ``exclude_seen`` drops items the user
        interacted with. Ties: item id ascending. Lazy: nothing runs until the result is used.
        """
        from pyspark.sql import functions as F

        if not hasattr(self, "interactions_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")
        n = check_int(n, "n")
        check_bool(exclude_seen, "exclude_seen")
        seen = self.interactions_.select(USER_ID, ITEM_ID)
        known_users = seen.select(USER_ID).distinct()
        if users is None:
            users, cold = known_users, None
        else:
            users = check_users_spark(users)
            cold = users.join(known_users, USER_ID, "left_anti")
            users = users.join(known_users, USER_ID, "left_semi")
        scores = self._candidates(users, n, exclude_seen)
        if self._positive_only:  # a score of 0 is no evidence: such items are not returned (as on one machine)
            scores = scores.where(F.col(SCORE) > 0)
        if exclude_seen:
            scores = scores.join(seen, [USER_ID, ITEM_ID], "left_anti")
        result = top_n(scores, USER_ID, ITEM_ID, n).select(USER_ID, ITEM_ID, SCORE, RANK)
        if cold is not None:
            result = result.unionByName(self._cold_start(cold, n))
        return result

    _positive_only: bool = True
    """True: only items with a score > 0 are returned (neighbourhood models); False: any finite score (ALS)."""

    def _cold_start(self, users, n: int):
        """The popularity top-``n`` (ties: item id ascending) for every user in ``users``."""
        from pyspark.sql import functions as F

        popular = self.item_popularity_.rename_axis(ITEM_ID).reset_index()
        popular = popular.sort_values([SCORE, ITEM_ID], ascending=[False, True], kind="stable").head(n)
        popular[RANK] = np.arange(1, len(popular) + 1, dtype=np.int64)
        table = self.interactions_.sparkSession.createDataFrame(popular[[ITEM_ID, SCORE, RANK]])
        table = table.select(
            F.col(ITEM_ID).cast(dict(self.interactions_.dtypes)[ITEM_ID]), F.col(SCORE).cast("double"), RANK
        )
        return users.crossJoin(F.broadcast(table)).select(USER_ID, ITEM_ID, SCORE, RANK)


def _norms_udf():
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("double")
    def pairwise_norm(values: pd.Series) -> pd.Series:
        # np.add.reduce sums pairwise, as scipy's row sums (row_norms) do: the same bits.
        return pd.Series([float(np.sqrt(np.add.reduce(np.square(np.asarray(v, dtype=np.float64))))) for v in values])

    return pairwise_norm


class ItemKNNSpark(SparkRecommender):
    """``shopcase.recommend.ItemKNN`` on Spark: the same neighbours, scores and lists, from Spark DataFrames.

    Fit: co-occurrence by user (a self-join of the interactions on ``user_id``, each item pair once),
    the shrunk cosine ``dot(i, j) / (|i| |j| + shrinkage)``, and each item's ``k_neighbors`` most similar
    other items (positive, ties to the lower item id) with a window. Recommend: each user's history
    joined with the neighbour table, ``score(u, j) = sum_i r(u, i) S[i, j]``; seen items excluded; the
    single-machine model's tie rule. Raw strengths only (ItemKNN's default ``weighting=None``).

    Cost: the self-join makes ``sum_u n_u^2`` rows (n_u = items of user u); recommending makes
    ``n_u x k_neighbors`` rows per user. Learned: ``neighbours_`` (``item_id, similar_item_id, score``,
    cached), plus the base's attributes.
    """

    def __init__(self, k_neighbors: int = 100, shrinkage: float = 0.0) -> None:
        self.k_neighbors = k_neighbors
        self.shrinkage = shrinkage

    def _check_params(self) -> None:
        check_int(self.k_neighbors, "k_neighbors")
        check_number(self.shrinkage, "shrinkage", low=0)

    def _fit(self, interactions) -> None:
        from pyspark.sql import functions as F

        left, right = interactions.alias("a"), interactions.alias("b")
        pairs = left.join(
            right, (F.col(f"a.{USER_ID}") == F.col(f"b.{USER_ID}")) & (F.col(f"a.{ITEM_ID}") < F.col(f"b.{ITEM_ID}"))
        ).select(
            F.col(f"a.{ITEM_ID}").alias("i"),
            F.col(f"b.{ITEM_ID}").alias("j"),
            F.col(f"a.{USER_ID}").alias("u"),
            (F.col(f"a.{RATING}") * F.col(f"b.{RATING}")).alias("p"),
        )
        dots = pairs.groupBy("i", "j").agg(ordered_sum("u", F.col("p")).alias("dot"))
        norm = _norms_udf()
        norms = (
            interactions.groupBy(ITEM_ID)
            .agg(F.array_sort(F.collect_list(F.struct(USER_ID, RATING))).alias("values"))
            .select(F.col(ITEM_ID).alias("item"), norm(F.col(f"values.{RATING}")).alias("norm"))
        )
        norms = F.broadcast(norms)
        similar = (
            dots.join(norms.withColumnsRenamed({"item": "i", "norm": "norm_i"}), "i")
            .join(norms.withColumnsRenamed({"item": "j", "norm": "norm_j"}), "j")
            .select("i", "j", (F.col("dot") / (F.col("norm_i") * F.col("norm_j") + float(self.shrinkage))).alias(SCORE))
            .where(F.col(SCORE) > 0)
        )
        both = similar.unionByName(similar.select(F.col("j").alias("i"), F.col("i").alias("j"), SCORE))
        kept = top_n(both, "i", "j", int(self.k_neighbors))
        self.neighbours_ = kept.select(F.col("i").alias(ITEM_ID), F.col("j").alias(SIMILAR_ITEM_ID), SCORE).persist()
        self.neighbours_.count()  # materialise now: fit pays for the similarity, recommend only for scoring

    def _candidates(self, users, n: int, exclude_seen: bool):
        from pyspark.sql import functions as F

        history = self.interactions_.join(users, USER_ID, "left_semi")
        products = history.join(self.neighbours_, ITEM_ID).select(
            USER_ID, F.col(SIMILAR_ITEM_ID).alias("j"), ITEM_ID, (F.col(RATING) * F.col(SCORE)).alias("p")
        )
        scores = products.groupBy(USER_ID, "j").agg(ordered_sum(ITEM_ID, F.col("p")).alias(SCORE))
        return scores.select(USER_ID, F.col("j").alias(ITEM_ID), SCORE)

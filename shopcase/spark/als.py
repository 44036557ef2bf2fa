"""Spark's own ALS (implicit feedback) as a peer, with shopcase's interface and conventions.

``pyspark.ml.recommendation.ALS`` with ``implicitPrefs=True`` (Hu, Koren and Volinsky's confidence
weighting, ``alpha`` x strength): the recommender a Spark shop would reach for first. Wrapped in
``SparkRecommender`` so it takes the same interactions, excludes seen items, breaks ties by item id,
gives unknown users the popularity ranking, and is scored by the same ``ranking_metrics_spark``.
"""

from __future__ import annotations

from shopcase.schema import ITEM_ID, RATING, SCORE, SEED, USER_ID
from shopcase.spark.recommend import SparkRecommender
from shopcase.validate import check_bool, check_int, check_number

_INT32 = 2**31 - 1


class ALSSpark(SparkRecommender):
    """Implicit-feedback matrix factorisation on Spark (``pyspark.ml`` ALS), shopcase's interface.

    Parameters
    ----------
    factors : int
        Latent dimensions (ALS ``rank``).
    iterations : int
        Alternating sweeps (``maxIter``).
    regularization : float
        L2 penalty (``regParam``).
    alpha : float
        Confidence per unit of strength (``alpha``): confidence = 1 + alpha x rating.
    random_state : int
        Seed of the factor initialisation.
    implicit_prefs : bool
        True (default): strengths are implicit feedback; False: explicit ratings to reconstruct.
    n_blocks : int, optional
        User and item blocks of Spark's ALS (``numUserBlocks``, ``numItemBlocks``); default Spark's 10.
        Results depend on it; a few per core suit one machine (tiny data: 1 or 2).

    Ids must be integers within 32 bits (Spark's ALS stores them as ``int``); checked at fit. Scores
    can be negative: every unseen item with a score is a candidate, as ``EASE`` does on one machine.
    Learned: ``model_`` (``ALSModel``), ``max_seen_`` (most items any user has), plus the base's.
    """

    _positive_only = False

    def __init__(
        self,
        factors: int = 32,
        iterations: int = 10,
        regularization: float = 0.1,
        alpha: float = 1.0,
        random_state: int = SEED,
        implicit_prefs: bool = True,
        n_blocks: int | None = None,
    ) -> None:
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.alpha = alpha
        self.random_state = random_state
        self.implicit_prefs = implicit_prefs
        self.n_blocks = n_blocks

    def _check_params(self) -> None:
        check_int(self.factors, "factors")
        check_int(self.iterations, "iterations")
        check_number(self.regularization, "regularization", low=0.0)
        check_number(self.alpha, "alpha", low=0.0)
        check_int(self.random_state, "random_state", low=0)
        check_bool(self.implicit_prefs, "implicit_prefs")
        if self.n_blocks is not None:
            check_int(self.n_blocks, "n_blocks")

    def _fit(self, interactions) -> None:
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import functions as F

        types = dict(interactions.dtypes)
        for column in (USER_ID, ITEM_ID):
            if types[column] not in ("tinyint", "smallint", "int", "bigint"):
                raise ValueError(f"interactions: ALSSpark needs integer {column}s (Spark's ALS), got {types[column]}")
        # One job: the most items any user has (to ask ALS for enough candidates) and the id ranges.
        per_user = interactions.groupBy(USER_ID).agg(
            F.count(F.lit(1)).alias("n"), F.min(ITEM_ID).alias("lo"), F.max(ITEM_ID).alias("hi")
        )
        bounds = per_user.agg(
            F.max("n").alias("seen"),
            F.min(USER_ID).alias(f"min_{USER_ID}"),
            F.max(USER_ID).alias(f"max_{USER_ID}"),
            F.min("lo").alias(f"min_{ITEM_ID}"),
            F.max("hi").alias(f"max_{ITEM_ID}"),
        ).first()
        for column in (USER_ID, ITEM_ID):
            if bounds[f"min_{column}"] < -_INT32 - 1 or bounds[f"max_{column}"] > _INT32:
                raise ValueError(f"interactions: {column} must fit in 32 bits for Spark's ALS")
        self.max_seen_ = int(bounds["seen"])
        als = ALS(
            rank=int(self.factors),
            maxIter=int(self.iterations),
            regParam=float(self.regularization),
            alpha=float(self.alpha),
            implicitPrefs=bool(self.implicit_prefs),
            seed=int(self.random_state),
            userCol=USER_ID,
            itemCol=ITEM_ID,
            ratingCol=RATING,
            coldStartStrategy="drop",
            **({} if self.n_blocks is None else {"numUserBlocks": self.n_blocks, "numItemBlocks": self.n_blocks}),
        )
        frame = interactions.select(F.col(USER_ID).cast("int"), F.col(ITEM_ID).cast("int"), RATING)
        self.model_ = als.fit(frame)

    def _candidates(self, users, n: int, exclude_seen: bool):
        from pyspark.sql import functions as F

        types = dict(self.interactions_.dtypes)
        # Ask for enough to leave n once a user's seen items are dropped.
        wanted = n + (self.max_seen_ if exclude_seen else 0)
        lists = self.model_.recommendForUserSubset(users.select(F.col(USER_ID).cast("int")), wanted)
        exploded = lists.select(USER_ID, F.explode("recommendations").alias("r"))
        return exploded.select(
            F.col(USER_ID).cast(types[USER_ID]),
            F.col(f"r.{ITEM_ID}").cast(types[ITEM_ID]).alias(ITEM_ID),
            F.col("r.rating").cast("double").alias(SCORE),
        )

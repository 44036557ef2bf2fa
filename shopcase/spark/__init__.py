"""The same work on Apache Spark: the shop as Parquet, ItemKNN, scoring of any model, metrics, ALS as a peer.

Every function here gives the single-machine answer (tested on ``local[2]``): ``generate_shop_spark``
writes ``generate_shop``'s tables, ``ItemKNNSpark`` returns ``ItemKNN``'s lists and scores,
``recommend_spark`` runs a fitted model's own ``recommend`` on the executors, ``ranking_metrics_spark``
equals ``shopcase.evaluate.ranking_metrics``. ``ALSSpark`` is Spark's ALS (implicit feedback) as a peer.

pyspark is imported only when a function runs, so ``import shopcase.spark`` works without it; starting a
session (``spark_session``) says what is missing (pyspark, Java 17+).
"""

from shopcase.spark.als import ALSSpark
from shopcase.spark.checks import check_spark_frame
from shopcase.spark.data import (
    SparkShop,
    compare_to_shop,
    generate_shop_spark,
    interactions_spark,
    purchase_interactions_spark,
    read_shop_spark,
)
from shopcase.spark.metrics import ranking_metrics_spark
from shopcase.spark.recommend import ItemKNNSpark, SparkRecommender
from shopcase.spark.scoring import compare_lists, recommend_spark
from shopcase.spark.session import check_master, default_master, missing_spark_requirements, spark_session

__all__ = [
    "ALSSpark",
    "ItemKNNSpark",
    "SparkRecommender",
    "SparkShop",
    "check_master",
    "compare_lists",
    "compare_to_shop",
    "check_spark_frame",
    "default_master",
    "generate_shop_spark",
    "interactions_spark",
    "missing_spark_requirements",
    "purchase_interactions_spark",
    "ranking_metrics_spark",
    "read_shop_spark",
    "recommend_spark",
    "spark_session",
]

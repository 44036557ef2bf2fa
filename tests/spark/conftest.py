"""One ``local[2]`` Spark session for every Spark test module (a start costs ~12 s), and small shared data.

The shop is tiny but spans two user blocks (``USER_BLOCK`` + 50 users), so the Parquet writer's
renumbering across blocks is exercised; a short log (three weeks) keeps it to ~100k events.
"""

import pytest
from spark_helpers import require_spark

PYSPARK_NOISE = (
    "ignore:PySpark does not yet fully support pandas:FutureWarning",
    "ignore:The copy keyword is deprecated",
)
"""pyspark 4.3 under pandas 3 warns on every conversion; the conversions are tested equal here."""

SMALL_SHOP = {"n_users": 20_050, "n_items": 300, "seed": 7, "end": "2023-01-21"}


@pytest.fixture(scope="package")
def spark():
    require_spark()
    from shopcase.spark import spark_session

    session = spark_session("local[2]", shuffle_partitions=4, config={"spark.default.parallelism": "4"})
    yield session
    session.stop()


@pytest.fixture(scope="package")
def shop():
    from shopcase.data import generate_shop

    return generate_shop(**SMALL_SHOP)


@pytest.fixture(scope="package")
def knn_data():
    """Small interactions for the recommender proofs: integer strengths (events) and float ones (log1p)."""
    from shopcase.data import generate_shop, interactions_from_events, purchase_interactions

    events = generate_shop(n_users=500, n_items=150, seed=11).events
    purchases = purchase_interactions(events, strength="log1p")
    return {"events": interactions_from_events(events), "log1p_purchases": purchases.drop(columns="timestamp")}


@pytest.fixture(scope="package")
def spark_shop(spark, tmp_path_factory):
    from shopcase.spark import generate_shop_spark

    return generate_shop_spark(spark, tmp_path_factory.mktemp("spark") / "shop", **SMALL_SHOP)


def pytest_collection_modifyitems(items):
    for item in items:
        for noise in PYSPARK_NOISE:
            item.add_marker(pytest.mark.filterwarnings(noise))

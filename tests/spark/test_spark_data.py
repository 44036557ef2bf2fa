"""The Parquet shop written by Spark tasks equals ``generate_shop``; interactions on Spark equal pandas'."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import interactions_from_events, purchase_interactions
from shopcase.schema import EMAILS_COLUMNS, EVENTS_COLUMNS, ITEM_ID, USER_ID
from shopcase.spark import compare_to_shop, interactions_spark, purchase_interactions_spark, read_shop_spark

EVENT_ORDER = ["timestamp", "session_id", "event_type", "item_id"]
"""A total order of the log's rows (the lines of one order differ by item): both sides sorted by it."""


def _same(spark_frame, expected: pd.DataFrame, order: list[str]) -> None:
    got = spark_frame.select(*expected.columns).toPandas()
    categories = [c for c in expected.columns if isinstance(expected[c].dtype, pd.CategoricalDtype)]
    expected = expected.astype(dict.fromkeys(categories, str))  # Spark reads categories as strings
    got = got.sort_values(order, ignore_index=True)
    expected = expected.sort_values(order, ignore_index=True)
    for column in expected.columns:
        left, right = got[column], expected[column]
        if right.dtype == "Int64":  # nullable ids: Spark gives floats with NaN
            left, right = left.astype("Float64"), right.astype("Float64")
        pd.testing.assert_series_equal(left, right, check_dtype=False, check_names=False, obj=column)


def test_the_parquet_shop_equals_generate_shop(shop, spark_shop):
    assert spark_shop.config == shop.config
    assert spark_shop.events.select("block").distinct().count() == 2  # two user blocks, renumbered
    _same(spark_shop.events, shop.events, EVENT_ORDER)
    _same(spark_shop.users, shop.users, [USER_ID])
    _same(spark_shop.emails, shop.emails, list(EMAILS_COLUMNS))
    _same(spark_shop.catalogue, shop.catalogue, [ITEM_ID])
    _same(spark_shop.prices, shop.prices, list(shop.prices.columns))
    _same(spark_shop.stockouts, shop.stockouts, list(shop.stockouts.columns))


def test_compare_to_shop_says_equal_and_spots_a_difference(shop, spark_shop):
    assert compare_to_shop(spark_shop, shop)["equal"].all()
    original = shop.users.loc[0, "sessions_per_month"]
    shop.users.loc[0, "sessions_per_month"] = original + 1e-9
    try:
        table = compare_to_shop(spark_shop, shop).set_index("table")["equal"]
    finally:
        shop.users.loc[0, "sessions_per_month"] = original
    assert not table["users"] and table.drop("users").all()


def test_reading_back_gives_the_same_shop(spark, spark_shop):
    again = read_shop_spark(spark, spark_shop.path)
    assert again.config == spark_shop.config
    assert again.events.count() == spark_shop.events.count()


def test_interactions_on_spark_equal_pandas(shop, spark_shop):
    expected = interactions_from_events(shop.events, with_timestamp=True)
    _same(interactions_spark(spark_shop.events, with_timestamp=True), expected, [USER_ID, ITEM_ID])
    weights = {"view": 0.0, "cart": 2.5, "purchase": 4.0}
    expected = interactions_from_events(shop.events, weights=weights, aggregate="max")
    _same(interactions_spark(spark_shop.events, weights=weights, aggregate="max"), expected, [USER_ID, ITEM_ID])


@pytest.mark.parametrize("strength", ["count", "log1p"])
def test_purchase_interactions_on_spark_equal_pandas(shop, spark_shop, strength):
    got = purchase_interactions_spark(spark_shop.events, strength).toPandas()
    expected = purchase_interactions(shop.events, strength)
    got = got.sort_values([USER_ID, ITEM_ID], ignore_index=True)
    assert got[[USER_ID, ITEM_ID]].equals(expected[[USER_ID, ITEM_ID]])
    np.testing.assert_allclose(got["rating"], expected["rating"], rtol=1e-12)


def test_a_missing_or_incomplete_path_is_named(spark, tmp_path):
    with pytest.raises(ValueError, match="no shop at .*does not exist"):
        read_shop_spark(spark, tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    with pytest.raises(ValueError, match="not a complete shop: missing"):
        read_shop_spark(spark, tmp_path / "half")


def test_an_existing_path_is_not_overwritten_unless_asked(spark, spark_shop):
    from shopcase.spark import generate_shop_spark

    with pytest.raises(ValueError, match="exists; pass overwrite=True"):
        generate_shop_spark(spark, spark_shop.path, n_users=10, n_items=100)
    with pytest.raises(ValueError, match="n_items must be at least"):
        generate_shop_spark(spark, spark_shop.path + "-new", n_users=10, n_items=5)


def test_bad_event_frames_are_refused_before_the_job(spark, spark_shop):
    with pytest.raises(ValueError, match=r"events is missing column\(s\) \['event_type'\]"):
        interactions_spark(spark_shop.events.drop("event_type"))
    nulls = spark.createDataFrame(
        pd.DataFrame({c: spark_shop.events.limit(3).toPandas()[c] for c in EVENTS_COLUMNS}).assign(user_id=[1, None, 3])
    )
    with pytest.raises(ValueError, match="column 'user_id' has 1 of 3 rows missing"):
        interactions_spark(nulls)
    with pytest.raises(ValueError, match="no weight"):
        interactions_spark(spark_shop.events, weights={"view": 1.0})
    with pytest.raises(ValueError, match="must be a Spark DataFrame"):
        interactions_spark(pd.DataFrame())

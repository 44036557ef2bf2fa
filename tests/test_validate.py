import numpy as np
import pandas as pd
import pytest

from shopcase.schema import INTERACTIONS_COLUMNS
from shopcase.validate import CleaningReport, as_timestamp, require_positive_int, validate_frame

SCHEMA = {"user_id": "id", "item_id": "id", "rating": "number", "when": "datetime"}


def frame(**changes):
    base = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "item_id": ["a", "b", "c"],
            "rating": [1.0, 2.0, 3.0],
            "when": ["2023-01-01", "2023-01-02", "2023-01-03"],
        }
    )
    return base.assign(**changes)


def test_valid_frame_is_returned_with_dates_parsed():
    out = validate_frame(frame(), SCHEMA, "t")
    assert pd.api.types.is_datetime64_any_dtype(out["when"])
    assert len(out) == 3


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"user_id": [1, None, 3]}, r"'user_id' has 1 of 3 rows missing"),
        ({"item_id": ["a", np.nan, np.nan]}, r"'item_id' has 2 of 3 rows missing"),
        ({"rating": [1.0, -2.0, 3.0]}, r"'rating' has 1 of 3 rows negative"),
        ({"rating": [1.0, np.inf, 3.0]}, r"'rating' has 1 of 3 rows infinite"),
        ({"rating": [1.0, np.nan, 3.0]}, r"'rating' has 1 of 3 rows missing"),
        ({"rating": ["x", "y", "z"]}, r"'rating' must be numeric"),
        ({"when": ["2023-01-01", "not a date", "2023-01-03"]}, r"'when' is not parseable"),
        ({"when": ["2023-01-01", None, "2023-01-03"]}, r"'when' has 1 of 3 rows missing"),
    ],
)
def test_bad_values_raise_naming_column_and_count(changes, message):
    with pytest.raises(ValueError, match=message):
        validate_frame(frame(**changes), SCHEMA, "t")


def test_missing_column_is_named():
    with pytest.raises(ValueError, match=r"t is missing column\(s\) \['rating'\]"):
        validate_frame(frame().drop(columns="rating"), SCHEMA, "t")


def test_not_a_frame():
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        validate_frame([1, 2], SCHEMA, "t")


def test_empty_table_raises_unless_allowed():
    with pytest.raises(ValueError, match="t is empty"):
        validate_frame(frame().iloc[:0], SCHEMA, "t")
    assert len(validate_frame(frame().iloc[:0], SCHEMA, "t", allow_empty=True)) == 0


def test_duplicate_rows_and_keys_are_counted():
    doubled = pd.concat([frame(), frame().iloc[:1]])
    with pytest.raises(ValueError, match="1 duplicate rows on all columns"):
        validate_frame(doubled, SCHEMA, "t")
    same_pair = pd.DataFrame({"user_id": [1, 1], "item_id": ["a", "a"], "rating": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"1 duplicate rows on key \['user_id', 'item_id'\]"):
        validate_frame(same_pair, INTERACTIONS_COLUMNS, "interactions", key=["user_id", "item_id"])


def test_validation_does_not_drop_or_copy_a_clean_frame():
    clean = frame(when=pd.to_datetime(["2023-01-01", "2023-01-02", "2023-01-03"]))
    assert validate_frame(clean, SCHEMA, "t") is clean


def test_as_timestamp_needs_an_explicit_date():
    with pytest.raises(ValueError, match="as_of is required"):
        as_timestamp(None)
    with pytest.raises(ValueError, match="is not a date"):
        as_timestamp("someday")
    assert as_timestamp("2023-05-01") == pd.Timestamp("2023-05-01")


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True, None])
def test_require_positive_int_rejects(value):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        require_positive_int(value, "k")


def test_cleaning_report_counts():
    report = CleaningReport("x", rows_in=10, removed={"a": 2, "b": 3})
    assert report.rows_out == 5
    assert report.to_frame()["rows"].tolist() == [2, 3, 5]
    assert "10 rows in" in str(report) and "5 kept" in str(report)

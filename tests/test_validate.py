import numpy as np
import pandas as pd
import pytest

from shopcase.schema import INTERACTIONS_COLUMNS
from shopcase.validate import CleaningReport, as_timestamp, check_int, validate_frame

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
def test_check_int_rejects(value):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        check_int(value, "k")


def test_cleaning_report_counts():
    report = CleaningReport("x", rows_in=10, removed={"a": 2, "b": 3})
    assert report.rows_out == 5
    assert report.to_frame()["rows"].tolist() == [2, 3, 5]
    assert "10 rows in" in str(report) and "5 kept" in str(report)


# --- the scalar, array and id checks every module calls --------------------------------------

from shopcase.validate import (  # noqa: E402
    Choice,
    Flag,
    InstanceOf,
    Integer,
    NJobs,
    Number,
    SequenceOf,
    as_id_index,
    check_array,
    check_bool,
    check_choice,
    check_id_kinds_match,
    check_n_jobs,
    check_no_missing,
    check_not_empty,
    check_number,
    check_numeric_columns,
    check_params,
    check_probability,
    check_same_length,
    check_single_id_kind,
    check_unique,
    datetime_column,
    id_kind,
    id_kinds,
)


@pytest.mark.parametrize(
    "value, bounds, message",
    [
        ("1", {}, "x must be a finite number, got '1'"),
        (True, {}, "x must be a finite number, got True"),
        (np.nan, {}, "x must be a finite number, got nan"),
        (np.inf, {"low": 0}, r"x must be a finite number >= 0, got inf"),
        (-0.5, {"low": 0}, r"x must be a finite number >= 0, got -0.5"),
        (0.0, {"low": 0, "low_inclusive": False}, r"x must be a finite number > 0, got 0.0"),
        (1.0, {"low": 0, "high": 1, "high_inclusive": False}, r"x must be a finite number in \[0, 1\), got 1.0"),
    ],
)
def test_check_number_names_the_argument_and_the_range(value, bounds, message):
    with pytest.raises(ValueError, match=message):
        check_number(value, "x", **bounds)


def test_check_number_accepts_numbers_of_any_numeric_type():
    assert check_number(np.float32(0.5), "x", low=0, high=1) == 0.5
    assert check_number(np.int64(3), "x", low=3) == 3.0
    assert isinstance(check_number(2, "x"), float)


def test_check_int_and_probability_ranges():
    assert check_int(np.int64(0), "seed", low=0, high=5) == 0
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 5\], got 6"):
        check_int(6, "seed", low=0, high=5)
    with pytest.raises(ValueError, match="n must be a positive integer, got 2.0"):
        check_int(2.0, "n")
    assert check_probability(0.05, "alpha") == 0.05
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="alpha must be a finite number in"):
            check_probability(bad, "alpha")
    assert check_probability(1, "share", inclusive=True) == 1.0


def test_check_choice_and_bool():
    assert check_choice("rank", "normalisation", ("minmax", "rank")) == "rank"
    with pytest.raises(ValueError, match=r"normalisation must be one of \('minmax', 'rank'\), got 'z'"):
        check_choice("z", "normalisation", ("minmax", "rank"))
    with pytest.raises(ValueError, match="normalisation must be one of"):
        check_choice(["unhashable"], "normalisation", ("minmax",))
    assert check_bool(np.bool_(True), "binary") is True
    with pytest.raises(ValueError, match="binary must be True or False, got 1"):
        check_bool(1, "binary")


def test_check_array_counts_the_offending_values():
    assert check_array(3, "t").tolist() == [3.0]
    with pytest.raises(ValueError, match=r"t has 2 missing or infinite value\(s\) \(of 3\)"):
        check_array([1, np.nan, np.inf], "t")
    with pytest.raises(ValueError, match=r"t has 1 negative value\(s\) \(of 2\)"):
        check_array([1, -1], "t", low=0)
    with pytest.raises(ValueError, match=r"p has 1 value\(s\) above 1"):
        check_array([0.5, 1.5], "p", high=1)
    with pytest.raises(ValueError, match="one-dimensional"):
        check_array([[1, 2]], "t")
    with pytest.raises(ValueError, match="t is empty"):
        check_array([], "t")
    with pytest.raises(ValueError, match="t must hold numbers"):
        check_array(["a"], "t")
    assert check_same_length(a=[1, 2], b=np.zeros(2)) == 2
    with pytest.raises(ValueError, match="a, b must have the same length, got a 2, b 3"):
        check_same_length(a=[1, 2], b=[1, 2, 3])


def test_requested_ids_are_unique_and_present():
    assert as_id_index(5, "user_ids").tolist() == [5]
    assert as_id_index("u1", "user_ids").tolist() == ["u1"]
    with pytest.raises(ValueError, match="missing"):
        as_id_index([1, None], "user_ids")
    with pytest.raises(ValueError, match="duplicated ids"):
        as_id_index([1, 1], "user_ids")


def test_ids_that_can_never_match_are_refused():
    ints, strings = pd.Series([1, 2]), pd.Series(["1", "2"])
    assert (id_kind(ints), id_kind(strings), id_kind(pd.Series([1, "a"], dtype=object))) == ("number", "string", None)
    with pytest.raises(ValueError, match=r"user_ids: the ids given are strings .* ids known are numbers \(int64\)"):
        check_id_kinds_match(strings, ints, "user_ids")
    check_id_kinds_match(ints.astype("int32"), ints, "user_ids")  # another integer width is the same kind
    check_id_kinds_match(pd.Series([], dtype=object), ints, "user_ids")  # nothing to judge


def test_id_kinds_are_read_from_the_dtype_or_from_each_value():
    assert id_kinds(pd.Index([1, 2], dtype="int32")) == {"number"}
    assert id_kinds(pd.Series([1.0, np.nan])) == {"number"}
    assert id_kinds(pd.Index([np.int64(1), 2.5], dtype=object)) == {"number"}
    assert id_kinds(pd.Series(["a", "b"], dtype="category")) == {"string"}
    assert id_kinds(pd.Index([True, False], dtype=object)) == {"bool"}
    assert id_kinds(pd.Index([1, "a", None], dtype=object)) == {"number", "string"}
    assert id_kinds(pd.Index([], dtype=object)) == frozenset()
    assert id_kinds(pd.Index([pd.Timestamp("2024-01-01")], dtype=object)) == {"Timestamp"}


def test_a_column_mixing_kinds_is_refused_and_requests_are_judged_value_by_value():
    assert check_single_id_kind(pd.Series(["a", "b"]), "user_id") == "string"
    assert check_single_id_kind(pd.Series([], dtype=object), "user_id") is None
    with pytest.raises(ValueError, match=r"user_id mixes numbers and strings \(e.g. 1, 'a'\)"):
        check_single_id_kind(pd.Series([1, "a"], dtype=object), "user_id")
    known = pd.Index([1, 2, 3])
    check_id_kinds_match(pd.Index(np.array([1, 9], dtype=np.uint8)), known, "user_ids", every=True)
    check_id_kinds_match(pd.Index([1.0, 2.0]), known, "user_ids", every=True)  # compared by value
    with pytest.raises(ValueError, match=r"user_ids: the ids given are partly strings \(e.g. '2'; object\)"):
        check_id_kinds_match(pd.Index([1, "2"], dtype=object), known, "user_ids", every=True)
    check_id_kinds_match(pd.Index([1, "2"], dtype=object), known, "user_ids")  # not judged by default


def test_declared_parameter_constraints():
    assert Number(low=0, optional=True).check(None, "x") is None
    assert Number(low=0).check(np.float32(0.5), "x") == 0.5
    with pytest.raises(ValueError, match=r"x must be a finite number > 0, got 0"):
        Number(low=0, low_inclusive=False).check(0, "x")
    assert Integer(low=2).check(np.int64(3), "bands") == 3
    with pytest.raises(ValueError, match=r"bands must be an integer >= 2, got 1"):
        Integer(low=2).check(1, "bands")
    assert Choice((None, "bm25")).check(None, "weighting") is None
    assert Flag().check(np.bool_(False), "binary") is False
    assert InstanceOf(str, "a column name", optional=True).check("title", "text_column") == "title"
    with pytest.raises(ValueError, match=r"text_column must be a column name or None, got 3"):
        InstanceOf(str, "a column name", optional=True).check(3, "text_column")
    columns = SequenceOf(InstanceOf(str, "a column name"), single=True)
    assert columns.check("brand", "columns") == ("brand",) and columns.check(["a", "b"], "columns") == ("a", "b")
    with pytest.raises(ValueError, match=r"columns\[1\] must be a column name, got 2"):
        columns.check(["a", 2], "columns")
    weights = SequenceOf(Number(low=0), min_len=1)
    assert weights.check(np.array([0.5, 1]), "weights") == (0.5, 1.0)
    for bad, message in (([], "at least 1"), ("ab", "list or tuple"), (np.ones((2, 2)), "list or tuple")):
        with pytest.raises(ValueError, match=message):
            weights.check(bad, "weights")
    for good, expected in ((None, None), (1, 1), (-1, -1), (np.int64(4), 4)):
        assert check_n_jobs(good) == expected and NJobs().check(good, "n_jobs") == expected
    for bad in (0, 1.0, "2", True):
        with pytest.raises(ValueError, match="n_jobs must be None or a non-zero integer"):
            check_n_jobs(bad)
    constraints = {"k": Integer(), "shrinkage": Number(low=0)}
    assert check_params({"k": 5, "shrinkage": 1}, constraints, "Model") == {"k": 5, "shrinkage": 1.0}
    with pytest.raises(ValueError, match="shrinkage"):
        check_params({"k": 5, "shrinkage": -1}, constraints, "Model")
    with pytest.raises(TypeError, match=r"Model declares no constraint for parameter\(s\) \['extra'\]"):
        check_params({"k": 5, "shrinkage": 1, "extra": 0}, constraints, "Model")


def test_frame_checks_name_table_and_column():
    f = pd.DataFrame({"customer_id": [1, 1, None], "x": [1.0, np.inf, 2.0], "when": ["2024-01-01", "x", None]})
    with pytest.raises(ValueError, match=r"t: column 'customer_id' has 1 of 3 rows missing"):
        check_no_missing(f, ["customer_id", "absent"], "t")
    with pytest.raises(ValueError, match=r"t: column 'customer_id' has 1 duplicated ids"):
        check_unique(f, "customer_id", "t")
    with pytest.raises(ValueError, match=r"t: column 'x' has 1 missing or infinite"):
        check_numeric_columns(f, ["x"], "t")
    with pytest.raises(ValueError, match=r"t: column 'when' must be numeric"):
        check_numeric_columns(f.assign(when=pd.Timestamp("2024-01-01")), ["when"], "t")
    with pytest.raises(ValueError, match="t is empty: nothing to split"):
        check_not_empty(f.iloc[:0], "t", "nothing to split")
    with pytest.raises(ValueError, match="'when' is not parseable"):
        datetime_column(f, "when", "t")
    parsed = datetime_column(f.iloc[:1], "when", "t")
    assert parsed.iloc[0] == pd.Timestamp("2024-01-01")


def test_count_duplicates_equals_pandas_duplicated():
    from shopcase.validate import count_duplicates

    rng = np.random.default_rng(0)
    n = 2_000
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, 30, n),
            "when": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 5, n), "D"),
            "kind": pd.Categorical(rng.choice(["view", "cart", "purchase"], n)),
            "order": pd.array(np.where(rng.random(n) < 0.5, rng.integers(0, 4, n), None), dtype="Int64"),
            "price": rng.choice([1.0, 2.5, np.nan], n),
        }
    )
    for columns in (list(frame.columns), ["user", "when"], ["order", "price"]):
        assert count_duplicates(frame, columns) == int(frame.duplicated(subset=columns).sum()) > 0
    unique = frame.drop_duplicates()
    assert count_duplicates(unique, list(unique.columns)) == 0
    assert count_duplicates(frame.iloc[:1], ["user"]) == 0


def test_range_binary_and_alignment_checks():
    from shopcase.validate import align_to_ids, check_binary_flags, check_binary_target, check_range

    assert check_range((0.4, 0.7), "thresholds") == (0.4, 0.7)
    for bad in [(0.7, 0.4), (0.5, 0.5), (-1, 0.5), (0.5,), "ab", None]:
        with pytest.raises(ValueError, match="thresholds"):
            check_range(bad, "thresholds")
    assert check_binary_flags([0, 1, 1], "y").tolist() == [False, True, True]
    with pytest.raises(ValueError, match="boolean or 0/1"):
        check_binary_flags([0, 2], "y")
    with pytest.raises(ValueError, match="one class"):
        check_binary_flags([True, True], "y")
    assert check_binary_flags([True, True], "y", both=False).all()
    classes, encoded = check_binary_target(["b", "a", "b"])
    assert classes.tolist() == ["a", "b"] and encoded.tolist() == [1, 0, 1]
    for bad, message in [
        (None, "requires y to be passed"),
        ([0.1, 0.2, 0.3], "Unknown label type"),
        ([0, 1, 2], "Only binary classification"),
        ([1, 1], "one class"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_binary_target(bad)
    values = pd.Series([1, 2, 3], index=["c", "a", "b"])
    assert align_to_ids(values, pd.Index(["a", "b", "c"]), "y", "X").tolist() == [2, 3, 1]
    with pytest.raises(ValueError, match=r"same ids: 1 only in X \(e.g. \['d'\]\), 1 only in y \(e.g. \['c'\]\)"):
        align_to_ids(values, pd.Index(["a", "b", "d"]), "y", "X")
    with pytest.raises(ValueError, match="X has duplicated ids"):
        align_to_ids(values, pd.Index(["a", "a", "b"]), "y", "X")

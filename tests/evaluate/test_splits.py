"""Splits: hand cases, the invariants (partition, time order, every user counted, determinism), recommenders parity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from evaluate_helpers import import_or_require
from hypothesis import given, settings
from hypothesis import strategies as st

from shopcase.evaluate.splits import SplitReport, leave_last_out, random_split_by_user, temporal_split

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)


def random_events(seed: int, n_users: int = 200, n_items: int = 50, n_rows: int = 3000) -> pd.DataFrame:
    """Events with skewed users (some with 1 row), tied timestamps and a non-default index."""
    rng = np.random.default_rng(seed)
    users = rng.zipf(1.6, n_rows) % n_users
    start = pd.Timestamp("2024-01-01")
    events = pd.DataFrame(
        {
            "user_id": users,
            "item_id": rng.integers(0, n_items, n_rows),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 90 * 24, n_rows), unit="h"),  # hourly: ties
            "rating": rng.integers(1, 6, n_rows).astype(float),
        },
        index=pd.RangeIndex(1000, 1000 + n_rows, name="event"),
    )
    return events


def assert_partition(frame: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, report: SplitReport) -> None:
    """Every input row in exactly one side, unchanged; counts consistent; every user counted once."""
    assert train.index.intersection(test.index).empty
    assert len(train) + len(test) == len(frame)
    both = pd.concat([train, test]).sort_index()
    pd.testing.assert_frame_equal(both, frame.sort_index())
    assert list(train.columns) == list(frame.columns)
    assert train.index.is_monotonic_increasing and test.index.is_monotonic_increasing  # input order kept
    assert (report.rows, report.train_rows, report.test_rows) == (len(frame), len(train), len(test))
    if "user_id" in frame:
        train_users, test_users = set(train["user_id"]), set(test["user_id"])
        assert report.users == frame["user_id"].nunique()
        assert report.train_users == len(train_users) and report.test_users == len(test_users)
        assert report.cold_test_users == len(test_users - train_users)
        assert report.users_in_both == len(train_users & test_users)
        assert report.users_train_only == len(train_users - test_users)
        assert report.users_train_only + report.users_in_both + report.cold_test_users == report.users
    if "item_id" in frame:
        train_items = set(train["item_id"])
        assert report.cold_test_items == len(set(test["item_id"]) - train_items)
    if "user_id" in frame and "item_id" in frame:
        cold = ~test["user_id"].isin(train_users) | ~test["item_id"].isin(train_items)
        assert report.cold_test_rows == int(cold.sum())


# --- random_split_by_user ---------------------------------------------------------


def test_random_split_counts_per_user_by_hand():
    # users with 1, 2, 3, 4 and 8 rows; ratio 0.75 -> round(0.75 c) = 1, 2 -> clipped to 1, 2, 3, 6
    sizes = {"one": 1, "two": 2, "three": 3, "four": 4, "eight": 8}
    frame = pd.DataFrame({"user_id": [u for u, n in sizes.items() for _ in range(n)]})
    frame["item_id"] = np.arange(len(frame))
    train, test, report = random_split_by_user(frame, ratio=0.75, seed=3)
    assert train["user_id"].value_counts().to_dict() == {"one": 1, "two": 1, "three": 2, "four": 3, "eight": 6}
    assert test["user_id"].value_counts().to_dict() == {"two": 1, "three": 1, "four": 1, "eight": 2}
    assert report.notes == {"ratio": 0.75, "seed": 3, "users_single_interaction": 1, "users_clipped": 1}
    assert report.users_train_only == 1 and report.cold_test_users == 0  # "one" stays in train, counted
    assert_partition(frame, train, test, report)


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
@pytest.mark.parametrize("ratio", [0.2, 0.5, 0.75, 0.9])
def test_random_split_invariants(seed, ratio):
    frame = random_events(seed)
    train, test, report = random_split_by_user(frame, ratio=ratio, seed=seed)
    assert_partition(frame, train, test, report)
    assert report.cold_test_users == 0  # every user with >= 2 rows keeps one in train
    counts = frame["user_id"].value_counts()
    in_train = train["user_id"].value_counts().reindex(counts.index, fill_value=0)
    many = counts >= 2
    assert (in_train[many] >= 1).all() and (in_train[many] <= counts[many] - 1).all()
    assert (in_train[~many] == 1).all()
    # about `ratio` of each larger user's rows: within one row of ratio * count
    big = counts >= 10
    assert (abs(in_train[big] - ratio * counts[big]) <= 1).all()


def test_random_split_is_deterministic_under_the_seed_and_changes_with_it():
    frame = random_events(5)
    first = random_split_by_user(frame, seed=11)
    again = random_split_by_user(frame, seed=11)
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])
    assert first[2] == again[2]
    other = random_split_by_user(frame, seed=12)
    assert not first[1].index.equals(other[1].index)


def test_random_split_matches_recommenders_stratified_split_except_two_row_users():
    splitters = import_or_require("recommenders.datasets.python_splitters")
    frame = random_events(9).reset_index(drop=True)
    train, test, report = random_split_by_user(frame, ratio=0.75, seed=42)
    their_train, their_test = splitters.python_stratified_split(
        frame.copy(), ratio=0.75, col_user="user_id", col_item="item_id", seed=42
    )
    counts = frame["user_id"].value_counts()
    two_rows = set(counts.index[counts == 2])
    assert two_rows and report.notes["users_clipped"] == len(two_rows)
    keep = ~frame["user_id"].isin(two_rows)
    assert set(train.index[keep[train.index]]) == set(their_train.index[~their_train["user_id"].isin(two_rows)])
    assert set(test.index[keep[test.index]]) == set(their_test.index[~their_test["user_id"].isin(two_rows)])
    # the users that differ: recommenders sends both rows to train, this split one to each side
    assert their_test["user_id"].isin(two_rows).sum() == 0
    assert test["user_id"].isin(two_rows).sum() == len(two_rows)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ratio": 0.0}, "ratio"),
        ({"ratio": 1.0}, "ratio"),
        ({"ratio": "0.5"}, "ratio"),
        ({"ratio": True}, "ratio"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": None}, "seed"),
    ],
)
def test_random_split_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_split_by_user(random_events(0), **kwargs)


def test_random_split_bad_frames():
    with pytest.raises(ValueError, match="user_id"):
        random_split_by_user(pd.DataFrame({"item_id": [1, 2]}))
    with pytest.raises(ValueError, match="empty"):
        random_split_by_user(pd.DataFrame({"user_id": []}))
    with pytest.raises(ValueError, match="user_id.*missing"):
        random_split_by_user(pd.DataFrame({"user_id": [1, None, 1]}))
    with pytest.raises(ValueError, match="test empty.*single row"):
        random_split_by_user(pd.DataFrame({"user_id": [1, 2, 3]}))


# --- temporal_split --------------------------------------------------------------


def test_temporal_split_by_hand_counts_cold_users_and_items():
    events = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "a", "c", "b"],
            "item_id": [1, 2, 1, 3, 1, 2],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-10", "2024-01-10", "2024-01-12"]
            ),
        }
    )
    train, test, report = temporal_split(events, "2024-01-10")
    assert list(train.index) == [0, 1, 2] and list(test.index) == [3, 4, 5]  # the cutoff instant is test
    assert (report.train_users, report.test_users, report.cold_test_users) == (2, 3, 1)  # c is new
    assert (report.train_items, report.test_items, report.cold_test_items) == (2, 3, 1)  # item 3 is new
    assert report.cold_test_rows == 2  # (a, 3) new item, (c, 1) new user
    assert report.users_in_both == 2 and report.users_train_only == 0
    assert report.notes["cutoff"] == pd.Timestamp("2024-01-10")
    assert report.notes["train_last_timestamp"] == pd.Timestamp("2024-01-09")
    assert report.notes["test_first_timestamp"] == pd.Timestamp("2024-01-10")
    assert_partition(events, train, test, report)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cutoff", ["2024-02-01", "2024-03-15 13:00"])
def test_temporal_split_invariants(seed, cutoff):
    events = random_events(seed)
    train, test, report = temporal_split(events, cutoff)
    assert_partition(events, train, test, report)
    assert train["timestamp"].max() < pd.Timestamp(cutoff) <= test["timestamp"].min()
    assert train["timestamp"].max() < test["timestamp"].min()


def test_temporal_split_works_on_any_frame_with_a_timestamp_and_parses_strings():
    frame = pd.DataFrame({"timestamp": ["2024-01-01", "2024-01-03", "2024-01-02"], "x": [1, 2, 3]})
    train, test, report = temporal_split(frame, pd.Timestamp("2024-01-02"))
    assert list(train["x"]) == [1] and list(test["x"]) == [2, 3]
    assert report.users is None and report.items is None and report.cold_test_rows is None
    assert train["timestamp"].dtype == frame["timestamp"].dtype  # rows are returned as given


def test_temporal_split_time_zones():
    stamps = pd.date_range("2024-03-30", periods=4, freq="D", tz="Europe/Berlin")
    frame = pd.DataFrame({"user_id": [1, 1, 2, 2], "timestamp": stamps})
    train, test, _ = temporal_split(frame, pd.Timestamp("2024-04-01", tz="Europe/Berlin"))
    assert len(train) == 2 and len(test) == 2
    with pytest.raises(ValueError, match="cannot be compared"):
        temporal_split(frame, "2024-04-01")


@pytest.mark.parametrize(
    ("cutoff", "match"),
    [
        (None, "cutoff is required"),
        ("not a date", "cutoff"),
        ("2030-01-01", "leaves test empty"),
        ("2000-01-01", "leaves train empty"),
    ],
)
def test_temporal_split_bad_cutoffs(cutoff, match):
    with pytest.raises(ValueError, match=match):
        temporal_split(random_events(0), cutoff)


def test_temporal_split_bad_frames():
    with pytest.raises(ValueError, match="timestamp"):
        temporal_split(pd.DataFrame({"user_id": [1]}), "2024-01-01")
    with pytest.raises(ValueError, match="NaT"):
        temporal_split(pd.DataFrame({"timestamp": [pd.Timestamp("2024-01-01"), pd.NaT]}), "2024-01-01")
    with pytest.raises(ValueError, match="not parseable"):
        temporal_split(pd.DataFrame({"timestamp": ["2024-01-01", "soon"]}), "2024-01-01")
    with pytest.raises(ValueError, match="item_id.*missing"):
        temporal_split(pd.DataFrame({"timestamp": ["2024-01-01", "2024-02-01"], "item_id": [1, None]}), "2024-01-15")


# --- leave_last_out ---------------------------------------------------------------


def test_leave_last_out_by_hand_with_ties():
    # user a: t1, t3, t3 (tie: the row further down counts as later), user b: one row, user c: t2, t1
    events = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "a", "c", "c"],
            "item_id": ["x", "y", "x", "z", "y", "x"],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-03", "2024-01-02", "2024-01-01"]
            ),
        }
    )
    train, test, report = leave_last_out(events, n=1)
    assert list(test.index) == [3, 4]  # a's later-listed tie (z), c's latest (y, not the last row)
    assert list(train.index) == [0, 1, 2, 5]
    assert report.notes == {"n": 1, "users_kept_in_train": 1, "users_tied_at_boundary": 1}  # b; a's tie
    assert report.users_train_only == 1 and report.cold_test_users == 0
    assert_partition(events, train, test, report)

    train2, test2, report2 = leave_last_out(events, n=2)
    assert list(test2.index) == [1, 3]  # a's last two; c has only 2 rows -> kept in train
    assert report2.notes["users_kept_in_train"] == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_leave_last_out_invariants(seed, n):
    events = random_events(seed)
    train, test, report = leave_last_out(events, n=n)
    assert_partition(events, train, test, report)
    counts = events["user_id"].value_counts()
    test_counts = test["user_id"].value_counts().reindex(counts.index, fill_value=0)
    assert (test_counts[counts > n] == n).all() and (test_counts[counts <= n] == 0).all()
    assert report.notes["users_kept_in_train"] == int((counts <= n).sum()) == report.users_train_only
    # per user, nothing in train is later than anything in test
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    assert (last_train.reindex(first_test.index) <= first_test).all()
    ties = int((last_train.reindex(first_test.index) == first_test).sum())
    assert report.notes["users_tied_at_boundary"] == ties


def test_leave_last_out_is_deterministic_and_uses_utc_order_for_time_zones():
    events = random_events(3)
    first, again = leave_last_out(events), leave_last_out(events)
    pd.testing.assert_frame_equal(first[1], again[1])
    # the same instants in another zone give the same split
    zoned = events.assign(timestamp=events["timestamp"].dt.tz_localize("UTC").dt.tz_convert("America/New_York"))
    assert leave_last_out(zoned)[1].index.equals(first[1].index)


def test_leave_last_out_bad_input():
    events = random_events(0)
    for bad in (0, -1, 1.5, "1", True):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            leave_last_out(events, n=bad)
    with pytest.raises(ValueError, match="timestamp"):
        leave_last_out(events.drop(columns="timestamp"))
    with pytest.raises(ValueError, match="user_id"):
        leave_last_out(events.drop(columns="user_id"))
    with pytest.raises(ValueError, match="no user has more than 1000000 rows"):
        leave_last_out(events, n=1_000_000)


def test_report_views():
    _, _, report = temporal_split(random_events(0), "2024-02-01")
    table = report.to_frame()
    assert list(table.columns) == ["quantity", "value"]
    assert table.set_index("quantity").loc["cold_test_users", "value"] == report.cold_test_users
    assert "temporal_split" in str(report) and "cold" in str(report)


def test_identical_rows_are_kept_not_deduplicated():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1],
            "item_id": [5, 5, 6, 7],
            "timestamp": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02", "2024-01-03"]),
        }
    )
    for train, test, _ in (leave_last_out(events), temporal_split(events, "2024-01-02"), random_split_by_user(events)):
        assert len(train) + len(test) == 4


# --- property: the invariants on arbitrary small event logs -------------------------


@st.composite
def event_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 40))
    users = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    items = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))  # few days: many ties
    return pd.DataFrame(
        {"user_id": users, "item_id": items, "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D")}
    )


@SETTINGS
@given(event_logs(), st.integers(0, 6), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_split_invariants_on_any_log(events, cutoff_day, n, seed):
    cutoff = pd.Timestamp("2024-01-01") + pd.Timedelta(days=cutoff_day)
    counts = events["user_id"].value_counts()
    before = events["timestamp"] < cutoff

    if before.all() or not before.any():
        with pytest.raises(ValueError, match="empty"):
            temporal_split(events, cutoff)
    else:
        train, test, report = temporal_split(events, cutoff)
        assert_partition(events, train, test, report)
        assert train["timestamp"].max() < test["timestamp"].min()

    if (counts <= n).all():
        with pytest.raises(ValueError, match="empty"):
            leave_last_out(events, n=n)
    else:
        train, test, report = leave_last_out(events, n=n)
        assert_partition(events, train, test, report)
        last_train = train.groupby("user_id")["timestamp"].max()
        first_test = test.groupby("user_id")["timestamp"].min()
        assert (last_train.reindex(first_test.index) <= first_test).all()

    if (counts == 1).all():
        with pytest.raises(ValueError, match="empty"):
            random_split_by_user(events, seed=seed)
    else:
        train, test, report = random_split_by_user(events, seed=seed)
        assert_partition(events, train, test, report)
        assert report.cold_test_users == 0
        again = random_split_by_user(events, seed=seed)
        assert again[1].index.equals(test.index)

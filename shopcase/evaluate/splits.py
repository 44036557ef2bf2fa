"""Train/test splits for recommender evaluation, each with a report of what became cold.

Every split returns ``(train, test, report)``:

* ``train`` and ``test`` are row subsets of the input: same columns, original index,
  rows in input order. Every input row lands in exactly one of them; nothing is
  dropped, de-duplicated or re-typed.
* ``report`` is a :class:`SplitReport` counting rows, users and items on each side
  and what became *cold*: test users and test items that have no row in train.
  Cold users and items are counted, never removed: a model has to cope with them
  (the reference design silently skipped test users absent from training, which
  inflates every score).

A split that would leave train or test empty raises ``ValueError``: that is always
a wrong cutoff, ratio or ``n``, never a usable evaluation.

Three ways to split:

* :func:`random_split_by_user` - per-user random split (no time; like Microsoft
  Recommenders' ``python_stratified_split``).
* :func:`temporal_split` - one global cutoff date: train before, test at/after.
  The honest split for "would this have worked next month".
* :func:`leave_last_out` - each user's last ``n`` interactions are the test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from shopcase.schema import ITEM_ID, QUANTITY, SEED, TIMESTAMP, USER_ID
from shopcase.validate import (
    as_timestamp,
    check_int,
    check_no_missing,
    check_not_empty,
    check_probability,
    datetime_column,
    require_columns,
)


@dataclass(frozen=True)
class SplitReport:
    """Counts for one train/test split; user and item counts are ``None`` when the column is absent.

    ``cold_test_users`` are users with test rows and no train row (equal to the users
    only in test); ``cold_test_items`` likewise for items; ``cold_test_rows`` are test
    rows whose user or item is cold. Every input user is in exactly one of
    ``users_train_only``, ``users_in_both`` and ``cold_test_users``. ``notes`` holds
    the split's parameters and its method-specific counts (see each split function).
    """

    method: str
    rows: int
    train_rows: int
    test_rows: int
    users: int | None
    train_users: int | None
    test_users: int | None
    users_train_only: int | None
    users_in_both: int | None
    cold_test_users: int | None
    items: int | None
    train_items: int | None
    test_items: int | None
    cold_test_items: int | None
    cold_test_rows: int | None
    notes: dict[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy two-column view (``quantity``, ``value``): every count, then every note."""
        counts = {k: v for k, v in asdict(self).items() if k not in ("method", "notes")}
        rows = [("method", self.method), *counts.items(), *self.notes.items()]
        return pd.DataFrame(rows, columns=[QUANTITY, "value"])

    def __str__(self) -> str:
        text = f"{self.method}: {self.rows:,} rows -> train {self.train_rows:,} / test {self.test_rows:,}"
        if self.users is not None:
            text += f"; users {self.train_users:,} train / {self.test_users:,} test, {self.cold_test_users:,} cold"
        if self.items is not None:
            text += f"; items {self.train_items:,} train / {self.test_items:,} test, {self.cold_test_items:,} cold"
        return text


# --- shared checks and the report --------------------------------------------


def _check_frame(frame: pd.DataFrame, required: list[str], name: str) -> None:
    """Required columns present, not empty, and no missing ids in whichever id columns exist."""
    require_columns(frame, required, name)
    check_not_empty(frame, name, "there is nothing to split")
    check_no_missing(frame, [USER_ID, ITEM_ID], name)


def _ordinal(stamps: pd.Series) -> np.ndarray:
    """Timestamps as int64 ticks that sort like the instants (UTC for tz-aware columns)."""
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        # local wall time can go backwards at a DST change; UTC instants cannot
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy().view("int64")


def _side_counts(frame: pd.DataFrame, column: str, in_train: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """Distinct ids per side for one id column, and a per-row mask: test row whose id has no train row."""
    codes, uniques = pd.factorize(frame[column])
    n = len(uniques)
    has_train = np.bincount(codes[in_train], minlength=n) > 0
    has_test = np.bincount(codes[~in_train], minlength=n) > 0
    counts = {
        "all": n,
        "train": int(has_train.sum()),
        "test": int(has_test.sum()),
        "train_only": int((has_train & ~has_test).sum()),
        "both": int((has_train & has_test).sum()),
        "cold": int((has_test & ~has_train).sum()),
    }
    return counts, ~in_train & ~has_train[codes]


def _report(method: str, frame: pd.DataFrame, in_train: np.ndarray, notes: dict[str, object]) -> SplitReport:
    n_train = int(in_train.sum())
    users = items = None
    cold_rows = None
    if USER_ID in frame.columns:
        users, cold = _side_counts(frame, USER_ID, in_train)
        cold_rows = cold
    if ITEM_ID in frame.columns:
        items, cold = _side_counts(frame, ITEM_ID, in_train)
        cold_rows = cold if cold_rows is None else cold_rows | cold

    def get(counts: dict[str, int] | None, key: str) -> int | None:
        return None if counts is None else counts[key]

    return SplitReport(
        method=method,
        rows=len(frame),
        train_rows=n_train,
        test_rows=len(frame) - n_train,
        users=get(users, "all"),
        train_users=get(users, "train"),
        test_users=get(users, "test"),
        users_train_only=get(users, "train_only"),
        users_in_both=get(users, "both"),
        cold_test_users=get(users, "cold"),
        items=get(items, "all"),
        train_items=get(items, "train"),
        test_items=get(items, "test"),
        cold_test_items=get(items, "cold"),
        cold_test_rows=None if cold_rows is None else int(cold_rows.sum()),
        notes=notes,
    )


def _finish(
    method: str, frame: pd.DataFrame, in_train: np.ndarray, notes: dict[str, object], why_empty: str
) -> tuple[pd.DataFrame, pd.DataFrame, SplitReport]:
    n_train = int(in_train.sum())
    if n_train == 0 or n_train == len(frame):
        side = "train" if n_train == 0 else "test"
        raise ValueError(f"{method} leaves {side} empty ({why_empty}); an empty side cannot be evaluated")
    return frame[in_train], frame[~in_train], _report(method, frame, in_train, notes)


def _position_in_group(sorted_codes: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal codes (``sorted_codes`` grouped)."""
    n = len(sorted_codes)
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_codes[1:] != sorted_codes[:-1]
    # index of the run's first row, carried forward over the run
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first


# --- the splits ---------------------------------------------------------------


def random_split_by_user(
    interactions: pd.DataFrame, ratio: float = 0.75, seed: int = SEED
) -> tuple[pd.DataFrame, pd.DataFrame, SplitReport]:
    """Split each user's rows at random so about ``ratio`` of them go to train.

    ``interactions`` needs ``user_id`` (``item_id`` and other columns are carried
    along and, if present, counted). For a user with ``c`` rows, the rows are put in
    a random order and the first ``round(ratio * c)`` go to train (``round`` halves
    to even, as numpy does). The random order comes from
    ``np.random.RandomState(seed).rand(len(interactions))``, exactly the stream of
    Microsoft Recommenders' ``python_stratified_split`` (which calls
    ``np.random.seed(seed)`` then ``np.random.rand``), so both give the *same* split
    for the same input and seed, with two deliberate differences:

    * a user with ``c >= 2`` rows always keeps at least one row in train and one in
      test: the train count is clipped to ``[1, c - 1]``. (With ``ratio=0.75`` this
      only changes users with exactly 2 rows: recommenders rounds 1.5 up to 2 and
      gives them no test row);
    * a user with a single row keeps it in train (recommenders does the same for
      ``ratio > 0.5``, since ``round(0.75) = 1``) and is counted in
      ``notes['users_single_interaction']`` and in ``report.users_train_only``.

    ``notes['users_clipped']`` counts every user whose train count differs from
    ``round(ratio * c)``, i.e. where this split and recommenders' differ.

    So no user is cold in test. The shuffle depends on row order (like
    recommenders'): reorder the input and the split changes, still seeded.
    ``min_rating`` and item stratification are not offered.

    Returns ``(train, test, report)``; raises ``ValueError`` on a missing
    ``user_id`` column, missing ids, ``ratio`` outside (0, 1), a seed that is not an
    integer in ``[0, 2**32)``, or a split with an empty side.
    """
    name = "interactions"
    _check_frame(interactions, [USER_ID], name)
    check_probability(ratio, "ratio")
    check_int(seed, "seed", low=0, high=2**32 - 1)

    codes, _ = pd.factorize(interactions[USER_ID])
    # The legacy generator on purpose: its stream is the one recommenders draws, so splits match theirs.
    key = np.random.RandomState(int(seed)).rand(len(interactions))
    order = np.lexsort((key, codes))  # by user, then by the random key
    sorted_codes = codes[order]
    position = _position_in_group(sorted_codes)

    counts = np.bincount(codes)
    wanted = np.round(float(ratio) * counts).astype(np.int64)
    n_train = np.where(counts >= 2, np.clip(wanted, 1, counts - 1), counts)
    in_train = np.empty(len(interactions), dtype=bool)
    in_train[order] = position < n_train[sorted_codes]

    notes: dict[str, object] = {
        "ratio": float(ratio),
        "seed": int(seed),
        "users_single_interaction": int((counts == 1).sum()),
        "users_clipped": int((n_train != wanted).sum()),
    }
    return _finish("random_split_by_user", interactions, in_train, notes, "every user has a single row")


def temporal_split(events: pd.DataFrame, cutoff: object) -> tuple[pd.DataFrame, pd.DataFrame, SplitReport]:
    """Train = rows strictly before ``cutoff``, test = rows at or after it.

    Works on any frame with a ``timestamp`` column (events, interactions with
    dates, orders); ``user_id`` / ``item_id`` are counted in the report when
    present. ``cutoff`` is an explicit date (``str``, ``datetime`` or
    ``Timestamp``, parsed with ``as_timestamp``); for a tz-aware column give a
    tz-aware cutoff. Users and items that first appear at or after the cutoff are
    cold in test: counted in the report, never removed. ``notes`` has the cutoff
    and the last train / first test timestamps.

    Raises ``ValueError`` on a missing or unparseable ``timestamp`` column, missing
    dates or ids, a cutoff that cannot be compared with the column, or a cutoff
    outside the data (empty side).
    """
    name = "events"
    _check_frame(events, [TIMESTAMP], name)
    stamps = datetime_column(events, TIMESTAMP, name)
    cut = as_timestamp(cutoff, "cutoff")
    try:
        in_train = (stamps < cut).to_numpy(dtype=bool)
    except TypeError as exc:
        raise ValueError(f"cutoff {cut} cannot be compared with column '{TIMESTAMP}' ({exc})") from exc
    notes: dict[str, object] = {
        "cutoff": cut,
        "train_last_timestamp": stamps[in_train].max(),
        "test_first_timestamp": stamps[~in_train].min(),
    }
    why = f"timestamps run from {stamps.min()} to {stamps.max()}, cutoff {cut}"
    return _finish("temporal_split", events, in_train, notes, why)


def leave_last_out(events: pd.DataFrame, n: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, SplitReport]:
    """Each user's last ``n`` rows by ``timestamp`` go to test, the rest to train.

    ``events`` needs ``user_id`` and ``timestamp``. Ties: rows of one user with
    equal timestamps keep their input order, i.e. the row further down the input
    counts as later (a stable sort), so the result is deterministic for a given
    input. Users with ``<= n`` rows keep all of them in train (leaving them out
    would leave the model nothing to know them by); they are counted in
    ``notes['users_kept_in_train']`` and ``report.users_train_only``. Per user,
    every train timestamp is ``<=`` every test timestamp; ``notes['users_tied_at_boundary']``
    counts users whose last train row and first test row share a timestamp.

    Raises ``ValueError`` on missing columns, ids or dates, ``n`` not a positive
    integer, or when no user has more than ``n`` rows (empty test).
    """
    name = "events"
    _check_frame(events, [USER_ID, TIMESTAMP], name)
    n = check_int(n, "n")
    ticks = _ordinal(datetime_column(events, TIMESTAMP, name))
    codes, _ = pd.factorize(events[USER_ID])
    order = np.lexsort((ticks, codes))  # stable: equal (user, timestamp) keep input order
    sorted_codes = codes[order]
    counts = np.bincount(codes)
    from_end = counts[sorted_codes] - 1 - _position_in_group(sorted_codes)  # 0 = the user's last row
    test_sorted = (from_end < n) & (counts[sorted_codes] > n)
    in_train = np.empty(len(events), dtype=bool)
    in_train[order] = ~test_sorted

    # the first test row of each split user sits right after its last train row in sorted order
    boundary = np.flatnonzero(test_sorted[1:] & ~test_sorted[:-1] & (sorted_codes[1:] == sorted_codes[:-1]))
    sorted_ticks = ticks[order]
    notes: dict[str, object] = {
        "n": n,
        "users_kept_in_train": int((counts <= n).sum()),
        "users_tied_at_boundary": int((sorted_ticks[boundary] == sorted_ticks[boundary + 1]).sum()),
    }
    return _finish("leave_last_out", events, in_train, notes, f"no user has more than {n} rows")

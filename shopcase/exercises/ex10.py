"""Checkers for the exercises of ``10_scale_out_with_spark.ipynb``.

They take pandas inputs (what the notebook collects from Spark, or the single-machine tables), so they
recompute the expected answer without a Spark session, and name the likely mistake when it is off.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from shopcase.data.generate import USER_BLOCK, ShopConfig, n_user_blocks
from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet
from shopcase.schema import ITEM_ID, RATING, USER_ID
from shopcase.validate import require_columns


def _integer(answer: object) -> int | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return int(value) if np.isfinite(value) and value == int(value) else None


def check_block_tasks(answer: object, n_users: int = 1_000_000) -> Feedback:
    """10.1: how many Spark tasks ``generate_shop_spark`` runs to generate ``n_users`` users (one per block)."""
    if (
        fb := attempted(answer, "10.1", f"set answer to the number of generation tasks for {n_users:,} users")
    ) is not None:
        return fb
    value = _integer(answer)
    if value is None:
        return not_yet("10.1", f"the answer is a whole number of tasks, got {answer!r}")
    expected = n_user_blocks(ShopConfig(n_users=n_users))
    if value == expected:
        return correct(
            "10.1",
            f"{expected} blocks of {USER_BLOCK:,} users, one task each: each block has its own seed, so the shop "
            "is the same whatever the number of executors that run them.",
        )
    if value == n_users // USER_BLOCK and value != expected:
        return not_yet("10.1", "the last block may be smaller but still needs a task: round up")
    return not_yet("10.1", f"users are generated in blocks of USER_BLOCK = {USER_BLOCK:,}; one task per block")


def _pairs(interactions: pd.DataFrame) -> dict[str, int]:
    per_user = interactions.groupby(USER_ID).size().to_numpy(dtype=np.int64)
    return {
        "once": int((per_user * (per_user - 1) // 2).sum()),
        "both orders": int((per_user * (per_user - 1)).sum()),
        "with itself": int((per_user**2).sum()),
    }


def check_cooccurrence_rows(answer: object, interactions: pd.DataFrame) -> Feedback:
    """10.2: rows of ``ItemKNNSpark``'s self-join: item pairs (i < j) that share a user, one per user and pair."""
    if (
        fb := attempted(answer, "10.2", "set answer to the number of rows the co-occurrence self-join makes")
    ) is not None:
        return fb
    require_columns(interactions, [USER_ID, ITEM_ID], "interactions")
    value = _integer(answer)
    if value is None:
        return not_yet("10.2", f"the answer is a whole number of rows, got {answer!r}")
    pairs = _pairs(interactions)
    if value == pairs["once"]:
        return correct(
            "10.2",
            f"{value:,} rows: sum over users of n(n - 1) / 2. It grows with the square of a user's history, so "
            "heavy users, not the number of users, decide the shuffle.",
        )
    if value == pairs["both orders"]:
        return not_yet("10.2", "that counts each pair in both orders; the join keeps item_id a < item_id b")
    if value == pairs["with itself"]:
        return not_yet(
            "10.2", "that pairs each item with itself and counts both orders; an item is not its own neighbour"
        )
    return not_yet("10.2", "count, per user, the pairs of distinct items they interacted with, then add up over users")


def check_cold_start_items(answer: object, interactions: pd.DataFrame, n: int = 5) -> Feedback:
    """10.3: the ``n`` items a user unknown at fit time gets: most summed strength first, ties by lower item id."""
    if (
        fb := attempted(answer, "10.3", f"set answer to the list of {n} item ids a new user is recommended")
    ) is not None:
        return fb
    require_columns(interactions, [USER_ID, ITEM_ID, RATING], "interactions")
    try:
        given = [int(x) for x in answer]
    except (TypeError, ValueError):
        return not_yet("10.3", f"the answer is a list of {n} item ids, got {type(answer).__name__}")
    strength = interactions.groupby(ITEM_ID)[RATING].sum().sort_index()
    expected = strength.sort_values(ascending=False, kind="stable").index[:n].tolist()
    by_count = interactions.groupby(ITEM_ID).size().sort_index().sort_values(ascending=False, kind="stable")
    if given == expected:
        return correct(
            "10.3", "the popularity ranking by summed strength, ties to the lower item id, as on one machine."
        )
    if sorted(given) == sorted(expected):
        return not_yet("10.3", "the right items in the wrong order: highest summed rating first, ties by lower item id")
    if given == by_count.index[:n].tolist():
        return not_yet("10.3", "that ranks by the number of users; the cold-start ranking sums the rating (strength)")
    return not_yet("10.3", f"rank items by the sum of rating over all users and keep the top {n}")


def check_neighbour_table_mb(answer: object, n_items: int = 100_000, k: int = 100) -> Feedback:
    """10.4: megabytes of a neighbour table of ``n_items`` x ``k`` rows of three 8-byte columns."""
    if (
        fb := attempted(answer, "10.4", "set answer to the size of the neighbour table in MB (1 MB = 1e6 bytes)")
    ) is not None:
        return fb
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return not_yet("10.4", f"the answer is a number of MB, got {type(answer).__name__}")
    expected = n_items * k * 3 * 8 / 1e6
    if abs(float(answer) - expected) <= 0.01 * expected:
        return correct(
            "10.4",
            f"{expected:,.0f} MB: small enough to broadcast to every executor, so recommend_spark can score "
            "50M users with the single-machine model; the co-occurrence shuffle, not the table, is the cost.",
        )
    if abs(float(answer) - expected / 3) <= 0.01 * expected:
        return not_yet("10.4", "each row holds three numbers (item, neighbour, score), 8 bytes each")
    if abs(float(answer) - n_items * n_items * 8 / 1e6) <= 0.01 * n_items * n_items * 8 / 1e6:
        return not_yet("10.4", "that is a dense items x items matrix; the table keeps only k neighbours per item")
    return not_yet("10.4", f"rows = items x k = {n_items * k:,}; bytes = rows x 3 columns x 8 bytes")

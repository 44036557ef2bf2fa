"""Distributed scoring of any fitted shopcase recommender: its own ``recommend``, run on the executors.

The fitted model is broadcast once (pickled: its state must fit in an executor's memory, as
ItemKNN's neighbour table or EASE's item-item weights do); each partition's users are scored with
``model.recommend`` in ``mapInPandas``, so the lists are the single-machine lists by construction
(tested), with the model's own cold start, seen-item filter and tie rule.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from shopcase.schema import ITEM_ID, RANK, SCORE, USER_ID, K
from shopcase.spark.recommend import check_users_spark
from shopcase.validate import check_bool, check_int


def _spark_type(values: np.ndarray) -> str:
    """The Spark SQL type holding these ids (integers, floats or strings)."""
    kind = np.asarray(values).dtype.kind
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double"
    if kind in "OUS" and all(isinstance(v, str) for v in values[:1000]):
        return "string"
    raise ValueError(f"ids of dtype {np.asarray(values).dtype} cannot be sent to Spark; use integers or strings")


def recommend_spark(model, users, n: int = K, exclude_seen: bool = True):
    """``model.recommend`` for every user in ``users``, computed on the executors.

    Parameters
    ----------
    model : a fitted shopcase recommender
        Anything with ``recommend(user_ids, n, exclude_seen)`` and ``item_ids_`` (every
        ``shopcase.recommend`` model); broadcast to the executors, so its state must fit in memory.
    users : Spark DataFrame
        With a ``user_id`` column: each id once, no nulls (checked in one short job). Users unknown to
        the model get its cold-start ranking.
    n, exclude_seen
        As ``model.recommend``.

    Returns
    -------
    Spark DataFrame
        ``user_id, item_id, score, rank``: the rows ``model.recommend`` returns, unordered. Lazy.
    """
    if not callable(getattr(model, "recommend", None)):
        raise ValueError(f"model must be a shopcase recommender with recommend(), got {type(model).__name__}")
    check_is_fitted(model)
    n = check_int(n, "n")
    check_bool(exclude_seen, "exclude_seen")
    users = check_users_spark(users)
    schema = (
        f"{USER_ID} {dict(users.dtypes)[USER_ID]}, {ITEM_ID} {_spark_type(model.item_ids_)}, "
        f"{SCORE} double, {RANK} bigint"
    )
    shared = users.sparkSession.sparkContext.broadcast(model)

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fitted = shared.value  # unpickled once per Python worker
        for batch in batches:
            if len(batch):
                yield fitted.recommend(batch[USER_ID], n=n, exclude_seen=exclude_seen)

    return users.mapInPandas(score, schema)


def compare_lists(got: pd.DataFrame, expected: pd.DataFrame) -> dict[str, float | int]:
    """How far two recommendation frames (``user_id, item_id, score, rank``, pandas) are from equal.

    Returns ``users`` (in either frame), ``identical_lists`` (share of users whose items come in the same
    order), ``max_abs_score_difference`` (over rows present in both at the same rank; inf if none).
    """
    keys = [USER_ID, RANK]
    merged = got.merge(expected, on=keys, how="outer", suffixes=("_got", "_expected"), indicator=True)
    same_item = (merged["_merge"] == "both") & (merged[f"{ITEM_ID}_got"] == merged[f"{ITEM_ID}_expected"])
    per_user = same_item.groupby(merged[USER_ID]).all()
    both = merged[merged["_merge"] == "both"]
    gap = (both[f"{SCORE}_got"].astype(float) - both[f"{SCORE}_expected"].astype(float)).abs()
    return {
        "users": int(len(per_user)),
        "identical_lists": float(per_user.mean()) if len(per_user) else 1.0,
        "max_abs_score_difference": float(gap.max()) if len(gap) else float("inf"),
    }

"""What a recommender costs as the user base grows: time and traced peak memory of fit + top-n for all users.

Used by notebook 02 to show, on a laptop-sized shop, why the reference's dense design cannot scale;
the full-size comparison is ``benchmarks/bench_recommend.py``.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from shopcase.schema import ITEM_ID, RATING, SEED, USER_ID, K
from shopcase.validate import check_int, require_columns

FLOAT_BYTES = 8
"""Bytes of one float64: what every cell of the reference's dense matrices holds."""

MEMORY_SAMPLE_USERS = 100
"""Users recommended for while memory is traced (tracing slows Python loops; fit dominates memory)."""


def recommend_all(model: object, user_ids: Sequence[object], n: int, progress: bool = False) -> int:
    """Top-``n`` for every user: one batched call for shopcase models, one call per user for the
    reference design (it has no batch API). Returns the number of recommendations made."""
    if hasattr(model, "recommend"):
        return len(model.recommend(user_ids, n=n))
    users = tqdm(user_ids, desc=type(model).__name__, disable=not progress, mininterval=2)
    return sum(len(model.recommend_for_user(u, n_recommendations=n, method="collaborative")) for u in users)


def _traced_peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def scaling_curve(
    models: dict[str, Callable[[], object]],
    interactions: pd.DataFrame,
    user_counts: Sequence[int],
    n: int = K,
    seed: int = SEED,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit + top-``n`` for every user, on random subsets of ``user_counts`` users.

    ``models`` maps a name to a factory returning an unfitted model. For each size the same
    seeded subset of users is used for every model. Returns one row per (model, users):
    ``seconds`` (wall time, untraced) and ``peak_mb`` (tracemalloc peak of fit plus recommending
    for ``MEMORY_SAMPLE_USERS`` users, in MiB; numpy and pandas allocations are traced).
    """
    require_columns(interactions, [USER_ID, ITEM_ID, RATING], "interactions")
    all_users = np.sort(interactions[USER_ID].unique())
    too_many = [c for c in user_counts if c > len(all_users)]
    if too_many:
        raise ValueError(f"user_counts {too_many} exceed the {len(all_users):,} users in interactions")
    rng = np.random.default_rng(seed)
    rows = []
    for count in user_counts:
        users = np.sort(rng.choice(all_users, size=count, replace=False))
        subset = interactions[interactions[USER_ID].isin(users)]
        for name, factory in models.items():
            started = time.perf_counter()
            recommend_all(factory().fit(subset), users, n, progress)
            seconds = time.perf_counter() - started
            sample = users[:MEMORY_SAMPLE_USERS]
            peak = _traced_peak_mb(lambda f=factory, s=sample, d=subset: recommend_all(f().fit(d), s, n))
            rows.append({"model": name, "users": count, "seconds": seconds, "peak_mb": peak})
    return pd.DataFrame(rows)


def reference_footprint(user_counts: Sequence[int], n_items: int) -> pd.DataFrame:
    """MiB the reference design's three dense float64 matrices hold, for each number of users.

    ``user_item_matrix`` is users x items (grows linearly with users), ``user_similarity`` users x users
    (quadratically) and ``item_similarity`` items x items (fixed). Exact for ``SeedRecommender`` fitted on
    interactions with that many users and items (tested against its arrays' ``nbytes``), so it extends a
    measurement to shop sizes too big to fit. Returns one row per count: ``users`` and the three sizes in MiB.
    """
    users = np.array([check_int(u, "user_counts") for u in user_counts], dtype=np.float64)
    n_items = check_int(n_items, "n_items")
    mib = FLOAT_BYTES / 2**20
    return pd.DataFrame(
        {
            "users": users.astype(np.int64),
            "user_item_matrix": users * n_items * mib,
            "user_similarity": users**2 * mib,
            "item_similarity": np.full(len(users), float(n_items) ** 2 * mib),
        }
    )

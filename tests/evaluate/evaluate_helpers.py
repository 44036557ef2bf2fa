"""Helpers for tests/evaluate: the cross-check import rule, random inputs and a loop-per-user oracle.

The oracle (``naive_ranking_metrics``) is written the slow, obvious way - one Python loop per
user straight from the textbook definitions - so the vectorised code has something
independent to agree with on inputs Microsoft Recommenders cannot cover (hit rate, MRR,
truth users without a list).
"""

from __future__ import annotations

import importlib
import math
import os
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

REQUIRE_ENV = "SHOPCASE_REQUIRE_CROSSCHECKS"


def import_or_require(module: str) -> ModuleType:
    """Import an oracle module; if it is missing, fail under SHOPCASE_REQUIRE_CROSSCHECKS=1, else skip."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{module} is needed for cross-checks ({REQUIRE_ENV}=1) but cannot be imported: {exc}")
        pytest.skip(f"{module} not importable ({exc}); set {REQUIRE_ENV}=1 to make this a failure")


def random_case(
    seed: int,
    n_users: int = 40,
    n_items: int = 30,
    k: int = 5,
    *,
    every_truth_user_listed: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random ``recs`` (consecutive ranks, strictly decreasing scores) and ``truth`` (with ``rating``).

    Lists have 1 to ``k + 3`` items (so some are shorter than ``k`` and some longer), truth
    sets 1 to ``k + 3`` items, about half of them from the user's own list (so hits land at
    every rank, while some users have none). A few extra users have a list and no truth.
    With ``every_truth_user_listed=False`` about a fifth of truth users get no list.
    """
    rng = np.random.default_rng(seed)
    rec_rows, truth_rows = [], []
    for user in range(n_users):
        listed = rng.choice(n_items, size=rng.integers(1, k + 4), replace=False)
        has_list = every_truth_user_listed or rng.random() > 0.2
        if has_list:
            for rank, item in enumerate(listed, start=1):
                rec_rows.append((user, int(item), float(100 - rank) + rng.random() * 0.5, rank))
        n_truth = int(rng.integers(1, k + 4))
        pool = np.concatenate([listed[: rng.integers(0, len(listed) + 1)], rng.choice(n_items, n_truth)])
        chosen = pd.unique(rng.permutation(pool))[:n_truth]
        truth_rows += [(user, int(item), float(rng.integers(1, 6))) for item in chosen]
    for user in range(n_users, n_users + 3):  # recs-only users: must be ignored
        for rank, item in enumerate(rng.choice(n_items, size=k, replace=False), start=1):
            rec_rows.append((user, int(item), float(100 - rank), rank))
    recs = pd.DataFrame(rec_rows, columns=["user_id", "item_id", "score", "rank"])
    truth = pd.DataFrame(truth_rows, columns=["user_id", "item_id", "rating"])
    return recs, truth


def naive_ranking_metrics(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> dict[str, float]:
    """Textbook definitions, one user at a time; averaged over every user in ``truth``."""
    lists = {
        user: list(group.sort_values("rank")[["item_id", "rank"]].itertuples(index=False, name=None))
        for user, group in recs.groupby("user_id", sort=False)
    }
    totals = dict.fromkeys(("precision", "recall", "ndcg", "map_min", "map_all", "hit", "mrr"), 0.0)
    users = list(pd.unique(truth["user_id"]))
    for user in users:
        relevant = set(truth.loc[truth["user_id"] == user, "item_id"])
        top = [(item, rank) for item, rank in lists.get(user, []) if rank <= k]
        hit_ranks = [rank for item, rank in top if item in relevant]
        n_rel = len(relevant)
        totals["precision"] += len(hit_ranks) / k
        totals["recall"] += len(hit_ranks) / n_rel
        dcg = sum(1 / math.log2(rank + 1) for rank in hit_ranks)
        idcg = sum(1 / math.log2(i + 1) for i in range(1, min(n_rel, k) + 1))
        totals["ndcg"] += dcg / idcg
        ap = sum((i + 1) / rank for i, rank in enumerate(sorted(hit_ranks)))
        totals["map_min"] += ap / min(n_rel, k)
        totals["map_all"] += ap / n_rel
        totals["hit"] += 1.0 if hit_ranks else 0.0
        totals["mrr"] += 1 / min(hit_ranks) if hit_ranks else 0.0
    names = {
        "precision": "precision_at_k",
        "recall": "recall_at_k",
        "ndcg": "ndcg_at_k",
        "map_min": "map_at_k",
        "map_all": "map_all_relevant_at_k",
        "hit": "hit_rate_at_k",
        "mrr": "mrr_at_k",
    }
    return {names[key]: value / len(users) for key, value in totals.items()}

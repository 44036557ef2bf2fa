"""Benchmark: shopcase's top-K metrics against Microsoft Recommenders' on the same input.

Input (seeded): 100k users x 10 ranked recommendations (1M rows) from 20k items, and ~500k truth
rows (1 to 9 relevant items per user, about a third of them drawn from the user's own list so
there are hits at every rank). Every truth user has a list, so both libraries average over the
same users and must agree; the script checks that before timing.

Times (median of --repeats, same process, same frames):
  * shopcase ``ranking_metrics`` - precision, recall, NDCG, both MAPs, hit rate, MRR in one pass;
  * shopcase ``precision_at_k`` alone;
  * recommenders ``precision_at_k``, ``recall_at_k``, ``ndcg_at_k``, ``map``, ``map_at_k`` called one
    after another (their ``map``/``map_at_k`` share a cache; it is cleared before every repeat);
  * recommenders ``precision_at_k`` alone.

    .venv/bin/python benchmarks/bench_metrics.py [--users 100000 --items 20000 --k 10 --repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from shopcase.evaluate.metrics import beyond_accuracy_metrics, precision_at_k, ranking_metrics


def make_data(n_users: int, n_items: int, k: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``recs`` (user_id, item_id, score, rank; k rows per user) and ``truth`` (user_id, item_id, rating)."""
    rng = np.random.default_rng(seed)
    # k distinct items per user: k random offsets spread over the catalogue (distinct by construction)
    step = n_items // k
    offsets = rng.integers(0, step, size=(n_users, k)) + np.arange(k) * step
    items = (offsets + rng.integers(0, n_items, size=(n_users, 1))) % n_items
    items = rng.permuted(items, axis=1)
    users = np.repeat(np.arange(n_users), k)
    recs = pd.DataFrame(
        {
            "user_id": users,
            "item_id": items.ravel(),
            "score": np.tile(np.arange(k, 0, -1, dtype=float), n_users),
            "rank": np.tile(np.arange(1, k + 1), n_users),
        }
    )
    # truth: per user 1-9 items; about a third from the user's list, the rest random
    n_truth = rng.integers(1, 10, size=n_users)
    t_users = np.repeat(np.arange(n_users), n_truth)
    from_list = rng.random(len(t_users)) < 1 / 3
    t_items = rng.integers(0, n_items, size=len(t_users))
    t_items[from_list] = items[t_users[from_list], rng.integers(0, k, size=int(from_list.sum()))]
    truth = pd.DataFrame({"user_id": t_users, "item_id": t_items}).drop_duplicates(ignore_index=True)
    truth["rating"] = 1.0
    return recs, truth


def median_seconds(run: Callable[[], object], repeats: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    recs, truth = make_data(args.users, args.items, args.k, args.seed)
    k = args.k
    print(f"# metrics benchmark: {args.users:,} users x {k} recs = {len(recs):,} rec rows, {len(truth):,} truth rows")
    print(
        f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; median of {args.repeats} repeats"
    )

    ours_all = median_seconds(lambda: ranking_metrics(recs, truth, k), args.repeats)
    ours_precision = median_seconds(lambda: precision_at_k(recs, truth, k), args.repeats)
    print(f"shopcase ranking_metrics (7 metrics, one pass): {ours_all:.3f} s")
    print(f"shopcase precision_at_k alone:                  {ours_precision:.3f} s")
    categories = pd.Series(np.arange(args.items) % 30, index=np.arange(args.items))
    beyond = median_seconds(
        lambda: beyond_accuracy_metrics(
            recs, k, train=truth, catalogue=np.arange(args.items), item_categories=categories
        ),
        args.repeats,
    )
    print(
        f"shopcase beyond_accuracy_metrics (coverage, novelty, popularity, diversity; truth as train): {beyond:.3f} s"
    )

    try:
        from recommenders.evaluation import python_evaluation as ms
    except ImportError as exc:  # the oracle is optional for the benchmark
        print(f"recommenders not importable ({exc}); no ratio")
        return

    pred = recs.drop(columns="rank")  # recommenders ranks by the score column and adds its own 'rank'
    cols = {"col_user": "user_id", "col_item": "item_id", "col_prediction": "score", "k": k}

    def theirs_all() -> dict[str, float]:
        return {
            "precision_at_k": ms.precision_at_k(truth, pred, **cols),
            "recall_at_k": ms.recall_at_k(truth, pred, **cols),
            "ndcg_at_k": ms.ndcg_at_k(truth, pred, col_rating="rating", discfun_type="log2", **cols),
            "map_all_relevant_at_k": ms.map(truth, pred, **cols),
            "map_at_k": ms.map_at_k(truth, pred, **cols),
        }

    def clear() -> None:
        getattr(ms._get_reciprocal_rank, "cache_clear", lambda: None)()

    clear()
    ours, reference = ranking_metrics(recs, truth, k), theirs_all()
    worst = max(abs(ours[name] - value) for name, value in reference.items())
    print(f"agreement on the 5 shared metrics: max |difference| = {worst:.2e}")
    assert worst < 1e-9, (ours, reference)

    theirs_five = median_seconds(theirs_all, args.repeats, before=clear)
    theirs_precision = median_seconds(lambda: ms.precision_at_k(truth, pred, **cols), args.repeats)
    print(f"recommenders 5 metrics (precision, recall, ndcg, map, map_at_k): {theirs_five:.3f} s")
    print(f"recommenders precision_at_k alone:                             {theirs_precision:.3f} s")
    print(f"ratio recommenders 5 metrics / shopcase ranking_metrics: {theirs_five / ours_all:.1f}x")
    print(f"ratio precision_at_k recommenders / shopcase:           {theirs_precision / ours_precision:.1f}x")


if __name__ == "__main__":
    main()

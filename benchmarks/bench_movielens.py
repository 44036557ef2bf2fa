"""Real-data benchmark 2: MovieLens-100k under Microsoft Recommenders' protocol, top-10.

Protocol (also in benchmarks/RESULTS_real_data.md):

* ``u.data`` read with ``load_movielens_100k`` (``$SHOPCASE_ML100K`` or ``../shared/data/movielens-100k``;
  the data is never copied into the repository). If it is absent the script says so and exits 0.
* Split: ``random_split_by_user(ratings, ratio=0.75, seed=42)``, the same rows as Recommenders'
  ``python_stratified_split(data, ratio=0.75, seed=42)`` (checked here when recommenders is installed).
* Every rating is an interaction (implicit feedback): models are fitted on ``rating = 1`` for every
  (user, movie) in train, as in Recommenders' BPR/BiVAE/LightGCN notebooks, which treat every rating as
  a positive. Truth = every test rating (any value) of the user, as in their evaluation.
* Top-10 per test user with the user's train movies removed (``exclude_seen=True``, their ``remove_seen``).
* Tuning on validation carved from the 75 % train only: ``random_split_by_user(train, 0.75, seed=1)``;
  each grid point is fitted on the validation train and scored (NDCG@10) on the validation truth; the
  best is refitted on the full train and scored once on test.
* Metrics: shopcase.evaluate's ``ranking_metrics``; for the final table also recommenders'
  ``map`` (divides by all relevant items: their published "MAP"), ``ndcg_at_k``, ``precision_at_k``,
  ``recall_at_k``, fed the same lists (prediction = -rank so ties cannot reorder them).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_movielens.py

Writes benchmarks/results/movielens_100k.csv (metrics only, no data).
"""

from __future__ import annotations

import itertools
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import ImplicitPeer  # noqa: E402

from shopcase.data.real import load_movielens_100k, movielens_100k_dir  # noqa: E402
from shopcase.evaluate import catalogue_coverage, random_split_by_user, ranking_metrics  # noqa: E402
from shopcase.recommend import EASE, Hybrid, ItemKNN, Popularity, UserKNN  # noqa: E402

K = 10
SEED = 42
VALIDATION_SEED = 1
RESULTS = HERE / "results"

PUBLISHED = pd.DataFrame(
    [
        ("SAR (published)", 0.110591, 0.382461, 0.330753, 0.176385),
        ("BPR (published)", 0.132478, 0.441997, 0.388229, 0.212522),
        ("LightGCN (published)", 0.088526, 0.419846, 0.379626, 0.144336),
        ("BiVAE (published)", 0.146126, 0.475077, 0.411771, 0.219145),
    ],
    columns=["model", "map", "ndcg@10", "precision@10", "recall@10"],
)
"""Recommenders' published MovieLens-100k rows (MAP divides by all relevant items)."""

METRICS = ["map", "ndcg@10", "precision@10", "recall@10"]


def specs() -> list[tuple[str, str, Callable[..., object], dict[str, list[object]]]]:
    """(name, group, make, grid). Composite rows are added after stage one."""
    return [
        ("Popularity", "shopcase", Popularity, {"recency_half_life_days": [None]}),
        (
            "ItemKNN",
            "shopcase",
            ItemKNN,
            {"k_neighbors": [20, 50, 100, 200, 400], "shrinkage": [0.0, 10.0], "weighting": [None, "bm25", "tfidf"]},
        ),
        ("UserKNN", "shopcase", UserKNN, {"k_neighbors": [20, 50, 100, 200], "shrinkage": [0.0, 10.0]}),
        ("EASE", "shopcase", EASE, {"l2": [50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0, 2000.0]}),
        ("implicit Cosine", "implicit", lambda **p: ImplicitPeer("cosine", **p), {"K": [20, 50, 100, 200, 400]}),
        (
            "implicit BM25",
            "implicit",
            lambda **p: ImplicitPeer("bm25", **p),
            {"K": [20, 50, 100, 200, 400], "K1": [0.5, 1.2, 2.0]},
        ),
        (
            "implicit ALS",
            "implicit",
            lambda **p: ImplicitPeer("als", iterations=15, random_state=SEED, **p),
            {"factors": [32, 64, 128], "regularization": [0.01, 0.1, 1.0], "alpha": [1.0, 10.0]},
        ),
        (
            "implicit BPR",
            "implicit",
            lambda **p: ImplicitPeer("bpr", iterations=100, random_state=SEED, **p),
            {"factors": [64, 128, 200], "learning_rate": [0.01, 0.05], "regularization": [0.001, 0.01]},
        ),
    ]


def tune(
    name: str,
    make: Callable[..., object],
    grid: dict[str, list[object]],
    train: pd.DataFrame,
    truth: pd.DataFrame,
    log: list[dict],
) -> tuple[dict[str, object], float]:
    names = list(grid)
    users = truth["user_id"].unique()
    best: tuple[float, dict[str, object]] | None = None
    started = time.perf_counter()
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        recs = make(**params).fit(train).recommend(users, n=K, exclude_seen=True)
        ndcg = ranking_metrics(recs, truth, K)["ndcg_at_k"]
        log.append({"model": name, "params": repr(params), "validation_ndcg@10": ndcg})
        if best is None or ndcg > best[0]:
            best = (ndcg, params)
    n_points = int(np.prod([len(v) for v in grid.values()]))
    print(
        f"  tuned {name:<22} {n_points:>3} points in {time.perf_counter() - started:5.1f}s: "
        f"NDCG@10 {best[0]:.4f} with {best[1]}",
        flush=True,
    )
    return best[1], best[0]


def recommenders_metrics(recs: pd.DataFrame, test: pd.DataFrame) -> dict[str, float] | None:
    """The same lists scored by Microsoft Recommenders' functions (None if it is not installed)."""
    try:
        from recommenders.evaluation import python_evaluation as reco
    except ImportError:
        return None
    true = test.rename(columns={"user_id": "userID", "item_id": "itemID"})[["userID", "itemID", "rating"]]
    pred = recs.rename(columns={"user_id": "userID", "item_id": "itemID"}).assign(
        prediction=lambda f: -f["rank"].astype(float)
    )[["userID", "itemID", "prediction"]]
    return {
        "map": reco.map(true, pred, k=K),
        "ndcg@10": reco.ndcg_at_k(true, pred, k=K),
        "precision@10": reco.precision_at_k(true, pred, k=K),
        "recall@10": reco.recall_at_k(true, pred, k=K),
    }


def check_split_matches_recommenders(ratings: pd.DataFrame, train: pd.DataFrame) -> str:
    try:
        from recommenders.datasets.python_splitters import python_stratified_split
    except ImportError:
        return "recommenders not installed: split not cross-checked"
    theirs, _ = python_stratified_split(ratings, ratio=0.75, col_user="user_id", col_item="item_id", seed=SEED)
    same = set(theirs.index) == set(train.index)
    return f"split identical to recommenders' python_stratified_split(ratio=0.75, seed=42): {same}"


def markdown(table: pd.DataFrame, columns: list[str]) -> str:
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join(" --- " if c in ("model", "group", "params", "source") else " ---: " for c in columns) + "|",
    ]
    for row in table[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, row, strict=True):
            if column == "max |difference|":
                cells.append(f"{value:.1e}")
            elif column == "seconds":
                cells.append("" if pd.isna(value) else f"{value:.1f}")
            elif isinstance(value, float):
                cells.append("" if np.isnan(value) else f"{value:.6f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    if movielens_100k_dir() is None:
        print("MovieLens-100k not found (set SHOPCASE_ML100K to the folder with u.data); nothing to do.")
        return 0
    started = time.perf_counter()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    ratings = load_movielens_100k()
    train_all, test, report = random_split_by_user(ratings, ratio=0.75, seed=SEED)
    print(
        f"u.data: {len(ratings):,} ratings, {ratings['user_id'].nunique()} users, "
        f"{ratings['item_id'].nunique()} movies; train {len(train_all):,}, test {len(test):,}; "
        f"{check_split_matches_recommenders(ratings, train_all)}"
    )
    train = train_all[["user_id", "item_id"]].assign(rating=1.0)
    val_train_all, val_test, _ = random_split_by_user(train_all, ratio=0.75, seed=VALIDATION_SEED)
    val_train = val_train_all[["user_id", "item_id"]].assign(rating=1.0)
    val_truth = val_test[["user_id", "item_id"]]
    print(f"validation (from train only): fit on {len(val_train):,}, score on {len(val_truth):,}")

    log: list[dict] = []
    chosen: dict[str, tuple[str, Callable[..., object], tuple[dict[str, object], float]]] = {}
    print("Stage 1: tuning on validation")
    for name, group, make, grid in specs():
        chosen[name] = (group, make, tune(name, make, grid, val_train, val_truth, log))
    print("Stage 2: blends of tuned parts")

    def blend(weights: tuple[float, float]) -> Hybrid:
        return Hybrid([EASE(**chosen["EASE"][2][0]), UserKNN(**chosen["UserKNN"][2][0])], weights=weights)

    blend_grid = {"weights": [(1.0, 0.1), (1.0, 0.2), (1.0, 0.3), (1.0, 0.5)]}
    chosen["Hybrid(EASE+UserKNN)"] = (
        "shopcase",
        blend,
        tune("Hybrid(EASE+UserKNN)", blend, blend_grid, val_train, val_truth, log),
    )
    RESULTS.mkdir(exist_ok=True)
    pd.DataFrame(log).to_csv(RESULTS / "movielens_100k_validation.csv", index=False)

    print("Final: refit on the full 75 % train, scored once on the 25 % test")
    truth = test[["user_id", "item_id"]]
    users = truth["user_id"].unique()
    rows = []
    for name, (group, make, (params, validation_ndcg)) in chosen.items():
        t0 = time.perf_counter()
        recs = make(**params).fit(train).recommend(users, n=K, exclude_seen=True)
        seconds = time.perf_counter() - t0
        ours = ranking_metrics(recs, truth, K)
        row = {
            "model": name,
            "group": group,
            "map": ours["map_all_relevant_at_k"],
            "ndcg@10": ours["ndcg_at_k"],
            "precision@10": ours["precision_at_k"],
            "recall@10": ours["recall_at_k"],
            "map@10 (/min(R,k))": ours["map_at_k"],
            "hit_rate@10": ours["hit_rate_at_k"],
            "coverage@10": catalogue_coverage(recs, train["item_id"].unique(), K),
            "validation ndcg@10": validation_ndcg,
            "params": ", ".join(f"{k}={v}" for k, v in params.items()),
            "seconds": seconds,
        }
        theirs = recommenders_metrics(recs, test)
        if theirs is not None:
            row.update({f"recommenders {m}": v for m, v in theirs.items()})
            row["max |difference|"] = max(abs(row[m] - theirs[m]) for m in METRICS)
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("ndcg@10", ascending=False, ignore_index=True)
    table.to_csv(RESULTS / "movielens_100k.csv", index=False)

    print("\n### MovieLens-100k, top-10, seen movies removed (MAP = divide by all relevant, Recommenders' `map`)\n")
    published = PUBLISHED.assign(
        group="Recommenders (published)", params="", seconds=np.nan, **{"validation ndcg@10": np.nan}
    )
    both = pd.concat([table, published], ignore_index=True).sort_values("ndcg@10", ascending=False)
    print(markdown(both, ["model", "group", *METRICS, "validation ndcg@10", "params", "seconds"]))
    if "recommenders map" in table:
        print("\nThe same lists scored with recommenders' functions (map, ndcg_at_k, precision_at_k, recall_at_k):\n")
        print(markdown(table, ["model", *[f"recommenders {m}" for m in METRICS], "max |difference|"]))
    ours = table[table["group"] == "shopcase"]
    best = ours.iloc[0]
    picked = ours.loc[ours["validation ndcg@10"].idxmax()]
    print(
        f"\nBest shopcase row on test NDCG@10: {best['model']} ({best['params']}); the shopcase model "
        f"validation would pick: {picked['model']}"
    )
    for metric in METRICS:
        top = PUBLISHED.loc[PUBLISHED[metric].idxmax()]
        print(
            f"  {metric:<13} {best[metric]:.6f} vs best published {top[metric]:.6f} ({top['model']}): "
            f"ratio {best[metric] / top[metric]:.3f}, {'beats' if best[metric] > top[metric] else 'does NOT beat'}"
        )
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

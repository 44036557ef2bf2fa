"""Benchmark: fit + top-10 for every user, for every shopcase model and implicit's CosineRecommender.

Part 1 (scale): a generated shop (default 100k users x 20k items), interactions from its events
(view 1, cart 3, purchase 5). Each model runs in a fresh process that reads the same parquet file, so
"peak RSS" and "extra over data" (peak minus resident memory after loading the data) belong to that
model alone: after loading, the child resets the kernel's peak counter (/proc/self/clear_refs) and
reports VmHWM, so the parquet read does not count. implicit's CosineRecommender runs with K = k + 1,
because its K counts the item itself: both then keep the same k neighbours per item.

Part 2 (the lesson): the reference's dense SeedRecommender against UserKNN and ItemKNN at 1k, 2k and
5k users, with the growth curve saved to benchmarks/seed_vs_sparse.png.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_recommend.py [--users 100000 --items 20000]
        [--models ItemKNN implicit-cosine ...] [--skip-seed] [--seed-sizes 1000 2000 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
K_NEIGHBOURS = 100

MODELS = {
    "Popularity": "Popularity()",
    "ItemKNN": f"ItemKNN(k_neighbors={K_NEIGHBOURS})",
    "ItemKNN-bm25": f"ItemKNN(k_neighbors={K_NEIGHBOURS}, weighting='bm25')",
    "UserKNN": "UserKNN(k_neighbors=20)",
    "EASE": "EASE(l2=500.0)",
    "ContentBased": "ContentBased()",
    "Hybrid(ItemKNN+Content)": f"Hybrid([ItemKNN(k_neighbors={K_NEIGHBOURS}), ContentBased()], weights=[0.7, 0.3])",
}

CHILD = r"""
import json, time
import numpy as np, pandas as pd, scipy.sparse as sp

def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

from implicit.nearest_neighbours import CosineRecommender
from shopcase.recommend import *  # imported before measuring, so "extra" is the model's own memory
interactions = pd.read_parquet({interactions!r})
catalogue = pd.read_parquet({catalogue!r})
users = interactions["user_id"].unique()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM (peak resident memory) to the current resident memory
base = status_mb("VmRSS")
name = {name!r}
if name == "implicit-cosine":
    started = time.perf_counter()
    user_codes, user_index = pd.factorize(interactions["user_id"], sort=True)
    item_codes, item_index = pd.factorize(interactions["item_id"], sort=True)
    matrix = sp.csr_matrix((interactions["rating"].to_numpy(), (user_codes, item_codes)),
                           shape=(len(user_index), len(item_index)))
    model = CosineRecommender(K={k} + 1)  # implicit counts the item itself among its K neighbours
    model.fit(matrix, show_progress=False)
    fitted = time.perf_counter()
    ids, scores = model.recommend(np.arange(len(user_index)), matrix, N=10, filter_already_liked_items=True)
    rows = int((ids >= 0).sum())
else:
    model = {constructor}
    started = time.perf_counter()
    model.fit(interactions, item_features=catalogue)
    fitted = time.perf_counter()
    rows = len(model.recommend(users, n=10, exclude_seen=True))
done = time.perf_counter()
peak = status_mb("VmHWM")
print(json.dumps({{"fit_s": fitted - started, "recommend_s": done - fitted, "total_s": done - started,
                  "peak_mb": peak, "extra_mb": peak - base, "rows": rows}}))
"""


def run_child(name: str, constructor: str, interactions: Path, catalogue: Path) -> dict:
    code = CHILD.format(
        name=name, constructor=constructor, interactions=str(interactions), catalogue=str(catalogue), k=K_NEIGHBOURS
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {out.returncode} (killed?)"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare(n_users: int, n_items: int, folder: Path) -> tuple[Path, Path, dict]:
    from shopcase.data import interactions_from_events, load_or_generate

    shop = load_or_generate(n_users=n_users, n_items=n_items, seed=1)
    interactions = interactions_from_events(shop.events)
    paths = folder / "interactions.parquet", folder / "catalogue.parquet"
    interactions.to_parquet(paths[0], index=False)
    shop.catalogue.to_parquet(paths[1], index=False)
    n_u, n_i = interactions["user_id"].nunique(), interactions["item_id"].nunique()
    csr_mb = (len(interactions) * (8 + 4) + (n_u + 1) * 4) / 2**20
    neighbours_mb = n_i * K_NEIGHBOURS * (8 + 4) / 2**20
    return *paths, {
        "users": n_u,
        "items": n_i,
        "interactions": len(interactions),
        "csr_mb": csr_mb,
        "neighbours_mb": neighbours_mb,
    }


def scale_table(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        interactions, catalogue, sizes = prepare(args.users, args.items, Path(tmp))
        print(
            f"data: {sizes['users']:,} users x {sizes['items']:,} items, {sizes['interactions']:,} interactions; "
            f"CSR matrix {sizes['csr_mb']:.0f} MB (float64 values, int32 indices), "
            f"top-{K_NEIGHBOURS} neighbour table {sizes['neighbours_mb']:.0f} MB\n"
        )
        print("| model | fit s | recommend-all s | total s | peak RSS MB | extra over data MB | rows |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        results = {}
        for name in args.models:
            constructor = MODELS.get(name, "None")
            result = run_child(name, constructor, interactions, catalogue)
            results[name] = result
            if "error" in result:
                print(f"| {name} | failed: {result['error']} | | | | | |", flush=True)
                continue
            print(
                f"| {name} | {result['fit_s']:.1f} | {result['recommend_s']:.1f} | {result['total_s']:.1f} "
                f"| {result['peak_mb']:,.0f} | {result['extra_mb']:,.0f} | {result['rows']:,} |",
                flush=True,
            )
        pair = [results.get("ItemKNN", {}), results.get("implicit-cosine", {})]
        if all("total_s" in r for r in pair):
            ratio = results["ItemKNN"]["total_s"] / results["implicit-cosine"]["total_s"]
            print(
                f"\nItemKNN / implicit CosineRecommender (K={K_NEIGHBOURS} + 1, the same neighbours), "
                f"fit + recommend-all time: {ratio:.2f}x"
            )


SEED_CHILD = r"""
import json, time
from shopcase.data import interactions_from_events, generate_shop
from shopcase.recommend import *
shop = generate_shop(n_users={n_users}, n_items={n_items}, seed=1)
interactions = interactions_from_events(shop.events)
users = interactions["user_id"].unique()
started = time.perf_counter()
model = {constructor}.fit(interactions)
if {name!r} == "SeedRecommender":
    for user in users:
        model.recommend_for_user(user, n_recommendations=10, method="collaborative")
else:
    model.recommend(users, n=10)
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: ru_maxrss survives fork/exec and would report the parent's peak.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"seconds": seconds, "peak_mb": peak_kb / 1024, "users": len(users)}}))
"""


def seed_curve(sizes: list[int], n_items: int) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a script, not a notebook: write the PNG without a display
    import matplotlib.pyplot as plt

    models = {
        "SeedRecommender": "SeedRecommender()",
        "UserKNN": "UserKNN(k_neighbors=20)",
        "ItemKNN": f"ItemKNN(k_neighbors={K_NEIGHBOURS})",
    }
    print(f"\nSeed (dense, Python loop per user) vs sparse, {n_items:,} items, fit + top-10 for every user\n")
    print("| users | model | seconds | peak RSS MB | time vs UserKNN |")
    print("| ---: | --- | ---: | ---: | ---: |")
    curves: dict[str, list[tuple[int, float, float]]] = {m: [] for m in models}
    for n_users in sizes:
        row = {}
        for name, constructor in models.items():
            code = SEED_CHILD.format(n_users=n_users, n_items=n_items, constructor=constructor, name=name)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            row[name] = json.loads(out.stdout.strip().splitlines()[-1])
        for name, result in row.items():
            curves[name].append((row[name]["users"], result["seconds"], result["peak_mb"]))
            ratio = result["seconds"] / row["UserKNN"]["seconds"]
            print(
                f"| {n_users:,} | {name} | {result['seconds']:.2f} | {result['peak_mb']:,.0f} | {ratio:.1f}x |",
                flush=True,
            )
    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, points in curves.items():
        users, seconds, peak = zip(*points, strict=True)
        ax_time.plot(users, seconds, marker="o", label=name)
        ax_mem.plot(users, peak, marker="o", label=name)
    ax_time.set(xlabel="users with interactions", ylabel="seconds (fit + top-10 for all)", yscale="log")
    ax_mem.set(xlabel="users with interactions", ylabel="peak RSS MB")
    ax_time.legend()
    fig.suptitle("The reference's dense design vs sparse kNN")
    fig.tight_layout()
    fig.savefig(HERE / "seed_vs_sparse.png", dpi=110)
    print(f"\nplot: {HERE / 'seed_vs_sparse.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--models", nargs="*", default=[*MODELS, "implicit-cosine"])
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--seed-sizes", nargs="*", type=int, default=[1000, 2000, 5000])
    parser.add_argument("--seed-items", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if not args.skip_scale:
        scale_table(args)
    if not args.skip_seed:
        seed_curve(args.seed_sizes, args.seed_items)


if __name__ == "__main__":
    main()

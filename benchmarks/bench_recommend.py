"""Benchmark: fit + top-10 for every user, for shopcase's models and implicit's CosineRecommender.

Part 1 (scale): a generated shop (default 100k users x 20k items, seed 1), interactions from its
events (view 1, cart 3, purchase 5). Each model runs in a fresh process that reads the same parquet
file, so its memory is its own: after loading, the child resets the kernel's peak counter
(/proc/self/clear_refs) and reports VmHWM after fitting ("fit peak") and, reset again, after
recommending to everyone ("recommend peak"); "extra over data" is the larger of the two minus the
resident memory after loading. Every model runs --repeats times, interleaved (one run of each model,
then the next round), and the table shows medians; ItemKNN / implicit ratios are taken within a round
(both ran back to back) and their median is reported. implicit's CosineRecommender runs with K = k + 1,
because its K counts the item itself: both then keep the same k neighbours per item. The machine is
shared: load averages are printed with every round.

Part 2 (the lesson): the reference's dense SeedRecommender against UserKNN and ItemKNN at 1k, 2k and
5k users, with the growth curve saved to benchmarks/seed_vs_sparse.png.

EASE's catalogue-size curve is benchmarks/bench_ease.py.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_recommend.py [--users 100000 --items 20000]
        [--models ItemKNN implicit-cosine ...] [--repeats 5] [--skip-seed] [--seed-sizes 1000 2000 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
K_NEIGHBOURS = 100
PAIR = ("ItemKNN", "implicit-cosine")
"""The head-to-head: the same neighbours, the same top-10, one shopcase model against its named peer."""

MODELS = {  # every core (n_jobs=-1), as implicit's models use by default
    "Popularity": "Popularity()",
    "ItemKNN": f"ItemKNN(k_neighbors={K_NEIGHBOURS}, n_jobs=-1)",
    "ItemKNN-bm25": f"ItemKNN(k_neighbors={K_NEIGHBOURS}, weighting='bm25', n_jobs=-1)",
    "UserKNN": "UserKNN(k_neighbors=20, n_jobs=-1)",
    "EASE-float32": "EASE(l2=500.0, dtype='float32', n_jobs=-1)",
    "ContentBased": "ContentBased(n_jobs=-1)",
    "Hybrid(ItemKNN+Content)": (
        f"Hybrid([ItemKNN(k_neighbors={K_NEIGHBOURS}), ContentBased()], weights=[0.7, 0.3], n_jobs=-1)"
    ),
}

PRELUDE = r"""
import json, os, time
import numpy as np, pandas as pd, scipy.sparse as sp

def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM (peak resident memory) to the current resident memory
"""
"""What every measuring child process starts with (its code is a string run by ``python -c``)."""

CHILD = r"""

from implicit.nearest_neighbours import CosineRecommender
from shopcase.recommend import *  # imported before measuring, so "extra" is the model's own memory
interactions = pd.read_parquet({interactions!r})
catalogue = pd.read_parquet({catalogue!r})
users = interactions["user_id"].unique()
reset_peak()
base = status_mb("VmRSS")
name = {name!r}
if name == "implicit-cosine":
    started = time.perf_counter()
    user_codes, user_index = pd.factorize(interactions["user_id"], sort=True)
    item_codes, item_index = pd.factorize(interactions["item_id"], sort=True)
    matrix = sp.csr_matrix((interactions["rating"].to_numpy(), (user_codes, item_codes)),
                           shape=(len(user_index), len(item_index)))
    del user_codes, item_codes
    model = CosineRecommender(K={k} + 1)  # implicit counts the item itself among its K neighbours
    model.fit(matrix, show_progress=False)
    fitted = time.perf_counter()
    fit_peak = status_mb("VmHWM")
    reset_peak()
    recommending = time.perf_counter()
    ids, scores = model.recommend(np.arange(len(user_index)), matrix, N=10, filter_already_liked_items=True)
    rows = int((ids >= 0).sum())
else:
    model = {constructor}
    started = time.perf_counter()
    model.fit(interactions, item_features=catalogue)
    fitted = time.perf_counter()
    fit_peak = status_mb("VmHWM")
    reset_peak()
    recommending = time.perf_counter()
    rows = len(model.recommend(users, n=10, exclude_seen=True))
done = time.perf_counter()
recommend_peak = status_mb("VmHWM")
print(json.dumps({{"fit_s": fitted - started, "recommend_s": done - recommending,
                  "total_s": fitted - started + done - recommending,
                  "fit_extra_mb": fit_peak - base, "recommend_extra_mb": recommend_peak - base,
                  "extra_mb": max(fit_peak, recommend_peak) - base, "peak_mb": max(fit_peak, recommend_peak),
                  "rows": rows}}))
"""


def run_child(name: str, constructor: str, interactions: Path, catalogue: Path) -> dict:
    code = PRELUDE + CHILD.format(
        name=name, constructor=constructor, interactions=str(interactions), catalogue=str(catalogue), k=K_NEIGHBOURS
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {out.returncode} (killed?)"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare(n_users: int, n_items: int, seed: int, folder: Path) -> tuple[Path, Path, dict]:
    """Write the shop's interactions and catalogue as parquet in ``folder``; return their paths and sizes."""
    from shopcase.data import interactions_from_events, load_or_generate

    shop = load_or_generate(n_users=n_users, n_items=n_items, seed=seed)
    interactions = interactions_from_events(shop.events)
    paths = folder / f"interactions-{n_items}.parquet", folder / f"catalogue-{n_items}.parquet"
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


def machine() -> str:
    """One line: cores, CPU model, Python and library versions, and the load averages now."""
    from importlib import metadata

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line), "?")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("numpy", "scipy", "implicit"))
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {versions}; {load()}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def scale_table(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        interactions, catalogue, sizes = prepare(args.users, args.items, args.seed, Path(tmp))
        print(
            f"data: {sizes['users']:,} users x {sizes['items']:,} items, {sizes['interactions']:,} interactions "
            f"(seed {args.seed}); CSR matrix {sizes['csr_mb']:.0f} MB (float64 values, int32 indices), "
            f"top-{K_NEIGHBOURS} neighbour table {sizes['neighbours_mb']:.0f} MB\nmachine: {machine()}\n",
            flush=True,
        )
        results: dict[str, list[dict]] = {name: [] for name in args.models}
        errors: dict[str, str] = {}
        for round_ in range(1, args.repeats + 1):
            line = []
            for name in args.models:
                if name in errors:
                    continue
                result = run_child(name, MODELS.get(name, "None"), interactions, catalogue)
                if "error" in result:
                    errors[name] = result["error"]
                    continue
                results[name].append(result)
                line.append(f"{name} {result['total_s']:.1f} s / {result['extra_mb']:,.0f} MB")
            print(f"round {round_}: {'; '.join(line)}; {load()}", flush=True)
        print(f"\nMedians of {args.repeats} runs per model (fresh process each):\n")
        print(
            "| model | fit s | recommend-all s | total s (min-max) | fit peak extra MB | recommend peak extra MB "
            "| extra over data MB | peak RSS MB | rows |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in args.models:
            runs = results[name]
            if not runs:
                print(f"| {name} | failed: {errors.get(name, '?')} | | | | | | | |")
                continue
            totals = [r["total_s"] for r in runs]
            print(
                f"| {name} | {median(runs, 'fit_s'):.1f} | {median(runs, 'recommend_s'):.1f} "
                f"| {median(runs, 'total_s'):.1f} ({min(totals):.1f}-{max(totals):.1f}) "
                f"| {median(runs, 'fit_extra_mb'):,.0f} | {median(runs, 'recommend_extra_mb'):,.0f} "
                f"| {median(runs, 'extra_mb'):,.0f} | {median(runs, 'peak_mb'):,.0f} | {runs[0]['rows']:,} |"
            )
        ours, peer = (results.get(name, []) for name in PAIR)
        if ours and peer and len(ours) == len(peer):
            time_ratios = [a["total_s"] / b["total_s"] for a, b in zip(ours, peer, strict=True)]
            memory_ratios = [a["extra_mb"] / b["extra_mb"] for a, b in zip(ours, peer, strict=True)]
            print(
                f"\nItemKNN / implicit CosineRecommender (K={K_NEIGHBOURS} + 1, the same neighbours), same round: "
                f"fit + recommend-all time {statistics.median(time_ratios):.2f}x "
                f"(rounds: {', '.join(f'{r:.2f}' for r in time_ratios)}; goal <= 1.0x), "
                f"extra memory over the data {statistics.median(memory_ratios):.2f}x "
                f"(rounds: {', '.join(f'{r:.2f}' for r in memory_ratios)}; goal <= 1.0x)"
            )
        print(f"\nmachine at the end: {load()}")


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
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--models", nargs="*", default=list(PAIR), help=f"any of {[*MODELS, PAIR[1]]}")
    parser.add_argument("--repeats", type=int, default=5, help="runs per model (medians are reported)")
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

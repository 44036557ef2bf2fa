"""Benchmark: the nightly batch against the model's own recommend-for-everyone, and at a million users.

Part 1 (overhead): ItemKNN (k = 100) on the 100k-user x 20k-item generated shop (seed 1, as
bench_recommend.py). In one process, alternating, ``--repeats`` times each:

* peer: ``model.recommend(all users, n=10)``, the model's own top-10 for every user, kept in memory;
* ``batch_recommend`` without rules (chunks of 20,000 users to Parquet);
* ``batch_recommend`` with a merchandiser's rules: the items out of stock on 2023-12-01 (the shop's
  calendar), 5 banned and 2 pinned items, at most 3 items per category.

Reported: median seconds, the ratio to the peer (goal: at most 1.3x), rows and short lists.

Part 2 (scale): one million users x 20,000 items of synthetic interactions (a home category per user,
Zipf popularity within and across categories, 8 items per user on average), in a fresh process: ItemKNN
fit, then ``batch_recommend`` with rules to Parquet. Reported: times and the process's peak resident memory
(VmHWM; goal: under 4 GB on 2 cores).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_batch.py [--repeats 3] [--big-users 1000000]
        [--skip-big]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHUNK = 20_000


def rules_for(shop, model):
    from shopcase.serve import BusinessRules, category_lookup

    day = np.datetime64("2023-12-01")
    spells = shop.stockouts
    out = spells[(spells["start"] <= day) & (spells["end"] > day)]["item_id"].unique().tolist()
    popular = model.item_ids_[np.argsort(-model.item_popularity_, kind="stable")]
    banned = [int(i) for i in popular[100:105] if i not in set(out)]
    pinned = [int(i) for i in popular[200:202] if i not in set(out)]
    return BusinessRules(
        out_of_stock=out,
        banned=banned,
        pinned=pinned,
        max_per_category=3,
        item_category=category_lookup(shop.catalogue),
    )


def overhead(args: argparse.Namespace) -> None:
    from shopcase.data import interactions_from_events, load_or_generate
    from shopcase.recommend import ItemKNN
    from shopcase.serve import batch_recommend

    shop = load_or_generate(n_users=args.users, n_items=args.items, seed=1)
    interactions = interactions_from_events(shop.events)
    model = ItemKNN(k_neighbors=100).fit(interactions)
    users = model.user_ids_
    rules = rules_for(shop, model)
    print(
        f"ItemKNN(k_neighbors=100) on {len(users):,} users x {len(model.item_ids_):,} items; rules: "
        f"{len(rules.out_of_stock)} items out of stock, {len(rules.banned)} banned, {len(rules.pinned)} pinned, "
        f"at most {rules.max_per_category} per category; load average {os.getloadavg()}"
    )
    # Wall-clock and this process's CPU time (all its threads): on a shared machine the CPU ratio is the
    # steadier one, as the wall clock also counts the time spent waiting for a core.
    wall: dict[str, list[float]] = {"peer": [], "batch": [], "batch+rules": []}
    cpu: dict[str, list[float]] = {"peer": [], "batch": [], "batch+rules": []}
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            rows = len(model.recommend(users, n=10))
            wall["peer"].append(time.perf_counter() - started)
            cpu["peer"].append(time.process_time() - cpu_started)
            for name, chosen in (("batch", None), ("batch+rules", rules)):
                out = Path(tmp) / f"{name}-{repeat}"
                started, cpu_started = time.perf_counter(), time.process_time()
                reports[name] = batch_recommend(model, out, n=10, rules=chosen, chunk_size=CHUNK)
                wall[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
    peer_wall, peer_cpu = float(np.median(wall["peer"])), float(np.median(cpu["peer"]))
    print("\n| run | median wall s | runs wall s | median CPU s | rows | short lists | wall ratio | CPU ratio |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    runs = ", ".join(f"{t:.1f}" for t in wall["peer"])
    print(
        f"| model.recommend(all users, n=10) (peer) | {peer_wall:.1f} | {runs} | {peer_cpu:.1f} | {rows:,} "
        "| | 1.00 | 1.00 |"
    )
    for name in ("batch", "batch+rules"):
        median_wall, median_cpu = float(np.median(wall[name])), float(np.median(cpu[name]))
        report = reports[name]
        print(
            f"| batch_recommend {'with rules' if name.endswith('rules') else 'without rules'} | {median_wall:.1f} | "
            f"{', '.join(f'{t:.1f}' for t in wall[name])} | {median_cpu:.1f} | {report.rows:,} | "
            f"{report.short_lists:,} | {median_wall / peer_wall:.2f} | {median_cpu / peer_cpu:.2f} |"
        )
    print(f"load average after: {os.getloadavg()}")


BIG_CHILD = r"""
import json, time, tempfile
import numpy as np, pandas as pd

def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

from shopcase.recommend import ItemKNN
from shopcase.serve import BusinessRules, batch_recommend
n_users, n_items, n_categories = {users}, {items}, 20
rng = np.random.default_rng(7)
per_category = n_items // n_categories
counts = rng.geometric(1 / 8, n_users)
user = np.repeat(np.arange(1, n_users + 1), counts)
home = np.repeat(rng.integers(0, n_categories, n_users), counts)
zipf = 1.0 / np.arange(1, per_category + 1) ** 1.05
within = rng.choice(per_category, len(user), p=zipf / zipf.sum())
category = np.where(rng.random(len(user)) < 0.7, home, rng.integers(0, n_categories, len(user)))
item = category * per_category + within + 1
frame = pd.DataFrame({{"user_id": user, "item_id": item, "rating": rng.integers(1, 6, len(user)).astype(float)}})
frame = frame.drop_duplicates(["user_id", "item_id"], ignore_index=True)
item_category = pd.Series((np.arange(n_items) // per_category).astype(str), index=np.arange(1, n_items + 1))
made, made_cpu = time.perf_counter(), time.process_time()
model = ItemKNN(k_neighbors=100).fit(frame)
fitted, fitted_cpu = time.perf_counter(), time.process_time()
rules = BusinessRules(out_of_stock=list(range(1, n_items + 1, 97)), max_per_category=3, item_category=item_category)
with tempfile.TemporaryDirectory() as tmp:
    report = batch_recommend(model, tmp + "/out", n=10, rules=rules, chunk_size={chunk})
    batch_cpu = time.process_time() - fitted_cpu
    size = sum(p.stat().st_size for p in __import__("pathlib").Path(tmp, "out").glob("*.parquet"))
print(json.dumps({{"interactions": len(frame), "users": len(model.user_ids_), "items": len(model.item_ids_),
                  "fit_s": fitted - made, "fit_cpu_s": fitted_cpu - made_cpu, "batch_s": report.seconds,
                  "batch_cpu_s": batch_cpu, "rows": report.rows,
                  "short": report.short_lists, "parquet_mb": size / 2**20, "peak_mb": status_mb("VmHWM")}}))
"""


def scale(args: argparse.Namespace) -> None:
    code = BIG_CHILD.format(users=args.big_users, items=args.items, chunk=CHUNK)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"\nscale run failed: {out.stderr.strip().splitlines()[-1:]}")
        return
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"\n{result['users']:,} users x {result['items']:,} items ({result['interactions']:,} interactions): "
        f"ItemKNN fit {result['fit_s']:.0f} s ({result['fit_cpu_s']:.0f} s CPU), batch with rules "
        f"{result['batch_s']:.0f} s ({result['batch_cpu_s']:.0f} s CPU) "
        f"({result['rows']:,} rows, {result['short']:,} short lists, {result['parquet_mb']:.0f} MB of Parquet), "
        f"peak RSS {result['peak_mb']:,.0f} MB (goal < 4,096 MB); whole process {time.perf_counter() - started:.0f} s; "
        f"load average {os.getloadavg()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-users", type=int, default=1_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--only-big", action="store_true")
    args = parser.parse_args()
    if not args.only_big:
        overhead(args)
    if not args.skip_big:
        scale(args)


if __name__ == "__main__":
    main()

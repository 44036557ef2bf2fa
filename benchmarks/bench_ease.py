"""Benchmark: EASE's fit time and peak memory as the catalogue grows (5k, 10k, 20k items), and scoring everyone.

For each catalogue size a shop of 100k users is generated (seed 1; interactions from its events:
view 1, cart 3, purchase 5). Each measurement is a fresh process reading the same parquet file; after
loading, the child resets the kernel's peak counter (/proc/self/clear_refs), so "fit extra" is the
fit's peak resident memory above the loaded data, and "fit peak RSS" the process's peak. shopcase's
EASE runs in float32 and float64 with n_jobs=-1 (LAPACK potrf + potri in place, BLAS threads = the cores, only for
the factorisation); after fitting it recommends the top 10 to every user (its own peak, the counter
reset again). The peer is Steck's reference closed form as his paper's code writes it: a dense Gram
matrix and ``numpy.linalg.inv`` (float64, the same BLAS threads), fit only; it needs two or three
n x n float64 arrays, so by default it runs at the sizes where that fits comfortably on a shared
machine. float32 against float64 is compared on the top-10 lists of every user.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ease.py [--sizes 5000 10000 20000]
        [--dtypes float32 float64] [--repeats 1] [--peer-sizes 5000 10000] [--users 100000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_recommend import PRELUDE, load, machine, prepare

L2 = 500.0

CHILD = r"""

from threadpoolctl import threadpool_limits
from shopcase.recommend import EASE
interactions = pd.read_parquet({interactions!r})
users = interactions["user_id"].unique()
reset_peak()
base = status_mb("VmRSS")
out = {{}}
if {dtype!r} == "numpy-inv":
    # Steck (2019), the paper's code: G = X^T X + l2 I (dense); P = inv(G); B = P / -diag(P); diag(B) = 0.
    started = time.perf_counter()
    user_codes, _ = pd.factorize(interactions["user_id"], sort=True)
    item_codes, _ = pd.factorize(interactions["item_id"], sort=True)
    x = sp.csr_matrix((interactions["rating"].to_numpy(), (user_codes, item_codes)))
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += {l2}
    with threadpool_limits(limits=len(os.sched_getaffinity(0)), user_api="blas"):
        p = np.linalg.inv(gram)
    del gram
    b = p / -np.diag(p)
    np.fill_diagonal(b, 0.0)
    out["fit_s"] = time.perf_counter() - started
    out["fit_extra_mb"] = status_mb("VmHWM") - base
    out["fit_peak_mb"] = status_mb("VmHWM")
else:
    model = EASE(l2={l2}, dtype={dtype!r}, n_jobs=-1)
    started = time.perf_counter()
    model.fit(interactions)
    out["fit_s"] = time.perf_counter() - started
    out["fit_extra_mb"] = status_mb("VmHWM") - base
    out["fit_peak_mb"] = status_mb("VmHWM")
    if {score}:
        reset_peak()
        started = time.perf_counter()
        top = model.recommend(users, n=10)
        out["recommend_s"] = time.perf_counter() - started
        out["recommend_extra_mb"] = status_mb("VmHWM") - base
        top.to_parquet({top_path!r})
print(json.dumps(out))
"""


def run(interactions: Path, dtype: str, score: bool, top_path: Path) -> dict:
    values = {"interactions": str(interactions), "dtype": dtype, "l2": L2, "score": score, "top_path": str(top_path)}
    code = PRELUDE + CHILD.format(**values)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {done.returncode} (killed?)"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(narrow: Path, wide: Path) -> str:
    """float32 against float64 top-10 lists: the share of (user, rank) with the same item, of users with
    the same list, and the largest score difference relative to the largest float64 score."""
    a, b = pd.read_parquet(narrow), pd.read_parquet(wide)
    merged = a.merge(b, on=["user_id", "rank"], how="outer", suffixes=("_32", "_64"))
    same = merged["item_id_32"] == merged["item_id_64"]
    same_users = same.groupby(merged["user_id"]).all().mean()
    scale = merged["score_64"].abs().max()
    both = a.merge(b, on=["user_id", "item_id"], suffixes=("_32", "_64"))
    error = (both["score_32"] - both["score_64"]).abs().max() / scale
    return (
        f"same item at the same rank {same.mean():.4%}, identical lists {same_users:.2%} of users, "
        f"largest score difference {error:.1e} of the largest score"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", nargs="*", type=int, default=[5000, 10000, 20000])
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    parser.add_argument("--peer-sizes", nargs="*", type=int, default=[5000, 10000])
    parser.add_argument("--repeats", type=int, default=1, help="fits per size and dtype (medians are reported)")
    parser.add_argument("--no-score", action="store_true", help="fit only (no recommend-all)")
    args = parser.parse_args()
    print(f"machine: {machine()}\n", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_items in args.sizes:
            interactions, _, sizes = prepare(args.users, n_items, args.seed, Path(tmp))
            print(
                f"{n_items:,} items: {sizes['users']:,} users, {sizes['interactions']:,} interactions; {load()}",
                flush=True,
            )
            variants = list(args.dtypes) + (["numpy-inv"] if n_items in args.peer_sizes else [])
            tops = {}
            for dtype in variants:
                runs = []
                for repeat in range(args.repeats):
                    top = Path(tmp) / f"top-{n_items}-{dtype}.parquet"
                    score = dtype != "numpy-inv" and not args.no_score and repeat == 0
                    result = run(interactions, dtype, score, top)
                    print(f"  {dtype} run {repeat + 1}: {json.dumps(result)}; {load()}", flush=True)
                    if "error" in result:
                        break
                    runs.append(result)
                    if score:
                        tops[dtype] = top
                row = {"items": n_items, "variant": dtype, "runs": len(runs)}
                if runs:
                    for key in ("fit_s", "fit_extra_mb", "fit_peak_mb"):
                        row[key] = statistics.median(r[key] for r in runs)
                    for key in ("recommend_s", "recommend_extra_mb"):
                        row[key] = runs[0].get(key, np.nan)
                else:
                    row["error"] = result["error"]
                rows.append(row)
            if {"float32", "float64"} <= tops.keys():
                print(f"  float32 vs float64 top-10: {agreement(tops['float32'], tops['float64'])}", flush=True)
    table = pd.DataFrame(rows)
    print(
        "\n| items | variant | fit s | fit extra MB | fit peak RSS MB | recommend-all s | recommend extra MB | runs |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in table.to_dict("records"):
        if "error" in row and isinstance(row["error"], str):
            print(f"| {row['items']:,} | {row['variant']} | failed: {row['error']} | | | | | 0 |")
            continue
        print(
            f"| {row['items']:,} | {row['variant']} | {row['fit_s']:.1f} | {row['fit_extra_mb']:,.0f} "
            f"| {row['fit_peak_mb']:,.0f} | {row['recommend_s']:.1f} | {row['recommend_extra_mb']:,.0f} "
            f"| {row['runs']} |"
        )
    for n_items in args.sizes:
        here = table[table["items"] == n_items].set_index("variant")
        if "numpy-inv" in here.index and "fit_s" in here and not np.isnan(here.loc["numpy-inv", "fit_s"]):
            ratios = ", ".join(
                f"{v} {here.loc[v, 'fit_s'] / here.loc['numpy-inv', 'fit_s']:.2f}x time, "
                f"{here.loc[v, 'fit_extra_mb'] / here.loc['numpy-inv', 'fit_extra_mb']:.2f}x memory"
                for v in args.dtypes
                if v in here.index
            )
            print(f"\n{n_items:,} items, shopcase EASE / Steck's numpy.linalg.inv fit: {ratios}")
    print(f"\nmachine at the end: {load()}")


if __name__ == "__main__":
    main()

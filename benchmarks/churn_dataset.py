"""Benchmark: ``build_churn_dataset`` on the 100k-user shop, beside one validation pass of its event log.

The entry point builds features (with emails, catalogue and the BG/NBD columns) and labels as of one
date. Peers, run side by side in the same run: one ``validate_frame`` of the same event log (what a
single check of the input costs), and with ``--before DIR`` the same two steps on another copy of
shopcase (e.g. ``git archive <commit>`` unpacked into DIR), interleaved run by run so both see the
same machine load. Each measurement runs in a fresh process (the shop is read from the
``data/generated`` cache, not timed), so peak resident memory belongs to that step alone.

    .venv/bin/python benchmarks/churn_dataset.py [--repeats 3] [--users 100000] [--items 20000] [--before DIR]

Prints a Markdown table for benchmarks/RESULTS.md; note the load average it prints (shared machine).
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

CHILD = """
import json, resource, time
from shopcase.data import load_or_generate
shop = load_or_generate(n_users={n_users}, n_items={n_items}, seed=42)
events = shop.events
before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
if {step!r} == "validate":
    from shopcase.schema import EVENTS_COLUMNS
    from shopcase.validate import validate_frame
    validate_frame(events, EVENTS_COLUMNS, "events")
    n = len(events)
else:
    from shopcase.churn import build_churn_dataset
    data = build_churn_dataset(
        events, "2023-10-01", 90, emails=shop.emails, catalogue=shop.catalogue, bgnbd=True, log_end=shop.log_end
    )
    n = len(data.labels)
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "before_mb": before_mb, "rows": n, "events": len(events)}}))
"""

STEPS = {
    "validate": "one `validate_frame(events)` pass (peer)",
    "build": "`build_churn_dataset` (emails, catalogue, BG/NBD)",
}


def measure(step: str, n_users: int, n_items: int, tree: str | None = None) -> dict:
    code = CHILD.format(step=step, n_users=n_users, n_items=n_items)
    env = dict(os.environ, PYTHONPATH=tree) if tree else None
    # A neutral working directory: python -c puts it first on sys.path, before PYTHONPATH.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=tempfile.gettempdir()
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--before", default=None, help="another shopcase tree to run side by side (the peer)")
    args = parser.parse_args()
    measure("validate", args.users, args.items)  # generates the shop into the cache once if needed
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average before the runs {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min); "
        f"median of {args.repeats} runs, each in a fresh process\n"
    )
    trees = {"this tree": None, **({f"before ({args.before})": args.before} if args.before else {})}
    results: dict[tuple[str, str], list[dict]] = {(tree, step): [] for tree in trees for step in STEPS}
    for _ in range(args.repeats):  # interleaved: every configuration sees the same spells of load
        for tree, path in trees.items():
            for step in STEPS:
                results[tree, step].append(measure(step, args.users, args.items, path))
    peer = statistics.median(r["seconds"] for r in results["this tree", "validate"])
    print(
        "| code | step | events | rows out | seconds (median) | runs | peak RSS MB (max) | RSS before MB "
        "| x one validation (this tree) |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for (tree, step), runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"| {tree} | {STEPS[step]} | {runs[0]['events']:,} | {runs[0]['rows']:,} | {seconds:.2f} | {each} "
            f"| {max(r['peak_mb'] for r in runs):,.0f} | {runs[0]['before_mb']:,.0f} | {seconds / peer:.1f} |"
        )
    load = os.getloadavg()
    print(f"\nload average after the runs {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: time and peak memory of the shop generator at increasing scale.

Each measurement runs in a fresh process, so peak resident memory (ru_maxrss) belongs to that
generation alone. Prints a Markdown table; copy it into benchmarks/RESULTS.md with the machine noted.

    .venv/bin/python benchmarks/bench_data.py [--repeats 3] [--sizes 10000x2000 100000x20000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys

CHILD = """
import json, resource, time
from shopcase.data import generate_shop
started = time.perf_counter()
shop = generate_shop(n_users={n_users}, n_items={n_items}, seed={seed})
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "events": len(shop.events), "emails": len(shop.emails),
                  "purchases": int((shop.events["event_type"] == "purchase").sum())}}))
"""

BASELINE = "import resource, shopcase.data; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"


def measure(n_users: int, n_items: int, seed: int) -> dict:
    code = CHILD.format(n_users=n_users, n_items=n_items, seed=seed)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="*", default=["4000x3000", "10000x2000", "100000x20000"])
    args = parser.parse_args()
    import_mb = float(
        subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True, check=True).stdout
    )
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}; "
        f"median of {args.repeats} runs (seeds 1..{args.repeats}); import alone peaks at {import_mb:.0f} MB\n"
    )
    print("| users | items | events | purchase lines | emails | seconds (median) | peak RSS MB (max) | events/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        n_users, n_items = map(int, size.split("x"))
        runs = [measure(n_users, n_items, seed) for seed in range(1, args.repeats + 1)]
        seconds = statistics.median(r["seconds"] for r in runs)
        first = runs[0]
        print(
            f"| {n_users:,} | {n_items:,} | {first['events']:,} | {first['purchases']:,} | {first['emails']:,} "
            f"| {seconds:.1f} | {max(r['peak_mb'] for r in runs):,.0f} | {first['events'] / seconds:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

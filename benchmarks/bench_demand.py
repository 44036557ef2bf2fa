"""Benchmark: a 20k-series, 28-day rolling-origin backtest with 3 origins, the global model against statsforecast.

Data: a generated shop with 20,000 items (100,000 users, one year), item x day demand with prices,
promotions and stock-outs (``daily_demand``): 20,000 series of 365 days. At each of 3 origins 28 days apart
the models are fitted on the days before it and forecast 28 days:

* shopcase's ``GlobalForecaster`` (LightGBM over every series; ``n_jobs=2``), fitted afresh at every origin,
  including its validation fit for the dispersion: the goal is <= 5 minutes for the whole backtest;
* statsforecast (the peer), on the same series and origins, through its own ``StatsForecast`` class with
  ``n_jobs=2``: TSB and CrostonOptimized on every series; AutoETS on a random 1,000 series per origin, its
  time scaled by 20 (AutoETS fits 30-100 ms per series here, over an hour for all 60,000 fits);
* shopcase's ``SeasonalNaive`` as the floor.

Accuracy (MASE, pooled over origins) is printed beside the times. Memory: the process's peak RSS.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_demand.py [--quick]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sys
import time

import numpy as np
import pandas as pd

from shopcase.data import generate_shop
from shopcase.demand import GlobalForecaster, SeasonalNaive, backtest, daily_demand, rolling_origins, series_metrics

print = functools.partial(print, flush=True)  # noqa: A001 - progress shows while it runs
GOAL_SECONDS = 300.0


def peak_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def statsforecast_backtest(series: pd.DataFrame, origins, horizon: int, models, sample: int | None, seed: int = 0):
    """statsforecast's own StatsForecast.forecast at each origin; returns (seconds, forecasts by model)."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive as Fallback

    frame = series[["series_id", "date", "demand"]].rename(
        columns={"series_id": "unique_id", "date": "ds", "demand": "y"}
    )
    if sample is not None:
        ids = np.random.default_rng(seed).choice(frame["unique_id"].unique(), sample, replace=False)
        frame = frame[frame["unique_id"].isin(ids)]
    seconds, out = 0.0, []
    for origin in origins:
        history = frame[frame["ds"] < origin]
        started = time.perf_counter()
        # AutoETS fails on a few series with a short history (statsforecast 2.1 raises IndexError in its
        # forecast); those get statsforecast's seasonal naive, as its fallback_model is meant for.
        forecast = StatsForecast(models=models, freq="D", n_jobs=2, fallback_model=Fallback(7)).forecast(
            df=history, h=horizon
        )
        seconds += time.perf_counter() - started
        out.append(forecast.assign(origin=origin))
    return seconds, pd.concat(out, ignore_index=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 series instead of 20,000 (a smoke test)")
    args = parser.parse_args()
    n_items, n_users = (2_000, 10_000) if args.quick else (20_000, 100_000)
    from statsforecast.models import TSB, AutoETS, CrostonOptimized

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()} (shared machine)")
    started = time.perf_counter()
    shop = generate_shop(n_users=n_users, n_items=n_items, seed=42, start="2023-01-01", end="2023-12-31")
    series = daily_demand(shop.events, catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts)
    del shop
    print(
        f"data: {series['series_id'].nunique():,} series, {len(series):,} rows ({time.perf_counter() - started:.0f} s)"
    )
    horizon = 28
    origins = rolling_origins(series, horizon, 3)
    rows = []
    for name, model in {
        "shopcase SeasonalNaive": SeasonalNaive(),
        "shopcase GlobalForecaster": GlobalForecaster(n_jobs=2),
    }.items():
        cpu, wall = time.process_time(), time.perf_counter()
        result = backtest(series, {name: model}, origins=origins, horizon=horizon, min_history=7)
        rows.append(
            {
                "model": name,
                "series": result.per_series["series_id"].nunique(),
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "mase": result.metrics()["mase"].iloc[0],
            }
        )
        print(rows[-1], f"peak RSS {peak_rss_mb():,.0f} MB")
        if name.endswith("GlobalForecaster"):
            actuals, scales = result.actuals, result.scales
    for label, models, sample in (
        ("statsforecast TSB + CrostonOptimized", [TSB(alpha_d=0.1, alpha_p=0.1), CrostonOptimized()], None),
        (
            "statsforecast AutoETS (1,000-series sample x 20)",
            [AutoETS(season_length=7)],
            1_000 if not args.quick else 100,
        ),
    ):
        seconds, forecast = statsforecast_backtest(series, origins, horizon, models, sample)
        scale = 1.0 if sample is None else series["series_id"].nunique() / sample
        for column in [c for c in forecast.columns if c not in ("unique_id", "ds", "origin")]:
            scores = []
            for origin in origins:
                f = forecast[forecast["origin"] == origin].rename(columns={"unique_id": "series_id", "ds": "date"})
                f = f.assign(forecast=f[column])[["series_id", "date", "forecast"]]
                a = actuals[(actuals["origin"] == origin) & actuals["series_id"].isin(f["series_id"])].drop(
                    columns="origin"
                )
                sc = scales[scales["origin"] == origin].drop(columns="origin")
                scores.append(series_metrics(a, f, None, scales=sc))
            mase = pd.concat(scores)["mase"].mean()
            rows.append({"model": f"{label}: {column}", "series": forecast["unique_id"].nunique(), "mase": mase})
        rows.append({"model": label, "seconds": seconds * scale, "measured_seconds": seconds})
        print(rows[-1], f"peak RSS {peak_rss_mb():,.0f} MB")
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    global_seconds = table.loc[table["model"] == "shopcase GlobalForecaster", "seconds"].iloc[0]
    print(
        f"\nGlobalForecaster backtest: {global_seconds:.0f} s (goal <= {GOAL_SECONDS:.0f} s): "
        f"{'met' if global_seconds <= GOAL_SECONDS else 'NOT met'}; peak RSS {peak_rss_mb():,.0f} MB; "
        f"load average {os.getloadavg()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

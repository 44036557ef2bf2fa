"""Benchmark: analysing experiments at scale, against statsmodels' per-call API in the same run.

Three goals (issue 10), each timed as the median of ``--repeats`` runs, with the peer beside it:

1. **One experiment of 10M sessions** (about 3M users, two arms): the funnel from its event log (a view per
   session, carts, purchases: about 12M events), per-user sums, then conversion (two proportions), revenue per
   user (Welch), revenue per session and AOV (delta method), CUPED on a pre-period, SRM. Goal <= 10 s.
   Peer: the same tests through statsmodels' per-call API (``proportions_ztest`` + ``confint_proportions_2indep``,
   ``CompareMeans`` Welch, cluster-robust OLS over the 10M sessions for the ratio metrics, OLS with the
   covariate for CUPED) and scipy's ``chisquare``; the funnel's peer is pandas ``groupby(...).nunique()``.
2. **A bootstrap interval over 1M users with 1,000 resamples** (revenue per user, treatment - control). Goal
   <= 10 s. Ours: the bucketed Poisson bootstrap (1,000 buckets). Peer: ``scipy.stats.bootstrap`` (index
   gather, percentile) on the same arrays.
3. **1,000 A/A replications** of the homepage experiment on the default shop (10,000 users each), every test
   of ``Experiment.results`` plus the bucketed bootstrap and the sequential test at 14 looks. Goal <= 60 s.
   Peer: a loop of statsmodels per-call tests over per-user arrays of the same law, timed on ``--peer-reps``
   replications and scaled to 1,000 (said in the table).

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_experiments.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tables import markdown  # noqa: E402

from shopcase.data import interactions_from_events, load_or_generate  # noqa: E402
from shopcase.experiments import (  # noqa: E402
    assign_arms,
    bootstrap_ci,
    cuped,
    funnel,
    ratio_metric_test,
    srm_test,
    two_proportion_test,
    welch_test,
)
from shopcase.experiments.simulate import ExperimentSimulator, Slate  # noqa: E402
from shopcase.recommend import Popularity  # noqa: E402


def peak_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


CPU: dict[str, float] = {}
"""CPU seconds of the last ``timed`` call per label: on a shared machine wall time includes waiting for a core."""


def timed(call, repeats: int, label: str = "") -> tuple[float, object]:
    times, cpu, out = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = call()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[label] = float(np.median(cpu))
    return float(np.median(times)), out


def make_experiment(n_sessions: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """An event log of ``n_sessions`` sessions of ~n/3.3 users in two arms (hash assignment), and per-session data."""
    rng = np.random.default_rng(seed)
    n_users = int(n_sessions / 3.3)
    user = np.sort(rng.integers(0, n_users, n_sessions)) + 1
    arm = assign_arms(np.arange(1, n_users + 1), ["control", "treatment"], salt="bench")
    treated = arm[user - 1] == "treatment"
    carted = rng.random(n_sessions) < 0.125
    bought = carted & (rng.random(n_sessions) < np.where(treated, 0.61, 0.60))
    revenue = np.where(bought, rng.gamma(2.0, 15.0, n_sessions), 0.0)
    session = np.arange(1, n_sessions + 1)
    start = np.datetime64("2023-10-01") + (rng.random(n_sessions) * 14 * 86_400).astype("timedelta64[s]")
    step = np.concatenate(
        [np.zeros(n_sessions, np.int8), np.ones(carted.sum(), np.int8), np.full(bought.sum(), 2, np.int8)]
    )
    rows = np.concatenate([session, session[carted], session[bought]]) - 1
    events = pd.DataFrame(
        {
            "user_id": user[rows],
            "session_id": session[rows],
            "timestamp": start[rows] + (step.astype(np.int64) * 60).astype("timedelta64[s]"),
            "event_type": pd.Categorical.from_codes(step, categories=["view", "cart", "purchase"]),
        }
    )
    return events, {"user": user, "treated": treated, "bought": bought, "revenue": revenue, "n_users": n_users}


def per_user(sessions: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = sessions["n_users"] + 1
    u = sessions["user"]
    out = {
        "sessions": np.bincount(u, minlength=n)[1:].astype(np.float64),
        "orders": np.bincount(u, sessions["bought"], n)[1:],
        "revenue": np.bincount(u, sessions["revenue"], n)[1:],
        "treated": np.zeros(n - 1, dtype=bool),
    }
    out["treated"][u - 1] = sessions["treated"]
    keep = out["sessions"] > 0
    out = {k: v[keep] for k, v in out.items()}
    out["pre"] = 0.5 * out["revenue"] + rng.gamma(0.5, 20.0, keep.sum())  # a correlated pre-period
    return out


def ours_analysis(events: pd.DataFrame, sessions: dict) -> list:
    table = funnel(events)
    u = per_user(sessions, np.random.default_rng(1))
    a, b = ~u["treated"], u["treated"]
    conv = u["orders"] > 0
    return [
        table,
        two_proportion_test(int(conv[a].sum()), int(a.sum()), int(conv[b].sum()), int(b.sum())),
        welch_test(u["revenue"][a], u["revenue"][b]),
        ratio_metric_test(u["revenue"][a], u["sessions"][a], u["revenue"][b], u["sessions"][b]),
        ratio_metric_test(u["revenue"][a], u["orders"][a], u["revenue"][b], u["orders"][b]),
        cuped(u["revenue"][a], u["revenue"][b], u["pre"][a], u["pre"][b]),
        srm_test([int(a.sum()), int(b.sum())]),
    ]


def peer_analysis(events: pd.DataFrame, sessions: dict) -> list:
    kind = events["event_type"].astype(str)
    table = {step: events.loc[kind == step, "session_id"].nunique() for step in ("view", "cart", "purchase")}
    u = per_user(sessions, np.random.default_rng(1))
    a, b = ~u["treated"], u["treated"]
    conv = u["orders"] > 0
    counts, nobs = [conv[b].sum(), conv[a].sum()], [b.sum(), a.sum()]
    out = [
        table,
        proportions_ztest(counts, nobs),
        confint_proportions_2indep(counts[0], nobs[0], counts[1], nobs[1], method="wald"),
    ]
    cm = CompareMeans(DescrStatsW(u["revenue"][b]), DescrStatsW(u["revenue"][a]))
    out += [cm.ttest_ind(usevar="unequal"), cm.tconfint_diff(usevar="unequal")]
    # ratio metrics: OLS of the per-session (per-order) value on the arm, clustered by user
    x = sm.add_constant(sessions["treated"].astype(np.float64))
    out.append(sm.OLS(sessions["revenue"], x).fit(cov_type="cluster", cov_kwds={"groups": sessions["user"]}))
    bought = sessions["bought"]
    xb = sm.add_constant(sessions["treated"][bought].astype(np.float64))
    out.append(
        sm.OLS(sessions["revenue"][bought], xb).fit(cov_type="cluster", cov_kwds={"groups": sessions["user"][bought]})
    )
    design = sm.add_constant(np.column_stack([b.astype(np.float64), u["pre"] - u["pre"].mean()]))
    out.append(sm.OLS(u["revenue"], design).fit(cov_type="HC1"))
    out.append(stats.chisquare([a.sum(), b.sum()]))
    return out


def bench_large(n_sessions: int, repeats: int) -> pd.DataFrame:
    events, sessions = make_experiment(n_sessions)
    ours, result = timed(lambda: ours_analysis(events, sessions), repeats, "ours")
    rss = peak_rss_mb()
    peer, _ = timed(lambda: peer_analysis(events, sessions), repeats, "peer")
    print(result[0].round(4).to_string(index=False))
    for r in result[1:]:
        print(r)
    return pd.DataFrame(
        [
            {"task": f"analyse {n_sessions / 1e6:g}M sessions ({len(events) / 1e6:.1f}M events)", "shopcase s": ours,
             "peer s": peer, "peer": "statsmodels per call + pandas nunique", "goal s": 10.0, "peak RSS MB": rss,
             "shopcase CPU s": CPU["ours"], "peer CPU s": CPU["peer"]},
        ]
    )  # fmt: skip


def bench_bootstrap(n_users: int, resamples: int, peer_resamples: int, repeats: int) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    a = rng.gamma(0.3, 30.0, n_users // 2) * (rng.random(n_users // 2) < 0.3)
    b = rng.gamma(0.3, 31.0, n_users // 2) * (rng.random(n_users // 2) < 0.3)
    ours, r = timed(lambda: bootstrap_ci(a, b, method="poisson", buckets=1000, n_resamples=resamples), repeats, "ours")
    print(r)
    start, start_cpu = time.perf_counter(), time.process_time()
    peer = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: y.mean(axis=axis) - x.mean(axis=axis),
        n_resamples=peer_resamples,
        method="percentile",
        rng=np.random.default_rng(3),
        batch=20,
    )
    peer_time = (time.perf_counter() - start) * resamples / peer_resamples
    peer_cpu = (time.process_time() - start_cpu) * resamples / peer_resamples
    print(f"scipy percentile interval: {peer.confidence_interval}")
    note = "" if peer_resamples == resamples else f" (timed on {peer_resamples}, scaled)"
    return pd.DataFrame(
        [
            {"task": f"bootstrap CI, {n_users / 1e6:g}M users, {resamples:,} resamples", "shopcase s": ours,
             "peer s": peer_time, "peer": f"scipy.stats.bootstrap{note}", "goal s": 10.0, "peak RSS MB": peak_rss_mb(),
             "shopcase CPU s": CPU["ours"], "peer CPU s": peer_cpu},
        ]
    )  # fmt: skip


def bench_replications(n_reps: int, n_users: int, peer_reps: int) -> pd.DataFrame:
    shop = load_or_generate()
    start = "2023-10-01"
    pop = Popularity().fit(interactions_from_events(shop.events[shop.events["timestamp"] < start]))
    simulator = ExperimentSimulator(shop, {"A": Slate(pop), "B": Slate(pop)}, start=start, days=14)

    def ours():
        reps = simulator.replicate(n_reps, n_users, seed=4, looks=14, buckets=100)
        tests = reps.tests()
        boot = reps.bootstrap(n_resamples=200)
        seq = reps.sequential()
        return {k: float((v["p_value"] < 0.05).mean()) for k, v in tests.items()} | {
            "bootstrap": float((boot["p_value"] < 0.05).mean()),
            "sequential (any look)": float(((seq["ci_low"] > 0) | (seq["ci_high"] < 0)).any(axis=1).mean()),
        }

    ours_time, rates = timed(ours, 1, "ours")
    print("A/A false-positive rates:", {k: round(v, 3) for k, v in rates.items()})
    rng = np.random.default_rng(5)
    q, r, rate = simulator.q[0], simulator.r[0], simulator.rate

    def peer():
        for _ in range(peer_reps):
            rows = rng.integers(0, len(rate), n_users)
            visits = rng.poisson(rate[rows] * 14)
            orders = rng.binomial(visits, q[rows])
            revenue = rng.gamma(2.0 * orders, r[rows] / np.maximum(q[rows], 1e-300) / 2.0)
            arm = rng.random(n_users) < 0.5
            seen = visits > 0
            a, b = seen & ~arm, seen & arm
            conv = orders > 0
            proportions_ztest([conv[b].sum(), conv[a].sum()], [b.sum(), a.sum()])
            CompareMeans(DescrStatsW(revenue[b]), DescrStatsW(revenue[a])).ttest_ind(usevar="unequal")
            CompareMeans(DescrStatsW(orders[b]), DescrStatsW(orders[a])).ttest_ind(usevar="unequal")
            user = np.repeat(np.arange(n_users)[seen], visits[seen])
            x = sm.add_constant(arm[user].astype(np.float64))
            per_visit = np.repeat(revenue[seen] / visits[seen], visits[seen])
            sm.OLS(per_visit, x).fit(cov_type="cluster", cov_kwds={"groups": user})

    peer_time, _ = timed(peer, 1, "peer")
    return pd.DataFrame(
        [
            {"task": f"{n_reps:,} A/A replications x {n_users:,} users (7 tests + sequential)",
             "shopcase s": ours_time, "peer s": peer_time * n_reps / peer_reps,
             "peer": f"statsmodels loop, 4 tests (timed on {peer_reps}, scaled)", "goal s": 60.0,
             "peak RSS MB": peak_rss_mb(), "shopcase CPU s": CPU["ours"],
             "peer CPU s": CPU["peer"] * n_reps / peer_reps},
        ]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quick = args.quick
    repeats = 1 if quick else args.repeats
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()}")
    rows = [
        bench_large(200_000 if quick else 10_000_000, repeats),
        bench_bootstrap(100_000 if quick else 1_000_000, 1000, 100 if quick else 1000, repeats),
        bench_replications(50 if quick else 1000, 10_000, 5 if quick else 50),
    ]
    table = pd.concat(rows, ignore_index=True)
    table["shopcase / peer"] = table["shopcase s"] / table["peer s"]
    table["CPU shopcase / peer"] = table["shopcase CPU s"] / table["peer CPU s"]
    print()
    print(markdown(table, digits=2))
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Real-data benchmark 1: UCI Online Retail, shopcase's recommenders against implicit 0.7.3, top-10.

Protocol (also written out in benchmarks/RESULTS_real_data.md):

* Data: ``load_online_retail()`` (customer present, quantity > 0, price > 0, cancellations and
  duplicate lines removed; its report is printed).
* Split: train = invoices before 2011-10-01; test = purchases from 2011-10-01 (to 2011-12-09) by
  customers seen in train. Validation, carved from train only: fit on invoices before 2011-09-01,
  validate on 2011-09-01 .. 2011-09-30 purchases by customers seen before 2011-09-01.
* Interactions (the same frame for every model and peer): one row per (customer, item) with
  ``rating`` = the interaction strength and ``timestamp`` = the pair's last purchase. The strength is
  chosen *for the peers*, once, on validation: implicit's four models at fixed middle-of-the-grid
  settings are scored with each of count (distinct invoices with the item), log1p(count) and binary,
  and the kind giving implicit's best models the highest validation NDCG@10 (summed over both tasks)
  is used for everyone. implicit sees ``rating`` only; shopcase models may also read ``timestamp``.
* Tasks, K = 10, users = every test customer with at least one truth item (none skipped):
  (a) next purchases: truth = every distinct item bought in the period (repeats included), lists
      may contain items bought before (``exclude_seen=False`` / ``filter_already_liked_items=False``);
  (b) discovery: truth = items the customer never bought before the cutoff, seen items excluded.
* Tuning: every model and peer has a grid; each grid point is fitted once on the validation train
  and scored on both validation tasks; the best NDCG@10 per task picks the parameters for that task.
  Composite models (Hybrid, RepeatAware) are tuned in a second stage around their tuned parts.
  Then each model is refitted on the full train with its task's parameters and scored once on test.
  Nothing is chosen by looking at the test period.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_online_retail.py [--quick]

Writes benchmarks/results/online_retail_task_a.csv, _task_b.csv and online_retail_validation.csv.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import ImplicitPeer  # noqa: E402

from shopcase.data import load_online_retail, purchase_interactions  # noqa: E402
from shopcase.evaluate import catalogue_coverage, per_user_metrics, purchase_truth, ranking_metrics  # noqa: E402
from shopcase.recommend import EASE, ContentBased, Hybrid, ItemKNN, Popularity, UserKNN  # noqa: E402
from shopcase.recommend.decay import TimeDecayed  # noqa: E402
from shopcase.recommend.repeat import RepeatAware, RepeatPurchase  # noqa: E402

K = 10
CUTOFF = "2011-10-01"
VALIDATION_CUTOFF = "2011-09-01"
SEED = 42
RESULTS = HERE / "results"
TASKS = {"a": False, "b": True}  # task -> exclude_seen
TASK_TITLES = {
    "a": "Task (a): next purchases (repeats count, seen items allowed)",
    "b": "Task (b): discovery (only items never bought before, seen items excluded)",
}
INPUT_KINDS = ("count", "log1p", "binary")


# --- data ---------------------------------------------------------------------------------


@dataclass
class Split:
    """Training interactions (all input kinds), the catalogue known at the cutoff and both truths."""

    train_events: pd.DataFrame
    inputs: dict[str, pd.DataFrame]
    catalogue: pd.DataFrame
    truth: dict[str, pd.DataFrame]
    train_items: pd.Index = field(init=False)

    def __post_init__(self) -> None:
        self.train_items = pd.Index(self.inputs["count"]["item_id"].unique())


def make_split(events: pd.DataFrame, catalogue: pd.DataFrame, start: str, end: str | None) -> Split:
    train_events = events[events["timestamp"] < start]
    period = events[(events["timestamp"] >= start) & ((events["timestamp"] < end) if end else True)]
    inputs = {kind: purchase_interactions(train_events, strength=kind) for kind in INPUT_KINDS}
    users = inputs["count"]["user_id"].unique()
    truth = {
        "a": purchase_truth(period, users=users),
        "b": purchase_truth(period, inputs["count"], new_items_only=True, users=users),
    }
    # Items on sale before the cutoff only: the content model must not know items launched later.
    known = catalogue[catalogue["launch_date"] < start].reset_index(drop=True)
    return Split(train_events, inputs, known, truth)


# --- models ---------------------------------------------------------------------------------


@dataclass
class Spec:
    """A benchmark row: how to build the model, its grid, its group and the tasks it runs."""

    name: str
    group: str  # "baseline", "implicit" or "shopcase"
    make: Callable[..., object]
    grid: dict[str, list[object]]
    tasks: tuple[str, ...] = ("a", "b")


def base_specs(quick: bool) -> list[Spec]:
    def g(full: list[object], small: list[object]) -> list[object]:
        return small if quick else full

    neighbours = g([10, 20, 50, 100, 200, 500, 1000], [20, 200])
    return [
        Spec("popularity", "baseline", Popularity, {"recency_half_life_days": g([None, 14, 30, 90], [None, 30])}),
        Spec(
            "buy again",
            "baseline",
            RepeatPurchase,
            {"recency_half_life_days": g([None, 30, 90, 180], [None, 90]), "count_exponent": g([0.0, 1.0, 2.0], [1.0])},
            tasks=("a",),
        ),
        Spec("implicit Cosine", "implicit", lambda **p: ImplicitPeer("cosine", **p), {"K": neighbours}),
        Spec(
            "implicit BM25",
            "implicit",
            lambda **p: ImplicitPeer("bm25", **p),
            {"K": neighbours, "K1": g([0.5, 1.2, 2.0], [1.2]), "B": g([0.75, 1.0], [0.75])},
        ),
        Spec(
            "implicit ALS",
            "implicit",
            lambda **p: ImplicitPeer("als", iterations=15, random_state=SEED, **p),
            {
                "factors": g([32, 64, 128], [64]),
                "regularization": g([0.01, 0.1, 1.0], [0.1]),
                "alpha": g([0.1, 1.0, 10.0], [1.0]),
            },
        ),
        Spec(
            "implicit BPR",
            "implicit",
            lambda **p: ImplicitPeer("bpr", iterations=100, random_state=SEED, **p),
            {
                "factors": g([64, 128], [64]),
                "learning_rate": g([0.01, 0.05], [0.01]),
                "regularization": g([0.001, 0.01], [0.01]),
            },
        ),
        Spec(
            "ItemKNN",
            "shopcase",
            ItemKNN,
            {
                "k_neighbors": g([20, 50, 100, 200], [50]),
                "shrinkage": g([0.0, 10.0], [0.0]),
                "weighting": g([None, "bm25", "tfidf"], [None, "bm25"]),
            },
        ),
        Spec("UserKNN", "shopcase", UserKNN, {"k_neighbors": g([20, 50, 100, 200], [50]), "shrinkage": [0.0, 10.0]}),
        Spec("EASE", "shopcase", EASE, {"l2": g([50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0], [200.0])}),
        Spec(
            "ContentBased",
            "shopcase",
            lambda **p: ContentBased(categorical_columns=None, **p),
            {"numeric_column": ["price", None]},
        ),
        Spec(
            "TimeDecayed(EASE)",
            "shopcase",
            lambda l2, **p: TimeDecayed(EASE(l2=l2), **p),
            {
                "half_life_days": g([60.0, 120.0, 240.0], [120.0]),
                "binary": [True, False],
                "l2": g([100.0, 200.0, 500.0], [200.0]),
            },
        ),
        Spec(
            "RepeatPurchase",
            "shopcase",
            RepeatPurchase,
            {
                "count_exponent": g([1.0, 2.0], [1.5]),
                "recency_half_life_days": g([90.0, None], [None]),
                "item_repeat_exponent": g([0.0, 0.5, 1.0], [0.5]),
                "trend_half_life_days": g([7.0, 21.0], [14.0]),
                "trend_exponent": g([0.5, 1.0], [1.0]),
                "popularity_exponent": g([0.0, 0.5], [0.5]),
            },
            tasks=("a",),
        ),
    ]


Tuned = dict[str, dict[str, tuple[dict[str, object], float]]]
"""model -> task -> (chosen parameters, their validation NDCG@10)."""


def composite_specs(best: Tuned, specs: dict[str, Spec], quick: bool) -> list[Spec]:
    """Second stage: blends built from the parts tuned in stage one (their parameters fixed)."""

    def tuned(name: str, task: str) -> object:
        return specs[name].make(**best[name][task][0])

    out = []
    for task in ("a", "b"):
        # Hybrid of the two best collaborative families for this task, weights tuned.
        out.append(
            Spec(
                f"Hybrid(EASE+ItemKNN)@{task}",
                "shopcase",
                lambda weights, t=task: Hybrid([tuned("EASE", t), tuned("ItemKNN", t)], weights=weights),
                {"weights": [(1.0, 0.25), (1.0, 0.5), (1.0, 1.0)] if not quick else [(1.0, 0.5)]},
                tasks=(task,),
            )
        )
    # Repeats from the tuned RepeatPurchase, new items from the discovery-tuned TimeDecayed(EASE).
    out.append(
        Spec(
            "RepeatAware(RepeatPurchase, TimeDecayed(EASE))@a",
            "shopcase",
            lambda model_weight: RepeatAware(
                tuned("RepeatPurchase", "a"), tuned("TimeDecayed(EASE)", "b"), model_weight=model_weight
            ),
            {"model_weight": [0.0, 0.02, 0.05, 0.1, 0.2, 0.5] if not quick else [0.05]},
            tasks=("a",),
        )
    )
    return out


# --- evaluation ----------------------------------------------------------------------------


def score(recs: pd.DataFrame, truth: pd.DataFrame, catalogue: pd.Index) -> dict[str, float]:
    metrics = ranking_metrics(recs, truth, K)
    coverage = catalogue_coverage(recs, catalogue, K) if len(recs) else 0.0
    return {
        "ndcg@10": metrics["ndcg_at_k"],
        "precision@10": metrics["precision_at_k"],
        "recall@10": metrics["recall_at_k"],
        "map@10 (/min(R,k))": metrics["map_at_k"],
        "map@10 (/R)": metrics["map_all_relevant_at_k"],
        "hit_rate@10": metrics["hit_rate_at_k"],
        "coverage@10": coverage,
        "users": metrics["n_users"],
        "users_without_recs": metrics["n_users_without_recs"],
    }


def tune(spec: Spec, split: Split, kind: str, log: list[dict]) -> dict[str, tuple[dict[str, object], float]]:
    """Fit every grid point once on the validation train; best NDCG@10 per task (first best wins)."""
    names = list(spec.grid)
    best: dict[str, tuple[float, dict[str, object]]] = {}
    started = time.perf_counter()
    for values in itertools.product(*(spec.grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        model = spec.make(**params).fit(split.inputs[kind], item_features=split.catalogue)
        for task in spec.tasks:
            truth = split.truth[task]
            recs = model.recommend(truth["user_id"].unique(), n=K, exclude_seen=TASKS[task])
            ndcg = ranking_metrics(recs, truth, K)["ndcg_at_k"] if len(recs) else 0.0
            log.append({"model": spec.name, "task": task, "params": repr(params), "validation_ndcg@10": ndcg})
            if task not in best or ndcg > best[task][0]:
                best[task] = (ndcg, params)
    elapsed = time.perf_counter() - started
    n_points = int(np.prod([len(v) for v in spec.grid.values()]))
    summary = ", ".join(f"({t}) {best[t][0]:.4f} with {best[t][1]}" for t in spec.tasks)
    print(f"  tuned {spec.name:<48} {n_points:>3} points in {elapsed:6.1f}s: {summary}", flush=True)
    return {task: (params, ndcg) for task, (ndcg, params) in best.items()}


def choose_input(split: Split, log: list[dict]) -> str:
    """The strength kind under which implicit's models do best on validation (peer-favourable)."""
    settings = [
        ("cosine", {"K": 100}),
        ("bm25", {"K": 100}),
        ("als", {"factors": 64, "regularization": 0.1, "iterations": 15, "random_state": SEED}),
        ("bpr", {"factors": 64, "iterations": 100, "random_state": SEED}),
    ]
    totals = {}
    print("Choosing the interaction strength on validation, by implicit's best model per task:")
    for kind in INPUT_KINDS:
        best = dict.fromkeys(TASKS, 0.0)
        for name, params in settings:
            model = ImplicitPeer(name, **params).fit(split.inputs[kind])
            for task, exclude in TASKS.items():
                truth = split.truth[task]
                recs = model.recommend(truth["user_id"].unique(), n=K, exclude_seen=exclude)
                ndcg = ranking_metrics(recs, truth, K)["ndcg_at_k"]
                log.append(
                    {"model": f"input check: implicit {name}", "task": task, "params": kind, "validation_ndcg@10": ndcg}
                )
                best[task] = max(best[task], ndcg)
        totals[kind] = sum(best.values())
        print(f"  {kind:<7} best implicit NDCG@10: (a) {best['a']:.4f}  (b) {best['b']:.4f}")
    chosen = max(INPUT_KINDS, key=lambda k: totals[k])
    print(f"  -> rating = {chosen}")
    return chosen


def final_run(
    spec: Spec, chosen: tuple[dict[str, object], float], task: str, split: Split, kind: str
) -> tuple[dict[str, object], pd.Series]:
    """Refit with the chosen parameters, score once on test: the table row and the per-user NDCG@10."""
    params, validation_ndcg = chosen
    started = time.perf_counter()
    model = spec.make(**params).fit(split.inputs[kind], item_features=split.catalogue)
    truth = split.truth[task]
    recs = model.recommend(truth["user_id"].unique(), n=K, exclude_seen=TASKS[task])
    seconds = time.perf_counter() - started
    name = spec.name.split("@")[0]
    per_user = per_user_metrics(recs, truth, K)["ndcg_at_k"] if len(recs) else None
    row = {
        "model": name,
        "group": spec.group,
        **score(recs, truth, split.train_items),
        "params": ", ".join(f"{k}={v}" for k, v in params.items()),
        "seconds": seconds,
        "validation ndcg@10": validation_ndcg,
    }
    return row, per_user


def markdown(table: pd.DataFrame) -> str:
    columns = [
        "model",
        "group",
        "ndcg@10",
        "precision@10",
        "recall@10",
        "map@10 (/min(R,k))",
        "map@10 (/R)",
        "hit_rate@10",
        "coverage@10",
        "validation ndcg@10",
        "params",
        "seconds",
    ]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join(" --- " if c in ("model", "group", "params") else " ---: " for c in columns) + "|",
    ]
    for row in table[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, row, strict=True):
            if column == "seconds":
                cells.append(f"{value:.1f}")
            elif isinstance(value, float):
                cells.append(f"{value:.4f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(table: pd.DataFrame) -> dict[str, float | str]:
    ours = table[table["group"] == "shopcase"].sort_values("ndcg@10", ascending=False).iloc[0]
    peers = table[table["group"] == "implicit"].sort_values("ndcg@10", ascending=False).iloc[0]
    others = table[table["group"] != "shopcase"].sort_values("ndcg@10", ascending=False).iloc[0]
    return {
        "best_shopcase": ours["model"],
        "best_shopcase_ndcg": ours["ndcg@10"],
        "best_implicit": peers["model"],
        "best_implicit_ndcg": peers["ndcg@10"],
        "ratio_vs_implicit": ours["ndcg@10"] / peers["ndcg@10"],
        "best_non_shopcase": others["model"],
        "best_non_shopcase_ndcg": others["ndcg@10"],
        "ratio_vs_non_shopcase": ours["ndcg@10"] / others["ndcg@10"],
    }


def bootstrap_ratio(ours: pd.Series, theirs: pd.Series, goal: float, n: int = 2000) -> tuple[float, float, float]:
    """Paired bootstrap over test users of mean-NDCG ratio: 2.5 % and 97.5 % quantiles, share of draws >= goal."""
    a, b = ours.to_numpy(), theirs.reindex(ours.index).to_numpy()
    draws = np.random.default_rng(SEED).integers(0, len(a), size=(n, len(a)))
    ratio = a[draws].mean(axis=1) / b[draws].mean(axis=1)
    return float(np.quantile(ratio, 0.025)), float(np.quantile(ratio, 0.975)), float((ratio >= goal).mean())


GOALS = {"a": 1.15, "b": 1.10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one or two points per grid (a smoke run)")
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )

    data = load_online_retail()
    print(data.report)
    events = data.events
    validation = make_split(events, data.catalogue, VALIDATION_CUTOFF, CUTOFF)
    test = make_split(events, data.catalogue, CUTOFF, None)
    for label, split in (("validation", validation), ("test", test)):
        count = split.inputs["count"]
        print(
            f"{label}: train {len(split.train_events):,} purchase lines, {count['user_id'].nunique():,} customers, "
            f"{count['item_id'].nunique():,} items, {len(count):,} customer-item pairs; truth (a) "
            f"{len(split.truth['a']):,} pairs / {split.truth['a']['user_id'].nunique():,} customers, (b) "
            f"{len(split.truth['b']):,} pairs / {split.truth['b']['user_id'].nunique():,} customers"
        )

    log: list[dict] = []
    kind = choose_input(validation, log)

    print("Stage 1: tuning every model on validation")
    specs = {s.name: s for s in base_specs(args.quick)}
    best = {name: tune(spec, validation, kind, log) for name, spec in specs.items()}
    print("Stage 2: tuning the blends on validation")
    for spec in composite_specs(best, specs, args.quick):
        specs[spec.name] = spec
        best[spec.name] = tune(spec, validation, kind, log)

    RESULTS.mkdir(exist_ok=True)
    pd.DataFrame(log).to_csv(RESULTS / "online_retail_validation.csv", index=False)
    print("Final: refit on the full train with each task's parameters, scored once on test")
    for task in ("a", "b"):
        runs = {
            name: final_run(spec, best[name][task], task, test, kind)
            for name, spec in specs.items()
            if task in spec.tasks
        }
        per_user = {runs[name][0]["model"]: users for name, (_, users) in runs.items()}
        table = pd.DataFrame([row for row, _ in runs.values()]).sort_values(
            "ndcg@10", ascending=False, ignore_index=True
        )
        table.insert(2, "input", kind)
        table.to_csv(RESULTS / f"online_retail_task_{task}.csv", index=False)
        summary = ratios(table)
        print(f"\n### {TASK_TITLES[task]}\n")
        print(
            f"{test.truth[task]['user_id'].nunique():,} customers, {len(test.truth[task]):,} truth pairs, "
            f"rating = {kind}\n"
        )
        print(markdown(table))
        print(
            f"\nBest shopcase: {summary['best_shopcase']} {summary['best_shopcase_ndcg']:.4f}; "
            f"best implicit: {summary['best_implicit']} {summary['best_implicit_ndcg']:.4f} "
            f"-> ratio {summary['ratio_vs_implicit']:.3f}; best non-shopcase row: {summary['best_non_shopcase']} "
            f"{summary['best_non_shopcase_ndcg']:.4f} -> ratio {summary['ratio_vs_non_shopcase']:.3f}"
        )
        for label, other in (("implicit", summary["best_implicit"]), ("non-shopcase", summary["best_non_shopcase"])):
            low, high, share = bootstrap_ratio(per_user[summary["best_shopcase"]], per_user[other], GOALS[task])
            print(
                f"  ratio vs best {label} row, paired bootstrap over test users (2,000 draws): 95% interval "
                f"[{low:.3f}, {high:.3f}]; share of draws >= {GOALS[task]:.2f}: {share:.2f}"
            )
        on_validation = {
            group: table.loc[table["group"] == group, "validation ndcg@10"].max() for group in ("shopcase", "implicit")
        }
        print(
            f"  on validation (each row's chosen parameters): best shopcase {on_validation['shopcase']:.4f} / best "
            f"implicit {on_validation['implicit']:.4f} = {on_validation['shopcase'] / on_validation['implicit']:.3f}"
        )
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""The shopcase command: generate a shop, train, evaluate, recommend, score churn, run the batch, serve.

Every subcommand has ``--help``. A user error (unknown model, missing artefact, bad date, bad number) ends
with exit code 2 and one line on stderr, ``shopcase <command>: error: <reason>``, never a traceback; an
interruption (Ctrl-C) ends with exit code 130. Long steps show progress on stderr.

A *shop* directory is what ``shopcase generate`` writes (``config.json`` and Parquet tables); an
*artefacts* directory holds one saved model per subdirectory (``recommender/``, ``churn/``, ``search/``),
as ``shopcase train`` writes them and ``shopcase serve`` reads them.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shopcase.schema import EVENT_TYPE, ITEM_ID, TIMESTAMP, VIEW

if TYPE_CHECKING:  # pandas is imported by the commands that need it: `shopcase --help` and workers start fast
    import pandas as pd

RECOMMENDERS: tuple[str, ...] = (
    "popularity",
    "itemknn",
    "userknn",
    "ease",
    "content",
    "hybrid",
    "repeat",
    "repeat-aware",
    "time-decayed",
)
CHURN_MODELS: tuple[str, ...] = ("churn", "churn-bgnbd", "churn-rule")
"""``ChurnModel`` (gradient boosting), ``BGNBDClassifier`` (BG/NBD, no label needed), ``BinnedRateRule`` (recency)."""
MODELS: tuple[str, ...] = (*RECOMMENDERS, *CHURN_MODELS, "search")
WORKER_START_SECONDS = 300
"""How long a ``serve`` worker may take to load the models before uvicorn gives up on it."""
ARTEFACT_NAMES = {**dict.fromkeys(CHURN_MODELS, "churn"), "search": "search"}
"""Subdirectory of an artefacts directory per kind of model (every recommender goes to ``recommender``)."""


class UserError(ValueError):
    """A mistake in what the user typed; reported in one line."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _date(text: str) -> pd.Timestamp:
    from shopcase.validate import as_timestamp

    try:
        return as_timestamp(text, "date")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from exc


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _param(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _id(text: str) -> object:
    """Ids as typed: digits become ints (the generated shop's ids), anything else stays a string."""
    try:
        return int(text)
    except ValueError:
        return text


def _load_shop(path: Path):
    from shopcase.data.store import load_shop

    if not (path / "config.json").is_file():
        raise UserError(f"{path}: not a shop directory (no config.json); create one with `shopcase generate`")
    return load_shop(path)


def _events_before(shop, as_of: pd.Timestamp) -> pd.DataFrame:
    events = shop.events[shop.events[TIMESTAMP] < as_of]
    if events.empty:
        raise UserError(f"no events before {as_of.date()}; the shop's log starts {shop.config.start}")
    return events


def make_model(name: str, params: dict[str, object]):
    """A fresh estimator for ``name`` (one of ``MODELS``) with ``params`` set (``ValueError`` if unknown)."""
    from shopcase.churn import BGNBDClassifier, BinnedRateRule, ChurnModel
    from shopcase.recommend import (
        EASE,
        ContentBased,
        Hybrid,
        ItemKNN,
        Popularity,
        RepeatAware,
        RepeatPurchase,
        TimeDecayed,
        UserKNN,
    )
    from shopcase.search import SearchIndex

    factories: dict[str, Callable[[], object]] = {
        "popularity": Popularity,
        "itemknn": ItemKNN,
        "userknn": UserKNN,
        "ease": EASE,
        "content": ContentBased,
        "hybrid": lambda: Hybrid([ItemKNN(), ContentBased()]),
        "repeat": RepeatPurchase,
        "repeat-aware": lambda: RepeatAware(model=ItemKNN()),
        "time-decayed": lambda: TimeDecayed(ItemKNN()),
        "churn": ChurnModel,
        "churn-bgnbd": BGNBDClassifier,
        "churn-rule": BinnedRateRule,
        "search": SearchIndex,
    }
    if name not in factories:
        raise UserError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    model = factories[name]()
    unknown = sorted(set(params) - set(model.get_params(deep=False)))
    if unknown:
        raise UserError(f"{name} has no parameter(s) {unknown}; it has {sorted(model.get_params(deep=False))}")
    return model.set_params(**params)


# --- subcommands ---------------------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> None:
    from shopcase.data import ShopConfig, generate_shop
    from shopcase.data.store import save_shop

    if args.out.exists() and any(args.out.iterdir()) and not args.overwrite:
        raise UserError(f"{args.out}: not empty; pass --overwrite or choose another directory")
    ShopConfig(n_users=args.users, n_items=args.items, seed=args.seed, start=args.start, end=args.end).validated()
    started = time.perf_counter()
    print(f"generating {args.users:,} users x {args.items:,} items (seed {args.seed}) ...", file=sys.stderr)
    shop = generate_shop(n_users=args.users, n_items=args.items, seed=args.seed, start=args.start, end=args.end)
    save_shop(shop, args.out)
    print(f"shop: {len(shop.events):,} events, {len(shop.catalogue):,} items -> {args.out} "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip


def cmd_train(args: argparse.Namespace) -> None:
    from shopcase.churn import build_churn_dataset
    from shopcase.data import purchase_interactions
    from shopcase.serve.artifacts import save

    shop = _load_shop(args.shop)
    model = make_model(args.model, dict(args.set))
    events = _events_before(shop, args.as_of)
    created_at = args.created_at or args.as_of
    metadata = {"as_of": args.as_of.isoformat(), "model": args.model}
    started = time.perf_counter()
    if args.model in CHURN_MODELS:
        bgnbd = args.model == "churn-bgnbd"  # reads the BG/NBD summary columns
        if bgnbd:
            model.set_params(horizon_days=args.horizon)
        origin = args.as_of - timedelta(days=args.horizon)  # labels must be observed by as_of
        data = build_churn_dataset(events, origin, args.horizon, emails=shop.emails, log_end=args.as_of, bgnbd=bgnbd)
        model.fit(data.features, data.labels)
        training = [data.features, data.labels]
        what = f"{len(data.features):,} customers as of {origin.date()}, churn within {args.horizon} days"
        metadata.update(horizon_days=args.horizon, feature_columns=list(model.feature_columns_))
    elif args.model == "search":
        views = events[events[EVENT_TYPE].astype(str) == VIEW].groupby(ITEM_ID).size()
        model.fit(shop.catalogue, popularity=views)
        training, what = [shop.catalogue, views], f"{len(shop.catalogue):,} catalogue items"
    else:
        interactions = purchase_interactions(events)
        model.fit(interactions, item_features=shop.catalogue)
        training = [interactions, shop.catalogue]
        what = f"{len(interactions):,} purchase pairs of {interactions['user_id'].nunique():,} users"
    fitted = time.perf_counter() - started
    target = args.out / ("recommender" if args.model in RECOMMENDERS else ARTEFACT_NAMES[args.model])
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = save(
        model, target, created_at=created_at, training_data=training, metadata=metadata, overwrite=args.overwrite
    )
    print(f"trained {args.model} on {what} in {fitted:.1f} s")
    print(f"{manifest} -> {target}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from shopcase.data import purchase_interactions
    from shopcase.evaluate.relevance import purchase_truth
    from shopcase.evaluate.report import evaluate_models

    shop = _load_shop(args.shop)
    train = purchase_interactions(_events_before(shop, args.cutoff))
    test = shop.events[shop.events[TIMESTAMP] >= args.cutoff]
    truth = purchase_truth(test, train, new_items_only=True, users=train["user_id"].unique())
    models = {"popularity (baseline)": make_model("popularity", {})}
    if args.model != "popularity":
        models[args.model] = make_model(args.model, dict(args.set))
    table = evaluate_models(models, train, truth, k=args.k, item_features=shop.catalogue, progress=True)
    shown = ["model", "precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "catalogue_coverage"]
    print(f"{len(truth['user_id'].unique()):,} users bought new items from {args.cutoff.date()} on; k = {args.k}")
    print(table[[c for c in shown if c in table.columns]].round(4).to_string(index=False))


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        print(frame.to_json(orient="records"))
    elif fmt == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        print(frame.to_string(index=False))


def cmd_recommend(args: argparse.Namespace) -> None:
    from shopcase.serve.artifacts import load

    model = load(args.artifact)
    if not hasattr(model, "recommend"):
        raise UserError(f"{args.artifact}: holds a {type(model).__name__}, not a recommender")
    frame = model.recommend(list(dict.fromkeys(args.users)), n=args.n)
    frame["cold_start"] = model.user_index_.get_indexer(frame["user_id"]) < 0
    _print_frame(frame, args.format)


def cmd_churn_score(args: argparse.Namespace) -> None:
    from shopcase.serve.artifacts import load_with_manifest
    from shopcase.serve.risk import check_churn_model, churn_features, churn_risk

    model, manifest = load_with_manifest(args.artifact)
    check_churn_model(model, str(args.artifact))
    shop = _load_shop(args.shop)
    events = _events_before(shop, args.as_of)
    horizon = manifest.metadata.get("horizon_days")
    scores = churn_risk(model, churn_features(model, events, args.as_of, emails=shop.emails, horizon_days=horizon))
    counts = scores["risk_segment"].value_counts()
    print(
        ", ".join(f"{s} {int(counts.get(s, 0)):,}" for s in ("HIGH", "MEDIUM", "LOW")) + f" (as of {args.as_of.date()})"
    )
    if args.out is not None:
        scores.to_csv(args.out, index=False)
        print(f"{len(scores):,} scores -> {args.out}")
    else:
        _print_frame(scores.head(args.head), "table")


def cmd_batch(args: argparse.Namespace) -> None:
    from shopcase.serve.batch import batch_recommend
    from shopcase.serve.rules import BusinessRules, category_lookup

    out_of_stock, categories = (), None
    if args.shop is not None:
        shop = _load_shop(args.shop)
        categories = category_lookup(shop.catalogue)
        if args.as_of is not None:
            spells = shop.stockouts
            out = spells[(spells["start"] <= args.as_of) & (spells["end"] > args.as_of)]
            out_of_stock = tuple(out[ITEM_ID].unique().tolist())
    elif args.max_per_category is not None:
        raise UserError("--max-per-category needs --shop (the catalogue gives each item's category)")
    if args.as_of is not None and args.shop is None:
        raise UserError("--as-of needs --shop (stock-outs come from the shop's calendar)")
    rules = BusinessRules(
        out_of_stock=out_of_stock,
        banned=tuple(args.ban),
        pinned=tuple(args.pin),
        max_per_category=args.max_per_category,
        item_category=categories,
    )
    report = batch_recommend(
        args.artifact, args.out, n=args.n, rules=rules, chunk_size=args.chunk_size, progress=True,
        overwrite=args.overwrite,
    )  # fmt: skip
    if out_of_stock:
        print(f"{len(out_of_stock):,} items out of stock on {args.as_of.date()} excluded")
    print(report)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from shopcase.serve.service import check_artifacts_dir

    check_artifacts_dir(args.artifacts)  # fail in one line before uvicorn starts
    import os

    os.environ["SHOPCASE_ARTIFACTS"] = str(args.artifacts.resolve())  # read by each worker's app factory
    os.environ["SHOPCASE_ALLOW_RELOAD"] = "1" if args.allow_reload else "0"
    os.environ["SHOPCASE_LOG_LEVEL"] = args.log_level  # info: one access line per request
    options = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters:
        # Each worker loads the models before it answers uvicorn's health check (default 5 s): a large
        # artefact on a busy machine takes longer, and the worker would be killed and restarted forever.
        options["timeout_worker_healthcheck"] = WORKER_START_SECONDS
    uvicorn.run(
        "shopcase.serve.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,  # the app logs one structured line per request itself
        **options,
    )


def cmd_run_notebooks(args: argparse.Namespace) -> int:
    from shopcase import runner

    argv = ["run"] + ([] if args.build is None else ["--build", str(args.build)])
    if args.only:
        argv += ["--only", *args.only]
    for name, value in args.parameter:
        argv += ["-p", name, value]
    return runner.main(argv) or 0


# --- the parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="shopcase", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, func: Callable) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = command("generate", "generate a synthetic shop into a directory (Parquet tables)", cmd_generate)
    p.add_argument("--out", type=Path, required=True, help="shop directory to write")
    p.add_argument("--users", type=_positive, default=4_000)
    p.add_argument("--items", type=_positive, default=3_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start", default="2023-01-01", help="first day logged")
    p.add_argument("--end", default="2023-12-31", help="last day logged")
    p.add_argument("--overwrite", action="store_true")

    p = command("train", "train a model on a shop's log before --as-of and save it as an artefact", cmd_train)
    p.add_argument("--shop", type=Path, required=True, help="shop directory (shopcase generate)")
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--as-of", type=_date, required=True, help="train on events before this date")
    p.add_argument("--out", type=Path, required=True, help="artefacts directory (the model goes in a subdirectory)")
    p.add_argument("--set", type=_param, action="append", default=[], metavar="NAME=VALUE", help="model parameter")
    p.add_argument("--horizon", type=_positive, default=90, help="churn: days without a purchase that mean churn")
    p.add_argument("--created-at", type=_date, default=None, help="stamp in the manifest (default: --as-of)")
    p.add_argument("--overwrite", action="store_true")

    p = command("evaluate", "fit a model before --cutoff and score its top-k on the purchases after", cmd_evaluate)
    p.add_argument("--shop", type=Path, required=True)
    p.add_argument("--model", choices=RECOMMENDERS, required=True)
    p.add_argument("--cutoff", type=_date, required=True)
    p.add_argument("-k", type=_positive, default=10)
    p.add_argument("--set", type=_param, action="append", default=[], metavar="NAME=VALUE")

    p = command("recommend", "top-n items for users from a saved recommender", cmd_recommend)
    p.add_argument("--artifact", type=Path, required=True, help="a saved recommender (e.g. artefacts/recommender)")
    p.add_argument("users", type=_id, nargs="+", metavar="USER_ID")
    p.add_argument("-n", type=_positive, default=10)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")

    p = command("churn-score", "churn probability and risk segment per customer as of a date", cmd_churn_score)
    p.add_argument("--artifact", type=Path, required=True, help="a saved churn model (e.g. artefacts/churn)")
    p.add_argument("--shop", type=Path, required=True)
    p.add_argument("--as-of", type=_date, required=True)
    p.add_argument("--out", type=Path, default=None, help="CSV file for every score (default: print the first)")
    p.add_argument("--head", type=_positive, default=10)

    p = command("batch", "nightly homepages: top-n for every user to Parquet, with business rules", cmd_batch)
    p.add_argument("--artifact", type=Path, required=True, help="a saved recommender")
    p.add_argument("--out", type=Path, required=True, help="output directory (resumed if interrupted)")
    p.add_argument("-n", type=_positive, default=10)
    p.add_argument("--shop", type=Path, default=None, help="shop directory: categories and stock-outs")
    p.add_argument("--as-of", type=_date, default=None, help="exclude items out of stock on this date")
    p.add_argument("--max-per-category", type=_positive, default=None)
    p.add_argument("--ban", type=_id, nargs="*", default=[], metavar="ITEM_ID")
    p.add_argument("--pin", type=_id, nargs="*", default=[], metavar="ITEM_ID")
    p.add_argument("--chunk-size", type=_positive, default=20_000)
    p.add_argument("--overwrite", action="store_true", help="replace a run with other settings")

    p = command("serve", "serve the saved models over HTTP (FastAPI on uvicorn)", cmd_serve)
    p.add_argument("--artifacts", type=Path, required=True, help="artefacts directory (recommender/, churn/, ...)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=_positive, default=1, help="worker processes (e.g. one per core)")
    p.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info")
    p.add_argument("--allow-reload", action="store_true", help="enable POST /admin/reload (swap in new artefacts)")

    p = command("run-notebooks", "execute every notebook into build/ (what `make run` does)", cmd_run_notebooks)
    p.add_argument("--build", type=Path, default=None, help="output folder (default: build/ of the project)")
    p.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 03")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    return parser


def _version() -> str:
    import shopcase

    return f"shopcase {shopcase.__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``shopcase`` command; returns the exit code (0 ok, 2 user error, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument (2, its one line already printed)
        return int(exc.code or 0)
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print(f"shopcase {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"shopcase {args.command}: error: {message}", file=sys.stderr)
        return 2
    return int(result or 0)


def entry_point() -> None:
    """The console script: ``shopcase ...``."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()

"""Evaluate several recommenders the same way: one tidy table, and metrics at several K."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm import tqdm

from shopcase.evaluate.metrics import PER_USER_COLUMNS, beyond_accuracy_metrics, per_user_metrics, ranking_metrics
from shopcase.schema import ITEM_ID, USER_ID, K
from shopcase.validate import check_bool, check_int, require_columns


def _recommend_for_truth(model: object, truth: pd.DataFrame, k: int, exclude_seen: bool) -> pd.DataFrame:
    # Every truth user is asked for, known or not: unknown users take the model's cold-start path
    # and are scored like everyone else (the reference design skipped them, inflating its scores).
    return model.recommend(truth[USER_ID].unique(), n=k, exclude_seen=exclude_seen)


def evaluate_models(
    models: Mapping[str, object],
    train: pd.DataFrame,
    truth: pd.DataFrame,
    k: int = K,
    exclude_seen: bool = True,
    item_features: pd.DataFrame | None = None,
    item_categories: pd.Series | None = None,
    catalogue: Iterable[object] | None = None,
    progress: bool = False,
    return_fitted: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]:
    """Fit a clone of each model on ``train`` and score its top-``k`` for every ``truth`` user.

    ``train``: interactions (``user_id, item_id, rating``); ``truth``: ``user_id, item_id``
    (e.g. ``purchase_truth``). The models given are left as they are: a clone of each is fitted
    (scikit-learn's ``clone``; an object without ``get_params`` is deep-copied). Returns one row per
    model: accuracy metrics (``ranking_metrics``), coverage of ``catalogue`` (default: items in train
    or in ``item_features``), novelty and average popularity against ``train``, intra-list diversity
    when ``item_categories`` (item_id -> category) is given, ``cold_users`` (truth users absent from
    train, scored through cold start, never skipped) and fit / recommend seconds. With ``return_fitted``
    (like scikit-learn's ``cross_validate(return_estimator=True)``), returns ``(table, fitted)``,
    ``fitted`` mapping each name to its fitted clone (e.g. for ``metrics_at_ks``).
    """
    k = check_int(k, "k")
    check_bool(return_fitted, "return_fitted")
    require_columns(truth, [USER_ID, ITEM_ID], "truth")
    if catalogue is None:  # what the models could recommend: training items, plus the catalogue if given
        known = [train[ITEM_ID]] + ([item_features[ITEM_ID]] if item_features is not None else [])
        catalogue = pd.concat(known, ignore_index=True).unique()
    catalogue = pd.Index(list(catalogue))
    cold_users = int((~truth[USER_ID].drop_duplicates().isin(train[USER_ID])).sum())
    rows, fitted_models = [], {}
    for name, model in tqdm(models.items(), desc="models", disable=not progress):
        started = time.perf_counter()
        fitted_models[name] = clone(model, safe=False).fit(train, item_features=item_features)
        fitted = time.perf_counter()
        recs = _recommend_for_truth(fitted_models[name], truth, k, exclude_seen)
        done = time.perf_counter()
        row = {"model": name, **ranking_metrics(recs, truth, k)}
        row.update(beyond_accuracy_metrics(recs, k, train=train, catalogue=catalogue, item_categories=item_categories))
        row.update({"cold_users": cold_users, "fit_seconds": fitted - started, "recommend_seconds": done - fitted})
        rows.append(row)
    table = pd.DataFrame(rows)
    return (table, fitted_models) if return_fitted else table


def metrics_at_ks(
    fitted_models: Mapping[str, object],
    truth: pd.DataFrame,
    ks: Sequence[int],
    exclude_seen: bool = True,
) -> pd.DataFrame:
    """Accuracy metrics of already fitted models at every K in ``ks`` (one recommend call at max K).

    Returns a tidy table: ``model, k`` and the ``ranking_metrics`` columns.
    """
    ks = [check_int(k, "ks") for k in ks]
    if not ks:
        raise ValueError("ks is empty: give at least one K")
    rows = []
    for name, model in fitted_models.items():
        recs = _recommend_for_truth(model, truth, max(ks), exclude_seen)
        rows += [{"model": name, **ranking_metrics(recs, truth, k)} for k in ks]
    return pd.DataFrame(rows)


def per_user_scores(
    fitted_models: Mapping[str, object],
    truth: pd.DataFrame,
    ks: int | Sequence[int] = K,
    exclude_seen: bool = True,
) -> pd.DataFrame:
    """Per-user accuracy of already fitted models at one or several K: the input of ``compare_models``.

    Each model recommends ``max(ks)`` items once to every ``truth`` user (unknown users get the cold-start
    list). Returns a tidy table, one row per (model, k, truth user): ``model, k, user_id`` and the per-user
    values of every accuracy metric, named after the metric their mean is (``precision_at_k``,
    ``recall_at_k``, ``ndcg_at_k``, ``map_at_k``, ``map_all_relevant_at_k``, ``hit_rate_at_k``,
    ``mrr_at_k``): a column's mean per (model, k) equals ``ranking_metrics`` / ``evaluate_models``.
    """
    ks = [check_int(k, "ks") for k in ([ks] if np.ndim(ks) == 0 else ks)]
    if not ks:
        raise ValueError("ks is empty: give at least one K")
    parts = []
    for name, model in fitted_models.items():
        recs = _recommend_for_truth(model, truth, max(ks), exclude_seen)
        for k in ks:
            per_user = per_user_metrics(recs, truth, k)[list(PER_USER_COLUMNS)].rename(columns=PER_USER_COLUMNS)
            per_user.insert(0, "k", k)
            per_user.insert(0, "model", name)
            parts.append(per_user.reset_index())
    columns = ["model", "k", USER_ID, *PER_USER_COLUMNS.values()]
    return pd.concat(parts, ignore_index=True)[columns]


def business_reading(
    results: pd.DataFrame,
    n_customers: int,
    average_order_value: float,
    baseline: str = "Popularity",
    intervals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Translate hit rate into money: the orders and revenue a top-K list could touch per period.

    ``results`` is ``evaluate_models`` output (needs ``model`` and ``hit_rate_at_k``);
    ``n_customers`` is how many customers see the list in a period and ``average_order_value``
    is in currency units (e.g. ``shopcase.data.average_order_value``). Returns ``model, hit_rate_at_k,
    orders_touched, revenue_touched, extra_revenue_vs_baseline``. An upper bound on attributable revenue (a hit
    is a purchase the list *contained*, not one it *caused*): the causal lift needs an A/B test.

    ``intervals``: ``compare_models(scores, "hit_rate_at_k", baseline=baseline)`` on the same models; adds
    ``extra_revenue_low`` / ``extra_revenue_high``, the paired interval of the gap in hit rate turned into money
    the same way.
    """
    require_columns(results, ["model", "hit_rate_at_k"], "results")
    if baseline not in set(results["model"]):
        raise ValueError(f"baseline {baseline!r} is not a model in results: {results['model'].tolist()}")
    check_int(n_customers, "n_customers")
    if not (average_order_value > 0 and average_order_value < float("inf")):
        raise ValueError(f"average_order_value must be a positive finite number, got {average_order_value!r}")
    table = results[["model", "hit_rate_at_k"]].copy()
    table["orders_touched"] = table["hit_rate_at_k"] * n_customers
    table["revenue_touched"] = table["orders_touched"] * average_order_value
    base = table.loc[table["model"] == baseline, "revenue_touched"].iloc[0]
    table["extra_revenue_vs_baseline"] = table["revenue_touched"] - base
    if intervals is not None:
        require_columns(intervals, ["model", "metric", "baseline", "difference_low", "difference_high"], "intervals")
        if set(intervals["metric"]) != {"hit_rate_at_k"} or set(intervals["baseline"]) != {baseline}:
            raise ValueError(f"intervals must be compare_models(scores, 'hit_rate_at_k', baseline={baseline!r})")
        bounds = intervals.set_index("model").reindex(table["model"])
        if bounds["difference_low"].isna().any():
            missing = table["model"][bounds["difference_low"].isna().to_numpy()].tolist()
            raise ValueError(f"intervals has no row for model(s) {missing}")
        per_hit = n_customers * average_order_value
        table["extra_revenue_low"] = bounds["difference_low"].to_numpy() * per_hit
        table["extra_revenue_high"] = bounds["difference_high"].to_numpy() * per_hit
    return table

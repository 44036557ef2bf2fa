"""Honest evaluation of churn scores: tidy DataFrames, no printing.

Two protocols, both leakage-free:

* **out of time** (``evaluate_out_of_time``): fit on a dataset as of one date, test on one as of a
  later date whose features start after the training labels end (``train.label_end <= test.as_of``,
  checked), i.e. what a shop could do on the test date;
* **cross-validated by customer**: one date, the same label window for everyone, stratified folds
  of customers (scikit-learn's ``cross_val_predict(model, data.features, data.labels, cv=folds(...),
  method="predict_proba")``); a customer's score comes from a model that never saw its label.

Metrics: ROC-AUC, PR-AUC (average precision, churn = positive class), Brier score, lift of the top
decile (churn rate among the 10% highest scores / overall churn rate), a calibration table,
permutation importance (scikit-learn's, on any fitted churn classifier) and a paired bootstrap over
customers for the difference between two methods scored on the same customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.inspection import permutation_importance
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from shopcase.churn.dataset import ChurnDataset
from shopcase.churn.features import BGNBD_FEATURE_COLUMNS, BGNBD_SUMMARY_COLUMNS, FEATURE_GROUPS
from shopcase.schema import CHURN_PROBABILITY, CHURNED, CUSTOMER_ID, SEED
from shopcase.validate import (
    check_array,
    check_binary_flags,
    check_int,
    check_number,
    check_probability,
    check_same_length,
)

METRIC_COLUMNS: tuple[str, ...] = (
    "roc_auc",
    "pr_auc",
    "brier",
    "top_decile_lift",
    "churn_rate",
    "n_customers",
)


def _check_scores(y_true: object, scores: object, name: str = "scores") -> tuple[np.ndarray, np.ndarray]:
    y = check_binary_flags(y_true, "y_true")
    s = check_array(scores, name)
    check_same_length(y_true=y, **{name: s})
    return y, s


def folds(n_splits: int = 5, random_state: int = SEED) -> StratifiedKFold:
    """Stratified, shuffled folds of customers (one row is one customer) for ``cross_val_predict``."""
    return StratifiedKFold(n_splits=check_int(n_splits, "n_splits", low=2), shuffle=True, random_state=random_state)


def lift_at(y_true: object, scores: object, fraction: float = 0.1) -> float:
    """Churn rate among the ``ceil(fraction * n)`` highest scores divided by the overall churn rate.

    Ties at the cut are broken by row order (stable sort), so the result is deterministic.
    """
    y, s = _check_scores(y_true, scores)
    fraction = check_number(fraction, "fraction", low=0.0, high=1.0, low_inclusive=False)
    k = int(np.ceil(fraction * y.size))
    top = np.argsort(-s, kind="stable")[:k]
    return float(y[top].mean() / y.mean())


def classification_metrics(y_true: object, scores: object, is_probability: bool = True) -> dict[str, float]:
    """ROC-AUC, PR-AUC, Brier (NaN unless ``is_probability``), top-decile lift, churn rate and n.

    ``scores`` are P(churn) or any score where higher means more likely to churn.
    """
    y, s = _check_scores(y_true, scores)
    if is_probability and np.any((s < 0) | (s > 1)):
        raise ValueError("scores given as probabilities must lie in [0, 1]")
    return {
        "roc_auc": float(roc_auc_score(y, s)),
        "pr_auc": float(average_precision_score(y, s)),
        "brier": float(brier_score_loss(y, s)) if is_probability else float("nan"),
        "top_decile_lift": lift_at(y, s, 0.1),
        "churn_rate": float(y.mean()),
        "n_customers": int(y.size),
    }


def compare_methods(
    y_true: object, scores: Mapping[str, object], not_probabilities: Sequence[str] = ()
) -> pd.DataFrame:
    """One row per method: ``method`` then ``METRIC_COLUMNS``; Brier is NaN for ``not_probabilities``."""
    unknown = set(not_probabilities) - set(scores)
    if unknown:
        raise ValueError(f"not_probabilities names methods that are not scored: {sorted(unknown)}")
    rows = [
        {"method": name, **classification_metrics(y_true, s, is_probability=name not in not_probabilities)}
        for name, s in scores.items()
    ]
    return pd.DataFrame(rows, columns=["method", *METRIC_COLUMNS])


def _bootstrap_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` customers is drawn in each of ``n_boot`` resamples, shape ``(n_boot, n)``."""
    draws = rng.integers(0, n, size=(n_boot, n))
    offsets = (np.arange(n_boot) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


def weighted_roc_auc(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC-AUC with customer weights, one value per row of ``weights`` (shape ``(n_boot, n)``).

    The Mann-Whitney form: the weighted share of (churner, stayer) pairs the churner outranks, ties
    counted half, which is what ``roc_auc_score`` computes on a resample with repeated customers.
    One sort of the scores serves every resample; NaN where a resample lacks a class.
    """
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    w = weights[:, order]
    churner = y[order]
    pos = w * churner
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    if starts.size < ranked.size:
        # Tied scores: sum their weights, one column per distinct score value (lowest first).
        w, pos = np.add.reduceat(w, starts, axis=1), np.add.reduceat(pos, starts, axis=1)
    neg = w - pos
    below = np.cumsum(neg, axis=1) - neg  # stayers scored strictly lower
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _bootstrap(
    y_true: object,
    scores: Mapping[str, object],
    n_boot: int,
    random_state: int,
    not_probabilities: Sequence[str],
    confidence: float,
    chunk: int,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, float]], float]:
    """Per method and metric: the ``n_boot`` resampled values, the full-data value; and ``alpha``.

    Every method is scored on the same resamples of customers (weight vectors, ``chunk`` at a time).
    """
    unknown = set(not_probabilities) - set(scores)
    if unknown:
        raise ValueError(f"not_probabilities names methods that are not scored: {sorted(unknown)}")
    checked = {name: _check_scores(y_true, s, name)[1] for name, s in scores.items()}
    y = check_binary_flags(y_true, "y_true")
    n_boot = check_int(n_boot, "n_boot", low=2)
    chunk = check_int(chunk, "chunk")
    alpha = 1 - check_probability(confidence, "confidence")
    rng = np.random.default_rng(random_state)
    draws: dict[str, dict[str, list]] = {name: {"roc_auc": [], "brier": []} for name in scores}
    for first in range(0, n_boot, chunk):
        weights = _bootstrap_weights(y.size, min(chunk, n_boot - first), rng)
        for name, s in checked.items():
            draws[name]["roc_auc"].append(weighted_roc_auc(y, s, weights))
            draws[name]["brier"].append(weights @ (s - y) ** 2 / y.size)
    full = {
        name: {"roc_auc": weighted_roc_auc(y, s, np.ones((1, y.size)))[0], "brier": float(np.mean((s - y) ** 2))}
        for name, s in checked.items()
    }
    resampled = {name: {m: np.concatenate(v) for m, v in per.items()} for name, per in draws.items()}
    for name in not_probabilities:  # a ranking score has no Brier score
        resampled[name]["brier"] = np.full(n_boot, np.nan)
        full[name]["brier"] = np.nan
    return resampled, full, alpha


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bootstrap_metrics(
    y_true: object,
    scores: Mapping[str, object],
    n_boot: int = 1000,
    random_state: int = SEED,
    not_probabilities: Sequence[str] = (),
    confidence: float = 0.95,
    chunk: int = 100,
) -> pd.DataFrame:
    """ROC-AUC and Brier of each method with a percentile bootstrap interval over customers.

    Rows ``method``, ``metric``, ``value`` (full data), ``ci_low``, ``ci_high``. To compare two methods
    use ``bootstrap_differences``: their intervals overlap even when a paired difference is real.
    """
    resampled, full, alpha = _bootstrap(y_true, scores, n_boot, random_state, not_probabilities, confidence, chunk)
    rows = []
    for name in scores:
        for metric in ("roc_auc", "brier"):
            low, high = _interval(resampled[name][metric], alpha)
            rows.append({"method": name, "metric": metric, "value": full[name][metric], "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["method", "metric", "value", "ci_low", "ci_high"])


def bootstrap_differences(
    y_true: object,
    scores: Mapping[str, object],
    reference: str,
    n_boot: int = 1000,
    random_state: int = SEED,
    not_probabilities: Sequence[str] = (),
    confidence: float = 0.95,
    chunk: int = 100,
) -> pd.DataFrame:
    """Paired bootstrap over customers of ``reference`` minus each other method, ROC-AUC and Brier.

    Every method is scored on the same ``n_boot`` resamples of customers (paired: the customers'
    luck is shared, so only the difference between methods varies). Rows ``method`` (the baseline),
    ``metric`` (``roc_auc``, ``brier``), ``difference`` (reference - method on the full data),
    ``ci_low``, ``ci_high`` (percentile interval at ``confidence``) and ``verdict``: ``'real'``
    when the interval excludes 0, else ``'within noise'``. A positive ROC-AUC difference and a
    negative Brier difference favour the reference. The interval covers the luck of which customers
    were drawn, not a change of period. Brier is NaN (verdict ``'n/a'``) for a method in
    ``not_probabilities``. Vectorised: resamples are weight vectors (how often each customer is drawn).
    """
    if reference not in scores:
        raise ValueError(f"reference {reference!r} is not one of the scored methods {list(scores)}")
    if reference in not_probabilities:
        raise ValueError("the reference must be a probability (its Brier score is compared)")
    resampled, full, alpha = _bootstrap(y_true, scores, n_boot, random_state, not_probabilities, confidence, chunk)
    rows = []
    for name in (n for n in scores if n != reference):
        for metric in ("roc_auc", "brier"):
            low, high = _interval(resampled[reference][metric] - resampled[name][metric], alpha)
            verdict = "n/a" if np.isnan(low) else ("real" if low > 0 or high < 0 else "within noise")
            difference = full[reference][metric] - full[name][metric]
            rows.append(
                {
                    "method": name,
                    "metric": metric,
                    "difference": difference,
                    "ci_low": low,
                    "ci_high": high,
                    "verdict": verdict,
                }
            )
    return pd.DataFrame(rows, columns=["method", "metric", "difference", "ci_low", "ci_high", "verdict"])


def bootstrap_difference(
    y_true: object,
    p_model: object,
    p_baseline: object,
    n_boot: int = 1000,
    random_state: int = SEED,
    baseline_is_probability: bool = True,
) -> pd.DataFrame:
    """``bootstrap_differences`` for one pair: ``model - baseline``, rows ``roc_auc`` and ``brier``."""
    table = bootstrap_differences(
        y_true,
        {"model": p_model, "baseline": p_baseline},
        "model",
        n_boot=n_boot,
        random_state=random_state,
        not_probabilities=() if baseline_is_probability else ("baseline",),
    )
    return table.drop(columns="method")


def calibration_table(y_true: object, p_churn: object, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed churn in ``n_bins`` quantile bins of P(churn).

    Columns ``bin`` (1 = lowest predictions), ``n``, ``mean_predicted``,
    ``observed_rate``, ``p_min``, ``p_max``. Bins with tied edges merge, so there may be fewer rows.
    """
    y, p = _check_scores(y_true, p_churn, "p_churn")
    n_bins = check_int(n_bins, "n_bins")
    # Rank-based bins: ties in p never split unevenly, and every bin holds observations.
    bins = pd.qcut(pd.Series(p).rank(method="min"), q=n_bins, labels=False, duplicates="drop")
    frame = pd.DataFrame({"bin": np.asarray(bins, dtype=int) + 1, "p": p, "y": y.astype(float)})
    table = frame.groupby("bin").agg(
        n=("y", "size"),
        mean_predicted=("p", "mean"),
        observed_rate=("y", "mean"),
        p_min=("p", "min"),
        p_max=("p", "max"),
    )
    table = table.reset_index()
    table["bin"] = np.arange(1, len(table) + 1)
    return table


def feature_group(column: str) -> str:
    """The ``FEATURE_GROUPS`` key a column belongs to (``'bgnbd'`` for BG/NBD columns, else ``'other'``)."""
    for group, columns in FEATURE_GROUPS.items():
        if column in columns:
            return group
    return "bgnbd" if column in (*BGNBD_FEATURE_COLUMNS, *BGNBD_SUMMARY_COLUMNS) else "other"


def permutation_importance_table(
    model: object,
    X: pd.DataFrame,
    y: object,
    n_repeats: int = 5,
    random_state: int = SEED,
    scoring: str = "roc_auc",
) -> pd.DataFrame:
    """Drop in ``scoring`` when one column is shuffled (scikit-learn's ``permutation_importance``); largest first.

    ``model`` is any fitted churn classifier; only the columns it reads (``feature_columns_``) are
    shuffled and reported (the others cannot matter). Columns ``feature, group, importance_mean,
    importance_std`` (the std over ``n_repeats`` shuffles: how much the estimate itself varies). Use
    held-out data: importance on the training data measures memorisation.
    """
    result = permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=random_state)
    used = list(getattr(model, "feature_positions_", range(X.shape[1])))
    table = pd.DataFrame(
        {
            "feature": X.columns[used],
            "group": [feature_group(c) for c in X.columns[used]],
            "importance_mean": result.importances_mean[used],
            "importance_std": result.importances_std[used],
        }
    )
    return table.sort_values("importance_mean", ascending=False, ignore_index=True, kind="stable")


@dataclass
class ChurnEvaluation:
    """One evaluation: ``metrics`` (1 row), ``calibration``, ``importance`` and per-customer ``scores``."""

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    importance: pd.DataFrame
    scores: pd.DataFrame


def check_out_of_time(train: ChurnDataset, test: ChurnDataset) -> None:
    """Raise ``ValueError`` unless the training labels are all known by the test date."""
    if train.label_end > test.as_of:
        raise ValueError(
            f"training labels run to {train.label_end}, after the test as_of={test.as_of}: a model fitted "
            "on them could not exist on the test date (and would see the test period); train on an earlier "
            "window"
        )


def evaluate_out_of_time(
    model: object,
    train: ChurnDataset,
    test: ChurnDataset,
    n_bins: int = 10,
    n_repeats: int = 5,
    random_state: int = SEED,
    importance: bool = True,
) -> ChurnEvaluation:
    """Fit a clone of ``model`` on ``train``, score ``test`` (a later date), return metrics and tables.

    ``metrics`` holds ``METRIC_COLUMNS`` plus ``train_as_of``, ``test_as_of`` and both horizons.
    ``importance`` is permutation importance (ROC-AUC) on the test set (empty if ``importance=False``).
    ``scores`` holds ``customer_id, churn_probability, churned`` in the test set's order.
    """
    check_out_of_time(train, test)
    fitted = clone(model).fit(train.features, train.labels)
    p_churn = fitted.predict_proba(test.features)[:, 1]
    y = check_binary_flags(test.labels, "test.labels")
    metrics = pd.DataFrame(
        [
            {
                **classification_metrics(y, p_churn),
                "train_as_of": train.as_of,
                "test_as_of": test.as_of,
                "train_horizon_days": train.horizon_days,
                "test_horizon_days": test.horizon_days,
            }
        ]
    )
    if importance:
        table = permutation_importance_table(fitted, test.features, test.labels, n_repeats, random_state)
    else:
        table = pd.DataFrame(columns=["feature", "group", "importance_mean", "importance_std"])
    scores = pd.DataFrame({CUSTOMER_ID: test.features.index.to_numpy(), CHURN_PROBABILITY: p_churn, CHURNED: y})
    return ChurnEvaluation(
        metrics=metrics, calibration=calibration_table(y, p_churn, n_bins), importance=table, scores=scores
    )


@dataclass(frozen=True)
class ValidationChoice:
    """The candidate with the best validation ROC-AUC, and every candidate against it.

    ``table``: one row per candidate (in the order given) with ``roc_auc``, ``brier``, then the chosen
    minus the candidate (``difference`` in ROC-AUC with its paired bootstrap ``ci_low``, ``ci_high``
    and ``verdict``; NaN and ``'chosen'`` on the chosen row).
    """

    chosen: str
    validation_as_of: pd.Timestamp
    table: pd.DataFrame

    def __str__(self) -> str:
        row = self.table.loc[self.chosen]
        noise = (self.table["verdict"] == "within noise").sum()
        return (
            f"chosen on {self.validation_as_of.date()}: {self.chosen} (ROC-AUC {row['roc_auc']:.3f}); "
            f"{noise} of {len(self.table) - 1} other candidate(s) within noise of it"
        )


def choose_on_validation(
    candidates: Mapping[str, tuple[object, ChurnDataset]],
    validation: ChurnDataset,
    n_boot: int = 1000,
    random_state: int = SEED,
) -> ValidationChoice:
    """Fit each candidate (a clone of its model on its training set), score ``validation``, keep the best ROC-AUC.

    ``candidates`` maps a name to ``(model, training set)``; every training set's labels must be known by the
    validation date (``check_out_of_time``), so choosing never looks past it, and the test date is never
    used. The paired bootstrap (``bootstrap_differences``) says which gaps to the chosen candidate are real.
    """
    if not candidates:
        raise ValueError("candidates is empty: give at least one (model, training set)")
    scores = {}
    for name, (model, train) in candidates.items():
        check_out_of_time(train, validation)
        scores[name] = clone(model).fit(train.features, train.labels).predict_proba(validation.features)[:, 1]
    y = check_binary_flags(validation.labels, "validation.labels")
    table = compare_methods(y, scores).set_index("method")[["roc_auc", "brier"]]
    chosen = str(table["roc_auc"].idxmax())
    gaps = bootstrap_differences(y, scores, chosen, n_boot=n_boot, random_state=random_state)
    gaps = gaps[gaps["metric"] == "roc_auc"].set_index("method")[["difference", "ci_low", "ci_high", "verdict"]]
    table = table.join(gaps)
    table.loc[chosen, "verdict"] = "chosen"
    return ValidationChoice(chosen=chosen, validation_as_of=validation.as_of, table=table)


def group_ablation(
    model: object,
    train: ChurnDataset,
    test: ChurnDataset | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    n_splits: int = 5,
    random_state: int = SEED,
) -> pd.DataFrame:
    """How much each feature group adds: the model refitted on growing and on leave-one-out group sets.

    ``groups`` defaults to ``FEATURE_GROUPS`` (plus ``'bgnbd'`` when those columns are in
    ``train.features``). Rows: ``+ group`` cumulative in the given order (the first row is the first
    group alone), then ``all - group`` for each group. Scored out of time on ``test`` if given, else
    by ``n_splits``-fold cross-validation by customer on ``train`` (``cross_val_predict``). Columns
    ``feature_set, kind, groups, n_features`` then ``METRIC_COLUMNS``.
    """
    if groups is None:
        groups = dict(FEATURE_GROUPS)
        bgnbd = [c for c in BGNBD_FEATURE_COLUMNS if c in train.features.columns]
        if bgnbd:
            groups["bgnbd"] = tuple(bgnbd)
    if test is not None:
        check_out_of_time(train, test)
    names = list(groups)
    sets: list[tuple[str, str, list[str]]] = []
    for i in range(len(names)):
        label = names[0] if i == 0 else f"+ {names[i]}"
        sets.append((label, "cumulative", names[: i + 1]))
    for name in names:
        sets.append((f"all - {name}", "leave_one_out", [n for n in names if n != name]))
    cv = folds(n_splits, random_state)
    rows = []
    for label, kind, chosen in sets:
        columns = [c for g in chosen for c in groups[g]]
        candidate = clone(model).set_params(feature_columns=columns)
        if test is None:
            p = cross_val_predict(candidate, train.features, train.labels, cv=cv, method="predict_proba")[:, 1]
            y = train.labels.to_numpy()
        else:
            p = candidate.fit(train.features, train.labels).predict_proba(test.features)[:, 1]
            y = test.labels.to_numpy()
        rows.append(
            {
                "feature_set": label,
                "kind": kind,
                "groups": "+".join(chosen),
                "n_features": len(columns),
                **classification_metrics(y, p),
            }
        )
    return pd.DataFrame(rows)

"""Honest evaluation of churn scores: tidy DataFrames, no printing.

Two protocols, both leakage-free:

* **out of time** (``evaluate_out_of_time``): fit on a dataset as of one date,
  test on one as of a later date whose features start after the training
  labels end (``train.label_end <= test.as_of``, checked), i.e. what a shop
  could do on the test date;
* **cross-validated by customer** (``cross_validated_proba``): one date, the
  same label window for everyone, stratified folds of customers; a customer's
  score comes from a model that never saw its label.

Metrics: ROC-AUC, PR-AUC (average precision, churn = positive class), Brier
score, lift of the top decile (churn rate among the 10% highest scores /
overall churn rate), a calibration table and permutation importance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.inspection import permutation_importance
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from shopcase.churn.dataset import ChurnDataset
from shopcase.churn.features import BGNBD_FEATURE_COLUMNS, FEATURE_GROUPS
from shopcase.churn.model import align_labels
from shopcase.schema import CHURN_PROBABILITY, CHURNED, CUSTOMER_ID, SEED
from shopcase.validate import check_int

METRIC_COLUMNS: tuple[str, ...] = (
    "roc_auc",
    "pr_auc",
    "brier",
    "top_decile_lift",
    "churn_rate",
    "n_customers",
)


def _check_scores(y_true: object, scores: object, name: str = "scores") -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError(f"y_true and {name} must be 1-D and of the same length, got {y.shape} and {s.shape}")
    if y.dtype != bool:
        if not np.isin(y, [0, 1]).all():
            raise ValueError("y_true must be boolean (churned) or 0/1")
        y = y.astype(bool)
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} has {int((~np.isfinite(s)).sum())} missing or infinite value(s)")
    if y.all() or not y.any():
        raise ValueError("y_true has a single class; ROC-AUC and PR-AUC need churners and stayers")
    return y, s


def lift_at(y_true: object, scores: object, fraction: float = 0.1) -> float:
    """Churn rate among the ``ceil(fraction * n)`` highest scores divided by the overall churn rate.

    Ties at the cut are broken by row order (stable sort), so the result is deterministic.
    """
    y, s = _check_scores(y_true, scores)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
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


def bootstrap_difference(
    y_true: object,
    p_model: object,
    p_baseline: object,
    n_boot: int = 200,
    random_state: int = SEED,
    baseline_is_probability: bool = True,
) -> pd.DataFrame:
    """Paired bootstrap over customers of ``model - baseline`` for ROC-AUC and Brier score.

    Returns rows ``metric`` (``roc_auc``, ``brier``), ``difference`` (on the full data), ``ci_low``,
    ``ci_high`` (2.5% and 97.5% quantiles of ``n_boot`` resamples). A positive ROC-AUC difference and a
    negative Brier difference favour the model; an interval that excludes 0 says the gap is not luck
    of the draw of customers (it does not cover a change of period). Brier is skipped (NaN) if the
    baseline is not a probability.
    """
    y, a = _check_scores(y_true, p_model, "p_model")
    _, b = _check_scores(y, p_baseline, "p_baseline")
    n_boot = check_int(n_boot, "n_boot")
    rng = np.random.default_rng(random_state)
    draws = {"roc_auc": [], "brier": []}
    for _ in range(n_boot):
        idx = rng.integers(0, y.size, y.size)
        if y[idx].all() or not y[idx].any():
            continue
        draws["roc_auc"].append(roc_auc_score(y[idx], a[idx]) - roc_auc_score(y[idx], b[idx]))
        if baseline_is_probability:
            draws["brier"].append(np.mean((a[idx] - y[idx]) ** 2) - np.mean((b[idx] - y[idx]) ** 2))
    full = {
        "roc_auc": roc_auc_score(y, a) - roc_auc_score(y, b),
        "brier": brier_score_loss(y, a) - brier_score_loss(y, b) if baseline_is_probability else np.nan,
    }
    rows = []
    for metric, values in draws.items():
        low, high = np.quantile(values, [0.025, 0.975]) if values else (np.nan, np.nan)
        rows.append({"metric": metric, "difference": float(full[metric]), "ci_low": float(low), "ci_high": float(high)})
    return pd.DataFrame(rows)


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


def cross_validated_proba(
    model: object, features: pd.DataFrame, labels: pd.DataFrame, n_splits: int = 5, random_state: int = SEED
) -> np.ndarray:
    """Out-of-fold P(churn) for every row of ``features``, shape ``(n,)``.

    One row is one customer, so stratified K folds of rows are folds of
    customers: each customer is scored by a clone of ``model`` fitted on the
    other folds, never on its own label.
    """
    n_splits = check_int(n_splits, "n_splits")
    y = align_labels(features, labels)
    labels = labels.set_index(CUSTOMER_ID).loc[features[CUSTOMER_ID]].reset_index()
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    out = np.full(len(features), np.nan)
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
        fitted = clone(model).fit(features.iloc[train_idx], labels.iloc[train_idx])
        out[test_idx] = fitted.predict_proba(features.iloc[test_idx])[:, 1]
    return out


def feature_group(column: str) -> str:
    """The ``FEATURE_GROUPS`` key a column belongs to (``'bgnbd'`` for BG/NBD outputs, else ``'other'``)."""
    for group, columns in FEATURE_GROUPS.items():
        if column in columns:
            return group
    return "bgnbd" if column in BGNBD_FEATURE_COLUMNS else "other"


def permutation_importance_table(
    model: object,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    n_repeats: int = 5,
    random_state: int = SEED,
    scoring: str = "roc_auc",
) -> pd.DataFrame:
    """Drop in ``scoring`` when one column is shuffled, on a fitted ``ChurnModel``; sorted, largest first.

    Columns ``feature, group, importance_mean, importance_std``. Use held-out
    data: importance on the training data measures memorisation.
    """
    y = align_labels(features, labels)
    design = features[model.feature_columns_].astype(float)
    result = permutation_importance(
        model.pipeline_, design, y, scoring=scoring, n_repeats=n_repeats, random_state=random_state
    )
    table = pd.DataFrame(
        {
            "feature": model.feature_columns_,
            "group": [feature_group(c) for c in model.feature_columns_],
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
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

    ``metrics`` holds ``METRIC_COLUMNS`` plus ``train_as_of``, ``test_as_of``
    and both horizons. ``importance`` is permutation importance (ROC-AUC) on
    the test set (empty if ``importance=False`` or the model has no pipeline).
    """
    check_out_of_time(train, test)
    fitted = clone(model).fit(train.features, train.labels)
    p_churn = fitted.predict_proba(test.features)[:, 1]
    y = align_labels(test.features, test.labels)
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
    if importance and hasattr(fitted, "pipeline_"):
        table = permutation_importance_table(fitted, test.features, test.labels, n_repeats, random_state)
    else:
        table = pd.DataFrame(columns=["feature", "group", "importance_mean", "importance_std"])
    scores = pd.DataFrame(
        {
            CUSTOMER_ID: test.features[CUSTOMER_ID].to_numpy(),
            CHURN_PROBABILITY: p_churn,
            CHURNED: y,
        }
    )
    return ChurnEvaluation(
        metrics=metrics, calibration=calibration_table(y, p_churn, n_bins), importance=table, scores=scores
    )


def group_ablation(
    model: object,
    train: ChurnDataset,
    test: ChurnDataset | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    n_splits: int = 5,
    random_state: int = SEED,
) -> pd.DataFrame:
    """How much each feature group adds: the model refitted on growing and on leave-one-out group sets.

    ``groups`` defaults to ``FEATURE_GROUPS`` (plus ``'bgnbd'`` when those
    columns are in ``train.features``). Rows: ``+ group`` cumulative in the
    given order (the first row is the first group alone), then ``all - group``
    for each group. Scored out of time on ``test`` if given, else by
    ``n_splits``-fold cross-validation by customer on ``train``. Columns
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
    rows = []
    for label, kind, chosen in sets:
        columns = [c for g in chosen for c in groups[g]]
        candidate = clone(model).set_params(feature_columns=columns)
        if test is None:
            p = cross_validated_proba(candidate, train.features, train.labels, n_splits, random_state)
            y = align_labels(train.features, train.labels)
        else:
            fitted = candidate.fit(train.features, train.labels)
            p = fitted.predict_proba(test.features)[:, 1]
            y = align_labels(test.features, test.labels)
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

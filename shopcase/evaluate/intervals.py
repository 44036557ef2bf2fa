"""Paired bootstrap intervals over users: is the gap between two recommenders real?

Every model of a comparison is scored on the same truth users, and their per-user scores are correlated (a
user who buys niche items is hard for every model). So the unit of resampling is the user, and one resample
draws one set of users for *every* model ("paired"): the interval of a difference then reflects how the gap
varies between users, which is much narrower than two separate intervals would suggest.

The resampling is :func:`scipy.stats.bootstrap` with ``paired=True``, vectorised, in batches that bound
memory. The default is the percentile interval (the middle ``confidence`` share of the resampled means);
``method="BCa"`` gives the bias-corrected and accelerated one, which falls back to the percentile interval for
a statistic every resample agrees on (e.g. the gap between two identical models).

:func:`bootstrap_mean` and :func:`paired_difference` return small frozen dataclasses that print as one line;
:func:`compare_models` does every model of a tidy per-user table at once (``report.per_user_scores`` makes
one), with the same resamples for all of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from shopcase.schema import SEED, USER_ID
from shopcase.validate import check_array, check_choice, check_int, check_probability, require_columns

N_RESAMPLES = 2_000
"""Default number of bootstrap resamples (Monte Carlo error of a 95% limit: about 1% of the interval's width)."""

METHODS = ("percentile", "BCa", "basic")
"""Interval methods, as :func:`scipy.stats.bootstrap` names them."""

BATCH_CELLS = 4_000_000
"""Resampled values held in memory at once (32 MB of float64), whatever the number of users and models."""


@dataclass(frozen=True)
class Interval:
    """The mean of a per-user metric with its bootstrap confidence interval."""

    label: str
    metric: str
    value: float
    low: float
    high: float
    confidence: float
    n_users: int

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.metric} {self.value:.4f} "
            f"({self.confidence:.0%} CI {self.low:.4f} to {self.high:.4f}, {self.n_users:,} users)"
        )


@dataclass(frozen=True)
class Difference:
    """``model`` minus ``baseline`` on the mean of a per-user metric, with a paired bootstrap interval."""

    model: str
    baseline: str
    metric: str
    value: float
    baseline_value: float
    difference: float
    low: float
    high: float
    confidence: float
    n_users: int

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0: the gap is real at this confidence, not resampling noise."""
        return self.low > 0 or self.high < 0

    @property
    def verdict(self) -> str:
        """``"a real gap"`` or ``"within noise"``."""
        return "a real gap" if self.significant else "within noise"

    def __str__(self) -> str:
        return (
            f"{self.model} vs {self.baseline}: {self.metric} {self.value:.4f} vs {self.baseline_value:.4f}, "
            f"difference {self.difference:+.4f} ({self.confidence:.0%} CI {self.low:+.4f} to {self.high:+.4f}, "
            f"{self.n_users:,} users): {self.verdict}"
        )


def _check_settings(confidence: float, n_resamples: int, method: str) -> tuple[float, int, str]:
    confidence = check_probability(confidence, "confidence")
    n_resamples = check_int(n_resamples, "n_resamples", low=100)
    method = str(check_choice(method, "method", METHODS))
    return confidence, n_resamples, method


def bootstrap_columns(
    values: np.ndarray,
    reference: int | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    method: str = "percentile",
    seed: int = SEED,
) -> pd.DataFrame:
    """Paired bootstrap of the mean of every row of ``values``, and of each row minus row ``reference``.

    Parameters
    ----------
    values : ndarray, shape (n_series, n_users)
        One row per model (or grid point), one column per user; the columns are resampled together.
    reference : int or None
        A row index: adds the differences ``row - reference`` (0 for the reference itself).
    confidence, n_resamples, method, seed
        Interval level in (0, 1), resamples (>= 100), one of ``METHODS``, seed of the resampling.

    Returns
    -------
    DataFrame
        One row per series: ``value, low, high`` and, with a reference, ``difference, difference_low,
        difference_high``.
    """
    confidence, n_resamples, method = _check_settings(confidence, n_resamples, method)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise ValueError(f"values must be (series, users) with at least 2 users, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"values has {int((~np.isfinite(values)).sum()):,} missing or infinite entries")
    n_series, n_users = values.shape
    if reference is not None:
        reference = check_int(reference, "reference", low=0, high=n_series - 1)

    def statistic(sample: np.ndarray, axis: int = -1) -> np.ndarray:
        means = sample.mean(axis=axis)  # (n_series, resamples)
        return means if reference is None else np.concatenate([means, means - means[reference]], axis=0)

    outputs = n_series * (1 if reference is None else 2)
    with warnings.catch_warnings():
        # BCa is undefined where every resample agrees (a model against itself); those rows fall back below.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap(
            (values,),
            statistic,
            paired=True,
            vectorized=True,
            axis=-1,
            n_resamples=n_resamples,
            batch=max(1, BATCH_CELLS // (outputs * n_users)),
            confidence_level=confidence,
            method=method,
            rng=np.random.default_rng(seed),
        )
    low = np.atleast_1d(result.confidence_interval.low).astype(float)
    high = np.atleast_1d(result.confidence_interval.high).astype(float)
    undefined = ~(np.isfinite(low) & np.isfinite(high))
    if undefined.any():
        alpha = (1 - confidence) / 2
        fallback = np.quantile(result.bootstrap_distribution[undefined], [alpha, 1 - alpha], axis=-1)
        low[undefined], high[undefined] = fallback
    estimate = statistic(values)
    table = pd.DataFrame({"value": estimate[:n_series], "low": low[:n_series], "high": high[:n_series]})
    if reference is not None:
        table["difference"] = estimate[n_series:]
        table["difference_low"] = low[n_series:]
        table["difference_high"] = high[n_series:]
    return table


def bootstrap_mean(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    label: str = "mean",
    metric: str = "value",
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    method: str = "percentile",
    seed: int = SEED,
) -> Interval:
    """Bootstrap interval of the mean of per-user values (e.g. ``per_user_metrics(...)["ndcg_at_k"]``).

    ``values``: one finite number per user (at least 2). Equal to ``scipy.stats.bootstrap((values,), np.mean,
    method=method, rng=np.random.default_rng(seed))`` with the same ``batch`` (tested).
    """
    array = check_array(values, "values")
    table = bootstrap_columns(
        array[None, :], confidence=confidence, n_resamples=n_resamples, method=method, seed=seed
    ).iloc[0]
    return Interval(
        label=str(label),
        metric=str(metric),
        value=float(table["value"]),
        low=float(table["low"]),
        high=float(table["high"]),
        confidence=float(confidence),
        n_users=len(array),
    )


def _paired_arrays(values: object, baseline_values: object) -> tuple[np.ndarray, np.ndarray]:
    """Two per-user arrays in the same user order: Series are aligned on their index, arrays by position."""
    if isinstance(values, pd.Series) and isinstance(baseline_values, pd.Series):
        for name, series in (("values", values), ("baseline_values", baseline_values)):
            if series.index.has_duplicates:
                raise ValueError(f"{name} lists some users more than once; one value per user")
        only_one = values.index.symmetric_difference(baseline_values.index)
        if len(only_one):
            raise ValueError(
                f"values and baseline_values must score the same users; {len(only_one):,} appear in only one, "
                f"e.g. {only_one[:5].tolist()}"
            )
        baseline_values = baseline_values.reindex(values.index)
    a, b = check_array(values, "values"), check_array(baseline_values, "baseline_values")
    if len(a) != len(b):
        raise ValueError(f"values and baseline_values must have one value per user each, got {len(a)} and {len(b)}")
    return a, b


def paired_difference(
    values: Sequence[float] | np.ndarray | pd.Series,
    baseline_values: Sequence[float] | np.ndarray | pd.Series,
    *,
    names: tuple[str, str] = ("model", "baseline"),
    metric: str = "value",
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    method: str = "percentile",
    seed: int = SEED,
) -> Difference:
    """Paired bootstrap over users of ``mean(values) - mean(baseline_values)``.

    Parameters
    ----------
    values, baseline_values : Series or array
        A per-user metric of two models on the same users. Series are matched on their index (user ids; the
        two must hold the same users), arrays by position (same length).
    names : (str, str)
        Labels of the model and the baseline for the result.
    metric : str
        Name of the metric, for the result.
    confidence, n_resamples, method, seed
        Interval level in (0, 1), resamples (>= 100), one of ``METHODS``, seed of the resampling.

    Returns
    -------
    Difference
        Prints as one line ending in "a real gap" or "within noise".
    """
    a, b = _paired_arrays(values, baseline_values)
    row = bootstrap_columns(
        np.vstack([a, b]), reference=1, confidence=confidence, n_resamples=n_resamples, method=method, seed=seed
    ).iloc[0]
    return Difference(
        model=str(names[0]),
        baseline=str(names[1]),
        metric=str(metric),
        value=float(row["value"]),
        baseline_value=float(b.mean()),
        difference=float(row["difference"]),
        low=float(row["difference_low"]),
        high=float(row["difference_high"]),
        confidence=float(confidence),
        n_users=len(a),
    )


def compare_models(
    scores: pd.DataFrame,
    metric: str = "ndcg_at_k",
    *,
    baseline: str | None = None,
    by: str | Sequence[str] | None = None,
    model: str = "model",
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    method: str = "percentile",
    seed: int = SEED,
) -> pd.DataFrame:
    """Intervals for every model's mean ``metric``, and for its difference from ``baseline``, on the same users.

    Parameters
    ----------
    scores : DataFrame
        Tidy per-user scores: ``model``, ``user_id``, ``metric`` and the ``by`` columns, one row per
        (``by`` values, model, user); e.g. ``per_user_scores(...)``. Within each ``by`` group every model must
        score the same users.
    metric : str
        The per-user column to average (e.g. ``ndcg_at_k``, ``precision_at_k``, ``hit_rate_at_k``).
    baseline : str or None
        A model name: adds the paired differences from it.
    by : str or list of str or None
        Columns to compare within (e.g. ``"k"``); every group uses the same resampling seed.
    model : str
        The column naming the model (or grid point).
    confidence, n_resamples, method, seed
        Interval level in (0, 1), resamples (>= 100), one of ``METHODS``, seed of the resampling.

    Returns
    -------
    DataFrame
        One row per (``by`` values, model), models in order of appearance: ``by`` columns, ``model``,
        ``metric`` (its name), ``value``, ``low``, ``high``, ``n_users``; with a baseline also ``baseline``,
        ``difference``, ``difference_low``, ``difference_high`` and ``significant`` (the interval of the
        difference excludes 0; False for the baseline itself).
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    require_columns(scores, [model, USER_ID, metric, *by], "scores")
    if scores.empty:
        raise ValueError("scores is empty")
    names = pd.unique(scores[model])
    if baseline is not None and baseline not in set(names):
        raise ValueError(f"baseline {baseline!r} is not a model in scores: {list(names)}")
    if scores.duplicated([*by, model, USER_ID]).any():
        raise ValueError(f"scores has repeated ({', '.join([*by, model, USER_ID])}) rows; one row per user")
    parts = []
    for key, group in scores.groupby(by, sort=False) if by else [((), scores)]:
        wide = group.pivot(index=USER_ID, columns=model, values=metric)
        wide = wide[[n for n in names if n in wide.columns]]
        missing = wide.isna().sum()
        if missing.any():
            worst = missing.idxmax()
            raise ValueError(
                f"every model must score the same users: {worst!r} lacks {int(missing.max()):,} of "
                f"{len(wide):,}" + (f" (in group {key})" if by else "")
            )
        reference = None if baseline is None else list(wide.columns).index(baseline)
        table = bootstrap_columns(
            wide.to_numpy().T,
            reference,
            confidence=confidence,
            n_resamples=n_resamples,
            method=method,
            seed=seed,
        )
        table.insert(0, model, list(wide.columns))
        table.insert(1, "metric", metric)
        table["n_users"] = len(wide)
        for column, value in zip(by, key if isinstance(key, tuple) else (key,), strict=True):
            table.insert(by.index(column), column, value)
        if baseline is not None:
            table.insert(table.columns.get_loc("difference"), "baseline", baseline)
            table["significant"] = (table["difference_low"] > 0) | (table["difference_high"] < 0)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)

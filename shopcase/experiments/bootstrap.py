"""Bootstrap intervals: scipy's for small samples, a bucketed Poisson bootstrap for a million users.

``scipy.stats.bootstrap`` resamples units by index: for n users and B resamples it gathers n x B values,
about 45 s for a million users and 1,000 resamples on this project's machines. The bucketed Poisson
bootstrap (Chamandy et al. 2012, "Estimating uncertainty for massive data streams"; Hanley & MacGibbon
2006 for Poisson weights) scales instead with the number of buckets:

1. each user goes to one of ``buckets`` buckets at random (seeded), and each bucket keeps the sums of the
   statistic's parts (the outcome and the count of users, or a ratio's numerator and denominator);
2. each resample weighs every bucket by an independent Poisson(1) count and recomputes the statistic from
   the weighted sums.

What it approximates: buckets of random users are i.i.d., so this is a bootstrap over buckets. For a
statistic of sums (a mean, a ratio of sums, their difference between arms) it estimates the same sampling
variance as the user-level bootstrap; with ``buckets`` B the width of the interval carries a relative
noise of about 1 / sqrt(2 B) (about 2% at B = 1,000), and Poisson rather than multinomial weights let the
resample's size vary, which a ratio of weighted sums absorbs. It needs a statistic of sums: a median or a
quantile cannot be computed from bucket sums, so those use scipy's method.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from shopcase.experiments.results import TestResult
from shopcase.schema import SEED
from shopcase.validate import check_array, check_choice, check_int, check_probability

METHODS: tuple[str, ...] = ("percentile", "basic", "BCa", "poisson")
STATISTICS: tuple[str, ...] = ("mean", "ratio")


def _parts(values: object, statistic: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator per unit: (value, 1) for a mean; the two columns for a ratio."""
    if statistic == "ratio":
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(f"{name} must have shape (n, 2) (numerator, denominator) for statistic='ratio'")
        num = check_array(array[:, 0], f"{name}[:, 0]", low=0.0, allow_empty=True)
        den = check_array(array[:, 1], f"{name}[:, 1]", low=0.0, allow_empty=True)
    else:
        num = check_array(values, name, allow_empty=True)
        den = np.ones_like(num)
    if num.size < 2:
        raise ValueError(f"{name} has {'no users' if num.size == 0 else '1 user'}; the bootstrap needs at least 2")
    return num, den


def bucket_sums(num: np.ndarray, den: np.ndarray, buckets: int, rng: np.random.Generator) -> np.ndarray:
    """Sums of numerator and denominator per random bucket, shape (2, buckets)."""
    which = rng.integers(0, buckets, num.size)
    return np.stack([np.bincount(which, num, buckets), np.bincount(which, den, buckets)])


def poisson_replicates(sums: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The statistic (weighted numerator / weighted denominator) of each Poisson-weighted resample of buckets.

    ``sums`` has shape (..., 2, buckets); returns shape (..., n_resamples).
    """
    weights = rng.poisson(1.0, size=(*sums.shape[:-2], n_resamples, sums.shape[-1])).astype(np.float64)
    num = np.einsum("...rb,...b->...r", weights, sums[..., 0, :])
    den = np.einsum("...rb,...b->...r", weights, sums[..., 1, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _p_value(distribution: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference": twice the smaller tail of the resampled differences at 0."""
    r = distribution[np.isfinite(distribution)]
    below, above = (r <= 0).sum(), (r >= 0).sum()
    return float(min(1.0, 2.0 * (min(below, above) + 1) / (r.size + 1)))


def bootstrap_ci(
    control: object,
    treatment: object = None,
    *,
    statistic: str | Callable = "mean",
    n_resamples: int = 1000,
    alpha: float = 0.05,
    method: str = "percentile",
    buckets: int | None = 1000,
    seed: int = SEED,
    metric: str | None = None,
) -> TestResult:
    """A bootstrap interval of a statistic of one arm, or of its difference between two arms.

    Parameters
    ----------
    control : array, shape (n,) or (n, 2)
        Per-user values; for ``statistic="ratio"`` two columns, numerator and denominator (e.g. revenue and
        orders per user: average order value).
    treatment : array, optional
        The other arm: the interval is then for ``statistic(treatment) - statistic(control)``, arms resampled
        independently, and the result has a bootstrap p-value.
    statistic : {"mean", "ratio"} or callable
        A callable ``f(x, axis)`` (scipy's vectorised convention) works with scipy's methods only.
    n_resamples : int
        Bootstrap resamples (>= 100).
    alpha : float
        The interval has level ``1 - alpha``.
    method : {"percentile", "basic", "BCa", "poisson"}
        The first three are ``scipy.stats.bootstrap``'s (users resampled by index); ``"poisson"`` is the
        bucketed Poisson bootstrap of this module's docstring (percentile interval).
    buckets : int or None
        Buckets for ``"poisson"`` (>= 20); ``None`` gives every user its own bucket (the exact Poisson
        bootstrap; memory n x n_resamples).
    seed : int
        Seeds the resampling (and the buckets).
    """
    alpha = check_probability(alpha, "alpha")
    n_resamples = check_int(n_resamples, "n_resamples", low=100)
    check_choice(method, "method", METHODS)
    callable_statistic = callable(statistic)
    if not callable_statistic:
        check_choice(statistic, "statistic", STATISTICS)
    if callable_statistic and method == "poisson":
        raise ValueError("method='poisson' needs a statistic of sums: statistic must be 'mean' or 'ratio'")
    if statistic == "ratio" and method != "poisson":
        raise ValueError("statistic='ratio' is computed from weighted sums: use method='poisson'")
    rng = np.random.default_rng(check_int(seed, "seed", low=0))
    name = metric or (statistic if isinstance(statistic, str) else getattr(statistic, "__name__", "statistic"))
    arms = [control] if treatment is None else [control, treatment]
    labels = ["control"] if treatment is None else ["control", "treatment"]
    if method == "poisson":
        kind = "ratio" if statistic == "ratio" else "mean"
        parts = [_parts(values, kind, label) for values, label in zip(arms, labels, strict=True)]
        if buckets is not None:
            buckets = check_int(buckets, "buckets", low=20)
        estimates, replicates = [], []
        for num, den in parts:
            estimates.append(num.sum() / den.sum())
            if buckets is None:
                sums = np.stack([num, den])
            else:
                sums = bucket_sums(num, den, buckets, rng)
            replicates.append(poisson_replicates(sums, n_resamples, rng))
        estimate = estimates[-1] - (estimates[0] if len(estimates) == 2 else 0.0)
        distribution = replicates[-1] - (replicates[0] if len(replicates) == 2 else 0.0)
        low, high = np.nanquantile(distribution, [alpha / 2, 1 - alpha / 2])
        how = "bucketed Poisson bootstrap" if buckets is not None else "Poisson bootstrap"
        detail = f" ({buckets:,} buckets)" if buckets is not None else ""
        n = tuple(int(p[0].size) for p in parts)
        means = tuple(float(e) for e in estimates)
    else:
        values = [check_array(v, label, allow_empty=True) for v, label in zip(arms, labels, strict=True)]
        for v, label in zip(values, labels, strict=True):
            if v.size < 2:
                raise ValueError(f"{label} has {'no users' if v.size == 0 else '1 user'}; the bootstrap needs 2")
        f = np.mean if statistic == "mean" else statistic
        if len(values) == 1:

            def stat(x, axis=-1):
                return f(x, axis=axis)
        else:

            def stat(a, b, axis=-1):
                return f(b, axis=axis) - f(a, axis=axis)

        res = stats.bootstrap(
            tuple(values),
            stat,
            n_resamples=n_resamples,
            confidence_level=1 - alpha,
            method=method,
            rng=rng,
            batch=max(1, int(2e7 // max(v.size for v in values))),
        )
        low, high = res.confidence_interval
        distribution = res.bootstrap_distribution
        estimate = float(stat(*values))
        means = tuple(float(f(v, axis=-1)) for v in values)
        n = tuple(int(v.size) for v in values)
        how, detail = f"scipy bootstrap ({method})", ""
    p = _p_value(distribution) if len(arms) == 2 else float("nan")
    return TestResult(
        metric=str(name),
        estimate=float(estimate),
        ci_low=float(low),
        ci_high=float(high),
        p_value=p,
        n=n,
        means=means,
        method=f"{how}{detail}, {n_resamples:,} resamples",
        assumptions="users i.i.d. within each arm; enough users that the resampled statistic mimics its sampling",
        alpha=alpha,
    )

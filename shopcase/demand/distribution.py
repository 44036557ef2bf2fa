"""Predictive distributions of daily demand: counts with a mean and a variance.

Every forecaster returns a mean and a variance per series and day; quantiles come from one count
distribution matched to both moments, written once here: a negative binomial when the variance exceeds the
mean (demand is over-dispersed, as intermittent sales are), else a Poisson. The same function turns a lead
time's summed mean and variance into a reorder point (``demand.inventory``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special, stats

from shopcase.validate import check_probability


def quantile_column(q: float) -> str:
    """The name of the column holding the ``q`` quantile: ``"q0.9"`` for 0.9."""
    return f"q{q:g}"


def check_quantiles(quantiles: Sequence[float], name: str = "quantiles") -> tuple[float, ...]:
    """Quantile levels as a sorted tuple of distinct floats in (0, 1); ``ValueError`` otherwise."""
    if isinstance(quantiles, (int, float)):
        quantiles = (quantiles,)
    levels = tuple(sorted({check_probability(q, f"{name}[{i}]") for i, q in enumerate(quantiles)}))
    return levels


def count_distribution(mean: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Negative binomial ``(n, p)`` matching ``mean`` and ``variance``, and where a Poisson is used instead.

    NB with ``n = mean^2 / (variance - mean)``, ``p = mean / variance`` has exactly that mean and variance;
    where ``variance <= mean`` (or the mean is 0) the Poisson of that mean is returned (``poisson`` True).
    """
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    variance = np.maximum(np.asarray(variance, dtype=float), 0.0)
    poisson = variance <= mean * (1 + 1e-9)
    excess = np.where(poisson, 1.0, variance - mean)
    n = np.where(poisson, np.inf, mean**2 / excess)
    p = np.where(poisson, 1.0, mean / np.where(poisson, 1.0, variance))
    return n, p, poisson


def count_quantiles(mean: np.ndarray, variance: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles of the moment-matched count distribution, shape ``mean.shape + (len(quantiles),)``.

    Integers (units): the smallest ``k`` with ``P(demand <= k) >= q``.
    """
    mean = np.asarray(mean, dtype=float)
    n, p, poisson = count_distribution(mean, variance)
    levels = np.asarray(quantiles, dtype=float)
    out = np.empty(mean.shape + (len(levels),))
    positive = mean > 0
    for j, q in enumerate(levels):  # a loop over a handful of levels, each vectorised over every series and day
        nb = stats.nbinom.ppf(q, np.where(poisson, 1.0, n), np.where(poisson, 0.5, p))
        po = stats.poisson.ppf(q, mean)
        out[..., j] = np.where(positive, np.where(poisson, po, nb), 0.0)
    return out


def count_cdf(k: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """``P(demand <= k)`` under the moment-matched count distribution (broadcasting ``k`` against the moments).

    Through the regularised incomplete functions scipy's distributions use (``betainc`` for the negative
    binomial, ``gammaincc`` for the Poisson), called directly: the inventory policy evaluates millions.
    """
    n, p, poisson = count_distribution(mean, variance)
    k = np.floor(np.asarray(k, dtype=float))
    nb = special.betainc(np.where(poisson, 1.0, n), k + 1.0, np.where(poisson, 0.5, p))
    po = special.gammaincc(k + 1.0, np.maximum(mean, 0.0))
    return np.where(k < 0, 0.0, np.where(poisson, po, nb))

"""The tests as formulas on summary statistics, vectorised over any leading shape (e.g. replications).

Every public test in ``analysis`` computes its arms' summary statistics and calls one of these; the
simulations of ``simulate`` call the same functions on arrays of thousands of replications at once, so
what the honesty tests check is exactly what a user runs. Each returns a dict of arrays: ``estimate``,
``se``, ``ci_low``, ``ci_high``, ``p_value`` and each arm's mean and the variance of that mean
(``mean_a``, ``var_a``, ``mean_b``, ``var_b``; a = control, b = treatment).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

Arrays = dict[str, np.ndarray]


def z_quantile(alpha: float) -> float:
    """The two-sided normal critical value ``z_{1 - alpha/2}``."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _normal(estimate: np.ndarray, se: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = z_quantile(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2.0 * stats.norm.sf(np.abs(estimate) / se), np.where(estimate == 0, 1.0, 0.0))
    return estimate - z * se, estimate + z * se, p


def relative_interval(r: Arrays, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean_b / mean_a - 1`` and its delta-method interval (independent arms).

    var(mean_b / mean_a) ~ var_b / mean_a^2 + mean_b^2 var_a / mean_a^4.
    """
    a, b = r["mean_a"], r["mean_b"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = b / a - 1.0
        se = np.sqrt(r["var_b"] / a**2 + b**2 * r["var_a"] / a**4)
    z = z_quantile(alpha)
    return rel, rel - z * se, rel + z * se


def two_proportions(x_a, n_a, x_b, n_b, alpha: float = 0.05) -> Arrays:
    """Difference of proportions ``x_b/n_b - x_a/n_a``.

    p-value: the pooled z-test (variance under "no difference", as R's ``prop.test`` without continuity
    correction and statsmodels' ``proportions_ztest``); interval: Wald, unpooled variance (statsmodels'
    ``confint_proportions_2indep(method="wald")``). The two agree except within a hair of alpha.
    """
    x_a, n_a, x_b, n_b = (np.asarray(v, dtype=np.float64) for v in (x_a, n_a, x_b, n_b))
    p_a, p_b = x_a / n_a, x_b / n_b
    var_a, var_b = p_a * (1 - p_a) / n_a, p_b * (1 - p_b) / n_b
    estimate = p_b - p_a
    se = np.sqrt(var_a + var_b)
    pooled = (x_a + x_b) / (n_a + n_b)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    low, high, _ = _normal(estimate, se, alpha)
    _, _, p = _normal(estimate, se0, alpha)
    return {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high, "p_value": p,
            "mean_a": p_a, "var_a": var_a, "mean_b": p_b, "var_b": var_b}  # fmt: skip


def welch(mean_a, var_a, n_a, mean_b, var_b, n_b, alpha: float = 0.05) -> Arrays:
    """Welch's t-test of ``mean_b - mean_a`` from means, sample variances (ddof 1) and counts.

    Welch-Satterthwaite degrees of freedom; the interval uses the same t quantile (scipy's ``ttest_ind``
    with ``equal_var=False`` and its ``confidence_interval``).
    """
    mean_a, var_a, n_a, mean_b, var_b, n_b = (
        np.asarray(v, dtype=np.float64) for v in (mean_a, var_a, n_a, mean_b, var_b, n_b)
    )
    va, vb = var_a / n_a, var_b / n_b
    estimate = mean_b - mean_a
    se = np.sqrt(va + vb)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
        t = estimate / se
    df = np.where(np.isfinite(df), df, np.inf)
    q = stats.t.ppf(1.0 - alpha / 2.0, df)
    p = np.where(se > 0, 2.0 * stats.t.sf(np.abs(np.nan_to_num(t)), df), np.where(estimate == 0, 1.0, 0.0))
    return {"estimate": estimate, "se": se, "ci_low": estimate - q * se, "ci_high": estimate + q * se,
            "p_value": p, "df": df, "mean_a": mean_a, "var_a": va, "mean_b": mean_b, "var_b": vb}  # fmt: skip


def moments(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample variance (ddof 1) and count along ``axis``."""
    n = np.asarray(values.shape[axis], dtype=np.float64)
    return values.mean(axis=axis), values.var(axis=axis, ddof=1), n


def welch_from_sums(n_a, s_a, q_a, n_b, s_b, q_b, alpha: float = 0.05) -> Arrays:
    """``welch`` from counts, sums and sums of squares (how simulations carry each arm)."""
    mean_a, mean_b = s_a / n_a, s_b / n_b
    var_a = np.maximum(q_a - n_a * mean_a**2, 0.0) / (n_a - 1)
    var_b = np.maximum(q_b - n_b * mean_b**2, 0.0) / (n_b - 1)
    return welch(mean_a, var_a, n_a, mean_b, var_b, n_b, alpha)


def ratio_arm(n, s_y, s_d, q_y, q_d, c_yd) -> tuple[np.ndarray, np.ndarray]:
    """One arm's ratio ``sum(y) / sum(d)`` over units and the delta-method variance of it.

    var(R) = (s_y^2 - 2 R s_yd + R^2 s_d^2) / (n dbar^2), with sample (co)variances (ddof 1) of the per-unit
    numerators y and denominators d. This equals the cluster-robust variance of a mean over the
    denominator's sub-units clustered by unit (Deng, Knoblich & Lu 2018).
    """
    ratio = s_y / s_d
    dbar = s_d / n
    cov = (q_y - 2 * ratio * c_yd + ratio**2 * q_d - n * (s_y / n - ratio * dbar) ** 2) / (n - 1)
    return ratio, np.maximum(cov, 0.0) / (n * dbar**2)


def ratio_difference(arm_a: tuple, arm_b: tuple, alpha: float = 0.05) -> Arrays:
    """Difference of two arms' ratios (``ratio_arm`` inputs each), normal interval and z-test."""
    r_a, v_a = ratio_arm(*arm_a)
    r_b, v_b = ratio_arm(*arm_b)
    estimate = r_b - r_a
    se = np.sqrt(v_a + v_b)
    low, high, p = _normal(estimate, se, alpha)
    return {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high, "p_value": p,
            "mean_a": r_a, "var_a": v_a, "mean_b": r_b, "var_b": v_b}  # fmt: skip


def cuped_theta(n, s_x, s_y, q_x, c_xy) -> np.ndarray:
    """theta = cov(x, y) / var(x) over the pooled arms, from sums."""
    var_x = q_x - s_x**2 / n
    cov = c_xy - s_x * s_y / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var_x > 0, cov / var_x, 0.0)


def adjusted_sums(n, s_y, q_y, s_x, q_x, c_xy, theta, x_mean) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of squares of ``y - theta (x - x_mean)`` from one arm's sums (no per-unit pass)."""
    s = s_y - theta * (s_x - n * x_mean)
    # sum (y - theta x + theta m)^2 = q_y + theta^2 q_x - 2 theta c_xy + 2 theta m (s_y - theta s_x) + n theta^2 m^2
    q = q_y + theta**2 * q_x - 2 * theta * c_xy + 2 * theta * x_mean * (s_y - theta * s_x) + n * (theta * x_mean) ** 2
    return s, q


def mixture_tau2(variance: np.ndarray, alpha: float) -> np.ndarray:
    """The mixing variance that makes the confidence sequence narrowest where the estimate's variance is ``variance``.

    tau^2 = V* (-2 log alpha + log(1 - 2 log alpha)) (Howard et al. 2021, eq. 3.8, in the effect's units).
    """
    a = -2.0 * np.log(alpha)
    return np.asarray(variance, dtype=np.float64) * (a + np.log1p(a))


def mixture_sequence(estimate, variance, tau2, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal-mixture confidence sequence and its p-value at each look (not yet running-minimised).

    With V the variance of the estimate at a look and the effect mixed over N(0, tau^2), the mixture likelihood
    ratio of "no effect" is ``sqrt(V / (V + tau^2)) exp(tau^2 est^2 / (2 V (V + tau^2)))`` (the mSPRT of
    Johari et al.); by Ville's inequality it exceeds 1/alpha at any look with probability at most alpha, which
    gives the half-width ``sqrt(V (V + tau^2) / tau^2 (2 log(1/alpha) + log((V + tau^2) / V)))``.
    Returns ``(low, high, p)`` with ``p = min(1, 1 / likelihood ratio)``.
    """
    est = np.asarray(estimate, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.sqrt(v * (v + tau2) / tau2 * (2 * np.log(1 / alpha) + np.log((v + tau2) / v)))
        log_lr = 0.5 * np.log(v / (v + tau2)) + tau2 * est**2 / (2 * v * (v + tau2))
    p = np.minimum(1.0, np.exp(-np.nan_to_num(log_lr, nan=0.0, posinf=np.inf)))
    half = np.where(v > 0, half, np.inf)
    return est - half, est + half, np.where(v > 0, p, 1.0)

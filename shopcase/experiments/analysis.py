"""The analyses of one experiment: tests of conversion, means and ratios, CUPED, SRM, and many metrics at once.

Each function validates its input (a ``ValueError`` names the argument), computes each arm's summary
statistics and calls the vectorised formula in ``core`` (the simulations call the same formulas), then
returns a frozen ``TestResult`` that prints as one line. Arm order is always (control, treatment) and
estimates are treatment minus control.

Methods and where they come from (tests cross-check each against the library to 1e-9):

- ``two_proportion_test``: pooled z-test p-value (statsmodels ``proportions_ztest``), Wald interval
  (statsmodels ``confint_proportions_2indep(method="wald")``);
- ``welch_test``: Welch's t-test and interval (scipy ``ttest_ind(equal_var=False)``);
- ``ratio_metric_test``: the delta method for a ratio of sums over randomised users (revenue per session,
  average order value), which equals statsmodels' cluster-robust OLS on the sub-units (tested);
- ``cuped``: Deng, Xu, Kohavi & Walker (2013), theta on the pooled arms, then Welch on adjusted outcomes;
- ``srm_test``: chi-square goodness of fit (scipy ``chisquare``);
- ``adjust_pvalues``: Holm or Benjamini-Hochberg across metrics (statsmodels ``multipletests``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from shopcase.experiments import core
from shopcase.experiments.results import CupedResult, SrmResult, TestResult
from shopcase.validate import check_array, check_choice, check_int, check_probability, check_same_length

INDEPENDENT_USERS = "users randomised independently, each counted once"


def _arm(values: object, name: str, *, low: float | None = None, minimum: int = 2) -> np.ndarray:
    """One arm's per-unit outcomes: 1-D, finite, at least ``minimum`` units (an arm with no users is an error)."""
    array = check_array(values, name, low=low, allow_empty=True)
    if array.size < minimum:
        what = "no users" if array.size == 0 else f"{array.size} user(s)"
        raise ValueError(f"{name} has {what}; an arm needs at least {minimum} to estimate a variance")
    return array


def _relative(r: core.Arrays, alpha: float) -> dict[str, float]:
    rel, low, high = core.relative_interval(r, alpha)
    return {"relative": float(rel), "relative_low": float(low), "relative_high": float(high)}


def _result(metric: str, r: core.Arrays, n: tuple[int, int], method: str, assumptions: str, alpha: float, **extra):
    kind = extra.pop("kind", TestResult)
    return kind(
        metric=metric,
        estimate=float(r["estimate"]),
        ci_low=float(r["ci_low"]),
        ci_high=float(r["ci_high"]),
        p_value=float(r["p_value"]),
        n=n,
        means=(float(r["mean_a"]), float(r["mean_b"])),
        method=method,
        assumptions=assumptions,
        alpha=alpha,
        **_relative(r, alpha),
        **extra,
    )


def two_proportion_test(
    conversions_control: int,
    users_control: int,
    conversions_treatment: int,
    users_treatment: int,
    *,
    alpha: float = 0.05,
    metric: str = "conversion",
) -> TestResult:
    """Compare two conversion rates (converted users / users per arm).

    Parameters
    ----------
    conversions_control, users_control, conversions_treatment, users_treatment : int
        Counts per arm; conversions must lie in ``0 .. users`` and each arm needs a user.
    alpha : float
        Significance level in (0, 1); the interval has level ``1 - alpha``.
    metric : str
        Name shown in the result.

    Returns
    -------
    TestResult
        Difference of proportions (treatment - control): pooled z-test p-value, Wald interval, and the
        relative lift with its delta-method interval.
    """
    alpha = check_probability(alpha, "alpha")
    n_a = check_int(users_control, "users_control")
    n_b = check_int(users_treatment, "users_treatment")
    x_a = check_int(conversions_control, "conversions_control", low=0, high=None)
    x_b = check_int(conversions_treatment, "conversions_treatment", low=0, high=None)
    for name, x, n in (("conversions_control", x_a, n_a), ("conversions_treatment", x_b, n_b)):
        if x > n:
            raise ValueError(f"{name} ({x:,}) is greater than the users of its arm ({n:,})")
    r = core.two_proportions(x_a, n_a, x_b, n_b, alpha)
    return _result(
        metric,
        r,
        (n_a, n_b),
        "pooled two-proportion z-test, Wald interval",
        f"{INDEPENDENT_USERS}; normal approximation (enough conversions per arm)",
        alpha,
    )


def welch_test(
    control: object, treatment: object, *, alpha: float = 0.05, metric: str = "mean", nonnegative: bool = False
) -> TestResult:
    """Welch's t-test of the difference in means of per-user outcomes (e.g. revenue per user).

    ``control`` and ``treatment`` are 1-D arrays of per-unit values (at least 2 each, finite; with
    ``nonnegative=True`` also >= 0, as revenue must be). Unequal variances are allowed.
    """
    alpha = check_probability(alpha, "alpha")
    low = 0.0 if nonnegative else None
    a = _arm(control, "control", low=low)
    b = _arm(treatment, "treatment", low=low)
    r = core.welch(*core.moments(a), *core.moments(b), alpha)
    return _result(
        metric,
        r,
        (a.size, b.size),
        "Welch's t-test (unequal variances)",
        f"{INDEPENDENT_USERS}; the mean is near normal (CLT: enough users for the skew)",
        alpha,
    )


def _ratio_sums(numerator: np.ndarray, denominator: np.ndarray) -> tuple:
    n = float(numerator.size)
    return (
        n,
        numerator.sum(),
        denominator.sum(),
        (numerator**2).sum(),
        (denominator**2).sum(),
        (numerator * denominator).sum(),
    )


def ratio_metric_test(
    control_numerator: object,
    control_denominator: object,
    treatment_numerator: object,
    treatment_denominator: object,
    *,
    alpha: float = 0.05,
    metric: str = "ratio",
) -> TestResult:
    """Compare ``sum(numerator) / sum(denominator)`` between arms randomised by user (the delta method).

    Use it for metrics whose unit is not the randomised unit: revenue per session (revenue and sessions
    per user), average order value (revenue and orders per user). A user's sessions are not independent,
    so a t-test over sessions would be too narrow; the delta method treats each user's pair of sums as
    one observation. Numerators and denominators are per-user, >= 0 (revenue, orders, sessions); each
    arm's denominators must sum to more than 0.
    """
    alpha = check_probability(alpha, "alpha")
    arms = []
    for arm in ("control", "treatment"):
        num = _arm(locals()[f"{arm}_numerator"], f"{arm}_numerator", low=0.0)
        den = _arm(locals()[f"{arm}_denominator"], f"{arm}_denominator", low=0.0)
        check_same_length(**{f"{arm}_numerator": num, f"{arm}_denominator": den})
        if den.sum() <= 0:
            raise ValueError(f"{arm}_denominator sums to 0: the ratio is undefined in that arm")
        arms.append(_ratio_sums(num, den))
    r = core.ratio_difference(arms[0], arms[1], alpha)
    return _result(
        metric,
        r,
        (int(arms[0][0]), int(arms[1][0])),
        "delta method for a ratio of per-user sums, z-test",
        f"{INDEPENDENT_USERS}; sub-units (sessions, orders) may be correlated within a user; large n",
        alpha,
    )


def cuped(
    control: object,
    treatment: object,
    control_pre: object,
    treatment_pre: object,
    *,
    alpha: float = 0.05,
    metric: str = "mean",
) -> CupedResult:
    """Welch's test on CUPED-adjusted outcomes: ``y - theta (x - mean x)`` with x a pre-period covariate.

    theta = cov(x, y) / var(x) is estimated on the pooled arms (Deng et al. 2013); since x was measured
    before assignment, the adjustment cannot bias the difference, and it removes the share ``rho^2`` of
    the variance that the pre-period explains. ``control_pre`` / ``treatment_pre`` must match their arm's
    length (one pre-period value per user, 0 for users new in the period).
    """
    alpha = check_probability(alpha, "alpha")
    y_a, y_b = _arm(control, "control"), _arm(treatment, "treatment")
    x_a, x_b = _arm(control_pre, "control_pre"), _arm(treatment_pre, "treatment_pre")
    check_same_length(control=y_a, control_pre=x_a)
    check_same_length(treatment=y_b, treatment_pre=x_b)
    x, y = np.concatenate([x_a, x_b]), np.concatenate([y_a, y_b])
    n = float(x.size)
    theta = float(core.cuped_theta(n, x.sum(), y.sum(), (x**2).sum(), (x * y).sum()))
    mean_x = x.mean()
    adjusted = core.welch(
        *core.moments(y_a - theta * (x_a - mean_x)), *core.moments(y_b - theta * (x_b - mean_x)), alpha
    )
    plain_r = core.welch(*core.moments(y_a), *core.moments(y_b), alpha)
    plain = _result(
        metric, plain_r, (y_a.size, y_b.size), "Welch's t-test (unequal variances)", INDEPENDENT_USERS, alpha
    )
    rho = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0
    reduction = 1.0 - float(adjusted["se"]) ** 2 / float(plain_r["se"]) ** 2
    return _result(
        metric,
        adjusted,
        (y_a.size, y_b.size),
        "CUPED (theta on pooled arms), Welch's t-test",
        f"{INDEPENDENT_USERS}; the covariate was measured before assignment",
        alpha,
        kind=CupedResult,
        theta=theta,
        correlation=rho,
        variance_reduction=reduction,
        unadjusted=plain,
    )


def srm_test(
    counts: Sequence[int] | Mapping[str, int], expected: Sequence[float] | None = None, *, alpha: float = 0.001
) -> SrmResult:
    """Sample-ratio mismatch: is the split of users between arms what the design planned?

    Parameters
    ----------
    counts : sequence of int, or mapping arm -> int
        Users per arm, at least two arms.
    expected : sequence of float, optional
        Planned share of each arm (positive, normalised to sum 1); default equal shares.
    alpha : float
        Alarm level. The default 0.001 is the usual convention (Fabijan et al. 2019): an SRM alarm stops
        the analysis, so it should be rare when nothing is wrong.
    """
    alpha = check_probability(alpha, "alpha")
    values = list(counts.values()) if isinstance(counts, Mapping) else list(counts)
    if len(values) < 2:
        raise ValueError(f"counts needs at least two arms, got {len(values)}")
    observed = np.array([check_int(c, f"counts[{i}]", low=0) for i, c in enumerate(values)], dtype=np.float64)
    if observed.sum() == 0:
        raise ValueError("counts are all 0: there are no users to check")
    shares = np.full(len(values), 1.0 / len(values)) if expected is None else check_array(expected, "expected", low=0.0)
    check_same_length(counts=values, expected=shares)
    if (shares <= 0).any():
        raise ValueError("expected shares must all be > 0")
    shares = shares / shares.sum()
    statistic, p = stats.chisquare(observed, f_exp=observed.sum() * shares)
    return SrmResult(
        tuple(int(c) for c in observed), tuple(float(s) for s in shares), float(statistic), float(p), alpha
    )


def srm_p_values(counts: np.ndarray, shares: np.ndarray | None = None) -> np.ndarray:
    """Chi-square SRM p-values for many splits at once: ``counts`` shape (..., arms)."""
    counts = np.asarray(counts, dtype=np.float64)
    k = counts.shape[-1]
    shares = np.full(k, 1.0 / k) if shares is None else np.asarray(shares, dtype=np.float64) / np.sum(shares)
    expected = counts.sum(axis=-1, keepdims=True) * shares
    statistic = ((counts - expected) ** 2 / expected).sum(axis=-1)
    return stats.chi2.sf(statistic, k - 1)


CORRECTIONS: tuple[str, ...] = ("holm", "fdr_bh", "bonferroni", "none")


def adjust_pvalues(results: Sequence[TestResult], method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """One row per result with its p-value adjusted across the metrics (statsmodels' ``multipletests``).

    ``method``: ``"holm"`` (family-wise error, any dependence), ``"fdr_bh"`` (Benjamini-Hochberg false
    discovery rate), ``"bonferroni"`` or ``"none"``. Columns: the results' ``to_dict`` fields, then
    ``p_adjusted`` and ``reject``.
    """
    check_choice(method, "method", CORRECTIONS)
    alpha = check_probability(alpha, "alpha")
    if len(results) == 0:
        raise ValueError("results is empty: nothing to adjust")
    frame = pd.DataFrame([r.to_dict() for r in results])
    p = frame["p_value"].to_numpy(dtype=np.float64)
    if method == "none":
        frame["p_adjusted"], frame["reject"] = p, p < alpha
    else:
        reject, adjusted, _, _ = multipletests(p, alpha=alpha, method=method)
        frame["p_adjusted"], frame["reject"] = adjusted, reject
    return frame

"""How many users an experiment needs: sample size, power and the minimum detectable effect for conversion.

The formulas are statsmodels' (``samplesize_proportions_2indep_onetail`` and ``power_proportions_2indep``):
the normal approximation with the variance pooled under "no difference" and unpooled under the
alternative, which is also R's ``power.prop.test`` (3825.15 users per arm for 3% vs 2% at 80% power,
alpha 0.05, two-sided). ``NormalIndPower`` with Cohen's h is a different (arcsine) approximation and gives
3788; the test this project runs (``two_proportion_test``) is the pooled z-test these formulas describe.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.proportion import power_proportions_2indep, samplesize_proportions_2indep_onetail

from shopcase.experiments.results import SampleSize
from shopcase.validate import check_array, check_choice, check_number, check_probability

ALTERNATIVES: tuple[str, ...] = ("two-sided", "larger", "smaller")
METHOD = "normal approximation, variance pooled under H0 (as R's power.prop.test; statsmodels)"


def _rates(p1: float, p2: float) -> tuple[float, float]:
    p1 = check_probability(p1, "p1")
    p2 = check_probability(p2, "p2")
    if p1 == p2:
        raise ValueError(f"p1 and p2 are equal ({p1}): there is no difference to detect")
    return p1, p2


def sample_size_proportions(
    p1: float, p2: float, *, power: float = 0.8, alpha: float = 0.05, ratio: float = 1.0, alternative: str = "two-sided"
) -> SampleSize:
    """Users per arm to detect conversion ``p1`` vs ``p2`` (either order) with ``power`` at level ``alpha``.

    ``ratio`` is users in the second arm per user in the first (1: equal arms); ``n_per_arm`` is the first
    arm's size rounded up, ``exact`` the unrounded value. ``alternative`` as statsmodels: for ``"larger"``
    or ``"smaller"`` the test is one-sided.
    """
    p1, p2 = _rates(p1, p2)
    power = check_probability(power, "power")
    alpha = check_probability(alpha, "alpha")
    ratio = check_number(ratio, "ratio", low=0.0, low_inclusive=False)
    check_choice(alternative, "alternative", ALTERNATIVES)
    diff = p1 - p2 if alternative == "two-sided" else abs(p1 - p2)
    exact = float(
        samplesize_proportions_2indep_onetail(diff, p2, power, ratio=ratio, alpha=alpha, alternative=alternative)
    )
    return SampleSize(math.ceil(exact - 1e-9), exact, p1, p2, alpha, power, ratio, alternative, METHOD)


def power_proportions(p1: float, p2: float, n_per_arm: float, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sided pooled z-test to tell ``p1`` from ``p2`` with ``n_per_arm`` users (first arm)."""
    p1, p2 = _rates(p1, p2)
    n = check_number(n_per_arm, "n_per_arm", low=0.0, low_inclusive=False)
    alpha = check_probability(alpha, "alpha")
    return float(power_proportions_2indep(p1 - p2, p2, n, ratio=ratio, alpha=alpha).power)


def minimum_detectable_effect(p_control: float, n_per_arm: float, *, power: float = 0.8, alpha: float = 0.05) -> float:
    """The smallest relative lift of ``p_control`` that ``n_per_arm`` users per arm detect with ``power``."""
    p = check_probability(p_control, "p_control")
    n = check_number(n_per_arm, "n_per_arm", low=1.0)
    power = check_probability(power, "power")
    alpha = check_probability(alpha, "alpha")
    top = (1.0 - 1e-9) / p - 1.0

    def gap(lift: float) -> float:
        return power_proportions_2indep(p * lift, p, n, alpha=alpha).power - power

    if gap(top) < 0:
        raise ValueError(f"n_per_arm={n:g} is too small: even a lift to 100% conversion is not detected with {power=}")
    return float(brentq(gap, 1e-9, top, xtol=1e-12))


def power_curve(p_control: float, lifts: object, *, power: float = 0.8, alpha: float = 0.05) -> pd.DataFrame:
    """Users needed per arm for each relative lift of ``p_control`` (``lift``, ``p_treatment``, ``n_per_arm``)."""
    p = check_probability(p_control, "p_control")
    lifts = check_array(lifts, "lifts")
    if (lifts == 0).any() or (p * (1 + lifts) >= 1).any() or (p * (1 + lifts) <= 0).any():
        raise ValueError("lifts must be non-zero and keep p_control * (1 + lift) inside (0, 1)")
    rows = [sample_size_proportions(p * (1 + lift), p, power=power, alpha=alpha) for lift in lifts]
    return pd.DataFrame(
        {
            "lift": lifts,
            "p_treatment": [r.p1 for r in rows],
            "n_per_arm": np.array([r.n_per_arm for r in rows], dtype=np.int64),
        }
    )

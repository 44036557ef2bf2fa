"""A test you may look at every day: an always-valid confidence sequence for the difference in means.

Why this method. A shop's dashboard shows the experiment every day and people stop when it looks
good; a fixed-horizon test read that way rejects a true "no difference" far more often than alpha (see
``peeking`` in ``simulate``). Two fixes exist. Group-sequential alpha spending (O'Brien-Fleming, Lan-DeMets)
is tight at the planned end but needs the looks, or at least the maximum sample size, fixed in advance.
An always-valid confidence sequence holds at every look simultaneously, for any number of looks at any
times, and allows stopping or continuing past the plan; the price is a wider interval at the planned
horizon (about 1.5 times the fixed-horizon width at alpha 0.05). Daily, unplanned looks are this
notebook's reality, so we choose the confidence sequence.

The method: the normal-mixture (Robbins) boundary of Howard, Ramdas, McAuliffe & Sekhon (2021, "Time-
uniform, nonparametric, nonasymptotic confidence sequences"), equivalently the mixture SPRT of Johari,
Koomen, Pekelis & Walsh (2022, "Always valid inference: continuous monitoring of A/B tests"), applied to
the difference in means with its plug-in variance at each look, which Waudby-Smith, Arbour, Sinha, Kennedy &
Ramdas (2024, "Time-uniform central limit theory and asymptotic confidence sequences") show is valid
asymptotically. The formula is ``core.mixture_sequence``; the mixing scale ``tau`` is tuned so the sequence
is narrowest at the last look given (the planned horizon) unless you pass it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.experiments import core
from shopcase.experiments.results import SequentialResult
from shopcase.validate import check_array, check_number, check_probability, check_same_length


def look_sums(values: np.ndarray, looks: np.ndarray, all_looks: np.ndarray) -> np.ndarray:
    """Cumulative count, sum and sum of squares at each of ``all_looks``: shape (3, n_looks)."""
    position = np.searchsorted(all_looks, looks)
    per_look = np.stack(
        [
            np.bincount(position, minlength=all_looks.size).astype(np.float64),
            np.bincount(position, values, all_looks.size),
            np.bincount(position, values**2, all_looks.size),
        ]
    )
    return np.cumsum(per_look, axis=1)


def sequence_from_sums(sums_a: np.ndarray, sums_b: np.ndarray, alpha: float, tau2: object = None) -> dict:
    """Difference in means, its variance and the confidence sequence at every look, from cumulative sums.

    ``sums_*`` have shape (..., 3, n_looks) (count, sum, sum of squares). Looks where an arm has fewer than
    two units get an infinite interval. Returns a dict of arrays shaped (..., n_looks) plus ``tau2``.
    """
    n_a, s_a, q_a = sums_a[..., 0, :], sums_a[..., 1, :], sums_a[..., 2, :]
    n_b, s_b, q_b = sums_b[..., 0, :], sums_b[..., 1, :], sums_b[..., 2, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = core.welch_from_sums(n_a, s_a, q_a, n_b, s_b, q_b, alpha)
    variance = np.where((n_a >= 2) & (n_b >= 2), r["se"] ** 2, np.nan)
    estimate = np.where(np.isfinite(variance), r["estimate"], np.nan)
    if tau2 is None:
        tau2 = core.mixture_tau2(variance[..., -1:], alpha)
    low, high, p = core.mixture_sequence(estimate, np.nan_to_num(variance, nan=0.0), tau2, alpha)
    p_always = np.minimum.accumulate(np.where(np.isfinite(variance), p, 1.0), axis=-1)
    z = core.z_quantile(alpha)
    return {
        "estimate": estimate,
        "variance": variance,
        "ci_low": low,
        "ci_high": high,
        "p_always_valid": p_always,
        "fixed_low": estimate - z * np.sqrt(variance),
        "fixed_high": estimate + z * np.sqrt(variance),
        "p_fixed": r["p_value"],
        "n_a": n_a,
        "n_b": n_b,
        "mean_a": s_a / np.where(n_a > 0, n_a, np.nan),
        "mean_b": s_b / np.where(n_b > 0, n_b, np.nan),
        "tau2": np.asarray(tau2),
    }


def sequential_test(
    control: object,
    treatment: object,
    control_looks: object,
    treatment_looks: object,
    *,
    alpha: float = 0.05,
    tau: float | None = None,
    metric: str = "mean",
) -> SequentialResult:
    """An always-valid test of ``mean(treatment) - mean(control)`` read at every look.

    Parameters
    ----------
    control, treatment : array
        Per-user outcomes (finite).
    control_looks, treatment_looks : array of int
        The look (e.g. the day) from which each user's outcome is in the data; every distinct value is a
        look, and a look includes all users up to it.
    alpha : float
        The sequence covers the true difference at all looks at once with probability >= 1 - alpha.
    tau : float, optional
        Scale of the effects the mixture expects (the outcome's units). Default: tuned to be narrowest at
        the last look.
    metric : str
        Name shown in the result.

    Returns
    -------
    SequentialResult
        The estimate and sequence at the last look, the always-valid p-value, the first look whose
        sequence excluded 0, and ``path`` (per look: users, estimate, sequence, the fixed-horizon interval
        and p-value that peeking would read).
    """
    alpha = check_probability(alpha, "alpha")
    a = check_array(control, "control")
    b = check_array(treatment, "treatment")
    look_a = check_array(control_looks, "control_looks")
    look_b = check_array(treatment_looks, "treatment_looks")
    check_same_length(control=a, control_looks=look_a)
    check_same_length(treatment=b, treatment_looks=look_b)
    if a.size < 2 or b.size < 2:
        raise ValueError("control and treatment need at least 2 users each")
    tau2 = None if tau is None else check_number(tau, "tau", low=0.0, low_inclusive=False) ** 2
    all_looks = np.unique(np.concatenate([look_a, look_b]))
    seq = sequence_from_sums(look_sums(a, look_a, all_looks), look_sums(b, look_b, all_looks), alpha, tau2)
    excluded = (seq["ci_low"] > 0) | (seq["ci_high"] < 0)
    first = all_looks[np.argmax(excluded)].item() if excluded.any() else None
    path = pd.DataFrame(
        {
            "look": all_looks,
            "n_control": seq["n_a"].astype(np.int64),
            "n_treatment": seq["n_b"].astype(np.int64),
            "estimate": seq["estimate"],
            "ci_low": seq["ci_low"],
            "ci_high": seq["ci_high"],
            "p_always_valid": seq["p_always_valid"],
            "fixed_low": seq["fixed_low"],
            "fixed_high": seq["fixed_high"],
            "p_fixed": seq["p_fixed"],
        }
    )
    last = path.iloc[-1]
    mean_a, mean_b = float(a.mean()), float(b.mean())
    return SequentialResult(
        metric=metric,
        estimate=float(last["estimate"]),
        ci_low=float(last["ci_low"]),
        ci_high=float(last["ci_high"]),
        p_value=float(last["p_always_valid"]),
        n=(a.size, b.size),
        means=(mean_a, mean_b),
        method="always-valid normal-mixture confidence sequence (mSPRT)",
        assumptions="users i.i.d. in arrival order; plug-in variance (asymptotic validity)",
        alpha=alpha,
        relative=mean_b / mean_a - 1 if mean_a else float("nan"),
        looks=int(all_looks.size),
        first_rejection=first,
        tau=float(np.sqrt(seq["tau2"]).ravel()[0]),
        path=path,
    )

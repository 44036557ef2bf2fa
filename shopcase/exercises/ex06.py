"""Checkers for the exercises of ``06_experiments_and_conversion.ipynb``.

Each checker recomputes the expected answer from what the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet
from shopcase.experiments import funnel, sample_size_proportions
from shopcase.schema import ARM, REVENUE


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None


def check_abandonment(answer: object, events: pd.DataFrame) -> Feedback:
    """06.1: the share of sessions with a cart that end without a purchase."""
    if (fb := attempted(answer, "06.1", "set answer to a share between 0 and 1 (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("06.1", f"the answer should be one number (a share), got {type(answer).__name__}")
    table = funnel(events).set_index("step")
    expected = float(table.loc["purchase", "drop_off"])
    if abs(value - expected) < 1e-3:
        return correct(
            "06.1",
            f"{expected:.1%} of carted sessions end without an order: the funnel's biggest leak after browsing, "
            "and the moment a shop can still act.",
        )
    if abs(value - (1 - expected)) < 1e-3:
        return not_yet("06.1", "that is the share of carts that *do* become orders; the question asks for the rest")
    if abs(value - float(table.loc["purchase", "session_conversion"])) < 1e-3:
        return not_yet("06.1", "that is the share of *all* sessions that buy; divide by the sessions with a cart")
    if 1 < value <= 100 and abs(value / 100 - expected) < 1e-3:
        return not_yet("06.1", f"{value:g} looks like a percentage; give the share ({expected:.3f})")
    return not_yet("06.1", "count sessions with a cart and those with a purchase (funnel's rows) and compare them")


def check_sample_size(answer: object, p_control: float, lift: float) -> Feedback:
    """06.2: users per arm to detect a relative ``lift`` of ``p_control`` with 80% power at alpha 0.05."""
    if (fb := attempted(answer, "06.2", "set answer to the users needed per arm (a number)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("06.2", f"the answer should be one number, got {type(answer).__name__}")
    target = p_control * (1 + lift)
    exact = sample_size_proportions(target, p_control).exact
    if abs(value - exact) <= 1.0:
        return correct(
            "06.2",
            f"{exact:,.0f} users per arm ({2 * exact:,.0f} in all) to see {p_control:.1%} -> {target:.1%} four times "
            "in five: small lifts on small rates need large tests.",
        )
    if abs(value - 2 * exact) <= 2.0:
        return not_yet("06.2", "that is the total over both arms; the question asks per arm")
    one_sided = sample_size_proportions(target, p_control, alternative="larger").exact
    if abs(value - one_sided) <= 1.0:
        return not_yet("06.2", "that is the one-sided size; the test the notebook runs is two-sided")
    absolute = p_control + lift
    if 0 < absolute < 1 and abs(value - sample_size_proportions(absolute, p_control).exact) <= 1.0:
        return not_yet("06.2", f"you added {lift} to the rate; the lift is relative: p_control * (1 + lift)")
    return not_yet("06.2", "use sample_size_proportions(p_control * (1 + lift), p_control, power=0.8, alpha=0.05)")


def check_theta(answer: object, users: pd.DataFrame, pre: str = "pre_revenue", post: str = REVENUE) -> Feedback:
    """06.3: CUPED's theta, cov(pre, post) / var(pre) over both arms' users."""
    if (fb := attempted(answer, "06.3", "set answer to theta (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("06.3", f"the answer should be one number, got {type(answer).__name__}")
    x, y = users[pre].to_numpy(dtype=float), users[post].to_numpy(dtype=float)
    theta = float(np.cov(x, y)[0, 1] / np.var(x, ddof=1))
    if abs(value - theta) < 1e-6:
        rho = float(np.corrcoef(x, y)[0, 1])
        return correct(
            "06.3",
            f"theta = {theta:.4f}; with rho = {rho:.3f} the adjustment removes about rho^2 = {rho**2:.1%} of the "
            "variance, and since the pre-period came before assignment it cannot bias the difference.",
        )
    if abs(value - float(np.corrcoef(x, y)[0, 1])) < 1e-6:
        return not_yet("06.3", "that is the correlation; theta is the slope cov(pre, post) / var(pre)")
    control = users[users[ARM] == users[ARM].cat.categories[0]] if hasattr(users[ARM], "cat") else None
    if control is not None:
        xc, yc = control[pre].to_numpy(dtype=float), control[post].to_numpy(dtype=float)
        if abs(value - float(np.cov(xc, yc)[0, 1] / np.var(xc, ddof=1))) < 1e-6:
            return not_yet("06.3", "you used the control arm only; CUPED estimates theta on both arms pooled")
    return not_yet("06.3", "theta = cov(pre, post) / var(pre), over every user of both arms")


def check_peeking(answer: object, sequence: dict, alpha: float = 0.05) -> Feedback:
    """06.4: the share of A/A experiments a daily peeker calls significant (fixed p < alpha at some look)."""
    if (fb := attempted(answer, "06.4", "set answer to a share between 0 and 1 (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("06.4", f"the answer should be one number, got {type(answer).__name__}")
    p = sequence["p_fixed"]
    expected = float((p < alpha).any(axis=1).mean())
    if abs(value - expected) < 1e-9:
        return correct(
            "06.4",
            f"{expected:.1%} of experiments where nothing changed look like wins (or losses) on some day: stopping "
            f"at the first 'significant' look multiplies false alarms by {expected / alpha:.1f}.",
        )
    if abs(value - float((p[:, -1] < alpha).mean())) < 1e-9:
        return not_yet("06.4", "that is the last look only; the peeker stops at the *first* look with p < alpha")
    if abs(value - float((p < alpha).mean())) < 1e-9:
        return not_yet("06.4", "that averages over looks; count experiments with p < alpha at *any* look")
    return not_yet("06.4", "for each replication, was p_fixed < alpha at any look? Then take the share")

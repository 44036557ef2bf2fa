"""What every analysis returns: a small frozen dataclass that prints as one readable line.

``TestResult`` is the common shape (estimate, interval, p-value, units per arm, what was assumed); the
other classes add what their analysis knows beyond it (CUPED's theta, a sequential test's path, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def _number(value: float) -> str:
    """A compact signed number: 4 significant digits, thousands separated."""
    if not np.isfinite(value):
        return "nan"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:+.2e}"
    return f"{value:+,.4g}" if abs(value) < 1e4 else f"{value:+,.0f}"


def format_p(p: float) -> str:
    """``p = 0.012`` or ``p < 1e-6``; NaN when the analysis gives none."""
    if not np.isfinite(p):
        return "p n/a"
    return "p < 1e-6" if p < 1e-6 else f"p = {p:.3g}"


@dataclass(frozen=True)
class TestResult:
    """One comparison of a treatment arm with control.

    Attributes
    ----------
    metric : str
        What was compared, e.g. ``"conversion"``.
    estimate : float
        Treatment minus control, in the metric's units (a difference of proportions, of means or of ratios).
    ci_low, ci_high : float
        The ``1 - alpha`` confidence interval of ``estimate``.
    p_value : float
        Two-sided p-value of "no difference" (NaN where the method gives none).
    n : tuple of int
        Units (users unless said otherwise) per arm: ``(control, treatment)``.
    means : tuple of float
        The metric in each arm: ``(control, treatment)``.
    method : str
        The test and interval used.
    assumptions : str
        What must hold for the p-value and interval to mean what they say.
    alpha : float
        Significance level of the interval.
    relative, relative_low, relative_high : float
        ``estimate / control mean`` and its delta-method interval (NaN where not computed).
    """

    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: tuple[int, ...]
    means: tuple[float, ...]
    method: str
    assumptions: str
    alpha: float = 0.05
    relative: float = float("nan")
    relative_low: float = float("nan")
    relative_high: float = float("nan")

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0 (equivalently p < alpha for the Wald-type tests)."""
        return bool(self.ci_low > 0 or self.ci_high < 0)

    def covers(self, value: float) -> bool:
        """Whether the interval contains ``value`` (e.g. the simulator's true effect)."""
        return bool(self.ci_low <= value <= self.ci_high)

    def _core(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        text = (
            f"{self.metric}: {_number(self.estimate)} ({level} CI {_number(self.ci_low)} to {_number(self.ci_high)}), "
            f"{format_p(self.p_value)}"
        )
        if np.isfinite(self.relative):
            text += f", relative {self.relative:+.1%}"
            if np.isfinite(self.relative_low):
                text += f" ({self.relative_low:+.1%} to {self.relative_high:+.1%})"
        n = " / ".join(f"{k:,}" for k in self.n)
        means = " vs ".join(f"{m:,.4g}" for m in self.means)
        return f"{text}; n = {n}; {means}"

    def __str__(self) -> str:
        return f"{self._core()}; {self.method}; assumes {self.assumptions}"

    __repr__ = __str__

    def to_dict(self) -> dict[str, object]:
        """A row for a results table."""
        return {
            "metric": self.metric,
            "control": self.means[0],
            "treatment": self.means[-1],
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "relative": self.relative,
            "relative_low": self.relative_low,
            "relative_high": self.relative_high,
            "p_value": self.p_value,
            "n_control": self.n[0],
            "n_treatment": self.n[-1],
            "method": self.method,
        }


@dataclass(frozen=True)
class CupedResult(TestResult):
    """A ``TestResult`` on CUPED-adjusted outcomes, with what the adjustment did.

    ``theta`` is the slope of the outcome on the pre-period covariate (pooled arms), ``correlation`` their
    correlation, ``variance_reduction`` is ``1 - var(adjusted estimate) / var(unadjusted estimate)`` (about
    ``correlation ** 2``), and ``unadjusted`` the plain Welch result on the same users.
    """

    theta: float = float("nan")
    correlation: float = float("nan")
    variance_reduction: float = float("nan")
    unadjusted: TestResult | None = None

    def __str__(self) -> str:
        return (
            f"{self._core()}; CUPED theta {self.theta:.4g}, rho {self.correlation:.3f}, variance "
            f"-{self.variance_reduction:.1%}; {self.method}; assumes {self.assumptions}"
        )

    __repr__ = __str__


@dataclass(frozen=True)
class SrmResult:
    """A sample-ratio-mismatch check: did the arms get the share of users they were meant to?"""

    counts: tuple[int, ...]
    expected_shares: tuple[float, ...]
    statistic: float
    p_value: float
    alpha: float

    @property
    def mismatch(self) -> bool:
        """True when the split is too unlikely under the planned shares (p < alpha): do not trust the test."""
        return bool(self.p_value < self.alpha)

    def __str__(self) -> str:
        counts = " / ".join(f"{c:,}" for c in self.counts)
        shares = " / ".join(f"{s:.1%}" for s in self.expected_shares)
        verdict = "MISMATCH: find the cause before reading any result" if self.mismatch else "no mismatch"
        return (
            f"SRM: {counts} users against planned {shares}: chi-square {self.statistic:.2f}, "
            f"{format_p(self.p_value)} (alarm below {self.alpha:g}): {verdict}"
        )

    __repr__ = __str__


@dataclass(frozen=True)
class SampleSize:
    """Users per arm needed to detect ``p1`` vs ``p2`` with the given power, and how it was computed."""

    n_per_arm: int
    exact: float
    p1: float
    p2: float
    alpha: float
    power: float
    ratio: float
    alternative: str
    method: str

    def __str__(self) -> str:
        return (
            f"{self.n_per_arm:,} users per arm ({self.exact:,.2f} exactly) to tell {self.p1:.2%} from {self.p2:.2%} "
            f"with power {self.power:.0%} at alpha {self.alpha:g} ({self.alternative}); {self.method}"
        )

    __repr__ = __str__


@dataclass(frozen=True)
class SequentialResult(TestResult):
    """A test read at every look: an always-valid interval and p-value, and the path that led there.

    ``ci_low``/``ci_high`` are the confidence sequence at the last look; ``p_value`` the always-valid
    p-value (the smallest alpha at which some look so far rejected). ``first_rejection`` is the first look
    at which the sequence excluded 0 (``None``: never). ``path`` has one row per look.
    """

    looks: int = 0
    first_rejection: object = None
    tau: float = float("nan")
    path: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    def __str__(self) -> str:
        stop = "never excluded 0" if self.first_rejection is None else f"excluded 0 from look {self.first_rejection}"
        return f"{self._core()}; {self.looks} looks, {stop}; {self.method}; assumes {self.assumptions}"

    __repr__ = __str__


@dataclass(frozen=True)
class OffPolicyEstimate:
    """An off-policy estimate of a target policy's value from logged feedback.

    ``effective_sample_size`` is ``(sum w)^2 / sum w^2`` of the importance weights: when it is a small share of
    ``n`` the estimate rests on a few lucky logs. ``max_weight`` is the largest weight.
    """

    estimator: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    effective_sample_size: float
    max_weight: float
    assumptions: str
    alpha: float = 0.05

    def covers(self, value: float) -> bool:
        return bool(self.ci_low <= value <= self.ci_high)

    def __str__(self) -> str:
        return (
            f"{self.estimator}: {self.estimate:.4g} ({1 - self.alpha:.0%} CI {self.ci_low:.4g} to {self.ci_high:.4g}); "
            f"n = {self.n:,}, effective {self.effective_sample_size:,.0f}, max weight {self.max_weight:,.1f}; "
            f"assumes {self.assumptions}"
        )

    __repr__ = __str__

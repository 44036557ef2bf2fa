"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Each customer, after a first purchase at time 0, buys as a Poisson process of
rate ``lambda`` while alive, and after each *repeat* purchase drops out for
good with probability ``p``. Across customers ``lambda ~ Gamma(r, alpha)``
(shape ``r``, rate ``alpha``) and ``p ~ Beta(a, b)``. A customer is summarised
by ``(x, t_x, T)``: ``x`` repeat purchases (``frequency``), the time of the last
one ``t_x`` (``recency``, 0 when ``x = 0``) and the time ``T`` since the first
purchase, all measured from the first purchase in one time unit (weeks in the
paper).

Formulas used (equation numbers of the paper):

* likelihood (eq. 6)::

      L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
          + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) a^r / (G(r) (alpha+t_x)^(r+x))

* ``P(alive | x, t_x, T)`` (eq. 11) = ``1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``;
  a customer with no repeat purchase cannot have dropped out, so it is 1 for ``x = 0``.
* ``E[Y(t) | x, t_x, T]``, expected purchases in ``(T, T+t]`` (eq. 10)::

      (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
      / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

* ``P(no purchase in (T, T+t] | x, t_x, T)`` (derived here). A dead customer
  never buys. An alive one has posterior ``lambda ~ Gamma(r+x, alpha+T)`` (the
  first term of L), and while alive it can only leave *after* a purchase, so it
  makes no purchase in ``(T, T+t]`` with probability ``exp(-lambda t)``, whose
  posterior mean is ``((alpha+T)/(alpha+T+t))^(r+x)``. Hence::

      P(no purchase) = 1 - P(alive) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)]

  ``tests/churn/test_churn_bgnbd.py`` checks eq. 10 and this formula against direct
  numerical integration over the posterior of ``(lambda, p)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.churn.mle import check_fit_params, maximise_likelihood
from shopcase.schema import SEED
from shopcase.validate import (
    as_timestamp,
    check_array,
    check_choice,
    check_int,
    check_no_missing,
    check_number,
    datetime_column,
    require_columns,
)

PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
PAPER_CDNOW_PARAMS: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
"""The paper's estimates on the 2,357-customer CDNOW sample, weeks 1-39 (its Table/Section 5)."""

PERIOD_DAYS: dict[str, int] = {"D": 1, "W": 7}


def check_rft(frequency: object, recency: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``(x, t_x, T)``: same length, finite, ``x`` whole >= 0, ``0 <= t_x <= T``, t_x = 0 if x = 0.

    Scalars are accepted and broadcast to the longest argument. Raises ``ValueError`` naming the argument.
    """
    x = check_array(frequency, "frequency", low=0.0)
    t_x = check_array(recency, "recency", low=0.0)
    big_t = check_array(T, "T", low=0.0)
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError as exc:
        raise ValueError(
            f"frequency, recency and T must have the same length, got {x.size}, {t_x.size}, {big_t.size}"
        ) from exc
    if np.any(x != np.round(x)):
        raise ValueError("frequency must count repeat purchases (whole numbers)")
    # A tiny tolerance: recency and T are often both computed from dates as floats.
    if np.any(t_x > big_t * (1 + 1e-12) + 1e-12):
        raise ValueError(f"recency exceeds T for {int((t_x > big_t).sum())} customer(s)")
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("recency must be 0 for customers with frequency 0 (no repeat purchase)")
    return x.astype(float), t_x.astype(float), big_t.astype(float)


def _log_terms(params: Sequence[float], x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
    """Return ``(log common factor, log A1, log A2)`` with ``L = exp(common) * (A1 + [x > 0] A2)``."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    log_a1 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        # For x = 0 the second term does not exist; betaln(a+1, b-1) may be undefined (b <= 1).
        log_a2 = special.betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - special.betaln(a, b)
        log_a2 = log_a2 - (r + x) * np.log(alpha + t_x)
    log_a2 = np.where(x > 0, log_a2, -np.inf)
    return common, log_a1, log_a2


def log_likelihood(params: Sequence[float], frequency: object, recency: object, T: object) -> np.ndarray:
    """Per-customer log-likelihood (eq. 6 of the paper), shape ``(n_customers,)``."""
    x, t_x, big_t = check_rft(frequency, recency, T)
    common, log_a1, log_a2 = _log_terms(params, x, t_x, big_t)
    return common + np.logaddexp(log_a1, log_a2)


def _p_alive(params: Sequence[float], x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x); only meaningful for x > 0.
        log_ratio = np.log(alpha + big_t) - np.log(alpha + t_x)
        log_odds_dead = np.log(a) - np.log(b + x - 1) + (r + x) * log_ratio
    log_odds_dead = np.where(x > 0, log_odds_dead, -np.inf)
    # 1 / (1 + exp(z)) computed stably.
    return special.expit(-log_odds_dead)


class BGNBD(BaseEstimator):
    """BG/NBD fitted by maximum likelihood (scipy L-BFGS-B on the log of ``r, alpha, a, b``).

    Parameters
    ----------
    penalizer : float, default 0.0
        Optional L2 penalty on the parameters (``penalizer * sum(params**2)``),
        added to the mean negative log-likelihood. 0 gives the paper's plain MLE.
    initial_params : tuple of 4 floats, default (1, 1, 1, 1)
        Starting point ``(r, alpha, a, b)`` of the optimisation.
    max_iter : int, default 2000
        Iteration cap of the optimiser; not converging raises ``ValueError``.

    Learned attributes: ``params_`` (dict ``r, alpha, a, b``), ``log_likelihood_``
    (total, at the optimum), ``n_customers_``, ``n_iter_``.
    """

    def __init__(
        self, penalizer: float = 0.0, initial_params: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0), max_iter: int = 2000
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.max_iter = max_iter

    def fit(self, frequency: object, recency: object, T: object) -> Self:
        """Fit on ``n`` customers' repeat purchases ``x``, recency ``t_x`` and age ``T`` (same time unit)."""
        penalizer, start, max_iter = check_fit_params(self, PARAM_NAMES)
        x, t_x, big_t = check_rft(frequency, recency, T)
        if np.all(x == 0):
            raise ValueError("frequency is 0 for every customer: a and b (the drop-out) are not identified")
        # Customers with the same (x, t_x, T) have the same likelihood: fit on the distinct rows with weights.
        rows, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
        ux, ut_x, ut = rows[:, 0], rows[:, 1], rows[:, 2]
        weights = counts / counts.sum()

        def mean_log_likelihood(params: np.ndarray) -> float:
            common, log_a1, log_a2 = _log_terms(params, ux, ut_x, ut)
            return float(np.sum(weights * (common + np.logaddexp(log_a1, log_a2))))

        params, n_iter = maximise_likelihood(mean_log_likelihood, start, penalizer, max_iter, "BG/NBD")
        total = float(np.sum(log_likelihood(params, x, t_x, big_t)))
        # Everything is computed: replace the learned state in one go.
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in params), strict=True))
        self.log_likelihood_, self.n_customers_, self.n_iter_ = total, int(x.size), n_iter
        return self

    def _params(self) -> tuple[float, float, float, float]:
        check_is_fitted(self, "params_")
        return tuple(self.params_[name] for name in PARAM_NAMES)  # type: ignore[return-value]

    def p_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """``P(alive at T | x, t_x, T)`` per customer (eq. 11), shape ``(n,)``; 1 for ``x = 0``."""
        x, t_x, big_t = check_rft(frequency, recency, T)
        return _p_alive(self._params(), x, t_x, big_t)

    def expected_purchases_if_alive(self, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
        """``E[Y(t) | alive at T, x, t_x, T]``: expected purchases in ``(T, T+t]`` of a customer still active.

        The bracket of eq. 10 (its numerator): what a customer who has not dropped out is expected to
        buy, drop-outs during ``(T, T+t]`` included. ``expected_purchases`` is this times ``p_alive``.
        Shape ``(n,)``; the same time unit as the fit.
        """
        t = check_number(t, "t (the prediction horizon)", low=0.0)
        x, _, big_t = check_rft(frequency, recency, T)
        return self._if_alive(t, x, big_t)

    def _if_alive(self, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._params()
        if abs(a - 1) < 1e-9:
            raise ValueError("expected purchases need a != 1 (eq. 10 divides by a - 1)")
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        ratio = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
        expected = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp)
        if not np.all(np.isfinite(expected)):
            # Degenerate fits (tiny data: r, alpha -> infinity) put 2F1 out of scipy's reach; say so, no NaN.
            n_bad = int((~np.isfinite(expected)).sum())
            raise ValueError(
                f"expected purchases are not finite for {n_bad} customer(s) with params {self.params_}; "
                "the fit is degenerate (too little data?): try penalizer > 0"
            )
        return expected

    def expected_purchases(self, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
        """``E[Y(t) | x, t_x, T]``: expected purchases in ``(T, T+t]`` (eq. 10), shape ``(n,)``."""
        t = check_number(t, "t (the prediction horizon)", low=0.0)
        x, t_x, big_t = check_rft(frequency, recency, T)
        return self._if_alive(t, x, big_t) * _p_alive(self._params(), x, t_x, big_t)

    def prob_no_purchase(self, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
        """``P(no purchase in (T, T+t] | x, t_x, T)`` (see the module docstring), shape ``(n,)``."""
        t = check_number(t, "t (the prediction horizon)", low=0.0)
        x, t_x, big_t = check_rft(frequency, recency, T)
        r, alpha, a, b = self._params()
        still_silent_if_alive = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
        return 1.0 - _p_alive((r, alpha, a, b), x, t_x, big_t) * (1.0 - still_silent_if_alive)

    def prob_purchase(self, t: float, frequency: object, recency: object, T: object) -> np.ndarray:
        """``P(at least one purchase in (T, T+t] | x, t_x, T)`` = 1 - ``prob_no_purchase``, shape ``(n,)``."""
        return 1.0 - self.prob_no_purchase(t, frequency, recency, T)


def summary_from_transactions(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    calibration_end: object,
    period: str = "W",
    value_col: str | None = None,
) -> pd.DataFrame:
    """Per-customer ``frequency, recency, T`` from a transaction log, as the paper builds them from CDNOW.

    Only transactions strictly before ``calibration_end`` count (the project's
    ``as_of`` convention). Time is measured in whole days: several purchases on
    one day collapse into one transaction (the CDNOW convention), ``frequency``
    is the number of distinct purchase days minus 1 (repeat transactions),
    ``recency`` = last minus first purchase day and ``T`` = last calibration day
    (the day before ``calibration_end``) minus first purchase day, both divided
    by the ``period`` length (``'W'`` = 7 days, ``'D'`` = 1 day). With
    ``calibration_end = 1997-10-01`` this is the paper's weeks 1-39 of CDNOW.

    ``value_col`` (money per record, >= 0) adds ``monetary_value``: the mean value of the repeat
    transactions (a day's records summed; the first day left out, as the Gamma-Gamma spend model of
    Fader, Hardie & Lee 2005 takes it), 0 for a customer with no repeat transaction.

    Returns one row per customer with a transaction before ``calibration_end``,
    sorted by customer: ``customer_col, frequency (int), recency, T (float)[, monetary_value]``.
    """
    check_choice(period, "period", tuple(PERIOD_DAYS))
    end = as_timestamp(calibration_end, "calibration_end")
    require_columns(transactions, [customer_col, date_col, *([value_col] if value_col else [])], "transactions")
    dates = datetime_column(transactions, date_col, "transactions")
    check_no_missing(transactions, [customer_col], "transactions")
    before = (dates < end).to_numpy()
    days = pd.DataFrame(
        {
            "customer": transactions[customer_col].to_numpy()[before],
            "day": dates.to_numpy()[before].astype("datetime64[D]"),
        }
    )
    if value_col is not None:
        values = check_array(transactions[value_col], f"transactions['{value_col}']", low=0.0, allow_empty=True)
        days["value"] = values[before]
    if days.empty:
        raise ValueError(f"transactions: no transaction before calibration_end={end.date()}")
    days = days.groupby(["customer", "day"], sort=True).sum().reset_index() if value_col else days.drop_duplicates()
    by_customer = days.groupby("customer", sort=True)["day"]
    first, last, n_days = by_customer.min(), by_customer.max(), by_customer.size()
    last_day = (end - pd.Timedelta(1, "ns")).normalize()
    unit = pd.Timedelta(days=PERIOD_DAYS[period])
    summary = pd.DataFrame(
        {
            customer_col: first.index.to_numpy(),
            "frequency": (n_days - 1).to_numpy(dtype=np.int64),
            "recency": ((last - first) / unit).to_numpy(dtype=float),
            "T": ((last_day - first) / unit).to_numpy(dtype=float),
        }
    )
    if value_col is not None:
        # Days are sorted within each customer, so the first row of a customer is its first purchase day.
        by_value = days.groupby("customer", sort=True)["value"]
        repeat_total = (by_value.sum() - by_value.first()).to_numpy(dtype=float)
        repeats = summary["frequency"].to_numpy()
        summary["monetary_value"] = np.divide(repeat_total, repeats, out=np.zeros_like(repeat_total), where=repeats > 0)
    return summary


def sample_bgnbd(
    n_customers: int, r: float, alpha: float, a: float, b: float, T: object, seed: int = SEED
) -> pd.DataFrame:
    """Simulate ``n_customers`` from BG/NBD, each observed for ``T`` time units after the first purchase.

    ``T`` is a number or an array of length ``n_customers``. Returns
    ``frequency, recency, T`` plus the latent ``lam``, ``p`` and ``alive``
    (whether the customer is still active at ``T``), shape ``(n_customers, 6)``.
    """
    check_int(n_customers, "n_customers")
    for name, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b)):
        check_number(value, name, low=0.0, low_inclusive=False)
    horizon = np.broadcast_to(check_array(T, "T", low=0.0), (n_customers,)).astype(float)
    rng = np.random.default_rng(seed)
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n_customers)
    p = rng.beta(a, b, size=n_customers)
    frequency = np.zeros(n_customers, dtype=np.int64)
    recency = np.zeros(n_customers)
    clock = np.zeros(n_customers)
    active = np.ones(n_customers, dtype=bool)  # still buying and still inside the window
    alive = np.ones(n_customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        # A customer with lambda ~ 0 never buys again: exponential waiting time is infinite.
        with np.errstate(divide="ignore"):
            clock[idx] += rng.exponential(size=idx.size) / lam[idx]
        inside = clock[idx] <= horizon[idx]
        buyers = idx[inside]
        frequency[buyers] += 1
        recency[buyers] = clock[buyers]
        dropped = buyers[rng.random(buyers.size) < p[buyers]]
        alive[dropped] = False
        active[idx[~inside]] = False
        active[dropped] = False
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": horizon, "lam": lam, "p": p, "alive": alive})

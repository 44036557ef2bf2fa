"""How much a customer spends per purchase: the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV").

A customer's transactions have values ``z ~ Gamma(p, nu)`` (shape ``p``, rate ``nu``: mean ``p / nu``), and
``nu`` varies across customers as ``Gamma(q, v)`` (shape ``q``, rate ``v``; the paper's gamma). The mean
``m_x`` of a customer's ``x`` repeat transactions then has, given ``nu``, a ``Gamma(p x, nu x)``
distribution, and integrating ``nu`` out gives the likelihood of one customer::

    f(m_x | x) = G(p x + q) / (G(p x) G(q)) * v^q m_x^(p x - 1) x^(p x) / (v + m_x x)^(p x + q)

The posterior of ``nu`` is ``Gamma(q + p x, v + x m_x)``, so the expected spend per transaction is::

    E[Z | x, m_x] = p (v + x m_x) / (p x + q - 1)
                  = (q - 1)/(p x + q - 1) * p v/(q - 1)  +  p x/(p x + q - 1) * m_x

a weighted average of the population mean ``p v / (q - 1)`` and the customer's own mean, the weight
moving to the customer's mean as ``x`` grows; with ``x = 0`` it is the population mean. The model
assumes spend per transaction does not depend on how often a customer buys (check the correlation
of ``frequency`` and ``monetary_value`` in the data before trusting it).

scikit-learn and scipy have no Gamma-Gamma model; ``lifetimes`` has one but is no longer maintained
and pins old libraries. So it is written here on scipy's optimiser and tested against the published
CDNOW estimates (``PAPER_CDNOW_SPEND_PARAMS``) and, for the likelihood and the posterior mean,
against direct numerical integration over ``nu`` (``tests/churn/test_churn_spend.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.churn.mle import check_fit_params, maximise_likelihood
from shopcase.validate import check_array, check_same_length

SPEND_PARAM_NAMES: tuple[str, ...] = ("p", "q", "v")
PAPER_CDNOW_SPEND_PARAMS: dict[str, float] = {"p": 6.25, "q": 3.74, "v": 15.44}
"""Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", on the CDNOW 1/10 sample: the 946
customers with a repeat purchase in weeks 1-39, spend = mean value of their repeat purchase days."""


def check_spend(frequency: object, monetary_value: object, allow_zero: bool) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(x, m_x)``: same length, ``x`` whole and >= 0 (>= 1 unless ``allow_zero``), ``m_x`` >= 0.

    A customer with ``x >= 1`` must have ``m_x > 0`` (the likelihood of a zero mean spend is 0).
    """
    x = check_array(frequency, "frequency", low=0.0)
    m = check_array(monetary_value, "monetary_value", low=0.0)
    check_same_length(frequency=x, monetary_value=m)
    if np.any(x != np.round(x)):
        raise ValueError("frequency must count repeat purchases (whole numbers)")
    if not allow_zero and np.any(x == 0):
        raise ValueError(
            f"frequency is 0 for {int((x == 0).sum())} customer(s): a customer with no repeat purchase has no "
            "spend to average; fit on customers with frequency >= 1 (their expected spend is the population mean)"
        )
    if np.any((x > 0) & (m == 0)):
        raise ValueError(f"monetary_value is 0 for {int(((x > 0) & (m == 0)).sum())} repeat buyer(s); it must be > 0")
    return x, m


def spend_log_likelihood(params: Sequence[float], frequency: object, monetary_value: object) -> np.ndarray:
    """Per-customer log-likelihood of the mean spend ``m_x`` of ``x >= 1`` transactions, shape ``(n,)``."""
    x, m = check_spend(frequency, monetary_value, allow_zero=False)
    return _log_likelihood(params, x, m)


def _log_likelihood(params: Sequence[float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, v = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )


class GammaGamma(BaseEstimator):
    """The Gamma-Gamma spend model, fitted by maximum likelihood (scipy L-BFGS-B on log ``p, q, v``).

    Parameters
    ----------
    penalizer : float, default 0.0
        Optional L2 penalty ``penalizer * sum(params**2)`` added to the mean negative log-likelihood.
    initial_params : tuple of 3 floats, default (1, 1, 1)
        Starting point ``(p, q, v)``.
    max_iter : int, default 2000
        Iteration cap of the optimiser; not converging raises ``ValueError``.

    Attributes
    ----------
    params_ : dict
        ``p, q, v`` (``v`` is the paper's gamma, in the currency of the spend).
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    mean_spend_ : float
        Population mean spend per transaction, ``p v / (q - 1)`` (needs ``q > 1``).
    n_customers_ : int
    """

    def __init__(
        self, penalizer: float = 0.0, initial_params: tuple[float, ...] = (1.0, 1.0, 1.0), max_iter: int = 2000
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.max_iter = max_iter

    def fit(self, frequency: object, monetary_value: object) -> Self:
        """Fit on ``n`` repeat buyers: ``x >= 1`` repeat transactions with mean value ``m_x > 0``."""
        penalizer, start, max_iter = check_fit_params(self, SPEND_PARAM_NAMES)
        x, m = check_spend(frequency, monetary_value, allow_zero=False)
        params, _ = maximise_likelihood(
            lambda params: float(np.mean(_log_likelihood(params, x, m))), start, penalizer, max_iter, "Gamma-Gamma"
        )
        p, q, v = (float(value) for value in params)
        if q <= 1:
            raise ValueError(f"Gamma-Gamma fit gives q = {q:.3f} <= 1: the population mean spend is infinite")
        total = float(np.sum(_log_likelihood((p, q, v), x, m)))
        # Everything is computed: replace the learned state in one go.
        self.params_ = {"p": p, "q": q, "v": v}
        self.log_likelihood_, self.mean_spend_, self.n_customers_ = total, p * v / (q - 1), int(x.size)
        return self

    def expected_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        """``E[Z | x, m_x]``: expected value of a customer's next transaction, shape ``(n,)``.

        ``x = 0`` gives the population mean ``p v / (q - 1)`` (``m_x`` is then ignored).
        """
        check_is_fitted(self, "params_")
        x, m = check_spend(frequency, monetary_value, allow_zero=True)
        p, q, v = (self.params_[name] for name in SPEND_PARAM_NAMES)
        return p * (v + x * m) / (p * x + q - 1)

"""The Gamma-Gamma spend model against the paper, against numerical integration, and on simulated data."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from shopcase.churn import PAPER_CDNOW_SPEND_PARAMS, GammaGamma, spend_log_likelihood, summary_from_transactions
from shopcase.data.real import load_cdnow


@pytest.fixture(scope="module")
def cdnow_repeat_buyers():
    summary = summary_from_transactions(
        load_cdnow(sample=True), "customer_id", "date", "1997-10-01", period="W", value_col="revenue"
    )
    return summary[summary["frequency"] > 0]


def test_matches_the_papers_cdnow_estimates(cdnow_repeat_buyers):
    """Fader, Hardie & Lee (2005) publish p, q, v to two decimals: the MLE must round to them (within 0.005).

    CLVTools' test suite (bachmannpatrick/CLVTools, test_correctness_gg.R) fits the same 946 customers and
    records a log-likelihood of -4055.9177; an independent implementation, so it is checked too.
    """
    assert len(cdnow_repeat_buyers) == 946
    model = GammaGamma().fit(cdnow_repeat_buyers["frequency"], cdnow_repeat_buyers["monetary_value"])
    for name, paper in PAPER_CDNOW_SPEND_PARAMS.items():
        assert abs(model.params_[name] - paper) <= 0.005, (name, model.params_[name], paper)
    assert model.log_likelihood_ == pytest.approx(-4055.9177, abs=1e-3)
    p, q, v = (model.params_[k] for k in "pqv")
    assert model.mean_spend_ == pytest.approx(p * v / (q - 1))


def test_monetary_value_is_the_mean_of_repeat_purchase_days():
    tx = pd.DataFrame(
        {
            "who": ["a", "a", "a", "a", "b", "c"],
            "when": pd.to_datetime(
                ["2020-01-01", "2020-01-01", "2020-01-05", "2020-01-09", "2020-01-02", "2020-03-01"]
            ),
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 99.0],
        }
    )
    summary = summary_from_transactions(tx, "who", "when", "2020-02-01", period="D", value_col="amount")
    summary = summary.set_index("who")
    # a: first day 01-01 (15, left out), then 20 and 40 -> mean 30; b: no repeat -> 0; c: after the cut
    assert summary["monetary_value"].to_dict() == {"a": 30.0, "b": 0.0}
    assert summary.loc["a", "frequency"] == 2
    with pytest.raises(ValueError, match="negative"):
        summary_from_transactions(tx.assign(amount=-1.0), "who", "when", "2020-02-01", value_col="amount")
    with pytest.raises(ValueError, match="missing column"):
        summary_from_transactions(tx, "who", "when", "2020-02-01", value_col="price")


def _density_by_integration(p, q, v, x, m):
    """f(m_x | x): the mean of x Gamma(p, nu) values is Gamma(p x, rate nu x); nu ~ Gamma(q, rate v)."""

    def integrand(nu):
        return stats.gamma.pdf(m, a=p * x, scale=1 / (nu * x)) * stats.gamma.pdf(nu, a=q, scale=1 / v)

    return integrate.quad(integrand, 0, np.inf, epsabs=1e-14, epsrel=1e-11, limit=200)[0]


def _posterior_mean_by_integration(p, q, v, x, m):
    """E[p / nu | x, m_x]: the expected value of the next transaction, integrating over nu directly."""

    def weight(nu):
        return stats.gamma.pdf(m, a=p * x, scale=1 / (nu * x)) * stats.gamma.pdf(nu, a=q, scale=1 / v)

    top = integrate.quad(lambda nu: p / nu * weight(nu), 0, np.inf, epsabs=1e-14, epsrel=1e-11, limit=200)[0]
    return top / _density_by_integration(p, q, v, x, m)


@pytest.mark.parametrize(("x", "m"), [(1, 12.0), (4, 35.5), (20, 80.0)])
def test_closed_forms_match_numerical_integration(x, m):
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    model = GammaGamma()
    model.params_ = params
    expected_log_density = np.log(_density_by_integration(*params.values(), x, m))
    assert spend_log_likelihood(tuple(params.values()), [x], [m])[0] == pytest.approx(expected_log_density, rel=1e-8)
    assert model.expected_spend([x], [m])[0] == pytest.approx(
        _posterior_mean_by_integration(*params.values(), x, m), rel=1e-8
    )


def test_one_time_buyers_get_the_population_mean_and_frequent_ones_their_own():
    model = GammaGamma()
    model.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    population = 6.25 * 15.44 / (3.74 - 1)
    assert model.expected_spend([0, 0], [0.0, 500.0]).tolist() == pytest.approx([population, population])
    spends = model.expected_spend([1, 10, 1000], [100.0, 100.0, 100.0])
    assert population < spends[0] < spends[1] < spends[2] < 100.0  # shrunk towards the population mean
    assert spends[2] == pytest.approx(100.0, rel=1e-2)


def test_recovers_parameters_from_simulated_data():
    truth = {"p": 4.0, "q": 5.0, "v": 40.0}
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.integers(1, 12, n)
    nu = rng.gamma(truth["q"], 1 / truth["v"], n)
    means = rng.gamma(truth["p"] * x, 1 / (nu * x))  # the mean of x Gamma(p, nu) values
    model = GammaGamma().fit(x, means)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.1), name
    population = truth["p"] * truth["v"] / (truth["q"] - 1)
    assert model.mean_spend_ == pytest.approx(population, rel=0.03)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="frequency is 0 for 1 customer"):
        GammaGamma().fit([0, 2], [0.0, 10.0])
    with pytest.raises(ValueError, match="monetary_value is 0"):
        GammaGamma().fit([1, 2], [0.0, 10.0])
    with pytest.raises(ValueError, match="whole numbers"):
        GammaGamma().fit([1.5, 2], [5.0, 10.0])
    with pytest.raises(ValueError, match="same length"):
        GammaGamma().fit([1, 2], [5.0])
    with pytest.raises(ValueError, match="negative"):
        GammaGamma().fit([1, 2], [5.0, -1.0])
    for bad, message in [
        ({"penalizer": -1.0}, "penalizer"),
        ({"initial_params": (1.0, 1.0)}, "initial_params"),
        ({"initial_params": (1.0, 0.0, 1.0)}, r"initial_params\[q\]"),
        ({"max_iter": 0}, "max_iter"),
    ]:
        with pytest.raises(ValueError, match=message):
            GammaGamma(**bad).fit([1, 2], [5.0, 10.0])
    with pytest.raises(ValueError, match="not fitted"):
        GammaGamma().expected_spend([1], [5.0])

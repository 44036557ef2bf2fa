import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from shopcase.churn import BGNBD, PAPER_CDNOW_PARAMS, sample_bgnbd, summary_from_transactions
from shopcase.data.real import load_cdnow


@pytest.fixture(scope="module")
def cdnow_sample_summary():
    return summary_from_transactions(load_cdnow(sample=True), "customer_id", "date", "1997-10-01", period="W")


def fitted(params):
    model = BGNBD()
    model.params_ = dict(params)
    return model


def test_matches_the_papers_cdnow_estimates(cdnow_sample_summary):
    summary = cdnow_sample_summary
    assert len(summary) == 2357
    model = BGNBD().fit(summary["frequency"], summary["recency"], summary["T"])
    for name, paper in PAPER_CDNOW_PARAMS.items():
        assert abs(model.params_[name] - paper) < 0.005, (name, model.params_[name], paper)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)  # the paper's LL


def test_cdnow_summary_follows_the_papers_convention(cdnow_sample_summary):
    one = cdnow_sample_summary.set_index("customer_id").loc[1]
    # customer 1 bought on 1997-01-01, 01-18, 08-02 (and 12-12, after week 39):
    # x = 2 repeat purchases, t_x = 213 days, T = 272 days (to 1997-09-30), in weeks
    assert (one["frequency"], one["recency"], one["T"]) == (2, pytest.approx(213 / 7), pytest.approx(272 / 7))


def test_summary_collapses_days_and_ignores_the_future():
    tx = pd.DataFrame(
        {
            "who": ["a", "a", "a", "a", "b", "c"],
            "when": pd.to_datetime(
                [
                    "2020-01-01 09:00",
                    "2020-01-01 18:00",
                    "2020-01-15 00:00",
                    "2020-03-01 00:00",
                    "2020-01-29 00:00",
                    "2020-02-10 00:00",
                ]
            ),
        }
    )
    summary = summary_from_transactions(tx, "who", "when", "2020-02-05", period="D").set_index("who")
    assert summary.index.tolist() == ["a", "b"]  # c starts after the calibration end
    assert summary.loc["a"].tolist() == [1, 14.0, 34.0]  # two purchases on 01-01 are one; 03-01 is later
    assert summary.loc["b"].tolist() == [0, 0.0, 6.0]  # T counts to the last calibration day, 02-04
    weekly = summary_from_transactions(tx, "who", "when", "2020-02-05", period="W").set_index("who")
    assert weekly.loc["a", "recency"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="period"):
        summary_from_transactions(tx, "who", "when", "2020-02-05", period="M")
    with pytest.raises(ValueError, match="missing column"):
        summary_from_transactions(tx, "customer", "when", "2020-02-05")
    with pytest.raises(ValueError, match="no transaction before"):
        summary_from_transactions(tx, "who", "when", "2019-01-01")


def test_recovers_parameters_from_simulated_data():
    truth = {"r": 0.5, "alpha": 2.0, "a": 1.5, "b": 4.0}
    T = np.random.default_rng(7).uniform(26, 52, size=20_000)
    data = sample_bgnbd(20_000, **truth, T=T, seed=3)
    model = BGNBD().fit(data["frequency"], data["recency"], data["T"])
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.15), name
    # the well-identified summaries, more tightly: mean purchase rate and mean drop-out probability
    fit = model.params_
    assert fit["r"] / fit["alpha"] == pytest.approx(truth["r"] / truth["alpha"], rel=0.05)
    assert fit["a"] / (fit["a"] + fit["b"]) == pytest.approx(truth["a"] / (truth["a"] + truth["b"]), rel=0.05)


def test_sampler_is_consistent_and_seeded():
    data = sample_bgnbd(2_000, 0.3, 4.0, 0.8, 2.5, T=40.0, seed=1)
    assert list(data.columns) == ["frequency", "recency", "T", "lam", "p", "alive"]
    assert (data["recency"] <= data["T"]).all()
    assert (data.loc[data["frequency"] == 0, "recency"] == 0).all()
    assert data.loc[data["frequency"] == 0, "alive"].all()  # nobody drops out without a repeat purchase
    pd.testing.assert_frame_equal(data, sample_bgnbd(2_000, 0.3, 4.0, 0.8, 2.5, T=40.0, seed=1))


def test_p_alive_is_one_without_repeat_purchases():
    model = fitted(PAPER_CDNOW_PARAMS)
    assert np.array_equal(model.p_alive([0, 0, 0], [0, 0, 0], [1.0, 20.0, 39.0]), [1.0, 1.0, 1.0])
    # a frequent buyer silent for a long time is probably gone; one who just bought is probably not
    assert model.p_alive(5, 5.0, 39.0)[0] < 0.1 < 0.85 < model.p_alive(5, 38.0, 39.0)[0]


def _posterior_by_integration(params, x, t_x, T, t):
    """P(alive), E[Y(t)] and P(no purchase in t) by integrating over lambda and p directly.

    Substituting lam = u**(1/r) and p = v**(1/a) turns the priors' singularities at 0 into smooth
    integrands; lam is cut at 60 / alpha, where the gamma prior is below exp(-60).
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))

    def integral(f):
        def integrand(v, u):
            lam, p = u ** (1 / r), v ** (1 / a)
            prior = alpha**r / (special.gamma(r) * r) * np.exp(-alpha * lam)
            prior *= (1 - p) ** (b - 1) / (special.beta(a, b) * a)
            return prior * f(lam, p)

        return integrate.dblquad(integrand, 0, (60 / alpha) ** r, 0, 1, epsabs=1e-13, epsrel=1e-10)[0]

    def alive(lam, p):  # first term of the likelihood: still active at T
        return (1 - p) ** x * lam**x * np.exp(-lam * T)

    def likelihood(lam, p):
        dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
        return alive(lam, p) + dead

    z = integral(likelihood)
    p_alive = integral(alive) / z
    # alive at T with (lam, p): expected purchases in t are (1 - exp(-lam p t)) / p, none with exp(-lam t)
    expected = integral(lambda lam, p: alive(lam, p) * (1 - np.exp(-lam * p * t)) / p) / z
    p_none = 1 - integral(lambda lam, p: alive(lam, p) * (1 - np.exp(-lam * t))) / z
    return p_alive, expected, p_none


@pytest.mark.parametrize("params", [{"r": 0.6, "alpha": 3.0, "a": 1.4, "b": 2.5}, PAPER_CDNOW_PARAMS])
@pytest.mark.parametrize(("x", "t_x", "T", "t"), [(0, 0.0, 30.0, 10.0), (2, 20.0, 30.0, 39.0)])
def test_closed_forms_match_numerical_integration(params, x, t_x, T, t):
    model = fitted(params)
    p_alive, expected, p_none = _posterior_by_integration(params, x, t_x, T, t)
    assert model.p_alive(x, t_x, T)[0] == pytest.approx(p_alive, rel=1e-7)
    assert model.expected_purchases(t, x, t_x, T)[0] == pytest.approx(expected, rel=1e-7)
    # E[Y(t) | alive] = E[Y(t)] / P(alive): the integrals' ratio, against the closed-form bracket of eq. 10
    assert model.expected_purchases_if_alive(t, x, t_x, T)[0] == pytest.approx(expected / p_alive, rel=1e-7)
    assert model.prob_no_purchase(t, x, t_x, T)[0] == pytest.approx(p_none, rel=1e-7)
    assert model.prob_purchase(t, x, t_x, T)[0] == pytest.approx(1 - p_none, rel=1e-7)


def test_predictions_behave_over_the_horizon():
    model = fitted(PAPER_CDNOW_PARAMS)
    x, t_x, T = np.array([0, 1, 4]), np.array([0.0, 10.0, 30.0]), np.array([39.0, 39.0, 39.0])
    assert np.allclose(model.expected_purchases(0.0, x, t_x, T), 0)
    assert np.allclose(model.prob_no_purchase(0.0, x, t_x, T), 1)
    short, long = model.expected_purchases(5.0, x, t_x, T), model.expected_purchases(39.0, x, t_x, T)
    assert np.all(short > 0) and np.all(long > short)
    assert np.all(np.diff(model.prob_no_purchase(39.0, x, t_x, T)) < 0)  # more past buying, less silence


def test_bad_input_raises():
    with pytest.raises(ValueError, match="recency exceeds T"):
        BGNBD().fit([1, 2], [5.0, 50.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="same length"):
        BGNBD().fit([1, 2, 3], [1.0, 2.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="frequency has 1 negative"):
        BGNBD().fit([1, -1], [1.0, 0.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="recency must be 0"):
        BGNBD().fit([0, 1], [1.0, 2.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="frequency is 0 for every customer"):
        BGNBD().fit([0, 0], [0.0, 0.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="missing or infinite"):
        BGNBD().fit([1, 1], [1.0, np.nan], [10.0, 10.0])
    with pytest.raises(ValueError, match="horizon"):
        fitted(PAPER_CDNOW_PARAMS).expected_purchases(-1.0, [1], [1.0], [2.0])
    with pytest.raises(ValueError, match="not fitted"):
        BGNBD().p_alive([1], [1.0], [2.0])

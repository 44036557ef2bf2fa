"""The statistical promises, checked by simulation on the shop's hidden truth (fixed seeds, stated bands).

Bands: a false-positive rate must lie in the binomial 99% band of its replications around alpha (a test
whose true rate is alpha fails this 1% of the time; one whose rate is off by a third fails almost always);
coverage of a 95% interval must lie in 93-97%; power 80% +- 3 points; CUPED's variance reduction equal to
rho^2 within 2 points. Every simulation is vectorised over replications (``Replications``), running the same
``core`` formulas as the public tests.
"""

import numpy as np
import pytest
from scipy import stats

from shopcase.experiments import core, sample_size_proportions, srm_test
from shopcase.experiments.analysis import srm_p_values
from shopcase.experiments.assignment import assign_arms, hash_uniforms
from shopcase.experiments.simulate import ExperimentSimulator, Slate
from shopcase.recommend import Popularity

ALPHA = 0.05
N_AA = 1_000
N_AB = 1_000


def band(n: int, rate: float = ALPHA) -> tuple[float, float]:
    """The binomial 99% band of a rate observed over n replications."""
    low, high = stats.binom.interval(0.99, n, rate)
    return low / n, high / n


@pytest.fixture(scope="module")
def discount_simulator(shop, before_start):
    """Popularity against the same slate at 20% off: conversion rises, order value falls (a known effect)."""
    pop = Popularity().fit(before_start)
    return ExperimentSimulator(
        shop, {"popularity": Slate(pop), "discount": Slate(pop, discount=0.2)}, start="2023-10-01", days=14
    )


@pytest.fixture(scope="module")
def aa(simulator):
    return simulator.replicate(N_AA, 3_000, seed=101, arms=("popularity", "popularity"), looks=14, buckets=50)


@pytest.fixture(scope="module")
def ab(discount_simulator):
    return discount_simulator.replicate(N_AB, 3_000, seed=202)


def test_aa_false_positive_rate_of_every_test_is_in_the_binomial_band(aa):
    low, high = band(N_AA)
    rates = {name: float((r["p_value"] < ALPHA).mean()) for name, r in aa.tests(ALPHA).items()}
    rates["bootstrap revenue_per_user"] = float((aa.bootstrap(n_resamples=200, seed=5)["p_value"] < ALPHA).mean())
    assert len(rates) == 7
    for name, rate in rates.items():
        assert low <= rate <= high, f"{name}: A/A false-positive rate {rate:.3f} outside [{low:.3f}, {high:.3f}]"


@pytest.mark.parametrize(
    "metric",
    ["conversion", "revenue_per_user", "orders_per_user", "revenue_per_session", "aov", "revenue_per_user (CUPED)"],
)
def test_intervals_cover_the_true_lift(ab, metric):
    truth = ab.true_lift(metric.replace(" (CUPED)", ""))
    assert abs(truth) > 0  # a real effect, known exactly
    r = ab.tests(ALPHA)[metric]
    coverage = float(((r["ci_low"] <= truth) & (truth <= r["ci_high"])).mean())
    assert 0.93 <= coverage <= 0.97, f"{metric}: coverage {coverage:.3f}"


def test_the_discount_has_the_effects_it_should(ab):
    lift = ab.truth.iloc[1] / ab.truth.iloc[0] - 1
    assert lift["conversion"] > 0.05 and lift["aov"] < -0.1


def test_peeking_inflates_the_fixed_test_and_the_sequential_test_holds(aa):
    seq = aa.sequential(ALPHA)
    peeking = float((seq["p_fixed"] < ALPHA).any(axis=1).mean())
    last_look = float((seq["p_fixed"][:, -1] < ALPHA).mean())
    sequential = float(((seq["ci_low"] > 0) | (seq["ci_high"] < 0)).any(axis=1).mean())
    low, high = band(N_AA)
    assert low <= last_look <= high  # read once, at the end, the fixed test is fine
    assert peeking > 0.12  # read at each of 14 daily looks, it rejects far more often than alpha
    assert sequential <= ALPHA  # the always-valid sequence holds at every look
    assert (seq["p_always_valid"][:, -1] < ALPHA).mean() == pytest.approx(sequential)


def test_the_sequential_test_finds_a_real_effect_at_a_price(discount_simulator):
    seq = discount_simulator.replicate(300, 6_000, seed=303, looks=14, look_metric="converted").sequential(ALPHA)
    found = ((seq["ci_low"] > 0) | (seq["ci_high"] < 0)).any(axis=1).mean()
    fixed_at_end = (seq["p_fixed"][:, -1] < ALPHA).mean()
    assert 0.2 < found < fixed_at_end  # it detects the discount's lift, less often than one planned look would


def test_power_at_the_planned_sample_size_is_80_percent():
    n = sample_size_proportions(0.03, 0.02, power=0.8, alpha=ALPHA).n_per_arm
    rng = np.random.default_rng(404)
    reps = 4_000
    r = core.two_proportions(rng.binomial(n, 0.02, reps), n, rng.binomial(n, 0.03, reps), n, ALPHA)
    power = float((r["p_value"] < ALPHA).mean())
    assert 0.77 <= power <= 0.83, power
    null = core.two_proportions(rng.binomial(n, 0.02, reps), n, rng.binomial(n, 0.02, reps), n, ALPHA)
    low, high = band(reps)
    assert low <= (null["p_value"] < ALPHA).mean() <= high


def _pooled_correlation(sums):
    t = {k: v.sum() for k, v in sums.items()}
    n = t["n"]
    cov = t["pre_revenue"] / n - t["pre"] / n * t["revenue"] / n
    return cov / np.sqrt((t["pre2"] / n - (t["pre"] / n) ** 2) * (t["revenue2"] / n - (t["revenue"] / n) ** 2))


def test_cuped_removes_rho_squared_of_the_variance(ab):
    """Each experiment's adjusted variance is (1 - rho^2) x its unadjusted variance within 2 points.

    Across the 1,000 experiments the variance of the estimates agrees too, within 5 points: a variance of
    variances is noisy with heavy-tailed revenue (a bootstrap over these replications gives an sd of 2.4
    points), and with few users per experiment the in-sample theta removes a little more than rho^2.
    """
    tests = ab.tests(ALPHA)
    rho2 = _pooled_correlation(ab.sums) ** 2
    assert rho2 > 0.1  # the pre-period predicts the period: users keep their propensity
    reported = 1 - tests["revenue_per_user (CUPED)"]["se"] ** 2 / tests["revenue_per_user"]["se"] ** 2
    assert float(np.median(reported)) == pytest.approx(rho2, abs=0.02)
    empirical = 1 - tests["revenue_per_user (CUPED)"]["estimate"].var() / tests["revenue_per_user"]["estimate"].var()
    assert empirical == pytest.approx(rho2, abs=0.05)
    # and the narrower interval still covers (test_intervals_cover_the_true_lift checks 93-97%)
    width = tests["revenue_per_user (CUPED)"]["ci_high"] - tests["revenue_per_user (CUPED)"]["ci_low"]
    assert np.median(width / (tests["revenue_per_user"]["ci_high"] - tests["revenue_per_user"]["ci_low"])) < 0.92


def test_srm_flags_a_one_percent_imbalance_at_a_million_users():
    ids = np.arange(1, 1_000_001)
    arm = assign_arms(ids, ["control", "treatment"], salt="homepage-2023-10")
    counts = {a: int((arm == a).sum()) for a in ("control", "treatment")}
    assert not srm_test(counts).mismatch  # the hash splits evenly
    lost = int(round(0.01 * counts["treatment"]))  # a bug drops 1% of the treatment's users from the logs
    broken = srm_test({"control": counts["control"], "treatment": counts["treatment"] - lost})
    assert broken.mismatch and broken.p_value < 1e-4


def test_srm_alarms_at_its_nominal_rate_under_aa():
    salts = [f"aa-{k}" for k in range(2_000)]
    uniforms = hash_uniforms(np.arange(1, 20_001), salts)  # 2,000 experiments on the same 20,000 users
    treated = (uniforms >= 0.5).sum(axis=1)
    p = srm_p_values(np.stack([20_000 - treated, treated], axis=1))
    low, high = band(len(salts))
    assert low <= (p < 0.05).mean() <= high
    assert (p < 0.001).sum() <= stats.binom.ppf(0.995, len(salts), 0.001)
    # salts are independent: one experiment's split says nothing about another's
    assert abs(np.corrcoef(uniforms[0] >= 0.5, uniforms[1] >= 0.5)[0, 1]) < 0.03


def test_assignment_is_stable_and_follows_the_shares():
    ids = np.arange(50_000)
    first = assign_arms(ids, {"a": 0.2, "b": 0.8}, salt="s1")
    assert (first == assign_arms(ids, {"a": 0.2, "b": 0.8}, salt="s1")).all()
    assert (first == "a").mean() == pytest.approx(0.2, abs=0.01)
    strings = assign_arms(ids.astype(str), ["x", "y"], salt="s1")
    assert (strings == "x").mean() == pytest.approx(0.5, abs=0.01)

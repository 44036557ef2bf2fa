"""Every test function equals statsmodels or scipy on the same data, where the method is the same (to 1e-9)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import integrate, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from shopcase.experiments import (
    adjust_pvalues,
    bootstrap_ci,
    core,
    cuped,
    power_proportions,
    ratio_metric_test,
    sample_size_proportions,
    sequential_test,
    srm_test,
    two_proportion_test,
    welch_test,
)

TOL = 1e-9


@pytest.mark.parametrize(("x_a", "n_a", "x_b", "n_b"), [(310, 10_000, 362, 10_050), (7, 120, 3, 95), (0, 50, 4, 60)])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_two_proportion_test_equals_statsmodels(x_a, n_a, x_b, n_b, alpha):
    r = two_proportion_test(x_a, n_a, x_b, n_b, alpha=alpha)
    _, p = proportions_ztest([x_b, x_a], [n_b, n_a])  # pooled variance under H0
    low, high = confint_proportions_2indep(x_b, n_b, x_a, n_a, method="wald", compare="diff", alpha=alpha)
    assert r.p_value == pytest.approx(p, abs=TOL)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), abs=TOL)
    assert r.estimate == pytest.approx(x_b / n_b - x_a / n_a, abs=TOL)
    assert r.n == (n_a, n_b)


def test_welch_test_equals_scipy_and_statsmodels():
    rng = np.random.default_rng(1)
    a, b = rng.lognormal(0, 1, 800), rng.lognormal(0.1, 1.3, 650)
    r = welch_test(a, b, alpha=0.1)
    ref = stats.ttest_ind(b, a, equal_var=False)
    ci = ref.confidence_interval(0.9)
    assert r.p_value == pytest.approx(ref.pvalue, abs=TOL)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), abs=TOL)
    cm = CompareMeans(DescrStatsW(b), DescrStatsW(a))
    assert (r.ci_low, r.ci_high) == pytest.approx(cm.tconfint_diff(alpha=0.1, usevar="unequal"), abs=TOL)


def _sessions(rng, n_users, rate):
    """Per-user sessions and revenue, and the same data one row per session (revenue split at random)."""
    sessions = 1 + rng.poisson(rate, n_users)
    revenue = rng.gamma(1.0, 20.0, n_users) * rng.binomial(1, 0.3, n_users) * sessions
    user = np.repeat(np.arange(n_users), sessions)
    weight = rng.random(len(user))
    per_session = weight / np.bincount(user, weight)[user] * revenue[user]
    return sessions, revenue, user, per_session


def test_delta_method_equals_cluster_robust_ols_per_arm():
    """Delta-method variance of a ratio of per-user sums = statsmodels' cluster-robust variance over sessions."""
    rng = np.random.default_rng(2)
    arms = [_sessions(rng, 1500, 1.5), _sessions(rng, 1400, 1.8)]
    r = ratio_metric_test(arms[0][1], arms[0][0], arms[1][1], arms[1][0])
    variances = []
    for sessions, revenue, user, per_session in arms:
        assert np.bincount(user, per_session) == pytest.approx(revenue)
        fit = sm.OLS(per_session, np.ones_like(per_session)).fit(cov_type="cluster", cov_kwds={"groups": user})
        assert fit.params[0] == pytest.approx(revenue.sum() / sessions.sum(), abs=TOL)
        variances.append(fit.bse[0] ** 2)
    se = np.sqrt(sum(variances))
    assert r.estimate == pytest.approx(arms[1][1].sum() / arms[1][0].sum() - arms[0][1].sum() / arms[0][0].sum())
    assert (r.ci_high - r.ci_low) / 2 == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-9)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(r.estimate) / se), abs=TOL)


def test_cuped_is_welch_on_values_adjusted_with_the_pooled_slope():
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 5.0, 2000)
    y = 0.7 * x + rng.normal(0, 4, 2000)
    arm = rng.random(2000) < 0.5
    y[arm] += 0.5
    r = cuped(y[~arm], y[arm], x[~arm], x[arm])
    theta = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
    adjusted = y - theta * (x - x.mean())
    ref = stats.ttest_ind(adjusted[arm], adjusted[~arm], equal_var=False)
    assert r.theta == pytest.approx(theta, abs=TOL)
    assert r.p_value == pytest.approx(ref.pvalue, abs=TOL)
    ci = ref.confidence_interval()
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), abs=TOL)
    assert r.correlation == pytest.approx(np.corrcoef(x, y)[0, 1], abs=TOL)
    plain = stats.ttest_ind(y[arm], y[~arm], equal_var=False)
    assert r.unadjusted.p_value == pytest.approx(plain.pvalue, abs=TOL)


def test_adjusted_sums_equal_the_adjusted_values():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=300), rng.normal(size=300)
    s, q = core.adjusted_sums(300.0, y.sum(), (y**2).sum(), x.sum(), (x**2).sum(), (x * y).sum(), 0.37, 0.11)
    adjusted = y - 0.37 * (x - 0.11)
    assert (s, q) == pytest.approx((adjusted.sum(), (adjusted**2).sum()), rel=1e-12)


def test_srm_test_equals_scipy_chisquare():
    r = srm_test({"control": 50_310, "treatment": 49_690})
    ref = stats.chisquare([50_310, 49_690])
    assert (r.statistic, r.p_value) == pytest.approx((ref.statistic, ref.pvalue), abs=TOL)
    r3 = srm_test([200, 310, 490], expected=[0.2, 0.3, 0.5])
    ref3 = stats.chisquare([200, 310, 490], f_exp=[200, 300, 500])
    assert r3.p_value == pytest.approx(ref3.pvalue, abs=TOL)


def test_sample_size_matches_statsmodels_and_r():
    r = sample_size_proportions(0.03, 0.02, power=0.8, alpha=0.05)
    assert abs(r.exact - 3825.15) < 0.01  # R: power.prop.test(p1 = .03, p2 = .02, power = .8) -> 3825.15
    assert abs(r.n_per_arm - 3825.15) <= 1
    assert r.exact == pytest.approx(samplesize_proportions_2indep_onetail(0.01, 0.02, 0.8, alpha=0.05), abs=TOL)
    assert sample_size_proportions(0.02, 0.03).exact == pytest.approx(r.exact, rel=1e-6)
    assert power_proportions(0.03, 0.02, r.exact) == pytest.approx(0.8, abs=1e-4)
    ref = power_proportions_2indep(0.01, 0.02, 5000, alpha=0.01).power
    assert power_proportions(0.03, 0.02, 5000, alpha=0.01) == pytest.approx(ref, abs=TOL)


def test_adjust_pvalues_equals_multipletests():
    results = [two_proportion_test(100, 4000, 100 + k, 4000, metric=f"m{k}") for k in (5, 20, 30, 45)]
    for method in ("holm", "fdr_bh"):
        table = adjust_pvalues(results, method=method)
        reject, adjusted, _, _ = multipletests([r.p_value for r in results], method=method)
        assert table["p_adjusted"].to_numpy() == pytest.approx(adjusted, abs=TOL)
        assert (table["reject"].to_numpy() == reject).all()


def test_bootstrap_scipy_path_equals_scipy_bootstrap():
    rng = np.random.default_rng(5)
    a, b = rng.exponential(1.0, 300), rng.exponential(1.2, 280)
    for method in ("percentile", "BCa"):
        r = bootstrap_ci(a, b, method=method, n_resamples=999, seed=9)
        ref = stats.bootstrap(
            (a, b),
            lambda x, y, axis=-1: np.mean(y, axis=axis) - np.mean(x, axis=axis),
            n_resamples=999,
            method=method,
            rng=np.random.default_rng(9),
        )
        assert (r.ci_low, r.ci_high) == pytest.approx(tuple(ref.confidence_interval), abs=TOL)


def test_poisson_bootstrap_agrees_with_the_user_level_bootstrap():
    """Bucketed, unit-level Poisson and scipy's index bootstrap estimate the same interval (within resampling noise)."""
    rng = np.random.default_rng(6)
    a, b = rng.gamma(0.3, 30, 8_000), rng.gamma(0.3, 31, 8_000)
    scipy_r = bootstrap_ci(a, b, method="percentile", n_resamples=1000, seed=1)
    bucketed = bootstrap_ci(a, b, method="poisson", buckets=1000, n_resamples=2000, seed=1)
    unit = bootstrap_ci(a[:3000], b[:3000], method="poisson", buckets=None, n_resamples=500, seed=1)
    width = scipy_r.ci_high - scipy_r.ci_low
    assert bucketed.ci_high - bucketed.ci_low == pytest.approx(width, rel=0.1)
    se = np.sqrt(a[:3000].var(ddof=1) / 3000 + b[:3000].var(ddof=1) / 3000)
    assert (unit.ci_high - unit.ci_low) / (2 * 1.96 * se) == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize(("est", "var", "tau2"), [(0.02, 1e-4, 4e-4), (-0.3, 0.05, 0.01), (1.0, 2.0, 9.0)])
def test_mixture_boundary_equals_numerical_integration(est, var, tau2):
    """The mixture likelihood ratio of the sequence is the N(0, tau^2) average of normal likelihood ratios."""
    lr = integrate.quad(
        lambda d: np.exp((d * est - d**2 / 2) / var) * stats.norm.pdf(d, scale=np.sqrt(tau2)),
        -40 * np.sqrt(tau2),
        40 * np.sqrt(tau2),
        epsabs=0,
        epsrel=1e-12,
    )[0]
    _, _, p = core.mixture_sequence(est, var, tau2, 0.05)
    assert float(p) == pytest.approx(min(1.0, 1 / lr), rel=1e-9)
    # the boundary: at the sequence's edge the likelihood ratio of that effect is exactly 1/alpha
    low, high, _ = core.mixture_sequence(est, var, tau2, 0.05)
    edge = est - float(low)
    log_lr = 0.5 * np.log(var / (var + tau2)) + tau2 * edge**2 / (2 * var * (var + tau2))
    assert log_lr == pytest.approx(np.log(20), rel=1e-9)


def test_sequential_path_uses_the_welch_estimate_at_each_look():
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 400), rng.normal(0.2, 1, 420)
    la, lb = rng.integers(1, 6, 400), rng.integers(1, 6, 420)
    r = sequential_test(a, b, la, lb)
    for row in r.path.itertuples():
        ref = stats.ttest_ind(b[lb <= row.look], a[la <= row.look], equal_var=False)
        assert row.p_fixed == pytest.approx(ref.pvalue, abs=TOL)
        assert row.estimate == pytest.approx(b[lb <= row.look].mean() - a[la <= row.look].mean(), abs=TOL)
    assert r.p_value == pytest.approx(r.path["p_always_valid"].min())
    assert (np.diff(r.path["p_always_valid"]) <= 0).all()
    wider = (r.path["ci_high"] - r.path["ci_low"]) > (r.path["fixed_high"] - r.path["fixed_low"])
    assert wider.all()


def test_funnel_equals_a_plain_pandas_count():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2, 2, 3, 3, 3],
            "session_id": [10, 10, 10, 11, 20, 20, 30, 30, 30],
            "timestamp": pd.to_datetime(
                [
                    "2023-01-01 10:00",
                    "2023-01-01 10:02",
                    "2023-01-01 10:05",
                    "2023-01-03 09:00",
                    "2023-01-02 08:00",
                    "2023-01-02 08:10",
                    "2023-01-05 12:00",
                    "2023-01-05 12:01",
                    "2023-01-05 12:30",
                ]
            ),  # fmt: skip
            "event_type": ["view", "cart", "purchase", "view", "view", "cart", "view", "view", "view"],
            "segment": ["a", "a", "a", "a", "b", "b", "a", "a", "a"],
        }
    )
    from shopcase.experiments import funnel

    table = funnel(events).set_index("step")
    assert table["sessions"].tolist() == [4, 2, 1]
    assert table["users"].tolist() == [3, 2, 1]
    assert table.loc["cart", "step_conversion"] == pytest.approx(0.5)
    assert table.loc["purchase", "step_conversion"] == pytest.approx(0.5)
    assert table.loc["purchase", "median_minutes_in_session"] == pytest.approx(5.0)
    assert table.loc["cart", "median_minutes_in_session"] == pytest.approx(6.0)  # sessions 10 (2 min) and 20 (10 min)
    assert table.loc["purchase", "median_days_to_first"] == pytest.approx(5 / 1440)
    by = funnel(events, by="segment").set_index(["segment", "step"])
    assert by.loc[("a", "view"), "sessions"] == 3 and by.loc[("b", "cart"), "sessions"] == 1
    assert by.loc[("a", "purchase"), "user_conversion"] == pytest.approx(0.5)

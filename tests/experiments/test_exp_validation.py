"""Bad input gets a ValueError naming the argument; nothing is dropped silently."""

import numpy as np
import pandas as pd
import pytest

from shopcase.experiments import (
    adjust_pvalues,
    bootstrap_ci,
    cuped,
    funnel,
    minimum_detectable_effect,
    power_curve,
    ratio_metric_test,
    sample_size_proportions,
    sequential_test,
    srm_test,
    two_proportion_test,
    welch_test,
)

ok = np.arange(10.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # arms with no users
        (lambda: welch_test([], ok), "control has no users"),
        (lambda: welch_test(ok, []), "treatment has no users"),
        (lambda: two_proportion_test(0, 0, 1, 10), "users_control"),
        (lambda: ratio_metric_test([], [], ok, ok), "control_numerator has no users"),
        (lambda: bootstrap_ci([], ok), "control has no users"),
        (lambda: bootstrap_ci(ok, [], method="poisson"), "treatment has no users"),
        (lambda: cuped(ok, [], ok, []), "treatment has no users"),
        # a single arm
        (lambda: srm_test([100]), "counts needs at least two arms"),
        # unequal lengths
        (lambda: ratio_metric_test(ok, ok[:5], ok, ok), "control_numerator, control_denominator must have the same"),
        (lambda: cuped(ok, ok, ok[:4], ok), "control, control_pre must have the same length"),
        (lambda: sequential_test(ok, ok, ok[:3], ok), "control, control_looks must have the same length"),
        (lambda: srm_test([10, 20], expected=[0.5, 0.3, 0.2]), "counts, expected must have the same length"),
        # NaN or infinite outcomes
        (lambda: welch_test([1.0, np.nan, 2.0], ok), "control has 1 missing or infinite"),
        (lambda: welch_test(ok, [1.0, np.inf, 2.0]), "treatment has 1 missing or infinite"),
        (lambda: bootstrap_ci(ok, [np.nan, 1.0, 2.0], method="poisson"), "treatment has 1 missing"),
        (lambda: cuped(ok, ok, ok, [np.nan] * 10), "treatment_pre has 10 missing"),
        # negative revenue
        (lambda: welch_test(ok, -ok, nonnegative=True), "treatment has 9 negative"),
        (lambda: ratio_metric_test(ok, ok, -ok, ok), "treatment_numerator has 9 negative"),
        (lambda: bootstrap_ci(np.c_[-ok, ok], statistic="ratio", method="poisson"), r"control\[:, 0\] has 9 negative"),
        # conversions greater than users
        (lambda: two_proportion_test(11, 10, 1, 10), r"conversions_control \(11\) is greater than"),
        (lambda: two_proportion_test(1, 10, 12, 10), "conversions_treatment"),
        (lambda: two_proportion_test(-1, 10, 1, 10), "conversions_control"),
        # alpha or power outside (0, 1)
        (lambda: two_proportion_test(1, 10, 1, 10, alpha=1.5), "alpha"),
        (lambda: welch_test(ok, ok, alpha=0), "alpha"),
        (lambda: sample_size_proportions(0.03, 0.02, power=1.0), "power"),
        (lambda: sample_size_proportions(0.03, 0.02, alpha=-0.1), "alpha"),
        (lambda: sample_size_proportions(0.03, 0.03), "p1 and p2 are equal"),
        (lambda: sample_size_proportions(1.2, 0.03), "p1"),
        (lambda: minimum_detectable_effect(0.03, 100, power=2), "power"),
        (lambda: power_curve(0.5, [0.1, 1.5]), "lifts"),
        (lambda: sequential_test(ok, ok, ok, ok, alpha=1), "alpha"),
        (lambda: srm_test([10, 12], alpha=0), "alpha"),
        (lambda: adjust_pvalues([], "holm"), "results is empty"),
        (lambda: bootstrap_ci(ok, ok, method="jackknife"), "method"),
        (lambda: bootstrap_ci(ok, ok, statistic=np.median, method="poisson"), "statistic of sums"),
        (lambda: bootstrap_ci(ok, ok, n_resamples=10), "n_resamples"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_funnel_rejects_unknown_steps_and_missing_columns():
    events = pd.DataFrame(
        {"user_id": [1], "session_id": [1], "timestamp": pd.to_datetime(["2023-01-01"]), "event_type": ["wishlist"]}
    )
    with pytest.raises(ValueError, match="event_type.*wishlist"):
        funnel(events)
    with pytest.raises(ValueError, match="missing column"):
        funnel(events.drop(columns="session_id"))
    with pytest.raises(ValueError, match="missing column"):
        funnel(events.assign(event_type="view"), by="device")
    with pytest.raises(ValueError, match="'user_id' has 1 of 1 rows missing"):
        funnel(events.assign(event_type="view", user_id=np.nan))


def test_results_print_as_one_line():
    results = [
        two_proportion_test(30, 1000, 40, 1000),
        welch_test(ok, ok + 1),
        cuped(ok + np.arange(10) % 3, ok + 1, ok, ok),
        srm_test([100, 120]),
        sample_size_proportions(0.03, 0.02),
        bootstrap_ci(ok, ok + 1, method="poisson", buckets=20),
        sequential_test(ok, ok + 1, ok, ok),
    ]
    for result in results:
        assert "\n" not in str(result) and len(str(result)) > 40
        with pytest.raises(AttributeError):
            result.alpha = 0.1  # frozen

"""Checkers of notebook 06: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop
from shopcase.exercises import ex06
from shopcase.experiments import funnel, sample_size_proportions


@pytest.fixture(scope="module")
def events():
    return generate_shop(n_users=500, n_items=300, seed=5).events


def test_abandonment(events):
    steps = funnel(events).set_index("step")
    right = 1 - steps.loc["purchase", "sessions"] / steps.loc["cart", "sessions"]
    assert ex06.check_abandonment(None, events).status == "not attempted"
    assert ex06.check_abandonment(float(right), events).passed
    wrong = ex06.check_abandonment(float(1 - right), events)
    assert not wrong.passed and "*do* become orders" in wrong.message
    all_sessions = ex06.check_abandonment(float(steps.loc["purchase", "session_conversion"]), events)
    assert "all* sessions" in all_sessions.message
    assert "percentage" in ex06.check_abandonment(float(right) * 100, events).message


def test_sample_size():
    p = 0.1
    right = sample_size_proportions(p * 1.05, p).exact
    assert ex06.check_sample_size(None, p, 0.05).status == "not attempted"
    assert ex06.check_sample_size(right, p, 0.05).passed
    assert "total" in ex06.check_sample_size(2 * right, p, 0.05).message
    one_sided = sample_size_proportions(p * 1.05, p, alternative="larger").exact
    assert "one-sided" in ex06.check_sample_size(one_sided, p, 0.05).message
    absolute = sample_size_proportions(p + 0.05, p).exact
    assert "relative" in ex06.check_sample_size(absolute, p, 0.05).message


def test_theta():
    rng = np.random.default_rng(1)
    pre = rng.gamma(1.0, 10.0, 400)
    users = pd.DataFrame(
        {
            "arm": pd.Categorical(np.where(rng.random(400) < 0.5, "control", "treatment")),
            "pre_revenue": pre,
            "revenue": 0.4 * pre + rng.gamma(1.0, 5.0, 400),
        }
    )
    theta = np.cov(users["pre_revenue"], users["revenue"])[0, 1] / users["pre_revenue"].var()
    assert ex06.check_theta(None, users).status == "not attempted"
    assert ex06.check_theta(float(theta), users).passed
    rho = np.corrcoef(users["pre_revenue"], users["revenue"])[0, 1]
    assert "correlation" in ex06.check_theta(float(rho), users).message
    control = users[users["arm"] == "control"]
    only = np.cov(control["pre_revenue"], control["revenue"])[0, 1] / control["pre_revenue"].var()
    assert "control arm only" in ex06.check_theta(float(only), users).message


def test_peeking():
    p = np.array([[0.5, 0.04, 0.3], [0.2, 0.3, 0.01], [0.6, 0.7, 0.8], [0.9, 0.5, 0.2]])
    sequence = {"p_fixed": p}
    assert ex06.check_peeking(None, sequence).status == "not attempted"
    assert ex06.check_peeking(0.5, sequence).passed
    assert "last look" in ex06.check_peeking(0.25, sequence).message
    assert "averages over looks" in ex06.check_peeking(2 / 12, sequence).message

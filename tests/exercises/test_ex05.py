"""Checkers of notebook 05: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.churn import BGNBD, PAPER_CDNOW_PARAMS, retention_targets
from shopcase.exercises import ex05


def test_latest_training_date():
    check = ex05.check_latest_training_date
    assert check(None, "2023-10-01", 90).status == "not attempted"
    assert check("2023-07-03", "2023-10-01", 90).passed
    assert check(pd.Timestamp("2023-07-03"), "2023-10-01", 90).passed
    late = check("2023-07-04", "2023-10-01", 90)
    assert not late.passed and "too late" in late.message and "1 day(s)" in late.message
    assert "too late" in check("2023-10-01", "2023-10-01", 90).message
    early = check("2023-07-01", "2023-10-01", 90)
    assert not early.passed and "not the latest" in early.message
    assert "a date such as" in check("soon", "2023-10-01", 90).message


def test_p_alive():
    x, t_x, T = 2, 30.4, 38.9
    model = BGNBD()
    model.params_ = dict(PAPER_CDNOW_PARAMS)
    right = float(model.p_alive([x], [t_x], [T])[0])
    r, alpha, a, b = (PAPER_CDNOW_PARAMS[k] for k in ("r", "alpha", "a", "b"))
    by_hand = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    check = ex05.check_p_alive
    assert check(None, PAPER_CDNOW_PARAMS, x, t_x, T).status == "not attempted"
    assert check(by_hand, PAPER_CDNOW_PARAMS, x, t_x, T).passed and by_hand == pytest.approx(right)
    inverted = 1 / (1 + a / (b + x - 1) * ((alpha + t_x) / (alpha + T)) ** (r + x))
    assert "upside down" in check(inverted, PAPER_CDNOW_PARAMS, x, t_x, T).message
    assert "P(dead)" in check(1 - right, PAPER_CDNOW_PARAMS, x, t_x, T).message
    assert not check("0.7", PAPER_CDNOW_PARAMS, x, t_x, T).passed


@pytest.fixture()
def risk():
    rng = np.random.default_rng(0)
    n = 300
    p = rng.random(n)
    frame = pd.DataFrame(
        {"customer_id": np.arange(n), "churn_probability": p, "customer_value": rng.lognormal(5.0, 1.5, n)}
    )
    frame["risk_segment"] = np.where(p > 0.7, "HIGH", np.where(p > 0.4, "MEDIUM", "LOW"))
    return frame


def test_plan(risk):
    check = ex05.check_plan
    assert check(None, risk, 200.0, 5.0, 0.15).status == "not attempted"
    right = retention_targets(risk, 100.0, 5.0, 0.3)
    feedback = check(right, risk, 200.0, 5.0, 0.15)
    assert feedback.passed and "20 offers (before: 40)" in feedback.message
    only_uplift = check(retention_targets(risk, 200.0, 5.0, 0.3), risk, 200.0, 5.0, 0.15)
    assert not only_uplift.passed and "halve the budget" in only_uplift.message
    only_budget = check(retention_targets(risk, 100.0, 5.0, 0.15), risk, 200.0, 5.0, 0.15)
    assert not only_budget.passed and "double the uplift" in only_budget.message
    assert "RetentionPlan" in check(right.summary, risk, 200.0, 5.0, 0.15).message


def test_low_risk_target(risk):
    plan = retention_targets(risk, 200.0, 5.0, 0.15)
    segments = risk.set_index("customer_id")["risk_segment"]
    targets = plan.targets.assign(segment=plan.targets["customer_id"].map(segments))
    low = targets[targets["segment"] == "LOW"].sort_values("expected_gain", ascending=False)
    assert len(low) >= 2  # the fixture has LOW-risk customers worth an offer
    check = ex05.check_low_risk_target
    assert check(None, plan, risk, 5.0, 0.15).status == "not attempted"
    right = check(low["customer_id"].iloc[0], plan, risk, 5.0, 0.15)
    assert right.passed and "likely to churn, but worth" in right.message
    assert "another has a higher expected_gain" in check(low["customer_id"].iloc[1], plan, risk, 5.0, 0.15).message
    high = targets.loc[targets["segment"] == "HIGH", "customer_id"].iloc[0]
    assert "in the HIGH segment" in check(high, plan, risk, 5.0, 0.15).message
    outside = int(risk.loc[~risk["customer_id"].isin(plan.targets["customer_id"]), "customer_id"].iloc[0])
    assert "not among plan.targets" in check(outside, plan, risk, 5.0, 0.15).message
    nobody = retention_targets(risk[risk["risk_segment"] != "LOW"], 200.0, 5.0, 0.15)
    assert check("none", nobody, risk, 5.0, 0.15).passed
    assert "answer 'none'" in check(3, nobody, risk, 5.0, 0.15).message


def test_gap_verdict():
    rng = np.random.default_rng(1)
    p = rng.random(600)
    y = rng.random(600) < p
    noisy = np.clip(p + rng.normal(0, 0.4, 600), 0, 1)
    twin = np.clip(p + rng.normal(0, 0.01, 600), 0, 1)
    check = ex05.check_gap_verdict
    assert check(None, y, p, noisy, n_boot=200).status == "not attempted"
    assert check("yes", y, p, noisy, n_boot=200).passed
    assert check("no", y, noisy, p, n_boot=200).passed
    assert check("within noise", y, p, twin, n_boot=200).passed
    wrong = check("yes", y, p, twin, n_boot=200)
    assert not wrong.passed and "look at its interval" in wrong.message
    assert "read its sign" in check("within noise", y, p, noisy, n_boot=200).message
    assert "'yes', 'no' or 'within noise'" in check("maybe", y, p, noisy, n_boot=200).message

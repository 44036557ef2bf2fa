"""Checkers for the exercises of ``05_churn.ipynb``.

Each checker recomputes the expected answer from what the notebook passes in, so the exercises work on
any shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from shopcase.churn import BGNBD, RetentionPlan, bootstrap_differences, retention_targets
from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet
from shopcase.schema import CHURN_PROBABILITY, CUSTOMER_ID, RISK_SEGMENT, SEED


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None


def check_latest_training_date(answer: object, test_as_of: object, horizon_days: int) -> Feedback:
    """05.1: the latest ``as_of`` whose ``horizon_days`` labels are all known on ``test_as_of``."""
    if (fb := attempted(answer, "05.1", "set answer to a date, e.g. '2023-07-01'")) is not None:
        return fb
    try:
        given = pd.Timestamp(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return not_yet("05.1", f"answer with a date such as '2023-07-01', got {answer!r}")
    test = pd.Timestamp(test_as_of)
    latest = test - pd.Timedelta(days=horizon_days)
    if given == latest:
        return correct(
            "05.1",
            f"{latest.date()}: its label window [{latest.date()}, {test.date()}) closes exactly on the test date, "
            "so a model trained on it could exist then. Any later date would need purchases from the test period.",
        )
    if given > latest:
        days = (given - latest).days
        return not_yet(
            "05.1",
            f"{given.date()} is too late: its labels run {days} day(s) past {test.date()}, into the test period "
            f"(a label needs the {horizon_days} days after as_of to be over)",
        )
    return not_yet(
        "05.1",
        f"{given.date()} is safe but not the latest: you could train {(latest - given).days} day(s) later; "
        "the label window may end exactly on the test date (the end is exclusive)",
    )


def check_p_alive(answer: object, params: dict[str, float], x: int, t_x: float, T: float) -> Feedback:
    """05.2: BG/NBD's P(alive | x, t_x, T) with ``params`` (r, alpha, a, b), computed by hand."""
    if (fb := attempted(answer, "05.2", "set answer to P(alive) (a float between 0 and 1)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("05.2", f"the answer should be one number, got {type(answer).__name__}")
    model = BGNBD()
    model.params_ = dict(params)
    expected = float(model.p_alive([x], [t_x], [T])[0])
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    mistakes = {
        "the ratio upside down: it is ((alpha + T) / (alpha + t_x))^(r + x)": 1
        / (1 + a / (b + x - 1) * ((alpha + t_x) / (alpha + T)) ** (r + x)),
        "b + x where the formula has b + x - 1": 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)),
        "P(dead) instead of P(alive)": 1 - expected,
    }
    if abs(value - expected) < 1e-6:
        return correct(
            "05.2",
            f"P(alive) = {expected:.4f}: {x} repeat purchases, then silence from week {t_x:g} to {T:g}. The longer "
            "the silence compared with the customer's own pace, the likelier the drop-out happened.",
        )
    for mistake, wrong in mistakes.items():
        if abs(value - wrong) < 1e-6:
            return not_yet("05.2", f"it looks like you used {mistake}")
    return not_yet("05.2", f"{value:.4f} is off; check each term of 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))")


def check_plan(
    answer: object, scores: pd.DataFrame, budget: float, offer_cost: float, expected_uplift: float
) -> Feedback:
    """05.3: the plan with twice ``expected_uplift`` and half ``budget`` (the notebook's values passed in)."""
    if (fb := attempted(answer, "05.3", "set answer to the RetentionPlan retention_targets returns")) is not None:
        return fb
    if not isinstance(answer, RetentionPlan):
        return not_yet("05.3", f"answer with the RetentionPlan from retention_targets, got {type(answer).__name__}")
    uplift = min(2 * expected_uplift, 1.0)
    expected = retention_targets(scores, budget / 2, offer_cost, uplift)
    before = retention_targets(scores, budget, offer_cost, expected_uplift)
    got, want = answer.summary, expected.summary

    def same(plan: dict[str, float]) -> bool:
        same_gain = np.isclose(plan["expected_net_gain"], got["expected_net_gain"])
        return plan["n_targeted"] == got["n_targeted"] and bool(same_gain)

    if same(want):
        limit = "the budget" if want["n_targeted"] < want["n_positive_gain"] else "the customers worth an offer"
        return correct(
            "05.3",
            f"{want['n_targeted']:.0f} offers (before: {before.summary['n_targeted']:.0f}), net gain "
            f"{want['expected_net_gain']:,.0f} (before: {before.summary['expected_net_gain']:,.0f}). Doubling the "
            f"uplift doubles every offer's return, so {want['n_positive_gain']:.0f} customers are now worth one "
            f"(before: {before.summary['n_positive_gain']:.0f}); {limit} limits the plan.",
        )
    for label, kwargs in {
        "only the uplift changed (halve the budget too)": (budget, uplift),
        "only the budget changed (double the uplift too)": (budget / 2, expected_uplift),
    }.items():
        if same(retention_targets(scores, kwargs[0], offer_cost, kwargs[1]).summary):
            return not_yet("05.3", f"it looks like {label}")
    return not_yet(
        "05.3",
        f"{got['n_targeted']:.0f} offers with net gain {got['expected_net_gain']:,.0f} is not the plan: call "
        "retention_targets(scores, budget / 2, offer_cost, 2 * expected_uplift)",
    )


def check_low_risk_target(
    answer: object, plan: RetentionPlan, risk: pd.DataFrame, offer_cost: float, expected_uplift: float
) -> Feedback:
    """05.4: the LOW-risk customer with the highest expected gain among ``plan``'s targets (or 'none').

    ``risk`` has ``customer_id, churn_probability, risk_segment, customer_value`` for every customer.
    """
    what = "set answer to a customer_id (or 'none' if no LOW-risk customer is targeted)"
    if (fb := attempted(answer, "05.4", what)) is not None:
        return fb
    segments = risk.set_index(CUSTOMER_ID)[RISK_SEGMENT]
    targets = plan.targets.assign(segment=plan.targets[CUSTOMER_ID].map(segments))
    low = targets[targets["segment"] == "LOW"]
    if low.empty:
        if isinstance(answer, str) and answer.lower() == "none":
            return correct("05.4", "no LOW-risk customer is targeted here; try a larger budget or uplift")
        return not_yet("05.4", "no targeted customer is in the LOW segment here; answer 'none'")
    best = low.sort_values("expected_gain", ascending=False, kind="stable").iloc[0]
    if answer == best[CUSTOMER_ID]:
        p, value, gain = best[CHURN_PROBABILITY], best["customer_value"], best["expected_gain"]
        high = risk[risk[RISK_SEGMENT] == "HIGH"]
        high_gain = expected_uplift * high[CHURN_PROBABILITY] * high["customer_value"] - offer_cost
        targeted = high[CUSTOMER_ID].isin(targets[CUSTOMER_ID])
        return correct(
            "05.4",
            f"customer {answer}: only {p:.0%} likely to churn, but worth {value:,.0f} if kept, so the offer is "
            f"expected to return {expected_uplift:g} x {p:.2f} x {value:,.0f} - {offer_cost:g} = {gain:,.1f}. Risk "
            f"alone is not the point: of {len(high)} HIGH-risk customers, {int(targeted.sum())} are targeted, "
            f"{int((high_gain <= 0).sum())} are worth less than the offer costs, and "
            f"{int(((high_gain > 0) & ~targeted).sum())} lose their place to better bets within the budget.",
        )
    if answer in set(targets[CUSTOMER_ID]):
        segment = targets.set_index(CUSTOMER_ID).loc[answer, "segment"]
        if segment != "LOW":
            return not_yet("05.4", f"customer {answer} is targeted but in the {segment} segment; look for LOW")
        return not_yet("05.4", f"customer {answer} is a LOW-risk target, but another has a higher expected_gain")
    return not_yet("05.4", f"customer {answer!r} is not among plan.targets; join plan.targets with risk_segment")


def check_gap_verdict(
    answer: object,
    y: object,
    p_model: object,
    p_bgnbd: object,
    n_boot: int = 1000,
    random_state: int = SEED,
) -> Feedback:
    """05.5: is the model's ROC-AUC above BG/NBD's beyond noise? 'yes', 'no' (BG/NBD is better) or 'within noise'."""
    if (fb := attempted(answer, "05.5", "set answer to 'yes', 'no' or 'within noise'")) is not None:
        return fb
    if answer not in ("yes", "no", "within noise"):
        return not_yet("05.5", f"answer with 'yes', 'no' or 'within noise', got {answer!r}")
    table = bootstrap_differences(
        y, {"model": p_model, "BG/NBD": p_bgnbd}, "model", n_boot=n_boot, random_state=random_state
    )
    row = table[table["metric"] == "roc_auc"].iloc[0]
    expected = "within noise" if row["verdict"] == "within noise" else ("yes" if row["difference"] > 0 else "no")
    interval = f"{row['difference']:+.3f} (95% interval {row['ci_low']:+.3f} to {row['ci_high']:+.3f})"
    if answer == expected:
        return correct(
            "05.5",
            f"model - BG/NBD = {interval}: "
            + (
                "the interval contains 0, so this shop's customers cannot tell the two apart."
                if expected == "within noise"
                else "the interval excludes 0, so the gap is more than the luck of which customers were drawn."
            ),
        )
    if expected == "within noise":
        return not_yet("05.5", f"the point estimate is {row['difference']:+.3f}, but look at its interval: {interval}")
    return not_yet("05.5", f"the interval {interval} excludes 0; read its sign")

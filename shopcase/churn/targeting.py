"""Who gets a retention offer: expected net gain under a budget.

For a customer with churn probability ``p`` and expected value ``v`` (what
they are worth if they stay, e.g. BG/NBD expected purchases x average order
value), an offer costing ``c`` that prevents churn with probability ``u``
(the uplift: the fraction of would-be churners it retains) is worth::

    value at risk      = p x v
    expected net gain  = u x p x v - c

Every offer costs the same, so taking customers by decreasing gain until the
budget runs out maximises the total expected gain; customers whose gain is
not positive are never targeted (an offer to them loses money in expectation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.schema import CHURN_PROBABILITY, CUSTOMER_ID, RANK
from shopcase.validate import require_columns


def _check_number(value: object, name: str, low: float, high: float = np.inf, strict_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    too_low = number <= low if strict_low else number < low
    if not np.isfinite(number) or too_low or number > high:
        interval = f"{'(' if strict_low else '['}{low}, {high}]"
        raise ValueError(f"{name} must be finite and in {interval}, got {value!r}")
    return number


def value_at_risk(churn_probability: object, customer_value: object) -> np.ndarray:
    """``P(churn) x expected customer value`` per customer, shape ``(n,)``, in the value's currency."""
    p = np.asarray(churn_probability, dtype=float)
    v = np.asarray(customer_value, dtype=float)
    if p.shape != v.shape:
        raise ValueError(f"churn_probability and customer_value differ in shape: {p.shape} vs {v.shape}")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("churn_probability must be finite and in [0, 1]")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError("customer_value must be finite and >= 0")
    return p * v


@dataclass
class RetentionPlan:
    """``targets``: the customers chosen, best first; ``summary``: counts, spend and expected return."""

    targets: pd.DataFrame
    summary: dict[str, float]


def retention_targets(
    scores: pd.DataFrame,
    budget: float,
    offer_cost: float,
    expected_uplift: float,
    value_column: str = "customer_value",
) -> RetentionPlan:
    """Pick customers by expected net gain ``uplift x P(churn) x value - cost``, within ``budget``.

    ``scores`` has ``customer_id``, ``churn_probability`` and ``value_column``.
    At most ``floor(budget / offer_cost)`` customers are chosen, only with a
    positive gain, best first (ties by ``customer_id`` order in ``scores``).

    ``targets`` columns: ``customer_id, churn_probability, customer_value,
    value_at_risk, expected_gain, rank``. ``summary``: ``n_customers``,
    ``n_positive_gain``, ``n_targeted``, ``spend``, ``expected_retained_value``
    (uplift x value at risk of the targets), ``expected_net_gain``
    (retained value - spend) and ``roi`` (net gain / spend, NaN if nothing is spent).

    Raises ``ValueError`` for a negative budget, a cost <= 0, an uplift
    outside [0, 1], or bad scores (missing columns, duplicated ids,
    probabilities outside [0, 1], negative values).
    """
    budget = _check_number(budget, "budget", 0.0)
    offer_cost = _check_number(offer_cost, "offer_cost", 0.0, strict_low=True)
    uplift = _check_number(expected_uplift, "expected_uplift", 0.0, 1.0)
    require_columns(scores, [CUSTOMER_ID, CHURN_PROBABILITY, value_column], "scores")
    if scores[CUSTOMER_ID].duplicated().any():
        raise ValueError(
            f"scores: column 'customer_id' has {int(scores['customer_id'].duplicated().sum())} duplicated ids"
        )
    at_risk = value_at_risk(scores[CHURN_PROBABILITY].to_numpy(dtype=float), scores[value_column].to_numpy(dtype=float))
    gain = uplift * at_risk - offer_cost
    table = pd.DataFrame(
        {
            CUSTOMER_ID: scores[CUSTOMER_ID].to_numpy(),
            CHURN_PROBABILITY: scores[CHURN_PROBABILITY].to_numpy(dtype=float),
            "customer_value": scores[value_column].to_numpy(dtype=float),
            "value_at_risk": at_risk,
            "expected_gain": gain,
        }
    )
    # Small float tolerance: budget / cost like 0.3 / 0.1 must give 3 offers, not 2.
    max_offers = int(np.floor(budget / offer_cost + 1e-9))
    order = np.argsort(-gain, kind="stable")
    chosen = order[gain[order] > 0][:max_offers]
    targets = table.iloc[chosen].reset_index(drop=True)
    targets[RANK] = np.arange(1, len(targets) + 1)
    spend = len(targets) * offer_cost
    retained = float(uplift * targets["value_at_risk"].sum())
    summary = {
        "n_customers": int(len(table)),
        "n_positive_gain": int((gain > 0).sum()),
        "n_targeted": int(len(targets)),
        "spend": float(spend),
        "expected_retained_value": retained,
        "expected_net_gain": retained - spend,
        "roi": (retained - spend) / spend if spend > 0 else float("nan"),
    }
    return RetentionPlan(targets=targets, summary=summary)

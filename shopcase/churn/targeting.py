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
from shopcase.validate import (
    check_array,
    check_number,
    check_probability,
    check_same_length,
    check_unique,
    require_columns,
)


def value_at_risk(churn_probability: object, customer_value: object) -> np.ndarray:
    """``P(churn) x expected customer value`` per customer, shape ``(n,)``, in the value's currency."""
    p = check_array(churn_probability, "churn_probability", low=0.0, high=1.0, allow_empty=True)
    v = check_array(customer_value, "customer_value", low=0.0, allow_empty=True)
    check_same_length(churn_probability=p, customer_value=v)
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
    budget = check_number(budget, "budget", low=0.0)
    offer_cost = check_number(offer_cost, "offer_cost", low=0.0, low_inclusive=False)
    uplift = check_probability(expected_uplift, "expected_uplift", inclusive=True)
    require_columns(scores, [CUSTOMER_ID, CHURN_PROBABILITY, value_column], "scores")
    check_unique(scores, CUSTOMER_ID, "scores")
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

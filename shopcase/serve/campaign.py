"""Retention campaigns: who at risk gets an email, with which items, and what contacting them is worth.

``campaign_lists`` takes churn scores (``customer_id, churn_probability, risk_segment``, e.g.
``ChurnModel.predict_churn_risk``), keeps the HIGH and MEDIUM customers, skips those the frequency cap says
were contacted enough lately, and gives each a personal list of items they have not bought, spread across
categories (at most ``max_per_category`` per category), through the same rules as the nightly batch.
Each customer's expected value of being contacted is ``uplift x P(churn) x value - cost``
(``churn.targeting``'s formula); customers for whom it is not positive are left out, best first.
``value`` is what the customer is worth if they stay: ``shopcase.churn.customer_value``'s
``value_if_active`` (BG/NBD x Gamma-Gamma), which that frame can be given as directly. Its
``expected_value`` would count the risk of leaving twice, as P(churn) is already in the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.churn.model import SEGMENTS
from shopcase.churn.targeting import value_at_risk
from shopcase.schema import CHURN_PROBABILITY, CUSTOMER_ID, RISK_SEGMENT, TIMESTAMP, USER_ID
from shopcase.serve.rules import BusinessRules, recommend_with_rules
from shopcase.validate import (
    as_timestamp,
    check_int,
    check_number,
    check_probability,
    check_unique,
    datetime_column,
    require_columns,
)

EXPECTED_VALUE = "expected_value"
VALUE_IF_ACTIVE = "value_if_active"
"""The column of ``shopcase.churn.customer_value`` that is a customer's worth if they stay."""
CONTACTS = "recent_contacts"


@dataclass(frozen=True)
class Campaign:
    """``customers``: one row per customer to contact, best expected value first; ``items``: their lists."""

    customers: pd.DataFrame
    items: pd.DataFrame
    at_risk: int
    capped: int
    not_worth: int
    as_of: pd.Timestamp

    def contacts(self) -> pd.DataFrame:
        """``user_id, timestamp`` of the emails this campaign sends (as ``as_of``): next campaigns' ``contacts``."""
        return pd.DataFrame({USER_ID: self.customers[CUSTOMER_ID].to_numpy(), TIMESTAMP: self.as_of})

    def __str__(self) -> str:
        segments = self.customers[RISK_SEGMENT].value_counts()
        by_segment = ", ".join(f"{s} {int(segments.get(s, 0)):,}" for s in ("HIGH", "MEDIUM"))
        return (
            f"campaign: {len(self.customers):,} of {self.at_risk:,} at-risk customers ({by_segment}), "
            f"{len(self.items):,} items, expected value {self.customers[EXPECTED_VALUE].sum():,.1f}; "
            f"{self.capped:,} skipped by the frequency cap, {self.not_worth:,} not worth an email"
        )


def _recent_contacts(contacts: pd.DataFrame | None, customers: pd.Series, as_of: pd.Timestamp, days: int) -> np.ndarray:
    if contacts is None:
        return np.zeros(len(customers), dtype=np.int64)
    require_columns(contacts, [USER_ID, TIMESTAMP], "contacts")
    stamps = datetime_column(contacts, TIMESTAMP, "contacts")
    recent = contacts[(stamps < as_of) & (stamps >= as_of - pd.Timedelta(days=days))]
    counts = recent.groupby(USER_ID).size()
    return counts.reindex(customers.to_numpy(), fill_value=0).to_numpy(dtype=np.int64)


def campaign_lists(
    scores: pd.DataFrame,
    model,
    *,
    as_of: object,
    customer_value: pd.DataFrame | pd.Series | float,
    n: int = 5,
    segments: tuple[str, ...] = ("HIGH", "MEDIUM"),
    max_per_category: int = 1,
    item_category: pd.Series | None = None,
    out_of_stock: tuple = (),
    contacts: pd.DataFrame | None = None,
    max_contacts: int = 1,
    cap_days: int = 14,
    uplift: float = 0.1,
    contact_cost: float = 0.5,
) -> Campaign:
    """Personal retention lists for at-risk customers.

    Parameters
    ----------
    scores : DataFrame
        ``customer_id, churn_probability, risk_segment``, one row per customer.
    model : recommender
        A fitted shopcase recommender whose users are the customers (``exclude_seen``: items they bought).
    as_of : date-like
        When the campaign is sent; the frequency cap looks back ``cap_days`` from it.
    customer_value : DataFrame, Series or float
        What each customer is worth if they stay (currency), indexed by ``customer_id``: the frame
        ``shopcase.churn.customer_value`` returns (its ``value_if_active`` column is used), a Series, or
        one value for all.
    n : int
        Items per email.
    segments : tuple of str
        Risk segments to contact.
    max_per_category : int
        At most this many items of one category per list (spread across categories); needs ``item_category``.
    item_category : Series, optional
        ``item_id -> category``.
    out_of_stock : collection
        Item ids never offered.
    contacts : DataFrame, optional
        Past contacts (``user_id, timestamp``, e.g. the shop's emails).
    max_contacts, cap_days : int
        Frequency cap: a customer with ``max_contacts`` or more contacts in the ``cap_days`` days before
        ``as_of`` is not contacted again.
    uplift : float
        Share of would-be churners an email retains, in (0, 1].
    contact_cost : float
        Cost of one email (currency), >= 0.

    Returns
    -------
    Campaign
        ``customers``: ``customer_id, risk_segment, churn_probability, customer_value, recent_contacts,
        expected_value`` (best first); ``items``: ``customer_id, item_id, score, rank, source``.
    """
    require_columns(scores, [CUSTOMER_ID, CHURN_PROBABILITY, RISK_SEGMENT], "scores")
    check_unique(scores, CUSTOMER_ID, "scores")
    unknown = sorted(set(segments) - set(SEGMENTS))
    if unknown or not segments:
        raise ValueError(f"segments must be a non-empty subset of {SEGMENTS}, got {segments!r}")
    as_of = as_timestamp(as_of, "as_of")
    n = check_int(n, "n")
    max_contacts, cap_days = check_int(max_contacts, "max_contacts"), check_int(cap_days, "cap_days")
    uplift = check_probability(uplift, "uplift", inclusive=True)
    contact_cost = check_number(contact_cost, "contact_cost", low=0)
    at_risk = scores[scores[RISK_SEGMENT].isin(segments)].reset_index(drop=True)
    if isinstance(customer_value, pd.DataFrame):
        require_columns(customer_value, [VALUE_IF_ACTIVE], "customer_value")
        customer_value = customer_value[VALUE_IF_ACTIVE]
    if isinstance(customer_value, pd.Series):
        value = customer_value.reindex(at_risk[CUSTOMER_ID].to_numpy())
        if value.isna().any():
            raise ValueError(f"customer_value has no value for {int(value.isna().sum())} at-risk customers")
        value = value.to_numpy(dtype=np.float64)
    else:
        value = np.full(len(at_risk), check_number(customer_value, "customer_value", low=0))
    customers = at_risk[[CUSTOMER_ID, RISK_SEGMENT, CHURN_PROBABILITY]].assign(customer_value=value)
    customers[CONTACTS] = _recent_contacts(contacts, customers[CUSTOMER_ID], as_of, cap_days)
    customers[EXPECTED_VALUE] = uplift * value_at_risk(customers[CHURN_PROBABILITY], value) - contact_cost
    capped = customers[CONTACTS].to_numpy() >= max_contacts
    worth = customers[EXPECTED_VALUE].to_numpy() > 0
    chosen = customers[~capped & worth].sort_values(
        [EXPECTED_VALUE, CUSTOMER_ID], ascending=[False, True], ignore_index=True
    )
    rules = BusinessRules(
        out_of_stock=tuple(out_of_stock), max_per_category=max_per_category, item_category=item_category
    )
    items = recommend_with_rules(model, chosen[CUSTOMER_ID], n, rules, exclude_seen=True)
    items = items.rename(columns={USER_ID: CUSTOMER_ID})
    return Campaign(chosen, items, len(at_risk), int(capped.sum()), int((~capped & ~worth).sum()), as_of)

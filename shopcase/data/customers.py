"""The reference design's customer table, derived from the event log as of a date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import (
    CART,
    CUSTOMER_ID,
    CUSTOMERS_COLUMNS,
    EMAILS_COLUMNS,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    OPENED,
    ORDER_ID,
    PURCHASE,
    QUANTITY,
    SESSION_ID,
    TIMESTAMP,
    UNIT_PRICE,
    USER_ID,
)
from shopcase.validate import as_timestamp, validate_frame

_DAY = pd.Timedelta(days=1)


def _window_sum(frame: pd.DataFrame, value: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    inside = frame[(frame[TIMESTAMP] >= start) & (frame[TIMESTAMP] < end)]
    return inside.groupby(USER_ID, sort=False)[value].sum()


def customers_as_of(events: pd.DataFrame, as_of: object, emails: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per user with any event strictly before ``as_of``; only those events count.

    Columns (``schema.CUSTOMERS_COLUMNS``): ``first_seen_date`` (first event),
    ``last_purchase_date`` (NaT with no order), ``total_orders`` (distinct
    orders), ``days_as_customer`` (float days from first event to ``as_of``),
    ``total_revenue`` (sum of quantity x unit price), ``emails_sent/opened``
    (before ``as_of``; 0 without an email table), ``carts_created`` (sessions
    with a cart event), ``carts_abandoned`` (of those, sessions with no
    purchase), revenue and orders in the 30 days before ``as_of`` and in the
    30 days before that. Sorted by ``customer_id``.
    """
    return _customers_as_of(validate_frame(events, EVENTS_COLUMNS, "events"), as_timestamp(as_of), emails)


def _customers_as_of(events: pd.DataFrame, as_of: pd.Timestamp, emails: pd.DataFrame | None) -> pd.DataFrame:
    """``customers_as_of`` on an event log already validated by the caller (each entry point validates once)."""
    past = events[events[TIMESTAMP] < as_of]
    if past.empty:
        raise ValueError(f"events: no event before as_of={as_of.date()}; nothing to describe")
    kind = past[EVENT_TYPE]  # compared with == below: no string copy of a categorical column
    purchases = past[kind == PURCHASE].assign(revenue=lambda f: f[QUANTITY] * f[UNIT_PRICE])
    by_user = past.groupby(USER_ID, sort=True)
    customers = pd.DataFrame({"first_seen_date": by_user[TIMESTAMP].min()})
    orders = purchases.drop_duplicates([USER_ID, ORDER_ID])
    customers["last_purchase_date"] = purchases.groupby(USER_ID)[TIMESTAMP].max()
    customers["total_orders"] = orders.groupby(USER_ID).size()
    customers["days_as_customer"] = (as_of - customers["first_seen_date"]) / _DAY
    customers["total_revenue"] = purchases.groupby(USER_ID)["revenue"].sum()

    if emails is not None:
        emails = validate_frame(emails, EMAILS_COLUMNS, "emails")
        sent = emails[emails[TIMESTAMP] < as_of]
        customers["emails_sent"] = sent.groupby(USER_ID).size()
        customers["emails_opened"] = sent.groupby(USER_ID)[OPENED].sum()
    else:
        customers["emails_sent"] = 0
        customers["emails_opened"] = 0

    sessions = past.assign(is_cart=kind == CART, is_purchase=kind == PURCHASE)
    sessions = sessions.groupby([USER_ID, SESSION_ID], sort=False)[["is_cart", "is_purchase"]].any()
    carts = sessions[sessions["is_cart"]]
    customers["carts_created"] = carts.groupby(level=USER_ID).size()
    customers["carts_abandoned"] = (~carts["is_purchase"]).groupby(level=USER_ID).sum()

    windows = {"last_30d": (as_of - 30 * _DAY, as_of), "30_60d": (as_of - 60 * _DAY, as_of - 30 * _DAY)}
    for suffix, (start, end) in windows.items():
        customers[f"revenue_{suffix}"] = _window_sum(purchases, "revenue", start, end)
        customers[f"orders_{suffix}"] = _window_sum(orders.assign(one=1), "one", start, end)

    counts = [c for c in CUSTOMERS_COLUMNS if c not in ("first_seen_date", "last_purchase_date", CUSTOMER_ID)]
    customers[counts] = customers[counts].fillna(0)
    integer_counts = [c for c in counts if c.startswith(("total_orders", "emails", "carts", "orders"))]
    customers[integer_counts] = customers[integer_counts].astype(np.int64)
    customers = customers.rename_axis(CUSTOMER_ID).reset_index()
    return customers[list(CUSTOMERS_COLUMNS)]

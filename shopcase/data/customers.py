"""The reference design's customer table, derived from the event log as of a date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import CUSTOMERS_COLUMNS, EMAILS_COLUMNS, EVENTS_COLUMNS
from shopcase.validate import as_timestamp, validate_frame

_DAY = pd.Timedelta(days=1)


def _window_sum(frame: pd.DataFrame, value: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    inside = frame[(frame["timestamp"] >= start) & (frame["timestamp"] < end)]
    return inside.groupby("user_id", sort=False)[value].sum()


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
    as_of = as_timestamp(as_of)
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    past = events[events["timestamp"] < as_of]
    if past.empty:
        raise ValueError(f"events: no event before as_of={as_of.date()}; nothing to describe")
    kind = past["event_type"].astype(str)
    purchases = past[kind == "purchase"].assign(revenue=lambda f: f["quantity"] * f["unit_price"])
    by_user = past.groupby("user_id", sort=True)
    customers = pd.DataFrame({"first_seen_date": by_user["timestamp"].min()})
    orders = purchases.drop_duplicates(["user_id", "order_id"])
    customers["last_purchase_date"] = purchases.groupby("user_id")["timestamp"].max()
    customers["total_orders"] = orders.groupby("user_id").size()
    customers["days_as_customer"] = (as_of - customers["first_seen_date"]) / _DAY
    customers["total_revenue"] = purchases.groupby("user_id")["revenue"].sum()

    if emails is not None:
        emails = validate_frame(emails, EMAILS_COLUMNS, "emails")
        sent = emails[emails["timestamp"] < as_of]
        customers["emails_sent"] = sent.groupby("user_id").size()
        customers["emails_opened"] = sent.groupby("user_id")["opened"].sum()
    else:
        customers["emails_sent"] = 0
        customers["emails_opened"] = 0

    sessions = past.assign(is_cart=kind == "cart", is_purchase=kind == "purchase")
    sessions = sessions.groupby(["user_id", "session_id"], sort=False)[["is_cart", "is_purchase"]].any()
    carts = sessions[sessions["is_cart"]]
    customers["carts_created"] = carts.groupby(level="user_id").size()
    customers["carts_abandoned"] = (~carts["is_purchase"]).groupby(level="user_id").sum()

    windows = {"last_30d": (as_of - 30 * _DAY, as_of), "30_60d": (as_of - 60 * _DAY, as_of - 30 * _DAY)}
    for suffix, (start, end) in windows.items():
        customers[f"revenue_{suffix}"] = _window_sum(purchases, "revenue", start, end)
        customers[f"orders_{suffix}"] = _window_sum(orders.assign(one=1), "one", start, end)

    counts = [c for c in CUSTOMERS_COLUMNS if c not in ("first_seen_date", "last_purchase_date", "customer_id")]
    customers[counts] = customers[counts].fillna(0)
    integer_counts = [c for c in counts if c.startswith(("total_orders", "emails", "carts", "orders"))]
    customers[integer_counts] = customers[integer_counts].astype(np.int64)
    customers = customers.rename_axis("customer_id").reset_index()
    return customers[list(CUSTOMERS_COLUMNS)]

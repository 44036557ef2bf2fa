"""Column names, dtypes and shared defaults of every table shopcase passes around.

Constants only: every other module imports its column names from here, so a
rename happens in one place. Ids are kept as given (any hashable type) at the
edges; recommenders map them to contiguous indices internally.
"""

from __future__ import annotations

SEED: int = 42
"""Default random seed for every random process in the project."""

K: int = 10
"""Default length of a recommendation list."""

# --- event log -------------------------------------------------------------
EVENT_TYPES: tuple[str, ...] = ("view", "cart", "purchase")
"""Funnel steps, in order. A purchase line is one item of one order."""

EVENTS_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "session_id": "id",
    "timestamp": "datetime",
    "event_type": "category",
    "item_id": "id",
    "quantity": "number",  # units; 1 for views
    "unit_price": "number",  # currency units per unit
    "order_id": "id_or_missing",  # set on purchase lines only
}
"""One row per event. ``order_id`` is missing (``<NA>``) except on purchases."""

EMAILS_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "timestamp": "datetime",
    "opened": "bool",
}
"""One row per marketing email sent; ``opened`` says whether it was opened."""

# --- catalogue and users -----------------------------------------------------
CATALOGUE_COLUMNS: dict[str, str] = {
    "item_id": "id",
    "title": "text",
    "category": "category",
    "brand": "category",
    "price": "number",
    "launch_date": "datetime",
}

USERS_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "signup_date": "datetime",
}

# --- derived tables ------------------------------------------------------------
INTERACTIONS_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "item_id": "id",
    "rating": "number",  # interaction strength, > 0
}
"""What recommenders take: one row per (user, item) with a positive strength."""

CUSTOMERS_COLUMNS: dict[str, str] = {
    "customer_id": "id",
    "first_seen_date": "datetime",
    "last_purchase_date": "datetime_or_missing",  # NaT for customers with no order
    "total_orders": "number",
    "days_as_customer": "number",
    "total_revenue": "number",
    "emails_sent": "number",
    "emails_opened": "number",
    "carts_created": "number",
    "carts_abandoned": "number",
    "revenue_last_30d": "number",
    "revenue_30_60d": "number",
    "orders_last_30d": "number",
    "orders_30_60d": "number",
}
"""The reference design's customer table, always derived from the log as of a date."""

RECOMMENDATIONS_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "item_id": "id",
    "score": "number",
    "rank": "number",  # 1 = best
}

SIMILAR_ITEMS_COLUMNS: dict[str, str] = {
    "item_id": "id",
    "similar_item_id": "id",
    "score": "number",
    "rank": "number",
}

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
"""Interaction strength per event type, as in the reference design."""

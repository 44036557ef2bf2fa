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

# --- column names ------------------------------------------------------------
# Every module names columns through these constants, so a rename happens here only.
USER_ID = "user_id"
ITEM_ID = "item_id"
CUSTOMER_ID = "customer_id"  # a user seen as a buyer (churn, value): the same ids as USER_ID
SESSION_ID = "session_id"
ORDER_ID = "order_id"
TIMESTAMP = "timestamp"
EVENT_TYPE = "event_type"
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
OPENED = "opened"
TITLE = "title"
CATEGORY = "category"
BRAND = "brand"
PRICE = "price"
LAUNCH_DATE = "launch_date"
SIGNUP_DATE = "signup_date"
RATING = "rating"
SCORE = "score"
RANK = "rank"
SIMILAR_ITEM_ID = "similar_item_id"
CHURNED = "churned"
CHURN_PROBABILITY = "churn_probability"
RISK_SEGMENT = "risk_segment"

# --- event types ---------------------------------------------------------------
VIEW, CART, PURCHASE = "view", "cart", "purchase"

# --- event log -------------------------------------------------------------
EVENT_TYPES: tuple[str, ...] = (VIEW, CART, PURCHASE)
"""Funnel steps, in order. A purchase line is one item of one order."""

EVENTS_COLUMNS: dict[str, str] = {
    USER_ID: "id",
    SESSION_ID: "id",
    TIMESTAMP: "datetime",
    EVENT_TYPE: "category",
    ITEM_ID: "id",
    QUANTITY: "number",  # units; 1 for views
    UNIT_PRICE: "number",  # currency units per unit
    ORDER_ID: "id_or_missing",  # set on purchase lines only
}
"""One row per event. ``order_id`` is missing (``<NA>``) except on purchases."""

EMAILS_COLUMNS: dict[str, str] = {
    USER_ID: "id",
    TIMESTAMP: "datetime",
    OPENED: "bool",
}
"""One row per marketing email sent; ``opened`` says whether it was opened."""

# --- catalogue and users -----------------------------------------------------
CATALOGUE_COLUMNS: dict[str, str] = {
    ITEM_ID: "id",
    TITLE: "text",
    CATEGORY: "category",
    BRAND: "category",
    PRICE: "number",
    LAUNCH_DATE: "datetime",
}

USERS_COLUMNS: dict[str, str] = {
    USER_ID: "id",
    SIGNUP_DATE: "datetime",
}

# --- derived tables ------------------------------------------------------------
INTERACTIONS_COLUMNS: dict[str, str] = {
    USER_ID: "id",
    ITEM_ID: "id",
    RATING: "number",  # interaction strength, > 0
}
"""What recommenders take: one row per (user, item) with a positive strength."""

CUSTOMERS_COLUMNS: dict[str, str] = {
    CUSTOMER_ID: "id",
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
    USER_ID: "id",
    ITEM_ID: "id",
    SCORE: "number",
    RANK: "number",  # 1 = best
}

SIMILAR_ITEMS_COLUMNS: dict[str, str] = {
    ITEM_ID: "id",
    SIMILAR_ITEM_ID: "id",
    SCORE: "number",
    RANK: "number",
}

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {VIEW: 1.0, CART: 3.0, PURCHASE: 5.0}
"""Interaction strength per event type, as in the reference design."""

# --- search (issue 11) -----------------------------------------------------------
QUERY_ID = "query_id"
QUERY = "query"
POSITION = "position"  # 1 = top of the result page
CLICKED = "clicked"
PURCHASED = "purchased"
RELEVANCE = "relevance"  # graded true relevance: 0 (not what the query means) .. 3
MATCH = "match"  # how a result page was found: exact, corrected (typos, partial words) or fallback

SEARCH_QUERIES_COLUMNS: dict[str, str] = {
    QUERY_ID: "id",
    USER_ID: "id",
    SESSION_ID: "id",
    TIMESTAMP: "datetime",
    QUERY: "text",
}
"""One row per search: who typed what, when (a simulated log adds the query's kind and flags)."""

SEARCH_PAGES_COLUMNS: dict[str, str] = {
    QUERY_ID: "id",
    POSITION: "number",
    ITEM_ID: "id",
    CLICKED: "bool",
    PURCHASED: "bool",
}
"""One row per result shown: the page a search served and what the user did with it."""

SEARCH_TRUTH_COLUMNS: dict[str, str] = {
    QUERY_ID: "id",
    ITEM_ID: "id",
    RELEVANCE: "number",
}
"""The hidden truth of a simulated search log: every item relevant to a query (relevance > 0)."""

# --- experiments (issue 10) --------------------------------------------------------
ARM = "arm"  # the variant a user was assigned to
CONTROL = "control"
SESSIONS = "sessions"
ORDERS = "orders"
REVENUE = "revenue"  # currency units, >= 0
CONVERTED = "converted"  # at least one order in the period

# --- demand (issue 12) -----------------------------------------------------------
SERIES_ID = "series_id"  # what a demand series is of: an item id or a category
DATE = "date"  # a calendar day (midnight)
DEMAND = "demand"  # units sold that day
IN_STOCK = "in_stock"  # share of the series' items in stock that day, in [0, 1] (1 or 0 for an item)
PROMOTION = "promotion"  # share of the series' items on promotion that day, in [0, 1]
FORECAST = "forecast"  # the point forecast: the predictive mean, units per day
VARIANCE = "variance"  # the predictive variance, units^2
ORIGIN = "origin"  # the first day forecast: the model saw every day before it
MODEL = "model"

DAILY_DEMAND_COLUMNS: dict[str, str] = {
    SERIES_ID: "id",
    DATE: "datetime",
    DEMAND: "number",
}
"""One row per series and day, every day from the series' start to its end (zeros filled); optional columns
``in_stock``, ``promotion``, ``price`` (the day's price) and ``category`` describe the day or the series."""

FORECASTS_COLUMNS: dict[str, str] = {
    SERIES_ID: "id",
    DATE: "datetime",
    FORECAST: "number",
    VARIANCE: "number",
}
"""One row per series and forecast day; quantile columns ``q0.5``, ``q0.9``, ... may follow."""

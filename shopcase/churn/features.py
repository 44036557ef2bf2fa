"""Churn features of every customer, computed strictly from events before ``as_of``.

``customer_features`` starts from ``shopcase.data.customers_as_of`` (the reference customer table)
and derives numeric features from it, plus a few from the purchase lines (basket and category
breadth). Every feature is finite by construction; the documented values for customers with no
order, no email or no cart are listed in ``customer_features``. Feature frames are indexed by
``customer_id``: they are the ``X`` a churn classifier takes, and ids never become a column.

Time convention (shared with ``labels``): features see events with ``timestamp < as_of``; labels
look at ``as_of <= timestamp < as_of + horizon``, so no event is ever in both.

Each public function validates its event log once; the private ``_...`` versions take a log the
caller has validated (``build_churn_dataset`` validates once and calls them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from shopcase.churn.bgnbd import BGNBD, PERIOD_DAYS, summary_from_transactions
from shopcase.data.customers import _customers_as_of
from shopcase.schema import (
    CATEGORY,
    CUSTOMER_ID,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    ITEM_ID,
    ORDER_ID,
    PURCHASE,
    QUANTITY,
    TIMESTAMP,
    USER_ID,
)
from shopcase.validate import (
    as_timestamp,
    check_choice,
    check_int,
    check_no_missing,
    check_unique,
    require_columns,
    validate_frame,
)

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    # Recency, frequency, monetary value and age of the relationship.
    "rfm": (
        "days_since_last_purchase",
        "purchase_frequency",
        "avg_order_value",
        "total_orders",
        "total_revenue",
        "tenure_days",
    ),
    "engagement": ("email_open_rate", "cart_abandonment_rate"),
    "trend": ("revenue_trend", "order_trend"),
    "basket": ("distinct_categories", "mean_basket_size", "mean_units_per_order"),
}
"""Feature groups for the "how much each group adds" ablation; together they are ``FEATURE_COLUMNS``."""

FEATURE_COLUMNS: tuple[str, ...] = tuple(c for group in FEATURE_GROUPS.values() for c in group)
"""Numeric columns of ``customer_features`` (everything except ``customer_id``), in output order."""

BGNBD_FEATURE_COLUMNS: tuple[str, ...] = ("bgnbd_p_alive", "bgnbd_expected_purchases", "bgnbd_p_no_purchase")
"""Optional BG/NBD outputs (``bgnbd_features``) a churn model may use next to ``FEATURE_COLUMNS``."""

BGNBD_SUMMARY_COLUMNS: tuple[str, ...] = (
    "repeat_purchase_days",
    "days_first_to_last_purchase",
    "days_since_first_purchase",
)
"""BG/NBD's summary of a customer in days (``bgnbd_features``): ``x`` (purchase days after the first),
``t_x`` (first to last purchase day) and ``T`` (first purchase day to the day before ``as_of``).
What ``BGNBDClassifier`` reads; ``ChurnModel`` does not by default (they restate recency and frequency)."""

_DAY = pd.Timedelta(days=1)


def _safe_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, 0 where the denominator is 0 (no event to take a rate of)."""
    num = numerator.to_numpy(dtype=float)
    den = denominator.to_numpy(dtype=float)
    return pd.Series(np.divide(num, den, out=np.zeros_like(num), where=den > 0), index=numerator.index)


def _basket_features(purchases: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """Per user: distinct categories (or items) bought, mean distinct items and mean units per order."""
    if catalogue is not None:
        require_columns(catalogue, [ITEM_ID, CATEGORY], "catalogue")
        check_no_missing(catalogue, [ITEM_ID], "catalogue")
        check_unique(catalogue, ITEM_ID, "catalogue")
        category = purchases[ITEM_ID].map(catalogue.set_index(ITEM_ID)[CATEGORY])
        unknown = category.isna()
        if unknown.any():
            examples = purchases.loc[unknown, ITEM_ID].unique()[:5].tolist()
            raise ValueError(
                f"catalogue: {int(unknown.sum()):,} purchase lines have an item_id with no category in the "
                f"catalogue (e.g. {examples})"
            )
        breadth = purchases.assign(category=category).groupby(USER_ID)[CATEGORY].nunique()
    else:
        # Without a catalogue the breadth of taste is the number of distinct items bought.
        breadth = purchases.groupby(USER_ID)[ITEM_ID].nunique()
    # Same order key as customers_as_of: (user, order_id); dropna=False keeps lines without an order id.
    per_order = purchases.groupby([USER_ID, ORDER_ID], dropna=False, sort=False).agg(
        items=(ITEM_ID, "nunique"), units=(QUANTITY, "sum")
    )
    by_user = per_order.groupby(level=USER_ID)
    return pd.DataFrame(
        {
            "distinct_categories": breadth,
            "mean_basket_size": by_user["items"].mean(),
            "mean_units_per_order": by_user["units"].mean(),
        }
    )


def customer_features(
    events: pd.DataFrame,
    as_of: object,
    emails: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per user with any event before ``as_of``, indexed by ``customer_id``: ``FEATURE_COLUMNS``.

    Only events (and emails) with ``timestamp < as_of`` are used, so appending
    later events changes nothing. Times are float days; money is in the
    events' currency. Shape ``(n_users, len(FEATURE_COLUMNS))``, sorted by
    ``customer_id``; ``frame.attrs['as_of']`` records the date.

    * ``tenure_days``: days from the first event to ``as_of`` (> 0).
    * ``days_since_last_purchase``: days from the last purchase to ``as_of``;
      **equal to ``tenure_days`` for customers with no order** (no purchase
      since they were first seen).
    * ``purchase_frequency``: orders per day, ``total_orders / max(tenure_days, 1)``;
      the one-day floor keeps a customer first seen minutes before ``as_of``
      from getting an absurd rate. 0 with no order.
    * ``avg_order_value``: ``total_revenue / total_orders``, 0 with no order.
    * ``total_orders``, ``total_revenue``: as in ``customers_as_of``.
    * ``email_open_rate``: opened / sent, 0 when no email was sent (the
      reference's ``+ 1`` in the denominator is dropped: it biased every rate down).
    * ``cart_abandonment_rate``: abandoned / created carts, 0 with no cart.
    * ``revenue_trend`` / ``order_trend``: last 30 days minus the 30 days before.
    * ``distinct_categories``: distinct categories bought (``catalogue`` with
      ``item_id, category``; every purchased item must be in it); without a
      catalogue, distinct items bought. 0 with no order.
    * ``mean_basket_size``: mean distinct items per order; ``mean_units_per_order``:
      mean units (quantity) per order. 0 with no order.

    Raises ``ValueError`` for a missing ``as_of``, bad events/emails/catalogue
    (naming the column) or when no event precedes ``as_of``.
    """
    return _customer_features(validate_frame(events, EVENTS_COLUMNS, "events"), as_timestamp(as_of), emails, catalogue)


def _customer_features(
    events: pd.DataFrame, as_of: pd.Timestamp, emails: pd.DataFrame | None, catalogue: pd.DataFrame | None
) -> pd.DataFrame:
    """``customer_features`` on a validated event log."""
    customers = _customers_as_of(events, as_of, emails).set_index(CUSTOMER_ID)

    tenure = customers["days_as_customer"].astype(float)
    since_last = (as_of - customers["last_purchase_date"]) / _DAY
    orders = customers["total_orders"]
    features = pd.DataFrame(index=customers.index)
    features["days_since_last_purchase"] = since_last.where(customers["last_purchase_date"].notna(), tenure)
    features["purchase_frequency"] = orders / np.maximum(tenure, 1.0)
    features["avg_order_value"] = _safe_ratio(customers["total_revenue"], orders)
    features["total_orders"] = orders.astype(float)
    features["total_revenue"] = customers["total_revenue"].astype(float)
    features["tenure_days"] = tenure
    features["email_open_rate"] = _safe_ratio(customers["emails_opened"], customers["emails_sent"])
    features["cart_abandonment_rate"] = _safe_ratio(customers["carts_abandoned"], customers["carts_created"])
    features["revenue_trend"] = customers["revenue_last_30d"] - customers["revenue_30_60d"]
    features["order_trend"] = (customers["orders_last_30d"] - customers["orders_30_60d"]).astype(float)

    purchases = events[(events[EVENT_TYPE] == PURCHASE) & (events[TIMESTAMP] < as_of)]
    basket = _basket_features(purchases, catalogue).reindex(customers.index).fillna(0.0)
    features = features.join(basket)

    features = features[list(FEATURE_COLUMNS)].astype(float).rename_axis(CUSTOMER_ID)
    # A guard, not a cleaning step: every formula above is finite, so this can only fire on a bug.
    values = features[list(FEATURE_COLUMNS)].to_numpy()
    if not np.all(np.isfinite(values)):
        bad = [c for c in FEATURE_COLUMNS if not np.all(np.isfinite(features[c]))]
        raise ValueError(f"non-finite feature values in {bad}; please report this as a bug")
    features.attrs["as_of"] = as_of
    return features


def bgnbd_features(
    events: pd.DataFrame, as_of: object, horizon_days: int, period: str = "W", bgnbd: BGNBD | None = None
) -> pd.DataFrame:
    """BG/NBD fitted on the purchases before ``as_of``, scored for the next ``horizon_days``.

    Unsupervised (no label is used), so it is leakage-free at any date. One row per customer with a
    purchase before ``as_of``, indexed and sorted by ``customer_id``: ``BGNBD_SUMMARY_COLUMNS`` (the
    summary in days), then ``bgnbd_p_alive``, ``bgnbd_expected_purchases`` (in ``[as_of, as_of +
    horizon)``) and ``bgnbd_p_no_purchase`` (same window). Purchases on one day collapse
    (``summary_from_transactions``); the model is fitted in ``period`` units (weeks, as the paper).
    ``bgnbd`` is the model to fit (e.g. ``BGNBD(penalizer=0.01)``; a clone is fitted, the argument is
    left unfitted); None fits ``BGNBD()``. The fitted model is in ``frame.attrs['bgnbd']``.
    """
    return _bgnbd_features(
        validate_frame(events, EVENTS_COLUMNS, "events"), as_timestamp(as_of), horizon_days, period, bgnbd
    )


def _bgnbd_features(
    events: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int, period: str, bgnbd: BGNBD | None
) -> pd.DataFrame:
    """``bgnbd_features`` on a validated event log."""
    horizon_days = check_int(horizon_days, "horizon_days")
    check_choice(period, "period", tuple(PERIOD_DAYS))
    if bgnbd is not None and not isinstance(bgnbd, BGNBD):
        raise ValueError(f"bgnbd must be a BGNBD model (e.g. BGNBD(penalizer=0.01)) or None, got {bgnbd!r}")
    purchases = events[events[EVENT_TYPE] == PURCHASE]
    days = summary_from_transactions(purchases, USER_ID, TIMESTAMP, as_of, period="D").set_index(USER_ID)
    x, t_x, big_t = (days[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    unit = PERIOD_DAYS[period]
    model = clone(bgnbd if bgnbd is not None else BGNBD()).fit(x, t_x / unit, big_t / unit)
    t = horizon_days / unit
    frame = pd.DataFrame(
        {
            "repeat_purchase_days": x,
            "days_first_to_last_purchase": t_x,
            "days_since_first_purchase": big_t,
            "bgnbd_p_alive": model.p_alive(x, t_x / unit, big_t / unit),
            "bgnbd_expected_purchases": model.expected_purchases(t, x, t_x / unit, big_t / unit),
            "bgnbd_p_no_purchase": model.prob_no_purchase(t, x, t_x / unit, big_t / unit),
        },
        index=days.index.rename(CUSTOMER_ID),
    )
    frame.attrs["as_of"] = as_of
    frame.attrs["bgnbd"] = model
    return frame

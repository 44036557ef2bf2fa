"""Statistics that decide whether recommenders and churn models meet realistic data.

``describe_shop`` works on any event log in shopcase's schema (generated or
real); ``compare_to_reference`` sets a generated shop beside a real one with the
tolerance each statistic is held to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import (
    EVENT_TYPE,
    EVENTS_COLUMNS,
    ITEM_ID,
    ORDER_ID,
    PURCHASE,
    QUANTITY,
    TIMESTAMP,
    UNIT_PRICE,
    USER_ID,
)
from shopcase.validate import validate_frame

STATISTICS: dict[str, str] = {
    "customers": "customers with at least one order",
    "items_sold": "distinct items with at least one purchase",
    "orders": "distinct orders",
    "top1pct_item_share": "share of purchase lines on the top 1% of items",
    "top10pct_item_share": "share of purchase lines on the top 10% of items",
    "zipf_exponent": "slope s of log(purchases) = c - s log(rank), over the top half of items",
    "repeat_item_share": "share of purchase lines of an item the customer bought in an earlier order",
    "mean_basket_size": "mean distinct items per order",
    "median_basket_size": "median distinct items per order",
    "median_days_between_orders": "median gap between a customer's consecutive orders, days",
    "one_time_customer_share": "share of customers with exactly one order",
    "orders_per_customer": "mean orders per customer",
}
"""Name -> meaning of every statistic ``describe_shop`` returns."""


def _zipf_exponent(counts_desc: np.ndarray) -> float:
    # Fit over the top half: the far tail is truncated at one purchase and would flatten the slope.
    top = counts_desc[: max(10, len(counts_desc) // 2)]
    ranks = np.arange(1, len(top) + 1)
    slope, _ = np.polyfit(np.log(ranks), np.log(top), 1)
    return float(-slope)


def describe_shop(events: pd.DataFrame) -> pd.Series:
    """Purchase-side statistics of an event log (see ``STATISTICS`` for each meaning).

    Uses purchase lines only (``event_type == 'purchase'``); an order's time is
    its first line's timestamp. Returns a float Series indexed by statistic name.
    """
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    lines = events.loc[events[EVENT_TYPE].astype(str) == PURCHASE, [USER_ID, ITEM_ID, ORDER_ID, TIMESTAMP]]
    if lines.empty:
        raise ValueError("events has no purchase lines: shop statistics need purchases")
    if lines[ORDER_ID].isna().any():
        raise ValueError(f"events: {int(lines['order_id'].isna().sum()):,} purchase lines have no order_id")

    counts = np.sort(lines.groupby(ITEM_ID, sort=False).size().to_numpy())[::-1]
    total = counts.sum()
    n_items = len(counts)

    def top_share(fraction: float) -> float:
        return float(counts[: max(1, int(round(fraction * n_items)))].sum() / total)

    orders = lines.groupby([USER_ID, ORDER_ID], sort=False).agg(time=(TIMESTAMP, "min"), basket=(ITEM_ID, "nunique"))
    orders = orders.reset_index().sort_values([USER_ID, "time", ORDER_ID], kind="stable")
    gaps = orders.groupby(USER_ID, sort=False)["time"].diff().dropna() / pd.Timedelta(days=1)
    orders_per_user = orders.groupby(USER_ID, sort=False).size()

    # A line repeats an item when the customer bought it in an earlier order.
    in_time_order = lines.sort_values([TIMESTAMP, ORDER_ID], kind="stable")
    first_order = in_time_order.groupby([USER_ID, ITEM_ID], sort=False)[ORDER_ID].transform("first")
    repeat = in_time_order[ORDER_ID].to_numpy() != first_order.to_numpy()

    return pd.Series(
        {
            "customers": float(len(orders_per_user)),
            "items_sold": float(n_items),
            "orders": float(len(orders)),
            "top1pct_item_share": top_share(0.01),
            "top10pct_item_share": top_share(0.10),
            "zipf_exponent": _zipf_exponent(counts),
            "repeat_item_share": float(repeat.mean()),
            "mean_basket_size": float(orders["basket"].mean()),
            "median_basket_size": float(orders["basket"].median()),
            "median_days_between_orders": float(gaps.median()) if len(gaps) else float("nan"),
            "one_time_customer_share": float((orders_per_user == 1).mean()),
            "orders_per_customer": float(orders_per_user.mean()),
        },
        name="value",
    )


TOLERANCES: dict[str, tuple[str, float]] = {
    "top1pct_item_share": ("absolute", 0.03),
    "top10pct_item_share": ("absolute", 0.05),
    "zipf_exponent": ("absolute", 0.12),
    "repeat_item_share": ("absolute", 0.05),
    "median_days_between_orders": ("relative", 0.30),
    "one_time_customer_share": ("absolute", 0.06),
    "orders_per_customer": ("relative", 0.25),
}
"""How far a generated shop's statistic may lie from the real shop's: (kind, bound)."""

DIFFERENT_ON_PURPOSE: dict[str, str] = {
    "mean_basket_size": "Online Retail's customers are mostly wholesalers (about 15 distinct items an invoice); "
    "a consumer shop's basket holds one or two.",
    "median_basket_size": "as mean_basket_size",
    "customers": "scale is a parameter",
    "items_sold": "scale is a parameter",
    "orders": "scale is a parameter",
}
"""Statistics a consumer shop should not copy from Online Retail, and why."""


def compare_to_reference(shop: pd.Series, reference: pd.Series) -> pd.DataFrame:
    """Set two ``describe_shop`` results side by side with each statistic's tolerance.

    Columns: ``generated``, ``reference``, ``difference`` (generated - reference),
    ``tolerance`` (text), ``within`` (bool, NaN-free; ``True`` for statistics that
    differ on purpose is not claimed: they get ``None``) and ``note``.
    """
    rows = []
    for name in STATISTICS:
        gen, ref = float(shop[name]), float(reference[name])
        row = {"statistic": name, "generated": gen, "reference": ref, "difference": gen - ref}
        if name in TOLERANCES:
            kind, bound = TOLERANCES[name]
            allowed = bound if kind == "absolute" else bound * abs(ref)
            row |= {
                "tolerance": f"±{bound:g}" + (" x reference" if kind == "relative" else ""),
                "within": bool(abs(gen - ref) <= allowed),
                "note": "",
            }
        else:
            row |= {"tolerance": "", "within": None, "note": DIFFERENT_ON_PURPOSE.get(name, "")}
        rows.append(row)
    return pd.DataFrame(rows).set_index("statistic")


def order_totals(events: pd.DataFrame) -> pd.Series:
    """Value of every order: sum over its purchase lines of ``quantity x unit_price`` (currency units).

    An order is a distinct (``user_id``, ``order_id``) among purchase lines; views and carts are ignored.
    Returns a float Series indexed by (``user_id``, ``order_id``), one entry per order. Raises
    ``ValueError`` on a log without purchase lines.
    """
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    if lines.empty:
        raise ValueError("events has no purchase lines, so it has no orders")
    value = lines[QUANTITY].to_numpy(dtype=np.float64) * lines[UNIT_PRICE].to_numpy(dtype=np.float64)
    return pd.Series(value, index=lines.index).groupby([lines[USER_ID], lines[ORDER_ID]]).sum().rename("order_value")


def average_order_value(events: pd.DataFrame) -> float:
    """Mean value of an order in ``events`` (currency units): every order weighs the same, whatever its size.

    Not the mean over purchase lines (that would weigh a ten-line order ten times). See ``order_totals``.
    """
    return float(order_totals(events).mean())


def purchases_in_top_categories(
    events: pd.DataFrame, taste: np.ndarray, item_category: np.ndarray, top: int = 2
) -> dict[str, float]:
    """Is there signal to learn? Share of purchase lines in each buyer's ``top`` latent categories.

    ``taste`` is users x categories (rows indexed by ``user_id - 1``) and
    ``item_category`` the category index of each item (``item_id - 1``), as in
    ``GroundTruth``. ``chance`` is the share expected if buyers ignored their
    tastes and bought with the shop's overall category mix. Returns
    ``{'observed': ..., 'chance': ..., 'lift': observed / chance}``.
    """
    lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    if lines.empty:
        raise ValueError("events has no purchase lines")
    users = lines[USER_ID].to_numpy() - 1
    category = item_category[lines[ITEM_ID].to_numpy() - 1]
    top_categories = np.argsort(-taste, axis=1, kind="stable")[:, :top]
    in_top = (top_categories[users] == category[:, None]).any(axis=1)
    mix = np.bincount(category, minlength=taste.shape[1]) / len(category)
    chance = mix[top_categories[users]].sum(axis=1)
    observed = float(in_top.mean())
    return {"observed": observed, "chance": float(chance.mean()), "lift": observed / float(chance.mean())}


WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

TRADING_TOLERANCES: dict[str, tuple[str, float]] = {
    **{f"share_{day}": ("absolute", 0.025) for day in WEEKDAYS},
    "sep_oct_lift": ("relative", 0.15),
    "nov_dec_lift": ("relative", 0.15),
}
"""How far a generated shop's trading shape may lie from the real shop's: (kind, bound)."""


def trading_profile(events: pd.DataFrame) -> pd.Series:
    """When orders happen: the weekday shares and the year-end lift of daily orders.

    ``share_<day>``: share of orders placed on each weekday (Monday first), each day of the log counted
    once (days without orders count as zero). ``sep_oct_lift`` / ``nov_dec_lift``: mean orders per day in
    September-October / November-December divided by the mean over January-August (NaN when the log
    lacks either period). Order times are the first line of each order.
    """
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    if lines.empty:
        raise ValueError("events has no purchase lines")
    first_line = lines.groupby([USER_ID, ORDER_ID], sort=False, dropna=False)[TIMESTAMP].min()
    per_day = first_line.dt.normalize().value_counts()
    days = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D")
    per_day = per_day.reindex(days, fill_value=0)
    weekday = per_day.groupby(days.day_of_week).mean().reindex(range(7), fill_value=0.0)
    shares = weekday / weekday.sum()
    month = days.month.to_numpy()
    base = per_day[month <= 8].mean() if (month <= 8).any() else np.nan

    def lift(months: tuple[int, ...]) -> float:
        chosen = np.isin(month, months)
        return float(per_day[chosen].mean() / base) if chosen.any() and base > 0 else float("nan")

    values = {f"share_{day}": float(shares.iloc[i]) for i, day in enumerate(WEEKDAYS)}
    values |= {"sep_oct_lift": lift((9, 10)), "nov_dec_lift": lift((11, 12))}
    return pd.Series(values, name="value")


def compare_trading_profile(shop: pd.Series, reference: pd.Series) -> pd.DataFrame:
    """``trading_profile`` of a generated shop beside a real one, with ``TRADING_TOLERANCES``.

    Weekday shares are compared over the weekdays the reference trades on (Online Retail is closed on
    Saturdays), renormalised to sum to 1 on both sides; a closed day is shown but not judged.
    """
    days = [f"share_{d}" for d in WEEKDAYS]
    open_days = [d for d in days if reference[d] > 0]
    gen, ref = shop.copy(), reference.copy()
    gen[open_days] = gen[open_days] / gen[open_days].sum()
    ref[open_days] = ref[open_days] / ref[open_days].sum()
    rows = []
    for name, (kind, bound) in TRADING_TOLERANCES.items():
        g, r = float(gen[name]), float(ref[name])
        judged = (name in open_days or name not in days) and np.isfinite(g) and np.isfinite(r)
        allowed = bound if kind == "absolute" else bound * abs(r)
        rows.append(
            {
                "statistic": name,
                "generated": g,
                "reference": r,
                "tolerance": f"±{bound:g}" + (" x reference" if kind == "relative" else ""),
                "within": bool(abs(g - r) <= allowed) if judged else None,
            }
        )
    return pd.DataFrame(rows).set_index("statistic")

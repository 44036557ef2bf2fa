"""Stock that meets its service level: reorder points from forecast distributions, simulated on true demand.

Periodic review with a lead time: every ``review_period`` days the shop looks at each item's **inventory
position** (on hand + on order); if it is below the **reorder point** it orders up to the **order-up-to
level**; an order arrives ``lead_time`` days later. An order placed today must cover the demand until the
next order arrives, ``lead_time + review_period`` days: the *protection interval*. Demand over it is the sum
of the forecast days, modelled as a count distribution with the summed mean and variance
(``distribution.count_distribution``). ``reorder_policy`` picks the smallest level that reaches

- a **fill rate** (share of units demanded that are served; default): expected units short per cycle =
  E[(D_{L+R} - S)^+] - E[(D_L - S)^+] (units short before the order could have arrived do not count against
  it), divided by the expected demand of a cycle, at most ``1 - service_level``;
- or a **cycle service level** (``kind="cycle"``): P(D_{L+R} <= S) >= service_level.

With ``allocation="item"`` every item meets the target on its own; units are whole, so most items overshoot
it (a slow mover cannot stock 0.4 units). ``allocation="system"`` meets the fill rate over all items together
at the least holding cost: the Lagrangian of "minimise sum cost_i x S_i subject to expected units short <=
(1 - target) x expected demand" raises each item's level while a unit more saves enough expected shortage per
unit of its cost, with the price of a short unit set by bisection so the target is met in expectation.

``simulate_inventory`` runs a policy day by day against a demand that was not used to make it (the shop's
true demand: sales plus the sales lost to stock-outs) and reports the fill rate (units served from stock the
day they are demanded), stock-out days and holding cost. Unmet demand is backordered by default (the customer
waits; the formulas above are exact for it); with ``unmet="lost"`` it is lost, which shortens no later cycle,
so low targets are overshot. ``naive_policy`` is the rule of thumb to beat: cover ``cover`` times the
recent average demand over the protection interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.demand.distribution import count_cdf
from shopcase.demand.series import check_series
from shopcase.schema import DATE, DEMAND, FORECAST, SERIES_ID, VARIANCE
from shopcase.validate import check_choice, check_int, check_number, check_probability, require_columns

REORDER_POINT = "reorder_point"
ORDER_UP_TO = "order_up_to"
KINDS: tuple[str, ...] = ("fill_rate", "cycle")
ALLOCATIONS: tuple[str, ...] = ("item", "system")
HOLDING_RATE: float = 0.25
"""Yearly cost of holding stock, as a share of its unit cost (capital, space, shrinkage)."""


def check_lead_time(lead_time: object) -> int:
    """``lead_time`` as an int >= 0 (days); ``ValueError`` naming it otherwise."""
    return check_int(lead_time, "lead_time", low=0)


def _window_sums(values: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
    """Sum of ``values[:, t:t + length]`` for each column ``t`` of ``start`` (cumulative sums, no loop)."""
    cum = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=cum[:, 1:])
    return cum[:, start + length] - cum[:, start]


def _expected_excess(levels: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """E[(D - S)^+] for each candidate level S (last axis), D with the given moments (other axes)."""
    n_levels = levels.shape[-1]
    k = np.arange(n_levels)
    survival = 1.0 - count_cdf(k, mean[..., None], variance[..., None])  # P(D > k), k = 0 .. n_levels - 1
    # E[min(D, S)] = sum_{k < S} P(D > k), so E[(D - S)^+] = E[D] - that.
    below = np.concatenate([np.zeros(mean.shape + (1,)), np.cumsum(survival, axis=-1)[..., :-1]], axis=-1)
    return np.maximum(mean[..., None] - below, 0.0)


def reorder_policy(
    forecast: pd.DataFrame,
    lead_time: int,
    service_level: float,
    *,
    review_period: int = 1,
    kind: str = "fill_rate",
    allocation: str = "item",
    unit_cost: pd.Series | None = None,
    batch_days: int = 0,
) -> pd.DataFrame:
    """Reorder point and order-up-to level per series and review day, from a forecast (see the module docstring).

    Parameters
    ----------
    forecast : DataFrame
        ``series_id, date, forecast, variance`` (a forecaster's ``predict``), consecutive days from the first
        decision day. A level is set for every day whose protection interval lies inside the forecast.
    lead_time : int
        Days from an order to its arrival (0: the same day, before that day's demand).
    service_level : float
        The target in (0, 1): a fill rate (``kind="fill_rate"``) or a cycle service level (``"cycle"``).
    review_period : int
        Days between reviews.
    allocation : {"item", "system"}
        Each item meets the fill rate, or all items together at the least holding cost (fill rate only).
    unit_cost : Series, optional
        Cost of a unit per ``series_id`` for ``allocation="system"`` (1 for every series if not given).
    batch_days : int
        Order-up-to = reorder point + the expected demand of ``batch_days`` days (rounded up): fewer, larger
        orders. 0 (default): order every review up to the reorder point (a base-stock policy).

    Returns
    -------
    DataFrame
        ``series_id, date, reorder_point, order_up_to`` (units), plus ``expected_demand`` over the protection
        interval.
    """
    lead_time = check_lead_time(lead_time)
    service_level = check_probability(service_level, "service_level")
    review_period = check_int(review_period, "review_period")
    batch_days = check_int(batch_days, "batch_days", low=0)
    check_choice(kind, "kind", KINDS)
    check_choice(allocation, "allocation", ALLOCATIONS)
    if allocation == "system" and kind != "fill_rate":
        raise ValueError("allocation='system' allocates a fill rate; use kind='fill_rate'")
    require_columns(forecast, [SERIES_ID, DATE, FORECAST, VARIANCE], "forecast")
    table = forecast.pivot(index=SERIES_ID, columns=DATE, values=[FORECAST, VARIANCE])
    mean = table[FORECAST].to_numpy(dtype=float)
    variance = table[VARIANCE].to_numpy(dtype=float)
    if not (np.isfinite(mean).all() and np.isfinite(variance).all()) or (mean < 0).any() or (variance < 0).any():
        raise ValueError("forecast: every series needs a finite, non-negative forecast and variance on every day")
    days = table[FORECAST].columns
    protection = lead_time + review_period
    n_decisions = len(days) - protection + 1
    if n_decisions < 1:
        raise ValueError(
            f"forecast: {len(days)} days cannot cover a protection interval of lead_time + review_period = "
            f"{protection} days; forecast further ahead"
        )
    start = np.arange(n_decisions)
    p_mean, p_var = _window_sums(mean, start, protection), _window_sums(variance, start, protection)
    l_mean, l_var = _window_sums(mean, start, lead_time), _window_sums(variance, start, lead_time)
    cycle_demand = p_mean - l_mean
    # Candidate levels up to far in the tail of the largest protection-interval demand.
    top = int(np.ceil(p_mean.max() + 8 * np.sqrt(p_var.max()) + 10))
    levels = np.arange(top + 1)
    if kind == "cycle":
        enough = count_cdf(levels, p_mean[..., None], p_var[..., None]) >= service_level
    else:
        short = _expected_excess(levels[None, None, :], p_mean, p_var)
        if lead_time > 0:
            short = short - _expected_excess(levels[None, None, :], l_mean, l_var)
        if allocation == "system":
            cost = np.ones(len(table)) if unit_cost is None else unit_cost.reindex(table.index).to_numpy(float)
            if not np.isfinite(cost).all() or (cost <= 0).any():
                raise ValueError("unit_cost: every series needs a finite cost > 0")
            level = _system_levels(short, cost, (1.0 - service_level) * cycle_demand.sum())
        else:
            allowed = (1.0 - service_level) * cycle_demand
            enough = short <= allowed[..., None] + 1e-12
    if kind == "cycle" or allocation == "item":
        enough[..., -1] = True
        level = enough.argmax(axis=-1).astype(float)
    batch = np.ceil(p_mean / protection * batch_days)
    ids = table.index.to_numpy()
    return pd.DataFrame(
        {
            SERIES_ID: np.repeat(ids, n_decisions),
            DATE: np.tile(days[:n_decisions].to_numpy(), len(ids)),
            REORDER_POINT: level.ravel(),
            ORDER_UP_TO: (level + batch).ravel(),
            "expected_demand": p_mean.ravel(),
        }
    )


def _system_levels(short: np.ndarray, cost: np.ndarray, allowed_short: float) -> np.ndarray:
    """Levels minimising sum cost x level with total expected shortage <= ``allowed_short`` (Lagrangian).

    At a price ``lam`` of a short unit each (item, day) takes the level minimising ``cost x S + lam x
    short(S)`` (``short`` need not be convex: the lead-time term makes its savings rise before they fall);
    the price is found by bisection on its logarithm so the total expected shortage meets the allowance.
    """
    levels_grid = np.arange(short.shape[-1], dtype=float)
    spend = cost[:, None, None] * levels_grid

    def levels(lam: float) -> np.ndarray:
        return np.argmin(spend + lam * short, axis=-1)

    def total_short(level: np.ndarray) -> float:
        return float(np.take_along_axis(short, level[..., None], axis=-1).sum())

    lo, hi = -20.0, 20.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if total_short(levels(np.exp(mid))) > allowed_short:
            lo = mid
        else:
            hi = mid
    return levels(np.exp(hi)).astype(float)


def naive_policy(
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    lead_time: int,
    *,
    review_period: int = 1,
    cover: float = 1.0,
    window: int = 28,
) -> pd.DataFrame:
    """The rule of thumb: order up to ``cover`` x (mean daily demand of the last ``window`` days) x protection.

    Same columns as ``reorder_policy`` (base stock: reorder point = order-up-to), constant over ``dates``.
    """
    lead_time = check_lead_time(lead_time)
    review_period = check_int(review_period, "review_period")
    cover = check_number(cover, "cover", low=0.0)
    window = check_int(window, "window")
    history = check_series(history, "history")
    recent = history[history[DATE] > history[DATE].max() - pd.Timedelta(days=window)]
    rate = recent.groupby(SERIES_ID)[DEMAND].mean()
    level = np.ceil(cover * rate.to_numpy() * (lead_time + review_period))
    dates = pd.DatetimeIndex(dates)
    return pd.DataFrame(
        {
            SERIES_ID: np.repeat(rate.index.to_numpy(), len(dates)),
            DATE: np.tile(dates.to_numpy(), len(rate)),
            REORDER_POINT: np.repeat(level, len(dates)),
            ORDER_UP_TO: np.repeat(level, len(dates)),
            "expected_demand": np.repeat(rate.to_numpy() * (lead_time + review_period), len(dates)),
        }
    )


@dataclass(frozen=True)
class InventoryResult:
    """A simulated policy: ``per_series`` (``demand, served, fill_rate, stockout_days, mean_on_hand,
    holding_cost, orders``) and the totals: ``fill_rate`` (units served / demanded, all series),
    ``stockout_days`` (days with unmet demand, per series on average), ``holding_cost`` (currency units),
    ``days`` simulated."""

    per_series: pd.DataFrame
    fill_rate: float
    stockout_days: float
    holding_cost: float
    days: int

    def __str__(self) -> str:
        return (
            f"fill rate {self.fill_rate:.1%}, {self.stockout_days:.2f} stock-out days per item, holding cost "
            f"{self.holding_cost:,.0f} over {self.days} days ({len(self.per_series):,} items)"
        )


def simulate_inventory(
    policy: pd.DataFrame,
    demand: pd.DataFrame,
    lead_time: int,
    *,
    review_period: int = 1,
    unit_cost: pd.Series | None = None,
    holding_rate: float = HOLDING_RATE,
    initial: pd.Series | None = None,
    unmet: str = "backorder",
) -> InventoryResult:
    """Run ``policy`` against ``demand`` day by day (lost sales); see the module docstring.

    Parameters
    ----------
    policy : DataFrame
        ``series_id, date, reorder_point, order_up_to`` for every simulated day (``reorder_policy``).
    demand : DataFrame
        The demand to serve, ``series_id, date, demand`` (the truth, not the forecast); days simulated are
        the policy's days.
    lead_time, review_period : int
        As for ``reorder_policy``; a review happens on the first simulated day and every ``review_period``.
    unit_cost : Series, optional
        Cost of a unit per ``series_id`` (currency units); 1 if not given (holding cost then in unit-days).
    holding_rate : float
        Yearly holding cost as a share of the unit cost.
    initial : Series, optional
        Units on hand at the start per ``series_id``; default each series' first order-up-to level.
    unmet : {"backorder", "lost"}
        What happens to demand the stock cannot serve: served later, first, from the next arrivals (counting
        as not filled) and lowering the inventory position meanwhile; or lost.
    """
    lead_time = check_lead_time(lead_time)
    review_period = check_int(review_period, "review_period")
    holding_rate = check_number(holding_rate, "holding_rate", low=0.0)
    check_choice(unmet, "unmet", ("backorder", "lost"))
    require_columns(policy, [SERIES_ID, DATE, REORDER_POINT, ORDER_UP_TO], "policy")
    demand = check_series(demand, "demand")
    s = policy.pivot(index=SERIES_ID, columns=DATE, values=REORDER_POINT)
    big_s = policy.pivot(index=SERIES_ID, columns=DATE, values=ORDER_UP_TO)
    if s.isna().any().any() or (s.to_numpy() < 0).any() or (big_s.to_numpy() < s.to_numpy()).any():
        raise ValueError("policy: every series needs 0 <= reorder_point <= order_up_to on every day")
    days = s.columns
    want = demand.pivot(index=SERIES_ID, columns=DATE, values=DEMAND).reindex(index=s.index, columns=days)
    if want.isna().any().any():
        raise ValueError("demand: it must cover every series and day of the policy")
    d = want.to_numpy(dtype=float)
    n, n_days = d.shape
    cost = np.ones(n) if unit_cost is None else unit_cost.reindex(s.index).to_numpy(dtype=float)
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise ValueError("unit_cost: every series needs a finite cost >= 0")
    on_hand = (big_s.iloc[:, 0] if initial is None else initial.reindex(s.index)).to_numpy(dtype=float).copy()
    arriving = np.zeros((n, n_days + lead_time + 1))
    served = np.zeros((n, n_days))
    end_stock = np.zeros((n, n_days))
    orders = np.zeros(n)
    reorder, up_to = s.to_numpy(dtype=float), big_s.to_numpy(dtype=float)
    backlog = np.zeros(n)
    for t in range(n_days):  # a loop over days (tens); every series at once
        on_hand += arriving[:, t]
        cleared = np.minimum(on_hand, backlog)  # waiting customers are served first
        on_hand -= cleared
        backlog -= cleared
        if t % review_period == 0:
            position = on_hand + arriving[:, t + 1 :].sum(axis=1) - backlog
            order = np.where(position < reorder[:, t], up_to[:, t] - position, 0.0)
            orders += order > 0
            if lead_time == 0:
                on_hand += order
                cleared = np.minimum(on_hand, backlog)
                on_hand -= cleared
                backlog -= cleared
            else:
                arriving[:, t + lead_time] += order
        served[:, t] = np.minimum(on_hand, d[:, t])
        on_hand -= served[:, t]
        if unmet == "backorder":
            backlog += d[:, t] - served[:, t]
        end_stock[:, t] = on_hand
    total = d.sum(axis=1)
    per_series = pd.DataFrame(
        {
            "demand": total,
            "served": served.sum(axis=1),
            "fill_rate": np.divide(served.sum(axis=1), total, out=np.ones(n), where=total > 0),
            "stockout_days": (served < d - 1e-9).sum(axis=1),
            "mean_on_hand": end_stock.mean(axis=1),
            "holding_cost": end_stock.sum(axis=1) * cost * holding_rate / 365.0,
            "orders": orders,
        },
        index=s.index,
    )
    return InventoryResult(
        per_series=per_series.reset_index(),
        fill_rate=float(served.sum() / d.sum()) if d.sum() > 0 else 1.0,
        stockout_days=float(per_series["stockout_days"].mean()),
        holding_cost=float(per_series["holding_cost"].sum()),
        days=n_days,
    )


def cost_at_fill_rate(curve: pd.DataFrame, fill_rate: float) -> float:
    """Holding cost a policy family reaches at ``fill_rate``, interpolated on its ``fill_rate, holding_cost`` curve.

    NaN when ``fill_rate`` lies outside the curve's range.
    """
    require_columns(curve, ["fill_rate", "holding_cost"], "curve")
    ordered = curve.sort_values("fill_rate")
    x, y = ordered["fill_rate"].to_numpy(), ordered["holding_cost"].to_numpy()
    if not x[0] <= fill_rate <= x[-1]:
        return float("nan")
    return float(np.interp(fill_rate, x, y))


NAIVE_COVERS: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0)
"""Multiples of the recent mean demand the naive rule is traced over."""


@dataclass(frozen=True)
class InventoryComparison:
    """Forecast-based policies against the naive rule on the same true demand.

    ``policies``: one row per (policy ``label``, ``target``): achieved ``fill_rate``, ``within`` (1 point of
    the target), ``stockout_days``, ``holding_cost``, and ``naive_cost`` (the naive rule's holding cost at the
    same fill rate, interpolated on its curve) with ``saving`` (1 - cost / naive cost). ``naive``: the naive
    rule's curve (``cover, fill_rate, stockout_days, holding_cost``).
    """

    policies: pd.DataFrame
    naive: pd.DataFrame

    def __str__(self) -> str:
        parts = [
            f"{row.label} {row.target:.0%}: fill {row.fill_rate:.1%}, cost {row.holding_cost:,.0f} vs naive "
            f"{row.naive_cost:,.0f}"
            for row in self.policies.itertuples()
        ]
        return "; ".join(parts)


def compare_inventory(
    forecasts: dict[str, pd.DataFrame],
    demand: pd.DataFrame,
    history: pd.DataFrame,
    lead_time: int,
    *,
    targets: tuple[float, ...] = (0.90, 0.95, 0.99),
    allocation: str = "system",
    unit_cost: pd.Series | None = None,
    covers: tuple[float, ...] = NAIVE_COVERS,
) -> InventoryComparison:
    """Simulate ``reorder_policy`` from each forecast at each fill-rate target, and the naive rule's curve.

    ``forecasts``: label -> a forecast frame from the first decision day; ``demand``: the true demand over the
    forecast days; ``history``: the days before them (the naive rule's recent mean).
    """
    rows = []
    dates = None
    for label, forecast in forecasts.items():
        for target in targets:
            policy = reorder_policy(forecast, lead_time, target, allocation=allocation, unit_cost=unit_cost)
            dates = pd.DatetimeIndex(sorted(policy[DATE].unique()))
            result = simulate_inventory(policy, demand, lead_time, unit_cost=unit_cost)
            rows.append(
                {
                    "label": label,
                    "target": target,
                    "fill_rate": result.fill_rate,
                    "within": abs(result.fill_rate - target) <= 0.01,
                    "stockout_days": result.stockout_days,
                    "holding_cost": result.holding_cost,
                }
            )
    curve = []
    for cover in covers:
        policy = naive_policy(history, dates, lead_time, cover=cover)
        policy = policy[policy[SERIES_ID].isin(demand[SERIES_ID].unique())]
        result = simulate_inventory(policy, demand, lead_time, unit_cost=unit_cost)
        curve.append(
            {
                "cover": cover,
                "fill_rate": result.fill_rate,
                "stockout_days": result.stockout_days,
                "holding_cost": result.holding_cost,
            }
        )
    naive = pd.DataFrame(curve)
    policies = pd.DataFrame(rows)
    policies["naive_cost"] = [cost_at_fill_rate(naive, f) for f in policies["fill_rate"]]
    policies["saving"] = 1.0 - policies["holding_cost"] / policies["naive_cost"]
    return InventoryComparison(policies=policies, naive=naive)

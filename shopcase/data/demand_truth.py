"""What the shop's demand really is, beside what its log shows: sales lost to stock-outs and price responses.

Computed inside the generator from the very draws that made the log, never from new randomness that could
change it:

- **lost sales**: a view whose cart draw succeeded on an out-of-stock day, in a session that checks out,
  is a purchase the log could not record. Their units (drawn from a stream of their own) per item and day
  make the log's censored sales whole again: true demand = sales + lost units.
- **demand curves**: the expected units per day of each item if its price were ``m`` times its list price
  every day, for ``m`` on ``PRICE_GRID``: the same visitors (the log's sessions and views), each buying
  with the generator's own probability ``checkout x P(cart)``, ``P(cart) = sigmoid(logit without the day's
  price - price_sensitivity x log m)``, times the mean quantity. Views do not depend on price in the
  generator, so this is the exact counterfactual of a price change, up to the luck of which sessions happened.
"""

from __future__ import annotations

import numpy as np

PRICE_GRID: np.ndarray = np.round(np.exp(np.linspace(np.log(0.5), np.log(2.0), 25)), 6)
"""Price multipliers (of the list price) at which each item's demand curve is stored; 1.0 is on it."""

MEAN_QUANTITY: float = 1.3
"""Units per purchase line: 1 + Poisson(0.3)."""


def lost_units(
    rng: np.random.Generator,
    session: np.ndarray,
    item: np.ndarray,
    day: np.ndarray,
    lost: np.ndarray,
    bought_pairs: np.ndarray,
    n_items: int,
    n_days: int,
) -> np.ndarray:
    """Units wanted but not sold, shape ``(n_items, n_days)``: one line per (session, item) as purchases are.

    ``lost`` flags views that would have been bought but for a stock-out; ``bought_pairs`` are the
    ``session * n_items + item`` keys already bought in the same session (not counted twice).
    """
    key = session[lost].astype(np.int64) * n_items + item[lost]
    key, first = np.unique(key, return_index=True)
    keep = ~np.isin(key, bought_pairs)
    rows = item[lost][first][keep]
    days = day[lost][first][keep]
    units = 1 + rng.poisson(MEAN_QUANTITY - 1.0, len(rows))
    grid = np.zeros((n_items, n_days), dtype=np.int64)
    np.add.at(grid, (rows, days), units)
    return grid


def demand_curves(
    session: np.ndarray,
    item: np.ndarray,
    base_logit: np.ndarray,
    sensitivity: np.ndarray,
    checkout: np.ndarray,
    n_items: int,
    n_days: int,
) -> np.ndarray:
    """Expected units per day of each item at each price multiplier of ``PRICE_GRID``, ``(n_items, len(grid))``.

    Several views of one item in a session buy it at most once: ``P(buy) = checkout x (1 - prod(1 - p_view))``.
    """
    pair, inverse = np.unique(session.astype(np.int64) * n_items + item, return_inverse=True)
    pair_item = pair % n_items
    pair_checkout = np.zeros(len(pair))
    pair_checkout[inverse] = checkout
    curves = np.zeros((n_items, len(PRICE_GRID)))
    for j, multiplier in enumerate(PRICE_GRID):  # a loop over 25 price points, each over every view at once
        p = 1.0 / (1.0 + np.exp(-(base_logit - sensitivity * np.log(multiplier))))
        none = np.zeros(len(pair))
        np.add.at(none, inverse, np.log1p(-np.minimum(p, 1 - 1e-12)))
        buy = pair_checkout * (1.0 - np.exp(none))
        curves[:, j] = np.bincount(pair_item, weights=buy, minlength=n_items) * MEAN_QUANTITY / n_days
    return curves

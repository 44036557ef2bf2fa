"""From an event log to the ``user_id, item_id, rating`` tables recommenders take.

Two builders, both with an optional ``timestamp`` column (the pair's last counted event), which the
models that weigh recency need (``Popularity(recency_half_life_days=...)``, ``RepeatPurchase``,
``TimeDecayed``):

- ``interactions_from_events``: every event type weighted (view 1, cart 3, purchase 5 by default);
- ``purchase_interactions``: purchases only, the strength counting the distinct orders with the item
  (how often it was bought: what "buy again" needs).

``age_in_days`` reads such a table's ``timestamp`` back as each pair's age, in days before the table's
latest timestamp (never before today), which is how those models weigh recency.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shopcase.schema import (
    DEFAULT_EVENT_WEIGHTS,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    INTERACTIONS_COLUMNS,
    ITEM_ID,
    ORDER_ID,
    PURCHASE,
    RATING,
    TIMESTAMP,
    USER_ID,
)
from shopcase.validate import check_bool, check_choice, check_number, validate_frame

STRENGTHS: tuple[str, ...] = ("count", "log1p", "binary")
"""How ``purchase_interactions`` turns a pair's number of orders ``c`` into a strength: c, log(1 + c), 1."""


def interactions_from_events(
    events: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    aggregate: str = "sum",
    with_timestamp: bool = False,
) -> pd.DataFrame:
    """Collapse events to one row per (user, item) with ``rating`` = weighted strength.

    Parameters
    ----------
    events : DataFrame
        An event log (``schema.EVENTS_COLUMNS``).
    weights : mapping of event type to float, optional
        Strength per event type (default view 1, cart 3, purchase 5). Every event type in the log needs a
        weight; a weight of 0 leaves that type out.
    aggregate : {"sum", "max"}
        ``'sum'`` adds the weights of all the pair's events (repeated views and purchases count),
        ``'max'`` keeps the strongest event.
    with_timestamp : bool
        Add ``timestamp``: the pair's last event with a positive weight.

    Returns
    -------
    DataFrame
        ``user_id, item_id, rating`` (plus ``timestamp``), one row per pair, sorted by ``user_id, item_id``.
    """
    weights = dict(DEFAULT_EVENT_WEIGHTS if weights is None else weights)
    check_choice(aggregate, "aggregate", ("sum", "max"))
    check_bool(with_timestamp, "with_timestamp")
    for kind, weight in weights.items():
        check_number(weight, f"weights[{kind!r}]", low=0.0)
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    types = events[EVENT_TYPE].astype(str)
    unknown = sorted(set(types.unique()) - set(weights))
    if unknown:
        raise ValueError(f"events: event_type values {unknown} have no weight in {weights}")
    frame = pd.DataFrame({USER_ID: events[USER_ID], ITEM_ID: events[ITEM_ID], RATING: types.map(weights).astype(float)})
    if with_timestamp:
        frame[TIMESTAMP] = events[TIMESTAMP]
    frame = frame[frame[RATING] > 0]
    if frame.empty:
        raise ValueError("no events with a positive weight: every interaction would be dropped")
    grouped = frame.groupby([USER_ID, ITEM_ID], sort=True)
    result = grouped[RATING].sum() if aggregate == "sum" else grouped[RATING].max()
    result = result.reset_index()
    if with_timestamp:
        result[TIMESTAMP] = grouped[TIMESTAMP].max().to_numpy()
    return result


def purchase_interactions(events: pd.DataFrame, strength: str = "count") -> pd.DataFrame:
    """One row per (user, item) bought: how often (distinct orders) and when last.

    Parameters
    ----------
    events : DataFrame
        An event log (``schema.EVENTS_COLUMNS``); only purchase lines are used.
    strength : {"count", "log1p", "binary"}
        ``rating`` from the pair's number of distinct orders ``c``: ``c``, ``log(1 + c)`` or 1.

    Returns
    -------
    DataFrame
        ``user_id, item_id, rating, timestamp`` (the pair's last purchase), sorted by ``user_id, item_id``.
    """
    check_choice(strength, "strength", STRENGTHS)
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    purchases = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    if purchases.empty:
        raise ValueError("events: no purchase lines, so there is nothing to build purchase interactions from")
    pairs = (
        purchases.groupby([USER_ID, ITEM_ID], sort=True)
        .agg(orders=(ORDER_ID, "nunique"), timestamp=(TIMESTAMP, "max"))
        .reset_index()
    )
    orders = pairs["orders"].to_numpy(dtype=np.float64)
    rating = {"count": orders, "log1p": np.log1p(orders), "binary": np.ones_like(orders)}[strength]
    return pd.DataFrame({USER_ID: pairs[USER_ID], ITEM_ID: pairs[ITEM_ID], RATING: rating, TIMESTAMP: pairs[TIMESTAMP]})


def age_in_days(interactions: pd.DataFrame, needed_by: str) -> np.ndarray:
    """Days from each row's ``timestamp`` to the latest timestamp in ``interactions`` (never to today).

    Parameters
    ----------
    interactions : DataFrame
        ``user_id, item_id, rating, timestamp``, one row per pair (e.g. ``purchase_interactions``, or
        ``interactions_from_events(..., with_timestamp=True)``).
    needed_by : str
        Who needs the ages, named in the error when the ``timestamp`` column is missing.

    Returns
    -------
    ndarray of float64, shape (n_rows,)
        Ages in days (>= 0), in row order; a refit on the same table gives the same ages.

    Raises ``ValueError`` naming ``needed_by`` when there is no ``timestamp`` column, and on missing or
    unparseable dates.
    """
    if TIMESTAMP not in interactions.columns:
        raise ValueError(
            f"{needed_by} needs a 'timestamp' column in interactions (the last interaction of each "
            f"user-item pair, e.g. from purchase_interactions); it has {list(interactions.columns)}"
        )
    schema = {**INTERACTIONS_COLUMNS, TIMESTAMP: "datetime"}
    stamps = validate_frame(interactions, schema, "interactions", key=[USER_ID, ITEM_ID])[TIMESTAMP]
    return ((stamps.max() - stamps) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)

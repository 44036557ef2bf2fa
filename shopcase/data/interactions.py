"""From an event log to the ``user_id, item_id, rating`` table recommenders take."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from shopcase.schema import DEFAULT_EVENT_WEIGHTS, EVENT_TYPE, EVENTS_COLUMNS, ITEM_ID, RATING, USER_ID
from shopcase.validate import validate_frame


def interactions_from_events(
    events: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    aggregate: str = "sum",
) -> pd.DataFrame:
    """Collapse events to one row per (user, item) with ``rating`` = weighted strength.

    ``weights`` maps event type to strength (default view 1, cart 3, purchase 5);
    ``aggregate='sum'`` adds the weights of all the pair's events (repeated views
    and purchases count), ``'max'`` keeps the strongest event. Event types without
    a weight raise ``ValueError``; a weight of 0 leaves that type out.
    Returns a frame sorted by ``user_id, item_id``.
    """
    weights = dict(DEFAULT_EVENT_WEIGHTS if weights is None else weights)
    if aggregate not in ("sum", "max"):
        raise ValueError(f"aggregate must be 'sum' or 'max', got {aggregate!r}")
    bad = {k: v for k, v in weights.items() if not (v >= 0 and v < float("inf"))}
    if bad:
        raise ValueError(f"weights must be finite and >= 0, got {bad}")
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    types = events[EVENT_TYPE].astype(str)
    unknown = sorted(set(types.unique()) - set(weights))
    if unknown:
        raise ValueError(f"events: event_type values {unknown} have no weight in {weights}")
    strength = types.map(weights).astype(float)
    frame = pd.DataFrame({USER_ID: events[USER_ID], ITEM_ID: events[ITEM_ID], RATING: strength})
    frame = frame[frame[RATING] > 0]
    if frame.empty:
        raise ValueError("no events with a positive weight: every interaction would be dropped")
    grouped = frame.groupby([USER_ID, ITEM_ID], sort=True)[RATING]
    result = grouped.sum() if aggregate == "sum" else grouped.max()
    return result.reset_index()

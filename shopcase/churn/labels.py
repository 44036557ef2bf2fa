"""Churn labels: did a customer who had bought before ``as_of`` buy again in the next ``horizon_days``?

Boundaries, precisely (shared with ``features``):

* the customers labelled are those with a purchase at ``timestamp < as_of``
  (the same events the features see);
* ``churned = True`` when they have **no** purchase with
  ``as_of <= timestamp < as_of + horizon_days``.

A purchase exactly at ``as_of`` therefore counts for the label and not for
the features, and a purchase exactly at ``as_of + horizon_days`` counts for
neither: no event can be in both windows.
"""

from __future__ import annotations

import pandas as pd

from shopcase.schema import CHURNED, CUSTOMER_ID, EVENT_TYPE, EVENTS_COLUMNS, PURCHASE, TIMESTAMP, USER_ID
from shopcase.validate import as_timestamp, check_int, validate_frame


def label_window(as_of: object, horizon_days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The label window ``[as_of, as_of + horizon_days)``: (inclusive start, exclusive end) timestamps."""
    start = as_timestamp(as_of)
    horizon_days = check_int(horizon_days, "horizon_days")
    return start, start + pd.Timedelta(days=horizon_days)


def churn_labels(events: pd.DataFrame, as_of: object, horizon_days: int = 90, log_end: object = None) -> pd.DataFrame:
    """``customer_id, churned (bool)`` for every customer with a purchase before ``as_of``, sorted by id.

    ``churned`` is True when the customer has no purchase in
    ``[as_of, as_of + horizon_days)``. ``log_end`` is the (exclusive) end of
    the period the log covers; by default the timestamp of its last event.
    Pass it when the data is recorded by day and observed through its last
    day (CDNOW runs through 1998-06-30, so ``log_end='1998-07-01'``).

    Raises ``ValueError`` if the log ends before ``as_of + horizon_days`` (the
    label would be censored: a customer may buy after the log stops), if
    ``log_end`` is earlier than an event in the log, or if nobody bought
    before ``as_of``. ``frame.attrs`` records ``as_of`` and ``horizon_days``.
    """
    start, end = label_window(as_of, horizon_days)
    return _churn_labels(validate_frame(events, EVENTS_COLUMNS, "events"), start, end, log_end)


def _churn_labels(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, log_end: object) -> pd.DataFrame:
    """``churn_labels`` on a validated event log, for the window ``[start, end)``."""
    horizon_days = (end - start).days
    last_event = events[TIMESTAMP].max()
    if log_end is None:
        observed_until = last_event
    else:
        observed_until = as_timestamp(log_end, "log_end")
        if last_event >= observed_until:
            raise ValueError(f"log_end={observed_until} is not after the last event ({last_event})")
    if observed_until < end:
        raise ValueError(
            f"labels would be censored: the window [{start}, {end}) of horizon_days={horizon_days} "
            f"ends after the log does ({observed_until}); use an earlier as_of or a shorter horizon"
        )
    purchases = events[events[EVENT_TYPE] == PURCHASE]
    before = purchases.loc[purchases[TIMESTAMP] < start, USER_ID].unique()
    if len(before) == 0:
        raise ValueError(f"events: no purchase before as_of={start}; there is nobody to label")
    in_window = purchases[TIMESTAMP].ge(start) & purchases[TIMESTAMP].lt(end)
    returned = set(purchases.loc[in_window, USER_ID].unique())
    labels = pd.DataFrame({CUSTOMER_ID: before})
    labels[CHURNED] = ~labels[CUSTOMER_ID].isin(returned)
    labels = labels.sort_values(CUSTOMER_ID, ignore_index=True)
    labels.attrs.update(as_of=start, horizon_days=int(horizon_days))
    return labels

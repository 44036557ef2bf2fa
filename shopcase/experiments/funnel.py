"""The conversion funnel: how many sessions and users reach view, cart and purchase, and how fast.

Works on any event log in shopcase's schema (generated, real, or an experiment's simulated sessions),
vectorised with numpy over integer codes (no Python loop per session), so ten million sessions take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import EVENT_TYPE, EVENT_TYPES, SESSION_ID, TIMESTAMP, USER_ID
from shopcase.validate import check_no_missing, datetime_column, require_columns

FUNNEL_COLUMNS: tuple[str, ...] = (
    "step",
    "sessions",
    "users",
    "session_conversion",
    "step_conversion",
    "drop_off",
    "user_conversion",
    "median_minutes_in_session",
    "median_days_to_first",
)
"""Per step: sessions and users reaching it; the share of all sessions (users) reaching it; the share of the
previous step's sessions that go on (and 1 minus that); minutes from session start to reaching it (median over
sessions that do); days from a user's first session to their first time reaching it (median over users)."""


def _first_value(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, dtype=values.dtype)
    out[codes[::-1]] = values[::-1]  # the first occurrence wins
    return out


def _median_by(group: np.ndarray, values: np.ndarray, keep: np.ndarray, n_groups: int) -> np.ndarray:
    if n_groups == 1:
        return np.array([np.median(values[keep])]) if keep.any() else np.array([np.nan])
    frame = pd.DataFrame({"g": group[keep], "v": values[keep]})
    return frame.groupby("g")["v"].median().reindex(range(n_groups)).to_numpy()


def _distinct(keys: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``keys`` (integers in ``[0, size)``), sorted: a mark per value, no hashing."""
    mark = np.zeros(size, dtype=bool)
    mark[keys] = True
    return np.flatnonzero(mark)


def funnel(events: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Sessions and users reaching each step (``schema.EVENT_TYPES``: view, cart, purchase), per segment.

    Parameters
    ----------
    events : DataFrame
        ``user_id, session_id, timestamp, event_type`` (plus ``by``). A session reaches a step when it has an
        event of that step or a later one.
    by : str, optional
        A column to split by (an arm, a device, a category...); a session takes the value of its first event.

    Returns
    -------
    DataFrame
        One row per (segment, step) with ``FUNNEL_COLUMNS`` (preceded by ``by`` when given).
    """
    columns = [USER_ID, SESSION_ID, TIMESTAMP, EVENT_TYPE] + ([by] if by is not None else [])
    require_columns(events, columns, "events")
    if len(events) == 0:
        raise ValueError("events is empty: a funnel needs at least one session")
    check_no_missing(events, columns, "events")
    kind = events[EVENT_TYPE]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        mapping = pd.Index(EVENT_TYPES).get_indexer([str(c) for c in kind.cat.categories])
        step = mapping[kind.cat.codes.to_numpy()]  # codes are >= 0: missing values were refused above
    else:
        step = pd.Index(EVENT_TYPES).get_indexer(kind.astype(str))
    if (step < 0).any():
        unknown = pd.unique(kind[step < 0].astype(str))[:5].tolist()
        raise ValueError(f"events: column 'event_type' has values outside {EVENT_TYPES}: {unknown}")
    time = datetime_column(events, TIMESTAMP, "events").to_numpy().astype("datetime64[ns]").astype(np.int64)
    s_codes, sessions = pd.factorize(events[SESSION_ID])
    u_codes, users = pd.factorize(events[USER_ID])
    n_sessions, n_users = len(sessions), len(users)

    reached = np.full(n_sessions, -1, dtype=np.int64)
    np.maximum.at(reached, s_codes, step)
    start = np.full(n_sessions, np.iinfo(np.int64).max)
    np.minimum.at(start, s_codes, time)
    first_at = np.full((len(EVENT_TYPES), n_sessions), np.iinfo(np.int64).max)
    for k in range(len(EVENT_TYPES)):
        mask = step >= k  # reaching a later step counts as reaching this one, at that time
        np.minimum.at(first_at[k], s_codes[mask], time[mask])
    session_user = _first_value(s_codes, u_codes, n_sessions)
    user_start = np.full(n_users, np.iinfo(np.int64).max)
    np.minimum.at(user_start, session_user, start)

    if by is None:
        seg_codes, segments = np.zeros(n_sessions, dtype=np.int64), pd.Index([None])
    else:
        codes, segments = pd.factorize(events[by], sort=True)
        seg_codes = _first_value(s_codes, codes, n_sessions)
    n_seg = len(segments)
    rows = []
    sessions_total = np.bincount(seg_codes, minlength=n_seg)
    # A user belongs to every segment they had a session in.
    user_seg = _distinct(session_user * n_seg + seg_codes, n_users * n_seg)
    users_total = np.bincount(user_seg % n_seg, minlength=n_seg)
    previous = sessions_total.astype(np.float64)
    for k, name in enumerate(EVENT_TYPES):
        hit = reached >= k
        n_hit = np.bincount(seg_codes[hit], minlength=n_seg)
        hit_users = _distinct(session_user[hit] * n_seg + seg_codes[hit], n_users * n_seg)
        n_users_hit = np.bincount(hit_users % n_seg, minlength=n_seg)
        minutes = (first_at[k] - start) / 6e10
        in_session = _median_by(seg_codes, minutes, hit, n_seg)
        # days from a user's first session (any segment) to their first time reaching the step, per segment
        user_first = np.full(n_users * n_seg, np.iinfo(np.int64).max)
        np.minimum.at(user_first, session_user[hit] * n_seg + seg_codes[hit], first_at[k][hit])
        users_hit_codes = hit_users
        days = (user_first[users_hit_codes] - user_start[users_hit_codes // n_seg]) / 8.64e13
        to_first = _median_by(users_hit_codes % n_seg, days, np.ones(days.size, dtype=bool), n_seg)
        with np.errstate(divide="ignore", invalid="ignore"):
            step_conversion = n_hit / previous
        for g in range(n_seg):
            rows.append(
                {
                    **({by: segments[g]} if by is not None else {}),
                    "step": name,
                    "sessions": int(n_hit[g]),
                    "users": int(n_users_hit[g]),
                    "session_conversion": n_hit[g] / sessions_total[g],
                    "step_conversion": step_conversion[g],
                    "drop_off": 1.0 - step_conversion[g],
                    "user_conversion": n_users_hit[g] / users_total[g],
                    "median_minutes_in_session": in_session[g],
                    "median_days_to_first": to_first[g],
                }
            )
        previous = n_hit.astype(np.float64)
    frame = pd.DataFrame(rows)
    if by is not None:
        frame = frame.sort_values([by], kind="stable").reset_index(drop=True)
    return frame

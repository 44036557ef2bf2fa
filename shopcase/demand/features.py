"""Features of the global model, for (series, origin, horizon) triples, from dense series x days arrays.

Everything about an origin is computed from the days before it (rolling means from cumulative sums, so no
loop over days); everything about the target day is known in advance (its calendar, its planned price and
promotion). Rolling means count in-stock days only: a stock-out's zero is censored, not demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOWS: tuple[int, ...] = (7, 28, 91, 364)
"""Days of the rolling means of demand per in-stock day (as of the origin)."""


class SeriesArrays:
    """Dense arrays of a set of series over consecutive days (history followed by the forecast days).

    ``demand`` (n x T, NaN where unknown: before a series starts, and on the forecast days), ``in_stock``
    (n x T, in [0, 1]), ``price`` and ``promotion`` (n x T, NaN / 0 when not given), ``days`` (T dates).
    """

    def __init__(self, demand, in_stock, price, promotion, days: pd.DatetimeIndex, category_codes: np.ndarray):
        self.demand, self.in_stock, self.price, self.promotion = demand, in_stock, price, promotion
        self.days, self.category_codes = days, category_codes
        observed = ~np.isnan(demand)
        weight = np.where(observed, in_stock, 0.0)
        self._sold = _cumsum0(np.where(observed, demand, 0.0) * (weight > 0))
        self._open = _cumsum0((weight > 0).astype(float))
        self._seen = _cumsum0(observed.astype(float))
        self._zero = _cumsum0(((demand == 0) & observed).astype(float))
        self._last_sale = _last_index(np.where(observed, demand, 0.0) > 0)
        price_known = np.nan_to_num(price, nan=0.0)
        self._price = _cumsum0(price_known)
        self._priced = _cumsum0((~np.isnan(price)).astype(float))

    def window_mean(self, rows: np.ndarray, end: np.ndarray, width: int) -> np.ndarray:
        """Mean demand per in-stock day over days ``[end - width, end)`` of each row (NaN if none)."""
        lo = np.maximum(end - width, 0)
        sold = self._sold[rows, end] - self._sold[rows, lo]
        days = self._open[rows, end] - self._open[rows, lo]
        return np.divide(sold, days, out=np.full(len(rows), np.nan), where=days > 0)

    def features(self, rows: np.ndarray, origin: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
        """Feature columns for each (row, origin day index, target day index) triple (equal-length arrays)."""
        f: dict[str, np.ndarray] = {}
        for width in WINDOWS:
            f[f"mean_{width}"] = self.window_mean(rows, origin, width)
        f["last"] = self.demand[rows, origin - 1]
        seen = self._seen[rows, origin]
        f["age"] = seen
        f["zero_share_28"] = (self._zero[rows, origin] - self._zero[rows, np.maximum(origin - 28, 0)]) / np.maximum(
            np.minimum(seen, 28), 1
        )
        f["in_stock_28"] = (self._open[rows, origin] - self._open[rows, np.maximum(origin - 28, 0)]) / np.maximum(
            np.minimum(seen, 28), 1
        )
        last_sale = self._last_sale[rows, origin - 1]
        f["days_since_sale"] = np.where(last_sale >= 0, origin - 1 - last_sale, seen).astype(float)
        # The same weekday over the last four weeks before the origin.
        ahead = target - origin
        same_day = origin - 7 + (ahead % 7)  # the last day before the origin with the target's weekday
        index = np.stack([same_day - 7 * k for k in range(4)])
        values = self.demand[rows[None, :], np.maximum(index, 0)]
        values[index < 0] = np.nan
        count = (~np.isnan(values)).sum(axis=0)
        f["weekday_mean_4"] = np.divide(
            np.nansum(values, axis=0), count, out=np.full(len(rows), np.nan), where=count > 0
        )
        # Last year: the same fortnight around the target day, relative to last year's level at the origin.
        year_ago = target - 364
        has_year = year_ago - 7 >= 0
        around = self.window_mean(rows, np.clip(year_ago + 8, 0, None), 15)
        level_then = self.window_mean(rows, np.clip(origin - 364, 0, None), 28)
        usable = has_year & (level_then > 0)
        f["last_year_ratio"] = np.where(usable, around / np.where(usable, level_then, 1.0), np.nan)
        f["last_year"] = np.where(has_year, around, np.nan)
        # Calendar of the target day and how far ahead it is.
        day = self.days[target]
        f["horizon"] = (ahead + 1).astype(float)
        f["weekday"] = day.day_of_week.to_numpy().astype(float)
        f["day_of_year"] = day.day_of_year.to_numpy().astype(float)
        f["days_to_christmas"] = ((pd.to_datetime(day.year.astype(str) + "-12-25") - day).days.to_numpy()).astype(float)
        # The planned price of the target day against the recent price, and promotions.
        recent_price_days = self._priced[rows, origin] - self._priced[rows, np.maximum(origin - 28, 0)]
        recent_price = np.divide(
            self._price[rows, origin] - self._price[rows, np.maximum(origin - 28, 0)],
            recent_price_days,
            out=np.full(len(rows), np.nan),
            where=recent_price_days > 0,
        )
        f["price_ratio"] = self.price[rows, target] / recent_price
        f["log_price"] = np.log(self.price[rows, target])
        f["promotion"] = self.promotion[rows, target]
        f["category"] = self.category_codes[rows].astype(float)
        return f


def _cumsum0(values: np.ndarray) -> np.ndarray:
    """Cumulative sums along days with a leading 0: ``out[:, t]`` is the sum over days ``< t``."""
    out = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=out[:, 1:])
    return out


def _last_index(flags: np.ndarray) -> np.ndarray:
    """For each day, the index of the latest day on or before it with a true flag (-1 if none)."""
    index = np.where(flags, np.arange(flags.shape[1])[None, :], -1)
    return np.maximum.accumulate(index, axis=1)

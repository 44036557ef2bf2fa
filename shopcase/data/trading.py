"""The shop's trading calendar: when people shop, what each item costs each day, and when it is out of stock.

Three things every real shop's demand shows, all drawn once per shop from their own seed (never from the
users), so that every block of users sees the same calendar:

- **When people shop**: the rate of sessions is ``weekday_weight[day of week] x season(day of year)``,
  scaled to average 1 over a year (so the activity calibration of the users is unchanged). The weekday
  weights follow UCI Online Retail's orders per weekday; that wholesaler is closed on Saturdays, a web shop
  is not, so Saturday trades like the mean of Friday and Sunday. The season rises from late summer to a
  peak in early December and falls quickly after Christmas, as Online Retail's daily orders do.
- **What things cost**: each item's list price changes now and then (a permanent step), and promotions put
  a whole category on sale for a week or two. A user's chance to put a viewed item in the cart moves with
  ``- price_elasticity x price_sensitivity x log(price today / list price)`` (``price_elasticity`` a shop
  setting, 1 by default), so a 20% discount lifts demand most among price-sensitive users. Purchases
  record the price of the day.
- **What is in stock**: items run out now and then for a few days; an out-of-stock item can be viewed but not
  bought, so sales are censored, as in a real log.

The calendar is observable (a shop knows its prices and its stock): ``Shop.prices`` and ``Shop.stockouts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.schema import ITEM_ID, PRICE

ONLINE_RETAIL_WEEKDAYS: tuple[float, ...] = (0.156, 0.174, 0.185, 0.216, 0.151, 0.135, 0.118)
"""Share of orders per weekday (Monday first) in UCI Online Retail, Saturday (closed there) set to the mean of
Friday and Sunday: the default ``weekday_profile``."""


@dataclass(frozen=True)
class TradingCalendar:
    """Day-by-day state of the shop over its log (``n_days`` days from ``start``).

    Attributes
    ----------
    activity : ndarray, shape (n_days,)
        Relative rate of sessions per day (weekday x season), mean 1 over a whole year.
    price : ndarray, shape (n_items, n_days), float64
        Each item's price each day (currency units), promotions included.
    list_price : ndarray, shape (n_items,)
        The price before any change or promotion (the catalogue's ``price``).
    promotion : ndarray, shape (n_items, n_days), bool
        Whether the day's price is a promotion.
    in_stock : ndarray, shape (n_items, n_days), bool
        Whether the item can be bought that day.
    """

    start: pd.Timestamp
    activity: np.ndarray
    price: np.ndarray
    list_price: np.ndarray
    promotion: np.ndarray
    in_stock: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.activity)

    def day_index(self, offset_days: np.ndarray) -> np.ndarray:
        """Day number (0 = ``start``) of each time given in days from ``start``, clipped into the log."""
        return np.clip(np.floor(offset_days).astype(np.int64), 0, self.n_days - 1)

    def prices_table(self) -> pd.DataFrame:
        """One row per spell of constant price: ``item_id, valid_from, valid_to`` (exclusive), ``price``, ``promotion``.

        ``valid_to`` of an item's last spell is the end of the log.
        """
        return _spells(self.start, self.price, {PRICE: self.price, "promotion": self.promotion})

    def stockouts_table(self) -> pd.DataFrame:
        """One row per out-of-stock spell: ``item_id, start, end`` (exclusive)."""
        out = ~self.in_stock
        table = _spells(self.start, out.astype(np.int8), {"out": out})
        table = table[table.pop("out")].reset_index(drop=True)
        return table.rename(columns={"valid_from": "start", "valid_to": "end"})


def _spells(start: pd.Timestamp, key: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Run-length encode each row of ``key`` (items x days) into spells, carrying ``values`` of each spell."""
    n_items, n_days = key.shape
    changes = np.ones((n_items, n_days), dtype=bool)
    changes[:, 1:] = key[:, 1:] != key[:, :-1]
    item, first_day = np.nonzero(changes)
    last_day = np.append(first_day[1:], 0)
    last_day[np.append(item[1:] != item[:-1], True)] = n_days  # a spell ends at the next one or the log's end
    day = np.timedelta64(1, "D")
    origin = np.datetime64(start.normalize().to_datetime64(), "D")
    frame = pd.DataFrame(
        {
            ITEM_ID: item + 1,
            "valid_from": (origin + first_day * day).astype("datetime64[us]"),
            "valid_to": (origin + last_day * day).astype("datetime64[us]"),
        }
    )
    for name, array in values.items():
        frame[name] = array[item, first_day]
    return frame


def activity_profile(
    start: pd.Timestamp,
    n_days: int,
    weekday_profile: tuple[float, ...],
    season_height: float,
    season_peak_day: float,
    season_rise_days: float,
    season_fall_days: float,
) -> np.ndarray:
    """Relative session rate per day, shape ``(n_days,)``: weekday weight x season, mean 1 over a year.

    ``season(d) = 1 + season_height x exp(-(distance to the peak / width)^2 / 2)``, with width
    ``season_rise_days`` before the peak (day of year ``season_peak_day``) and ``season_fall_days`` after it;
    the distance wraps around the year. Both factors are normalised over a 365-day year, so a whole year of
    activity is what the users' ``sessions_per_month`` says.
    """
    weekdays = np.asarray(weekday_profile, dtype=np.float64)
    weekdays = weekdays / weekdays.mean()
    year = np.arange(365.0)
    ahead = (season_peak_day - year) % 365  # days until the peak
    behind = (year - season_peak_day) % 365  # days since the peak
    rising = ahead <= behind
    distance = np.where(rising, ahead, behind)
    width = np.where(rising, season_rise_days, season_fall_days)
    season = 1.0 + season_height * np.exp(-0.5 * (distance / width) ** 2)
    season /= season.mean()
    dates = pd.date_range(start.normalize(), periods=n_days, freq="D")
    day_of_year = np.minimum(dates.day_of_year.to_numpy() - 1, 364)  # 31 December of a leap year as the 30th
    return weekdays[dates.day_of_week.to_numpy()] * season[day_of_year]


def price_schedule(
    rng: np.random.Generator,
    list_price: np.ndarray,
    category: np.ndarray,
    n_days: int,
    price_changes_per_year: float,
    promotions_per_year: float,
    promotion_discount: float,
    promotion_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily prices and promotion flags, shapes ``(n_items, n_days)``.

    Each item's list price steps by a factor ``exp(N(0, 0.1))`` at ``price_changes_per_year`` random days a year
    on average. Each category runs ``promotions_per_year`` promotions a year on average, each lasting about
    ``promotion_days`` days, with a discount around ``promotion_discount`` on every item of the category.
    """
    n_items = len(list_price)
    years = n_days / 365.0
    # Permanent price changes: a few (item, day, factor) steps, applied as a cumulative product over days.
    n_changes = rng.poisson(price_changes_per_year * years * n_items)
    step = np.ones((n_items, n_days))
    items = rng.integers(0, n_items, n_changes)
    days = rng.integers(1, max(n_days, 2), n_changes) % n_days
    np.multiply.at(step, (items, days), np.exp(rng.normal(0.0, 0.1, n_changes)))
    price = np.round(list_price[:, None] * np.cumprod(step, axis=1), 2)
    price = np.maximum(price, 0.5)
    # Category promotions.
    n_categories = int(category.max()) + 1
    promotion = np.zeros((n_items, n_days), dtype=bool)
    discount = np.zeros((n_items, n_days))
    n_promotions = rng.poisson(promotions_per_year * years * n_categories)
    promo_category = rng.integers(0, n_categories, n_promotions)
    promo_start = rng.integers(0, n_days, n_promotions)
    promo_length = 1 + rng.poisson(max(promotion_days - 1.0, 0.0), n_promotions)
    promo_discount = np.clip(rng.normal(promotion_discount, 0.05, n_promotions), 0.05, 0.6)
    members = [np.flatnonzero(category == c) for c in range(n_categories)]
    for c, first, length, cut in zip(promo_category, promo_start, promo_length, promo_discount, strict=True):
        # A loop per promotion (tens a year), not per item or day.
        span = slice(first, min(n_days, first + length))
        rows = members[c]
        promotion[rows, span] = True
        discount[rows, span] = np.maximum(discount[rows, span], cut)
    price = np.where(promotion, np.maximum(np.round(price * (1.0 - discount), 2), 0.5), price)
    return price, promotion


def stock_schedule(
    rng: np.random.Generator, n_items: int, n_days: int, per_year: float, mean_days: float
) -> np.ndarray:
    """Whether each item is in stock each day, shape ``(n_items, n_days)``: ``per_year`` spells of ~``mean_days``."""
    in_stock = np.ones((n_items, n_days), dtype=bool)
    n_spells = rng.poisson(per_year * n_days / 365.0 * n_items)
    items = rng.integers(0, n_items, n_spells)
    first = rng.integers(0, n_days, n_spells)
    length = rng.geometric(1.0 / max(mean_days, 1.0), n_spells)  # days, at least 1
    # Mark spell boundaries (+1 at the start, -1 after the end) and integrate over days: no loop per spell.
    marks = np.zeros((n_items, n_days + 1), dtype=np.int32)
    np.add.at(marks, (items, first), 1)
    np.add.at(marks, (items, np.minimum(first + length, n_days)), -1)
    in_stock &= np.cumsum(marks, axis=1)[:, :n_days] == 0
    return in_stock

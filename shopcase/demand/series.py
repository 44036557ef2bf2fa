"""Daily demand series from an event log: one row per item (or category) and day, zeros filled.

A forecaster needs every day, including the days nothing sold; an event log only has the days something did.
``daily_demand`` fills the zeros and marks what explains them: a stock-out (the item could not be bought, so a
zero is censored, not demand) or a promotion (the price was cut). ``check_series`` is the one check every
model and metric runs on such a frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import (
    CATEGORY,
    DAILY_DEMAND_COLUMNS,
    DATE,
    DEMAND,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    IN_STOCK,
    ITEM_ID,
    LAUNCH_DATE,
    PRICE,
    PROMOTION,
    PURCHASE,
    QUANTITY,
    SERIES_ID,
    TIMESTAMP,
)
from shopcase.validate import (
    as_timestamp,
    check_choice,
    check_daily_dates,
    check_number,
    require_columns,
    validate_frame,
)

LEVELS: tuple[str, ...] = ("item", "category")
"""What a series can be of: one item, or every item of a category summed."""

_DAY = np.timedelta64(1, "D")


def check_series(series: pd.DataFrame, name: str = "series") -> pd.DataFrame:
    """Check a daily demand frame; return it (dates parsed). ``ValueError`` names the argument and the problem.

    Refused: missing columns, missing (NaN) or negative demand, dates with a time of day, duplicated or missing
    days within a series (gaps in dates), ``in_stock`` / ``promotion`` outside [0, 1], prices at or below 0.
    """
    series = validate_frame(series, DAILY_DEMAND_COLUMNS, name, key=[SERIES_ID, DATE])
    check_daily_dates(series, SERIES_ID, DATE, name)
    for column in (IN_STOCK, PROMOTION):
        if column in series.columns:
            values = series[column].to_numpy(dtype=float, na_value=np.nan)
            if not np.isfinite(values).all() or (values < 0).any() or (values > 1).any():
                raise ValueError(f"{name}: column '{column}' must be a share in [0, 1] on every row")
    if PRICE in series.columns:
        price = series[PRICE].to_numpy(dtype=float, na_value=np.nan)
        bad = ~(price > 0)  # NaN counts as bad too
        if bad.any():
            raise ValueError(f"{name}: column '{PRICE}' has {int(bad.sum()):,} prices at or below 0 (or missing)")
    return series


def _day_index(stamps: pd.Series | np.ndarray, first: np.datetime64) -> np.ndarray:
    days = np.asarray(stamps, dtype="datetime64[us]").astype("datetime64[D]")
    return (days - first).astype(np.int64)


def _spells_to_grid(
    spells: pd.DataFrame,
    row_of_item: pd.Series,
    first: np.datetime64,
    n_days: int,
    begin: str,
    finish: str,
    value: np.ndarray,
    grid: np.ndarray,
) -> None:
    """Write ``value`` of each spell (item, [begin, finish) days) into ``grid`` (items x days), in place."""
    rows = row_of_item.reindex(spells[ITEM_ID].to_numpy()).to_numpy()
    known = ~np.isnan(rows)
    lo = np.clip(_day_index(spells[begin], first), 0, n_days)[known]
    hi = np.clip(_day_index(spells[finish], first), 0, n_days)[known]
    rows, value = rows[known].astype(np.int64), np.asarray(value)[known]
    length = np.maximum(hi - lo, 0)
    # Every (spell, day) pair at once: a spell's days are lo, lo + 1, ..., hi - 1.
    spell = np.repeat(np.arange(len(lo)), length)
    day = lo[spell] + (np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length))
    grid[rows[spell], day] = value[spell]


def daily_demand(
    events: pd.DataFrame,
    *,
    level: str = "item",
    catalogue: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    stockouts: pd.DataFrame | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Units sold per item (or category) and day, every day filled, stock-outs and promotions marked.

    Parameters
    ----------
    events : DataFrame
        An event log in ``schema.EVENTS_COLUMNS``; purchase lines count (``quantity`` units each).
    level : {"item", "category"}
        One series per item, or per category (needs ``catalogue``; items summed).
    catalogue : DataFrame, optional
        ``item_id`` (and ``category``, ``launch_date`` if present). With it every catalogue item has a series,
        also one that never sold, starting at its launch (or ``start``); without it, every item that sold.
    prices : DataFrame, optional
        Price spells ``item_id, valid_from, valid_to`` (exclusive), ``price``, ``promotion`` (``Shop.prices``).
        Adds the day's ``price`` (items) and ``promotion`` (share of the series' items on promotion).
    stockouts : DataFrame, optional
        Out-of-stock spells ``item_id, start, end`` (exclusive) (``Shop.stockouts``). Sets ``in_stock``
        (share of the series' items that could be bought); without it ``in_stock`` is 1.
    start, end : date, optional
        First and last day (inclusive); default the first and last day of ``events``.

    Returns
    -------
    DataFrame
        ``series_id, date, demand`` (units, float) and ``in_stock`` (in [0, 1]), plus ``promotion`` and (items)
        ``price`` with ``prices``, and (items) ``category`` with a catalogue that has one; sorted by series and
        date, one row per day (``check_series`` passes).
    """
    check_choice(level, "level", LEVELS)
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    first_day = events[TIMESTAMP].min().normalize() if start is None else as_timestamp(start, "start").normalize()
    last_day = events[TIMESTAMP].max().normalize() if end is None else as_timestamp(end, "end").normalize()
    if last_day < first_day:
        raise ValueError(f"end ({last_day.date()}) must not be before start ({first_day.date()})")
    first = np.datetime64(first_day.to_datetime64(), "D")
    n_days = int((last_day - first_day).days) + 1
    lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    lines = lines[(lines[TIMESTAMP] >= first_day) & (lines[TIMESTAMP] < last_day + pd.Timedelta(days=1))]

    if catalogue is not None:
        require_columns(catalogue, [ITEM_ID], "catalogue")
        items = pd.Index(catalogue[ITEM_ID].to_numpy())
        if items.has_duplicates:
            raise ValueError("catalogue: column 'item_id' has duplicated ids; one row per item")
        unknown = ~lines[ITEM_ID].isin(items)
        if unknown.any():
            raise ValueError(f"events: {int(unknown.sum()):,} purchase lines of items not in the catalogue")
    else:
        if level == "category":
            raise ValueError("level='category' needs a catalogue (with a 'category' column)")
        items = pd.Index(np.sort(lines[ITEM_ID].unique()))
    if len(items) == 0:
        raise ValueError("events: no purchase lines between start and end, so there is no demand to count")
    row_of_item = pd.Series(np.arange(len(items), dtype=float), index=items)

    sold = np.zeros((len(items), n_days))
    rows = row_of_item.reindex(lines[ITEM_ID].to_numpy()).to_numpy().astype(np.int64)
    np.add.at(sold, (rows, _day_index(lines[TIMESTAMP], first)), lines[QUANTITY].to_numpy(dtype=float))
    in_stock = np.ones((len(items), n_days))
    if stockouts is not None:
        require_columns(stockouts, [ITEM_ID, "start", "end"], "stockouts")
        _spells_to_grid(stockouts, row_of_item, first, n_days, "start", "end", np.zeros(len(stockouts)), in_stock)
    price = promotion = None
    if prices is not None:
        require_columns(prices, [ITEM_ID, "valid_from", "valid_to", PRICE, PROMOTION], "prices")
        check_number(float(prices[PRICE].min()), "prices: column 'price'", low=0.0, low_inclusive=False)
        price = np.full((len(items), n_days), np.nan)
        promotion = np.zeros((len(items), n_days))
        spells = prices.sort_values([ITEM_ID, "valid_from"])
        _spells_to_grid(spells, row_of_item, first, n_days, "valid_from", "valid_to", spells[PRICE].to_numpy(), price)
        _spells_to_grid(
            spells, row_of_item, first, n_days, "valid_from", "valid_to", spells[PROMOTION].to_numpy(float), promotion
        )
        if np.isnan(price).any():
            missing = items[np.isnan(price).any(axis=1)][:5].tolist()
            raise ValueError(f"prices: no price for some days of {missing} ...; the spells must cover start to end")

    # A series starts at its item's launch (it could not sell before): those days are not zero demand.
    live = np.ones((len(items), n_days), dtype=bool)
    if catalogue is not None and LAUNCH_DATE in catalogue.columns:
        launch = np.clip(_day_index(catalogue[LAUNCH_DATE].dt.normalize(), first), 0, n_days - 1)
        live = np.arange(n_days)[None, :] >= launch[:, None]

    dates = pd.date_range(first_day, periods=n_days, freq="D")
    if level == "item":
        item_rows, day = np.nonzero(live)
        frame = pd.DataFrame({SERIES_ID: items[item_rows], DATE: dates[day], DEMAND: sold[item_rows, day]})
        frame[IN_STOCK] = in_stock[item_rows, day]
        if prices is not None:
            frame[PROMOTION] = promotion[item_rows, day]
            frame[PRICE] = price[item_rows, day]
        if catalogue is not None and CATEGORY in catalogue.columns:
            frame[CATEGORY] = catalogue[CATEGORY].to_numpy()[item_rows]
        return frame

    require_columns(catalogue, [CATEGORY], "catalogue")
    codes, names = pd.factorize(catalogue[CATEGORY], sort=True)
    n_cat = len(names)

    def by_category(values: np.ndarray) -> np.ndarray:
        out = np.zeros((n_cat, n_days))
        np.add.at(out, codes, np.where(live, values, 0.0))
        return out

    n_live = by_category(np.ones_like(sold))
    has_items = n_live > 0
    cat_rows, day = np.nonzero(has_items.cumsum(axis=1) > 0)  # from the category's first live item on
    share = np.divide(1.0, n_live, out=np.zeros_like(n_live), where=has_items)
    frame = pd.DataFrame({SERIES_ID: names[cat_rows], DATE: dates[day], DEMAND: by_category(sold)[cat_rows, day]})
    frame[IN_STOCK] = np.clip(by_category(in_stock) * share, 0, 1)[cat_rows, day]
    if prices is not None:
        frame[PROMOTION] = np.clip(by_category(promotion) * share, 0, 1)[cat_rows, day]
    return frame


def popularity_bands(series: pd.DataFrame, edges: tuple[float, ...] = (0.1, 0.5), before: object = None) -> pd.Series:
    """Each series' popularity band by its units sold (before ``before``, if given): top 10%, next 40%, rest.

    ``edges`` are cumulative shares of series, most popular first; labels read ``"top 10%"``, ``"10-50%"``,
    ``"bottom 50%"``. Ties are broken by series order, so the bands have the stated sizes.
    Returns a categorical Series indexed by ``series_id`` (ordered most popular first).
    """
    require_columns(series, [SERIES_ID, DATE, DEMAND], "series")
    shares = [float(e) for e in edges]
    if not shares or any(not 0 < e < 1 for e in shares) or shares != sorted(set(shares)):
        raise ValueError(f"edges must be increasing shares in (0, 1), got {edges}")
    rows = series if before is None else series[series[DATE] < as_timestamp(before, "before")]
    totals = rows.groupby(SERIES_ID, sort=True)[DEMAND].sum().reindex(series[SERIES_ID].unique(), fill_value=0.0)
    rank = totals.rank(method="first", ascending=False).to_numpy() / len(totals)
    bounds = [0.0, *shares, 1.0]
    labels = [f"top {bounds[1]:.0%}"]
    labels += [f"{lo:.0%}-{hi:.0%}" for lo, hi in zip(bounds[1:-2], bounds[2:-1], strict=True)]
    labels += [f"bottom {1 - bounds[-2]:.0%}"]
    band = np.searchsorted(np.asarray(shares), rank, side="left")
    return pd.Series(pd.Categorical.from_codes(band, categories=labels, ordered=True), index=totals.index, name="band")


def true_demand(shop: object, start: object = None, end: object = None) -> pd.DataFrame:
    """A generated shop's item x day demand as its customers wanted it: sales plus the units stock-outs lost.

    ``daily_demand`` of the log (with prices, promotions and stock-outs marked) whose ``demand`` adds the
    hidden ``truth.item_lost_units``; ``sales`` keeps what the log recorded. For simulating an inventory
    policy on demand no forecaster has seen censored.
    """
    series = daily_demand(
        shop.events, catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts, start=start, end=end
    )
    lost = shop.truth.item_lost_units
    if lost.size == 0:
        raise ValueError("shop: its truth has no lost sales (generated before they existed); regenerate it")
    first = pd.Timestamp(shop.config.start).normalize()
    day = (series[DATE] - first).dt.days.to_numpy()
    item = series[SERIES_ID].to_numpy(dtype=np.int64) - 1
    inside = (day >= 0) & (day < lost.shape[1])
    extra = np.zeros(len(series))
    extra[inside] = lost[item[inside], day[inside]]
    series["sales"] = series[DEMAND]
    series[DEMAND] = series[DEMAND] + extra
    return series

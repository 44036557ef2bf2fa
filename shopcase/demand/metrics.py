"""Forecast accuracy as the M competitions score it: scaled errors, weighted by value, and quantile loss.

Per series (``series_metrics``), over the forecast days that are scored:

- **MASE** = mean |error| / mean |y_t - y_{t-season}| in the history (Hyndman & Koehler 2006): below 1 beats
  the in-sample seasonal naive rule;
- **RMSSE** = sqrt(mean error^2 / mean (y_t - y_{t-1})^2 in the history) (M5);
- **pinball** = mean over quantile levels q and days of the quantile loss max(q e, (q - 1) e), e = y - forecast
  of the q quantile; **SPL** divides it by mean |y_t - y_{t-1}| in the history (M5's scaled pinball loss).

Scales start at each series' first sale (M5: days before an item first sold are not demand). A series whose
scale is 0 (it never changed in its history) has no scaled metric (NaN, counted apart). ``forecast_metrics``
averages over series, per model and (optionally) band; **WRMSSE** weights each series' RMSSE by its share of
value sold (units x price, units without a price) over the last 28 days of history (M5, one level of its
hierarchy). Days out of stock (``in_stock == 0`` in the actuals) are not scored: their zero is censored, not
demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.demand.distribution import quantile_column
from shopcase.demand.series import check_series
from shopcase.schema import DATE, DEMAND, FORECAST, IN_STOCK, MODEL, PRICE, SERIES_ID
from shopcase.validate import check_int, require_columns

WEIGHT_DAYS: int = 28
"""Days of history whose value sold weights a series in WRMSSE (M5)."""

METRICS: tuple[str, ...] = ("mase", "rmsse", "wrmsse", "pinball", "spl")


def _quantile_levels(forecasts: pd.DataFrame) -> list[tuple[float, str]]:
    levels = []
    for column in forecasts.columns:
        if isinstance(column, str) and column.startswith("q"):
            try:
                level = float(column[1:])
            except ValueError:
                continue
            if 0 < level < 1 and quantile_column(level) == column:
                levels.append((level, column))
    return levels


def history_scales(history: pd.DataFrame, season: int = 7) -> pd.DataFrame:
    """Per series: ``mase_scale``, ``rmsse_scale`` (squared), ``abs_scale`` (lag 1) and ``weight`` (value sold).

    Scales use the history from each series' first sale; ``weight`` is units x price (or units) over the last
    ``WEIGHT_DAYS`` days of history, normalised to sum to 1 over all series.
    """
    season = check_int(season, "season")
    history = check_series(history, "history").sort_values([SERIES_ID, DATE])
    y = history[DEMAND].to_numpy(dtype=float)
    ids = history[SERIES_ID].to_numpy()
    codes, uniques = pd.factorize(ids, sort=True)
    n = len(uniques)
    # Scales count only pairs whose earlier day is on or after the series' first sale.
    started = pd.Series(y).groupby(codes).cumsum().to_numpy() > 0

    def scale(lag: int, power: int) -> np.ndarray:
        values, use = np.zeros(len(y)), np.zeros(len(y), dtype=bool)
        if lag < len(y):
            values[lag:] = np.abs(y[lag:] - y[:-lag]) ** power
            use[lag:] = (codes[lag:] == codes[:-lag]) & started[:-lag]
        total = np.bincount(codes[use], weights=values[use], minlength=n)
        count = np.bincount(codes[use], minlength=n)
        return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)

    mase_scale, rmsse_scale, abs_scale = scale(season, 1), scale(1, 2), scale(1, 1)
    last_day = history[DATE].max()
    recent = (history[DATE] > last_day - pd.Timedelta(days=WEIGHT_DAYS)).to_numpy()
    value = y * (history[PRICE].to_numpy(dtype=float) if PRICE in history.columns else 1.0)
    weight = np.bincount(codes[recent], weights=value[recent], minlength=n)
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(n, 1.0 / n)
    return pd.DataFrame(
        {"mase_scale": mase_scale, "rmsse_scale": rmsse_scale, "abs_scale": abs_scale, "weight": weight},
        index=pd.Index(uniques, name=SERIES_ID),
    )


def series_metrics(
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame | None,
    *,
    season: int = 7,
    scales: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per series and model: ``mase, rmsse, pinball, spl`` (see the module docstring), ``weight``, ``n_days``.

    Parameters
    ----------
    actuals : DataFrame
        ``series_id, date, demand`` over the forecast days (``in_stock`` optional: days at 0 are not scored).
    forecasts : DataFrame
        ``series_id, date, forecast`` and optional ``q<level>`` columns and ``model`` (one model if absent);
        every actual day of every forecast series must have a forecast.
    history : DataFrame
        The daily demand before the forecast days (scales and weights).
    season : int
        Season of the MASE scale (7: weekly).
    scales : DataFrame, optional
        ``history_scales(history, season)`` computed before (then ``history`` may be None).
    """
    actuals = check_series(actuals, "actuals")
    require_columns(forecasts, [SERIES_ID, DATE, FORECAST], "forecasts")
    if scales is None:
        scales = history_scales(history, season)
    if MODEL not in forecasts.columns:
        forecasts = forecasts.assign(**{MODEL: FORECAST})
    levels = _quantile_levels(forecasts)
    keep = [MODEL, SERIES_ID, DATE, FORECAST] + [c for _, c in levels]
    scored = actuals[[SERIES_ID, DATE, DEMAND] + ([IN_STOCK] if IN_STOCK in actuals.columns else [])]
    if IN_STOCK in scored.columns:
        scored = scored[scored[IN_STOCK] > 0]
    joined = forecasts[keep].merge(scored, on=[SERIES_ID, DATE], how="inner")
    have = forecasts[[MODEL, SERIES_ID]].drop_duplicates().merge(scored[[SERIES_ID, DATE]], on=SERIES_ID)
    if len(joined) != len(have):
        raise ValueError(
            f"forecasts: {len(have) - len(joined):,} (series, day) pairs of the actuals have no forecast; forecast "
            "every day of the actuals"
        )
    unknown = ~joined[SERIES_ID].isin(scales.index)
    if unknown.any():
        raise ValueError(f"history: {joined.loc[unknown, SERIES_ID].nunique():,} forecast series have no history")
    numeric = joined[[FORECAST] + [c for _, c in levels]].to_numpy(dtype=float)
    if not np.isfinite(numeric).all():
        raise ValueError("forecasts: missing (NaN) or infinite forecasts")
    error = joined[DEMAND].to_numpy(dtype=float) - joined[FORECAST].to_numpy(dtype=float)
    parts = {"abs_error": np.abs(error), "sq_error": error**2}
    if levels:
        loss = np.zeros(len(joined))
        for level, column in levels:
            e = joined[DEMAND].to_numpy(dtype=float) - joined[column].to_numpy(dtype=float)
            loss += np.maximum(level * e, (level - 1) * e)
        parts["pinball"] = loss / len(levels)
    grouped = joined[[MODEL, SERIES_ID]].assign(**parts).groupby([MODEL, SERIES_ID], sort=False)
    table = grouped.mean()
    table["n_days"] = grouped.size()
    s = scales.reindex(table.index.get_level_values(SERIES_ID))
    with np.errstate(divide="ignore", invalid="ignore"):
        table["mase"] = np.where(
            s["mase_scale"].to_numpy() > 0, table["abs_error"] / s["mase_scale"].to_numpy(), np.nan
        )
        table["rmsse"] = np.where(
            s["rmsse_scale"].to_numpy() > 0, np.sqrt(table["sq_error"] / s["rmsse_scale"].to_numpy()), np.nan
        )
        if levels:
            table["spl"] = np.where(s["abs_scale"].to_numpy() > 0, table["pinball"] / s["abs_scale"].to_numpy(), np.nan)
    table["weight"] = s["weight"].to_numpy()
    columns = ["mase", "rmsse"] + (["pinball", "spl"] if levels else []) + ["weight", "n_days"]
    return table[columns].reset_index()


def summarise_metrics(per_series: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Average ``series_metrics`` rows per model (and ``by`` columns): mean MASE, RMSSE, pinball, SPL; WRMSSE.

    Means skip series whose scale is 0 (``n_series`` counts those scored, ``n_unscaled`` the others); WRMSSE
    renormalises the weights over the scored series of each group.
    """
    keys = [MODEL, *(by or [])]

    def one(group: pd.DataFrame) -> pd.Series:
        ok = np.isfinite(group["rmsse"]) & np.isfinite(group["mase"])
        w = group.loc[ok, "weight"]
        row = {
            "n_series": int(ok.sum()),
            "n_unscaled": int((~ok).sum()),
            "mase": group.loc[ok, "mase"].mean(),
            "rmsse": group.loc[ok, "rmsse"].mean(),
            "wrmsse": float((w * group.loc[ok, "rmsse"]).sum() / w.sum()) if w.sum() > 0 else np.nan,
        }
        if "pinball" in group.columns:
            row["pinball"] = group["pinball"].mean()
            row["spl"] = group.loc[ok, "spl"].mean()
        return pd.Series(row)

    rows = [one(group).rename(key) for key, group in per_series.groupby(keys, sort=False, observed=True)]
    table = pd.DataFrame(rows)
    table.index = pd.MultiIndex.from_tuples([k if isinstance(k, tuple) else (k,) for k in table.index], names=keys)
    return table.reset_index()


def forecast_metrics(
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    *,
    season: int = 7,
    bands: pd.Series | None = None,
) -> pd.DataFrame:
    """MASE, RMSSE, WRMSSE, pinball loss and SPL per model (and popularity band), see the module docstring.

    ``bands`` (a Series by ``series_id``, e.g. ``popularity_bands``) adds one row per model and band.
    Returns ``model, [band,] n_series, n_unscaled, mase, rmsse, wrmsse[, pinball, spl]``.
    """
    per_series = series_metrics(actuals, forecasts, history, season=season)
    if bands is None:
        return summarise_metrics(per_series)
    per_series["band"] = bands.reindex(per_series[SERIES_ID]).to_numpy()
    if per_series["band"].isna().any():
        raise ValueError("bands: some forecast series have no band")
    return summarise_metrics(per_series, by=["band"])

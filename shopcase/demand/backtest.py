"""Rolling-origin backtests: fit on everything before an origin, forecast the days after it, score, repeat.

A random split of days lies about a time series: a model that sees Wednesday and Friday "predicts" Thursday
by interpolating, which no forecast made on Wednesday can do. The honest test re-enacts forecasting: at each
**origin** the models see only the days before it (``date < origin``) and forecast the ``horizon`` days from
it. Several origins give several honest scores, and their spread says how much one origin's luck matters.
Tune on earlier (validation) origins, report on later (test) ones.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from shopcase.demand.base import Forecaster
from shopcase.demand.distribution import quantile_column
from shopcase.demand.metrics import history_scales, series_metrics, summarise_metrics
from shopcase.demand.series import check_series
from shopcase.schema import DATE, DEMAND, FORECAST, MODEL, ORIGIN, SEED, SERIES_ID
from shopcase.validate import as_timestamp, check_int, check_probability

QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99)
"""Quantile levels a backtest forecasts by default (the service levels of the inventory notebook)."""


def rolling_origins(
    series: pd.DataFrame, horizon: int = 28, n_origins: int = 3, step: int | None = None, end: object = None
) -> list[pd.Timestamp]:
    """The last ``n_origins`` origins, ``step`` days apart (default ``horizon``), the last leaving ``horizon`` days.

    ``end`` (default the last day of ``series``) is the last day any forecast may reach.
    """
    horizon = check_int(horizon, "horizon")
    n_origins = check_int(n_origins, "n_origins")
    step = horizon if step is None else check_int(step, "step")
    last = series[DATE].max() if end is None else as_timestamp(end, "end")
    final = last - pd.Timedelta(days=horizon - 1)
    origins = [final - pd.Timedelta(days=step * k) for k in range(n_origins)][::-1]
    if origins[0] <= series[DATE].min():
        raise ValueError(f"horizon x n_origins: the first origin ({origins[0].date()}) leaves no history before it")
    return origins


@dataclass(frozen=True)
class ForecastComparison:
    """One model against a baseline on one metric, pooled over origins: the relative gain with its interval.

    ``gain = 1 - mean(model) / mean(baseline)`` (positive: the model's error is lower). ``low, high``: the
    paired bootstrap percentile interval resampling series (all of a series' origins together).
    ``per_origin``: the gain at each origin.
    """

    model: str
    baseline: str
    metric: str
    model_value: float
    baseline_value: float
    gain: float
    low: float
    high: float
    confidence: float
    n_series: int
    per_origin: tuple[float, ...]

    @property
    def significant(self) -> bool:
        """True when the interval excludes no gain (0)."""
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        origins = ", ".join(f"{g:+.1%}" for g in self.per_origin)
        return (
            f"{self.model} vs {self.baseline}: {self.metric.upper()} {self.model_value:.3f} vs "
            f"{self.baseline_value:.3f}, {self.gain:+.1%} lower ({self.confidence:.0%} CI {self.low:+.1%} to "
            f"{self.high:+.1%}, {self.n_series:,} series; per origin {origins})"
        )


@dataclass(frozen=True)
class Backtest:
    """What ``backtest`` returns.

    ``forecasts``: every forecast (``origin, model, series_id, date, forecast, variance, q...``);
    ``actuals``: the forecast days' daily demand rows with their ``origin``; ``per_series``: ``series_metrics``
    per origin (with ``band`` when bands were given); ``seconds``: fit + predict time per origin and model;
    ``skipped``: series left out at an origin for too short a history (``origin, series_id, days``);
    ``scales``: ``history_scales`` per origin (``origin`` column, indexed by ``series_id``).
    """

    origins: tuple[pd.Timestamp, ...]
    horizon: int
    forecasts: pd.DataFrame
    actuals: pd.DataFrame
    per_series: pd.DataFrame
    seconds: pd.DataFrame
    skipped: pd.DataFrame
    scales: pd.DataFrame

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(self.per_series[MODEL]))

    def with_quantile_point(self, model: str, q: float = 0.5, name: str | None = None) -> Backtest:
        """This backtest plus ``model``'s ``q`` quantile scored as a point forecast (e.g. the median, which
        absolute errors such as MASE reward), named ``name`` (default ``"<model> (q<q>)"``); nothing is refitted."""
        if model not in self.models:
            raise ValueError(f"model {model!r} is not in this backtest; it has {self.models}")
        column = quantile_column(q)
        if column not in self.forecasts.columns:
            raise ValueError(f"q: the backtest has no {column} forecasts; run it with that quantile")
        name = name or f"{model} ({column})"
        ours = self.forecasts[self.forecasts[MODEL] == model].assign(**{MODEL: name})
        ours[FORECAST] = ours[column]
        scores = []
        for origin, rows in ours.groupby(ORIGIN, sort=True):
            actual = self.actuals[self.actuals[ORIGIN] == origin].drop(columns=[ORIGIN])
            scale = self.scales[self.scales[ORIGIN] == origin].drop(columns=[ORIGIN])
            score = series_metrics(actual, rows.drop(columns=[ORIGIN]), None, scales=scale)
            score.insert(0, ORIGIN, origin)
            scores.append(score)
        per_series = pd.concat(scores, ignore_index=True)
        if "band" in self.per_series.columns:
            band = self.per_series.drop_duplicates(SERIES_ID).set_index(SERIES_ID)["band"]
            per_series["band"] = band.reindex(per_series[SERIES_ID]).to_numpy()
        return replace(
            self,
            forecasts=pd.concat([self.forecasts, ours], ignore_index=True),
            per_series=pd.concat([self.per_series, per_series], ignore_index=True),
        )

    def subset(self, series_ids: object) -> Backtest:
        """This backtest restricted to ``series_ids`` (e.g. one popularity band), every model and origin."""
        keep = pd.Index(series_ids)

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame[SERIES_ID].isin(keep)].reset_index(drop=True)

        scales = self.scales[self.scales.index.isin(keep)]
        return replace(
            self,
            forecasts=rows(self.forecasts),
            actuals=rows(self.actuals),
            per_series=rows(self.per_series),
            skipped=rows(self.skipped),
            scales=scales,
        )

    def merged(self, other: Backtest) -> Backtest:
        """The models of this backtest and ``other`` side by side (same origins and horizon; scored series kept)."""
        if tuple(other.origins) != tuple(self.origins) or other.horizon != self.horizon:
            raise ValueError("other: a backtest with the same origins and horizon is needed to set models side by side")
        clash = set(self.models) & set(other.models)
        if clash:
            raise ValueError(f"other: models {sorted(clash)} are in both backtests; rename one")
        return replace(
            self,
            forecasts=pd.concat([self.forecasts, other.forecasts], ignore_index=True),
            per_series=pd.concat([self.per_series, other.per_series], ignore_index=True),
            seconds=pd.concat([self.seconds, other.seconds], ignore_index=True),
        )

    def metrics(self, by_band: bool = False, by_origin: bool = False) -> pd.DataFrame:
        """Mean metrics per model (and band, origin): ``summarise_metrics`` of ``per_series``."""
        by = ([ORIGIN] if by_origin else []) + (["band"] if by_band else [])
        return summarise_metrics(self.per_series, by=by)

    def summary(self, metric: str = "mase", confidence: float = 0.95) -> pd.DataFrame:
        """Per model: ``metric`` pooled over origins, its mean over origins and a t interval over origins."""
        confidence = check_probability(confidence, "confidence")
        per_origin = self.metrics(by_origin=True).pivot(index=MODEL, columns=ORIGIN, values=metric)
        pooled = self.metrics().set_index(MODEL)[metric]
        n = per_origin.shape[1]
        mean = per_origin.mean(axis=1)
        sd = per_origin.std(axis=1, ddof=1) if n > 1 else mean * 0.0
        half = stats.t.ppf(0.5 + confidence / 2, max(n - 1, 1)) * sd / np.sqrt(n)
        table = pd.DataFrame(
            {
                metric: pooled.reindex(per_origin.index),
                "origin_mean": mean,
                "origin_low": mean - half,
                "origin_high": mean + half,
                "origin_min": per_origin.min(axis=1),
                "origin_max": per_origin.max(axis=1),
            }
        )
        return table.loc[self.models].reset_index()

    def compare(
        self,
        model: str,
        baseline: str,
        metric: str = "mase",
        *,
        confidence: float = 0.95,
        n_boot: int = 1000,
        seed: int = SEED,
    ) -> ForecastComparison:
        """``model`` against ``baseline`` on ``metric`` (``mase``, ``rmsse``, ``spl``): gain and paired interval."""
        confidence = check_probability(confidence, "confidence")
        n_boot = check_int(n_boot, "n_boot")
        for name in (model, baseline):
            if name not in self.models:
                raise ValueError(f"model {name!r} is not in this backtest; it has {self.models}")
        table = self.per_series.pivot_table(index=[ORIGIN, SERIES_ID], columns=MODEL, values=metric, aggfunc="first")
        both = (table[model].notna() & table[baseline].notna()).to_numpy()
        ours, theirs = table[model].to_numpy()[both], table[baseline].to_numpy()[both]
        codes, _ = pd.factorize(table.index.get_level_values(SERIES_ID)[both])
        a, b = np.bincount(codes, weights=ours), np.bincount(codes, weights=theirs)
        rng = np.random.default_rng(seed)
        # Resample series (each with all its origins); the ratio of sums is the ratio of pooled means.
        draws = rng.multinomial(len(a), np.full(len(a), 1.0 / len(a)), size=n_boot).astype(float)
        boot = 1.0 - (draws @ a) / (draws @ b)
        lo, hi = np.quantile(boot, [0.5 - confidence / 2, 0.5 + confidence / 2])
        origin_of = table.index.get_level_values(ORIGIN)[both]
        per_origin = tuple(
            float(1 - ours[origin_of == o].mean() / theirs[origin_of == o].mean()) for o in sorted(set(origin_of))
        )
        return ForecastComparison(
            model=model,
            baseline=baseline,
            metric=metric,
            model_value=float(ours.mean()),
            baseline_value=float(theirs.mean()),
            gain=float(1 - ours.mean() / theirs.mean()),
            low=float(lo),
            high=float(hi),
            confidence=confidence,
            n_series=len(a),
            per_origin=per_origin,
        )


def backtest(
    series: pd.DataFrame,
    models: Mapping[str, Forecaster],
    *,
    origins: Sequence[object] | None = None,
    horizon: int = 28,
    n_origins: int = 3,
    step: int | None = None,
    quantiles: Sequence[float] = QUANTILES,
    min_history: int = 28,
    season: int = 7,
    bands: pd.Series | None = None,
) -> Backtest:
    """Rolling-origin backtest of ``models`` on ``series`` (a daily demand frame, ``daily_demand``).

    Parameters
    ----------
    series : DataFrame
        Daily demand (``check_series``); extra columns (``price``, ``promotion``, ``in_stock``, ``category``)
        reach the models as ``future`` for the forecast days, without ``demand``.
    models : mapping name -> Forecaster
        Each is cloned and fitted afresh at every origin.
    origins : dates, optional
        The first forecast day of each round; default ``rolling_origins(series, horizon, n_origins, step)``.
    horizon : int
        Days forecast from each origin; every origin needs them all inside ``series``.
    min_history : int
        Series with fewer days before an origin are left out there (listed in ``skipped``, never silently).
    season : int
        Season of the MASE scale.
    bands : Series, optional
        A label per ``series_id`` (``popularity_bands``), kept in ``per_series``.
    """
    series = check_series(series, "series")
    horizon = check_int(horizon, "horizon")
    min_history = check_int(min_history, "min_history")
    if not models:
        raise ValueError("models is empty: give at least one forecaster")
    if origins is None:
        origins = rolling_origins(series, horizon, n_origins, step)
    origins = [as_timestamp(o, "origins").normalize() for o in origins]
    last = series[DATE].max()
    for origin in origins:
        if origin + pd.Timedelta(days=horizon - 1) > last:
            raise ValueError(f"origins: {origin.date()} + horizon {horizon} days runs past the data ({last.date()})")
    forecasts, actuals, per_series, seconds, skipped, scales = [], [], [], [], [], []
    for origin in origins:
        history = series[series[DATE] < origin]
        window = series[(series[DATE] >= origin) & (series[DATE] < origin + pd.Timedelta(days=horizon))]
        # Every series of the window is forecast, or listed as skipped (also one with no history at all).
        length = history.groupby(SERIES_ID, sort=False).size()
        length = length.reindex(length.index.union(window[SERIES_ID].unique()), fill_value=0)
        short = length[length < min_history]
        skipped.append(pd.DataFrame({ORIGIN: origin, SERIES_ID: short.index, "days": short.to_numpy()}))
        history = history[~history[SERIES_ID].isin(short.index)]
        if history.empty:
            raise ValueError(f"origins: no series has {min_history} days of history before {origin.date()}")
        window = window[~window[SERIES_ID].isin(short.index)]
        future = window.drop(columns=[DEMAND])
        scale = history_scales(history, season)
        scales.append(scale.assign(**{ORIGIN: origin}))
        for name, model in models.items():
            started = time.perf_counter()
            fitted = clone(model).fit(history)
            forecast = fitted.predict(horizon, future=future, quantiles=quantiles)
            seconds.append({ORIGIN: origin, MODEL: name, "seconds": time.perf_counter() - started})
            forecast.insert(0, MODEL, name)
            forecast.insert(0, ORIGIN, origin)
            forecasts.append(forecast)
            scores = series_metrics(window, forecast.drop(columns=[ORIGIN]), None, scales=scale)
            scores.insert(0, ORIGIN, origin)
            per_series.append(scores)
        actuals.append(window.assign(**{ORIGIN: origin}))
    per_series_frame = pd.concat(per_series, ignore_index=True)
    if bands is not None:
        per_series_frame["band"] = bands.reindex(per_series_frame[SERIES_ID]).to_numpy()
    return Backtest(
        origins=tuple(origins),
        horizon=horizon,
        forecasts=pd.concat(forecasts, ignore_index=True),
        actuals=pd.concat(actuals, ignore_index=True),
        per_series=per_series_frame,
        seconds=pd.DataFrame(seconds),
        skipped=pd.concat(skipped, ignore_index=True),
        scales=pd.concat(scales),
    )

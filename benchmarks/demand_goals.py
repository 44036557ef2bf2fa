"""The forecasting goals of issue 12, measured: the best shopcase model against seasonal naive and AutoETS.

Protocol (the same on both data sets): item x day demand; rolling origins 28 days apart with a 28-day horizon.
Three **validation** origins choose the shopcase model (the global LightGBM model with a mean or a median
point forecast, by pooled MASE); three later **test** origins, never used for a choice, report:

* the generated shop of notebook 08 (20,000 users, 1,000 items, 2022-2023, price elasticity 4: two years, so
  last year's season is there to learn from), every item; prices and promotions are known in advance,
  stock-outs are not scored;
* UCI Online Retail (Dec 2010 - Dec 2011, shipped), its 1,000 best-selling items before the first validation
  origin (AutoETS on every item at six origins would take over half an hour of CPU); no price is used (the
  unit prices paid there fall with the quantity bought, so they would leak the demand).

Goals: the best shopcase model beats seasonal naive by >= 10% MASE and at least matches AutoETS on both, with
intervals (paired bootstrap over series; per-origin gains). Writes ``benchmarks/results/demand_goals.csv``.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/demand_goals.py
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import pandas as pd

from shopcase.data import load_online_retail, load_or_generate
from shopcase.demand import (
    GlobalForecaster,
    SeasonalNaive,
    StatsForecastModel,
    backtest,
    daily_demand,
    popularity_bands,
    rolling_origins,
)

print = functools.partial(print, flush=True)  # noqa: A001 - progress shows while it runs
RESULTS = Path(__file__).resolve().parent / "results" / "demand_goals.csv"
HORIZON = 28
SHOP = dict(n_users=20_000, n_items=1_000, seed=42, start="2022-01-01", end="2023-12-31", price_elasticity=4.0)
"""Notebook 08's shop (its defaults)."""


def data_sets() -> dict[str, pd.DataFrame]:
    shop = load_or_generate(**SHOP)
    generated = daily_demand(shop.events, catalogue=shop.catalogue, prices=shop.prices, stockouts=shop.stockouts)
    retail = load_online_retail()
    real = daily_demand(retail.events, catalogue=retail.catalogue)
    first_validation = rolling_origins(real, HORIZON, 6)[0]
    sold = real[real["date"] < first_validation].groupby("series_id")["demand"].sum().nlargest(1_000).index
    return {"generated shop": generated, "Online Retail": real[real["series_id"].isin(sold)]}


def main() -> int:
    rows = []
    models = {
        "seasonal naive": SeasonalNaive(),
        "AutoETS": StatsForecastModel("AutoETS"),
        "TSB": StatsForecastModel("TSB"),
        "global (mean)": GlobalForecaster(),
    }
    for name, series in data_sets().items():
        origins = rolling_origins(series, HORIZON, 6)
        validation_origins, test_origins = origins[:3], origins[3:]
        bands = popularity_bands(series, before=validation_origins[0])
        started = time.perf_counter()
        # Validation only chooses between the global model's point forecasts: the peers are not needed there.
        chosen_from = {k: models[k] for k in ("seasonal naive", "global (mean)")}
        validation = backtest(series, chosen_from, origins=validation_origins, horizon=HORIZON, bands=bands)
        validation = validation.with_quantile_point("global (mean)", 0.5, "global (median)")
        pooled = validation.metrics().set_index("model")["mase"]
        best = pooled[["global (mean)", "global (median)"]].idxmin()
        test = backtest(series, models, origins=test_origins, horizon=HORIZON, bands=bands)
        test = test.with_quantile_point("global (mean)", 0.5, "global (median)")
        dates = [[o.date().isoformat() for o in group] for group in (validation_origins, test_origins)]
        print(
            f"\n{name}: {series['series_id'].nunique():,} series, validation origins {dates[0]}, test {dates[1]}"
            f" ({time.perf_counter() - started:.0f} s); chosen on validation: {best}"
        )
        print(test.metrics().round(3).to_string(index=False))
        print(test.metrics(by_band=True).round(3).to_string(index=False))
        print(test.seconds.groupby("model")["seconds"].sum().round(1).to_string())
        for model in ("global (mean)", "global (median)"):
            for baseline in ("seasonal naive", "AutoETS", "TSB"):
                comparison = test.compare(model, baseline)
                print(comparison)
                rows.append(
                    {
                        "data": name,
                        "model": model,
                        "chosen": model == best,
                        "baseline": baseline,
                        "mase": comparison.model_value,
                        "baseline_mase": comparison.baseline_value,
                        "gain": comparison.gain,
                        "low": comparison.low,
                        "high": comparison.high,
                        "per_origin": " ".join(f"{g:+.3f}" for g in comparison.per_origin),
                        "n_series": comparison.n_series,
                    }
                )
        metrics = test.metrics(by_band=True).assign(data=name)
        metrics.to_csv(RESULTS.with_name(f"demand_goals_{name.split()[0].lower()}_bands.csv"), index=False)
    pd.DataFrame(rows).to_csv(RESULTS, index=False)
    print(f"\nwritten {RESULTS}; load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Demand: daily series from the log, forecasts and their backtests, inventory policies, pricing experiments.

- series: ``daily_demand`` (item or category x day, zeros filled, stock-outs and promotions marked),
  ``check_series``, ``popularity_bands``;
- forecasting: ``Naive``, ``SeasonalNaive``; ``StatsForecastModel`` (statsforecast's AutoETS, Croston, TSB);
  ``GlobalForecaster`` (one LightGBM model over every series: lags, calendar, prices); all give a mean, a
  variance and count quantiles (``distribution``);
- evaluation: ``backtest`` (rolling origin), ``forecast_metrics`` (MASE, RMSSE, WRMSSE, pinball loss);
- inventory: ``reorder_policy`` (reorder point and order-up-to level from the forecast's distribution and a
  lead time), ``naive_policy``, ``simulate_inventory`` (fill rate, stock-out days, holding cost);
- pricing: ``PriceExperiment`` (Thompson sampling over price points, price bounds as guardrails).
"""

from shopcase.demand.backtest import QUANTILES, Backtest, ForecastComparison, backtest, rolling_origins
from shopcase.demand.base import Forecaster
from shopcase.demand.baselines import Naive, SeasonalNaive
from shopcase.demand.classical import STATSFORECAST_MODELS, StatsForecastModel
from shopcase.demand.distribution import count_quantiles, quantile_column
from shopcase.demand.global_model import GlobalForecaster
from shopcase.demand.inventory import (
    InventoryComparison,
    InventoryResult,
    compare_inventory,
    cost_at_fill_rate,
    naive_policy,
    reorder_policy,
    simulate_inventory,
)
from shopcase.demand.metrics import forecast_metrics, series_metrics, summarise_metrics
from shopcase.demand.pricing import PriceExperiment, PricingResult
from shopcase.demand.series import check_series, daily_demand, popularity_bands, true_demand

__all__ = [
    "QUANTILES",
    "PriceExperiment",
    "PricingResult",
    "Backtest",
    "ForecastComparison",
    "Forecaster",
    "InventoryComparison",
    "InventoryResult",
    "GlobalForecaster",
    "Naive",
    "STATSFORECAST_MODELS",
    "SeasonalNaive",
    "StatsForecastModel",
    "backtest",
    "check_series",
    "compare_inventory",
    "cost_at_fill_rate",
    "count_quantiles",
    "daily_demand",
    "forecast_metrics",
    "naive_policy",
    "popularity_bands",
    "quantile_column",
    "reorder_policy",
    "rolling_origins",
    "series_metrics",
    "simulate_inventory",
    "summarise_metrics",
    "true_demand",
]

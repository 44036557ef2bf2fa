"""The plots the notebooks share, in one consistent style. Each returns a matplotlib Figure.

One module per topic (``shop``, ``recommend``, ``churn``, ...); every plot is also importable from here,
so a notebook writes ``from shopcase import plots`` and ``plots.calibration(...)``.
"""

from shopcase.plots.churn import calibration, churn_timeline, differences, importance, value_comparison
from shopcase.plots.demand import (
    demand_shape,
    forecast_examples,
    inventory_tradeoff,
    metric_by_band,
    profit_curves,
    regret_curves,
)
from shopcase.plots.deployment import latency_histogram, rules_effect
from shopcase.plots.experiments import (
    calibration_curve,
    estimates_with_truth,
    funnel_steps,
    power_curve,
    rejection_rates,
    sequential_path,
)
from shopcase.plots.recommend import metric_lines, metrics_by_k, model_intervals, scaling_curves, tradeoff
from shopcase.plots.search import click_bias, feature_gain, ndcg_by_kind, ranker_gains
from shopcase.plots.shop import (
    category_mix,
    events_over_time,
    order_values,
    popularity_curves,
    trading_calendar,
)
from shopcase.plots.spark import spark_scaling

__all__ = [
    "calibration",
    "calibration_curve",
    "category_mix",
    "churn_timeline",
    "click_bias",
    "demand_shape",
    "differences",
    "estimates_with_truth",
    "events_over_time",
    "feature_gain",
    "forecast_examples",
    "funnel_steps",
    "importance",
    "inventory_tradeoff",
    "latency_histogram",
    "metric_by_band",
    "metric_lines",
    "metrics_by_k",
    "model_intervals",
    "ndcg_by_kind",
    "order_values",
    "popularity_curves",
    "power_curve",
    "profit_curves",
    "ranker_gains",
    "regret_curves",
    "rejection_rates",
    "rules_effect",
    "scaling_curves",
    "sequential_path",
    "spark_scaling",
    "tradeoff",
    "trading_calendar",
    "value_comparison",
]

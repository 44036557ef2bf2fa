"""The plots the notebooks share, in one consistent style. Each returns a matplotlib Figure.

One module per topic (``shop``, ``recommend``, ``churn``, ...); every plot is also importable from here,
so a notebook writes ``from shopcase import plots`` and ``plots.calibration(...)``.
"""

from shopcase.plots.churn import calibration, churn_timeline, importance
from shopcase.plots.demand import (
    demand_shape,
    forecast_examples,
    inventory_tradeoff,
    metric_by_band,
    profit_curves,
    regret_curves,
)
from shopcase.plots.recommend import metric_lines, scaling_curves, tradeoff
from shopcase.plots.search import click_bias, feature_gain, ndcg_by_kind, ranker_gains
from shopcase.plots.shop import category_mix, events_over_time, funnel_chart, order_values, popularity_curves

__all__ = [
    "demand_shape",
    "forecast_examples",
    "inventory_tradeoff",
    "metric_by_band",
    "profit_curves",
    "regret_curves",
    "calibration",
    "category_mix",
    "churn_timeline",
    "click_bias",
    "events_over_time",
    "feature_gain",
    "funnel_chart",
    "importance",
    "metric_lines",
    "ndcg_by_kind",
    "order_values",
    "popularity_curves",
    "ranker_gains",
    "scaling_curves",
    "tradeoff",
]

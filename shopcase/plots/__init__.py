"""The plots the notebooks share, in one consistent style. Each returns a matplotlib Figure.

One module per topic (``shop``, ``recommend``, ``churn``, ...); every plot is also importable from here,
so a notebook writes ``from shopcase import plots`` and ``plots.calibration(...)``.
"""

from shopcase.plots.churn import calibration, churn_timeline, importance
from shopcase.plots.deployment import latency_histogram, rules_effect
from shopcase.plots.recommend import metric_lines, scaling_curves, tradeoff
from shopcase.plots.search import click_bias, feature_gain, ndcg_by_kind, ranker_gains
from shopcase.plots.shop import category_mix, events_over_time, funnel_chart, order_values, popularity_curves

__all__ = [
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
    # deployment (notebook 09)
    "latency_histogram",
    "rules_effect",
]

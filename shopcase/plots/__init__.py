"""The plots the notebooks share, in one consistent style. Each returns a matplotlib Figure.

One module per topic (``shop``, ``recommend``, ``churn``, ...); every plot is also importable from here,
so a notebook writes ``from shopcase import plots`` and ``plots.calibration(...)``.
"""

from shopcase.plots.churn import calibration, churn_timeline, importance
from shopcase.plots.recommend import metric_lines, scaling_curves, tradeoff
from shopcase.plots.shop import category_mix, events_over_time, funnel_chart, order_values, popularity_curves

__all__ = [
    "calibration",
    "category_mix",
    "churn_timeline",
    "events_over_time",
    "funnel_chart",
    "importance",
    "metric_lines",
    "order_values",
    "popularity_curves",
    "scaling_curves",
    "tradeoff",
]

"""Honest offline evaluation: train/test splits that report what became cold, and top-K metrics.

``splits``: ``random_split_by_user``, ``temporal_split``, ``leave_last_out``, each returning
``(train, test, SplitReport)``. ``metrics``: precision, recall, NDCG, MAP (two conventions),
hit rate and MRR at K, averaged over every user in the truth frame (users without a list
score 0, never skipped), plus coverage, novelty, intra-list diversity and popularity.
``intervals``: paired bootstrap over users - ``compare_models`` on ``per_user_scores`` gives every model's
interval and its gap from a baseline, ``paired_difference`` / ``bootstrap_mean`` one line each.
"""

from shopcase.evaluate.cost import scaling_curve
from shopcase.evaluate.intervals import Difference, Interval, bootstrap_mean, compare_models, paired_difference
from shopcase.evaluate.metrics import (
    RANKING_METRICS,
    average_popularity,
    beyond_accuracy_metrics,
    catalogue_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    novelty,
    per_user_metrics,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)
from shopcase.evaluate.relevance import hide_answers, purchase_truth, share_in_favourite_category
from shopcase.evaluate.report import business_reading, evaluate_models, metrics_at_ks, per_user_scores
from shopcase.evaluate.splits import SplitReport, leave_last_out, random_split_by_user, temporal_split
from shopcase.evaluate.tuning import best_params, grid_search, tune_blend_weights

__all__ = [
    "RANKING_METRICS",
    "Difference",
    "Interval",
    "SplitReport",
    "average_popularity",
    "best_params",
    "beyond_accuracy_metrics",
    "bootstrap_mean",
    "business_reading",
    "catalogue_coverage",
    "compare_models",
    "evaluate_models",
    "grid_search",
    "hide_answers",
    "hit_rate_at_k",
    "intra_list_diversity",
    "leave_last_out",
    "map_at_k",
    "metrics_at_ks",
    "mrr_at_k",
    "ndcg_at_k",
    "novelty",
    "paired_difference",
    "per_user_metrics",
    "per_user_scores",
    "precision_at_k",
    "purchase_truth",
    "random_split_by_user",
    "ranking_metrics",
    "recall_at_k",
    "scaling_curve",
    "share_in_favourite_category",
    "temporal_split",
    "tune_blend_weights",
]

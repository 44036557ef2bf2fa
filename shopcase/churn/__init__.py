"""Churn: who will stop buying, how sure we are, and who is worth an offer.

- ``features``: ``customer_features(events, as_of, ...)`` from events before ``as_of`` only, indexed by
  ``customer_id``; ``FEATURE_COLUMNS``, ``FEATURE_GROUPS``; ``bgnbd_features``.
- ``labels``: ``churn_labels(events, as_of, horizon_days)``: no purchase in ``[as_of, as_of + horizon)``.
- ``dataset``: ``build_churn_dataset`` -> ``ChurnDataset(features, labels, as_of, horizon_days)``: X and
  y indexed by ``customer_id``; ``rolling_origins`` / ``stack_datasets`` for several past dates.
- ``classifier``: what the churn classifiers share: scikit-learn's ``fit(X, y)``, so ``clone``,
  ``cross_val_predict``, ``permutation_importance`` and ``GridSearchCV`` work on them unchanged.
- ``model``: ``ChurnModel`` (gradient boosting, optional calibration, risk segments).
- ``baselines``: ``BinnedRateRule`` (recency / frequency rules).
- ``bgnbd``: the BG/NBD model (Fader, Hardie & Lee 2005) and ``summary_from_transactions``;
  ``bgnbd_classifier``: ``BGNBDClassifier``, BG/NBD's P(no purchase in the horizon) as a classifier.
- ``spend``: ``GammaGamma``, the spend-per-purchase model (Fader, Hardie & Lee 2005, "RFM and CLV");
  ``value``: ``customer_value``, BG/NBD x Gamma-Gamma: expected value of every buyer over a horizon.
- ``evaluation``: out-of-time evaluation, metrics, calibration, importance, paired bootstrap intervals.
- ``targeting``: value at risk and ``retention_targets`` under a budget.
"""

from shopcase.churn.baselines import BinnedRateRule
from shopcase.churn.bgnbd import BGNBD, PAPER_CDNOW_PARAMS, sample_bgnbd, summary_from_transactions
from shopcase.churn.bgnbd_classifier import BGNBDClassifier
from shopcase.churn.classifier import ChurnClassifier
from shopcase.churn.dataset import ChurnDataset, build_churn_dataset, rolling_origins, stack_datasets
from shopcase.churn.evaluation import (
    ChurnEvaluation,
    ValidationChoice,
    bootstrap_difference,
    bootstrap_differences,
    bootstrap_metrics,
    calibration_table,
    choose_on_validation,
    classification_metrics,
    compare_methods,
    evaluate_out_of_time,
    folds,
    group_ablation,
    lift_at,
    permutation_importance_table,
)
from shopcase.churn.features import (
    BGNBD_FEATURE_COLUMNS,
    BGNBD_SUMMARY_COLUMNS,
    FEATURE_COLUMNS,
    FEATURE_GROUPS,
    bgnbd_features,
    customer_features,
)
from shopcase.churn.labels import churn_labels, label_window
from shopcase.churn.model import SEGMENTS, ChurnModel, risk_segments
from shopcase.churn.spend import PAPER_CDNOW_SPEND_PARAMS, GammaGamma, spend_log_likelihood
from shopcase.churn.targeting import RetentionPlan, retention_targets, value_at_risk
from shopcase.churn.value import VALUE_COLUMNS, customer_value

__all__ = [
    "BGNBD",
    "BGNBD_FEATURE_COLUMNS",
    "BGNBD_SUMMARY_COLUMNS",
    "BGNBDClassifier",
    "FEATURE_COLUMNS",
    "FEATURE_GROUPS",
    "PAPER_CDNOW_PARAMS",
    "PAPER_CDNOW_SPEND_PARAMS",
    "VALUE_COLUMNS",
    "GammaGamma",
    "SEGMENTS",
    "BinnedRateRule",
    "ChurnClassifier",
    "ChurnDataset",
    "ChurnEvaluation",
    "ChurnModel",
    "ValidationChoice",
    "RetentionPlan",
    "bgnbd_features",
    "bootstrap_difference",
    "bootstrap_differences",
    "bootstrap_metrics",
    "build_churn_dataset",
    "calibration_table",
    "choose_on_validation",
    "churn_labels",
    "classification_metrics",
    "compare_methods",
    "customer_features",
    "customer_value",
    "evaluate_out_of_time",
    "folds",
    "group_ablation",
    "label_window",
    "lift_at",
    "permutation_importance_table",
    "retention_targets",
    "risk_segments",
    "sample_bgnbd",
    "spend_log_likelihood",
    "rolling_origins",
    "stack_datasets",
    "summary_from_transactions",
    "value_at_risk",
]

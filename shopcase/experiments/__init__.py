"""Experiments and conversion: funnels, a conversion model, trustworthy A/B tests and off-policy evaluation.

Public API (names users and instructors can rely on):

- describe: ``funnel``;
- test one experiment: ``two_proportion_test``, ``welch_test``, ``ratio_metric_test``, ``bootstrap_ci``,
  ``cuped``, ``srm_test``, ``adjust_pvalues``; plan it: ``sample_size_proportions``, ``power_proportions``,
  ``minimum_detectable_effect``, ``power_curve``; read it every day: ``sequential_test``;
- simulate on the shop's hidden truth: ``simulate_experiment`` / ``ExperimentSimulator`` (arms are ``Slate``
  policies; ``assign_arms`` is the salted hash);
- the conversion model and a targeted discount: ``conversion_dataset``, ``ConversionModel``,
  ``evaluate_conversion``, ``TwoModelUplift``, ``compare_targeting``;
- off-policy: ``ips``, ``snips``, ``doubly_robust``, and ``BanditSimulator`` (logs with a known truth).

Every analysis returns a frozen dataclass (``results``) that prints as one line: estimate, interval,
p-value, users per arm and what was assumed.
"""

from shopcase.experiments.analysis import (
    adjust_pvalues,
    cuped,
    ratio_metric_test,
    srm_test,
    two_proportion_test,
    welch_test,
)
from shopcase.experiments.assignment import assign_arms
from shopcase.experiments.bootstrap import bootstrap_ci
from shopcase.experiments.conversion import ConversionData, ConversionModel, conversion_dataset, evaluate_conversion
from shopcase.experiments.funnel import funnel
from shopcase.experiments.offpolicy import BanditSimulator, doubly_robust, ips, snips
from shopcase.experiments.power import (
    minimum_detectable_effect,
    power_curve,
    power_proportions,
    sample_size_proportions,
)
from shopcase.experiments.results import (
    CupedResult,
    OffPolicyEstimate,
    SampleSize,
    SequentialResult,
    SrmResult,
    TestResult,
)
from shopcase.experiments.sequential import sequential_test
from shopcase.experiments.simulate import Behaviour, Experiment, ExperimentSimulator, Slate, simulate_experiment
from shopcase.experiments.uplift import (
    DiscountResponse,
    TransformedOutcomeUplift,
    TwoModelUplift,
    compare_targeting,
    intervention_outcomes,
    true_incremental_revenue,
)

__all__ = [
    "BanditSimulator",
    "Behaviour",
    "ConversionData",
    "ConversionModel",
    "CupedResult",
    "DiscountResponse",
    "Experiment",
    "ExperimentSimulator",
    "Slate",
    "TransformedOutcomeUplift",
    "TwoModelUplift",
    "assign_arms",
    "compare_targeting",
    "conversion_dataset",
    "doubly_robust",
    "evaluate_conversion",
    "intervention_outcomes",
    "ips",
    "simulate_experiment",
    "snips",
    "true_incremental_revenue",
    "OffPolicyEstimate",
    "SampleSize",
    "SequentialResult",
    "SrmResult",
    "TestResult",
    "adjust_pvalues",
    "bootstrap_ci",
    "cuped",
    "funnel",
    "minimum_detectable_effect",
    "power_curve",
    "power_proportions",
    "ratio_metric_test",
    "sample_size_proportions",
    "sequential_test",
    "srm_test",
    "two_proportion_test",
    "welch_test",
]

import numpy as np
import pandas as pd
import pytest
from churn_logs import simulated_log
from sklearn.base import BaseEstimator, ClassifierMixin

from shopcase.churn import (
    FEATURE_GROUPS,
    BinnedRateRule,
    ChurnModel,
    bootstrap_difference,
    build_churn_dataset,
    calibration_table,
    classification_metrics,
    compare_methods,
    cross_validated_proba,
    evaluate_out_of_time,
    group_ablation,
    lift_at,
    rolling_origins,
    stack_datasets,
)


@pytest.fixture(scope="module")
def shop():
    events, emails, catalogue = simulated_log(n_customers=300, seed=0)

    def build(as_of):
        return build_churn_dataset(events, as_of, 60, emails=emails, catalogue=catalogue)

    return build


class Memoriser(ClassifierMixin, BaseEstimator):
    """Predicts churn = 1 exactly for the customers it was trained on: exposes any label leak."""

    def fit(self, features, labels):
        self.seen_ = set(features["customer_id"])
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, features):
        p = features["customer_id"].isin(self.seen_).to_numpy(dtype=float)
        return np.column_stack([1 - p, p])


def test_lift_and_metrics_on_known_scores():
    y = np.array([True, True] + [False] * 8)
    scores = np.linspace(1, 0, 10)
    assert lift_at(y, scores, 0.1) == pytest.approx(1 / 0.2)
    assert lift_at(y, scores, 0.2) == pytest.approx(1 / 0.2)
    assert lift_at(y, scores, 1.0) == pytest.approx(1.0)
    metrics = classification_metrics(y, scores)
    assert (metrics["roc_auc"], metrics["pr_auc"]) == (1.0, 1.0)
    assert metrics["brier"] == pytest.approx(np.mean((scores - y) ** 2))
    assert metrics["churn_rate"] == pytest.approx(0.2) and metrics["n_customers"] == 10
    assert np.isnan(classification_metrics(y, -scores * 5, is_probability=False)["brier"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        classification_metrics(y, scores * 5)
    with pytest.raises(ValueError, match="single class"):
        classification_metrics(np.ones(10, dtype=bool), scores)
    with pytest.raises(ValueError, match="same length"):
        classification_metrics(y, scores[:5])


def test_compare_methods_and_calibration_table():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = rng.random(1000) < p  # calibrated by construction
    scores = {"good": p, "noise": rng.random(1000), "rank": 10 * p}
    table = compare_methods(y, scores, not_probabilities=["rank"])
    assert table["method"].tolist() == ["good", "noise", "rank"]
    assert table.loc[0, "roc_auc"] > 0.7 > table.loc[1, "roc_auc"]
    assert np.isnan(table.loc[2, "brier"]) and table.loc[2, "roc_auc"] == table.loc[0, "roc_auc"]
    calibration = calibration_table(y, p, n_bins=10)
    assert len(calibration) == 10 and calibration["n"].sum() == 1000
    assert calibration["mean_predicted"].is_monotonic_increasing
    assert np.abs(calibration["mean_predicted"] - calibration["observed_rate"]).max() < 0.15
    with pytest.raises(ValueError, match="not scored"):
        compare_methods(y, {"good": p}, not_probabilities=["other"])


def test_cross_validation_never_scores_a_customer_with_its_own_label(shop):
    data = shop("2022-06-01")
    p = cross_validated_proba(Memoriser(), data.features, data.labels, n_splits=5)
    assert p.shape == (len(data.features),) and np.all(p == 0)


def test_out_of_time_evaluation(shop):
    train, test = shop("2022-06-01"), shop("2022-08-01")
    result = evaluate_out_of_time(ChurnModel(n_estimators=30), train, test, n_bins=5, n_repeats=2)
    metrics = result.metrics.iloc[0]
    assert 0.5 < metrics["roc_auc"] <= 1 and 0 < metrics["brier"] < 0.25
    assert metrics["test_as_of"] == pd.Timestamp("2022-08-01") and metrics["n_customers"] == len(test.labels)
    assert result.calibration["n"].sum() == len(test.labels)
    assert set(result.importance["feature"]) == {c for g in FEATURE_GROUPS.values() for c in g}
    assert result.importance["importance_mean"].is_monotonic_decreasing
    assert result.importance.loc[0, "group"] in FEATURE_GROUPS
    assert list(result.scores.columns) == ["customer_id", "churn_probability", "churned"]


def test_out_of_time_refuses_training_labels_from_the_test_period(shop):
    train, test = shop("2022-06-01"), shop("2022-07-15")  # training labels run to 2022-07-31
    with pytest.raises(ValueError, match="training labels run to 2022-07-31"):
        evaluate_out_of_time(ChurnModel(n_estimators=5), train, test)
    with pytest.raises(ValueError, match="training labels run to"):
        group_ablation(ChurnModel(n_estimators=5), train, test)


def test_group_ablation_rows(shop):
    data = shop("2022-06-01")
    table = group_ablation(ChurnModel(n_estimators=10), data, n_splits=3)
    assert table["feature_set"].tolist() == [
        "rfm",
        "+ engagement",
        "+ trend",
        "+ basket",
        "all - rfm",
        "all - engagement",
        "all - trend",
        "all - basket",
    ]
    assert table["n_features"].iloc[3] == sum(len(g) for g in FEATURE_GROUPS.values())
    assert table["roc_auc"].between(0, 1).all()


def test_rolling_origins_and_stacking(shop):
    dates = rolling_origins("2022-08-01", 60, n_windows=3, step_days=30)
    assert dates == [pd.Timestamp("2022-06-02"), pd.Timestamp("2022-05-03"), pd.Timestamp("2022-04-03")]
    stacked = stack_datasets([shop(d) for d in dates])
    assert stacked.as_of == dates[0] and stacked.label_end == pd.Timestamp("2022-08-01")
    assert stacked.features["customer_id"].is_unique
    assert stacked.features["customer_id"].tolist() == stacked.labels["customer_id"].tolist()
    assert str(stacked.features["customer_id"].iloc[0]).endswith("@2022-06-02")
    ChurnModel(n_estimators=5).fit(stacked.features, stacked.labels)  # ids are only join keys
    other = build_churn_dataset(simulated_log(50, seed=2)[0], "2022-06-01", 30)
    with pytest.raises(ValueError, match="horizon_days"):
        stack_datasets([shop("2022-06-01"), other])
    with pytest.raises(ValueError, match="repeat an as_of"):
        stack_datasets([shop("2022-06-01"), shop("2022-06-01")])


def test_binned_rate_rule():
    features = pd.DataFrame({"customer_id": range(100), "days_since_last_purchase": np.arange(100.0)})
    labels = pd.DataFrame({"customer_id": range(100), "churned": np.arange(100) >= 50})
    rule = BinnedRateRule(n_bins=4, prior_strength=0.0).fit(features, labels)
    p = rule.predict_proba(features)[:, 1]
    assert set(np.round(p, 6)) == {0.0, 1.0}  # bins (-inf, 24], (24, 49], ...: pure
    far = pd.DataFrame({"customer_id": [1, 2], "days_since_last_purchase": [-10.0, 1e6]})
    assert rule.predict_proba(far)[:, 1].tolist() == [0.0, 1.0]  # outside the range: the edge bins
    smoothed = BinnedRateRule(n_bins=4, prior_strength=1.0).fit(features, labels)
    assert 0 < smoothed.rates_.min() and smoothed.rates_.max() < 1


def test_bootstrap_difference():
    rng = np.random.default_rng(1)
    p = rng.random(2000)
    y = rng.random(2000) < p
    same = bootstrap_difference(y, p, p, n_boot=50)
    assert same["metric"].tolist() == ["roc_auc", "brier"]
    assert np.allclose(same[["difference", "ci_low", "ci_high"]].to_numpy(), 0)
    noisy = np.clip(p + rng.normal(0, 0.3, 2000), 0, 1)
    better = bootstrap_difference(y, p, noisy, n_boot=100).set_index("metric")
    assert better.loc["roc_auc", "ci_low"] > 0 and better.loc["brier", "ci_high"] < 0
    ranking_only = bootstrap_difference(y, p, -10 * p, n_boot=20, baseline_is_probability=False)
    assert np.isnan(ranking_only.set_index("metric").loc["brier", "difference"])

import numpy as np
import pandas as pd
import pytest
from churn_logs import simulated_log
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import cross_val_predict

from shopcase.churn import (
    FEATURE_GROUPS,
    BinnedRateRule,
    ChurnModel,
    bootstrap_difference,
    bootstrap_differences,
    bootstrap_metrics,
    build_churn_dataset,
    calibration_table,
    choose_on_validation,
    classification_metrics,
    compare_methods,
    evaluate_out_of_time,
    folds,
    group_ablation,
    lift_at,
    rolling_origins,
    stack_datasets,
)
from shopcase.churn.evaluation import _bootstrap_weights, weighted_roc_auc


@pytest.fixture(scope="module")
def shop():
    events, emails, catalogue = simulated_log(n_customers=300, seed=0)

    def build(as_of):
        return build_churn_dataset(events, as_of, 60, emails=emails, catalogue=catalogue)

    return build


class Memoriser(ClassifierMixin, BaseEstimator):
    """Predicts churn = 1 exactly for the customers it was trained on: exposes any label leak."""

    def fit(self, X, y):
        self.seen_ = set(X.index)
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, X):
        p = X.index.isin(self.seen_).astype(float)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X)[:, 1] > 0.5


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
    with pytest.raises(ValueError, match="one class"):
        classification_metrics(np.ones(10, dtype=bool), scores)
    with pytest.raises(ValueError, match="boolean or 0/1"):
        classification_metrics(np.arange(10), scores)
    with pytest.raises(ValueError, match="fraction"):
        lift_at(y, scores, 0.0)
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
    p = cross_val_predict(Memoriser(), data.features, data.labels, cv=folds(5), method="predict_proba")[:, 1]
    assert p.shape == (len(data.features),) and np.all(p == 0)
    with pytest.raises(ValueError, match="n_splits"):
        folds(1)


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
    assert result.scores["customer_id"].tolist() == test.features.index.tolist()
    assert result.scores["churned"].tolist() == test.labels.tolist()
    # a rule goes through the same protocol, importance included (no reaching into a pipeline)
    rule = evaluate_out_of_time(BinnedRateRule(), train, test, n_repeats=2)
    assert rule.importance["feature"].tolist() == ["days_since_last_purchase"]


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
    assert stacked.features.index.is_unique and stacked.features.index.name == "customer_id"
    assert stacked.features.index.equals(stacked.labels.index)
    assert str(stacked.features.index[0]).endswith("@2022-06-02")
    assert len(stacked.labels) == sum(len(shop(d).labels) for d in dates)
    ChurnModel(n_estimators=5).fit(stacked.features, stacked.labels)  # ids are only join keys
    other = build_churn_dataset(simulated_log(50, seed=2)[0], "2022-06-01", 30)
    with pytest.raises(ValueError, match="horizon_days"):
        stack_datasets([shop("2022-06-01"), other])
    with pytest.raises(ValueError, match="repeat an as_of"):
        stack_datasets([shop("2022-06-01"), shop("2022-06-01")])
    with pytest.raises(ValueError, match="feature columns"):
        stack_datasets(
            [shop("2022-06-01"), build_churn_dataset(simulated_log(50, seed=2)[0], "2022-05-01", 60, bgnbd=True)]
        )


def test_weighted_roc_auc_is_roc_auc_on_the_resample():
    rng = np.random.default_rng(3)
    y = rng.random(60) < 0.4
    scores = np.round(rng.random(60), 1)  # many ties
    weights = _bootstrap_weights(60, 25, rng)
    fast = weighted_roc_auc(y, scores, weights)
    for row, w in enumerate(weights):
        drawn = np.repeat(np.arange(60), w.astype(int))  # the resample the weights stand for
        assert fast[row] == pytest.approx(roc_auc_score(y[drawn], scores[drawn]), abs=1e-12)
    assert np.isnan(weighted_roc_auc(y, scores, np.where(y, 0.0, 1.0)[None, :]))[0]  # no churner drawn


def test_bootstrap_difference():
    rng = np.random.default_rng(1)
    p = rng.random(2000)
    y = rng.random(2000) < p
    same = bootstrap_difference(y, p, p, n_boot=50)
    assert same["metric"].tolist() == ["roc_auc", "brier"]
    assert np.allclose(same[["difference", "ci_low", "ci_high"]].to_numpy(), 0)
    assert same["verdict"].tolist() == ["within noise"] * 2
    noisy = np.clip(p + rng.normal(0, 0.3, 2000), 0, 1)
    better = bootstrap_difference(y, p, noisy, n_boot=200).set_index("metric")
    assert better.loc["roc_auc", "ci_low"] > 0 and better.loc["brier", "ci_high"] < 0
    assert better.loc["roc_auc", "difference"] == pytest.approx(roc_auc_score(y, p) - roc_auc_score(y, noisy))
    assert better.loc["brier", "difference"] == pytest.approx(brier_score_loss(y, p) - brier_score_loss(y, noisy))
    assert (better["verdict"] == "real").all()
    ranking_only = bootstrap_difference(y, p, -10 * p, n_boot=20, baseline_is_probability=False)
    assert np.isnan(ranking_only.set_index("metric").loc["brier", "difference"])


def test_bootstrap_differences_pairs_every_method_on_the_same_resamples():
    rng = np.random.default_rng(2)
    p = rng.random(500)
    y = rng.random(500) < p
    scores = {"model": p, "a": np.clip(p + rng.normal(0, 0.2, 500), 0, 1), "b": rng.random(500)}
    table = bootstrap_differences(y, scores, "model", n_boot=100, random_state=7)
    assert table["method"].tolist() == ["a", "a", "b", "b"]
    # pairwise calls with the same seed draw the same resamples, so they give the same intervals
    alone = bootstrap_difference(y, p, scores["b"], n_boot=100, random_state=7)
    np.testing.assert_allclose(table.iloc[2:][["ci_low", "ci_high"]].to_numpy(), alone[["ci_low", "ci_high"]])
    for kwargs, message in [
        ({"reference": "other"}, "reference"),
        ({"not_probabilities": ["c"]}, "not scored"),
        ({"not_probabilities": ["model"]}, "reference must be a probability"),
        ({"confidence": 1.0}, "confidence"),
        ({"n_boot": 1}, "n_boot"),
    ]:
        with pytest.raises(ValueError, match=message):
            bootstrap_differences(y, scores, **{"reference": "model", **kwargs})


def test_bootstrap_interval_covers_a_zero_difference_about_95_percent_of_the_time():
    """Two scorers equally good by construction (same signal, independent noise of the same size):
    the true ROC-AUC and Brier differences are 0, so a 95% interval should contain 0 in about 95% of
    samples. 200 samples: the band [0.89, 0.99] is about +-2.5 binomial standard deviations."""
    rng = np.random.default_rng(11)
    covered = {"roc_auc": 0, "brier": 0}
    n_samples = 200
    for k in range(n_samples):
        signal = rng.normal(size=300)
        y = rng.random(300) < 1 / (1 + np.exp(-signal))
        a = 1 / (1 + np.exp(-(signal + rng.normal(0, 1, 300))))
        b = 1 / (1 + np.exp(-(signal + rng.normal(0, 1, 300))))
        table = bootstrap_difference(y, a, b, n_boot=200, random_state=k).set_index("metric")
        for metric in covered:
            covered[metric] += table.loc[metric, "ci_low"] <= 0 <= table.loc[metric, "ci_high"]
    for metric, hits in covered.items():
        assert 0.89 <= hits / n_samples <= 0.99, (metric, hits / n_samples)


def test_bootstrap_metrics_intervals_surround_each_methods_value():
    rng = np.random.default_rng(4)
    p = rng.random(800)
    y = rng.random(800) < p
    table = bootstrap_metrics(y, {"good": p, "rank": 5 * p}, n_boot=200, not_probabilities=["rank"])
    good = table[table["method"] == "good"].set_index("metric")
    assert good.loc["roc_auc", "value"] == pytest.approx(roc_auc_score(y, p))
    assert good.loc["brier", "value"] == pytest.approx(brier_score_loss(y, p))
    assert (good["ci_low"] < good["value"]).all() and (good["value"] < good["ci_high"]).all()
    rank = table[table["method"] == "rank"].set_index("metric")
    assert rank.loc["roc_auc", "value"] == pytest.approx(good.loc["roc_auc", "value"])
    assert np.isnan(rank.loc["brier", "value"]) and np.isnan(rank.loc["brier", "ci_low"])


def test_choose_on_validation_keeps_the_best_and_says_which_gaps_are_real(shop):
    train, validation = shop("2022-05-01"), shop("2022-07-01")
    candidates = {
        "model": (ChurnModel(n_estimators=20), train),
        "recency": (BinnedRateRule(), train),
        "noise": (Memoriser(), train),  # scores every validation customer 0: ROC-AUC 0.5
    }
    choice = choose_on_validation(candidates, validation, n_boot=200)
    table = choice.table
    assert list(table.index) == ["model", "recency", "noise"]
    assert choice.chosen == table["roc_auc"].idxmax() and table.loc[choice.chosen, "verdict"] == "chosen"
    assert table.loc["noise", "roc_auc"] == pytest.approx(0.5) and table.loc["noise", "verdict"] == "real"
    best = table.loc[choice.chosen, "roc_auc"]
    assert table.drop(index=choice.chosen)["difference"].tolist() == pytest.approx(
        (best - table.drop(index=choice.chosen)["roc_auc"]).tolist()
    )
    assert str(choice).startswith(f"chosen on 2022-07-01: {choice.chosen}") and "\n" not in str(choice)
    with pytest.raises(ValueError, match="training labels run to"):
        choose_on_validation({"late": (BinnedRateRule(), shop("2022-06-01"))}, validation)
    with pytest.raises(ValueError, match="candidates is empty"):
        choose_on_validation({}, validation)

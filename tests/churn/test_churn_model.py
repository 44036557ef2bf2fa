import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from shopcase.churn import BGNBD_FEATURE_COLUMNS, FEATURE_COLUMNS, ChurnModel, risk_segments


def synthetic(n=400, seed=0):
    """Features where churn depends on recency and frequency, plus tempting columns that must be ignored."""
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 10.0, size=(n, len(FEATURE_COLUMNS)))
    features = pd.DataFrame(values, columns=list(FEATURE_COLUMNS))
    logit = 0.2 * (features["days_since_last_purchase"] - 20) - 0.1 * (features["total_orders"] - 20)
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    features.insert(0, "customer_id", np.arange(n) + 1000)
    labels = pd.DataFrame({"customer_id": features["customer_id"], "churned": churned})
    return features, labels


def with_leaks(features, labels):
    """Add an id, a date and a text column that each give the label away."""
    churned = labels.set_index("customer_id")["churned"].reindex(features["customer_id"]).to_numpy()
    leaky = features.copy()
    leaky["user_id"] = np.where(churned, 10_000, 0) + np.arange(len(leaky))  # ids that sort churners last
    leaky["last_purchase_date"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.where(churned, 0, 90), "D")
    leaky["status"] = np.where(churned, "gone", "active")
    return leaky


def test_sklearn_conventions():
    model = ChurnModel(estimator="hgb", n_estimators=30, thresholds=(0.3, 0.8), random_state=1)
    params = model.get_params()
    assert params == {
        "estimator": "hgb",
        "n_estimators": 30,
        "calibration": None,
        "thresholds": (0.3, 0.8),
        "random_state": 1,
        "feature_columns": None,
        "estimator_params": None,
    }
    features, labels = synthetic()
    assert model.fit(features, labels) is model
    assert model.get_params() == params  # fitting changes no parameter
    assert list(model.classes_) == [False, True] and model.n_features_in_ == len(FEATURE_COLUMNS)
    assert clone(model).get_params() == params
    with pytest.raises(NotFittedError):
        ChurnModel().predict_proba(features)


def test_ids_dates_and_text_never_enter_the_model():
    features, labels = synthetic()
    leaky = with_leaks(features, labels)
    model = ChurnModel(n_estimators=30).fit(leaky, labels)
    assert list(model.pipeline_.feature_names_in_) == list(FEATURE_COLUMNS)
    assert list(model.feature_names_in_) == list(FEATURE_COLUMNS)
    # Same predictions with the leaks removed, and with the ids shuffled: they play no part.
    clean = ChurnModel(n_estimators=30).fit(features, labels)
    np.testing.assert_array_equal(model.predict_proba(leaky), clean.predict_proba(features))
    shuffled = leaky.assign(user_id=np.random.default_rng(0).permutation(leaky["user_id"].to_numpy()))
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(leaky))


def test_naming_an_id_or_a_non_numeric_column_is_refused():
    features, labels = synthetic()
    leaky = with_leaks(features, labels)
    for columns, message in [
        (["days_since_last_purchase", "customer_id"], "look like ids"),
        (["days_since_last_purchase", "user_id"], "look like ids"),
        (["last_purchase_date"], "must be numeric"),
        (["status"], "must be numeric"),
        ([], "empty"),
        ("days_since_last_purchase", "list of names"),
    ]:
        with pytest.raises(ValueError, match=message):
            ChurnModel(n_estimators=5, feature_columns=columns).fit(leaky, labels)


def test_bgnbd_columns_join_the_default_features_when_present():
    features, labels = synthetic()
    extra = features.assign(**{c: 0.5 for c in BGNBD_FEATURE_COLUMNS})
    model = ChurnModel(n_estimators=5).fit(extra, labels)
    assert model.feature_columns_ == [*FEATURE_COLUMNS, *BGNBD_FEATURE_COLUMNS]


def test_model_learns_the_signal_out_of_sample():
    features, labels = synthetic(n=1500, seed=1)
    train, test = features.iloc[:1000], features.iloc[1000:]
    model = ChurnModel().fit(train, labels.iloc[:1000])
    p = model.predict_proba(test)
    assert p.shape == (500, 2) and np.allclose(p.sum(axis=1), 1)
    assert roc_auc_score(labels["churned"].iloc[1000:], p[:, 1]) > 0.8
    assert model.score(test, labels.iloc[1000:]) == pytest.approx(roc_auc_score(labels["churned"].iloc[1000:], p[:, 1]))


@pytest.mark.parametrize(
    "settings",
    [
        {"estimator": "hgb"},
        {"calibration": "isotonic"},
        {"calibration": "sigmoid", "estimator": "hgb"},
        {"estimator_params": {"max_depth": 2, "learning_rate": 0.05}},
    ],
)
def test_variants_give_reproducible_probabilities(settings):
    features, labels = synthetic()
    first = ChurnModel(n_estimators=20, **settings).fit(features, labels).predict_proba(features)[:, 1]
    again = ChurnModel(n_estimators=20, **settings).fit(features, labels).predict_proba(features)[:, 1]
    np.testing.assert_array_equal(first, again)
    assert np.all((first >= 0) & (first <= 1))


def test_fit_joins_on_customer_id_not_on_row_order():
    features, labels = synthetic()
    reversed_labels = labels.iloc[::-1].reset_index(drop=True)
    a = ChurnModel(n_estimators=10).fit(features, labels).predict_proba(features)
    b = ChurnModel(n_estimators=10).fit(features, reversed_labels).predict_proba(features)
    np.testing.assert_array_equal(a, b)


def test_bad_fit_input_raises():
    features, labels = synthetic()
    model = ChurnModel(n_estimators=5)
    with pytest.raises(ValueError, match="same customers.*1 only in features"):
        model.fit(features, labels.iloc[1:])
    with pytest.raises(ValueError, match="same customers.*1 only in labels"):
        model.fit(features.iloc[1:], labels)
    with pytest.raises(ValueError, match="'churned' must be boolean"):
        model.fit(features, labels.assign(churned=labels["churned"].astype(int)))
    with pytest.raises(ValueError, match="single class"):
        model.fit(features, labels.assign(churned=True))
    with pytest.raises(ValueError, match="'avg_order_value' has 1 missing or infinite"):
        model.fit(features.assign(avg_order_value=[np.inf] + [1.0] * (len(features) - 1)), labels)
    with pytest.raises(ValueError, match="duplicated ids"):
        model.fit(pd.concat([features, features.iloc[:1]]), labels)
    with pytest.raises(ValueError, match="missing column"):
        model.fit(features.drop(columns="tenure_days"), labels)
    for bad, message in [
        ({"estimator": "forest"}, "estimator must be"),
        ({"calibration": "platt"}, "calibration"),
        ({"n_estimators": 0}, "n_estimators"),
        ({"thresholds": (0.7, 0.4)}, "thresholds"),
        ({"estimator_params": {"n_trees": 3}}, "estimator_params"),
    ]:
        with pytest.raises(ValueError, match=message):
            ChurnModel(**{"n_estimators": 5, **bad}).fit(features, labels)


def test_risk_segments_at_the_boundaries():
    p = [0.0, 0.4, np.nextafter(0.4, 1), 0.55, 0.7, np.nextafter(0.7, 1), 1.0]
    assert list(risk_segments(p)) == ["LOW", "LOW", "MEDIUM", "MEDIUM", "MEDIUM", "HIGH", "HIGH"]
    assert list(risk_segments([0.2, 0.5, 0.95], thresholds=(0.1, 0.9))) == ["MEDIUM", "MEDIUM", "HIGH"]
    for bad in [(0.7, 0.4), (0.4, 0.4), (-0.1, 0.5), (0.5, 1.2), (0.5,)]:
        with pytest.raises(ValueError, match="thresholds"):
            risk_segments([0.5], thresholds=bad)
    with pytest.raises(ValueError, match="probabilities"):
        risk_segments([1.5])


def test_predict_churn_risk_output():
    features, labels = synthetic()
    model = ChurnModel(n_estimators=20).fit(features, labels)
    risk = model.predict_churn_risk(features.iloc[::-1])
    assert list(risk.columns) == ["customer_id", "churn_probability", "risk_segment"]
    assert risk["customer_id"].tolist() == features["customer_id"].iloc[::-1].tolist()
    assert set(risk["risk_segment"]) <= {"HIGH", "MEDIUM", "LOW"}
    expected = np.where(
        risk["churn_probability"] > 0.7, "HIGH", np.where(risk["churn_probability"] > 0.4, "MEDIUM", "LOW")
    )
    assert risk["risk_segment"].tolist() == expected.tolist()

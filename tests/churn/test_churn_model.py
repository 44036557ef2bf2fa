import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from shopcase.churn import BGNBD_FEATURE_COLUMNS, FEATURE_COLUMNS, ChurnModel, risk_segments


def synthetic(n=400, seed=0):
    """X indexed by customer_id where churn depends on recency and frequency; y the churned Series."""
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 10.0, size=(n, len(FEATURE_COLUMNS)))
    ids = pd.Index(np.arange(n) + 1000, name="customer_id")
    X = pd.DataFrame(values, columns=list(FEATURE_COLUMNS), index=ids)
    logit = 0.2 * (X["days_since_last_purchase"] - 20) - 0.1 * (X["total_orders"] - 20)
    y = pd.Series(rng.random(n) < 1 / (1 + np.exp(-logit)), index=ids, name="churned")
    return X, y


def with_leaks(X, y):
    """Add an id, a date and a text column that each give the label away."""
    leaky = X.copy()
    leaky["user_id"] = np.where(y, 10_000, 0) + np.arange(len(leaky))  # ids that sort churners last
    leaky["last_purchase_date"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.where(y, 0, 90), "D")
    leaky["status"] = np.where(y, "gone", "active")
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
    X, y = synthetic()
    assert model.fit(X, y) is model
    assert model.get_params() == params  # fitting changes no parameter
    assert list(model.classes_) == [False, True] and model.n_features_in_ == len(FEATURE_COLUMNS)
    assert list(model.feature_names_in_) == list(FEATURE_COLUMNS) == model.feature_columns_
    assert clone(model).get_params() == params
    with pytest.raises(NotFittedError):
        ChurnModel().predict_proba(X)


def test_ids_dates_and_text_never_enter_the_model():
    X, y = synthetic()
    leaky = with_leaks(X, y)
    model = ChurnModel(n_estimators=30).fit(leaky, y)
    assert model.feature_columns_ == list(FEATURE_COLUMNS)
    assert model.n_features_in_ == len(FEATURE_COLUMNS) + 3  # X as given; only the features are read
    # Same predictions as a model that never saw the leaks, and shuffling the ids changes nothing.
    clean = ChurnModel(n_estimators=30).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(leaky), clean.predict_proba(X))
    shuffled = leaky.assign(user_id=np.random.default_rng(0).permutation(leaky["user_id"].to_numpy()))
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(leaky))


def test_naming_an_id_or_a_non_numeric_column_is_refused():
    X, y = synthetic()
    leaky = with_leaks(X, y)
    for columns, message in [
        (["days_since_last_purchase", "customer_id"], "look like ids"),
        (["days_since_last_purchase", "user_id"], "look like ids"),
        (["last_purchase_date"], "must be numeric"),
        (["status"], "must be numeric"),
        ([], "empty"),
        ("days_since_last_purchase", "list of names"),
        (["tenure_days", "tenure_days"], "duplicates"),
    ]:
        with pytest.raises(ValueError, match=message):
            ChurnModel(n_estimators=5, feature_columns=columns).fit(leaky, y)
    with pytest.raises(ValueError, match="look like ids"):
        ChurnModel(n_estimators=5, feature_columns="all").fit(leaky.drop(columns=["status"]), y)


def test_feature_columns_all_and_arrays():
    X, y = synthetic()
    on_frame = ChurnModel(n_estimators=10, feature_columns="all").fit(X, y)
    on_array = ChurnModel(n_estimators=10, feature_columns="all").fit(X.to_numpy(), y.to_numpy())
    np.testing.assert_array_equal(on_frame.predict_proba(X), on_array.predict_proba(X.to_numpy()))
    assert on_array.feature_columns_ == list(range(len(FEATURE_COLUMNS)))
    assert not hasattr(on_array, "feature_names_in_")
    with pytest.raises(ValueError, match="no column names"):
        ChurnModel(n_estimators=5).fit(X.to_numpy(), y.to_numpy())
    # Refitting on an array forgets the names of the previous (DataFrame) fit.
    on_frame.fit(X.to_numpy(), y.to_numpy())
    assert not hasattr(on_frame, "feature_names_in_")


def test_bgnbd_columns_join_the_default_features_when_present():
    X, y = synthetic()
    extra = X.assign(**{c: 0.5 for c in BGNBD_FEATURE_COLUMNS})
    model = ChurnModel(n_estimators=5).fit(extra, y)
    assert model.feature_columns_ == [*FEATURE_COLUMNS, *BGNBD_FEATURE_COLUMNS]


def test_model_learns_the_signal_out_of_sample():
    X, y = synthetic(n=1500, seed=1)
    model = ChurnModel().fit(X.iloc[:1000], y.iloc[:1000])
    p = model.predict_proba(X.iloc[1000:])
    assert p.shape == (500, 2) and np.allclose(p.sum(axis=1), 1)
    auc = roc_auc_score(y.iloc[1000:], p[:, 1])
    assert auc > 0.8
    assert model.score(X.iloc[1000:], y.iloc[1000:]) == pytest.approx(auc)  # score is ROC-AUC
    assert model.predict(X.iloc[1000:]).tolist() == (p[:, 1] > 0.5).tolist()


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
    X, y = synthetic()
    first = ChurnModel(n_estimators=20, **settings).fit(X, y).predict_proba(X)[:, 1]
    again = ChurnModel(n_estimators=20, **settings).fit(X, y).predict_proba(X)[:, 1]
    np.testing.assert_array_equal(first, again)
    assert np.all((first >= 0) & (first <= 1))


def test_a_series_y_joins_on_customer_id_an_array_on_row_order():
    X, y = synthetic()
    a = ChurnModel(n_estimators=10).fit(X, y).predict_proba(X)
    b = ChurnModel(n_estimators=10).fit(X, y.iloc[::-1]).predict_proba(X)  # same labels, other order
    np.testing.assert_array_equal(a, b)
    c = ChurnModel(n_estimators=10).fit(X, y.to_numpy()[::-1]).predict_proba(X)  # an array pairs by row
    assert not np.array_equal(a, c)
    as_ints = ChurnModel(n_estimators=10).fit(X, y.astype(int))  # 0/1 labels are labels too
    assert list(as_ints.classes_) == [0, 1]
    np.testing.assert_array_equal(as_ints.predict_proba(X), a)


def test_bad_fit_input_raises():
    X, y = synthetic()
    model = ChurnModel(n_estimators=5)
    with pytest.raises(ValueError, match="same ids: 1 only in X"):
        model.fit(X, y.iloc[1:])
    with pytest.raises(ValueError, match="same ids: 0 only in X.*1 only in y"):
        model.fit(X.iloc[1:], y)
    with pytest.raises(ValueError, match="one class"):
        model.fit(X, y.astype(bool) | True)
    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit(X, y + np.linspace(0, 0.5, len(y)))
    with pytest.raises(ValueError, match="Only binary classification"):
        model.fit(X, pd.Series(np.arange(len(y)) % 3, index=X.index))
    with pytest.raises(ValueError, match="'avg_order_value' has 1 missing or infinite"):
        model.fit(X.assign(avg_order_value=[np.inf] + [1.0] * (len(X) - 1)), y)
    with pytest.raises(ValueError, match="has duplicated ids"):
        model.fit(pd.concat([X, X.iloc[:1]]), pd.concat([y, y.iloc[:1]]))
    with pytest.raises(ValueError, match="missing column"):
        model.fit(X.drop(columns="tenure_days"), y)
    with pytest.raises(ValueError, match="one column of labels"):
        model.fit(X, y.reset_index())
    with pytest.raises(ValueError, match="requires y"):
        model.fit(X, None)
    for bad, message in [
        ({"estimator": "forest"}, "estimator must be"),
        ({"calibration": "platt"}, "calibration"),
        ({"n_estimators": 0}, "n_estimators"),
        ({"thresholds": (0.7, 0.4)}, "thresholds"),
        ({"estimator_params": {"n_trees": 3}}, "estimator_params"),
        ({"estimator_params": {"max_depth": -2}}, "max_depth"),
        ({"random_state": -1}, "random_state"),
    ]:
        with pytest.raises(ValueError, match=message):
            ChurnModel(**{"n_estimators": 5, **bad}).fit(X, y)


def test_a_failed_fit_changes_nothing():
    X, y = synthetic()
    fresh = ChurnModel(n_estimators=5)
    with pytest.raises(ValueError):
        fresh.fit(X.drop(columns="tenure_days"), y)
    assert not [name for name in vars(fresh) if name.endswith("_")]  # still unfitted
    with pytest.raises(NotFittedError):
        fresh.predict_proba(X)
    fitted = ChurnModel(n_estimators=5).fit(X, y)
    before = fitted.predict_proba(X)
    state = dict(vars(fitted))
    for bad_params, bad_X in [({"n_estimators": 0}, X), ({}, X.assign(tenure_days=np.nan))]:
        with pytest.raises(ValueError):
            fitted.set_params(**{"n_estimators": 5, **bad_params}).fit(bad_X, y)
    fitted.set_params(n_estimators=5)
    assert {k: v for k, v in vars(fitted).items() if k.endswith("_")} == {
        k: v for k, v in state.items() if k.endswith("_")
    }
    np.testing.assert_array_equal(fitted.predict_proba(X), before)


def test_predict_needs_the_columns_seen_at_fit():
    X, y = synthetic()
    model = ChurnModel(n_estimators=5).fit(X, y)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict_proba(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict_proba(X.assign(extra=1.0))


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
    X, y = synthetic()
    model = ChurnModel(n_estimators=20).fit(X, y)
    risk = model.predict_churn_risk(X.iloc[::-1])
    assert list(risk.columns) == ["customer_id", "churn_probability", "risk_segment"]
    assert risk["customer_id"].tolist() == X.index[::-1].tolist()
    assert set(risk["risk_segment"]) <= {"HIGH", "MEDIUM", "LOW"}
    expected = np.where(
        risk["churn_probability"] > 0.7, "HIGH", np.where(risk["churn_probability"] > 0.4, "MEDIUM", "LOW")
    )
    assert risk["risk_segment"].tolist() == expected.tolist()

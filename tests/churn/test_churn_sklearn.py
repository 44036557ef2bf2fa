"""The churn classifiers are scikit-learn classifiers: its estimator checks and its tools work on them."""

import numpy as np
import pandas as pd
import pytest
from churn_logs import simulated_log
from sklearn.base import clone
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.utils.estimator_checks import check_estimator

from shopcase.churn import (
    BGNBD,
    BGNBD_SUMMARY_COLUMNS,
    FEATURE_COLUMNS,
    BGNBDClassifier,
    BinnedRateRule,
    ChurnModel,
    build_churn_dataset,
    permutation_importance_table,
)

# The checks feed random arrays (and DataFrames named col_0, col_1, ...). ChurnModel's default
# feature_columns=None reads the named churn features, which such data cannot have, so the checks run
# on feature_columns="all" (every column of X is a feature): the same code path with another column
# choice. BinnedRateRule reads one column; column=0 addresses it by position in any X.
# Calibration wraps the same estimator in scikit-learn's CalibratedClassifierCV, which scikit-learn
# checks itself; running the checks on it too would cost 10 s of make test for no new code path.
CHECKED = {
    "ChurnModel": ChurnModel(n_estimators=10, feature_columns="all"),
    "BinnedRateRule": BinnedRateRule(column=0),
}

# BG/NBD's input is a summary of purchase histories: whole repeat counts x >= 0 and recency t_x <= T,
# three columns. The checks' X is Gaussian noise with other column counts, which fit must refuse (it
# does, naming the problem). Every check below fails for that reason alone; the other checks (params,
# clone, repr, unfitted errors, y None, continuous and multiclass targets) run. The tests further
# down run BGNBDClassifier through clone, cross_val_predict and GridSearchCV on real summaries.
NOT_A_SUMMARY = "the check's random X is not a BG/NBD summary (whole counts x >= 0, 0 <= t_x <= T, 3 columns)"
BGNBD_EXPECTED_FAILURES = dict.fromkeys(
    [
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_classifiers_train",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_supervised_y_2d",
    ],
    NOT_A_SUMMARY,
)


# The checks' own noise, not ours: the array-API check skips itself (the estimators take numpy and pandas),
# and the NaN/inf checks cast infinities inside scikit-learn before our ValueError.
array_api_skip = pytest.mark.filterwarnings("ignore:Skipping check check_array_api_input")
nan_casts = pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")


@pytest.mark.parametrize("name", list(CHECKED))
@array_api_skip
@nan_casts
def test_scikit_learn_estimator_checks(name):
    check_estimator(CHECKED[name])


@array_api_skip
@nan_casts
def test_scikit_learn_estimator_checks_bgnbd():
    results = check_estimator(BGNBDClassifier(), expected_failed_checks=BGNBD_EXPECTED_FAILURES, on_fail=None)
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert {
        "check_requires_y_none",
        "check_classifier_not_supporting_multiclass",
        "check_estimators_unfitted",
    } <= passed
    assert not [r for r in results if r["status"] == "failed"]


@pytest.fixture(scope="module")
def data():
    events, emails, catalogue = simulated_log(n_customers=300, seed=0)
    return build_churn_dataset(events, "2022-06-01", 60, emails=emails, catalogue=catalogue, bgnbd=True)


def test_cross_val_predict_scores_each_customer_out_of_fold(data):
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for model in (ChurnModel(n_estimators=20), BinnedRateRule(), BGNBDClassifier(horizon_days=60)):
        p = cross_val_predict(model, data.features, data.labels, cv=folds, method="predict_proba")[:, 1]
        assert p.shape == (len(data.labels),) and np.all((p >= 0) & (p <= 1))
        # By hand: each fold's customers scored by a clone fitted on the others.
        manual = np.empty(len(p))
        for train, test in folds.split(data.features, data.labels):
            fitted = clone(model).fit(data.features.iloc[train], data.labels.iloc[train])
            manual[test] = fitted.predict_proba(data.features.iloc[test])[:, 1]
        np.testing.assert_allclose(p, manual)
        assert roc_auc_score(data.labels, p) > 0.6


def test_permutation_importance_on_the_model_itself(data):
    X, y = data.features, data.labels
    model = ChurnModel(n_estimators=10).fit(X.iloc[::2], y.iloc[::2])
    direct = permutation_importance(model, X.iloc[1::2], y.iloc[1::2], scoring="roc_auc", n_repeats=2, random_state=0)
    table = permutation_importance_table(model, X.iloc[1::2], y.iloc[1::2], n_repeats=2, random_state=0)
    assert set(table["feature"]) == set(model.feature_columns_)  # BG/NBD summary columns are not read
    by_name = dict(zip(X.columns, direct.importances_mean, strict=True))
    for row in table.itertuples():
        assert row.importance_mean == pytest.approx(by_name[row.feature])
    unread = [X.columns.get_loc(c) for c in BGNBD_SUMMARY_COLUMNS]
    assert np.all(direct.importances_mean[unread] == 0)  # a column the model never reads cannot matter


def test_grid_search_over_parameters_and_feature_sets(data):
    grid = {
        "n_estimators": [10, 30],
        "feature_columns": [None, ["days_since_last_purchase", "total_orders"]],
    }
    search = GridSearchCV(ChurnModel(), grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(data.features, data.labels)
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert 0.5 < search.best_score_ <= 1  # the default score is ROC-AUC
    assert search.best_estimator_.feature_columns_ in (
        [*FEATURE_COLUMNS, "bgnbd_p_alive", "bgnbd_expected_purchases", "bgnbd_p_no_purchase"],
        ["days_since_last_purchase", "total_orders"],
    )
    penalties = GridSearchCV(BGNBDClassifier(60, bgnbd=BGNBD()), {"bgnbd__penalizer": [0.0, 0.1]}, cv=3)
    penalties.fit(data.features, data.labels)
    assert penalties.best_estimator_.bgnbd_.penalizer in (0.0, 0.1)


def test_bgnbd_classifier_is_bgnbds_probability_of_no_purchase(data):
    X, y = data.features, data.labels
    scorer = BGNBDClassifier(horizon_days=60).fit(X, y)
    days = X[list(BGNBD_SUMMARY_COLUMNS)].to_numpy()
    model = BGNBD().fit(days[:, 0], days[:, 1] / 7, days[:, 2] / 7)
    expected = model.prob_no_purchase(60 / 7, days[:, 0], days[:, 1] / 7, days[:, 2] / 7)
    np.testing.assert_allclose(scorer.predict_proba(X)[:, 1], expected)
    # Fitted on the customers of X, as the unsupervised columns of build_churn_dataset are.
    np.testing.assert_allclose(expected, X["bgnbd_p_no_purchase"])
    assert scorer.feature_columns_ == list(BGNBD_SUMMARY_COLUMNS)
    given = BGNBD(penalizer=0.2)
    penalised = BGNBDClassifier(60, bgnbd=given).fit(X, y)
    assert not hasattr(given, "params_") and penalised.bgnbd_.penalizer == 0.2
    daily = BGNBDClassifier(60, period="D").fit(X, y).predict_proba(X)[:, 1]
    np.testing.assert_allclose(daily, expected, atol=1e-4)  # the same model in another time unit
    for bad, message in [
        ({"horizon_days": 0}, "horizon_days"),
        ({"period": "M"}, "period"),
        ({"bgnbd": "paper"}, "bgnbd must be a BGNBD"),
    ]:
        with pytest.raises(ValueError, match=message):
            BGNBDClassifier(**bad).fit(X, y)
    with pytest.raises(ValueError, match="churned flags"):
        BGNBDClassifier(60).fit(X, np.where(y, "gone", "here"))
    with pytest.raises(ValueError, match="missing column"):
        BGNBDClassifier(60).fit(X.drop(columns="repeat_purchase_days"), y)


def test_binned_rate_rule():
    ids = pd.Index(range(100), name="customer_id")
    X = pd.DataFrame({"days_since_last_purchase": np.arange(100.0), "other": 1.0}, index=ids)
    y = pd.Series(np.arange(100) >= 50, index=ids)
    rule = BinnedRateRule(n_bins=4, prior_strength=0.0).fit(X, y)
    p = rule.predict_proba(X)[:, 1]
    assert set(np.round(p, 6)) == {0.0, 1.0}  # bins (-inf, 24], (24, 49], ...: pure
    far = pd.DataFrame({"days_since_last_purchase": [-10.0, 1e6], "other": 1.0}, index=[1, 2])
    assert rule.predict_proba(far)[:, 1].tolist() == [0.0, 1.0]  # outside the range: the edge bins
    smoothed = BinnedRateRule(n_bins=4, prior_strength=1.0).fit(X, y)
    assert 0 < smoothed.rates_.min() and smoothed.rates_.max() < 1
    by_position = BinnedRateRule(column=0, n_bins=4, prior_strength=0.0).fit(X.to_numpy(), y.to_numpy())
    np.testing.assert_array_equal(by_position.predict_proba(X.to_numpy()), rule.predict_proba(X))
    for bad, message in [
        ({"n_bins": 0}, "n_bins"),
        ({"prior_strength": -1.0}, "prior_strength"),
        ({"column": 2}, "column"),
        ({"column": "nope"}, "missing column"),
        ({"column": 1.5}, "column"),
    ]:
        with pytest.raises(ValueError, match=message):
            BinnedRateRule(**bad).fit(X, y)

"""Property tests (hypothesis, derandomised so runs repeat): bounds, perfect lists, invariances, the oracle."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from evaluate_helpers import naive_ranking_metrics
from hypothesis import given, settings
from hypothesis import strategies as st

from shopcase.evaluate.metrics import (
    RANKING_METRICS,
    beyond_accuracy_metrics,
    per_user_metrics,
    ranking_metrics,
)

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)


@st.composite
def cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Up to 6 truth users (some without a list) + up to 2 list-only users, up to 10 items, k in 1..6."""
    n_items = draw(st.integers(1, 10))
    n_users = draw(st.integers(1, 6))
    k = draw(st.integers(1, 6))
    rec_rows, truth_rows = [], []
    for user in range(n_users + draw(st.integers(0, 2))):
        listed = draw(st.permutations(range(n_items)))[: draw(st.integers(0, n_items))]
        rec_rows += [(user, item, float(-rank), rank) for rank, item in enumerate(listed, start=1)]
        if user < n_users:
            relevant = draw(st.sets(st.integers(0, n_items - 1), min_size=1))
            truth_rows += [(user, item) for item in sorted(relevant)]
    recs = pd.DataFrame(rec_rows, columns=["user_id", "item_id", "score", "rank"]).astype({"rank": "int64"})
    truth = pd.DataFrame(truth_rows, columns=["user_id", "item_id"])
    return recs, truth, k


def metric_values(result: dict) -> dict:
    return {name: result[name] for name in RANKING_METRICS}


@SETTINGS
@given(cases())
def test_metrics_are_in_unit_interval_and_equal_the_loop_oracle(case):
    recs, truth, k = case
    result = ranking_metrics(recs, truth, k)
    for name in RANKING_METRICS:
        assert 0.0 <= result[name] <= 1.0, name
    for name, value in naive_ranking_metrics(recs, truth, k).items():
        assert result[name] == pytest.approx(value, abs=1e-12), name
    assert result["n_users"] == truth["user_id"].nunique()


@SETTINGS
@given(cases(), st.integers(0, 2**32 - 1))
def test_row_order_and_user_order_change_nothing(case, seed):
    recs, truth, k = case
    rng = np.random.default_rng(seed)
    shuffled = ranking_metrics(
        recs.iloc[rng.permutation(len(recs))].reset_index(drop=True), truth.iloc[rng.permutation(len(truth))], k
    )
    assert metric_values(shuffled) == pytest.approx(metric_values(ranking_metrics(recs, truth, k)), abs=1e-12)


@SETTINGS
@given(cases(), st.integers(0, 2**32 - 1))
def test_renaming_ids_consistently_changes_nothing(case, seed):
    recs, truth, k = case
    rng = np.random.default_rng(seed)
    new_user = {u: f"user-{v}" for u, v in zip(range(10), rng.permutation(10), strict=True)}
    new_item = dict(zip(range(10), rng.permutation(10) * 7 + 1000, strict=True))

    def rename(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(user_id=df["user_id"].map(new_user), item_id=df["item_id"].map(new_item))

    renamed = ranking_metrics(rename(recs), rename(truth), k)
    assert metric_values(renamed) == pytest.approx(metric_values(ranking_metrics(recs, truth, k)), abs=1e-12)


@SETTINGS
@given(cases(), st.integers(0, 2**32 - 1))
def test_perfect_lists_score_one(case, seed):
    """Each truth user's relevant items first (any order), then non-relevant items."""
    _, truth, k = case
    rng = np.random.default_rng(seed)
    rows = []
    for user, group in truth.groupby("user_id"):
        relevant = list(rng.permutation(group["item_id"].to_numpy()))
        rest = [item for item in range(10, 10 + int(rng.integers(0, 4)))]  # ids >= 10 are never relevant
        rows += [(user, item, rank) for rank, item in enumerate(relevant + rest, start=1)]
    perfect = pd.DataFrame(rows, columns=["user_id", "item_id", "rank"])
    per_user = per_user_metrics(perfect, truth, k)
    n_rel = per_user["n_relevant"]
    assert np.allclose(per_user["ndcg_at_k"], 1.0)
    assert np.allclose(per_user["ap_at_k"], 1.0)  # AP / min(R, k)
    assert np.allclose(per_user["hit_at_k"], 1.0) and np.allclose(per_user["rr_at_k"], 1.0)
    assert np.allclose(per_user.loc[n_rel >= k, "precision_at_k"], 1.0)
    assert np.allclose(per_user.loc[n_rel <= k, "recall_at_k"], 1.0)
    assert np.allclose(per_user.loc[n_rel <= k, "ap_all_relevant_at_k"], 1.0)
    # and where they cannot reach 1, they are exactly R/k and k/R
    assert np.allclose(per_user.loc[n_rel < k, "precision_at_k"], n_rel[n_rel < k] / k)
    assert np.allclose(per_user.loc[n_rel > k, "recall_at_k"], k / n_rel[n_rel > k])
    result = ranking_metrics(perfect, truth, k)
    assert result["ndcg_at_k"] == pytest.approx(1.0) and result["map_at_k"] == pytest.approx(1.0)


@st.composite
def beyond_cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, dict, int]:
    n_items = draw(st.integers(2, 10))
    k = draw(st.integers(2, 5))
    rec_rows = []
    for user in range(draw(st.integers(1, 6))):
        listed = draw(st.permutations(range(n_items)))[: draw(st.integers(2, n_items))]
        rec_rows += [(user, item, rank) for rank, item in enumerate(listed, start=1)]
    train_pairs = draw(st.sets(st.tuples(st.integers(0, 7), st.integers(0, n_items - 1)), min_size=1))
    categories = {item: draw(st.sampled_from("pqr")) for item in range(n_items)}
    recs = pd.DataFrame(rec_rows, columns=["user_id", "item_id", "rank"])
    train = pd.DataFrame(sorted(train_pairs), columns=["user_id", "item_id"])
    return recs, train, categories, k


@SETTINGS
@given(beyond_cases(), st.integers(0, 2**32 - 1))
def test_beyond_accuracy_bounds_and_row_order(case, seed):
    recs, train, categories, k = case
    catalogue = list(categories)
    result = beyond_accuracy_metrics(recs, k, train=train, catalogue=catalogue, item_categories=categories)
    n_train_users = train["user_id"].nunique()
    assert 0.0 < result["catalogue_coverage"] <= 1.0
    assert 0.0 <= result["intra_list_diversity"] <= 1.0
    assert 0.0 <= result["novelty"] <= math.log2(n_train_users + 1) + 1e-12
    assert 0.0 <= result["average_popularity"] <= n_train_users
    rng = np.random.default_rng(seed)
    shuffled = beyond_accuracy_metrics(
        recs.iloc[rng.permutation(len(recs))],
        k,
        train=train.iloc[rng.permutation(len(train))],
        catalogue=catalogue[::-1],
        item_categories=categories,
    )
    assert shuffled == pytest.approx(result, abs=1e-12)
    # one category for everything: no pair differs
    same = beyond_accuracy_metrics(recs, k, item_categories=dict.fromkeys(categories, "p"))
    assert same["intra_list_diversity"] == 0.0

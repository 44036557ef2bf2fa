"""Search metrics against Microsoft Recommenders (NDCG) and a loop oracle (MRR), and the paired bootstrap."""

import importlib
import os

import numpy as np
import pandas as pd
import pytest

from shopcase.schema import CLICKED, ITEM_ID, MATCH, PURCHASED, QUERY_ID, RANK, RELEVANCE, SCORE, USER_ID
from shopcase.search import compare, per_query_metrics, search_metrics, user_clusters


@pytest.fixture(scope="module")
def ms():
    try:
        return importlib.import_module("recommenders.evaluation.python_evaluation")
    except ImportError as exc:
        if os.environ.get("SHOPCASE_REQUIRE_CROSSCHECKS") == "1":
            pytest.fail(f"recommenders is needed for the cross-check: {exc}")
        pytest.skip(f"recommenders not importable: {exc}")


def random_case(seed, n_queries=60, n_items=40, page=12):
    """Pages with distinct scores for every query that has truth; graded truth 1..3."""
    rng = np.random.default_rng(seed)
    pages, truth = [], []
    for q in range(1, n_queries + 1):
        size = int(rng.integers(1, page + 1))
        items = rng.choice(n_items, size=size, replace=False) + 1
        pages.append(pd.DataFrame({QUERY_ID: q, ITEM_ID: items, RANK: np.arange(1, size + 1)}))
        relevant = rng.choice(n_items, size=int(rng.integers(1, 15)), replace=False) + 1
        truth.append(pd.DataFrame({QUERY_ID: q, ITEM_ID: relevant, RELEVANCE: rng.integers(1, 4, len(relevant))}))
    pages = pd.concat(pages, ignore_index=True)
    pages[SCORE] = 1000.0 - pages[RANK] + pages[QUERY_ID] * 0.0  # strictly decreasing within a query
    return pages, pd.concat(truth, ignore_index=True)


@pytest.mark.parametrize("k", [1, 3, 10])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ndcg_equals_recommenders(ms, seed, k):
    pages, truth = random_case(seed)
    queries = pd.DataFrame({QUERY_ID: truth[QUERY_ID].unique()})
    ours = search_metrics(pages, truth, queries, k).ndcg
    theirs = ms.ndcg_at_k(
        truth.rename(columns={QUERY_ID: "userID", ITEM_ID: "itemID", RELEVANCE: "rating"}),
        pages.rename(columns={QUERY_ID: "userID", ITEM_ID: "itemID", SCORE: "prediction"}).drop(columns=RANK),
        col_user="userID",
        col_item="itemID",
        col_rating="rating",
        col_prediction="prediction",
        k=k,
        score_type="exp",
        discfun_type="log2",
    )
    assert ours == pytest.approx(theirs, abs=1e-9)


def _loop_mrr(pages, truth, k):
    rr = []
    for q, page in pages.groupby(QUERY_ID):
        relevant = set(truth.loc[(truth[QUERY_ID] == q) & (truth[RELEVANCE] > 0), ITEM_ID])
        hits = [r for r, item in zip(page[RANK], page[ITEM_ID], strict=True) if r <= k and item in relevant]
        rr.append(1.0 / min(hits) if hits else 0.0)
    return float(np.mean(rr))


@pytest.mark.parametrize("seed", [0, 5])
def test_mrr_equals_a_loop(seed):
    pages, truth = random_case(seed)
    queries = pd.DataFrame({QUERY_ID: truth[QUERY_ID].unique()})
    for k in (1, 4, 10):
        assert search_metrics(pages, truth, queries, k).mrr == pytest.approx(_loop_mrr(pages, truth, k), abs=1e-12)


def test_a_hand_worked_example():
    pages = pd.DataFrame({QUERY_ID: [1, 1, 1, 2], ITEM_ID: [10, 11, 12, 20], RANK: [1, 2, 3, 1]})
    truth = pd.DataFrame({QUERY_ID: [1, 1, 2, 3], ITEM_ID: [11, 13, 21, 30], RELEVANCE: [1, 3, 2, 1]})
    queries = pd.DataFrame({QUERY_ID: [1, 2, 3, 4]})  # 3 got no page; 4 has no truth (unsold)
    per = per_query_metrics(pages, truth, queries, k=3)
    ideal_1 = 7 / np.log2(2) + 1 / np.log2(3)
    assert per.loc[1, "ndcg"] == pytest.approx((1 / np.log2(3)) / ideal_1)
    assert per.loc[1, "rr"] == 0.5 and per.loc[2, "ndcg"] == 0 and per.loc[3, "ndcg"] == 0
    assert np.isnan(per.loc[4, "ndcg"]) and per["n_relevant"].tolist() == [2, 1, 1, 0]
    assert per["zero_result"].tolist() == [False, False, True, True]
    m = search_metrics(pages, truth, queries, k=3)
    assert m.n_with_truth == 3 and m.zero_result_rate == 0.5 and np.isnan(m.ctr)
    assert "NDCG@3" in str(m)


def test_rates_count_queries_with_a_click_a_purchase_or_only_the_fallback():
    pages = pd.DataFrame(
        {
            QUERY_ID: [1, 1, 2, 3],
            ITEM_ID: [1, 2, 1, 1],
            RANK: [1, 2, 1, 1],
            MATCH: ["exact", "exact", "fallback", "corrected"],
            CLICKED: [False, True, True, False],
            PURCHASED: [False, True, False, False],
        }
    )
    truth = pd.DataFrame({QUERY_ID: [1], ITEM_ID: [2], RELEVANCE: [1]})
    m = search_metrics(pages, truth, pd.DataFrame({QUERY_ID: [1, 2, 3, 4]}), k=10)
    assert (m.ctr, m.purchase_rate, m.zero_result_rate) == (0.5, 0.25, 0.5)


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        (pd.DataFrame({QUERY_ID: [1, 1], ITEM_ID: [1, 2], RANK: [1, 1]}), "repeat a rank"),
        (pd.DataFrame({QUERY_ID: [1, 1], ITEM_ID: [1, 1], RANK: [1, 2]}), "same item twice"),
        (pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1], RANK: [0]}), ">= 1"),
        (pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1]}), "position"),
    ],
)
def test_bad_pages_raise(pages, message):
    truth = pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1], RELEVANCE: [1]})
    with pytest.raises(ValueError, match=message):
        per_query_metrics(pages, truth, pd.DataFrame({QUERY_ID: [1]}))


def test_bad_k_and_queries_raise():
    pages = pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1], RANK: [1]})
    truth = pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1], RELEVANCE: [1]})
    with pytest.raises(ValueError, match="k"):
        search_metrics(pages, truth, pd.DataFrame({QUERY_ID: [1]}), k=0)
    with pytest.raises(ValueError, match="duplicated"):
        search_metrics(pages, truth, pd.DataFrame({QUERY_ID: [1, 1]}))


def _per_query(values):
    return pd.DataFrame({"ndcg": values}, index=pd.Index(np.arange(len(values)), name=QUERY_ID))


def test_bootstrap_interval_covers_the_true_gain():
    """Coverage by simulation: 120 data sets with a true relative gain of 10%; 95% intervals must cover it
    in 88% to 99.5% of them (about 3 binomial standard errors around 95%)."""
    rng = np.random.default_rng(0)
    n_users, per_user, covered = 150, 4, 0
    users = np.repeat(np.arange(n_users), per_user)
    clusters = pd.Series(users, index=pd.Index(np.arange(len(users)), name=QUERY_ID))
    for rep in range(120):
        user_effect = rng.normal(0, 0.1, n_users)[users]
        base = np.clip(0.5 + user_effect + rng.normal(0, 0.15, len(users)), 0, 1)
        better = base * 1.1 + rng.normal(0, 0.05, len(users))
        result = compare(_per_query(better), _per_query(base), clusters, n_resamples=500, seed=rep)
        covered += result.low <= 0.1 <= result.high
    assert 0.88 <= covered / 120 <= 0.995


def test_identical_rankers_gain_nothing():
    values = np.linspace(0.1, 0.9, 50)
    clusters = pd.Series(np.arange(50) // 5, index=pd.Index(np.arange(50), name=QUERY_ID))
    result = compare(_per_query(values), _per_query(values), clusters, names=("a", "b"))
    assert result.relative_gain == 0 and result.low <= 0 <= result.high and not result.significant
    assert str(result).startswith("a vs b: ndcg")


def test_compare_checks_its_input():
    clusters = pd.Series([0, 1], index=pd.Index([0, 1], name=QUERY_ID))
    with pytest.raises(ValueError, match="baseline's mean"):
        compare(_per_query([1.0, 1.0]), _per_query([0.0, 0.0]), clusters)
    with pytest.raises(ValueError, match="no cluster"):
        compare(_per_query([1.0, 1.0]), _per_query([1.0, 1.0]), clusters.iloc[:1])
    with pytest.raises(ValueError, match="confidence"):
        compare(_per_query([1.0, 1.0]), _per_query([1.0, 1.0]), clusters, confidence=0.5)
    queries = pd.DataFrame({QUERY_ID: [1, 2], USER_ID: [7, 7]})
    assert user_clusters(queries).to_dict() == {1: 7, 2: 7}

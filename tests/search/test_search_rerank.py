"""UserHistory features and the Reranker: no look-ahead, IPW groups, ranking contracts, bad input, quality."""

import numpy as np
import pandas as pd
import pytest
from search_dates import TEST_START, TRAIN_START
from sklearn.base import clone

from shopcase.schema import CLICKED, EVENT_TYPE, ITEM_ID, MATCH, POSITION, QUERY, QUERY_ID, RANK, SCORE, USER_ID
from shopcase.search import FEATURES, Reranker, SearchIndex, UserHistory, per_query_metrics, simulate_clicks
from shopcase.search.simulate import SearchLog


@pytest.fixture(scope="module")
def fitted(log, histories):
    train = log.between(TRAIN_START, TEST_START)
    return {
        debias: Reranker(debias=debias, n_estimators=60).fit(train, histories[0]).with_history(histories[1])
        for debias in ("ipw", "none")
    }


def test_history_ignores_events_at_or_after_as_of(shop, log_index, histories):
    events = shop.events
    cut = events[events["timestamp"] < TRAIN_START]
    alone = UserHistory.build(cut, log_index, TRAIN_START, shop.users[USER_ID])
    users = np.repeat(np.arange(50), 20)
    items = np.tile(np.arange(20), 50)
    groups = np.repeat(np.arange(50), 20)
    a = histories[0].features(users, items, np.ones(len(items)), groups)
    b = alone.features(users, items, np.ones(len(items)), groups)
    np.testing.assert_array_equal(a, b)


def test_category_affinity_is_the_share_of_history(shop, log_index, histories):
    history = histories[0]
    user = int(np.argmax(history.total))
    user_id = history.users[user]
    past = shop.events[(shop.events["timestamp"] < TRAIN_START) & (shop.events[USER_ID] == user_id)]
    weights = past[EVENT_TYPE].astype(str).map({"view": 1.0, "cart": 3.0, "purchase": 5.0})
    category = shop.catalogue.set_index(ITEM_ID).loc[past[ITEM_ID], "category"].astype(str).to_numpy()
    expected = weights.groupby(category).sum() / weights.sum()
    item = 0
    got = history.features(np.array([user]), np.array([item]), np.array([1.0]), np.array([0]))
    cat = log_index.categories_[log_index.category_codes_[item]]
    assert got[0, FEATURES.index("category_affinity")] == pytest.approx(expected.get(cat, 0.0))


def test_users_without_history_get_missing_personal_features(histories):
    history = histories[0]
    cold = int(np.flatnonzero(history.total == 0)[0])
    row = history.features(np.array([cold, -1]), np.array([0, 0]), np.array([1.0, 1.0]), np.array([0, 1]))
    personal = [FEATURES.index(f) for f in ("collaborative", "content", "category_affinity", "price_fit")]
    assert np.isnan(row[:, personal]).all()
    assert np.isfinite(row[:, FEATURES.index("popularity")]).all()


def test_unknown_users_raise(histories):
    with pytest.raises(ValueError, match="unknown user"):
        histories[0].user_row(10**9)
    with pytest.raises(ValueError, match="unknown user"):
        histories[0].user_rows([1, 10**9])
    with pytest.raises(ValueError, match="could never match"):
        histories[0].user_rows(["1"])
    assert histories[0].user_row(None) == -1


def test_events_of_items_outside_the_index_raise(shop, log_index):
    events = shop.events.head(50).assign(**{ITEM_ID: 10**9})
    with pytest.raises(ValueError, match="not in the catalogue"):
        UserHistory.build(events, log_index, TEST_START)


def test_one_weighted_group_per_click(histories):
    queries = pd.DataFrame({QUERY_ID: [1, 2, 3], USER_ID: [1, 2, 3], QUERY: ["a", "b", "c"]})
    pages = pd.DataFrame(
        {
            QUERY_ID: [1, 1, 1, 2, 2, 2, 3, 3, 3],
            POSITION: [1, 2, 3] * 3,
            ITEM_ID: [1, 2, 3] * 3,
            CLICKED: [True, False, True, False, False, False, False, True, False],
        }
    )
    log = SearchLog(queries=queries, pages=pages, truth=pd.DataFrame())
    weights = pd.Series([1.0, 1 / 0.5, 1 / 0.25], index=[1, 2, 3])
    X, y, group, w = Reranker()._training_set(log, histories[0].index, histories[0], weights)
    assert group.tolist() == [3, 3, 3]  # clicks at q1 pos 1, q1 pos 3, q3 pos 2; q2 has none
    assert y.tolist() == [1, 0, 0, 0, 0, 1, 0, 1, 0]
    assert w.tolist() == [1.0] * 3 + [4.0] * 3 + [2.0] * 3
    assert X.shape == (9, len(FEATURES))


def test_rerank_permutes_the_candidates(fitted, log_index):
    model = fitted["ipw"]
    candidates = log_index.search("headphones", n=30)
    ranked = model.rerank(1, "headphones", candidates)
    assert sorted(ranked[ITEM_ID]) == sorted(candidates[ITEM_ID])
    assert ranked[RANK].tolist() == list(range(1, len(ranked) + 1))
    assert ranked[SCORE].is_monotonic_decreasing
    assert (ranked[MATCH] == candidates[MATCH].iloc[0]).all()
    assert len(model.search(1, "electronics", n=5)) == 5
    anonymous = model.rerank(None, "headphones", candidates)
    assert sorted(anonymous[ITEM_ID]) == sorted(candidates[ITEM_ID])


def test_rank_queries_equals_search_one_by_one(fitted, log):
    model = fitted["ipw"]
    queries = log.queries.tail(5)[[QUERY_ID, USER_ID, QUERY]]
    pages = model.rank_queries(queries, n=10)
    for row in queries.itertuples(index=False):
        one = model.search(row.user_id, row.query, n=10)
        got = pages[pages[QUERY_ID] == row.query_id]
        assert got[ITEM_ID].tolist() == one[ITEM_ID].tolist()
        np.testing.assert_allclose(got[SCORE], one[SCORE])


def test_fitting_is_deterministic_and_clone_works(log, histories, fitted):
    train = log.between(TRAIN_START, TEST_START)
    again = Reranker(debias="ipw", n_estimators=60).fit(train, histories[0]).with_history(histories[1])
    queries = log.queries.tail(20)[[QUERY_ID, USER_ID, QUERY]]
    pd.testing.assert_frame_equal(again.rank_queries(queries), fitted["ipw"].rank_queries(queries))
    copy = clone(fitted["ipw"])
    assert copy.get_params() == fitted["ipw"].get_params() and not hasattr(copy, "model_")


def test_the_score_never_falls_with_the_text_match(fitted, log_index):
    model = fitted["ipw"]
    rng = np.random.default_rng(0)
    X = model.history_.features(
        rng.integers(0, 500, 400), rng.integers(0, log_index.n_items_, 400), rng.random(400) * 5, np.zeros(400)
    )
    base = model.model_.booster_.predict(X)
    for feature in ("bm25", "bm25_share"):
        more = X.copy()
        more[:, FEATURES.index(feature)] += 1.0
        assert (model.model_.booster_.predict(more) >= base - 1e-12).all()


def test_debiased_ranker_beats_bm25_and_the_raw_click_ranker(fitted, log, log_index):
    """The issue's goal on a small shop (1,000 users): a large gap, so a loose check is safe."""
    test = log.between(TEST_START)
    queries = test.queries
    ndcg = {
        "bm25": per_query_metrics(log_index.rank_queries(queries), test.truth, queries)["ndcg"].mean(),
        **{
            name: per_query_metrics(model.rank_queries(queries), test.truth, queries)["ndcg"].mean()
            for name, model in fitted.items()
        },
    }
    assert ndcg["ipw"] > 1.05 * ndcg["bm25"], ndcg
    assert ndcg["ipw"] > ndcg["none"], ndcg
    served = simulate_clicks(fitted["ipw"].rank_queries(queries), test.truth, log.click_model)
    assert served[CLICKED].any()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, c: m.rerank(10**9, "headphones", c), "unknown user"),
        (lambda m, c: m.rerank(1, "   ", c), "empty"),
        (lambda m, c: m.rerank(1, "x" * 10_000, c), "characters"),
        (lambda m, c: m.rerank(1, "headphones", c.assign(**{ITEM_ID: c[ITEM_ID] + 10**9})), "not in the catalogue"),
        (lambda m, c: m.rerank(1, "headphones", c.drop(columns=SCORE)), "score"),
        (lambda m, c: m.rerank(1, "headphones", pd.concat([c, c])), "duplicated"),
        (lambda m, c: m.search(1, "headphones", n=0), "n"),
        (lambda m, c: m.search(1, "headphones", n=10**6), "n"),
    ],
)
def test_bad_input_raises(fitted, log_index, call, message):
    candidates = log_index.search("headphones", n=10)
    with pytest.raises(ValueError, match=message):
        call(fitted["ipw"], candidates)


def test_valid_queries_that_match_nothing_give_an_empty_ranking(fitted, log_index):
    empty = log_index.search("headphones", n=10, filters={"max_price": 0.0})
    assert fitted["ipw"].rerank(1, "headphones", empty).empty
    for strange in ["🎧", "'; DROP TABLE items; --", ".*", "שלום"]:
        assert len(fitted["ipw"].search(1, strange, n=5)) <= 5


def test_parameters_are_checked_before_fitting(log, histories):
    model = Reranker(debias="magic")
    with pytest.raises(ValueError, match="debias"):
        model.fit(log, histories[0])
    assert not hasattr(model, "model_")
    with pytest.raises(ValueError, match="UserHistory"):
        Reranker().fit(log, "history")
    with pytest.raises(ValueError, match="no randomised page"):
        no_random = SearchLog(log.queries.assign(randomised=False), log.pages, log.truth)
        Reranker().fit(no_random, histories[0])


def test_with_history_needs_the_same_index(fitted, shop):
    other = UserHistory.build(shop.events.head(100), SearchIndex().fit(shop.catalogue), TEST_START)
    with pytest.raises(ValueError, match="index the re-ranker was fitted with"):
        fitted["ipw"].with_history(other)

"""simulate_search_log and simulate_clicks: seeded, truth consistent with intents and clicks, stated click model."""

import numpy as np
import pandas as pd
import pytest
from rapidfuzz.distance import DamerauLevenshtein
from scipy import stats
from search_dates import TRAIN_START

from shopcase.schema import CLICKED, ITEM_ID, MATCH, POSITION, PURCHASED, QUERY, QUERY_ID, RELEVANCE, TIMESTAMP, USER_ID
from shopcase.search import ClickModel, QueryMix, SearchIndex, simulate_clicks, simulate_search_log
from shopcase.search.simulate import (
    AFFINITY,
    INTENT_COLUMNS,
    KIND,
    QUERY_KINDS,
    RANDOMISED,
    _uniforms,
    item_words,
    misspell,
)


def test_same_seed_same_log_other_seed_other_log(shop, log_index, log):
    again = simulate_search_log(shop, log_index, 4_000, seed=3, start=TRAIN_START)
    for name in ("queries", "pages", "truth"):
        pd.testing.assert_frame_equal(getattr(log, name), getattr(again, name))
    other = simulate_search_log(shop, log_index, 4_000, seed=4, start=TRAIN_START)
    assert not other.queries[QUERY].equals(log.queries[QUERY])


def test_queries_are_in_time_order_inside_the_window(log, shop):
    q = log.queries
    assert q[TIMESTAMP].is_monotonic_increasing
    assert q[TIMESTAMP].min() >= pd.Timestamp(TRAIN_START) and q[TIMESTAMP].max() < shop.log_end + pd.Timedelta(
        minutes=1
    )
    assert q[QUERY_ID].tolist() == list(range(1, len(q) + 1))
    assert "SearchLog: 4,000 searches" in str(log)


def test_query_kinds_follow_the_mix(log):
    shares = log.queries[KIND].value_counts(normalize=True)
    mix = QueryMix()
    n = len(log.queries)
    for kind in QUERY_KINDS:
        expected = getattr(mix, kind)
        if kind == "synonym":  # nouns without a synonym are typed as nouns: the share can only fall
            assert shares.get(kind, 0) <= expected + 4 * np.sqrt(expected / n)
            continue
        tolerance = 4 * np.sqrt(expected * (1 - expected) / n) + (0.1 if kind == "noun" else 0)
        assert abs(shares.get(kind, 0) - expected) <= tolerance, kind


def test_truth_items_have_every_attribute_the_query_asks_for(shop, log):
    words = item_words(shop.catalogue).set_index(ITEM_ID)
    truth = log.truth.join(log.queries.set_index(QUERY_ID)[list(INTENT_COLUMNS)], on=QUERY_ID)
    for column, attribute in zip(INTENT_COLUMNS, ["category", "noun", "adjective", "brand"], strict=True):
        asked = truth[column].notna()
        got = words.loc[truth.loc[asked, ITEM_ID], attribute].to_numpy()
        assert (got == truth.loc[asked, column].to_numpy()).all(), column
    # and no matching item is missing: a noun query's truth is every item of that noun in its category
    q = log.queries[(log.queries[KIND] == "noun")].iloc[0]
    expected = words[(words["noun"] == q["intent_noun"]) & (words["category"] == q["intent_category"])].index
    assert set(log.truth.loc[log.truth[QUERY_ID] == q[QUERY_ID], ITEM_ID]) == set(expected)


def test_relevance_grades_follow_true_affinity(shop, log):
    truth = log.truth.merge(log.queries[[QUERY_ID, USER_ID]], on=QUERY_ID)
    affinity = shop.affinity(truth[USER_ID].to_numpy(), truth[ITEM_ID].to_numpy())
    np.testing.assert_allclose(truth[AFFINITY], affinity)
    expected = 1 + (affinity >= 0.5).astype(int) + (affinity >= 1.5).astype(int)
    np.testing.assert_array_equal(truth[RELEVANCE], expected)


def test_only_unsold_things_have_no_truth(log):
    with_truth = set(log.truth[QUERY_ID])
    unsold = log.queries[KIND] == "out_of_catalogue"
    assert not with_truth & set(log.queries.loc[unsold, QUERY_ID])
    assert set(log.queries.loc[~unsold, QUERY_ID]) <= with_truth


def test_misspellings_are_one_edit_away_and_some_queries_find_nothing(log):
    q = log.queries
    assert 0.05 < q["misspelled"].mean() < 0.15
    assert (q.loc[q[KIND] == "out_of_catalogue", MATCH] == "fallback").mean() > 0.5
    assert set(q[MATCH]) == {"exact", "corrected", "fallback"}


@pytest.mark.parametrize("word", ["headphones", "abc", "mississippi", "aa"])
def test_misspell_makes_exactly_one_edit(word):
    rng = np.random.default_rng(0)
    for _ in range(200):
        typo = misspell(word, rng)
        assert DamerauLevenshtein.distance(word, typo) == (1 if len(word) >= 3 else 0)
        assert typo[:1] == word[:1]


def test_clicks_agree_with_truth(log):
    pages = log.pages.merge(log.truth[[QUERY_ID, ITEM_ID, RELEVANCE]], how="left").fillna({RELEVANCE: 0})
    rate = pages.groupby(RELEVANCE)[CLICKED].mean()
    assert rate.is_monotonic_increasing and rate.loc[0] < 0.05
    assert not (pages[PURCHASED] & ~pages[CLICKED]).any()
    assert not (pages[PURCHASED] & (pages[RELEVANCE] == 0)).any()
    randomised = log.queries[RANDOMISED].mean()
    assert abs(randomised - 0.1) < 4 * np.sqrt(0.09 / len(log.queries))


def test_the_click_model_is_the_stated_one():
    """Clicks on synthetic pages match examination x attraction within 4 standard errors per cell."""
    model = ClickModel(eta=0.8, noise=0.1)
    rng = np.random.default_rng(1)
    n_queries, size = 30_000, 5
    pages = pd.DataFrame(
        {
            QUERY_ID: np.repeat(np.arange(1, n_queries + 1), size),
            POSITION: np.tile(np.arange(1, size + 1), n_queries),
            ITEM_ID: np.tile(np.arange(1, size + 1), n_queries),
        }
    )
    relevance = rng.integers(0, 4, len(pages))
    truth = pages.assign(**{RELEVANCE: relevance, AFFINITY: 1.0})[relevance > 0].drop(columns=POSITION)
    served = simulate_clicks(pages, truth, model, seed=5)
    cells = served.groupby([POSITION, RELEVANCE])[CLICKED].agg(["mean", "size"])
    p = model.examination(cells.index.get_level_values(0)) * model.attraction(cells.index.get_level_values(1))
    certain = p == 1.0  # position 1, top relevance: always examined, always attractive
    assert (cells.loc[certain, "mean"] == 1.0).all()
    z = (cells["mean"] - p)[~certain] / np.sqrt(p * (1 - p) / cells["size"])[~certain]
    assert (np.abs(z) < 4).all(), z
    buy = served[served[CLICKED] & (served[RELEVANCE] > 0)][PURCHASED].mean()
    assert abs(buy - 1 / (1 + np.exp(-(model.purchase_bias + 1.0)))) < 0.02


def test_common_random_numbers_across_rankers(log):
    test = log.queries.head(200)
    truth = log.truth[log.truth[QUERY_ID].isin(test[QUERY_ID])]
    pages = log.pages[log.pages[QUERY_ID].isin(test[QUERY_ID])][[QUERY_ID, POSITION, ITEM_ID]]
    a = simulate_clicks(pages, truth, log.click_model, seed=9)
    b = simulate_clicks(pages.sample(frac=1.0, random_state=0), truth, log.click_model, seed=9).loc[a.index]
    pd.testing.assert_frame_equal(a, b)  # row order does not matter, only (query, position)
    c = simulate_clicks(pages, truth, log.click_model, seed=10)
    assert not c[CLICKED].equals(a[CLICKED])


def test_the_draws_are_uniform_and_independent():
    draws = _uniforms(np.repeat(np.arange(20_000), 5), np.tile(np.arange(1, 6), 20_000), 42, 3)
    for d in range(3):
        assert stats.kstest(draws[:, d], "uniform").pvalue > 1e-3
    corr = np.corrcoef(draws.T)
    assert np.abs(corr - np.eye(3)).max() < 0.02


def test_between_splits_the_log(log):
    early, late = log.between(end="2023-10-01"), log.between(start="2023-10-01")
    assert len(early.queries) + len(late.queries) == len(log.queries)
    assert len(early.pages) + len(late.pages) == len(log.pages)
    assert set(early.truth[QUERY_ID]) <= set(early.queries[QUERY_ID])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_queries": 0}, "n_queries"),
        ({"randomise_share": 1.5}, "randomise_share"),
        ({"page_size": 0}, "page_size"),
        ({"mix": QueryMix(noun=0.5)}, "sum to 1"),
        ({"relevance_cutoffs": (2.0, 1.0)}, "increasing"),
        ({"start": "2030-01-01"}, "no shopping session"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(shop, log_index, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_search_log(shop, log_index, **{"n_queries": 10, **kwargs})


def test_the_index_must_be_fitted_on_the_shop(shop):
    with pytest.raises(ValueError, match="fitted on shop.catalogue"):
        simulate_search_log(shop, SearchIndex(), 10)
    with pytest.raises(ValueError, match="fitted on shop.catalogue"):
        simulate_search_log(shop, SearchIndex().fit(shop.catalogue.head(100)), 10)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"eta": -1}, "eta"), ({"noise": 2}, "noise"), ({"max_relevance": 0}, "max")]
)
def test_click_model_checks_its_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ClickModel(**kwargs)


def test_simulate_clicks_checks_pages(log):
    with pytest.raises(ValueError, match="position"):
        simulate_clicks(pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1], POSITION: [0]}), log.truth)
    with pytest.raises(ValueError, match="rank"):
        simulate_clicks(pd.DataFrame({QUERY_ID: [1], ITEM_ID: [1]}), log.truth)

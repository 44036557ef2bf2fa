"""SearchIndex: BM25 scores against bm25s, typo tolerance, filters, the fallback and every bad input."""

import bm25s
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from shopcase.schema import BRAND, CATEGORY, ITEM_ID, MATCH, PRICE, QUERY, QUERY_ID, RANK, SCORE, TITLE
from shopcase.search import SearchIndex
from shopcase.search.text import tokenise


def _docs(catalogue):
    text = catalogue[TITLE] + " " + catalogue[CATEGORY].astype(str) + " " + catalogue[BRAND].astype(str)
    return [tokenise(t) for t in text]


@pytest.mark.parametrize(("k1", "b"), [(1.5, 0.75), (1.2, 0.3), (2.0, 1.0)])
def test_scores_equal_bm25s_lucene(shop, k1, b):
    """Our sparse BM25 equals bm25s's Lucene variant (float64) on random queries of catalogue words."""
    docs = _docs(shop.catalogue)
    oracle = bm25s.BM25(method="lucene", k1=k1, b=b, dtype="float64")
    oracle.index(docs, show_progress=False)
    ours = SearchIndex(k1=k1, b=b).fit(shop.catalogue)
    vocabulary = sorted(ours.vocabulary_)
    rng = np.random.default_rng(0)
    for _ in range(40):
        words = list(rng.choice(vocabulary, size=rng.integers(1, 4), replace=False))
        expected = oracle.get_scores(words)
        got = ours.score_items(" ".join(words), shop.catalogue[ITEM_ID])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        assert (got > 0).any()


def test_page_is_sorted_by_score_then_popularity_then_id(tiny_catalogue):
    index = SearchIndex().fit(tiny_catalogue, popularity=pd.Series([1.0, 5.0], index=[1, 2]))
    page = index.search("wireless headphones", n=6)
    # items 1 and 2 tie on score; 2 is more popular. Then 4 (wireless) and 3 (headphones) by BM25.
    assert page[ITEM_ID].tolist()[:2] == [2, 1]
    assert page[SCORE].is_monotonic_decreasing
    assert page[RANK].tolist() == list(range(1, len(page) + 1))
    assert set(page[ITEM_ID]) == {1, 2, 3, 4}
    assert (page[MATCH] == "exact").all()
    without = SearchIndex().fit(tiny_catalogue).search("wireless headphones", n=2)
    assert without[ITEM_ID].tolist() == [1, 2]  # no popularity: lower id first


def test_typos_and_partial_words_are_corrected(tiny_catalogue):
    index = SearchIndex().fit(tiny_catalogue)
    exact = index.search("wireless headphones", n=6)
    for typo in ["wireles headphnoes", "wirelss hedphones", "wireless headph"]:
        page = index.search(typo, n=6)
        assert page[ITEM_ID].tolist()[:2] == [1, 2] and set(page[ITEM_ID]) == set(exact[ITEM_ID]), typo
        assert (page[MATCH] == "corrected").all()
        assert page[SCORE].max() < exact[SCORE].max()  # a corrected word counts less
    parsed = index.parse("hedphones")
    assert parsed.corrections == (("hedphones", ("headphones",)),)
    assert "hedphones -> headphones" in str(parsed)
    # words under 4 characters are never edited (too many false friends); "xyz" matches nothing
    assert index.parse("xyz").unmatched == ("xyz",)


def test_exact_match_ranks_above_a_correction():
    catalogue = pd.DataFrame(
        {
            ITEM_ID: [1, 2],
            TITLE: ["Acme cable", "Acme table"],
            CATEGORY: ["a", "a"],
            BRAND: ["Acme", "Acme"],
            PRICE: [1.0, 1.0],
        }
    )
    page = SearchIndex().fit(catalogue).search("table", n=2)
    assert page[ITEM_ID].tolist() == [2]  # a known word is never "corrected" to another


def test_accents_and_case_do_not_matter(tiny_catalogue):
    index = SearchIndex().fit(tiny_catalogue)
    a = index.search("CREME BRULEE", n=3)
    b = index.search("crème brûlée", n=3)
    pd.testing.assert_frame_equal(a, b)
    assert a[ITEM_ID].tolist()[0] == 6


def test_without_typo_tolerance_a_misspelling_falls_back(tiny_catalogue):
    strict = SearchIndex(typo_tolerance=False).fit(tiny_catalogue, popularity=pd.Series({5: 3.0, 3: 1.0}))
    page = strict.search("hedphones", n=3)
    assert (page[MATCH] == "fallback").all()
    assert page[ITEM_ID].tolist() == [5, 3, 1]  # most popular first, then by id
    assert (page[SCORE] == 0).all()
    empty = SearchIndex(typo_tolerance=False, fallback=False).fit(tiny_catalogue).search("hedphones", n=6)
    assert empty.empty and list(empty.columns) == [ITEM_ID, SCORE, RANK, MATCH]


def test_filters(tiny_catalogue):
    index = SearchIndex().fit(tiny_catalogue)
    assert index.search("acme", n=6, filters={"category": "books"})[ITEM_ID].tolist() == [5]
    assert set(index.search("headphones", n=6, filters={"brand": ["Bolt"]})[ITEM_ID]) == {3}
    priced = index.search("headphones", n=6, filters={"min_price": 30, "max_price": 45})
    assert priced[ITEM_ID].tolist() == [2]
    # filters that exclude every match: an empty page, never the fallback's unrelated items
    assert index.search("headphones", n=6, filters={"category": "books"}).empty
    assert index.search("headphones", n=6, filters={"max_price": 1.0}).empty
    # a query that matches nothing falls back to popular items *within* the filters
    fallback = index.search("zzzz", n=6, filters={"category": "books"})
    assert set(fallback[ITEM_ID]) == {5, 6} and (fallback[MATCH] == "fallback").all()


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"category": "garden"}, "category"),
        ({"category": []}, "empty list"),
        ({"brand": "Nope"}, "brand"),
        ({"min_price": -1}, "min_price"),
        ({"min_price": 50, "max_price": 10}, "above max_price"),
        ({"max_price": "cheap"}, "max_price"),
        ("books", "filters must be a dict"),
    ],
)
def test_bad_filters_raise(tiny_catalogue, filters, message):
    with pytest.raises(ValueError, match=message):
        SearchIndex().fit(tiny_catalogue).search("headphones", n=3, filters=filters)


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "empty"), ("   \t\n", "empty"), ("x" * 10_000, "10,000 characters"), (None, "string"), (42, "string")],
)
def test_bad_queries_raise(tiny_catalogue, query, message):
    index = SearchIndex().fit(tiny_catalogue)
    with pytest.raises(ValueError, match=message):
        index.search(query, n=3)


@pytest.mark.parametrize(
    "query",
    [
        "🎧🎧",
        "שלום עולם",  # Hebrew, right to left
        "سماعات",  # Arabic
        "'; DROP TABLE items; --",
        "1 OR 1=1",
        ".*",
        "(a|b)+$",
        "[[[",
        "\\d+\\",
        "%_%",
        "ñandú 東京",
        "\u202eheadphones",  # a right-to-left override before a real word
    ],
)
def test_strange_but_valid_queries_never_crash(tiny_catalogue, query):
    for fallback in (True, False):
        page = SearchIndex(fallback=fallback).fit(tiny_catalogue).search(query, n=3)
        assert list(page.columns) == [ITEM_ID, SCORE, RANK, MATCH]
        assert len(page) <= 3
        if not fallback:
            assert page.empty or (page[SCORE] > 0).all()


def test_the_override_character_does_not_hide_a_word(tiny_catalogue):
    page = SearchIndex().fit(tiny_catalogue).search("\u202eheadphones", n=6)
    assert set(page[ITEM_ID]) == {1, 2, 3}


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_any_text_up_to_the_limit_is_answered(query):
    page = _HYPOTHESIS_INDEX.search(query, n=3)
    assert len(page) <= 3 and page[RANK].tolist() == list(range(1, len(page) + 1))


_HYPOTHESIS_INDEX = SearchIndex().fit(
    pd.DataFrame(
        {ITEM_ID: [1, 2, 3], TITLE: ["a b", "c d", "e"], CATEGORY: ["x"] * 3, BRAND: ["y"] * 3, PRICE: [1.0] * 3}
    )
)


@pytest.mark.parametrize("n", [0, -1, 7, 2.5, "3"])
def test_n_outside_the_catalogue_raises(tiny_catalogue, n):
    with pytest.raises(ValueError, match="n"):
        SearchIndex().fit(tiny_catalogue).search("headphones", n=n)


def test_n_equal_to_the_catalogue_is_fine(tiny_catalogue):
    assert len(SearchIndex().fit(tiny_catalogue).search("zzzz", n=6)) == 6


def test_rank_queries_equals_search_one_by_one(index):
    queries = pd.DataFrame({QUERY_ID: [10, 11, 12, 13], QUERY: ["headphones", "zzzz", "headphones", "wireles"]})
    pages = index.rank_queries(queries, n=5)
    for qid, text in zip(queries[QUERY_ID], queries[QUERY], strict=True):
        one = index.search(text, n=5)
        got = pages[pages[QUERY_ID] == qid].drop(columns=QUERY_ID).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, one, check_dtype=False)
    with pytest.raises(ValueError, match="duplicated"):
        index.rank_queries(pd.DataFrame({QUERY_ID: [1, 1], QUERY: ["a", "b"]}), n=3)


def test_score_items_rejects_unknown_ids(index):
    with pytest.raises(ValueError, match="not in the catalogue"):
        index.score_items("headphones", [1, 10**9])
    with pytest.raises(ValueError, match="could never match"):
        index.score_items("headphones", ["1"])


def test_popularity_must_name_catalogue_items(tiny_catalogue):
    with pytest.raises(ValueError, match="not in the catalogue"):
        SearchIndex().fit(tiny_catalogue, popularity=pd.Series({99: 1.0}))
    with pytest.raises(ValueError, match="negative"):
        SearchIndex().fit(tiny_catalogue, popularity=pd.Series({1: -1.0}))
    with pytest.raises(ValueError, match="Series"):
        SearchIndex().fit(tiny_catalogue, popularity=[1.0, 2.0])


@pytest.mark.parametrize(
    ("params", "name"),
    [({"k1": 0}, "k1"), ({"b": 1.5}, "b"), ({"correction_weight": 0}, "correction_weight"), ({"max_edits": -1}, "max")],
)
def test_parameters_are_checked_at_fit(tiny_catalogue, params, name):
    index = SearchIndex(**params)
    assert index.get_params()[next(iter(params))] == next(iter(params.values()))  # stored unchanged
    with pytest.raises(ValueError, match=name):
        index.fit(tiny_catalogue)
    assert not hasattr(index, "weights_")


def test_clone_and_bad_catalogue(tiny_catalogue):
    fitted = SearchIndex(k1=1.2).fit(tiny_catalogue)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "weights_")
    with pytest.raises(ValueError, match="title"):
        SearchIndex().fit(tiny_catalogue.drop(columns=TITLE))
    with pytest.raises(ValueError, match="duplicate"):
        SearchIndex().fit(pd.concat([tiny_catalogue, tiny_catalogue.head(1)]))

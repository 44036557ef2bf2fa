"""Autocomplete: prefix matching, popularity order, past searches, personal ranking and bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopcase.schema import (
    BRAND,
    CATEGORY,
    EVENT_TYPE,
    ITEM_ID,
    MATCH,
    PRICE,
    QUERY,
    SESSION_ID,
    TIMESTAMP,
    TITLE,
    USER_ID,
)
from shopcase.search import Autocomplete, SearchIndex, UserHistory


@pytest.fixture(scope="module")
def catalogue():
    return pd.DataFrame(
        {
            ITEM_ID: [1, 2, 3, 4, 5, 6],
            TITLE: [
                "Acme wireless headphones",
                "Bolt wireless headphones",
                "Acme wired headphones",
                "Chef cast-iron kettle",
                "Chef enamel kettle",
                "Chef enamel teapot",
            ],
            CATEGORY: ["electronics"] * 3 + ["kitchen"] * 3,
            BRAND: ["Acme", "Bolt", "Acme", "Chef", "Chef", "Chef"],
            PRICE: [10.0] * 6,
        }
    )


@pytest.fixture(scope="module")
def history(catalogue):
    index = SearchIndex().fit(catalogue)
    events = pd.DataFrame(
        {
            USER_ID: [1, 1, 1, 2],
            SESSION_ID: [1, 1, 1, 2],
            TIMESTAMP: pd.to_datetime(["2023-01-01", "2023-01-02", "2023-01-03", "2023-01-01"]),
            EVENT_TYPE: ["view", "view", "view", "view"],
            ITEM_ID: [4, 5, 6, 1],
            "quantity": 1,
            "unit_price": 10.0,
            "order_id": pd.array([pd.NA] * 4, dtype="Int64"),
        }
    )
    return UserHistory.build(events, index, "2023-06-01", users=[1, 2, 3])


def test_completions_start_at_a_word_and_rank_by_popularity(catalogue):
    ac = Autocomplete().fit(catalogue)
    got = ac.complete("head", n=10)
    assert got[0] == "headphones"  # names 3 items: most popular
    assert all(any(w.startswith("head") for w in phrase.split()) for phrase in got)
    assert "wireless headphones" in got and "acme" not in got
    assert ac.complete("WIRE", n=3)[0].startswith("wire")
    assert ac.complete("wireless ", n=5) == ["wireless headphones"]


def test_past_searches_count_only_when_frequent_and_found_as_typed(catalogue):
    queries = pd.DataFrame(
        {
            QUERY: ["enamel teapot"] * 3 + ["headphnes"] * 5 + ["kettle descaler"] * 5 + ["tea"],
            MATCH: ["exact"] * 3 + ["corrected"] * 5 + ["fallback"] * 5 + ["exact"],
        }
    )
    ac = Autocomplete(min_searches=2).fit(catalogue, queries)
    assert ac.complete("e", n=1) == ["enamel teapot"]  # 3 searches beat 0.1 x items
    assert "headphnes" not in ac.complete("h", n=10)  # misspellings are never suggested
    assert "kettle descaler" not in ac.complete("k", n=10)  # nor searches that found nothing
    assert "tea" not in ac.complete("t", n=10)  # searched once only


def test_a_user_sees_their_categories_first(catalogue, history):
    ac = Autocomplete().fit(catalogue, history=history)
    anonymous = ac.complete("e", n=3)
    cook = ac.complete("e", n=3, user_id=1)  # user 1 viewed only kitchen items
    assert cook[0].startswith("enamel") and anonymous[0] == "electronics"
    assert ac.complete("e", n=3, user_id=3) == anonymous  # no history: as anonymous
    assert Autocomplete(personal_weight=0).fit(catalogue, history=history).complete("e", 3, user_id=1) == anonymous


def test_nothing_matches_gives_an_empty_list(catalogue):
    ac = Autocomplete().fit(catalogue)
    for prefix in ["zzz", "🎧", "שלום", "'; DROP", ".*", "café"]:
        assert ac.complete(prefix) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": ""}, "empty"),
        ({"prefix": "  "}, "empty"),
        ({"prefix": "x" * 10_000}, "characters"),
        ({"prefix": None}, "string"),
        ({"prefix": "a", "n": 0}, "n"),
        ({"prefix": "a", "n": 10**6}, "n"),
        ({"prefix": "a", "user_id": 99}, "unknown user"),
    ],
)
def test_bad_input_raises(catalogue, history, kwargs, message):
    ac = Autocomplete().fit(catalogue, history=history)
    with pytest.raises(ValueError, match=message):
        ac.complete(**kwargs)


def test_a_user_needs_a_history(catalogue):
    with pytest.raises(ValueError, match="without a history"):
        Autocomplete().fit(catalogue).complete("a", user_id=1)
    with pytest.raises(ValueError, match="min_searches"):
        Autocomplete(min_searches=0).fit(catalogue)
    with pytest.raises(ValueError, match="UserHistory"):
        Autocomplete().fit(catalogue, history="yes")


_AC = Autocomplete().fit(pd.DataFrame({ITEM_ID: [1], TITLE: ["A b c"], CATEGORY: ["x"], BRAND: ["A"], PRICE: [1.0]}))


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_any_prefix_is_answered(prefix):
    got = _AC.complete(prefix, n=2)
    assert isinstance(got, list) and len(got) <= 2 and np.all([isinstance(g, str) for g in got])

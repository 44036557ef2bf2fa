"""Checkers of notebook 07: each accepts the worked solution, names a plausible mistake, and waits for None."""

import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop
from shopcase.exercises import ex07
from shopcase.search import SearchIndex, simulate_search_log


@pytest.fixture(scope="module")
def setup():
    shop = generate_shop(n_users=600, n_items=300, seed=5)
    index = SearchIndex().fit(shop.catalogue)
    log = simulate_search_log(shop, index, 1_500, seed=2, start="2023-07-01")
    return shop, index, log


def _zero_rate(index, queries):
    pages = index.rank_queries(queries)
    found = pages.loc[pages["match"] != "fallback", "query_id"]
    return float((~queries["query_id"].isin(found)).mean())


def test_zero_result_rate(setup):
    shop, index, log = setup
    strict = _zero_rate(SearchIndex(typo_tolerance=False).fit(shop.catalogue), log.queries)
    tolerant = _zero_rate(index, log.queries)
    check = ex07.check_zero_result_rate
    assert check(None, log.queries, shop.catalogue).status == "not attempted"
    assert check(strict, log.queries, shop.catalogue).passed
    wrong = check(tolerant, log.queries, shop.catalogue)
    assert not wrong.passed and "with* typo tolerance" in wrong.message
    assert "percentage" in check(strict * 100, log.queries, shop.catalogue).message
    assert not check("0.2", log.queries, shop.catalogue).passed


def _ctr_ratio(pages, position):
    ctr = pages.groupby("position")["clicked"].mean()
    return float(ctr[position] / ctr[1])


def test_propensity(setup):
    _, _, log = setup
    randomised = log.queries.loc[log.queries["randomised"], "query_id"]
    right = _ctr_ratio(log.pages[log.pages["query_id"].isin(randomised)], 3)
    assert ex07.check_propensity(None, log).status == "not attempted"
    assert ex07.check_propensity(right, log, position=3).passed
    biased = ex07.check_propensity(_ctr_ratio(log.pages, 3), log, position=3)
    assert not biased.passed and "randomised == True" in biased.message
    assert "inverse" in ex07.check_propensity(1 / right, log, position=3).message


def test_ndcg():
    page = pd.DataFrame({"item_id": [1, 2, 3], "rank": [1, 2, 3]})
    truth = pd.DataFrame({"item_id": [2, 3, 4], "relevance": [3, 1, 2]})
    dcg = 7 / np.log2(3) + 1 / np.log2(4)
    idcg = 7 + 3 / np.log2(3) + 1 / np.log2(4)
    assert ex07.check_ndcg(None, page, truth).status == "not attempted"
    assert ex07.check_ndcg(dcg / idcg, page, truth).passed
    binary = (1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3) + 1 / np.log2(4))
    assert "binary gains" in ex07.check_ndcg(binary, page, truth).message
    page_only = dcg / (7 + 1 / np.log2(3))
    assert "ideal built from the page only" in ex07.check_ndcg(page_only, page, truth).message
    assert not ex07.check_ndcg(0.5, page, truth).passed


def test_biggest_gain():
    by_kind = pd.DataFrame({"BM25": [0.4, 0.5, 0.05], "ipw": [0.7, 0.6, 0.06]}, index=["category", "noun", "synonym"])
    assert ex07.check_biggest_gain(None, by_kind, "ipw", "BM25").status == "not attempted"
    right = ex07.check_biggest_gain("category", by_kind, "ipw", "BM25")
    assert right.passed and "'synonym'" in right.message
    wrong = ex07.check_biggest_gain("noun", by_kind, "ipw", "BM25")
    assert not wrong.passed and "+0.100" in wrong.message
    assert "one of the kinds" in ex07.check_biggest_gain("sofa", by_kind, "ipw", "BM25").message

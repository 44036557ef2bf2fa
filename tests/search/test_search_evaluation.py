"""compare_rankers, position_table, query_summary and show_searches on the shared small log."""

import numpy as np
import pytest
from search_dates import TEST_START

from shopcase.schema import QUERY_ID
from shopcase.search import compare_rankers, position_table, query_summary, search_metrics, show_searches


def test_compare_rankers_scores_every_ranker_on_the_same_users(log, log_index):
    test = log.between(TEST_START)
    bm25 = log_index.rank_queries(test.queries)
    shuffled = bm25.sample(frac=1.0, random_state=0)
    shuffled["rank"] = shuffled.groupby(QUERY_ID).cumcount() + 1
    result = compare_rankers({"BM25": bm25, "same": bm25.copy(), "shuffled": shuffled}, test, baseline="BM25")
    table = result.table.set_index("ranker")
    assert table.loc["same", "ndcg_gain"] == 0 and table.loc["same", "ctr"] == table.loc["BM25", "ctr"]
    gain, low, high = result.gain("shuffled")
    assert low <= gain <= high
    alone = search_metrics(bm25, test.truth, test.queries)
    assert table.loc["BM25", "ndcg"] == pytest.approx(alone.ndcg)
    assert set(result.by_kind.columns) == {"BM25", "same", "shuffled"} and "noun" in result.by_kind.index
    assert "BM25 NDCG@10" in str(result)
    with pytest.raises(ValueError, match="baseline"):
        compare_rankers({"BM25": bm25}, test, baseline="nope")


def test_position_table_shows_the_bias(log):
    table = position_table(log)
    assert table["position"].tolist() == list(range(1, 11))
    assert table["ctr_logged"].iloc[0] > 3 * table["ctr_logged"].iloc[-1]
    np.testing.assert_allclose(table["examination"], 1.0 / np.arange(1, 11))
    assert table["propensity"].iloc[0] == 1.0


def test_query_summary_and_show_searches(log, log_index, shop):
    summary = query_summary(log)
    assert summary["share"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(summary[["exact", "corrected", "fallback"]].sum(axis=1), 1.0)
    assert summary.loc["out_of_catalogue", "relevant_items"] == 0
    shown = show_searches(log_index, shop.catalogue, ["headphnes", "zzzz"], n=2)
    assert shown["match"].tolist() == ["corrected", "fallback"]
    assert "headphnes -> headphones" in shown.loc[0, "corrected"]

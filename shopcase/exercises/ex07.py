"""Checkers for the exercises of ``07_search_and_discovery.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises
work on any shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet
from shopcase.schema import CLICKED, ITEM_ID, MATCH, POSITION, QUERY, QUERY_ID, RANK, RELEVANCE
from shopcase.search import SearchIndex, per_query_metrics
from shopcase.search.index import FALLBACK
from shopcase.search.simulate import RANDOMISED, SearchLog


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None


def _zero_result_rate(index: SearchIndex, queries: pd.DataFrame) -> float:
    pages = index.rank_queries(queries[[QUERY_ID, QUERY]])
    found = pages.loc[pages[MATCH] != FALLBACK, QUERY_ID]
    return float((~queries[QUERY_ID].isin(found)).mean())


def check_zero_result_rate(answer: object, queries: pd.DataFrame, catalogue: pd.DataFrame) -> Feedback:
    """07.1: the share of ``queries`` that find nothing with ``SearchIndex(typo_tolerance=False)``."""
    if (fb := attempted(answer, "07.1", "set answer to a share between 0 and 1 (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("07.1", f"the answer should be one number (a share), got {type(answer).__name__}")
    expected = _zero_result_rate(SearchIndex(typo_tolerance=False).fit(catalogue), queries)
    with_typos = _zero_result_rate(SearchIndex().fit(catalogue), queries)
    if 1 < value <= 100 and abs(value / 100 - expected) < 1e-3:
        return not_yet("07.1", f"{value:g} looks like a percentage; give the share ({expected:.3f})")
    if abs(value - expected) < 1e-3:
        return correct(
            "07.1",
            f"{expected:.1%} of the searches find nothing without typo tolerance, against {with_typos:.1%} with "
            "it: partial words and one-letter slips are most of the difference.",
        )
    if abs(value - with_typos) < 1e-3:
        return not_yet("07.1", "that is the rate *with* typo tolerance; build SearchIndex(typo_tolerance=False)")
    return not_yet(
        "07.1",
        f"{value:.3f} is not the share of searches whose page is the fallback; count queries whose match is "
        "'fallback' over all queries",
    )


def check_propensity(answer: object, log: SearchLog, position: int = 3) -> Feedback:
    """07.2: click rate at ``position`` over click rate at 1, on the randomised pages of ``log``."""
    what = f"set answer to the propensity of position {position} (a float)"
    if (fb := attempted(answer, "07.2", what)) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("07.2", f"the answer should be one number, got {type(answer).__name__}")
    pages = log.pages.merge(log.queries[[QUERY_ID, RANDOMISED]], on=QUERY_ID)

    def ratio(rows: pd.DataFrame) -> float:
        ctr = rows.groupby(POSITION)[CLICKED].mean()
        return float(ctr.loc[position] / ctr.loc[1])

    expected = ratio(pages[pages[RANDOMISED]])
    logged, everything = ratio(pages[~pages[RANDOMISED]]), ratio(pages)
    if abs(value - expected) < 1e-6:
        return correct(
            "07.2",
            f"users look at position {position} {expected:.2f} times as often as at the top; the logged pages "
            f"say {logged:.2f} because better items sit higher there.",
        )
    if abs(value - logged) < 1e-6 or abs(value - everything) < 1e-6:
        return not_yet(
            "07.2",
            "you used pages the old ranker ordered: there relevance falls with position too, so the ratio "
            "mixes bias with relevance. Keep only queries with randomised == True",
        )
    if expected > 0 and abs(value - 1 / expected) < 1e-6:
        return not_yet("07.2", "that is the inverse (the IPW weight); divide position's CTR by position 1's")
    return not_yet("07.2", f"{value:.3f} is off; compute CTR at position {position} / CTR at position 1")


def check_ndcg(answer: object, page: pd.DataFrame, truth: pd.DataFrame, k: int = 10) -> Feedback:
    """07.3: graded NDCG@k of one page (``item_id, rank``) against its query's ``truth`` (``item_id, relevance``)."""
    if (fb := attempted(answer, "07.3", "set answer to the page's NDCG@10 (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("07.3", f"the answer should be one number, got {type(answer).__name__}")
    pages = page[[ITEM_ID, RANK]].assign(**{QUERY_ID: 0})
    truth = truth[[ITEM_ID, RELEVANCE]].assign(**{QUERY_ID: 0})
    expected = float(per_query_metrics(pages, truth, pd.DataFrame({QUERY_ID: [0]}), k)["ndcg"].iloc[0])
    rel = pages.merge(truth, on=[QUERY_ID, ITEM_ID], how="left")[RELEVANCE].fillna(0).to_numpy()
    rank = pages[RANK].to_numpy(dtype=float)
    top = rank <= k
    ideal_all = np.sort(truth[RELEVANCE].to_numpy())[::-1][:k]
    ideal_page = np.sort(rel[top])[::-1]

    def dcg(gains: np.ndarray, positions: np.ndarray, log=np.log2) -> float:
        return float((gains / log(positions + 1)).sum())

    mistakes = {
        "binary gains (relevant = 1) instead of 2^relevance - 1": dcg((rel[top] > 0) * 1.0, rank[top])
        / dcg(np.ones(min(len(ideal_all), k)), np.arange(1, min(len(ideal_all), k) + 1)),
        "the relevance itself as gain instead of 2^relevance - 1": dcg(rel[top], rank[top])
        / dcg(ideal_all, np.arange(1, len(ideal_all) + 1)),
        "an ideal built from the page only (the ideal ranks every relevant item)": dcg(2.0 ** rel[top] - 1, rank[top])
        / max(dcg(2.0**ideal_page - 1, np.arange(1, len(ideal_page) + 1)), 1e-300),
    }
    if abs(value - expected) < 1e-6:
        return correct("07.3", f"NDCG@{k} = {expected:.4f}: the DCG of the page over the best possible page's DCG.")
    for mistake, wrong in mistakes.items():
        if abs(value - wrong) < 1e-6 and abs(wrong - expected) > 1e-6:
            return not_yet("07.3", f"it looks like you used {mistake}")
    return not_yet(
        "07.3", f"{value:.4f} is off: gains 2^relevance - 1, discount log2(rank + 1), ideal over all relevant items"
    )


def check_biggest_gain(answer: object, by_kind: pd.DataFrame, ranker: str, baseline: str) -> Feedback:
    """07.4: the query kind where ``ranker`` gains most NDCG over ``baseline`` (``RankerComparison.by_kind``)."""
    if (fb := attempted(answer, "07.4", "set answer to a query kind, e.g. 'noun'")) is not None:
        return fb
    gain = (by_kind[ranker] - by_kind[baseline]).dropna()
    if not isinstance(answer, str) or answer not in gain.index:
        return not_yet("07.4", f"answer with one of the kinds {sorted(gain.index)}")
    best = str(gain.idxmax())
    if answer == best:
        return correct(
            "07.4",
            f"'{best}' gains {gain[best]:+.3f} NDCG: BM25 ties every item that matches a broad query, so only "
            "what the shop knows about the user can order them; a query that already names what it wants "
            f"(smallest gain: '{gain.idxmin()}', {gain.min():+.3f}) leaves less to personalise.",
        )
    return not_yet(
        "07.4",
        f"'{answer}' gains {gain[answer]:+.3f}; another kind gains more. Subtract the columns of by_kind and "
        "look for the largest difference",
    )

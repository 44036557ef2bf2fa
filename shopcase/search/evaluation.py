"""Rankers side by side on a simulated log: truth metrics, simulated clicks, intervals, positions.

``compare_rankers`` serves every ranker's pages to the same simulated users (``simulate_clicks`` with
one seed: common random numbers) and scores them against the truth; each ranker's gain over the
baseline gets a paired bootstrap interval over users (``metrics.compare``). ``position_table`` is the
evidence of position bias: click rate and true relevance by position, on logged and on randomised pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.schema import CLICKED, ITEM_ID, POSITION, PURCHASED, QUERY_ID, RELEVANCE, SEED, K
from shopcase.search.index import SearchIndex
from shopcase.search.metrics import compare, per_query_metrics, summarise, user_clusters
from shopcase.search.propensity import RANDOMISED, estimate_propensities
from shopcase.search.simulate import KIND, SearchLog, simulate_clicks
from shopcase.validate import check_int

COMPARISON_METRICS: tuple[str, ...] = ("ndcg", CLICKED, PURCHASED)
"""Per-query metrics compared with intervals: NDCG@k, click-through, purchase (MRR is in the table without one:
the first result of a search almost always matches it, so MRR barely moves)."""


@dataclass(frozen=True)
class RankerComparison:
    """Rankers scored on the same searches.

    ``table``: one row per ranker (``ranker``, the ``SearchMetrics`` fields ``ndcg, mrr, ctr,
    purchase_rate, zero_result_rate``, then per metric of ``COMPARISON_METRICS`` the relative
    ``<metric>_gain`` over the baseline with ``<metric>_low`` / ``<metric>_high``, its interval).
    ``per_query``: ranker -> ``per_query_metrics`` frame. ``by_kind``: mean NDCG per query kind
    (rows) and ranker (columns).
    """

    baseline: str
    k: int
    confidence: float
    table: pd.DataFrame
    per_query: dict[str, pd.DataFrame]
    by_kind: pd.DataFrame

    def gain(self, ranker: str, metric: str = "ndcg") -> tuple[float, float, float]:
        """(relative gain, low, high) of ``ranker`` over the baseline on ``metric``."""
        row = self.table.set_index("ranker").loc[ranker]
        return float(row[f"{metric}_gain"]), float(row[f"{metric}_low"]), float(row[f"{metric}_high"])

    def __str__(self) -> str:
        parts = []
        for row in self.table.itertuples(index=False):
            if row.ranker == self.baseline:
                parts.append(f"{row.ranker} NDCG@{self.k} {row.ndcg:.3f}")
            else:
                parts.append(
                    f"{row.ranker} {row.ndcg:.3f} ({row.ndcg_gain:+.1%}, {row.ndcg_low:+.1%} to {row.ndcg_high:+.1%})"
                )
        return "; ".join(parts)


def compare_rankers(
    pages: dict[str, pd.DataFrame],
    log: SearchLog,
    baseline: str,
    *,
    k: int = K,
    seed: int = SEED,
    n_resamples: int = 1_000,
    confidence: float = 0.95,
) -> RankerComparison:
    """Score each ranker's ``pages`` for ``log``'s searches against its truth and simulated users.

    Parameters
    ----------
    pages : dict of str to DataFrame
        Ranker name -> pages (``query_id, item_id, rank``, optionally ``match``) for the log's queries,
        e.g. ``SearchIndex.rank_queries`` / ``Reranker.rank_queries`` outputs.
    log : SearchLog
        The searches (usually a later, held-out part of a log) and their truth.
    baseline : str
        The key of ``pages`` the others are compared with.
    k, seed, n_resamples, confidence
        Metric cut-off; the seed of the simulated clicks and of the bootstrap.

    Returns
    -------
    RankerComparison
    """
    if baseline not in pages:
        raise ValueError(f"baseline {baseline!r} is not one of the rankers {list(pages)}")
    k = check_int(k, "k", low=1)
    queries = log.queries
    clusters = user_clusters(queries)
    per_query, rows = {}, []
    for name, ranked in pages.items():
        served = simulate_clicks(ranked, log.truth, log.click_model, seed=seed).drop(columns=RELEVANCE)
        per_query[name] = per_query_metrics(served, log.truth, queries, k)
        metrics = summarise(per_query[name], k)
        rows.append(
            {
                "ranker": name,
                "ndcg": metrics.ndcg,
                "mrr": metrics.mrr,
                "ctr": metrics.ctr,
                "purchase_rate": metrics.purchase_rate,
                "zero_result_rate": metrics.zero_result_rate,
            }
        )
    table = pd.DataFrame(rows)
    for metric in COMPARISON_METRICS:
        gains = []
        for name in pages:
            if name == baseline:
                gains.append((0.0, np.nan, np.nan))
                continue
            c = compare(
                per_query[name],
                per_query[baseline],
                clusters,
                metric=metric,
                names=(name, baseline),
                n_resamples=n_resamples,
                confidence=confidence,
                seed=seed,
            )
            gains.append((c.relative_gain, c.low, c.high))
        table[[f"{metric}_gain", f"{metric}_low", f"{metric}_high"]] = gains
    kinds = queries.set_index(QUERY_ID)[KIND] if KIND in queries.columns else None
    by_kind = pd.DataFrame({name: frame["ndcg"] for name, frame in per_query.items()})
    by_kind = by_kind.groupby(kinds.reindex(by_kind.index)).mean().dropna(how="all") if kinds is not None else by_kind
    return RankerComparison(
        baseline=baseline, k=k, confidence=confidence, table=table, per_query=per_query, by_kind=by_kind
    )


def position_table(log: SearchLog) -> pd.DataFrame:
    """Click rate and mean true relevance by position, on logged and on randomised pages.

    Returns one row per position: ``ctr_logged``, ``ctr_randomised``, ``relevance_logged``,
    ``relevance_randomised`` (mean graded relevance of the item shown there), ``propensity``
    (``estimate_propensities``) and ``examination`` (the click model's true curve).
    """
    pages = log.pages.merge(log.truth[[QUERY_ID, ITEM_ID, RELEVANCE]], how="left", on=[QUERY_ID, ITEM_ID])
    pages[RELEVANCE] = pages[RELEVANCE].fillna(0.0)
    randomised = pages[QUERY_ID].isin(log.queries.loc[log.queries[RANDOMISED], QUERY_ID])
    table = pd.DataFrame(
        {
            "ctr_logged": pages[~randomised].groupby(POSITION)[CLICKED].mean(),
            "ctr_randomised": pages[randomised].groupby(POSITION)[CLICKED].mean(),
            "relevance_logged": pages[~randomised].groupby(POSITION)[RELEVANCE].mean(),
            "relevance_randomised": pages[randomised].groupby(POSITION)[RELEVANCE].mean(),
        }
    )
    estimated = estimate_propensities(log.queries, log.pages).set_index(POSITION)["propensity"]
    table["propensity"] = estimated
    table["examination"] = log.click_model.examination(table.index.to_numpy())
    return table.reset_index()


def query_summary(log: SearchLog) -> pd.DataFrame:
    """Per query kind: its share of searches, how the shop's search found them, relevant items per search.

    Columns: ``share``, ``exact``, ``corrected``, ``fallback`` (shares of the kind's searches by
    ``match``), ``misspelled`` (share with a typo), ``relevant_items`` (mean number in the truth).
    """
    q = log.queries
    n_relevant = log.truth.groupby(QUERY_ID).size().reindex(q[QUERY_ID], fill_value=0).to_numpy()
    frame = q.assign(relevant_items=n_relevant)
    table = frame.groupby(KIND).agg(share=(QUERY_ID, "size"), misspelled=("misspelled", "mean"))
    table["share"] /= len(q)
    matches = pd.crosstab(frame[KIND], frame["match"], normalize="index")
    table = table.join(matches.reindex(columns=["exact", "corrected", "fallback"], fill_value=0.0))
    table["relevant_items"] = frame.groupby(KIND)["relevant_items"].mean()
    return table.sort_values("share", ascending=False)[
        ["share", "exact", "corrected", "fallback", "misspelled", "relevant_items"]
    ]


def show_searches(index: SearchIndex, catalogue: pd.DataFrame, queries: list[str], n: int = 3) -> pd.DataFrame:
    """What ``index`` does with each query: words searched, corrections, how found, the top ``n`` titles."""
    titles = catalogue.set_index(ITEM_ID)["title"]
    rows = []
    for query in queries:
        parsed = index.parse(query)
        page = index.search(query, n=n)
        rows.append(
            {
                "query": query,
                "searched": " ".join(term for term, _ in parsed.terms) or "-",
                "corrected": ", ".join(f"{w} -> {'/'.join(to)}" for w, to in parsed.corrections) or "-",
                "match": page["match"].iloc[0] if len(page) else "none",
                "top results": " | ".join(titles.loc[page[ITEM_ID]].tolist()),
            }
        )
    return pd.DataFrame(rows)

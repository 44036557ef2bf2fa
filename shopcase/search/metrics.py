"""Search quality against the truth: graded NDCG@k, MRR@k, click-through, purchase and zero-result rates.

Definitions (per query, then averaged):

* ``ndcg``: DCG@k / ideal DCG@k with gain ``2^relevance - 1`` and discount ``log2(rank + 1)``; the
  ideal ranks *all* the query's relevant items (not only those the ranker found). Queries without a
  relevant item (the shop does not sell it) have no NDCG and are left out of its mean.
* ``rr``: 1 / rank of the first item with relevance > 0 within the top k, 0 if none (same queries).
* ``zero_result``: the query got no page, or only the fallback (``match == "fallback"``).
* ``clicked`` / ``purchased``: at least one click / purchase on the page (when the pages carry them).

Equal to Microsoft Recommenders' ``ndcg_at_k(score_type="exp", discfun_type="log2")`` to 1e-9 (tested).
``compare`` gives a paired bootstrap interval for the relative gain of one ranker over another,
resampling users (a user's queries move together, as they are not independent).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from shopcase.schema import CLICKED, ITEM_ID, MATCH, POSITION, PURCHASED, QUERY_ID, RANK, RELEVANCE, SEED, USER_ID, K
from shopcase.search.index import FALLBACK
from shopcase.validate import as_id_index, check_choice, check_int, require_columns, validate_frame

PER_QUERY_COLUMNS: tuple[str, ...] = ("n_relevant", "ndcg", "rr", "zero_result", CLICKED, PURCHASED)


def _page_rank(pages: pd.DataFrame) -> str:
    column = RANK if RANK in pages.columns else POSITION
    require_columns(pages, [QUERY_ID, ITEM_ID, column], "pages")
    ranks = pages[column].to_numpy()
    if len(ranks) and (not np.issubdtype(ranks.dtype, np.integer) or (ranks < 1).any()):
        raise ValueError(f"pages: column '{column}' must hold integers >= 1 (1 = top of the page)")
    if pages.duplicated([QUERY_ID, column]).any():
        raise ValueError(f"pages: some queries repeat a {column}; one item per {column}")
    if pages.duplicated([QUERY_ID, ITEM_ID]).any():
        raise ValueError("pages: some queries show the same item twice")
    return column


def per_query_metrics(pages: pd.DataFrame, truth: pd.DataFrame, queries: pd.DataFrame, k: int = K) -> pd.DataFrame:
    """One row per query of ``queries`` (index ``query_id``, same order): the columns of ``PER_QUERY_COLUMNS``.

    Parameters
    ----------
    pages : DataFrame
        ``query_id, item_id`` and ``rank`` (or ``position``), optionally ``match``, ``clicked``,
        ``purchased``. Queries absent from it got an empty page.
    truth : DataFrame
        ``query_id, item_id, relevance`` (relevance > 0 rows; others are ignored).
    queries : DataFrame
        ``query_id`` of every query to score (unique).
    k : int
        Cut-off (>= 1).

    Returns
    -------
    DataFrame
        ``n_relevant`` (int), ``ndcg`` and ``rr`` (NaN when the query has no relevant item),
        ``zero_result`` (bool), ``clicked`` and ``purchased`` (bool; missing if ``pages`` lacks them).
    """
    k = check_int(k, "k", low=1)
    rank_col = _page_rank(pages)
    truth = validate_frame(
        truth, {QUERY_ID: "id", ITEM_ID: "id", RELEVANCE: "number"}, "truth", key=[QUERY_ID, ITEM_ID], allow_empty=True
    )
    require_columns(queries, [QUERY_ID], "queries")
    ids = as_id_index(queries[QUERY_ID], "queries.query_id")
    truth = truth[(truth[RELEVANCE] > 0) & truth[QUERY_ID].isin(ids)]

    ideal = truth[[QUERY_ID, RELEVANCE]].sort_values([QUERY_ID, RELEVANCE], ascending=[True, False], kind="stable")
    ideal_pos = ideal.groupby(QUERY_ID, sort=False).cumcount().to_numpy() + 1
    keep = ideal_pos <= k
    ideal_gain = (2.0 ** ideal[RELEVANCE].to_numpy(dtype=np.float64)[keep] - 1.0) / np.log2(ideal_pos[keep] + 1.0)
    idcg = pd.Series(ideal_gain).groupby(ideal[QUERY_ID].to_numpy()[keep]).sum()
    n_relevant = truth.groupby(QUERY_ID).size()

    top = pages[pages[rank_col] <= k][[QUERY_ID, ITEM_ID, rank_col]]
    top = top[top[QUERY_ID].isin(ids)]
    rel = top.merge(truth[[QUERY_ID, ITEM_ID, RELEVANCE]], how="left", on=[QUERY_ID, ITEM_ID])[RELEVANCE]
    rel = rel.fillna(0).to_numpy(dtype=np.float64)
    rank = top[rank_col].to_numpy(dtype=np.float64)
    dcg = pd.Series((2.0**rel - 1.0) / np.log2(rank + 1.0)).groupby(top[QUERY_ID].to_numpy()).sum()
    first_hit = pd.Series(np.where(rel > 0, rank, np.inf)).groupby(top[QUERY_ID].to_numpy()).min()

    out = pd.DataFrame(index=ids.rename(QUERY_ID))
    out["n_relevant"] = n_relevant.reindex(ids, fill_value=0).to_numpy().astype(np.int64)
    has_truth = out["n_relevant"].to_numpy() > 0
    ndcg = dcg.reindex(ids, fill_value=0.0).to_numpy() / idcg.reindex(ids, fill_value=np.nan).to_numpy()
    rr = 1.0 / first_hit.reindex(ids, fill_value=np.inf).to_numpy()
    out["ndcg"] = np.where(has_truth, ndcg, np.nan)
    out["rr"] = np.where(has_truth, rr, np.nan)
    shown = pages[pages[QUERY_ID].isin(ids)]
    if MATCH in shown.columns:
        shown = shown[shown[MATCH] != FALLBACK]
    out["zero_result"] = ~ids.isin(shown[QUERY_ID])
    for flag in (CLICKED, PURCHASED):
        if flag in pages.columns:
            out[flag] = ids.isin(pages.loc[pages[flag].astype(bool), QUERY_ID])
    return out


@dataclass(frozen=True)
class SearchMetrics:
    """Means over queries: ``ndcg`` and ``mrr`` over the ``n_with_truth`` queries with a relevant item;
    the rates over all ``n_queries`` (``ctr``/``purchase_rate`` are NaN without simulated clicks)."""

    k: int
    n_queries: int
    n_with_truth: int
    ndcg: float
    mrr: float
    ctr: float
    purchase_rate: float
    zero_result_rate: float

    def __str__(self) -> str:
        return (
            f"NDCG@{self.k} {self.ndcg:.3f}, MRR@{self.k} {self.mrr:.3f} ({self.n_with_truth:,} queries with truth); "
            f"CTR {self.ctr:.3f}, purchase rate {self.purchase_rate:.3f}, zero results {self.zero_result_rate:.1%} "
            f"({self.n_queries:,} queries)"
        )


def search_metrics(pages: pd.DataFrame, truth: pd.DataFrame, queries: pd.DataFrame, k: int = K) -> SearchMetrics:
    """The means of ``per_query_metrics`` (same arguments) as a ``SearchMetrics``."""
    return summarise(per_query_metrics(pages, truth, queries, k), k)


def summarise(per_query: pd.DataFrame, k: int) -> SearchMetrics:
    """``SearchMetrics`` from a ``per_query_metrics`` frame computed at cut-off ``k``."""
    with_truth = per_query["n_relevant"] > 0

    def mean(column: str, rows: pd.Series | None = None) -> float:
        if column not in per_query.columns:
            return float("nan")
        values = per_query.loc[rows, column] if rows is not None else per_query[column]
        return float(values.astype(float).mean()) if len(values) else float("nan")

    return SearchMetrics(
        k=int(k),
        n_queries=len(per_query),
        n_with_truth=int(with_truth.sum()),
        ndcg=mean("ndcg", with_truth),
        mrr=mean("rr", with_truth),
        ctr=mean(CLICKED),
        purchase_rate=mean(PURCHASED),
        zero_result_rate=mean("zero_result"),
    )


@dataclass(frozen=True)
class Comparison:
    """One ranker against a baseline on one per-query metric, with a paired bootstrap interval.

    ``relative_gain`` = mean(ranker) / mean(baseline) - 1 over the queries both were scored on;
    ``low``/``high`` its ``confidence`` interval from resampling ``n_clusters`` users.
    """

    metric: str
    ranker: str
    baseline: str
    value: float
    baseline_value: float
    relative_gain: float
    low: float
    high: float
    confidence: float
    n_queries: int
    n_clusters: int

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0 (the gap is real at this confidence)."""
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        return (
            f"{self.ranker} vs {self.baseline}: {self.metric} {self.value:.3f} vs {self.baseline_value:.3f}, "
            f"{self.relative_gain:+.1%} ({self.confidence:.0%} CI {self.low:+.1%} to {self.high:+.1%}, "
            f"{self.n_clusters:,} users)"
        )


def compare(
    ranker: pd.DataFrame,
    baseline: pd.DataFrame,
    clusters: pd.Series,
    *,
    metric: str = "ndcg",
    names: tuple[str, str] = ("ranker", "baseline"),
    n_resamples: int = 2_000,
    confidence: float = 0.95,
    seed: int = SEED,
) -> Comparison:
    """Paired bootstrap of the relative gain of ``ranker`` over ``baseline`` (``per_query_metrics`` outputs).

    Parameters
    ----------
    ranker, baseline : DataFrame
        ``per_query_metrics`` of the two rankers on the same queries (index ``query_id``).
    clusters : Series
        The resampling unit per query id (e.g. ``queries.set_index("query_id")["user_id"]``): all of
        a user's queries are drawn together, since one user's searches are not independent.
    metric : str
        A column of both frames (``ndcg``, ``rr``, ``clicked``, ``purchased``, ...).
    names : (str, str)
        Labels for the result.
    n_resamples, confidence, seed
        Bootstrap settings (scipy's BCa interval, percentile when BCa is undefined; seeded).

    Returns
    -------
    Comparison
    """
    require_columns(ranker, [metric], "ranker")
    require_columns(baseline, [metric], "baseline")
    n_resamples = check_int(n_resamples, "n_resamples", low=100)
    check_choice(confidence, "confidence", (0.8, 0.9, 0.95, 0.99))
    a = ranker[metric].astype(float)
    b = baseline[metric].astype(float).reindex(a.index)
    both = a.notna() & b.notna()
    if not both.any():
        raise ValueError(f"ranker and baseline share no query with a {metric} value")
    groups = clusters.reindex(a.index[both])
    if groups.isna().any():
        raise ValueError(f"clusters: {int(groups.isna().sum())} query ids have no cluster")
    sums = pd.DataFrame({"a": a[both].to_numpy(), "b": b[both].to_numpy(), "g": groups.to_numpy()}).groupby("g").sum()
    if sums["b"].sum() <= 0:
        raise ValueError(f"the baseline's mean {metric} is 0: a relative gain is undefined")

    def gain(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return x.sum(axis=axis) / y.sum(axis=axis) - 1.0

    x, y = sums["a"].to_numpy(), sums["b"].to_numpy()
    interval = None
    for method in ("BCa", "percentile"):  # BCa is undefined when every resample agrees (identical rankers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scipy's warning for that case; we fall back
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            result = stats.bootstrap(
                (x, y),
                gain,
                paired=True,
                vectorized=True,
                n_resamples=n_resamples,
                confidence_level=confidence,
                method=method,
                rng=np.random.default_rng(seed),
            )
        interval = result.confidence_interval
        if np.isfinite(interval.low) and np.isfinite(interval.high):
            break
    n = int(both.sum())
    return Comparison(
        metric=metric,
        ranker=names[0],
        baseline=names[1],
        value=float(x.sum() / n),
        baseline_value=float(y.sum() / n),
        relative_gain=float(gain(x, y)),
        low=float(interval.low),
        high=float(interval.high),
        confidence=float(confidence),
        n_queries=n,
        n_clusters=len(sums),
    )


def user_clusters(queries: pd.DataFrame) -> pd.Series:
    """``user_id`` per ``query_id``: the resampling unit ``compare`` expects."""
    require_columns(queries, [QUERY_ID, USER_ID], "queries")
    return queries.set_index(QUERY_ID)[USER_ID]

"""Search and discovery: lexical product search, autocomplete and a personalised learning-to-rank re-ranker."""

from shopcase.search.autocomplete import Autocomplete
from shopcase.search.features import FEATURES, UserHistory
from shopcase.search.index import ParsedQuery, SearchIndex
from shopcase.search.metrics import Comparison, SearchMetrics, compare, per_query_metrics, search_metrics, user_clusters
from shopcase.search.propensity import estimate_propensities
from shopcase.search.rerank import Reranker
from shopcase.search.simulate import ClickModel, QueryMix, SearchLog, simulate_clicks, simulate_search_log

__all__ = [
    "Autocomplete",
    "FEATURES",
    "ClickModel",
    "Comparison",
    "ParsedQuery",
    "QueryMix",
    "Reranker",
    "SearchIndex",
    "SearchLog",
    "SearchMetrics",
    "UserHistory",
    "compare",
    "estimate_propensities",
    "per_query_metrics",
    "search_metrics",
    "simulate_clicks",
    "simulate_search_log",
    "user_clusters",
]

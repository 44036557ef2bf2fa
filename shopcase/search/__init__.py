"""Search and discovery: lexical product search, autocomplete and a personalised learning-to-rank re-ranker."""

from shopcase.search.autocomplete import Autocomplete
from shopcase.search.evaluation import RankerComparison, compare_rankers, position_table, query_summary, show_searches
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
    "RankerComparison",
    "Reranker",
    "SearchIndex",
    "SearchLog",
    "SearchMetrics",
    "UserHistory",
    "compare",
    "compare_rankers",
    "estimate_propensities",
    "per_query_metrics",
    "position_table",
    "query_summary",
    "search_metrics",
    "simulate_clicks",
    "show_searches",
    "simulate_search_log",
    "user_clusters",
]

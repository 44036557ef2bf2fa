"""Search and discovery: lexical product search, autocomplete and a personalised learning-to-rank re-ranker."""

from shopcase.search.index import ParsedQuery, SearchIndex

__all__ = ["ParsedQuery", "SearchIndex"]

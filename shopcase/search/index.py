"""Lexical product search: BM25 over title, category and brand, tolerant of typos, with filters and a fallback.

BM25 (Lucene's variant, as ``bm25s`` computes it) for query term ``t`` and item ``d``::

    idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
    w(t, d) = idf(t) * tf(t, d) / (tf(t, d) + k1 * (1 - b + b * |d| / avg |d|))
    score(q, d) = sum over the distinct terms t of q of weight(t) * w(t, d)

Every ``w(t, d)`` is computed once at fit and stored as a sparse ``items x terms`` matrix (CSC), so a
query costs one slice of postings per term and a ``bincount``: well under a millisecond at 20,000
items. We wrote the scorer on scipy sparse matrices rather than calling ``bm25s`` because search needs
what ``bm25s`` lacks (typo expansion with a weight per term, filters, a deterministic tie-break and a
fallback); tests check its scores against ``bm25s`` to 1e-9 and the benchmark times both.

A query word the catalogue never uses is corrected: first to the catalogue words it starts ("headph" ->
"headphones", a partial word, at least ``min_prefix`` characters), else to the words within a small
edit distance (Damerau-Levenshtein via ``rapidfuzz``: 1 edit for words of 4-7 characters, 2 from 8 on).
Corrected terms count ``correction_weight`` times an exact one, so exact matches rank first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.schema import BRAND, CATEGORY, ITEM_ID, MATCH, PRICE, QUERY, QUERY_ID, RANK, SCORE, TITLE, K
from shopcase.search.text import MAX_QUERY_CHARS, check_query, tokenise
from shopcase.validate import (
    as_id_index,
    check_array,
    check_bool,
    check_id_kinds_match,
    check_int,
    check_number,
    validate_frame,
)

EXACT, CORRECTED, FALLBACK = "exact", "corrected", "fallback"
"""How a result page was found (the ``match`` column): every query word known, some words corrected,
or nothing matched and the page shows popular items instead."""

FILTER_KEYS: tuple[str, ...] = ("category", "brand", "min_price", "max_price")
"""The filters ``search`` accepts: category and brand (a name or a list of names), a price range."""

INDEX_COLUMNS: dict[str, str] = {ITEM_ID: "id", TITLE: "text", CATEGORY: "category", BRAND: "category", PRICE: "number"}
"""The catalogue columns the index reads."""

_MAX_EXPANSIONS = 10  # a partial word expands to at most this many catalogue words (the most frequent)
_CACHE_SIZE = 100_000  # corrected words remembered (a shop's queries repeat the same misspellings)


@dataclass(frozen=True)
class ParsedQuery:
    """What the index made of a query.

    ``terms`` are the catalogue words searched with their weights (1 for a word typed exactly,
    ``correction_weight`` for a correction); ``corrections`` maps each corrected word to what it became;
    ``unmatched`` lists the words that match nothing, even corrected.
    """

    query: str
    terms: tuple[tuple[str, float], ...]
    corrections: tuple[tuple[str, tuple[str, ...]], ...]
    unmatched: tuple[str, ...]

    @property
    def match(self) -> str:
        """``exact``, ``corrected`` or ``fallback`` (no term at all)."""
        if not self.terms:
            return FALLBACK
        return CORRECTED if self.corrections else EXACT

    def __str__(self) -> str:
        fixed = ", ".join(f"{word} -> {'/'.join(to)}" for word, to in self.corrections) or "none"
        unmatched = ", ".join(self.unmatched) or "none"
        searched = " ".join(term for term, _ in self.terms) or "(nothing)"
        return f"{self.query!r}: searched {searched}; corrected {fixed}; unmatched {unmatched}"


def _empty_page(id_dtype: object, with_query: bool = False) -> pd.DataFrame:
    columns = {ITEM_ID: pd.Series([], dtype=id_dtype), SCORE: pd.Series([], dtype=np.float64)}
    columns[RANK] = pd.Series([], dtype=np.int64)
    columns[MATCH] = pd.Series([], dtype=object)
    frame = pd.DataFrame(columns)
    if with_query:
        frame.insert(0, QUERY_ID, pd.Series([], dtype=np.int64))
    return frame


class SearchIndex(BaseEstimator):
    """BM25 product search over a catalogue's title, category and brand.

    Parameters
    ----------
    k1 : float, default 1.5
        Term-frequency saturation (> 0).
    b : float, default 0.75
        Length normalisation in [0, 1]: 0 ignores a title's length, 1 divides it out fully.
    typo_tolerance : bool, default True
        Correct unknown query words to catalogue words (partial words, then edit distance).
    max_edits : int, default 2
        Most edits a correction may make (words of 4-7 characters get at most 1).
    min_prefix : int, default 3
        Shortest partial word that is completed to the catalogue words it starts.
    correction_weight : float, default 0.8
        Weight of a corrected term relative to an exact one, in (0, 1].
    fallback : bool, default True
        When nothing matches, return the most popular items (within the filters), flagged
        ``match == "fallback"``; with ``False`` such a query returns an empty page.
    max_query_chars : int, default 200
        Longer queries are rejected with ``ValueError``.

    Attributes
    ----------
    item_ids_ : ndarray of shape (n_items,)
        Catalogue ids in catalogue order (row ``i`` of every array).
    vocabulary_ : dict
        Catalogue word -> column of ``weights_``.
    weights_ : scipy.sparse.csc_matrix of shape (n_items, n_terms)
        BM25 weight ``w(t, d)`` of every term in every item (0 where absent).
    categories_, brands_ : list of str
        The values the ``category`` and ``brand`` filters accept.
    popularity_ : ndarray of shape (n_items,)
        The popularity used to break score ties and to rank the fallback (0 without one).
    """

    def __init__(
        self,
        k1: float = 1.5,
        b: float = 0.75,
        typo_tolerance: bool = True,
        max_edits: int = 2,
        min_prefix: int = 3,
        correction_weight: float = 0.8,
        fallback: bool = True,
        max_query_chars: int = MAX_QUERY_CHARS,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.typo_tolerance = typo_tolerance
        self.max_edits = max_edits
        self.min_prefix = min_prefix
        self.correction_weight = correction_weight
        self.fallback = fallback
        self.max_query_chars = max_query_chars

    # --- fitting -----------------------------------------------------------------------------

    def _validate_params(self) -> None:
        check_number(self.k1, "k1", low=0.0, low_inclusive=False)
        check_number(self.b, "b", low=0.0, high=1.0)
        check_bool(self.typo_tolerance, "typo_tolerance")
        check_int(self.max_edits, "max_edits", low=0)
        check_int(self.min_prefix, "min_prefix", low=1)
        check_number(self.correction_weight, "correction_weight", low=0.0, high=1.0, low_inclusive=False)
        check_bool(self.fallback, "fallback")
        check_int(self.max_query_chars, "max_query_chars", low=1)

    def fit(self, catalogue: pd.DataFrame, popularity: pd.Series | None = None) -> Self:
        """Index ``catalogue`` (``item_id, title, category, brand, price``; one row per item).

        Parameters
        ----------
        catalogue : DataFrame
            The items to search; each item's text is its title, category and brand.
        popularity : Series, optional
            Popularity per item id (e.g. views before the index is built), >= 0. It breaks ties
            between equal BM25 scores (more popular first, then lower item id) and ranks the
            fallback page. Items it does not list count 0; ids not in the catalogue raise.

        Returns
        -------
        self
        """
        self._validate_params()
        frame = validate_frame(catalogue, INDEX_COLUMNS, "catalogue", key=[ITEM_ID])
        item_ids = frame[ITEM_ID].to_numpy()
        n_items = len(frame)
        pop = np.zeros(n_items)
        if popularity is not None:
            if not isinstance(popularity, pd.Series):
                raise ValueError("popularity must be a pandas Series indexed by item_id")
            values = check_array(popularity.to_numpy(), "popularity", low=0.0, allow_empty=True)
            check_id_kinds_match(popularity.index, frame[ITEM_ID], "popularity's index vs catalogue item_id")
            rows = pd.Index(item_ids).get_indexer(popularity.index)
            if (rows < 0).any():
                raise ValueError(f"popularity lists {int((rows < 0).sum())} item ids that are not in the catalogue")
            pop[rows] = values

        texts = (frame[TITLE].astype(str) + " " + frame[CATEGORY].astype(str) + " " + frame[BRAND].astype(str)).tolist()
        docs = [tokenise(text) for text in texts]
        vocabulary: dict[str, int] = {}
        rows_, cols_ = [], []
        for row, tokens in enumerate(docs):  # a loop per item at fit only; queries never loop over items
            for token in tokens:
                rows_.append(row)
                cols_.append(vocabulary.setdefault(token, len(vocabulary)))
        tf = sp.csr_matrix(
            (np.ones(len(rows_)), (np.asarray(rows_, dtype=np.int64), np.asarray(cols_, dtype=np.int64))),
            shape=(n_items, len(vocabulary)),
        )
        tf.sum_duplicates()
        length = np.array([len(tokens) for tokens in docs], dtype=np.float64)
        df = np.bincount(tf.indices, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log(1.0 + (n_items - df + 0.5) / (df + 0.5))
        norm = self.k1 * (1.0 - self.b + self.b * length / length.mean())
        tf_rows = np.repeat(np.arange(n_items), np.diff(tf.indptr))
        weights = idf[tf.indices] * tf.data / (tf.data + norm[tf_rows])
        self.weights_ = sp.csr_matrix((weights, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        self.vocabulary_ = vocabulary
        self.terms_ = sorted(vocabulary)  # sorted: partial words are a bisect away
        self.document_frequency_ = df
        self.item_ids_ = item_ids
        self.item_index_ = pd.Index(item_ids)
        self.category_codes_, categories = pd.factorize(frame[CATEGORY].astype(str), sort=True)
        self.brand_codes_, brands = pd.factorize(frame[BRAND].astype(str), sort=True)
        self.categories_, self.brands_ = list(categories), list(brands)
        self.price_ = frame[PRICE].to_numpy(dtype=np.float64)
        self.popularity_ = pop
        # Tie-break order: more popular first, then catalogue id order (lower row first).
        order = np.lexsort((np.arange(n_items), -pop))
        self.tiebreak_ = np.empty(n_items, dtype=np.int64)
        self.tiebreak_[order] = np.arange(n_items)
        self._corrections: dict[str, tuple[str, ...]] = {}
        return self

    @property
    def n_items_(self) -> int:
        return len(self.item_ids_)

    # --- parsing ----------------------------------------------------------------------------

    def _edit_budget(self, word: str) -> int:
        if len(word) < 4:
            return 0
        return min(self.max_edits, 1 if len(word) < 8 else 2)

    def _correct(self, word: str) -> tuple[str, ...]:
        """The catalogue words an unknown ``word`` stands for (may be empty)."""
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        found: tuple[str, ...] = ()
        if len(word) >= self.min_prefix:
            start = bisect_left(self.terms_, word)
            stop = start
            while stop < len(self.terms_) and self.terms_[stop].startswith(word):
                stop += 1
            if stop > start:
                words = self.terms_[start:stop]
                # the most frequent completions first, at most _MAX_EXPANSIONS of them
                words.sort(key=lambda w: (-self.document_frequency_[self.vocabulary_[w]], w))
                found = tuple(words[:_MAX_EXPANSIONS])
        budget = self._edit_budget(word)
        if not found and budget:
            hits = process.extract(
                word, self.terms_, scorer=DamerauLevenshtein.distance, score_cutoff=budget, limit=None
            )
            if hits:
                best = min(distance for _, distance, _ in hits)
                found = tuple(sorted(term for term, distance, _ in hits if distance == best))
        if len(self._corrections) < _CACHE_SIZE:
            self._corrections[word] = found
        return found

    def parse(self, query: str) -> ParsedQuery:
        """What ``query`` searches for: its terms with weights, the corrections made, the unmatched words.

        Raises ``ValueError`` for a non-string, blank or over-long query.
        """
        check_is_fitted(self, "weights_")
        return self._parse(query)

    def _parse(self, query: str) -> ParsedQuery:
        check_query(query, "query", self.max_query_chars)
        terms: dict[str, float] = {}
        corrections: list[tuple[str, tuple[str, ...]]] = []
        unmatched: list[str] = []
        for word in dict.fromkeys(tokenise(query)):  # distinct words, in order
            if word in self.vocabulary_:
                terms[word] = 1.0
                continue
            found = self._correct(word) if self.typo_tolerance else ()
            if found:
                corrections.append((word, found))
                for term in found:
                    terms[term] = max(terms.get(term, 0.0), self.correction_weight)
            else:
                unmatched.append(word)
        return ParsedQuery(query, tuple(terms.items()), tuple(corrections), tuple(unmatched))

    # --- scoring ----------------------------------------------------------------------------

    def _scores(self, parsed: ParsedQuery) -> np.ndarray:
        """BM25 score of every item (0 where no term matches), shape (n_items,)."""
        if not parsed.terms:
            return np.zeros(self.n_items_)
        w = self.weights_
        cols = np.fromiter((self.vocabulary_[t] for t, _ in parsed.terms), dtype=np.int64)
        term_weight = np.fromiter((wt for _, wt in parsed.terms), dtype=np.float64)
        starts, stops = w.indptr[cols], w.indptr[cols + 1]
        rows = np.concatenate([w.indices[a:z] for a, z in zip(starts, stops, strict=True)])
        values = np.concatenate([w.data[a:z] * tw for a, z, tw in zip(starts, stops, term_weight, strict=True)])
        return np.bincount(rows, weights=values, minlength=self.n_items_)

    def _filter_mask(self, filters: Mapping[str, object] | None) -> np.ndarray | None:
        if filters is None:
            return None
        if not isinstance(filters, Mapping):
            raise ValueError(f"filters must be a dict with keys among {FILTER_KEYS}, got {type(filters).__name__}")
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if unknown:
            raise ValueError(f"filters: unknown key(s) {unknown}; use {list(FILTER_KEYS)}")
        mask = np.ones(self.n_items_, dtype=bool)
        for key, codes, known in (
            ("category", self.category_codes_, self.categories_),
            ("brand", self.brand_codes_, self.brands_),
        ):
            if filters.get(key) is None:
                continue
            wanted = filters[key]
            names = [wanted] if isinstance(wanted, str) else list(wanted)  # type: ignore[call-overload]
            bad = [name for name in names if name not in known]
            if bad or not names:
                raise ValueError(f"filters[{key!r}]: {bad or 'an empty list'} not among the catalogue's {key} values")
            mask &= np.isin(codes, [known.index(name) for name in names])
        low = filters.get("min_price")
        high = filters.get("max_price")
        if low is not None:
            mask &= self.price_ >= check_number(low, "filters['min_price']", low=0.0)
        if high is not None:
            mask &= self.price_ <= check_number(high, "filters['max_price']", low=0.0)
        if low is not None and high is not None and float(low) > float(high):  # type: ignore[arg-type]
            raise ValueError(f"filters: min_price ({low}) is above max_price ({high})")
        return mask

    def _top(self, scores: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
        """``rows`` ordered by score (desc), then the popularity tie-break; the first ``n``."""
        order = np.lexsort((self.tiebreak_[rows], -scores[rows]))
        return rows[order[:n]]

    def _search_rows(self, query: str, n: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, str]:
        """Rows, scores and match kind of the page for ``query`` (all checks done by the caller)."""
        parsed = self._parse(query)
        scores = self._scores(parsed)
        matched = scores > 0
        if matched.any():
            rows = np.flatnonzero(matched if mask is None else matched & mask)
            kind = parsed.match
        elif self.fallback:
            rows = np.arange(self.n_items_) if mask is None else np.flatnonzero(mask)
            kind = FALLBACK
        else:
            rows, kind = np.empty(0, dtype=np.int64), parsed.match
        top = self._top(scores, rows, n)
        return top, scores[top], kind

    def _check_n(self, n: object) -> int:
        return check_int(n, "n", low=1, high=self.n_items_)

    def search(self, query: str, n: int = K, filters: Mapping[str, object] | None = None) -> pd.DataFrame:
        """The top ``n`` items for ``query``.

        Parameters
        ----------
        query : str
            What the user typed (any Unicode; at most ``max_query_chars`` characters, not blank).
        n : int, default 10
            Page length, 1 .. number of items in the catalogue.
        filters : dict, optional
            ``category`` / ``brand`` (a name or a list of names), ``min_price`` / ``max_price``
            (currency units, inclusive).

        Returns
        -------
        DataFrame
            ``item_id, score, rank, match``: at most ``n`` rows, best first (``rank`` 1..), BM25
            ``score`` (0 on a fallback page). Empty when the filters exclude every matching item, or
            when nothing matches and ``fallback`` is off.

        Raises
        ------
        ValueError
            Blank, non-string or over-long query; ``n`` outside 1..n_items; unknown filter keys,
            categories or brands; negative prices or ``min_price > max_price``.
        """
        check_is_fitted(self, "weights_")
        n = self._check_n(n)
        mask = self._filter_mask(filters)
        rows, scores, kind = self._search_rows(query, n, mask)
        if len(rows) == 0:
            return _empty_page(self.item_ids_.dtype)
        return pd.DataFrame(
            {
                ITEM_ID: self.item_ids_[rows],
                SCORE: scores,
                RANK: np.arange(1, len(rows) + 1, dtype=np.int64),
                MATCH: kind,
            }
        )

    def score_items(self, query: str, item_ids: object) -> np.ndarray:
        """BM25 score of ``query`` (corrections included) for each of ``item_ids``; 0 where nothing matches."""
        check_is_fitted(self, "weights_")
        rows = self.item_rows(item_ids)
        return self._scores(self._parse(query))[rows]

    def item_rows(self, item_ids: object, name: str = "item_ids") -> np.ndarray:
        """Row of each catalogue id (repeats allowed); ``ValueError`` for ids not in the catalogue."""
        ids = pd.Index(np.atleast_1d(np.asarray(item_ids)) if not isinstance(item_ids, pd.Index) else item_ids)
        if ids.hasnans:
            raise ValueError(f"{name} contains missing ids")
        check_id_kinds_match(ids, self.item_index_, f"{name} vs the catalogue's item_id")
        rows = self.item_index_.get_indexer(ids)
        if (rows < 0).any():
            raise ValueError(f"{name}: {int((rows < 0).sum())} ids are not in the catalogue")
        return rows

    def rank_queries(
        self, queries: pd.DataFrame, n: int = K, filters: Mapping[str, object] | None = None
    ) -> pd.DataFrame:
        """``search`` for every row of ``queries`` (``query_id, query``): one page per query.

        Each distinct query text is searched once. Returns ``query_id, item_id, score, rank, match``,
        queries in the given order. ``query_id`` values must be unique.
        """
        check_is_fitted(self, "weights_")
        n = self._check_n(n)
        as_id_index(queries[QUERY_ID], "queries.query_id")
        mask = self._filter_mask(filters)
        texts = queries[QUERY].tolist()
        pages = {text: self._search_rows(text, n, mask) for text in dict.fromkeys(texts)}
        lengths = np.array([len(pages[t][0]) for t in texts], dtype=np.int64)
        if lengths.sum() == 0:
            return _empty_page(self.item_ids_.dtype, with_query=True)
        rows = np.concatenate([pages[t][0] for t in texts])
        return pd.DataFrame(
            {
                QUERY_ID: np.repeat(queries[QUERY_ID].to_numpy(), lengths),
                ITEM_ID: self.item_ids_[rows],
                SCORE: np.concatenate([pages[t][1] for t in texts]),
                RANK: np.concatenate([np.arange(1, m + 1) for m in lengths]).astype(np.int64),
                MATCH: np.repeat(np.array([pages[t][2] for t in texts], dtype=object), lengths),
            }
        )

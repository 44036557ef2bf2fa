"""Autocomplete: prefix completions from the catalogue's phrases and past searches, popular first, personal.

Completions are phrases: every category and brand name, every title without its leading brand ("wireless
headphones"), the last one and two words of every title (what a product *is*: "headphones"), and every
past search typed at least ``min_searches`` times that found something as typed (``match == "exact"``
when the log says: a misspelling or a search that only got the fallback page is not worth suggesting).
A phrase completes a prefix typed from its start or from the start of any of its words ("head" ->
"wireless headphones").

Ranking: ``popularity = searches + catalogue_weight x items`` (how often people asked for the phrase,
plus how much of the catalogue it names). For a known user with history the popularity is multiplied by
``boost ** personal_weight`` where ``boost = n_categories x sum_c share(phrase, c) x taste(user, c)``:
the user's category shares (``UserHistory``) weighted by the categories of the items the phrase names,
so 1 for a user whose taste is uniform or a phrase that names no item. Ties go to the shorter, then
alphabetically first, phrase.

Lookups bisect a sorted key list and rank the matching phrases with numpy: microseconds, no loop over
the catalogue.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.schema import BRAND, CATEGORY, ITEM_ID, MATCH, QUERY, TITLE
from shopcase.search.features import UserHistory
from shopcase.search.index import EXACT
from shopcase.search.text import MAX_QUERY_CHARS, check_query, normalise, tokenise
from shopcase.validate import check_int, check_number, require_columns, validate_frame

_END = "\U0010ffff"  # sorts after every character: [prefix, prefix + _END) holds every key starting with prefix


def _clean(text: str) -> str:
    return " ".join(normalise(text).split())


class Autocomplete(BaseEstimator):
    """Prefix completions for a search box.

    Parameters
    ----------
    min_searches : int, default 2
        Past searches typed fewer times than this are not suggested (one-off typos, private text).
    catalogue_weight : float, default 0.1
        Popularity a phrase earns per catalogue item it names (searches count 1 each).
    personal_weight : float, default 1.0
        Exponent of the user's taste boost; 0 turns personalisation off.

    Attributes
    ----------
    phrases_ : ndarray of str
        Every completion.
    popularity_ : ndarray of float
        Their popularity.
    phrase_categories_ : ndarray of shape (n_phrases, n_categories)
        Share of each phrase's items per category (rows of zeros for phrases that name no item).
    categories_ : list of str
    history_ : UserHistory or None
    """

    def __init__(self, min_searches: int = 2, catalogue_weight: float = 0.1, personal_weight: float = 1.0) -> None:
        self.min_searches = min_searches
        self.catalogue_weight = catalogue_weight
        self.personal_weight = personal_weight

    def fit(
        self, catalogue: pd.DataFrame, queries: pd.DataFrame | None = None, history: UserHistory | None = None
    ) -> Self:
        """Collect the phrases of ``catalogue`` (``item_id, title, category, brand``) and past ``queries``.

        Parameters
        ----------
        catalogue : DataFrame
        queries : DataFrame, optional
            Past searches, one row each: ``query`` (and ``match``: only ``"exact"`` searches are kept).
            Use searches from before the time the completions serve.
        history : UserHistory, optional
            Users' category tastes for personal ranking; ``complete(user_id=...)`` needs it.

        Returns
        -------
        self
        """
        check_int(self.min_searches, "min_searches", low=1)
        check_number(self.catalogue_weight, "catalogue_weight", low=0.0)
        check_number(self.personal_weight, "personal_weight", low=0.0)
        items = validate_frame(
            catalogue, {ITEM_ID: "id", TITLE: "text", CATEGORY: "category", BRAND: "category"}, "catalogue"
        )
        if history is not None and not isinstance(history, UserHistory):
            raise ValueError("history must be a UserHistory")

        titles = [_clean(t) for t in items[TITLE].astype(str)]
        brands = [_clean(b) for b in items[BRAND].astype(str)]
        category_names = [_clean(c) for c in items[CATEGORY].astype(str)]
        catalogue_phrases: dict[str, int] = {}
        for title, brand, category in zip(titles, brands, category_names, strict=True):
            product = title[len(brand) + 1 :] if title.startswith(f"{brand} ") else title
            words = product.split()
            for phrase in {product, category, brand, *(" ".join(words[-m:]) for m in (1, 2) if len(words) >= m)}:
                if phrase:
                    catalogue_phrases[phrase] = catalogue_phrases.get(phrase, 0) + 1
        searches: dict[str, int] = {}
        if queries is not None:
            require_columns(queries, [QUERY], "queries")
            # only searches that found something as typed: no misspellings, nothing the shop lacks
            kept = queries if MATCH not in queries.columns else queries[queries[MATCH] == EXACT]
            counts = pd.Series([_clean(q) for q in kept[QUERY].astype(str)]).value_counts()
            searches = {q: int(c) for q, c in counts.items() if c >= self.min_searches and q}

        phrases = sorted(set(catalogue_phrases) | set(searches))
        popularity = np.array(
            [searches.get(p, 0) + self.catalogue_weight * catalogue_phrases.get(p, 0) for p in phrases]
        )
        self.categories_ = sorted(set(category_names))
        self.phrase_categories_ = self._phrase_categories(phrases, titles, brands, category_names)
        keys: list[tuple[str, int]] = []
        for number, phrase in enumerate(phrases):
            keys.append((phrase, number))
            keys.extend((phrase[i + 1 :], number) for i, ch in enumerate(phrase) if ch == " ")
        keys.sort()
        self._keys = [k for k, _ in keys]
        self._key_phrase = np.array([n for _, n in keys], dtype=np.int64)
        self.phrases_ = np.array(phrases, dtype=object)
        self.popularity_ = popularity
        # the order of equally scored phrases: shorter first, then alphabetical
        tiebreak = np.lexsort((np.arange(len(phrases)), np.array([len(p) for p in phrases])))
        self._tiebreak = np.empty(len(phrases), dtype=np.int64)
        self._tiebreak[tiebreak] = np.arange(len(phrases))
        self.history_ = history
        self._taste = None
        if history is not None:
            # the history's category columns, reordered to ours (categories it lacks count 0)
            known = history.index.categories_
            columns = np.array([known.index(c) if c in known else -1 for c in self.categories_], dtype=np.int64)
            taste = np.where(columns >= 0, history.category_share[:, np.maximum(columns, 0)], 0.0)
            self._taste = np.nan_to_num(taste) * len(self.categories_)
        return self

    def _phrase_categories(
        self, phrases: list[str], titles: list[str], brands: list[str], categories: list[str]
    ) -> np.ndarray:
        """Share of the items per category among those whose text holds every word of the phrase."""
        vocabulary: dict[str, int] = {}

        def bag(texts: list[str], grow: bool) -> tuple[sp.csr_matrix, np.ndarray]:
            """Binary text x word matrix; with ``grow`` False, words not seen before mark the row unknown."""
            rows, cols, unknown = [], [], np.zeros(len(texts), dtype=bool)
            for r, text in enumerate(texts):
                for token in set(tokenise(text)):
                    col = vocabulary.setdefault(token, len(vocabulary)) if grow else vocabulary.get(token)
                    if col is None:
                        unknown[r] = True
                    else:
                        rows.append(r)
                        cols.append(col)
            return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocabulary))), unknown

        items, _ = bag([f"{t} {b} {c}" for t, b, c in zip(titles, brands, categories, strict=True)], grow=True)
        asked, unknown = bag(phrases, grow=False)
        n_words = np.asarray(asked.sum(axis=1)).ravel()
        # contains[p, i] = number of the phrase's words item i has; keep the items that have all of them
        contains = (asked @ items.T).tocoo()
        keep = (contains.data >= n_words[contains.row]) & ~unknown[contains.row]
        contains = sp.csr_matrix(
            (np.ones(int(keep.sum())), (contains.row[keep], contains.col[keep])), shape=(len(phrases), len(titles))
        )
        codes = pd.Categorical(categories, categories=self.categories_).codes
        item_category = sp.csr_matrix(
            (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(self.categories_))
        )
        counts = np.asarray((contains @ item_category).todense())
        totals = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            return np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)

    def complete(self, prefix: str, n: int = 5, user_id: object = None) -> list[str]:
        """Up to ``n`` completions of ``prefix``, best first.

        Parameters
        ----------
        prefix : str
            What the user has typed so far (case and accents ignored; not blank, at most 200 characters).
        n : int
            How many completions, 1 .. number of phrases.
        user_id : optional
            A user known to the fitted ``history``: completions in their favourite categories rise.
            ``None`` is an anonymous visitor; an unknown id raises ``ValueError``.

        Returns
        -------
        list of str
            Empty when nothing starts with the prefix.
        """
        if not hasattr(self, "phrases_"):
            check_is_fitted(self, "phrases_")
        check_query(prefix, "prefix", MAX_QUERY_CHARS)
        n = check_int(n, "n", low=1, high=len(self.phrases_))
        taste = None
        if user_id is not None:
            if self.history_ is None:
                raise ValueError("user_id given but the autocomplete was fitted without a history")
            row = self.history_.user_row(user_id)
            taste = self._taste[row] if self.history_.total[row] > 0 else None
        key = " ".join(normalise(prefix).split()) + (" " if prefix[-1:].isspace() and prefix.strip() else "")
        lo, hi = bisect_left(self._keys, key), bisect_right(self._keys, key + _END)
        if lo == hi:
            return []
        phrases = np.unique(self._key_phrase[lo:hi])
        score = self.popularity_[phrases]
        if taste is not None and self.personal_weight > 0:
            boost = self.phrase_categories_[phrases] @ taste
            boost = np.where(self.phrase_categories_[phrases].sum(axis=1) > 0, boost, 1.0)
            score = score * np.maximum(boost, 1e-6) ** self.personal_weight
        order = np.lexsort((self._tiebreak[phrases], -score))[:n]
        return self.phrases_[phrases[order]].tolist()

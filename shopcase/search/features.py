"""What a shop knows about a user and an item before a search: the re-ranker's features.

``UserHistory`` is built from the event log strictly before ``as_of`` (never later events) and
turns (user, query, item) triples into the feature columns ``FEATURES``:

* ``bm25``: the item's BM25 score for the query; ``bm25_share``: that score over the query's best.
* ``collaborative``: ``sum_j h(u, j) S(j, i)``, ``shopcase.recommend.ItemKNN``'s score: ``S`` its
  learned ``similarity_`` (``neighbours`` per item) and ``h`` the user's history, L1-normalised.
* ``content``: cosine between the item's TF-IDF text vector (title, category, brand) and the
  user's profile (their history's vectors, weighted by interaction strength).
* ``popularity``: log(1 + views) of the item; ``conversion``: (purchases + 1) / (views + 20).
* ``price_ratio``: log(price / median price of its category); ``price_fit``: that minus the user's
  mean over their history (how far the item is from the price level the user shops at).
* ``category_affinity`` / ``brand_affinity``: the share of the user's history strength in the item's
  category / brand.
* ``history``: log(1 + the user's history strength).

Personal features are NaN for a user with no history (LightGBM learns where missing values go).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from shopcase.data.interactions import interactions_from_events
from shopcase.recommend import ItemKNN
from shopcase.schema import (
    EVENT_TYPE,
    ITEM_ID,
    PURCHASE,
    RATING,
    TIMESTAMP,
    USER_ID,
    VIEW,
)
from shopcase.search.index import SearchIndex
from shopcase.search.text import tokenise
from shopcase.validate import (
    as_timestamp,
    check_id_kinds_match,
    check_int,
    check_no_missing,
    datetime_column,
    require_columns,
)

FEATURES: tuple[str, ...] = (
    "bm25",
    "bm25_share",
    "collaborative",
    "content",
    "popularity",
    "conversion",
    "price_ratio",
    "price_fit",
    "category_affinity",
    "brand_affinity",
    "history",
)
"""The re-ranker's feature columns, in order."""

_CHUNK_CELLS = 4_000_000  # dense user x item cells per chunk of users (32 MB of float64)
_PAIRWISE_MAX = 5_000  # up to this many pairs, sparse row products beat dense user x item blocks


@dataclass
class UserHistory:
    """Per-user and per-item statistics of the event log before ``as_of``, aligned with ``index``'s items.

    Build it with ``UserHistory.build``. ``users`` are every user the system may be asked about
    (those without history get NaN personal features); others are unknown (``ValueError``).
    """

    as_of: pd.Timestamp
    users: pd.Index
    index: SearchIndex
    strength: sp.csr_matrix  # users x items, interaction strength before as_of
    profile: sp.csr_matrix  # users x text terms, L2-normalised content profile
    item_text: sp.csr_matrix  # items x text terms, L2-normalised TF-IDF
    similarity: sp.csr_matrix  # items x items, ItemKNN neighbours
    category_share: np.ndarray  # users x categories
    brand_share: np.ndarray  # users x brands
    user_price: np.ndarray  # users; mean price_ratio of the history (NaN without history)
    total: np.ndarray  # users; history strength
    item_price_ratio: np.ndarray
    item_popularity: np.ndarray
    item_conversion: np.ndarray

    @classmethod
    def build(
        cls,
        events: pd.DataFrame,
        index: SearchIndex,
        as_of: object,
        users: object = None,
        neighbours: int = 50,
    ) -> UserHistory:
        """Statistics of ``events`` strictly before ``as_of`` for the items of a fitted ``index``.

        ``users`` (ids; default: the users in ``events``) are the users that may be scored. Events of
        items not in the index's catalogue raise ``ValueError``.
        """
        cutoff = as_timestamp(as_of, "as_of")
        require_columns(events, [USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE], "events")
        check_no_missing(events, [USER_ID, ITEM_ID, EVENT_TYPE], "events")
        stamps = datetime_column(events, TIMESTAMP, "events")
        past = events[(stamps < cutoff).to_numpy()]
        known = pd.Index(pd.unique(events[USER_ID] if users is None else pd.Index(users)))
        if known.hasnans:
            raise ValueError("users contains missing ids")
        if len(past):
            check_id_kinds_match(past[USER_ID], known, "events' user_id vs users")
        unknown_users = ~past[USER_ID].isin(known)
        if unknown_users.any():
            raise ValueError(f"events: {int(unknown_users.sum())} events of users not in users")
        item_rows_all = index.item_rows(past[ITEM_ID].to_numpy(), "events' item_id") if len(past) else np.empty(0, int)
        n_users, n_items = len(known), index.n_items_

        interactions = interactions_from_events(past) if len(past) else None
        if interactions is not None:
            u = known.get_indexer(interactions[USER_ID])
            i = index.item_rows(interactions[ITEM_ID].to_numpy())
            strength = sp.csr_matrix((interactions[RATING].to_numpy(float), (u, i)), shape=(n_users, n_items))
        else:
            strength = sp.csr_matrix((n_users, n_items))
        total = np.asarray(strength.sum(axis=1)).ravel()

        catalogue_text = _item_texts(index)
        vectoriser = TfidfVectorizer(analyzer=tokenise, lowercase=False)
        item_text = normalize(vectoriser.fit_transform(catalogue_text)).tocsr()
        profile = normalize(strength @ item_text).tocsr()

        category = sp.csr_matrix(
            (np.ones(n_items), (np.arange(n_items), index.category_codes_)), shape=(n_items, len(index.categories_))
        )
        brand = sp.csr_matrix(
            (np.ones(n_items), (np.arange(n_items), index.brand_codes_)), shape=(n_items, len(index.brands_))
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            category_share = np.asarray((strength @ category).todense()) / total[:, None]
            brand_share = np.asarray((strength @ brand).todense()) / total[:, None]

        medians = pd.Series(index.price_).groupby(index.category_codes_).median()
        price_ratio = np.log(index.price_ / medians.reindex(index.category_codes_).to_numpy())
        with np.errstate(invalid="ignore", divide="ignore"):
            user_price = (strength @ price_ratio) / total

        kinds = past[EVENT_TYPE].astype(str).to_numpy()
        views = np.bincount(item_rows_all[kinds == VIEW], minlength=n_items).astype(float)
        buys = np.bincount(item_rows_all[kinds == PURCHASE], minlength=n_items).astype(float)

        similarity = sp.csr_matrix((n_items, n_items))
        if interactions is not None and interactions[ITEM_ID].nunique() > 1:
            # ItemKNN's own scoring matrix (its learned similarity_, k neighbours per item), re-indexed to ours
            knn = ItemKNN(k_neighbors=neighbours).fit(interactions)
            rows = index.item_rows(knn.item_ids_)
            kept = knn.similarity_.tocoo()
            similarity = sp.csr_matrix((kept.data, (rows[kept.row], rows[kept.col])), shape=(n_items, n_items))
        return cls(
            as_of=cutoff,
            users=known,
            index=index,
            strength=normalize(strength, norm="l1").tocsr(),
            profile=profile,
            item_text=item_text,
            similarity=similarity,
            category_share=category_share,
            brand_share=brand_share,
            user_price=user_price,
            total=total,
            item_price_ratio=price_ratio,
            item_popularity=np.log1p(views),
            item_conversion=(buys + 1.0) / (views + 20.0),
        )

    def user_rows(self, user_ids: object, name: str = "user_id") -> np.ndarray:
        """Row of each user id (repeats allowed; ``None`` = anonymous -> -1); ``ValueError`` for unknown users."""
        ids = pd.Index(np.atleast_1d(np.asarray(user_ids, dtype=object)))
        anonymous = np.asarray(pd.isna(ids))
        rows = np.full(len(ids), -1, dtype=np.int64)
        if (~anonymous).any():
            given = ids[~anonymous]
            check_id_kinds_match(pd.Index(list(given)), self.users, f"{name} vs the users known")
            found = self.users.get_indexer(given)
            if (found < 0).any():
                missing = list(given[found < 0][:3])
                raise ValueError(f"{name}: {int((found < 0).sum())} unknown user id(s), e.g. {missing}")
            rows[~anonymous] = found
        return rows

    def fans(self, category: str, n: int = 1) -> list[object]:
        """The ``n`` users with the most history strength in ``category`` (ties: first in ``users``)."""
        if category not in self.index.categories_:
            raise ValueError(f"category {category!r} is not one of {self.index.categories_}")
        n = check_int(n, "n", low=1, high=len(self.users))
        strength = np.nan_to_num(self.category_share[:, self.index.categories_.index(category)]) * self.total
        return self.users[np.argsort(-strength, kind="stable")[:n]].tolist()

    def user_row(self, user_id: object, name: str = "user_id") -> int:
        """Row of one user id (a dict lookup, for serving); -1 for ``None`` (anonymous); unknown ids raise."""
        if user_id is None:
            return -1
        lookup = self.__dict__.get("_row_of")
        if lookup is None:
            lookup = self.__dict__["_row_of"] = dict(zip(self.users.tolist(), range(len(self.users)), strict=True))
        try:
            return lookup[user_id]
        except (KeyError, TypeError):
            kind = self.users.dtype
            raise ValueError(f"{name}: unknown user id {user_id!r} (known ids are {kind})") from None

    def features(
        self, user_rows: np.ndarray, item_rows: np.ndarray, bm25: np.ndarray, groups: np.ndarray
    ) -> np.ndarray:
        """The ``FEATURES`` matrix (float64, one row per triple) for aligned arrays.

        ``user_rows`` from ``user_rows`` (-1 anonymous), ``item_rows`` index rows, ``bm25`` scores,
        ``groups`` a query number per row (``bm25_share`` divides by the group's best score).
        """
        n = len(item_rows)
        out = np.full((n, len(FEATURES)), np.nan)
        out[:, 0] = bm25
        best = _group_max(np.asarray(bm25, dtype=np.float64), np.asarray(groups))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, 1] = np.where(best > 0, bm25 / best, 0.0)
        out[:, 4] = self.item_popularity[item_rows]
        out[:, 5] = self.item_conversion[item_rows]
        out[:, 6] = self.item_price_ratio[item_rows]
        personal = user_rows >= 0
        personal &= np.where(personal, self.total[np.maximum(user_rows, 0)] > 0, False)
        if personal.any():
            u, i = user_rows[personal], item_rows[personal]
            out[personal, 2], out[personal, 3] = self._pair_scores(u, i)
            out[personal, 7] = self.item_price_ratio[i] - self.user_price[u]
            out[personal, 8] = self.category_share[u, self.index.category_codes_[i]]
            out[personal, 9] = self.brand_share[u, self.index.brand_codes_[i]]
            out[personal, 10] = np.log1p(self.total[u])
        return out

    def _pair_scores(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Collaborative and content scores of (user, item) pairs.

        A few pairs (one request): row-wise products of the pairs' sparse rows. Many pairs (a batch):
        a chunk of distinct users at a time against every item, then gathered.
        """
        similarity_t = self.__dict__.get("_similarity_t")
        if similarity_t is None:
            similarity_t = self.__dict__["_similarity_t"] = self.similarity.T.tocsr()
        if len(users) and (users == users[0]).all():  # one request: one user's dense vectors
            u = int(users[0])
            history = self.strength[u].toarray().ravel()
            profile = self.profile[u].toarray().ravel()
            return similarity_t[items] @ history, self.item_text[items] @ profile
        if len(users) <= _PAIRWISE_MAX:
            collaborative = np.asarray(similarity_t[items].multiply(self.strength[users]).sum(axis=1)).ravel()
            content = np.asarray(self.item_text[items].multiply(self.profile[users]).sum(axis=1)).ravel()
            return collaborative, content
        unique, inverse = np.unique(users, return_inverse=True)
        collaborative, content = np.empty(len(users)), np.empty(len(users))
        step = max(1, _CHUNK_CELLS // max(self.index.n_items_, 1))
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(0, len(unique) + step, step))
        for c, start in enumerate(range(0, len(unique), step)):
            chunk = unique[start : start + step]
            rows = order[bounds[c] : bounds[c + 1]]
            local = inverse[rows] - start
            cf = (self.strength[chunk] @ self.similarity).toarray()
            ct = (self.profile[chunk] @ self.item_text.T).toarray()
            collaborative[rows] = cf[local, items[rows]]
            content[rows] = ct[local, items[rows]]
        return collaborative, content


def _item_texts(index: SearchIndex) -> list[str]:
    """Each indexed item's searchable text, rebuilt from the index (title words, category, brand)."""
    terms = np.array(sorted(index.vocabulary_, key=index.vocabulary_.get))
    weights = index.weights_.tocsr()
    return [" ".join(terms[weights.indices[a:z]]) for a, z in zip(weights.indptr[:-1], weights.indptr[1:], strict=True)]


def _group_max(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The maximum of ``values`` within each group, broadcast back to every row."""
    if len(values) == 0:
        return values.copy()
    order = np.argsort(groups, kind="stable")
    _, starts, inverse = np.unique(groups[order], return_index=True, return_inverse=True)
    best = np.empty_like(values)
    best[order] = np.maximum.reduceat(values[order], starts)[inverse]
    return best

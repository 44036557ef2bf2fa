"""implicit 0.7.3's models behind shopcase's ``fit`` / ``recommend`` interface, for side-by-side benchmarks.

``ImplicitPeer(name, **params)`` builds the same ``users x items`` matrix a shopcase
model builds (sorted unique ids, ``rating`` as the cell value, float32 as implicit
wants it, ``scipy.sparse.csr_matrix``), fits implicit's model on it and returns
``user_id, item_id, score, rank`` like ``BaseRecommender.recommend``:

* ``exclude_seen`` is passed to implicit as ``filter_already_liked_items``;
* implicit pads short lists with id ``-1`` and, for the nearest-neighbour models,
  can return items with a score of 0 ("no evidence"); padding and non-finite scores
  are dropped, and so are items with a score <= 0 for the nearest-neighbour models
  (as shopcase's neighbourhood models do). Ranks are the positions kept (1 = best);
* only users known at fit time can be asked for (the benchmarks only ask for them).

Nothing here changes what implicit computes: parameters go to implicit's constructors
unchanged (note implicit's nearest-neighbour ``K`` counts the item itself, so
``CosineRecommender(K=k + 1)`` keeps ``k`` other neighbours; the self-similarity adds a
user's own past items back to their scores when ``filter_already_liked_items=False``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

MODELS = {
    "cosine": CosineRecommender,
    "bm25": BM25Recommender,
    "als": AlternatingLeastSquares,
    "bpr": BayesianPersonalizedRanking,
}
NEIGHBOURHOOD = ("cosine", "bm25")
FACTOR_MODELS = ("als", "bpr")


class ImplicitPeer:
    """One implicit model, fitted on ``user_id, item_id, rating`` (one row per pair, rating > 0)."""

    def __init__(self, name: str, **params: object) -> None:
        if name not in MODELS:
            raise ValueError(f"unknown implicit model {name!r}; expected one of {list(MODELS)}")
        self.name = name
        self.params = params

    def get_params(self) -> dict[str, object]:
        return dict(self.params)

    def fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None = None) -> ImplicitPeer:
        self.user_index_ = pd.Index(np.sort(interactions["user_id"].unique()))
        self.item_index_ = pd.Index(np.sort(interactions["item_id"].unique()))
        rows = self.user_index_.get_indexer(interactions["user_id"])
        cols = self.item_index_.get_indexer(interactions["item_id"])
        self.user_items_ = sp.csr_matrix(
            (interactions["rating"].to_numpy(dtype=np.float32), (rows, cols)),
            shape=(len(self.user_index_), len(self.item_index_)),
        )
        params = dict(self.params)
        if self.name in FACTOR_MODELS:
            params.setdefault("num_threads", 1)
        self.model_ = MODELS[self.name](**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # implicit warns about converting its own matrices
            self.model_.fit(self.user_items_, show_progress=False)
        return self

    def recommend(self, user_ids: object, n: int = 10, exclude_seen: bool = True) -> pd.DataFrame:
        users = pd.Index(list(user_ids))
        rows = self.user_index_.get_indexer(users)
        if (rows < 0).any():
            raise ValueError(f"{int((rows < 0).sum())} user(s) unknown at fit time; the benchmarks ask for known ones")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ids, scores = self.model_.recommend(
                rows, self.user_items_[rows], N=n, filter_already_liked_items=exclude_seen
            )
        ids = np.asarray(ids, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        keep = (ids >= 0) & np.isfinite(scores)
        if self.name in NEIGHBOURHOOD:
            keep &= scores > 0
        user_pos = np.repeat(np.arange(len(users)), ids.shape[1]).reshape(ids.shape)
        rank = np.cumsum(keep, axis=1)
        return pd.DataFrame(
            {
                "user_id": users.take(user_pos[keep]),
                "item_id": self.item_index_.take(ids[keep]),
                "score": scores[keep],
                "rank": rank[keep].astype(np.int64),
            }
        )

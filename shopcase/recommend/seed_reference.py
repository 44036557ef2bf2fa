"""The reference design's ``EcommerceRecommender``, kept as the lesson, NOT for use.

A faithful copy of the course code (``seed_week16_ecommerce.md``): a dense
``pivot_table`` users x items, all-pairs ``cosine_similarity`` for users *and*
items (the item matrix is computed and never used), a Python loop per user and
per neighbour, popular items for new users, and alternating lists for
``method='hybrid'``. Memory grows with users^2 and time with users x
neighbours x items: it exists so a notebook and a benchmark can show what
scaling means next to ``UserKNN``. Use ``shopcase.recommend`` models instead.

Changes from the reference, and only these:

* ``method='hybrid'`` no longer crashes: content recommendations are computed
  (``_content_based`` exists now), from a dense item-feature matrix (one-hot
  category/brand + TF-IDF title) and a dense all-pairs item cosine. The content
  score of an item is ``sum over the user's items i of rating(i) * cos(i, item)``.
* ``method='content'``/``'hybrid'`` without ``item_features``, and an unknown
  ``method``, raise ``ValueError`` instead of returning ``None`` or crashing.
* No emoji banners: ``fit`` returns ``self`` and ``evaluate`` returns its dict.
* ``evaluate``'s coverage divides by every item the model can recommend (the
  content method can now return catalogue items absent from the pivot, which
  would push the reference's ratio above 1); ``evaluate`` takes ``method``.

Kept on purpose (they are the lesson): neighbours are the 20 users after the
first in a descending argsort of the dense similarity row, so users with zero
similarity can be "neighbours" and items they liked enter the list with score
0; ties follow ``np.argsort``/``sorted`` insertion order, not item id; and
``evaluate`` silently skips users absent from training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from shopcase.recommend.base import METHODS
from shopcase.schema import BRAND, CATEGORY, ITEM_ID, RATING, TITLE, USER_ID


class SeedRecommender:
    """Dense hybrid recommender of the reference design (the lesson, not for use)."""

    def __init__(self, min_interactions: int = 5) -> None:
        self.min_interactions = min_interactions  # unused, as in the reference
        self.user_item_matrix: pd.DataFrame | None = None
        self.item_features: pd.DataFrame | None = None
        self.user_similarity: np.ndarray | None = None
        self.item_similarity: np.ndarray | None = None
        self.content_similarity: pd.DataFrame | None = None

    def fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None = None) -> SeedRecommender:
        """Dense ``users x items`` pivot and all-pairs cosine similarities (users^2 and items^2 floats)."""
        self.user_item_matrix = interactions.pivot_table(index=USER_ID, columns=ITEM_ID, values=RATING, fill_value=0)
        self.user_similarity = cosine_similarity(self.user_item_matrix)
        self.item_similarity = cosine_similarity(self.user_item_matrix.T)
        if item_features is not None:
            self.item_features = item_features
            self.content_similarity = self._content_similarity(item_features)
        return self

    def _content_similarity(self, item_features: pd.DataFrame) -> pd.DataFrame:
        """Dense all-pairs cosine of one-hot category/brand + TF-IDF title (items x items)."""
        parts = [
            pd.get_dummies(item_features[c].astype(str), prefix=c, dtype=float)
            for c in (CATEGORY, BRAND)
            if c in item_features.columns
        ]
        if TITLE in item_features.columns:
            parts.append(pd.DataFrame(TfidfVectorizer().fit_transform(item_features[TITLE].astype(str)).toarray()))
        features = np.hstack([p.to_numpy(dtype=float) for p in parts])
        ids = item_features[ITEM_ID].to_numpy()
        return pd.DataFrame(cosine_similarity(features), index=ids, columns=ids)

    def recommend_for_user(self, user_id: object, n_recommendations: int = 5, method: str = "hybrid") -> list[object]:
        """List of item ids; ``method`` is 'collaborative', 'content' or 'hybrid'."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
        if user_id not in self.user_item_matrix.index:
            # New user - recommend popular items
            return self._recommend_popular(n_recommendations)
        if method in ("content", "hybrid") and self.content_similarity is None:
            raise ValueError(f"method={method!r} needs item_features at fit time")
        if method == "collaborative" or method == "hybrid":
            collab_recs = self._collaborative_filtering(user_id, n_recommendations)
        if method == "content" or method == "hybrid":
            content_recs = self._content_based(user_id, n_recommendations)
        if method == "hybrid":
            return self._combine_recommendations(collab_recs, content_recs, n_recommendations)
        if method == "collaborative":
            return collab_recs
        return content_recs

    def _collaborative_filtering(self, user_id: object, n: int) -> list[object]:
        """Recommend based on similar users (the reference's loops, unchanged)."""
        user_idx = self.user_item_matrix.index.get_loc(user_id)
        similar_users = self.user_similarity[user_idx]
        similar_user_indices = np.argsort(similar_users)[::-1][1:21]  # Top 20 similar users
        recommendations: dict[object, float] = {}
        row = self.user_item_matrix.loc[user_id]
        user_interactions = set(row[row > 0].index)
        for similar_idx in similar_user_indices:
            similar_user_id = self.user_item_matrix.index[similar_idx]
            similarity_score = similar_users[similar_idx]
            liked_items = self.user_item_matrix.loc[similar_user_id]
            liked_items = liked_items[liked_items > 0]
            for item_id, rating in liked_items.items():
                if item_id not in user_interactions:
                    if item_id not in recommendations:
                        recommendations[item_id] = 0
                    recommendations[item_id] += rating * similarity_score
        top_items = sorted(recommendations.items(), key=lambda x: x[1], reverse=True)[:n]
        return [item_id for item_id, score in top_items]

    def _content_based(self, user_id: object, n: int) -> list[object]:
        """The missing method: items most similar in content to what the user touched."""
        row = self.user_item_matrix.loc[user_id]
        liked = row[row > 0]
        liked = liked[liked.index.isin(self.content_similarity.index)]
        scores: dict[object, float] = {}
        for item_id, rating in liked.items():
            for other_id, similarity in self.content_similarity.loc[item_id].items():
                if other_id not in row.index or row[other_id] == 0:
                    scores[other_id] = scores.get(other_id, 0.0) + rating * similarity
        top_items = sorted(scores.items(), key=lambda x: x[1], reverse=True)[:n]
        return [item_id for item_id, score in top_items]

    def _recommend_popular(self, n: int) -> list[object]:
        """Recommend popular items for new users."""
        item_popularity = self.user_item_matrix.sum(axis=0)
        return item_popularity.nlargest(n).index.tolist()

    def _combine_recommendations(self, collab: list[object], content: list[object], n: int) -> list[object]:
        """Simple approach: alternate between sources (as in the reference)."""
        combined: list[object] = []
        for i in range(n):
            if i < len(collab) and collab[i] not in combined:
                combined.append(collab[i])
            if len(combined) >= n:
                break
            if i < len(content) and content[i] not in combined:
                combined.append(content[i])
            if len(combined) >= n:
                break
        return combined[:n]

    def _recommendable_items(self) -> set[object]:
        items = set(self.user_item_matrix.columns)
        if self.content_similarity is not None:
            items |= set(self.content_similarity.index)
        return items

    def evaluate(self, test_interactions: pd.DataFrame, n_recommendations: int = 5, method: str = "hybrid") -> dict:
        """Precision@K, recall@K, coverage as the reference computes them (skips unknown users: leaky)."""
        precisions, recalls = [], []
        recommended_items: set[object] = set()
        for user_id in test_interactions[USER_ID].unique():
            if user_id not in self.user_item_matrix.index:
                continue
            actual_items = set(test_interactions[test_interactions[USER_ID] == user_id][ITEM_ID])
            recs = self.recommend_for_user(user_id, n_recommendations, method=method)
            recommended_items.update(recs)
            hits = len(set(recs) & actual_items)
            precisions.append(hits / len(recs) if recs else 0)
            recalls.append(hits / len(actual_items) if actual_items else 0)
        return {
            "precision": float(np.mean(precisions)),
            "recall": float(np.mean(recalls)),
            "coverage": len(recommended_items) / len(self._recommendable_items()),
        }

"""Recommenders with one scikit-learn style interface, sparse and batched.

Every model subclasses ``BaseRecommender``: ``fit(interactions, item_features=None)``,
``recommend(user_ids, n=10, exclude_seen=True)`` -> ``user_id, item_id, score, rank``,
``similar_items(item_ids, n=10)`` -> ``item_id, similar_item_id, score, rank`` and the
reference API ``recommend_for_user(user_id, n_recommendations=5, method=...)``; every model
takes ``chunk_rows`` and ``n_jobs``. Models made of other models (``Hybrid``, ``RepeatAware``)
subclass ``CompositeRecommender``. ``SeedRecommender`` is the reference's dense design, kept
as the lesson only. The contract they all keep is in ``base``'s docstring.
"""

from shopcase.recommend.base import BaseRecommender
from shopcase.recommend.composite import CompositeRecommender
from shopcase.recommend.content import ContentBased
from shopcase.recommend.decay import TimeDecayed
from shopcase.recommend.ease import EASE
from shopcase.recommend.hybrid import Hybrid
from shopcase.recommend.item_knn import ItemKNN
from shopcase.recommend.popularity import Popularity
from shopcase.recommend.repeat import RepeatAware, RepeatPurchase
from shopcase.recommend.seed_reference import SeedRecommender
from shopcase.recommend.user_knn import UserKNN

__all__ = [
    "EASE",
    "BaseRecommender",
    "CompositeRecommender",
    "ContentBased",
    "Hybrid",
    "ItemKNN",
    "Popularity",
    "RepeatAware",
    "RepeatPurchase",
    "SeedRecommender",
    "TimeDecayed",
    "UserKNN",
]

"""Repeat purchases: 'buy again' from a customer's own history, and a blend that fills the rest of the list.

``RepeatPurchase`` ranks the items a user already bought (how often, how recently,
how often *anyone* rebuys the item, how much it sells right now); ``RepeatAware``
puts it in front of any collaborative model, so new items fill the list after the
likely repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopcase.data.interactions import age_in_days
from shopcase.recommend.base import BaseRecommender
from shopcase.recommend.composite import OPTIONAL_RECOMMENDER, CompositeRecommender
from shopcase.recommend.ease import EASE
from shopcase.schema import ITEM_ID, RATING, USER_ID
from shopcase.validate import Number, SequenceOf

RECENT_DAYS = Number(low=0, low_inclusive=False, optional=True)
"""A half-life in days (> 0), or None for no decay."""
EXPONENT = Number(low=0)


class RepeatPurchase(BaseRecommender):
    """'Buy again': a user's own items, ``score(u, i) = personal(u, i) * item(i)``.

    ``personal(u, i) = r(u, i) ** count_exponent * 0.5 ** (age(u, i) / recency_half_life_days)``:
    ``r`` is the interaction strength (e.g. the number of orders with the item) and
    ``age`` the days from the pair's ``timestamp`` (the *last* purchase) to the latest
    timestamp in the data (never today, so a refit on the same data ranks the same).
    Without a half-life the decay factor is 1.

    ``item(i) = repeat_rate(i) ** item_repeat_exponent * (recent(i) + 1) ** trend_exponent
    / (buyers(i) + 1) ** popularity_exponent``, where ``buyers(i)`` counts the users
    with the item, ``repeat_rate(i) = (users with r >= repeat_min_strength + 1) / (buyers(i) + 2)``
    (smoothed share of its buyers who bought it again, when ``r`` counts orders) and
    ``recent(i) = sum over its buyers of 0.5 ** (age / trend_half_life_days)`` (how much it
    sells lately). With the defaults (all exponents 0 but ``count_exponent=1``) the score
    is the plain strength. A ``timestamp`` column is needed when a half-life is used.

    Only items the user interacted with score above 0, so with ``exclude_seen=True`` a
    known user gets an empty list: this model can only *re*-recommend (the "next
    purchases" task). ``RepeatAware`` (or ``Hybrid``) adds new items. ``similar_items``
    has no meaning here: every similarity is 0 (no evidence), so it returns no rows.
    Unknown users get popularity, as in every model.

    Learned: ``affinity_`` (CSR ``n_users x n_items``, the scores), ``item_factor_`` (shape ``n_items``).
    """

    _kind = "history"
    _parameter_constraints = {
        "recency_half_life_days": RECENT_DAYS,
        "count_exponent": EXPONENT,
        "item_repeat_exponent": EXPONENT,
        "repeat_min_strength": Number(low=0),
        "trend_half_life_days": RECENT_DAYS,
        "trend_exponent": EXPONENT,
        "popularity_exponent": EXPONENT,
    }

    def __init__(
        self,
        recency_half_life_days: float | None = None,
        count_exponent: float = 1.0,
        item_repeat_exponent: float = 0.0,
        repeat_min_strength: float = 2.0,
        trend_half_life_days: float | None = None,
        trend_exponent: float = 0.0,
        popularity_exponent: float = 0.0,
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.recency_half_life_days = recency_half_life_days
        self.count_exponent = count_exponent
        self.item_repeat_exponent = item_repeat_exponent
        self.repeat_min_strength = repeat_min_strength
        self.trend_half_life_days = trend_half_life_days
        self.trend_exponent = trend_exponent
        self.popularity_exponent = popularity_exponent
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _check_param_combinations(self, params: dict[str, object]) -> None:
        if params["trend_exponent"] > 0 and params["trend_half_life_days"] is None:
            raise ValueError("trend_exponent > 0 needs trend_half_life_days (what counts as recent)")

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        exponent, repeat_exponent = float(self.count_exponent), float(self.item_repeat_exponent)  # checked
        min_strength, trend_exponent = float(self.repeat_min_strength), float(self.trend_exponent)
        popularity_exponent = float(self.popularity_exponent)

        rating = interactions[RATING].to_numpy(dtype=np.float64)
        cols = self.item_index_.get_indexer(interactions[ITEM_ID])
        rows = self.user_index_.get_indexer(interactions[USER_ID])
        needs_age = self.recency_half_life_days is not None or self.trend_half_life_days is not None
        age = age_in_days(interactions, "RepeatPurchase with a half-life") if needs_age else None

        personal = rating**exponent
        if self.recency_half_life_days is not None:
            personal = personal * 0.5 ** (age / float(self.recency_half_life_days))

        n_items = self.n_items_
        buyers = np.bincount(cols, minlength=n_items).astype(np.float64)
        factor = np.ones(n_items)
        if repeat_exponent > 0:
            repeaters = np.bincount(cols[rating >= min_strength], minlength=n_items)
            factor *= ((repeaters + 1.0) / (buyers + 2.0)) ** repeat_exponent
        if self.trend_half_life_days is not None:
            recent = np.bincount(cols, weights=0.5 ** (age / float(self.trend_half_life_days)), minlength=n_items)
            factor *= (recent + 1.0) ** trend_exponent
        factor /= (buyers + 1.0) ** popularity_exponent
        self.item_factor_ = factor
        self.affinity_ = sp.csr_matrix((personal * factor[cols], (rows, cols)), shape=self.user_items_.shape)

    def _score(self, user_rows: np.ndarray) -> sp.csr_matrix:
        return self.affinity_[user_rows]

    def _similar(self, item_rows: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((len(item_rows), self.n_items_))


def _scaled_by_row_max(scores: np.ndarray) -> np.ndarray:
    """Candidate scores (``-inf`` = none) with negatives and non-candidates at 0, each row divided by its max."""
    out = np.where(np.isfinite(scores), np.maximum(scores, 0.0), 0.0)
    top = out.max(axis=1, keepdims=True)
    return np.divide(out, top, out=np.zeros_like(out), where=top > 0)


class RepeatAware(CompositeRecommender):
    """Likely repeats first, then new items: ``history / max + model_weight * model / max``.

    ``history`` (default ``RepeatPurchase()``) and ``model`` (default ``EASE()``, any
    shopcase recommender) are cloned and fitted on the same interactions. For each user,
    each model's candidate scores are clipped at 0 and divided by that user's largest
    (so a 0 keeps meaning "no evidence" and the best item of each scores 1), then
    summed with ``model_weight`` on the second. Unlike ``Hybrid``'s min-max, this keeps
    the gap between "bought before" and "never bought": with a small ``model_weight``
    a user's likely repeats stay on top and the model fills the rest of the list.
    Only items with a summed score > 0 are returned. With ``exclude_seen=True`` the
    history adds nothing and this is ``model`` alone (scaled).

    ``similar_items`` blends the two models' similarities the same way (the history
    model has none). Unknown users get ``model``'s cold-start list. The weights used are
    the learned ``weights_ = (1, model_weight)``; ``with_weights((1, w))`` gives a copy
    with ``model_weight=w`` sharing the fitted parts.

    Learned: ``history_``, ``model_`` (the fitted clones, ``parts_``), ``item_maps_``, ``weights_``.
    """

    _kind = "hybrid"
    _parameter_constraints = {
        "history": OPTIONAL_RECOMMENDER,
        "model": OPTIONAL_RECOMMENDER,
        "model_weight": Number(low=0),
    }

    def __init__(
        self,
        history: BaseRecommender | None = None,
        model: BaseRecommender | None = None,
        model_weight: float = 0.1,
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.history = history
        self.model = model
        self.model_weight = model_weight
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _parts(self) -> list[BaseRecommender]:
        return [
            RepeatPurchase() if self.history is None else self.history,
            EASE() if self.model is None else self.model,
        ]

    def _weights_from(self, params: Mapping[str, object]) -> np.ndarray:
        return np.array([1.0, params["model_weight"]])

    def _weight_params(self, weights: Sequence[float]) -> dict[str, object]:
        history, model = SequenceOf(Number(low=0), min_len=2).check(weights, "weights")[:2]
        if len(weights) != 2 or history != 1:
            raise ValueError(f"RepeatAware weights are (1, model_weight): the history's is fixed at 1, got {weights!r}")
        return {"model_weight": model}

    @property
    def history_(self) -> BaseRecommender:
        """The fitted clone of ``history``."""
        return self.parts_[0]

    @property
    def model_(self) -> BaseRecommender:
        """The fitted clone of ``model``."""
        return self.parts_[1]

    def _combine(self, per_part: Iterable[np.ndarray | None], n_rows: int) -> np.ndarray:
        total = np.zeros((n_rows, self.n_items_))
        for scores, weight, cols in zip(per_part, self.weights_, self.item_maps_, strict=True):
            if scores is not None:
                total[:, cols] += weight * _scaled_by_row_max(scores)
        return total

    def _cold_start_scores(self) -> np.ndarray:
        scores = np.zeros(self.n_items_)
        scores[self.item_maps_[1]] = self.model_._cold_start_scores()
        return scores

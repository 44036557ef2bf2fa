"""Recommenders made of other recommenders: the one base for their item universe, similar items and weights."""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from shopcase.recommend.base import BaseRecommender
from shopcase.validate import InstanceOf

RECOMMENDER = InstanceOf(BaseRecommender, "a shopcase recommender")
"""The constraint of a parameter holding a part: any shopcase recommender (unfitted or not: it is cloned)."""
OPTIONAL_RECOMMENDER = InstanceOf(BaseRecommender, "a shopcase recommender", optional=True)
"""``RECOMMENDER``, or None for the composite's default part."""


class CompositeRecommender(BaseRecommender):
    """A recommender whose scores combine fitted clones of other recommenders, its *parts*.

    Written once here for every composite (``Hybrid``, ``RepeatAware``):

    * ``fit`` fits a clone of each part on the same data (the caller's models are never fitted);
    * the item universe is the union of the parts' items (a content part knows catalogue items nobody
      bought yet), each part's items mapped to their columns here (``item_maps_``); every part saw the
      same interactions, so user rows agree;
    * ``similar_items`` asks each part for its own similarities (a part that does not know an item gives
      no opinion on it) and combines them like scores;
    * the weights are learned state: ``weights_`` is computed from the parameters at ``fit``, and
      ``with_weights`` returns a re-weighted copy sharing the fitted parts (tuning the weights needs no
      refit, and never changes the parameters of a fitted model behind its back).

    A subclass says which parts its parameters name (``_parts``), how its weights follow from its
    parameters (``_weights_from``) and which parameters give a weight vector (``_weight_params``), and
    how it combines the parts' candidate scores (``_combine``).

    Learned: ``parts_`` (the fitted clones, in order), ``item_maps_`` (one index array per part: the
    column here of each of its items), ``weights_`` (one float per part).
    """

    # --- what a composite declares ---------------------------------------------------
    @abstractmethod
    def _parts(self) -> list[BaseRecommender]:
        """The (unfitted) parts named by the parameters, in order."""

    @abstractmethod
    def _weights_from(self, params: Mapping[str, object]) -> np.ndarray:
        """The weight of each part (shape ``n_parts``) given checked parameters."""

    @abstractmethod
    def _weight_params(self, weights: Sequence[float]) -> dict[str, object]:
        """The parameters that give ``weights`` (checked afterwards with every other parameter)."""

    @abstractmethod
    def _combine(self, per_part: Iterable[np.ndarray | None], n_rows: int) -> np.ndarray:
        """Combined candidate scores (``n_rows x n_items`` here) from each part's candidate scores.

        ``per_part`` yields, per part, its candidate scores in its own item space (``-inf``: not a
        candidate), or None for a part with weight 0; it is consumed lazily, so a combination that
        adds one part at a time holds one part's chunk at once.
        """

    # --- the shared machinery ---------------------------------------------------------
    def _catalogue_item_ids(self, item_features: pd.DataFrame | None) -> pd.Series | None:
        known = [part._catalogue_item_ids(item_features) for part in self._parts()]
        known = [pd.Series(ids) for ids in known if ids is not None]
        return pd.concat(known, ignore_index=True) if known else None

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        self.parts_ = [clone(part).fit(interactions, item_features) for part in self._parts()]
        self.item_maps_ = [self.item_index_.get_indexer(part.item_index_) for part in self.parts_]
        self.weights_ = self._weights_from(self.get_params(deep=False))

    def _row_width(self) -> int:
        # A combination holds its total, a mask, one part's scores and temporaries (~3 arrays of
        # n_items), and each part's own chunk must stay in budget too.
        return max([3 * self.n_items_] + [part._row_width() for part in self.parts_])

    def _part_scores(self, user_rows: np.ndarray, exclude_seen: bool) -> Iterator[np.ndarray | None]:
        """Each part's candidate scores for the users at ``user_rows`` (None for a part with weight 0)."""
        for part, weight in zip(self.parts_, self.weights_, strict=True):
            yield part._chunk_scores(user_rows, exclude_seen) if weight > 0 else None

    def _part_similar(self, item_rows: np.ndarray) -> Iterator[np.ndarray | None]:
        """Each part's candidate similarities to the items at ``item_rows`` (None for a part with weight 0)."""
        ids = self.item_index_.take(item_rows)
        for part, weight in zip(self.parts_, self.weights_, strict=True):
            if weight == 0:
                yield None
                continue
            part_rows = part.item_index_.get_indexer(ids)
            scores = np.full((len(item_rows), part.n_items_), -np.inf)
            known = part_rows >= 0  # an item a part does not know gets no opinion from it
            if known.any():
                scores[known] = part._similar_scores(part_rows[known])
            yield scores

    def _score(self, user_rows: np.ndarray) -> np.ndarray:
        return self._combine(self._part_scores(user_rows, exclude_seen=False), len(user_rows))

    def _similar(self, item_rows: np.ndarray) -> np.ndarray:
        return self._combine(self._part_similar(item_rows), len(item_rows))

    # --- public -------------------------------------------------------------------------
    def with_weights(self, weights: Sequence[float]) -> Self:
        """A copy of this fitted model that combines the same fitted parts with ``weights`` (one per part).

        Nothing is refitted and this model is unchanged; the copy's parameters say the new weights, so
        ``clone(copy).fit(...)`` on the same data reproduces it. Bad weights raise ``ValueError`` exactly
        as they would in ``fit``. This is what ``shopcase.evaluate.tune_blend_weights`` uses.
        """
        check_is_fitted(self)
        reweighted = copy.copy(self)  # a new __dict__; the fitted parts and mappings are shared, read-only
        reweighted.set_params(**self._weight_params(weights))
        reweighted.weights_ = reweighted._weights_from(reweighted._check_params())
        return reweighted

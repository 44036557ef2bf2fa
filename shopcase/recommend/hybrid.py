"""Hybrid recommender: a weighted blend of normalised scores, or the reference's alternating lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.stats import rankdata
from sklearn.utils.validation import check_is_fitted

from shopcase.recommend._topn import Candidates
from shopcase.recommend.base import METHODS, BaseRecommender
from shopcase.recommend.composite import RECOMMENDER, CompositeRecommender
from shopcase.validate import Choice, Number, SequenceOf

STRATEGIES: tuple[str, ...] = ("blend", "alternate")
NORMALISATIONS: tuple[str, ...] = ("minmax", "rank")


def normalise_rows(scores: np.ndarray, method: str) -> np.ndarray:
    """Per-row normalisation of candidate scores (``-inf`` = not a candidate) to [0, 1].

    ``'minmax'``: ``(s - min) / (max - min)`` over the row's candidates (1 if they
    are all equal). ``'rank'``: rank among the row's candidates / their number
    (best = 1, ties averaged). Non-candidates get 0. Shape is kept.
    """
    ok = np.isfinite(scores)
    if method == "minmax":
        low = np.where(ok, scores, np.inf).min(axis=1, keepdims=True)
        high = np.where(ok, scores, -np.inf).max(axis=1, keepdims=True)
        span = high - low
        with np.errstate(invalid="ignore"):
            scaled = np.where(span > 0, (scores - low) / np.where(span > 0, span, 1.0), 1.0)
        return np.where(ok, scaled, 0.0)
    # Non-candidates (-inf) take the lowest ranks; shifting by their count ranks the candidates 1..m.
    ranks = rankdata(scores, method="average", axis=1)
    n_bad = (~ok).sum(axis=1, keepdims=True)
    n_ok = np.maximum(ok.sum(axis=1, keepdims=True), 1)
    return np.where(ok, (ranks - n_bad) / n_ok, 0.0)


def _interleave(first: Sequence[int], second: Sequence[int], n: int) -> list[int]:
    """The reference's ``_combine_recommendations``: alternate two lists, skipping repeats."""
    combined: list[int] = []
    for i in range(n):
        if i < len(first) and first[i] not in combined:
            combined.append(first[i])
        if len(combined) >= n:
            break
        if i < len(second) and second[i] not in combined:
            combined.append(second[i])
        if len(combined) >= n:
            break
    return combined[:n]


class Hybrid(CompositeRecommender):
    """Combine already-constructed models (each is cloned and fitted in ``fit``; see ``models_``).

    ``strategy='blend'``: each model's candidate scores (seen items removed) are
    normalised per user (``normalisation='minmax'`` or ``'rank'``, see
    ``normalise_rows``) and summed with ``weights`` (default: equal); an item is a
    candidate if any model with a positive weight scores it. ``'alternate'``: the
    reference's interleaving of the first two models' top lists (weights
    ignored; score = 1 / rank), kept as a baseline to compare against.
    ``similar_items`` always blends. The item universe is the union of the
    models' items (a content model knows catalogue items nobody bought yet).
    Unknown users get popularity, as in every model.

    The weights used are the learned ``weights_`` (copied from ``weights`` at fit);
    ``with_weights(w)`` gives a re-weighted copy sharing the fitted models, for tuning.

    ``recommend_for_user(..., method='collaborative'|'content'|'hybrid')`` keeps
    the reference API: the first collaborative model, the content model, or this blend.

    Learned: ``models_`` (the fitted clones, also ``parts_``), ``item_maps_``, ``weights_``.
    """

    _positive_only = False
    _kind = "hybrid"
    _parameter_constraints = {
        "models": SequenceOf(RECOMMENDER, min_len=1),
        "weights": SequenceOf(Number(low=0), optional=True),
        "strategy": Choice(STRATEGIES),
        "normalisation": Choice(NORMALISATIONS),
    }

    def __init__(
        self,
        models: Sequence[BaseRecommender],
        weights: Sequence[float] | None = None,
        strategy: str = "blend",
        normalisation: str = "minmax",
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.models = models
        self.weights = weights
        self.strategy = strategy
        self.normalisation = normalisation
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _check_param_combinations(self, params: dict[str, object]) -> None:
        models, weights = params["models"], params["weights"]
        if params["strategy"] == "alternate" and len(models) < 2:
            raise ValueError("strategy='alternate' needs at least two models")
        if weights is not None:
            if len(weights) != len(models):
                raise ValueError(f"weights has {len(weights)} values for {len(models)} models")
            if sum(weights) == 0:
                raise ValueError("weights are all zero")

    def _parts(self) -> list[BaseRecommender]:
        return list(self.models)

    def _weights_from(self, params: Mapping[str, object]) -> np.ndarray:
        weights = params["weights"]
        return np.ones(len(params["models"])) if weights is None else np.asarray(weights, dtype=np.float64)

    def _weight_params(self, weights: Sequence[float]) -> dict[str, object]:
        return {"weights": weights}

    @property
    def models_(self) -> list[BaseRecommender]:
        """The fitted clones of ``models``, in order (``parts_``)."""
        return self.parts_

    def _combine(self, per_part: Iterable[np.ndarray | None], n_rows: int) -> np.ndarray:
        """Weighted sum of normalised candidate scores in this model's item space; ``-inf`` = none."""
        total = np.zeros((n_rows, self.n_items_))
        candidate = np.zeros((n_rows, self.n_items_), dtype=bool)
        for scores, weight, cols in zip(per_part, self.weights_, self.item_maps_, strict=True):
            if scores is None:
                continue
            total[:, cols] += weight * normalise_rows(scores, self.normalisation)
            candidate[:, cols] |= np.isfinite(scores)
        total[~candidate] = -np.inf
        return total

    def _chunk_scores(self, user_rows: np.ndarray, exclude_seen: bool) -> np.ndarray:
        # Seen items are removed inside each model first, so normalisation only sees real candidates.
        return self._combine(self._part_scores(user_rows, exclude_seen), len(user_rows))

    def _candidates(self, user_rows: np.ndarray, exclude_seen: bool) -> Candidates | None:
        # The alternation is a list of lists, not a top-n of scores: it has no candidate scores.
        return super()._candidates(user_rows, exclude_seen) if self.strategy == "blend" else None

    def _top_n_rows(
        self, user_rows: np.ndarray, n: int, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self.strategy == "blend":
            return super()._top_n_rows(user_rows, n, exclude_seen)
        lists = []
        for model, cols in zip(self.models_[:2], self.item_maps_[:2], strict=True):
            pos, col, _, _ = model._top_n_rows(user_rows, n, exclude_seen)
            cuts = np.searchsorted(pos, np.arange(1, len(user_rows)))
            lists.append([cols[c].tolist() for c in np.split(col, cuts)])
        pos_out, col_out = [], []
        for row, (first, second) in enumerate(zip(*lists, strict=True)):
            combined = _interleave(first, second, n)
            pos_out += [row] * len(combined)
            col_out += combined
        pos_arr, col_arr = np.asarray(pos_out, dtype=np.int64), np.asarray(col_out, dtype=np.int64)
        starts = np.searchsorted(pos_arr, np.arange(len(user_rows)))
        rank = np.arange(len(pos_arr)) - starts[pos_arr] + 1
        return pos_arr, col_arr, 1.0 / rank, rank

    def recommend_for_user(
        self, user_id: object, n_recommendations: int = 5, method: str | None = "hybrid"
    ) -> list[object]:
        """Reference API: item ids from the first collaborative model, the content model, or the blend."""
        check_is_fitted(self)
        method = "hybrid" if method is None else method
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
        if method == "hybrid":
            return super().recommend_for_user(user_id, n_recommendations)
        for model in self.models_:
            if model._kind == method:
                return model.recommend_for_user(user_id, n_recommendations)
        raise ValueError(f"method={method!r} needs a {method} model in this Hybrid; it has none")

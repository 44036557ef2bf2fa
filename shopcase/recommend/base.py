"""The one interface every recommender shares: fit, recommend, similar_items.

The base does all the common work once: validation, the id <-> index mapping,
the sparse ``users x items`` matrix, batching users in memory-bounded chunks
(scored on ``n_jobs`` threads, results in order), excluding seen
items, deterministic top-n (``_topn``; on the stored entries only for models
with sparse scores) and the cold-start path. A model only
says how to score a chunk of users (``_score``) and a chunk of items
(``_similar``), and declares its parameters' constraints (``_parameter_constraints``).

Conventions (tested over every model in ``tests/recommend/test_rec_contract.py``):

* scikit-learn's estimator contract: parameters are stored unchanged in ``__init__``;
  ``fit`` checks every one of them (against the class's ``_parameter_constraints``)
  and the data before any state changes, learns on a fresh copy and only then
  replaces the learned state, so a failed ``fit`` leaves the previous fit intact
  (or the model unfitted: ``NotFittedError``). ``clone``, ``get_params`` and
  ``set_params`` work.
* Ids: each id column holds one kind of id, numbers or strings (a column mixing
  them is refused at ``fit``). Requests must be of the kind the model was fitted
  on: ``recommend(["1"])`` on integer user ids raises ``ValueError`` naming both
  kinds (it could only ever match nobody). Numbers are compared by value, so
  ``1``, ``np.int32(1)``, ``np.int64(1)`` and ``1.0`` are the same id.
* Threads: ``n_jobs`` as in scikit-learn: ``None`` is 1 (or, for a part of a
  composite, the composite's threads), ``-1`` every CPU, ``-2`` all but one.
  Results never depend on it (nor on ``chunk_rows``).
* Scores are float64. ``recommend`` returns ``user_id, item_id, score, rank``
  (``rank`` 1 = best), users in request order; ties are broken by item index,
  i.e. by the sorted item id, lower first.
* Which items a model may return: models with ``_positive_only = True`` (the
  neighbourhood and content models) return only items with a score > 0, since 0
  means "no evidence". ``Popularity`` and ``EASE`` return every unseen item with
  a finite score, so a user always gets ``min(n, items not yet seen)`` items.
  A list can therefore be shorter than ``n``; it is never padded.
* Users unknown at fit time (cold start) get the popularity ranking: summed
  interaction strength per item, over every item the model knows (zero-strength
  catalogue items last, by index), so they always get ``min(n, n_items)`` items.
* Requested ids must be unique (duplicates raise ``ValueError``) and not missing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import ClassVar, Self, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.recommend._parallel import effective_threads, ordered_map, thread_scope
from shopcase.recommend._topn import TINY, Candidates, top_n_dense
from shopcase.schema import INTERACTIONS_COLUMNS, ITEM_ID, RANK, RATING, SCORE, SIMILAR_ITEM_ID, USER_ID, K
from shopcase.validate import (
    Constraint,
    Integer,
    NJobs,
    as_id_index,
    check_id_kinds_match,
    check_int,
    check_no_duplicates,
    check_params,
    check_single_id_kind,
    validate_frame,
)

T = TypeVar("T")

CHUNK_CELLS: int = 5_000_000
"""Dense cells per chunk of scores: 40 MB of float64; top-n temporaries bring the peak to ~150 MB."""

METHODS: tuple[str, ...] = ("collaborative", "content", "hybrid")
"""The reference API's ``method`` names for ``recommend_for_user``."""


def _sorted_unique(values: pd.Series | pd.Index) -> pd.Index:
    """Unique ids sorted (first-seen order for ids of one kind that do not sort)."""
    index = pd.Index(pd.unique(values), tupleize_cols=False)
    try:
        return index.sort_values()
    except TypeError:
        return index


def validate_interactions(interactions: pd.DataFrame, *, check_duplicates: bool = True) -> pd.DataFrame:
    """``validate_frame`` for ``user_id, item_id, rating`` (one row per pair), plus ratings > 0 and
    each id column holding one kind of id (``check_single_id_kind``).

    ``check_duplicates=False`` skips the count of repeated pairs (pandas hashes both id columns:
    ~400 MB at 6.7M rows) for a caller that counts them from its sparse matrix, as ``fit`` does.
    """
    frame = validate_frame(
        interactions, INTERACTIONS_COLUMNS, "interactions", key=[USER_ID, ITEM_ID], check_duplicates=check_duplicates
    )
    n_zero = int((frame[RATING] == 0).sum())
    if n_zero:
        raise ValueError(
            f"interactions: column 'rating' has {n_zero:,} of {len(frame):,} rows equal to 0; "
            "strengths must be > 0 (drop those rows)"
        )
    for column in (USER_ID, ITEM_ID):
        check_single_id_kind(frame[column], f"interactions: column {column!r}")
    return frame


class BaseRecommender(BaseEstimator, ABC):
    """Base of every shopcase recommender (scikit-learn conventions: params untouched in ``__init__``).

    Learned attributes: ``user_ids_``, ``item_ids_`` (sorted unique ids, numpy
    arrays), ``user_index_``, ``item_index_`` (``pd.Index`` lookups id -> row),
    ``user_items_`` (``scipy.sparse.csr_matrix`` users x items, float64
    strengths), ``item_popularity_`` (summed strength per item, shape ``n_items``).
    Every model takes ``chunk_rows`` (rows scored at once; ``None`` sizes chunks so
    that one dense chunk holds at most ``CHUNK_CELLS`` cells) and ``n_jobs``
    (threads, see the module docstring; each holds one chunk, so memory grows with it).

    A subclass declares its own parameters in ``_parameter_constraints`` (merged with
    its bases'; every ``__init__`` parameter needs one) and may check combinations of
    them in ``_check_param_combinations``; both run before ``fit`` changes anything.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "chunk_rows": Integer(low=1, optional=True),
        "n_jobs": NJobs(),
    }
    _positive_only: ClassVar[bool] = True
    """True: a score <= 0 means "no evidence" and the item is not returned."""
    _kind: ClassVar[str] = "collaborative"
    """Which reference ``method`` this model provides: collaborative, content, popularity or hybrid."""
    _sparse_scores: ClassVar[bool] = False
    """True: ``_score`` and ``_similar`` return sparse matrices (no duplicate entries) and the model is
    ``_positive_only``, so an entry not stored (score 0) is never returned: top-n then runs on the stored
    entries only (``top_n_csr``), without densifying chunks to ``n_items`` columns."""

    chunk_rows: int | None
    n_jobs: int | None

    # --- parameters --------------------------------------------------------------------
    @classmethod
    def _constraints(cls) -> dict[str, Constraint]:
        """Every parameter's constraint: the class's ``_parameter_constraints`` over its bases'."""
        merged: dict[str, Constraint] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("_parameter_constraints", {}))
        return merged

    def _check_params(self) -> dict[str, object]:
        """Check every parameter (``ValueError`` naming the first bad one); return the checked values."""
        params = check_params(self.get_params(deep=False), self._constraints(), type(self).__name__)
        self._check_param_combinations(params)
        return params

    def _check_param_combinations(self, params: dict[str, object]) -> None:
        """Rules that tie parameters together (each one alone is checked already); none by default."""

    def _param(self, name: str) -> object:
        """One parameter, checked against its constraint (for parameters read after ``fit``, e.g. chunk_rows)."""
        return self._constraints()[name].check(getattr(self, name), name)

    def _threads(self) -> int:
        return effective_threads(self._param("n_jobs"))

    # --- fitting -----------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None = None) -> Self:
        """Learn from ``interactions`` (``user_id, item_id, rating``; rating > 0, one row per pair).

        ``item_features`` is the catalogue, used by models that need it (ContentBased,
        Hybrid with one). Raises ``ValueError`` on bad parameters or input, before any
        state changes: the learned state is replaced only once the new fit has succeeded.
        Returns ``self``.
        """
        self._check_params()
        frame = self._prepare_interactions(validate_interactions(interactions, check_duplicates=False))
        staged = type(self)(**self.get_params(deep=False))  # learns from scratch: nothing leaks from a past fit
        with thread_scope(self._threads()):
            staged._learn(frame, item_features)
        self._adopt(staged)
        return self

    def _prepare_interactions(self, interactions: pd.DataFrame) -> pd.DataFrame:
        """The validated interactions the model learns from (``TimeDecayed`` decays the strengths)."""
        return interactions

    def _learn(self, frame: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        """Map ids, build ``user_items_``, then ``_fit``: run on a fresh copy, never on a fitted model."""
        catalogue_ids = self._catalogue_item_ids(item_features)
        items = frame[ITEM_ID]
        if catalogue_ids is not None:
            check_single_id_kind(catalogue_ids, "item_features: column 'item_id'")
            check_id_kinds_match(catalogue_ids, items, "item_features' item_id vs interactions' item_id")
            items = pd.concat([items, pd.Series(catalogue_ids)], ignore_index=True)
        self.user_index_ = _sorted_unique(frame[USER_ID])
        self.item_index_ = _sorted_unique(items)
        rows = self.user_index_.get_indexer(frame[USER_ID])
        cols = self.item_index_.get_indexer(frame[ITEM_ID])
        self.user_items_ = sp.csr_matrix(  # sums the values of repeated pairs into one entry
            (frame[RATING].to_numpy(dtype=np.float64), (rows, cols)),
            shape=(len(self.user_index_), len(self.item_index_)),
        )
        del rows, cols  # 16 bytes per interaction: not needed by the model's own fit
        # Repeated pairs were summed into one entry: counted here instead of hashing both id columns.
        check_no_duplicates(len(frame) - self.user_items_.nnz, "interactions", [USER_ID, ITEM_ID])
        self.user_ids_ = self.user_index_.to_numpy()
        self.item_ids_ = self.item_index_.to_numpy()
        self.item_popularity_ = np.asarray(self.user_items_.sum(axis=0), dtype=np.float64).ravel()
        self._fit(frame, item_features)

    def _adopt(self, staged: BaseRecommender) -> None:
        """Replace this model's learned state by ``staged``'s in one step (parameters stay as they are)."""
        params = set(self._get_param_names())
        learned = {key: value for key, value in vars(staged).items() if key not in params}
        state = vars(self)
        for key in [key for key in state if key not in params]:
            del state[key]
        state.update(learned)

    def _catalogue_item_ids(self, item_features: pd.DataFrame | None) -> pd.Series | None:
        """Item ids known from the catalogue beyond those in the interactions (None: ignore it)."""
        return None

    @abstractmethod
    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        """Model-specific learning; ids are mapped and ``user_items_`` is built already."""

    @abstractmethod
    def _score(self, user_rows: np.ndarray) -> np.ndarray | sp.spmatrix:
        """Scores of every item for the users at ``user_rows``: shape ``len(user_rows) x n_items``."""

    @abstractmethod
    def _similar(self, item_rows: np.ndarray) -> np.ndarray | sp.spmatrix:
        """Similarity of every item to the items at ``item_rows``: shape ``len(item_rows) x n_items``."""

    def _cold_start_scores(self) -> np.ndarray:
        """Scores for users unknown at fit time (shape ``n_items``): popularity."""
        return self.item_popularity_

    # --- the common machinery ---------------------------------------------------------
    @property
    def n_items_(self) -> int:
        return len(self.item_ids_)

    def _row_width(self) -> int:
        """Widest per-row intermediate of scoring (cells); chunks hold ``CHUNK_CELLS // width`` rows."""
        return self.n_items_

    def _chunk_size(self) -> int:
        chunk_rows = self._param("chunk_rows")
        if chunk_rows is not None:
            return chunk_rows
        return max(1, CHUNK_CELLS // max(1, self._row_width()))

    def _chunks(self, rows: np.ndarray) -> Iterable[np.ndarray]:
        size = self._chunk_size()
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    def _as_candidates(self, scores: np.ndarray | sp.spmatrix) -> np.ndarray:
        """Dense writable float64 copy with ``-inf`` wherever an item may not be returned."""
        # order="C": a copy of a broadcast view (Popularity) would otherwise come out column-major.
        dense = scores.toarray() if sp.issparse(scores) else np.array(scores, dtype=np.float64, order="C")
        dense = dense.astype(np.float64, copy=False)
        ok = (dense > 0) & (dense < np.inf) if self._positive_only else np.isfinite(dense)
        np.copyto(dense, -np.inf, where=~ok)
        return dense

    def _seen(self, user_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(position in chunk, item index)`` of every item the users at ``user_rows`` interacted with."""
        seen = self.user_items_[user_rows]
        return np.repeat(np.arange(len(user_rows)), np.diff(seen.indptr)), seen.indices

    def _chunk_scores(self, user_rows: np.ndarray, exclude_seen: bool) -> np.ndarray:
        """Candidate scores (``len(user_rows) x n_items``, ``-inf`` = not returnable)."""
        scores = self._as_candidates(self._score(user_rows))
        if exclude_seen:
            scores[self._seen(user_rows)] = -np.inf
        return scores

    def _similar_scores(self, item_rows: np.ndarray) -> np.ndarray:
        """Candidate similarities (``len(item_rows) x n_items``); an item is never similar to itself."""
        scores = self._as_candidates(self._similar(item_rows))
        scores[np.arange(len(item_rows)), item_rows] = -np.inf
        return scores

    def _sparse_candidates(self, scores: sp.spmatrix, excluded: tuple[np.ndarray, np.ndarray] | None) -> Candidates:
        """Candidates of one chunk of sparse scores (``_sparse_scores`` models); ``excluded`` cells never returned.

        Work and memory follow the stored entries: the scores of an ItemKNN chunk are ~17%
        of its cells, and the only dense array is a bool mask of the chunk (1 byte per cell).
        """
        return Candidates(scores, floor=TINY, excluded=excluded)  # TINY: positive scores only

    def _candidates(self, user_rows: np.ndarray, exclude_seen: bool) -> Candidates | None:
        """The candidate scores of one chunk of users, which ``_top_n_rows`` ranks.

        None for a model whose ranking is not a top-n of per-item scores (``Hybrid``'s alternation
        interleaves two lists); ``_top_n_rows`` is then the only way to its ranking.
        """
        if self._sparse_scores:
            return self._sparse_candidates(self._score(user_rows), self._seen(user_rows) if exclude_seen else None)
        return Candidates(self._chunk_scores(user_rows, exclude_seen))

    def _top_n_rows(
        self, user_rows: np.ndarray, n: int, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Top-n of one chunk as flat arrays ``(position in chunk, item index, score, rank)``."""
        return self._candidates(user_rows, exclude_seen).top_n(n)

    def _top_n_similar(self, item_rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``_top_n_rows`` for ``similar_items``: the most similar other items of one chunk of items."""
        if self._sparse_scores:
            itself = (np.arange(len(item_rows)), item_rows)
            return self._sparse_candidates(self._similar(item_rows), itself).top_n(n)
        return Candidates(self._similar_scores(item_rows)).top_n(n)

    def _map_chunks(self, count: int, fn: Callable[[np.ndarray], T]) -> list[T]:
        """``fn(positions)`` for each chunk (``_chunks``) of ``0 .. count - 1``, on ``n_jobs`` threads, in order."""
        with thread_scope(self._threads()):
            return list(ordered_map(fn, self._chunks(np.arange(count))))

    # --- public API ------------------------------------------------------------------
    def recommend(self, user_ids: Iterable[object], n: int = K, exclude_seen: bool = True) -> pd.DataFrame:
        """Top-``n`` items for each user: DataFrame ``user_id, item_id, score, rank``.

        ``user_ids`` is a list-like of unique ids (a single id is accepted too).
        Users are processed in chunks; unknown users get the popularity ranking.
        ``exclude_seen`` drops items the user interacted with in the training data.
        Ids of another kind than the fitted ones (strings for integer ids) raise ``ValueError``.
        """
        check_is_fitted(self)
        n = check_int(n, "n")
        users = as_id_index(user_ids, "user_ids")
        check_id_kinds_match(users, self.user_index_, "user_ids vs the user ids seen at fit", every=True)
        rows = self.user_index_.get_indexer(users)
        known = np.flatnonzero(rows >= 0)

        def top(chunk: np.ndarray) -> tuple[np.ndarray, ...]:
            pos, col, score, rank = self._top_n_rows(rows[known[chunk]], n, exclude_seen)
            return known[chunk[pos]], col, score, rank

        parts = self._map_chunks(len(known), top)
        cold = np.flatnonzero(rows < 0)
        if len(cold):
            scores = np.array(self._cold_start_scores(), dtype=np.float64)[None, :]
            scores[~np.isfinite(scores)] = -np.inf
            _, col, rank = top_n_dense(scores, n)
            parts.append(
                (
                    np.repeat(cold, len(col)),
                    np.tile(col, len(cold)),
                    np.tile(scores[0, col], len(cold)),
                    np.tile(rank, len(cold)),
                )
            )
        return self._assemble(users, parts, [USER_ID, ITEM_ID, SCORE, RANK])

    def similar_items(self, item_ids: Iterable[object], n: int = K) -> pd.DataFrame:
        """Top-``n`` most similar other items: DataFrame ``item_id, similar_item_id, score, rank``.

        Raises ``ValueError`` naming any item the model does not know, and on ids of another kind.
        """
        check_is_fitted(self)
        n = check_int(n, "n")
        items = as_id_index(item_ids, "item_ids")
        check_id_kinds_match(items, self.item_index_, "item_ids vs the item ids seen at fit", every=True)
        rows = self.item_index_.get_indexer(items)
        if (rows < 0).any():
            unknown = items[rows < 0][:10].tolist()
            raise ValueError(f"similar_items: {int((rows < 0).sum())} unknown item id(s), e.g. {unknown}")

        def top(chunk: np.ndarray) -> tuple[np.ndarray, ...]:
            pos, col, score, rank = self._top_n_similar(rows[chunk], n)
            return chunk[pos], col, score, rank

        parts = self._map_chunks(len(rows), top)
        return self._assemble(items, parts, [ITEM_ID, SIMILAR_ITEM_ID, SCORE, RANK])

    def recommend_for_user(
        self, user_id: object, n_recommendations: int = 5, method: str | None = None
    ) -> list[object]:
        """The reference API: a list of up to ``n_recommendations`` item ids for one user.

        ``method`` may be None or the reference method this model provides (e.g.
        'collaborative' for ItemKNN); combining methods is ``Hybrid``'s job.
        """
        if method is not None and method != self._kind:
            if method not in METHODS:
                raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
            raise ValueError(f"{type(self).__name__} provides method {self._kind!r} only, not {method!r}; use Hybrid")
        return self.recommend([user_id], n=n_recommendations)[ITEM_ID].tolist()

    def _assemble(self, keys: pd.Index, parts: list[tuple], columns: list[str]) -> pd.DataFrame:
        """The result frame from per-chunk ``(position in keys, item index, score, rank)`` arrays.

        Id columns keep the dtype of the requested and fitted ids, also when the frame is empty.
        """
        empty = np.zeros(0, dtype=np.int64)
        parts = [*parts, (empty, empty, np.zeros(0), empty)]
        pos, col, score, rank = (np.concatenate(a) for a in zip(*parts, strict=True))
        parts.clear()  # copied: free the pieces before the frame is built (the list is the caller's scratch)
        step, rank_step = np.diff(pos), np.diff(rank)
        if ((step < 0) | ((step == 0) & (rank_step <= 0))).any():  # chunks come in order; cold-start users last
            order = np.lexsort((rank, pos))
            pos, col, score, rank = pos[order], col[order], score[order], rank[order]
        del step, rank_step
        return pd.DataFrame(
            {
                columns[0]: keys.take(pos),
                columns[1]: self.item_index_.take(col),
                columns[2]: score.astype(np.float64, copy=False),
                columns[3]: rank.astype(np.int64, copy=False),
            },
            copy=False,  # the columns are fresh arrays: no second copy of the result
        )

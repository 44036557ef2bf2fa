"""A personalised learning-to-rank re-ranker, trained on logged clicks with position bias corrected.

The model is LightGBM's ``LGBMRanker`` (lambdarank) over ``features.FEATURES``. Training data are the
logged pages of searches with at least one click. Clicks are biased: users click the top of the page
more whatever it shows, so a model trained on raw clicks learns "what the old ranker put on top".

Correction by inverse propensity weighting (Joachims, Swaminathan & Schnabel 2017; Hu et al. 2019 for
LambdaMART): every click becomes its own training group -- the page with that item labelled 1 and the
others 0 -- weighted by 1 / propensity(position of the click) (``estimate_propensities``, clipped at
``max_weight``). A click at position 5, where users look a third as often as at position 1, then
counts three times: in expectation the weighted clicks are proportional to relevance, not to
exposure. With ``debias="none"`` the same groups get weight 1 (the biased "raw clicks" ranker).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Self

import numpy as np
import pandas as pd
from lightgbm import LGBMRanker
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from shopcase.schema import CLICKED, ITEM_ID, MATCH, POSITION, QUERY, QUERY_ID, RANK, SCORE, SEED, USER_ID, K
from shopcase.search.features import FEATURES, UserHistory
from shopcase.search.index import SearchIndex
from shopcase.search.propensity import estimate_propensities
from shopcase.search.simulate import SearchLog
from shopcase.validate import (
    as_id_index,
    check_bool,
    check_choice,
    check_int,
    check_number,
    require_columns,
)

DEBIAS: tuple[str, ...] = ("ipw", "none")
LEXICAL: tuple[str, ...] = ("bm25", "bm25_share")
"""Features the score may only grow with (``monotone_lexical``): a better text match never ranks lower."""


def _empty_ranking(id_dtype: object, with_query: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            ITEM_ID: pd.Series([], dtype=id_dtype),
            SCORE: pd.Series([], dtype=np.float64),
            RANK: pd.Series([], dtype=np.int64),
        }
    )
    if with_query:
        frame.insert(0, QUERY_ID, pd.Series([], dtype=np.int64))
    return frame


class Reranker(BaseEstimator):
    """Re-rank a search's BM25 candidates for the user who searched.

    Parameters
    ----------
    debias : {"ipw", "none"}, default "ipw"
        Weight clicks by inverse propensity ("ipw") or take them as they are ("none").
    n_candidates : int, default 100
        BM25 candidates re-ranked by ``search`` and ``rank_queries``.
    max_weight : float, default 5
        Clip of 1 / propensity: bounds the variance a rare low-position click adds, at the price of
        a little bias below the position whose propensity is 1/5 (chosen on a validation month).
    n_estimators, learning_rate, num_leaves, min_child_samples
        LightGBM's boosting settings (small trees: scoring 100 candidates must take milliseconds).
    monotone_lexical : bool, default True
        Constrain the score to grow with the BM25 features: without it, up-weighted noise clicks on
        low positions teach the model that matching fewer query words is fine.
    neighbours : int, default 50
        Item neighbours kept for the collaborative feature.
    random_state : int, default 42
    n_jobs : int, default 1
        LightGBM threads.

    Attributes
    ----------
    model_ : LGBMRanker
    history_ : UserHistory
        The features' statistics (event log before ``as_of``).
    index_ : SearchIndex
        The search whose candidates and BM25 scores the model uses.
    propensities_ : DataFrame or None
        ``estimate_propensities`` output used for the weights (None with ``debias="none"``).
    n_train_groups_ : int
        Click groups the model was trained on.
    feature_importances_ : Series
        Total gain per feature.
    """

    def __init__(
        self,
        debias: str = "ipw",
        n_candidates: int = 100,
        max_weight: float = 5.0,
        n_estimators: int = 100,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        neighbours: int = 50,
        monotone_lexical: bool = True,
        random_state: int = SEED,
        n_jobs: int = 1,
    ) -> None:
        self.debias = debias
        self.n_candidates = n_candidates
        self.max_weight = max_weight
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.neighbours = neighbours
        self.monotone_lexical = monotone_lexical
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _validate_params(self) -> None:
        check_choice(self.debias, "debias", DEBIAS)
        check_int(self.n_candidates, "n_candidates", low=1)
        check_number(self.max_weight, "max_weight", low=1.0)
        check_int(self.n_estimators, "n_estimators", low=1)
        check_number(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_int(self.num_leaves, "num_leaves", low=2)
        check_int(self.min_child_samples, "min_child_samples", low=1)
        check_int(self.neighbours, "neighbours", low=1)
        check_bool(self.monotone_lexical, "monotone_lexical")
        check_int(self.random_state, "random_state", low=0)
        check_int(self.n_jobs, "n_jobs", low=1)

    # --- fitting -----------------------------------------------------------------------------

    def fit(self, log: SearchLog, history: UserHistory, propensities: pd.DataFrame | None = None) -> Self:
        """Learn from the clicks of ``log`` with features from ``history``.

        Parameters
        ----------
        log : SearchLog
            The searches to learn from (their ``queries`` and ``pages`` with ``clicked``).
        history : UserHistory
            What the shop knew before the searches (``UserHistory.build(events, index, as_of)``; choose
            ``as_of`` at or before the first training search, so no feature sees what happened after a
            search it learns from). Its ``index`` serves the candidates and BM25 scores.
        propensities : DataFrame, optional
            ``position, propensity``; default ``estimate_propensities`` on the log's randomised pages.

        Returns
        -------
        self
        """
        self._validate_params()
        require_columns(log.queries, [QUERY_ID, USER_ID, QUERY], "log.queries")
        require_columns(log.pages, [QUERY_ID, POSITION, ITEM_ID, CLICKED], "log.pages")
        if not isinstance(history, UserHistory):
            raise ValueError("history must be a UserHistory (UserHistory.build(events, index, as_of))")
        weights_by_position = None
        if self.debias == "ipw":
            propensities = estimate_propensities(log.queries, log.pages) if propensities is None else propensities
            require_columns(propensities, [POSITION, "propensity"], "propensities")
            p = propensities.set_index(POSITION)["propensity"].astype(float)
            weights_by_position = (1.0 / p.clip(lower=1.0 / self.max_weight)).clip(upper=self.max_weight)
        X, y, group, weight = self._training_set(log, history.index, history, weights_by_position)
        model = LGBMRanker(
            objective="lambdarank",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
            monotone_constraints=[1 if self.monotone_lexical and f in LEXICAL else 0 for f in FEATURES],
        )
        model.fit(X, y, group=group, sample_weight=weight, feature_name=list(FEATURES))
        self.model_ = model
        self.history_ = history
        self.index_ = history.index
        self.propensities_ = propensities if self.debias == "ipw" else None
        self.n_train_groups_ = len(group)
        self.feature_importances_ = pd.Series(
            model.booster_.feature_importance(importance_type="gain"), index=list(FEATURES), name="gain"
        ).sort_values(ascending=False)
        return self

    def _training_set(
        self, log: SearchLog, index: SearchIndex, history: UserHistory, weights_by_position: pd.Series | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One group per click: the click's page, that item labelled 1, weighted by 1/propensity."""
        pages = log.pages.sort_values([QUERY_ID, POSITION], kind="stable")
        clicked_queries = pages.loc[pages[CLICKED].astype(bool), QUERY_ID].unique()
        pages = pages[pages[QUERY_ID].isin(clicked_queries)]
        if pages.empty:
            raise ValueError("log has no click to learn from")
        queries = log.queries.set_index(QUERY_ID).loc[clicked_queries]
        item_rows = index.item_rows(pages[ITEM_ID].to_numpy(), "log.pages' item_id")
        query_number = pd.Index(clicked_queries).get_indexer(pages[QUERY_ID])
        bm25 = self._bm25(index, queries[QUERY].to_numpy(), query_number, item_rows)
        user_rows = history.user_rows(queries[USER_ID].to_numpy(), "log's user_id")[query_number]
        X = history.features(user_rows, item_rows, bm25, query_number)

        clicked = pages[CLICKED].to_numpy(dtype=bool)
        position = pages[POSITION].to_numpy()
        sizes = np.bincount(query_number, minlength=len(clicked_queries))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        click_rows = np.flatnonzero(clicked)
        click_query = query_number[click_rows]
        # rows of each click's group: its query's page, in order
        group_sizes = sizes[click_query]
        member = np.concatenate([np.arange(starts[q], starts[q] + sizes[q]) for q in click_query])
        label = (member == np.repeat(click_rows, group_sizes)).astype(np.int64)
        if weights_by_position is None:
            group_weight = np.ones(len(click_rows))
        else:
            group_weight = weights_by_position.reindex(position[click_rows]).fillna(self.max_weight).to_numpy()
        return X[member], label, group_sizes, np.repeat(group_weight, group_sizes)

    @staticmethod
    def _bm25(index: SearchIndex, texts: np.ndarray, query_number: np.ndarray, item_rows: np.ndarray) -> np.ndarray:
        """BM25 of each row's item for its query (rows grouped by query number)."""
        out = np.empty(len(item_rows))
        order = np.argsort(query_number, kind="stable")
        bounds = np.searchsorted(query_number[order], np.arange(len(texts) + 1))
        cache: dict[str, np.ndarray] = {}
        for q, text in enumerate(texts):
            rows = order[bounds[q] : bounds[q + 1]]
            if len(rows) == 0:
                continue
            if text not in cache:
                cache[text] = index._scores(index._parse(text))
            out[rows] = cache[text][item_rows[rows]]
        return out

    # --- using the history of another date -------------------------------------------------------

    def with_history(self, history: UserHistory) -> Reranker:
        """A copy whose features read ``history`` (the trained model unchanged).

        A shop retrains its ranker now and then but refreshes what it knows about users every day:
        score later searches with ``UserHistory.build(events, index, as_of)`` up to just before them.
        ``history`` must be built on the same index.
        """
        check_is_fitted(self, "model_")
        if not isinstance(history, UserHistory) or history.index is not self.index_:
            raise ValueError("history must be a UserHistory built on the index the re-ranker was fitted with")
        refreshed = copy.copy(self)
        refreshed.history_ = history
        return refreshed

    # --- ranking -----------------------------------------------------------------------------

    def rerank(self, user_id: object, query: str, candidates: pd.DataFrame) -> pd.DataFrame:
        """Order ``candidates`` (``item_id``, and the BM25 ``score`` as ``SearchIndex.search`` gives it) for the user.

        ``user_id`` None means an anonymous visitor (no personal features); an id the re-ranker does
        not know raises ``ValueError``. Returns ``item_id, score, rank`` (model score, best first).
        """
        check_is_fitted(self, "model_")
        require_columns(candidates, [ITEM_ID, SCORE], "candidates")
        user_row = self.history_.user_row(user_id)
        self.index_._parse(query)  # the same query checks as search (raises on blank/over-long queries)
        if candidates.empty:
            return _empty_ranking(self.index_.item_ids_.dtype)
        as_id_index(candidates[ITEM_ID], "candidates.item_id")
        item_rows = self.index_.item_rows(candidates[ITEM_ID].to_numpy(), "candidates.item_id")
        bm25 = candidates[SCORE].to_numpy(dtype=np.float64)
        users = np.full(len(item_rows), user_row, dtype=np.int64)
        X = self.history_.features(users, item_rows, bm25, np.zeros(len(item_rows), dtype=np.int64))
        scores = self.model_.booster_.predict(X, num_threads=self.n_jobs)
        order = np.lexsort((np.arange(len(scores)), -scores))
        ranked = pd.DataFrame(
            {
                ITEM_ID: candidates[ITEM_ID].to_numpy()[order],
                SCORE: scores[order],
                RANK: np.arange(1, len(order) + 1, dtype=np.int64),
            }
        )
        if MATCH in candidates.columns:
            ranked[MATCH] = candidates[MATCH].to_numpy()[order]
        return ranked

    def search(
        self, user_id: object, query: str, n: int = K, filters: Mapping[str, object] | None = None
    ) -> pd.DataFrame:
        """BM25's top ``n_candidates`` for ``query`` (with ``filters``), re-ranked for the user; the top ``n``."""
        check_is_fitted(self, "model_")
        n = check_int(n, "n", low=1, high=self.index_.n_items_)
        candidates = self.index_.search(query, n=min(self.n_candidates, self.index_.n_items_), filters=filters)
        return self.rerank(user_id, query, candidates).head(n)

    def rank_queries(self, queries: pd.DataFrame, n: int = K) -> pd.DataFrame:
        """``search`` for every row of ``queries`` (``query_id, user_id, query``), batched.

        Returns ``query_id, item_id, score, rank`` (pages in the order of ``queries``).
        """
        check_is_fitted(self, "model_")
        n = check_int(n, "n", low=1, high=self.index_.n_items_)
        require_columns(queries, [QUERY_ID, USER_ID, QUERY], "queries")
        candidates = self.index_.rank_queries(
            queries[[QUERY_ID, QUERY]], n=min(self.n_candidates, self.index_.n_items_)
        )
        if candidates.empty:
            return _empty_ranking(self.index_.item_ids_.dtype, with_query=True)
        query_number = pd.Index(queries[QUERY_ID]).get_indexer(candidates[QUERY_ID])
        user_rows = self.history_.user_rows(queries[USER_ID].to_numpy(), "queries.user_id")[query_number]
        item_rows = self.index_.item_rows(candidates[ITEM_ID].to_numpy())
        X = self.history_.features(user_rows, item_rows, candidates[SCORE].to_numpy(dtype=float), query_number)
        scores = self.model_.booster_.predict(X, num_threads=self.n_jobs)
        order = np.lexsort((candidates[RANK].to_numpy(), -scores, query_number))
        ranked = pd.DataFrame(
            {QUERY_ID: candidates[QUERY_ID].to_numpy()[order], ITEM_ID: candidates[ITEM_ID].to_numpy()[order]}
        )
        ranked[SCORE] = scores[order]
        ranked[RANK] = ranked.groupby(QUERY_ID, sort=False).cumcount().to_numpy() + 1
        ranked[MATCH] = candidates[MATCH].to_numpy()[order]
        return ranked[ranked[RANK] <= n].reset_index(drop=True)

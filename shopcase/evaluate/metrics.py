"""Top-K recommendation metrics, vectorised (factorised ids + ``np.bincount``, no per-user loop).

Inputs
------
``recs``: one row per recommended (user, item): ``user_id, item_id, rank`` (``score`` may
be present and is ignored). ``rank`` 1 is the best; only rows with ``rank <= k`` count.
A rank is the item's position in the list: ranks must be integers >= 1 and unique per
user; gaps are allowed (a missing position counts as a non-relevant slot).

``truth``: one row per relevant (user, item): ``user_id, item_id`` (other columns such
as ``rating`` are ignored). Relevance is binary: every truth row is relevant; filter
``truth`` beforehand to change that (e.g. purchases only).

Which users are averaged over
-----------------------------
Accuracy metrics are means over **every user in truth** ("never skip"): a truth user
with no recommendation within the top ``k`` scores 0 on every metric, they are not
dropped. Users with recommendations but no truth rows cannot be scored; they are
ignored. :func:`ranking_metrics` returns both counts (``n_users_without_recs``,
``n_rec_users_without_truth``) next to the metrics; :func:`per_user_metrics` gives
one row per truth user.

Microsoft Recommenders (``recommenders.evaluation.python_evaluation``) averages
precision, recall and MAP over the users present in *both* frames instead, so it
reports higher numbers when some truth users get no list. On inputs where every truth
user has a list, precision, recall, NDCG and both MAPs here equal theirs (tested).

Definitions (for one user; ``hits`` = recommended items within the top ``k`` that are
in the user's truth, ``R`` = number of truth items, ``rank`` as given):

* ``precision@k = hits / k`` (also when the list is shorter than ``k``: a short list
  cannot reach 1, as in recommenders and Spark);
* ``recall@k = hits / R`` (cannot reach 1 when ``R > k``);
* ``ndcg@k = DCG / IDCG``, ``DCG = sum over hits of 1 / log2(rank + 1)``, ``IDCG`` the
  DCG of ``min(R, k)`` hits at ranks ``1..min(R, k)``;
* average precision: ``AP_sum = sum over hits of (hits at or above this rank) / rank``,
  then two denominators - ``map_at_k(..., denominator='min_relevant_k')`` divides by
  ``min(R, k)`` (= recommenders' ``map_at_k``, Spark's ``meanAveragePrecisionAt``;
  reaches 1 for a perfect list) and ``denominator='relevant'`` divides by ``R``
  (= recommenders' ``map``; cannot reach 1 when ``R > k``);
* ``hit_rate@k = 1 if hits > 0 else 0``; ``mrr@k = 1 / rank of the first hit`` (0 if none).

Beyond-accuracy metrics (:func:`catalogue_coverage`, :func:`novelty`,
:func:`intra_list_diversity`, :func:`average_popularity`) need no truth; they use the
top ``k`` of every user in ``recs``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from shopcase.schema import CATEGORY, ITEM_ID, RANK, USER_ID
from shopcase.validate import check_id_kinds_match, check_int, check_no_missing, require_columns

Denominator = Literal["min_relevant_k", "relevant"]

RANKING_METRICS: tuple[str, ...] = (
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "map_at_k",
    "map_all_relevant_at_k",
    "hit_rate_at_k",
    "mrr_at_k",
)
"""Keys of the metric values in :func:`ranking_metrics`' result, in order."""


PER_USER_COLUMNS: dict[str, str] = {
    "precision_at_k": "precision_at_k",
    "recall_at_k": "recall_at_k",
    "ndcg_at_k": "ndcg_at_k",
    "ap_at_k": "map_at_k",
    "ap_all_relevant_at_k": "map_all_relevant_at_k",
    "hit_at_k": "hit_rate_at_k",
    "rr_at_k": "mrr_at_k",
}
"""``per_user_metrics`` columns renamed after the metric their mean is (``hit_at_k`` averages to ``hit_rate_at_k``)."""


# --- validation ------------------------------------------------------------------


def _check_recs(recs: pd.DataFrame, name: str = "recs") -> np.ndarray:
    """Validate a recommendations frame; return its ranks as int64."""
    require_columns(recs, [USER_ID, ITEM_ID, RANK], name)
    check_no_missing(recs, [USER_ID, ITEM_ID], name)
    ranks = recs[RANK]
    if not pd.api.types.is_numeric_dtype(ranks) or pd.api.types.is_bool_dtype(ranks):
        raise ValueError(f"{name}: column '{RANK}' must be numeric, got dtype {ranks.dtype}")
    values = ranks.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 1) | (values != np.floor(values))
    if bad.any():
        raise ValueError(
            f"{name}: column '{RANK}' has {int(bad.sum()):,} of {len(values):,} rows that are not "
            "integers >= 1 (missing, fractional or < 1)"
        )
    return values.astype(np.int64)


def _check_truth(truth: pd.DataFrame, name: str = "truth") -> None:
    require_columns(truth, [USER_ID, ITEM_ID], name)
    if len(truth) == 0:
        raise ValueError(f"{name} is empty: metrics need at least one relevant (user, item) row")
    check_no_missing(truth, [USER_ID, ITEM_ID], name)


def _n_duplicates(keys: np.ndarray) -> int:
    return len(keys) - len(pd.unique(keys))


def _check_unique_pairs(user_codes: np.ndarray, other: np.ndarray, n_other: int, what: str) -> None:
    """Raise if any (user, other) pair repeats; ``other`` takes values in ``[0, n_other)``."""
    if len(user_codes) == 0:
        return
    if (int(user_codes.max()) + 1) * n_other < 2**62:
        n_dup = _n_duplicates(user_codes.astype(np.int64) * n_other + other)
    else:  # the packed key would overflow int64
        n_dup = int(pd.DataFrame({"u": user_codes, "o": other}).duplicated().sum())
    if n_dup:
        raise ValueError(f"{what}: {n_dup:,} duplicate rows; each must appear once")


def _factorize_pair(first: pd.Series, second: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Codes for two id columns in one shared space; ``first``'s ids get the lowest codes."""
    codes, uniques = pd.factorize(pd.concat([first, second], ignore_index=True))
    return codes[: len(first)], codes[len(first) :], pd.Index(uniques)


# --- ranking (accuracy) metrics -----------------------------------------------------


def _ranking_arrays(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per-truth-user metric arrays (length = users in truth, truth order) and the user counts."""
    k = check_int(k, "k")
    ranks = _check_recs(recs)
    _check_truth(truth)
    for column in (USER_ID, ITEM_ID):
        check_id_kinds_match(recs[column], truth[column], f"column {column!r}: recs vs truth")

    # truth first, so truth users are exactly codes 0 .. n_users - 1
    truth_user, rec_user, user_index = _factorize_pair(truth[USER_ID], recs[USER_ID])
    truth_item, rec_item, item_index = _factorize_pair(truth[ITEM_ID], recs[ITEM_ID])
    n_users = int(truth_user.max()) + 1
    n_items = len(item_index)
    _check_unique_pairs(truth_user, truth_item, n_items, "truth has repeated (user_id, item_id) pairs")
    _check_unique_pairs(rec_user, rec_item, n_items, "recs has repeated (user_id, item_id) pairs")
    if len(ranks):
        _check_unique_pairs(rec_user, ranks, int(ranks.max()) + 1, "recs has repeated ranks for a user")

    # Packed (user, item) keys: both codes are below the row count, so the product fits int64.
    truth_key = truth_user.astype(np.int64) * n_items + truth_item
    keep = (ranks <= k) & (rec_user < n_users)
    top_user, top_rank = rec_user[keep], ranks[keep]
    top_key = top_user.astype(np.int64) * n_items + rec_item[keep]
    hit = pd.Series(top_key).isin(pd.Series(truth_key)).to_numpy()
    hit_user, hit_rank = top_user[hit], top_rank[hit]
    order = np.lexsort((hit_rank, hit_user))  # each user's hits, best rank first
    hit_user, hit_rank = hit_user[order], hit_rank[order]
    first_hit = np.ones(len(hit_user), dtype=bool)
    first_hit[1:] = hit_user[1:] != hit_user[:-1]
    run_start = np.maximum.accumulate(np.where(first_hit, np.arange(len(hit_user)), 0))
    hits_so_far = np.arange(len(hit_user)) - run_start + 1  # 1-based count of hits at or above this rank

    n_relevant = np.bincount(truth_user, minlength=n_users)
    n_listed = np.bincount(top_user, minlength=n_users)
    hits = np.bincount(hit_user, minlength=n_users)
    dcg = np.bincount(hit_user, weights=1.0 / np.log2(hit_rank + 1.0), minlength=n_users)
    # ideal[m] = DCG of m hits at ranks 1..m
    ideal = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2, dtype=float)))])
    capped = np.minimum(n_relevant, k)
    ap_sum = np.bincount(hit_user, weights=hits_so_far / hit_rank, minlength=n_users)
    rr = np.bincount(hit_user[first_hit], weights=1.0 / hit_rank[first_hit], minlength=n_users)

    per_user = {
        "n_relevant": n_relevant,
        "n_recommended": n_listed,
        "hits": hits,
        "precision_at_k": hits / k,
        "recall_at_k": hits / n_relevant,
        "ndcg_at_k": dcg / ideal[capped],
        "ap_at_k": ap_sum / capped,
        "ap_all_relevant_at_k": ap_sum / n_relevant,
        "hit_at_k": (hits > 0).astype(float),
        "rr_at_k": rr,
    }
    counts = {
        "k": k,
        "n_users": n_users,
        "n_users_without_recs": int((n_listed == 0).sum()),
        "n_rec_users_without_truth": len(user_index) - n_users,
    }
    per_user[USER_ID] = user_index[:n_users]
    return per_user, counts


def ranking_metrics(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> dict[str, float | int]:
    """All accuracy metrics at ``k`` in one pass (one factorisation, one membership test).

    ``recs``: ``user_id, item_id, rank`` (+ ignored ``score``), N rows; ``truth``:
    ``user_id, item_id`` (+ ignored columns), M rows. Returns a flat dict:
    ``k``; ``n_users`` (truth users, the denominator of every mean);
    ``n_users_without_recs`` (truth users with no rec within the top ``k``: they score 0);
    ``n_rec_users_without_truth`` (users only in recs: ignored); then the means over
    truth users of ``precision_at_k``, ``recall_at_k``, ``ndcg_at_k``, ``map_at_k``
    (AP divided by ``min(R, k)``, = recommenders ``map_at_k``), ``map_all_relevant_at_k``
    (AP divided by ``R``, = recommenders ``map``), ``hit_rate_at_k``, ``mrr_at_k``; all in
    [0, 1]. ``pd.DataFrame([result])`` makes it a one-row table.

    Raises ``ValueError`` on missing columns, missing ids, non-integer or < 1 ranks,
    ``k`` not a positive integer, repeated (user, item) pairs in either frame, repeated
    ranks within a user, id columns of different kinds (numbers vs strings) or an empty
    ``truth``. An empty ``recs`` is valid: every metric is 0.
    """
    per_user, counts = _ranking_arrays(recs, truth, k)
    result: dict[str, float | int] = dict(counts)
    result.update({mean: float(per_user[column].mean()) for column, mean in PER_USER_COLUMNS.items()})
    return result


def per_user_metrics(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> pd.DataFrame:
    """One row per truth user (index ``user_id``, order of first appearance in ``truth``).

    Columns: ``n_relevant`` (R), ``n_recommended`` (rows with rank <= k), ``hits``,
    ``precision_at_k``, ``recall_at_k``, ``ndcg_at_k``, ``ap_at_k`` (/ min(R, k)),
    ``ap_all_relevant_at_k`` (/ R), ``hit_at_k``, ``rr_at_k``. Column means are the
    values of :func:`ranking_metrics`. Same inputs and errors as :func:`ranking_metrics`.
    """
    per_user, _ = _ranking_arrays(recs, truth, k)
    index = per_user.pop(USER_ID).rename(USER_ID)
    return pd.DataFrame(per_user, index=index)


def precision_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> float:
    """Mean over truth users of hits in the top ``k`` / ``k``; see :func:`ranking_metrics`."""
    return float(ranking_metrics(recs, truth, k)["precision_at_k"])


def recall_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> float:
    """Mean over truth users of hits in the top ``k`` / number of truth items; see :func:`ranking_metrics`."""
    return float(ranking_metrics(recs, truth, k)["recall_at_k"])


def ndcg_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> float:
    """Mean over truth users of binary NDCG with a log2 discount; see :func:`ranking_metrics`."""
    return float(ranking_metrics(recs, truth, k)["ndcg_at_k"])


def map_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int, *, denominator: Denominator = "min_relevant_k") -> float:
    """Mean average precision at ``k`` over truth users.

    ``denominator='min_relevant_k'`` (default) divides each user's AP sum by
    ``min(R, k)``: equals recommenders' ``map_at_k`` and Spark's
    ``meanAveragePrecisionAt(k)``; a perfect list scores 1. ``denominator='relevant'``
    divides by ``R``: equals recommenders' ``map`` (their MAP since 1.2.0); a user with
    more than ``k`` truth items cannot reach 1. See :func:`ranking_metrics`.
    """
    keys = {"min_relevant_k": "map_at_k", "relevant": "map_all_relevant_at_k"}
    if denominator not in keys:
        raise ValueError(f"denominator must be one of {list(keys)}, got {denominator!r}")
    return float(ranking_metrics(recs, truth, k)[keys[denominator]])


def hit_rate_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> float:
    """Share of truth users with at least one truth item in their top ``k``; see :func:`ranking_metrics`."""
    return float(ranking_metrics(recs, truth, k)["hit_rate_at_k"])


def mrr_at_k(recs: pd.DataFrame, truth: pd.DataFrame, k: int) -> float:
    """Mean over truth users of 1 / rank of the first hit in the top ``k`` (0 without a hit)."""
    return float(ranking_metrics(recs, truth, k)["mrr_at_k"])


# --- beyond-accuracy metrics -------------------------------------------------------


def _top_k(recs: pd.DataFrame, k: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Validated top-``k`` rows of ``recs`` and their user codes (0 .. users - 1)."""
    k = check_int(k, "k")
    ranks = _check_recs(recs)
    if len(recs) == 0:
        raise ValueError("recs is empty: beyond-accuracy metrics need at least one recommendation")
    users, user_index = pd.factorize(recs[USER_ID])
    items, item_index = pd.factorize(recs[ITEM_ID])
    _check_unique_pairs(users, items, len(item_index), "recs has repeated (user_id, item_id) pairs")
    _check_unique_pairs(users, ranks, int(ranks.max()) + 1, "recs has repeated ranks for a user")
    keep = ranks <= k
    if not keep.any():
        raise ValueError(f"recs has no row with rank <= k={k}")
    top = recs.loc[keep, [USER_ID, ITEM_ID]]
    # re-code so the users with a top-k row are 0 .. n - 1
    codes, _ = pd.factorize(users[keep])
    return top, codes


def _item_ids(catalogue: pd.DataFrame | pd.Series | pd.Index | Iterable[object], name: str) -> pd.Index:
    if isinstance(catalogue, pd.DataFrame):
        require_columns(catalogue, [ITEM_ID], name)
        values = catalogue[ITEM_ID]
    elif isinstance(catalogue, (pd.Series, pd.Index, np.ndarray)):
        values = catalogue
    else:
        values = list(catalogue)
    index = pd.Index(pd.unique(pd.Series(values)))
    if index.hasnans:
        raise ValueError(f"{name} contains missing (NaN) item ids")
    if len(index) == 0:
        raise ValueError(f"{name} is empty")
    return index


def _per_user_mean(codes: np.ndarray, values: np.ndarray) -> float:
    """Mean over users of each user's mean value (every user weighs the same, whatever the list length)."""
    sums = np.bincount(codes, weights=values)
    sizes = np.bincount(codes)
    return float(np.mean(sums / sizes))


def catalogue_coverage(
    recs: pd.DataFrame, catalogue: pd.DataFrame | pd.Series | pd.Index | Iterable[object], k: int
) -> float:
    """Distinct items recommended in anyone's top ``k`` / number of catalogue items, in [0, 1].

    ``catalogue``: the items that could be recommended, given explicitly - a frame with
    ``item_id`` (e.g. the catalogue table) or any collection of item ids (a set: repeats
    count once). A recommended item absent from the catalogue raises ``ValueError``
    (it would push coverage above what the catalogue allows).
    """
    top, _ = _top_k(recs, k)
    items = _item_ids(catalogue, "catalogue")
    check_id_kinds_match(top[ITEM_ID], items.to_series(), f"column {ITEM_ID!r}: recs vs catalogue")
    recommended = pd.Index(pd.unique(top[ITEM_ID]))
    unknown = recommended[items.get_indexer(recommended) < 0]
    if len(unknown):
        raise ValueError(
            f"recs has {len(unknown):,} recommended item(s) not in the catalogue, e.g. {unknown[:5].tolist()}"
        )
    return len(recommended) / len(items)


def _train_popularity(recs: pd.DataFrame, train: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Per top-k row: user code and number of distinct training users of its item; and the training user count."""
    top, codes = _top_k(recs, k)
    require_columns(train, [USER_ID, ITEM_ID], "train")
    if len(train) == 0:
        raise ValueError("train is empty: popularity needs training interactions")
    check_no_missing(train, [USER_ID, ITEM_ID], "train")
    check_id_kinds_match(top[ITEM_ID], train[ITEM_ID], f"column {ITEM_ID!r}: recs vs train")
    train_users, _ = pd.factorize(train[USER_ID])
    rec_items, train_items, _ = _factorize_pair(top[ITEM_ID], train[ITEM_ID])
    n_items = int(max(rec_items.max(), train_items.max())) + 1
    # distinct users per item: count each (user, item) pair once, whatever repeats train has
    pairs = pd.unique(train_users.astype(np.int64) * n_items + train_items)
    users_per_item = np.bincount(pairs % n_items, minlength=n_items)
    return codes, users_per_item[rec_items], int(train_users.max()) + 1


def novelty(recs: pd.DataFrame, train: pd.DataFrame, k: int) -> float:
    """Mean self-information ``-log2 p(i)`` of recommended items, in bits (>= 0).

    ``p(i)`` = share of training users (distinct ``user_id`` in ``train``) who
    interacted with ``i``; repeated (user, item) rows in ``train`` count once. Averaged
    over each user's top ``k``, then over users in ``recs`` (each user weighs the same).
    An item nobody interacted with in ``train`` would have infinite novelty; it gets
    ``log2(n_train_users + 1)`` instead, as if one extra user had seen it - strictly more
    novel than any training item (at most ``log2(n_train_users)``). How many such rows
    there were is in :func:`beyond_accuracy_metrics` (``n_recs_unseen_in_train``).
    """
    codes, users_per_item, n_train_users = _train_popularity(recs, train, k)
    return _per_user_mean(codes, _self_information(users_per_item, n_train_users))


def _self_information(users_per_item: np.ndarray, n_train_users: int) -> np.ndarray:
    seen = users_per_item > 0
    return np.where(seen, np.log2(n_train_users) - np.log2(np.maximum(users_per_item, 1)), np.log2(n_train_users + 1))


def average_popularity(recs: pd.DataFrame, train: pd.DataFrame, k: int) -> float:
    """Average recommendation popularity (ARP): number of distinct training users per recommended item.

    Averaged over each user's top ``k``, then over users in ``recs``; an item absent
    from ``train`` counts 0. In users (not a share): compare models on the same train.
    """
    codes, users_per_item, _ = _train_popularity(recs, train, k)
    return _per_user_mean(codes, users_per_item.astype(float))


def _categories(item_categories: pd.Series | pd.DataFrame | Mapping[object, object]) -> pd.Series:
    """Item -> category as a Series indexed by unique item id."""
    if isinstance(item_categories, pd.DataFrame):
        require_columns(item_categories, [ITEM_ID, CATEGORY], "item_categories")
        mapping = item_categories.set_index(ITEM_ID)[CATEGORY]
    elif isinstance(item_categories, pd.Series):
        mapping = item_categories
    elif isinstance(item_categories, Mapping):
        mapping = pd.Series(dict(item_categories))
    else:
        raise ValueError(
            "item_categories must be a Series (index item_id), a frame with item_id and category, or a dict; "
            f"got {type(item_categories).__name__}"
        )
    if mapping.index.has_duplicates:
        dups = mapping.index[mapping.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"item_categories lists some items more than once, e.g. {dups}")
    if len(mapping) == 0:
        raise ValueError("item_categories is empty")
    return mapping


def _intra_list(recs: pd.DataFrame, item_categories: object, k: int) -> tuple[float, int]:
    top, codes = _top_k(recs, k)
    mapping = _categories(item_categories)
    check_id_kinds_match(top[ITEM_ID], mapping.index.to_series(), f"column {ITEM_ID!r}: recs vs item_categories")
    position = mapping.index.get_indexer(top[ITEM_ID])
    category = mapping.to_numpy()[np.maximum(position, 0)]
    missing = (position < 0) | pd.isna(category)
    if missing.any():
        examples = pd.unique(top[ITEM_ID].to_numpy()[missing])[:5].tolist()
        raise ValueError(
            f"{int(missing.sum()):,} recommended rows have no category (absent from item_categories or NaN), "
            f"e.g. items {examples}"
        )
    cat_codes, cat_index = pd.factorize(category)
    n_cats = len(cat_index)
    # same-category pairs per user = sum over categories of C(n_uc, 2), from (user, category) counts
    user_cat, per_pair = np.unique(codes.astype(np.int64) * n_cats + cat_codes, return_counts=True)
    same = np.bincount(user_cat // n_cats, weights=per_pair * (per_pair - 1) / 2.0)
    length = np.bincount(codes).astype(float)
    pairs = length * (length - 1) / 2.0
    scored = length >= 2
    n_short = int((~scored).sum())
    if not scored.any():
        raise ValueError(f"no user has 2 or more recommendations within k={k}: intra-list diversity is undefined")
    return float(np.mean(1.0 - same[scored] / pairs[scored])), n_short


def intra_list_diversity(
    recs: pd.DataFrame, item_categories: pd.Series | pd.DataFrame | Mapping[object, object], k: int
) -> float:
    """Mean over users of the share of item pairs in their top ``k`` that differ in category, in [0, 1].

    ``item_categories``: ``item_id -> category`` as a Series indexed by item id, a frame
    with ``item_id`` and ``category`` (e.g. the catalogue) or a dict. For a list of ``n``
    items: ``1 - (pairs in the same category) / (n * (n - 1) / 2)``. Lists with fewer
    than 2 items have no pair: they are left out of the mean (their number is
    ``n_users_short_lists`` in :func:`beyond_accuracy_metrics`). A recommended item
    without a category raises ``ValueError``.
    """
    return _intra_list(recs, item_categories, k)[0]


def beyond_accuracy_metrics(
    recs: pd.DataFrame,
    k: int,
    *,
    train: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | pd.Series | pd.Index | Iterable[object] | None = None,
    item_categories: pd.Series | pd.DataFrame | Mapping[object, object] | None = None,
) -> dict[str, float | int]:
    """Every beyond-accuracy metric whose inputs are given, plus the counts behind them.

    Always: ``k``, ``n_rec_users`` (users with a row of rank <= k). With ``catalogue``:
    ``catalogue_coverage``. With ``train``: ``novelty``, ``average_popularity``,
    ``n_recs_unseen_in_train`` (top-k rows, i.e. list slots, whose item has no training interaction)
    and ``n_items_unseen_in_train`` (how many distinct such items the lists show). With
    ``item_categories``: ``intra_list_diversity`` and ``n_users_short_lists`` (users with
    fewer than 2 items, left out of it). Same definitions and errors as the single functions.
    """
    top, codes = _top_k(recs, k)
    result: dict[str, float | int] = {"k": int(k), "n_rec_users": int(codes.max()) + 1}
    if catalogue is not None:
        result["catalogue_coverage"] = catalogue_coverage(recs, catalogue, k)
    if train is not None:
        user_codes, users_per_item, n_train_users = _train_popularity(recs, train, k)
        result["novelty"] = _per_user_mean(user_codes, _self_information(users_per_item, n_train_users))
        result["average_popularity"] = _per_user_mean(user_codes, users_per_item.astype(float))
        unseen = users_per_item == 0
        result["n_recs_unseen_in_train"] = int(unseen.sum())
        result["n_items_unseen_in_train"] = int(pd.unique(top[ITEM_ID].to_numpy()[unseen]).size)
    if item_categories is not None:
        result["intra_list_diversity"], result["n_users_short_lists"] = _intra_list(recs, item_categories, k)
    return result

"""What counts as a correct recommendation: the truth frame built from held-out events."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from shopcase.schema import EVENT_TYPE, EVENTS_COLUMNS, ITEM_ID, PURCHASE, USER_ID
from shopcase.validate import require_columns, validate_frame


def purchase_truth(
    test_events: pd.DataFrame,
    train_interactions: pd.DataFrame | None = None,
    new_items_only: bool = False,
    users: Iterable[object] | None = None,
) -> pd.DataFrame:
    """Distinct (user, item) purchases in ``test_events``: ``user_id, item_id``, sorted.

    ``new_items_only=True`` keeps items the user had no interaction with in
    ``train_interactions`` (the *discovery* task, paired with ``exclude_seen=True``);
    ``users`` restricts the truth to those users (e.g. users known at training time).
    Raises ``ValueError`` when nothing is left, rather than scoring on an empty truth.
    """
    events = validate_frame(test_events, EVENTS_COLUMNS, "test_events")
    purchases = events.loc[events[EVENT_TYPE].astype(str) == PURCHASE, [USER_ID, ITEM_ID]]
    truth = purchases.drop_duplicates()
    if users is not None:
        truth = truth[truth[USER_ID].isin(pd.Index(users))]
    if new_items_only:
        if train_interactions is None:
            raise ValueError("new_items_only=True needs train_interactions to know what each user has seen")
        require_columns(train_interactions, [USER_ID, ITEM_ID], "train_interactions")
        seen = pd.MultiIndex.from_frame(train_interactions[[USER_ID, ITEM_ID]])
        truth = truth[~pd.MultiIndex.from_frame(truth).isin(seen)]
    if truth.empty:
        raise ValueError("the truth is empty: no test purchases are left to score against")
    return truth.sort_values([USER_ID, ITEM_ID], ignore_index=True)


def hide_answers(interactions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``interactions`` without any row whose (user, item) pair is in ``truth``: everything but the answers.

    Built from the *whole* log, this is the training set of a leaky evaluation that keeps the honest task:
    the model is scored on the same ``truth`` as an honest, past-only model, but learns from everything else
    the customers did, before and after the test period began (what a random split leaks). Comparing the two
    measures leakage alone. Rows keep their order and index.
    """
    require_columns(interactions, [USER_ID, ITEM_ID], "interactions")
    require_columns(truth, [USER_ID, ITEM_ID], "truth")
    answers = pd.MultiIndex.from_frame(truth[[USER_ID, ITEM_ID]])
    return interactions[~pd.MultiIndex.from_frame(interactions[[USER_ID, ITEM_ID]]).isin(answers)]


def share_in_favourite_category(
    recs: pd.DataFrame, item_category: pd.Series, favourite_category: pd.Series, by_user: bool = False
) -> float | pd.Series:
    """Share of recommended items in their user's favourite category (a check against hidden truth).

    ``item_category`` maps item_id -> category, ``favourite_category`` user_id -> category
    (e.g. the generated shop's ``users.favourite_category``). Returns the share over all rows of ``recs``;
    with ``by_user=True``, each user's own share instead (a Series indexed by ``user_id``, in order of first
    appearance), the input of a paired bootstrap over users. Raises ``ValueError`` for items or users missing
    from those maps.
    """
    require_columns(recs, [USER_ID, ITEM_ID], "recs")
    if recs.empty:
        raise ValueError("recs is empty")
    item_cat = item_category.reindex(recs[ITEM_ID]).astype(str).to_numpy()
    user_cat = favourite_category.reindex(recs[USER_ID]).astype(str).to_numpy()
    for name, values in (
        ("item_category", item_category.reindex(recs[ITEM_ID])),
        ("favourite_category", favourite_category.reindex(recs[USER_ID])),
    ):
        if values.isna().any():
            raise ValueError(f"{name} has no entry for {int(values.isna().sum()):,} recommended rows")
    same = pd.Series(item_cat == user_cat, index=recs.index, dtype=float)
    if by_user:
        return same.groupby(recs[USER_ID].to_numpy(), sort=False).mean().rename_axis(USER_ID)
    return float(same.mean())

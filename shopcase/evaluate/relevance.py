"""What counts as a correct recommendation: the truth frame built from held-out events."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from shopcase.schema import EVENTS_COLUMNS
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
    purchases = events.loc[events["event_type"].astype(str) == "purchase", ["user_id", "item_id"]]
    truth = purchases.drop_duplicates()
    if users is not None:
        truth = truth[truth["user_id"].isin(pd.Index(users))]
    if new_items_only:
        if train_interactions is None:
            raise ValueError("new_items_only=True needs train_interactions to know what each user has seen")
        require_columns(train_interactions, ["user_id", "item_id"], "train_interactions")
        seen = pd.MultiIndex.from_frame(train_interactions[["user_id", "item_id"]])
        truth = truth[~pd.MultiIndex.from_frame(truth).isin(seen)]
    if truth.empty:
        raise ValueError("the truth is empty: no test purchases are left to score against")
    return truth.sort_values(["user_id", "item_id"], ignore_index=True)


def share_in_favourite_category(recs: pd.DataFrame, item_category: pd.Series, favourite_category: pd.Series) -> float:
    """Share of recommended items in their user's favourite category (a check against hidden truth).

    ``item_category`` maps item_id -> category, ``favourite_category`` user_id -> category
    (e.g. the generated shop's ``users.favourite_category``). Raises ``ValueError`` for items or
    users missing from those maps.
    """
    require_columns(recs, ["user_id", "item_id"], "recs")
    if recs.empty:
        raise ValueError("recs is empty")
    item_cat = item_category.reindex(recs["item_id"]).astype(str).to_numpy()
    user_cat = favourite_category.reindex(recs["user_id"]).astype(str).to_numpy()
    for name, values in (
        ("item_category", item_category.reindex(recs["item_id"])),
        ("favourite_category", favourite_category.reindex(recs["user_id"])),
    ):
        if values.isna().any():
            raise ValueError(f"{name} has no entry for {int(values.isna().sum()):,} recommended rows")
    return float((item_cat == user_cat).mean())

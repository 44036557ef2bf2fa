"""Business rules a merchandiser puts on top of a model's ranking, applied after scoring.

``BusinessRules`` says which items never show (out of stock, banned), which pairs a user already bought
(beyond the interactions the model was fitted on), which items are pinned to the top, and how many items
of one category a list may hold. ``recommend_with_rules`` returns, for each user, exactly the first ``n``
items of the model's own ranking that pass the rules: it asks the model for a few more candidates than
``n``, filters them, and asks again with a longer list only for the users the filters left short (a
model whose list ends early has nothing more to give). Every step is vectorised over a chunk of users.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopcase.schema import CATEGORY, ITEM_ID, RANK, SCORE, USER_ID
from shopcase.serve.artifacts import data_fingerprint
from shopcase.validate import as_id_index, check_int, require_columns

SOURCE = "source"
"""Column saying where a recommended item came from."""
SOURCES: tuple[str, ...] = ("model", "pinned", "cold-start")
"""``model``: the user's personal ranking; ``pinned``: placed by the merchandiser; ``cold-start``: an unknown
user's popularity list."""
RULES_COLUMNS: list[str] = [USER_ID, ITEM_ID, SCORE, RANK, SOURCE]


@dataclass(frozen=True)
class BusinessRules:
    """What may be shown, and where.

    Parameters
    ----------
    out_of_stock, banned : collections of item ids
        Never recommended (nor pinned).
    pinned : sequence of item ids
        Shown first, in this order, to every user (skipping items out of stock, banned or already bought
        by that user); pins count towards ``max_per_category`` but are never dropped by it.
    max_per_category : int, optional
        At most this many items of one category in a list; needs ``item_category``.
    item_category : Series or mapping, optional
        Category of each item id. Items it does not list fall in one category of their own, ``None``.
    bought : DataFrame, optional
        ``user_id, item_id`` pairs to exclude per user, e.g. purchases since the model was trained
        (the model's ``exclude_seen`` already removes the pairs it was fitted on).
    """

    out_of_stock: Collection[object] = ()
    banned: Collection[object] = ()
    pinned: Sequence[object] = ()
    max_per_category: int | None = None
    item_category: pd.Series | Mapping[object, object] | None = field(default=None, repr=False)
    bought: pd.DataFrame | None = field(default=None, repr=False)

    def validated(self) -> BusinessRules:
        """Return self if consistent, else raise ``ValueError`` naming the field."""
        pinned = as_id_index(list(self.pinned), "pinned")  # unique, not missing
        blocked = self.blocked()
        clash = pinned[pinned.isin(blocked)]
        if len(clash):
            raise ValueError(f"pinned items {clash[:5].tolist()} are also out of stock or banned")
        if self.max_per_category is not None:
            check_int(self.max_per_category, "max_per_category")
            if self.item_category is None:
                raise ValueError("max_per_category needs item_category (the category of each item id)")
        if self.item_category is not None and not isinstance(self.item_category, (pd.Series, Mapping)):
            raise ValueError("item_category must be a Series or mapping item_id -> category")
        if self.bought is not None:
            require_columns(self.bought, [USER_ID, ITEM_ID], "bought")
        return self

    def blocked(self) -> pd.Index:
        """Item ids never shown: out of stock or banned."""
        for name in ("out_of_stock", "banned"):
            if isinstance(getattr(self, name), (str, bytes)):
                raise ValueError(f"{name} must be a collection of item ids, not one string")
        return pd.Index(list(self.out_of_stock) + list(self.banned)).unique()

    def categories(self) -> pd.Series | None:
        if self.item_category is None:
            return None
        series = self.item_category if isinstance(self.item_category, pd.Series) else pd.Series(self.item_category)
        if series.index.has_duplicates:
            raise ValueError("item_category lists an item id more than once")
        return series

    def is_empty(self) -> bool:
        """True when no rule is set (the model's ranking is used as it is)."""
        return (
            not (self.out_of_stock or self.banned or self.pinned)
            and self.max_per_category is None
            and (self.bought is None or len(self.bought) == 0)
        )

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary (what a batch run records, so a resumed run can check it is the same)."""
        categories = self.categories()
        return {
            "out_of_stock": sorted(map(str, self.out_of_stock)),
            "banned": sorted(map(str, self.banned)),
            "pinned": [str(p) for p in self.pinned],
            "max_per_category": self.max_per_category,
            "item_category": None if categories is None else data_fingerprint(categories.astype(str)),
            "bought": None if self.bought is None else data_fingerprint(self.bought[[USER_ID, ITEM_ID]]),
        }


NO_RULES = BusinessRules()


def _pair_keys(
    users: np.ndarray, items: np.ndarray, user_index: pd.Index, item_index: pd.Index, missing: int
) -> np.ndarray:
    """One int64 per (user, item) pair of known ids; ``missing`` (negative) where either id is unknown."""
    u, i = user_index.get_indexer(users), item_index.get_indexer(items)
    return np.where((u >= 0) & (i >= 0), u.astype(np.int64) * max(len(item_index), 1) + i, missing)


def _filter(candidates: pd.DataFrame, rules: BusinessRules, blocked: pd.Index) -> pd.DataFrame:
    """Drop blocked items and already-bought pairs (keeps order)."""
    keep = ~candidates[ITEM_ID].isin(blocked).to_numpy()
    if rules.bought is not None and len(rules.bought) and len(candidates):
        users = pd.Index(candidates[USER_ID].unique())
        mine = rules.bought[rules.bought[USER_ID].isin(users)]
        if len(mine):
            items = pd.Index(pd.concat([mine[ITEM_ID], candidates[ITEM_ID]]).unique())
            bought = _pair_keys(mine[USER_ID].to_numpy(), mine[ITEM_ID].to_numpy(), users, items, -2)
            pairs = _pair_keys(candidates[USER_ID].to_numpy(), candidates[ITEM_ID].to_numpy(), users, items, -1)
            keep &= ~np.isin(pairs, bought)
    return candidates[keep]


def _seen_pins(model, users: pd.Index, pinned: pd.Index) -> np.ndarray:
    """Mask ``len(users) x len(pinned)``: the user interacted with the pinned item in the model's training data."""
    rows, cols = model.user_index_.get_indexer(users), model.item_index_.get_indexer(pinned)
    seen = np.zeros((len(users), len(pinned)), dtype=bool)
    known_rows, known_cols = np.flatnonzero(rows >= 0), np.flatnonzero(cols >= 0)
    if len(known_rows) and len(known_cols):
        block = model.user_items_[rows[known_rows]][:, cols[known_cols]].toarray() > 0
        seen[np.ix_(known_rows, known_cols)] = block
    return seen


def _with_pins(
    lists: pd.DataFrame, users: pd.Index, rules: BusinessRules, blocked: pd.Index, model, exclude_seen: bool
) -> pd.DataFrame:
    """Pinned rows (per user, in pin order) before each user's model rows; pinned items leave the model rows.

    A pin is not shown to a user who already has it: in ``rules.bought``, or (with ``exclude_seen``) in the
    model's training interactions, as for the model's own items.
    """
    pinned = pd.Index(list(rules.pinned))
    pinned = pinned[~pinned.isin(blocked)]
    if len(pinned) == 0:
        return lists
    pins = pd.DataFrame(
        {
            USER_ID: np.repeat(users.to_numpy(), len(pinned)),
            ITEM_ID: np.tile(pinned.to_numpy(), len(users)),
            SCORE: np.nan,
            RANK: np.tile(np.arange(len(pinned)), len(users)) - len(pinned),  # before every model rank
            SOURCE: "pinned",
        }
    )
    if exclude_seen:
        pins = pins[~_seen_pins(model, users, pinned).ravel()]
    pins = _filter(pins, rules, pd.Index([]))  # a pin the user already bought is not shown to them
    lists = lists[~lists[ITEM_ID].isin(pinned)]
    order = pd.Index(users)
    both = pd.concat([pins, lists], ignore_index=True)
    position = order.get_indexer(both[USER_ID])
    return both.iloc[np.lexsort((both[RANK].to_numpy(), position))]


def _cap_categories(lists: pd.DataFrame, rules: BusinessRules) -> pd.DataFrame:
    """Keep at most ``max_per_category`` rows per (user, category), in list order; pins always stay."""
    if rules.max_per_category is None or len(lists) == 0:
        return lists
    categories = rules.categories()
    category = categories.reindex(lists[ITEM_ID].to_numpy()).to_numpy()
    codes = pd.factorize(pd.Series(category, dtype=object), use_na_sentinel=False)[0]
    users = pd.factorize(lists[USER_ID])[0]
    seen = pd.Series(users * (codes.max() + 1) + codes).groupby(users * (codes.max() + 1) + codes).cumcount()
    keep = (seen.to_numpy() < int(rules.max_per_category)) | (lists[SOURCE].to_numpy() == "pinned")
    return lists[keep]


def _one_pass(model, users: pd.Index, n: int, size: int, rules: BusinessRules, blocked, exclude_seen: bool):
    """The rules applied to each user's top ``size``: ``(lists, users whose ``size`` candidates ran out)``."""
    candidates = model.recommend(users, n=size, exclude_seen=exclude_seen)
    counts = candidates.groupby(USER_ID, sort=False).size().reindex(users, fill_value=0)
    full = counts.index[counts.to_numpy() >= size]  # the model may have more for these
    lists = _filter(candidates, rules, blocked).assign(**{SOURCE: "model"})
    lists = _with_pins(lists, users, rules, blocked, model, exclude_seen)
    lists = _cap_categories(lists, rules)
    lists = lists[lists.groupby(USER_ID, sort=False).cumcount().to_numpy() < n]
    got = lists.groupby(USER_ID, sort=False).size().reindex(users, fill_value=0)
    short = got.index[got.to_numpy() < n]
    return lists, short[short.isin(full)]


def recommend_with_rules(
    model,
    user_ids: object,
    n: int = 10,
    rules: BusinessRules | None = None,
    exclude_seen: bool = True,
    candidates: int | None = None,
) -> pd.DataFrame:
    """The top ``n`` items of ``model``'s ranking for each user that pass ``rules``.

    Returns ``user_id, item_id, score, rank, source`` (``rank`` 1..n after the rules; ``score`` is the
    model's, NaN for pinned items; ``source`` in ``SOURCES``), users in request order. A list is shorter
    than ``n`` only when the model's whole ranking has fewer items passing the rules. ``candidates`` is how
    many items to ask the model for at first (default: ``n`` without rules, else ``2n`` plus the pins);
    users left short are asked again with four times as many, until the model's list runs out.
    """
    n = check_int(n, "n")
    rules = (rules or NO_RULES).validated()
    users = as_id_index(user_ids, "user_ids")
    blocked = rules.blocked()
    if candidates is not None:
        size = max(check_int(candidates, "candidates"), n)
    else:
        size = n if rules.is_empty() else 2 * n + len(rules.pinned)
    n_items = len(model.item_ids_)
    parts, todo = [], users
    while len(todo):
        lists, short = _one_pass(model, todo, n, min(size, n_items), rules, blocked, exclude_seen)
        if size >= n_items:
            short = short[:0]
        parts.append(lists[~lists[USER_ID].isin(short)])
        todo, size = short, size * 4
    if not parts:  # no users asked for
        parts.append(model.recommend(users, n=n).assign(**{SOURCE: "model"}))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    order = users.get_indexer(out[USER_ID])
    out = out.iloc[np.lexsort((out[RANK].to_numpy(), order))].reset_index(drop=True)
    out[RANK] = out.groupby(USER_ID, sort=False).cumcount().to_numpy(dtype=np.int64) + 1
    cold = model.user_index_.get_indexer(out[USER_ID]) < 0
    source = np.where(cold & (out[SOURCE].to_numpy() == "model"), "cold-start", out[SOURCE].to_numpy())
    out[SOURCE] = pd.Categorical(source, categories=list(SOURCES))
    out[SCORE] = out[SCORE].astype(np.float64)
    return out[RULES_COLUMNS]


def category_lookup(catalogue: pd.DataFrame) -> pd.Series:
    """``item_id -> category`` from a catalogue (``item_id, category``)."""
    require_columns(catalogue, [ITEM_ID, CATEGORY], "catalogue")
    return catalogue.set_index(ITEM_ID)[CATEGORY]


def category_concentration(lists: pd.DataFrame, item_category: pd.Series) -> pd.Series:
    """Items from each list's most frequent category, per ``user_id`` (what ``max_per_category`` bounds)."""
    require_columns(lists, [USER_ID, ITEM_ID], "lists")
    category = item_category.reindex(lists[ITEM_ID].to_numpy()).to_numpy()
    pairs = pd.DataFrame({USER_ID: lists[USER_ID].to_numpy(), CATEGORY: pd.Series(category, dtype=object)})
    return pairs.groupby([USER_ID, CATEGORY], dropna=False).size().groupby(level=0).max().rename("most_per_category")

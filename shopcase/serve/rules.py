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
GROWTH = 2
"""Each further pass asks the users left short for this many times more candidates."""
MODEL, PINNED, COLD = range(3)
"""Codes of ``SOURCES`` while the rules run."""


@dataclass(frozen=True)
class _Context:
    """The rules as arrays over the model's item indices, built once per call."""

    item_ids: pd.Index  # the model's items, then pinned items the model does not know (new in the catalogue)
    blocked: np.ndarray  # bool per item: out of stock or banned
    pinned: np.ndarray  # item indices of the pins that can be shown, in pin order
    is_pinned: np.ndarray  # bool per item
    category: np.ndarray | None  # int code per item (items without a category share one code)
    n_categories: int


def _context(model, rules: BusinessRules) -> _Context:
    pinned = pd.Index(list(rules.pinned))
    # A merchandiser may pin an item the model has never seen (new in the catalogue): it gets an index
    # after the model's items, so the rules can handle it like any other.
    item_index: pd.Index = model.item_index_.append(pinned[model.item_index_.get_indexer(pinned) < 0])
    n_items = len(item_index)
    blocked = np.zeros(n_items, dtype=bool)
    rows = item_index.get_indexer(rules.blocked())
    blocked[rows[rows >= 0]] = True
    pins = item_index.get_indexer(pinned)
    pins = pins[~blocked[pins]]
    is_pinned = np.zeros(n_items, dtype=bool)
    is_pinned[pins] = True
    category, n_categories = None, 0
    if rules.max_per_category is not None:
        values = rules.categories().reindex(item_index).to_numpy()
        category, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        n_categories = len(uniques)
    return _Context(item_index, blocked, pins.astype(np.int64), is_pinned, category, n_categories)


def _bought_mask(users: pd.Index, pos: np.ndarray, items: np.ndarray, rules: BusinessRules) -> np.ndarray:
    """True where (``users[pos]``, ``items``) is a pair in ``rules.bought``."""
    found = np.zeros(len(pos), dtype=bool)
    if rules.bought is None or len(rules.bought) == 0 or len(pos) == 0:
        return found
    mine = rules.bought[rules.bought[USER_ID].isin(users)]
    if len(mine) == 0:
        return found
    item_index = pd.Index(pd.concat([mine[ITEM_ID], pd.Series(items)]).unique())
    width = max(len(item_index), 1)
    bought_users = users.get_indexer(mine[USER_ID])
    bought = bought_users.astype(np.int64) * width + item_index.get_indexer(mine[ITEM_ID])
    pairs = pos.astype(np.int64) * width + item_index.get_indexer(items)
    return np.isin(pairs, bought[bought_users >= 0])


def _seen_pins(model, users: pd.Index, pinned: np.ndarray) -> np.ndarray:
    """Mask ``len(users) x len(pinned)``: the user interacted with the pinned item in the model's training data."""
    rows = model.user_index_.get_indexer(users)
    seen = np.zeros((len(users), len(pinned)), dtype=bool)
    known, modelled = np.flatnonzero(rows >= 0), np.flatnonzero(pinned < model.user_items_.shape[1])
    if len(known) and len(modelled):
        block = model.user_items_[rows[known]][:, pinned[modelled]].toarray() > 0
        seen[np.ix_(known, modelled)] = block
    return seen


def _rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """0-based position of each entry among the entries with the same key, in entry order."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    lengths = np.diff(np.r_[starts, len(keys)])
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys)) - np.repeat(starts, lengths)
    return ranks


def _one_pass(model, users: pd.Index, n: int, size: int, rules: BusinessRules, ctx: _Context, exclude_seen: bool):
    """The rules on each user's top ``size``: rows ``(pos, item, score, source)`` and users left short.

    A user is left short when fewer than ``n`` of their candidates pass and the model gave all ``size``
    (it may have more to give); rows are grouped by user position, best first.
    """
    n_users = len(users)
    candidates = model.recommend(users, n=size, exclude_seen=exclude_seen)
    pos = users.get_indexer(candidates[USER_ID])
    item = model.item_index_.get_indexer(candidates[ITEM_ID])
    score = candidates[SCORE].to_numpy(dtype=np.float64)
    full = np.bincount(pos, minlength=n_users) >= size
    keep = ~ctx.blocked[item] & ~ctx.is_pinned[item]
    if rules.bought is not None:
        keep &= ~_bought_mask(users, pos, candidates[ITEM_ID].to_numpy(), rules)
    pos, item, score = pos[keep], item[keep], score[keep]
    source = np.full(len(pos), MODEL, dtype=np.int8)
    if len(ctx.pinned):
        pin_pos = np.repeat(np.arange(n_users), len(ctx.pinned))
        pin_item = np.tile(ctx.pinned, n_users)
        show = np.ones(len(pin_pos), dtype=bool)
        if exclude_seen:
            show &= ~_seen_pins(model, users, ctx.pinned).ravel()
        if rules.bought is not None:
            show &= ~_bought_mask(users, pin_pos, ctx.item_ids.take(pin_item).to_numpy(), rules)
        pin_pos, pin_item = pin_pos[show], pin_item[show]
        # Pins first: a stable sort by user keeps each user's pins (in pin order) before their model rows.
        pos = np.concatenate([pin_pos, pos])
        order = np.argsort(pos, kind="stable")
        pos = pos[order]
        item = np.concatenate([pin_item, item])[order]
        score = np.concatenate([np.full(len(pin_pos), np.nan), score])[order]
        source = np.concatenate([np.full(len(pin_pos), PINNED, dtype=np.int8), source])[order]
    if ctx.category is not None:
        seen_in_category = _rank_in_groups(pos.astype(np.int64) * ctx.n_categories + ctx.category[item])
        keep = (seen_in_category < int(rules.max_per_category)) | (source == PINNED)
        pos, item, score, source = pos[keep], item[keep], score[keep], source[keep]
    keep = _rank_in_groups(pos) < n  # rows are grouped by user, best first
    pos, item, score, source = pos[keep], item[keep], score[keep], source[keep]
    short = (np.bincount(pos, minlength=n_users) < n) & full
    return (pos, item, score, source), np.flatnonzero(short)


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
    than ``n`` only when the model's whole ranking has fewer items passing the rules.

    ``candidates`` is how many items to ask the model for at first; users left short are asked again with
    four times as many, until the model's list runs out. The default, ``n`` without rules, ``8n`` plus the
    pins with a category cap (a cap needs a deeper list: a ranking is concentrated in a few categories),
    else ``2n`` plus the pins, was chosen on the 100k-user shop, where asking for 80 instead of 10 items
    cost about 15% more and most users then need no second pass (``benchmarks/bench_batch.py``).
    """
    n = check_int(n, "n")
    rules = (rules or NO_RULES).validated()
    users = as_id_index(user_ids, "user_ids")
    ctx = _context(model, rules)
    if candidates is not None:
        size = max(check_int(candidates, "candidates"), n)
    elif rules.is_empty():
        size = n
    else:
        size = (8 if rules.max_per_category is not None else 2) * n + len(ctx.pinned)
    n_items = len(model.item_ids_)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8))
    parts, todo = [empty], np.arange(len(users))
    while len(todo):
        (pos, item, score, source), short = _one_pass(
            model, users[todo], n, min(size, n_items), rules, ctx, exclude_seen
        )
        if size >= n_items:
            short = short[:0]
        done = ~np.isin(pos, short)
        parts.append((todo[pos[done]], item[done], score[done], source[done]))
        todo, size = todo[short], size * GROWTH
    pos, item, score, source = (np.concatenate(a) for a in zip(*parts, strict=True))
    order = np.argsort(pos, kind="stable")  # each pass keeps its rows best first; users come back in order
    pos, item, score, source = pos[order], item[order], score[order], source[order]
    cold = model.user_index_.get_indexer(users) < 0
    source[(source == MODEL) & cold[pos]] = COLD
    return pd.DataFrame(
        {
            USER_ID: users.take(pos),
            ITEM_ID: ctx.item_ids.take(item),
            SCORE: score,
            RANK: _rank_in_groups(pos) + 1,
            SOURCE: pd.Categorical.from_codes(source, categories=list(SOURCES)),
        }
    )


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

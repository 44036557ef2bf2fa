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
from sklearn.utils.validation import check_is_fitted

from shopcase.schema import CATEGORY, ITEM_ID, RANK, SCORE, USER_ID
from shopcase.serve.artifacts import data_fingerprint
from shopcase.validate import as_id_index, check_id_kinds_match, check_int, require_columns

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
CAPPED_DEPTH = 8
"""First ranking depth, in multiples of ``n``, under a category cap. On the first 20,000 users of the 100k-user
shop (ItemKNN, at most 3 per category) depths 2, 4, 6, 8 and 12 took 2.1x, 1.8x, 1.7x, 1.7x and 1.8x the
model's own top-10: shallower first passes leave most users short and rank them again."""
MODEL, PINNED, COLD = range(3)
"""Codes of ``SOURCES`` while the rules run."""
Rows = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(position, item index, score)`` of candidates, grouped by position, best first."""


@dataclass(frozen=True)
class _Context:
    """The rules as arrays over the model's item indices, built once per call."""

    item_ids: pd.Index  # the model's items, then pinned items the model does not know (new in the catalogue)
    n_model_items: int
    blocked: np.ndarray  # bool per item: out of stock or banned
    pinned: np.ndarray  # item indices of the pins that can be shown, in pin order
    is_pinned: np.ndarray  # bool per item
    category: np.ndarray | None  # int code per item (items without a category share one code)
    n_categories: int

    def hidden(self) -> np.ndarray:
        """Model item indices never ranked: blocked, or pinned (pins are placed by the rules)."""
        return np.flatnonzero((self.blocked | self.is_pinned)[: self.n_model_items])


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
    pins = pins.astype(np.int64)
    return _Context(item_index, len(model.item_index_), blocked, pins, is_pinned, category, n_categories)


class _Bought:
    """``rules.bought`` for one request: sorted codes ``user position * width + item index``."""

    def __init__(self, model, rules: BusinessRules, users: pd.Index, ctx: _Context) -> None:
        self.width = len(ctx.item_ids)
        self.codes = np.zeros(0, dtype=np.int64)
        if rules.bought is None or len(rules.bought) == 0:
            return
        bought = rules.bought
        check_id_kinds_match(pd.Index(bought[USER_ID]), model.user_index_, "bought: column 'user_id' vs the user ids")
        check_id_kinds_match(pd.Index(bought[ITEM_ID]), model.item_index_, "bought: column 'item_id' vs the item ids")
        pos, item = users.get_indexer(bought[USER_ID]), ctx.item_ids.get_indexer(bought[ITEM_ID])
        keep = (pos >= 0) & (item >= 0)  # pairs of other users, or of items nobody could be shown
        self.codes = np.unique(pos[keep].astype(np.int64) * self.width + item[keep])

    def mask(self, pos: np.ndarray, item: np.ndarray) -> np.ndarray:
        """True where (``users[pos]``, item) was bought."""
        if not len(self.codes):
            return np.zeros(len(pos), dtype=bool)
        codes = pos.astype(np.int64) * self.width + item
        found = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        return self.codes[found] == codes

    def cells(self, positions: np.ndarray, n_model_items: int) -> tuple[np.ndarray, np.ndarray]:
        """``(index in positions, model item index)`` of the pairs bought by the users at ``positions`` (sorted)."""
        if not len(self.codes) or not len(positions):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lo, hi = np.searchsorted(self.codes, [positions[0] * self.width, (positions[-1] + 1) * self.width])
        pos, item = np.divmod(self.codes[lo:hi], self.width)
        local = np.minimum(np.searchsorted(positions, pos), len(positions) - 1)
        keep = (positions[local] == pos) & (item < n_model_items)
        return local[keep], item[keep]


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


@dataclass(frozen=True)
class _Request:
    """What every pass of one call shares."""

    model: object
    users: pd.Index
    n: int
    rules: BusinessRules
    ctx: _Context
    bought: _Bought
    exclude_seen: bool


def _one_pass(req: _Request, at: np.ndarray, found: Rows, depth: int, prefiltered: bool):
    """The rules on the candidates ``found`` of the users at positions ``at`` (each asked for ``depth``).

    ``found`` holds positions into ``at``; ``prefiltered``: blocked, pinned and bought items never reached
    the ranking. Returns the kept rows ``(pos, item, score, source)`` (pos into ``at``, grouped, best first)
    and the indices into ``at`` of users left short: fewer than ``n`` pass although the model gave all
    ``depth`` (it may have more to give).
    """
    n_users, ctx = len(at), req.ctx
    pos, item, score = found
    full = np.bincount(pos, minlength=n_users) >= depth
    if not prefiltered:
        keep = ~ctx.blocked[item] & ~ctx.is_pinned[item] & ~req.bought.mask(at[pos], item)
        pos, item, score = pos[keep], item[keep], score[keep]
    source = np.full(len(pos), MODEL, dtype=np.int8)
    if len(ctx.pinned):
        pin_pos = np.repeat(np.arange(n_users), len(ctx.pinned))
        pin_item = np.tile(ctx.pinned, n_users)
        show = ~req.bought.mask(at[pin_pos], pin_item)
        if req.exclude_seen:
            show &= ~_seen_pins(req.model, req.users[at], ctx.pinned).ravel()
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
        keep = (seen_in_category < int(req.rules.max_per_category)) | (source == PINNED)
        pos, item, score, source = pos[keep], item[keep], score[keep], source[keep]
    keep = _rank_in_groups(pos) < req.n  # rows are grouped by user, best first
    pos, item, score, source = pos[keep], item[keep], score[keep], source[keep]
    short = (np.bincount(pos, minlength=n_users) < req.n) & full
    return (pos, item, score, source), np.flatnonzero(short)


def _deepening(req: _Request, at: np.ndarray, fetch, depth: int, prefiltered: bool):
    """Passes of the rules over the users at ``at``: ``fetch(todo, depth)`` gives the candidates of the users
    at ``at[todo]``; users left short are asked again, ``GROWTH`` times deeper, until the model runs out."""
    n_items = req.ctx.n_model_items
    parts, todo = [], np.arange(len(at))
    while len(todo):
        depth = min(depth, n_items)
        (pos, item, score, source), short = _one_pass(req, at[todo], fetch(todo, depth), depth, prefiltered)
        if depth >= n_items:
            short = short[:0]
        done = ~np.isin(pos, short)
        parts.append((at[todo[pos[done]]], item[done], score[done], source[done]))
        todo, depth = todo[short], depth * GROWTH
    return parts


def _by_recommend(req: _Request, at: np.ndarray, depth: int):
    """The rules on ``model.recommend``'s lists: after scoring, for any model (and cold-start users)."""
    model = req.model

    def fetch(todo: np.ndarray, size: int) -> Rows:
        asked = req.users[at[todo]]
        lists = model.recommend(asked, n=size, exclude_seen=req.exclude_seen)
        pos = asked.get_indexer(lists[USER_ID])
        return pos, model.item_index_.get_indexer(lists[ITEM_ID]), lists[SCORE].to_numpy(dtype=np.float64)

    return _deepening(req, at, fetch, depth, prefiltered=False)


def _by_candidates(req: _Request, at: np.ndarray, rows: np.ndarray, depth: int, fallback: int):
    """The rules inside the model's ranking of one chunk of known users (model rows ``rows``, positions ``at``).

    The chunk is scored once; blocked, pinned and bought items never reach its ranking, and users a rule
    (the category cap) leaves short are ranked deeper on the same scores. A model without candidate
    scores (``Hybrid``'s alternation) goes through ``recommend``.
    """
    candidates = req.model._candidates(rows, req.exclude_seen)
    if candidates is None:
        return _by_recommend(req, at, fallback)
    candidates.exclude(items=req.ctx.hidden(), cells=req.bought.cells(at, req.ctx.n_model_items))

    def fetch(todo: np.ndarray, size: int) -> Rows:
        pos, item, score, _ = candidates.top_n(size, rows=todo)
        return pos, item, score

    return _deepening(req, at, fetch, depth, prefiltered=True)


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

    How: for known users, each of the model's chunks is scored once (``n_jobs`` threads), items out of
    stock, banned, pinned or already bought are excluded before the ranking, and the top ``n`` is ranked,
    ``CAPPED_DEPTH * n`` deep under a category cap (a ranking concentrates in a few categories); users the
    cap leaves short are ranked ``GROWTH`` times deeper on the same scores. Cold-start users, and models whose
    ranking is not a top-n of scores, go through ``recommend``: ``2n`` candidates plus the pins (``8n`` plus
    the pins under a cap), filtered, and asked again deeper when short. ``candidates`` sets the first depth
    for every user instead. Speed against the model's own ``recommend``: ``benchmarks/bench_batch.py``.
    """
    n = check_int(n, "n")
    rules = (rules or NO_RULES).validated()
    check_is_fitted(model)
    users = as_id_index(user_ids, "user_ids")
    check_id_kinds_match(users, model.user_index_, "user_ids vs the user ids seen at fit", every=True)
    ctx = _context(model, rules)
    req = _Request(model, users, n, rules, ctx, _Bought(model, rules, users, ctx), exclude_seen)
    capped = rules.max_per_category is not None
    if candidates is not None:
        first = fallback = max(check_int(candidates, "candidates"), n)
    else:
        first = CAPPED_DEPTH * n if capped else n
        fallback = n if rules.is_empty() else (8 if capped else 2) * n + len(ctx.pinned)
    rows = model.user_index_.get_indexer(users)
    known = np.flatnonzero(rows >= 0)
    chunks = model._map_chunks(len(known), lambda c: _by_candidates(req, known[c], rows[known[c]], first, fallback))
    parts = [part for chunk in chunks for part in chunk]
    cold = np.flatnonzero(rows < 0)
    if len(cold):
        parts += _by_recommend(req, cold, fallback)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8))
    pos, item, score, source = (np.concatenate(a) for a in zip(empty, *parts, strict=True))
    order = np.argsort(pos, kind="stable")  # each pass keeps its rows best first; users come back in order
    pos, item, score, source = pos[order], item[order], score[order], source[order]
    source[(source == MODEL) & (rows[pos] < 0)] = COLD
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

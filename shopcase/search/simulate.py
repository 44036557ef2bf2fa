"""A search log with known truth, simulated on top of a generated shop.

The story, query by query (every draw comes from one generator seeded by ``seed``):

1. **Who searches, when.** A search happens in a shopping session of the shop's event log: sessions
   that start in ``[start, end)`` are drawn at random (with replacement when there are fewer sessions
   than queries); the query's time is the session's start plus up to a minute.
2. **What they mean.** A category from the user's hidden taste; within it a target item, its brand
   drawn by the user's hidden brand preference (``truth.brand_pref``). The query is built from the
   target's words according to the query's kind (``QueryMix``): a category name, a noun, an adjective
   and a noun, a brand, a brand and a noun, a partial noun ("headph"), a synonym the catalogue never
   uses ("earbuds"), or something the shop does not sell ("laptop"). A share of queries get one typo.
3. **The truth.** An item is relevant if it has every attribute the query asks for (category; noun,
   adjective or brand when the query names them). Its graded relevance is 1, 2 or 3 by the user's true
   affinity for it (``GroundTruth.affinity``, log-odds): 1 below ``relevance_cutoffs[0]``, 3 from
   ``relevance_cutoffs[1]`` on. Everything else has relevance 0. Out-of-catalogue queries have no
   relevant item.
4. **The page.** The shop's search (``index``) serves the top ``page_size`` items; on a share
   ``randomise_share`` of searches the page is shuffled (result randomisation, the intervention from
   which position bias can be estimated).
5. **Clicks and purchases.** A position-based click model (``ClickModel``): the user examines position
   ``k`` with probability ``k ** -eta`` and clicks an examined item with an attraction that grows with
   its relevance; a clicked relevant item is bought with probability ``sigmoid(purchase_bias +
   affinity)``.

``simulate_clicks`` replays step 5 on any ranker's pages, with common random numbers per (query,
position), so rankers can be compared on the same simulated users.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from shopcase.data.catalogue_words import CATEGORIES
from shopcase.data.generate import Shop
from shopcase.schema import (
    BRAND,
    CATEGORY,
    CLICKED,
    ITEM_ID,
    MATCH,
    POSITION,
    PURCHASED,
    QUERY,
    QUERY_ID,
    RANK,
    RELEVANCE,
    SCORE,
    SEED,
    SESSION_ID,
    TIMESTAMP,
    TITLE,
    USER_ID,
)
from shopcase.search.index import FALLBACK, SearchIndex
from shopcase.validate import (
    as_timestamp,
    check_int,
    check_number,
    check_probability,
    require_columns,
    validate_frame,
)

AFFINITY = "affinity"
"""Hidden column of a simulated truth: the user's true affinity for the item (log-odds)."""

KIND = "kind"
MISSPELLED = "misspelled"
RANDOMISED = "randomised"
INTENT_COLUMNS: tuple[str, ...] = ("intent_category", "intent_noun", "intent_adjective", "intent_brand")
"""Hidden columns of a simulated query: what the user meant (missing where the query does not say)."""

QUERY_KINDS: tuple[str, ...] = (
    "category",
    "noun",
    "adjective_noun",
    "brand",
    "brand_noun",
    "partial",
    "synonym",
    "out_of_catalogue",
)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "headphones": ("earphones", "earbuds"),
    "charger": ("adapter",),
    "sneakers": ("trainers",),
    "hoodie": ("sweatshirt",),
    "jeans": ("denims",),
    "novel": ("fiction",),
    "rug": ("carpet",),
    "lamp": ("light",),
    "blanket": ("throw",),
    "perfume": ("fragrance",),
    "moisturiser": ("moisturizer",),
    "dumbbell": ("weights",),
    "puzzle": ("jigsaw",),
    "mug": ("cup",),
    "knife": ("knives",),
    "kettle": ("boiler",),
    "leash": ("lead",),
    "backpack": ("rucksack",),
    "notebook": ("journal",),
    "planter": ("pot",),
}
"""Words users type for a catalogue noun that the catalogue never uses (vocabulary mismatch)."""

NOT_SOLD: tuple[str, ...] = (
    "laptop",
    "sofa",
    "bicycle",
    "gift card",
    "printer ink",
    "television",
    "mattress",
    "car tyres",
    "wine",
    "smartphone",
    "refund",
    "opening hours",
)
"""What users look for that the shop does not sell: queries with no relevant item."""


@dataclass(frozen=True)
class QueryMix:
    """Shares of the query kinds (they must sum to 1) and of misspelled queries.

    ``partial`` is a noun cut short (at least 3 letters); ``synonym`` uses a word from ``SYNONYMS`` (a noun
    without one is typed as it is); ``misspell_share`` of the queries with a word of 5+ letters get one
    random edit in it (deletion, insertion, substitution or transposition, never the first letter).
    """

    category: float = 0.10
    noun: float = 0.27
    adjective_noun: float = 0.18
    brand: float = 0.08
    brand_noun: float = 0.15
    partial: float = 0.07
    synonym: float = 0.07
    out_of_catalogue: float = 0.08
    misspell_share: float = 0.12

    def shares(self) -> np.ndarray:
        """The kinds' shares in ``QUERY_KINDS`` order; ``ValueError`` unless they are >= 0 and sum to 1."""
        values = np.array([check_probability(getattr(self, k), k, inclusive=True) for k in QUERY_KINDS])
        check_probability(self.misspell_share, "misspell_share", inclusive=True)
        if abs(values.sum() - 1.0) > 1e-9:
            raise ValueError(f"QueryMix: the kinds' shares must sum to 1, got {values.sum():.6f}")
        return values


@dataclass(frozen=True)
class ClickModel:
    """A position-based click model (Craswell et al. 2008) with stated parameters.

    P(click at position k) = examination(k) x attraction(relevance), independently per position, with
    examination(k) = k ** -eta and attraction(r) = noise + (1 - noise) (2^r - 1) / (2^max_relevance - 1).
    A clicked item with relevance > 0 is bought with probability sigmoid(purchase_bias + affinity);
    an irrelevant one never is.
    """

    eta: float = 1.0
    noise: float = 0.05
    max_relevance: int = 3
    purchase_bias: float = -3.0

    def __post_init__(self) -> None:
        check_number(self.eta, "eta", low=0.0)
        check_probability(self.noise, "noise", inclusive=True)
        check_int(self.max_relevance, "max_relevance", low=1)
        check_number(self.purchase_bias, "purchase_bias")

    def examination(self, position: np.ndarray) -> np.ndarray:
        """P(the user looks at position k), k = 1, 2, ..."""
        return np.asarray(position, dtype=np.float64) ** -self.eta

    def attraction(self, relevance: np.ndarray) -> np.ndarray:
        """P(click | examined) for graded relevance 0..max_relevance."""
        gain = (2.0 ** np.asarray(relevance, dtype=np.float64) - 1.0) / (2.0**self.max_relevance - 1.0)
        return self.noise + (1.0 - self.noise) * gain

    def purchase(self, affinity: np.ndarray, relevance: np.ndarray) -> np.ndarray:
        """P(buy | clicked)."""
        p = 1.0 / (1.0 + np.exp(-(self.purchase_bias + np.nan_to_num(np.asarray(affinity, dtype=np.float64)))))
        return np.where(np.asarray(relevance) > 0, p, 0.0)

    def __str__(self) -> str:
        return (
            f"position-based clicks: examination k^-{self.eta:g}, attraction {self.noise:g} + "
            f"{1 - self.noise:g} (2^r - 1)/{2**self.max_relevance - 1}, "
            f"purchase sigmoid({self.purchase_bias:g} + affinity)"
        )


@dataclass(frozen=True)
class SearchLog:
    """A simulated search log and its hidden truth.

    Attributes
    ----------
    queries : DataFrame
        One row per search, in time order: ``query_id, user_id, session_id, timestamp, query, match``
        (what a shop logs; ``match`` is how its search found the page), then the simulator's knowledge:
        ``kind``, the ``intent_*`` columns, ``misspelled``, ``randomised`` (the page was shuffled).
    pages : DataFrame
        ``query_id, position, item_id, score, clicked, purchased``: the pages served, 1 row per result.
    truth : DataFrame
        ``query_id, item_id, relevance, affinity`` for every item with relevance > 0.
    click_model : ClickModel
        The model that produced the clicks.
    """

    queries: pd.DataFrame
    pages: pd.DataFrame
    truth: pd.DataFrame
    click_model: ClickModel = field(default_factory=ClickModel)

    def between(self, start: object = None, end: object = None) -> SearchLog:
        """The searches with ``start <= timestamp < end`` (either bound optional), with their pages and truth."""
        keep = np.ones(len(self.queries), dtype=bool)
        if start is not None:
            keep &= (self.queries[TIMESTAMP] >= as_timestamp(start, "start")).to_numpy()
        if end is not None:
            keep &= (self.queries[TIMESTAMP] < as_timestamp(end, "end")).to_numpy()
        ids = self.queries.loc[keep, QUERY_ID]
        return replace(
            self,
            queries=self.queries[keep].reset_index(drop=True),
            pages=self.pages[self.pages[QUERY_ID].isin(ids)].reset_index(drop=True),
            truth=self.truth[self.truth[QUERY_ID].isin(ids)].reset_index(drop=True),
        )

    def __str__(self) -> str:
        q = self.queries
        if q.empty:
            return "SearchLog: no searches"
        per_query = self.pages.groupby(QUERY_ID)[[CLICKED, PURCHASED]].any()
        ctr = per_query[CLICKED].sum() / len(q)
        bought = per_query[PURCHASED].sum() / len(q)
        return (
            f"SearchLog: {len(q):,} searches by {q[USER_ID].nunique():,} users, "
            f"{q[TIMESTAMP].min().date()} to {q[TIMESTAMP].max().date()}; click-through {ctr:.3f}, "
            f"purchase rate {bought:.3f}, no match {(q[MATCH] == FALLBACK).mean():.1%}"
        )


def item_words(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Each item's adjective and noun, read off its title ("<brand> <adjective> <noun>").

    Returns ``item_id, category, brand, adjective, noun``; adjective and noun are missing for titles
    that do not follow the generator's pattern (such items match only category and brand queries).
    """
    require_columns(catalogue, [ITEM_ID, TITLE, CATEGORY, BRAND], "catalogue")
    adjectives, nouns = [], []
    for title, category, brand in zip(catalogue[TITLE], catalogue[CATEGORY], catalogue[BRAND], strict=True):
        words = CATEGORIES.get(str(category), {"adjectives": [], "nouns": []})
        rest = title[len(brand) + 1 :] if title.startswith(f"{brand} ") else ""
        adjective = next((a for a in words["adjectives"] if rest.startswith(f"{a} ")), None)
        noun = rest[len(adjective) + 1 :] if adjective is not None else None
        ok = noun in words["nouns"]
        adjectives.append(adjective if ok else None)
        nouns.append(noun if ok else None)
    return pd.DataFrame(
        {
            ITEM_ID: catalogue[ITEM_ID].to_numpy(),
            CATEGORY: catalogue[CATEGORY].astype(str).to_numpy(),
            BRAND: catalogue[BRAND].astype(str).to_numpy(),
            "adjective": pd.array(adjectives, dtype=object),
            "noun": pd.array(nouns, dtype=object),
        }
    )


_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def misspell(word: str, rng: np.random.Generator) -> str:
    """``word`` with one random edit after its first letter (words under 3 letters are returned as they are)."""
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word)))
    op = int(rng.integers(0, 4))
    letter = str(rng.choice(_LETTERS))
    if op == 0:  # deletion
        return word[:i] + word[i + 1 :]
    if op == 1:  # insertion
        return word[:i] + letter + word[i:]
    if op == 2 and word[i] != letter:  # substitution
        return word[:i] + letter + word[i + 1 :]
    if i < len(word) - 1 and word[i] != word[i + 1]:  # transposition
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def _session_starts(shop: Shop, start: object, end: object) -> pd.DataFrame:
    events = shop.events
    first = events.groupby(SESSION_ID, sort=True).agg(**{USER_ID: (USER_ID, "first"), TIMESTAMP: (TIMESTAMP, "min")})
    keep = np.ones(len(first), dtype=bool)
    if start is not None:
        keep &= (first[TIMESTAMP] >= as_timestamp(start, "start")).to_numpy()
    if end is not None:
        keep &= (first[TIMESTAMP] < as_timestamp(end, "end")).to_numpy()
    sessions = first[keep].reset_index()
    if sessions.empty:
        raise ValueError(f"no shopping session starts in [{start}, {end}): choose start/end inside the shop's log")
    return sessions


def _target_items(shop: Shop, users: np.ndarray, rng: np.random.Generator, words: pd.DataFrame) -> np.ndarray:
    """One item row per query: category by the user's taste, brand by their brand preference, then uniform."""
    truth = shop.truth
    n_cat = truth.taste.shape[1]
    n_brand = truth.brand_pref.shape[1] // n_cat
    group = truth.item_group
    n_items_in_group = np.bincount(group, minlength=n_cat * n_brand)
    taste = truth.taste[users]
    category = (np.cumsum(taste, axis=1) < rng.random(len(users))[:, None] * taste.sum(axis=1)[:, None]).sum(axis=1)
    category = np.minimum(category, n_cat - 1)
    cols = category[:, None] * n_brand + np.arange(n_brand)
    weights = truth.brand_pref[users[:, None], cols] * n_items_in_group[cols]
    cum = np.cumsum(weights, axis=1)
    brand = np.minimum((cum < rng.random(len(users))[:, None] * cum[:, -1:]).sum(axis=1), n_brand - 1)
    chosen = category * n_brand + brand
    # every category has an item in every brand group (the generator's anchors), so each draw finds one
    order = np.argsort(group, kind="stable")
    first = np.searchsorted(group[order], chosen, side="left")
    offset = np.floor(rng.random(len(users)) * n_items_in_group[chosen]).astype(np.int64)
    return order[first + offset]


def _build_queries(
    words: pd.DataFrame, targets: np.ndarray, kinds: np.ndarray, mix: QueryMix, rng: np.random.Generator
) -> pd.DataFrame:
    """Query text and intent per query (a loop over queries: string building, a few per millisecond)."""
    nouns, adjectives = words["noun"].to_numpy(), words["adjective"].to_numpy()
    categories, brands = words[CATEGORY].to_numpy(), words[BRAND].to_numpy()
    rows = []
    for target, kind in zip(targets, kinds, strict=True):
        cat, brand, adj, noun = categories[target], brands[target], adjectives[target], nouns[target]
        if noun is None and kind in ("noun", "adjective_noun", "brand_noun", "partial", "synonym"):
            kind = "brand"  # an item without parsed words can only be asked for by brand
        intent = {"intent_category": cat, "intent_noun": None, "intent_adjective": None, "intent_brand": None}
        if kind == "category":
            text = cat
        elif kind == "noun":
            text, intent["intent_noun"] = noun, noun
        elif kind == "adjective_noun":
            text, intent["intent_noun"], intent["intent_adjective"] = f"{adj} {noun}", noun, adj
        elif kind == "brand":
            text, intent["intent_brand"] = brand.lower(), brand
        elif kind == "brand_noun":
            text, intent["intent_noun"], intent["intent_brand"] = f"{brand.lower()} {noun}", noun, brand
        elif kind == "partial":
            cut = int(rng.integers(3, max(len(noun), 4)))
            text, intent["intent_noun"] = noun[:cut], noun
        elif kind == "synonym":
            options = SYNONYMS.get(noun)
            text = options[int(rng.integers(0, len(options)))] if options else noun
            kind = kind if options else "noun"
            intent["intent_noun"] = noun
        else:
            text = NOT_SOLD[int(rng.integers(0, len(NOT_SOLD)))]
            intent["intent_category"] = None
        misspelled = False
        if kind not in ("partial", "out_of_catalogue") and rng.random() < mix.misspell_share:
            long_words = [w for w in text.split(" ") if len(w) >= 5]
            if long_words:
                word = long_words[int(rng.integers(0, len(long_words)))]
                typo = misspell(word, rng)
                misspelled = typo != word
                text = text.replace(word, typo, 1)
        rows.append({QUERY: text, KIND: kind, **intent, MISSPELLED: misspelled})
    return pd.DataFrame(rows)


def _relevance(shop: Shop, queries: pd.DataFrame, words: pd.DataFrame, cutoffs: tuple[float, float]) -> pd.DataFrame:
    """Every (query, item) with relevance > 0: items with all the attributes the query asks for."""
    columns = [[None if pd.isna(v) else v for v in queries[c].tolist()] for c in INTENT_COLUMNS]
    key = list(zip(*columns, strict=True))
    attribute = {
        "intent_category": words[CATEGORY].to_numpy(),
        "intent_noun": words["noun"].to_numpy(),
        "intent_adjective": words["adjective"].to_numpy(),
        "intent_brand": words[BRAND].to_numpy(),
    }
    rows_of: dict[tuple, np.ndarray] = {}
    for spec in dict.fromkeys(key):  # one mask per distinct intent, not per query
        if spec[0] is None and spec[3] is None:
            rows_of[spec] = np.empty(0, dtype=np.int64)
            continue
        mask = np.ones(len(words), dtype=bool)
        for column, value in zip(INTENT_COLUMNS, spec, strict=True):
            if value is not None:
                mask &= attribute[column] == value
        rows_of[spec] = np.flatnonzero(mask)
    per_query = [rows_of[k] for k in key]
    lengths = np.array([len(r) for r in per_query], dtype=np.int64)
    item_rows = np.concatenate(per_query) if lengths.sum() else np.empty(0, dtype=np.int64)
    query_ids = np.repeat(queries[QUERY_ID].to_numpy(), lengths)
    user_ids = np.repeat(queries[USER_ID].to_numpy(), lengths)
    item_ids = words[ITEM_ID].to_numpy()[item_rows]
    affinity = shop.truth.affinity(user_ids, item_ids)
    relevance = 1 + (affinity >= cutoffs[0]).astype(np.int64) + (affinity >= cutoffs[1]).astype(np.int64)
    return pd.DataFrame({QUERY_ID: query_ids, ITEM_ID: item_ids, RELEVANCE: relevance, AFFINITY: affinity})


def _uniforms(query_ids: np.ndarray, positions: np.ndarray, seed: int, n_draws: int) -> np.ndarray:
    """Uniform draws fixed per (query id, position): the same simulated user whatever the ranker shows."""
    keys = np.stack([np.asarray(query_ids, dtype=np.int64), np.asarray(positions, dtype=np.int64)], axis=1)
    out = np.empty((len(keys), n_draws))
    # A hash of (seed, query, position) seeds SplitMix64 per row: the draws of a row never depend on the others.
    salt = np.array([seed], dtype=np.uint64)
    for start in range(0, len(keys), 200_000):
        chunk = keys[start : start + 200_000]
        with np.errstate(over="ignore"):  # multiplication modulo 2^64 is the point
            mixed = (
                chunk[:, 0].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                ^ chunk[:, 1].astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
                ^ salt * np.uint64(0x94D049BB133111EB)
            )
        out[start : start + len(chunk)] = _splitmix_uniforms(mixed, n_draws)
    return out


def _splitmix_uniforms(state: np.ndarray, n_draws: int) -> np.ndarray:
    """``n_draws`` uniforms in [0, 1) per 64-bit state (SplitMix64, vectorised)."""
    out = np.empty((len(state), n_draws))
    s = state.copy()
    with np.errstate(over="ignore"):
        for d in range(n_draws):
            s = s + np.uint64(0x9E3779B97F4A7C15)
            z = s.copy()
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            out[:, d] = (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return out


def simulate_clicks(
    pages: pd.DataFrame, truth: pd.DataFrame, click_model: ClickModel | None = None, seed: int = SEED
) -> pd.DataFrame:
    """Clicks and purchases of the simulated users on any ranker's pages.

    Parameters
    ----------
    pages : DataFrame
        ``query_id, item_id`` and ``rank`` or ``position`` (1 = top), e.g. ``SearchIndex.rank_queries``
        or ``Reranker.rank_queries`` output for the queries of a ``SearchLog``.
    truth : DataFrame
        The log's ``truth`` (``query_id, item_id, relevance, affinity``).
    click_model : ClickModel, optional
        Default ``ClickModel()``; pass ``log.click_model`` to replay the log's users.
    seed : int
        The draws are fixed per (seed, query id, position): two rankers that put items of equal
        relevance at the same position get the same clicks (common random numbers).

    Returns
    -------
    DataFrame
        ``pages`` with ``relevance`` (0 if not in truth), ``clicked`` and ``purchased`` added.
    """
    model = click_model if click_model is not None else ClickModel()
    seed = check_int(seed, "seed", low=0)
    position_col = POSITION if POSITION in pages.columns else RANK
    require_columns(pages, [QUERY_ID, ITEM_ID, position_col], "pages")
    validate_frame(
        truth, {QUERY_ID: "id", ITEM_ID: "id", RELEVANCE: "number"}, "truth", key=[QUERY_ID, ITEM_ID], allow_empty=True
    )
    require_columns(truth, [AFFINITY], "truth")
    position = pages[position_col].to_numpy()
    if len(position) and (position < 1).any():
        raise ValueError(f"pages: column '{position_col}' must be >= 1 (1 = top of the page)")
    joined = pages[[QUERY_ID, ITEM_ID]].merge(truth[[QUERY_ID, ITEM_ID, RELEVANCE, AFFINITY]], how="left")
    relevance = joined[RELEVANCE].fillna(0).to_numpy(dtype=np.float64)
    draws = _uniforms(pages[QUERY_ID].to_numpy(), position, seed, 3)
    clicked = (draws[:, 0] < model.examination(position)) & (draws[:, 1] < model.attraction(relevance))
    purchased = clicked & (draws[:, 2] < model.purchase(joined[AFFINITY].to_numpy(dtype=np.float64), relevance))
    return pages.assign(**{RELEVANCE: relevance.astype(np.int64), CLICKED: clicked, PURCHASED: purchased})


def simulate_search_log(
    shop: Shop,
    index: SearchIndex,
    n_queries: int = 20_000,
    seed: int = SEED,
    *,
    start: object = None,
    end: object = None,
    page_size: int = 10,
    randomise_share: float = 0.1,
    mix: QueryMix | None = None,
    click_model: ClickModel | None = None,
    relevance_cutoffs: tuple[float, float] = (0.5, 1.5),
) -> SearchLog:
    """Simulate ``n_queries`` searches on ``shop``, served by ``index``, with the truth beside them.

    Parameters
    ----------
    shop : Shop
        A generated shop (its ``truth`` says what users really like).
    index : SearchIndex
        The shop's search, fitted on ``shop.catalogue``: it serves the logged pages.
    n_queries : int
        Number of searches (>= 1).
    seed : int
        Seeds every draw; the same arguments give the same log.
    start, end : date, optional
        Searches happen in sessions starting in ``[start, end)`` (default: the whole log).
    page_size : int
        Results shown per search (1 .. catalogue size).
    randomise_share : float
        Share of searches whose page is shuffled, in [0, 1] (to estimate position bias).
    mix : QueryMix, optional
        Shares of query kinds and misspellings (default ``QueryMix()``).
    click_model : ClickModel, optional
        How users click and buy (default ``ClickModel()``).
    relevance_cutoffs : (float, float)
        Affinity (log-odds) from which a matching item is relevance 2, and 3.

    Returns
    -------
    SearchLog
    """
    n_queries = check_int(n_queries, "n_queries", low=1)
    seed = check_int(seed, "seed", low=0)
    page_size = check_int(page_size, "page_size", low=1, high=len(shop.catalogue))
    randomise_share = check_probability(randomise_share, "randomise_share", inclusive=True)
    mix = mix if mix is not None else QueryMix()
    shares = mix.shares()
    model = click_model if click_model is not None else ClickModel()
    low, high = (check_number(c, "relevance_cutoffs") for c in relevance_cutoffs)
    if low > high:
        raise ValueError(f"relevance_cutoffs must be increasing, got {relevance_cutoffs}")
    if not hasattr(index, "weights_") or len(index.item_ids_) != len(shop.catalogue):
        raise ValueError("index must be a SearchIndex fitted on shop.catalogue")
    rng = np.random.default_rng(seed)

    sessions = _session_starts(shop, start, end)
    picked = rng.choice(len(sessions), size=n_queries, replace=n_queries > len(sessions))
    queries = sessions.iloc[picked].reset_index(drop=True)
    queries[TIMESTAMP] = queries[TIMESTAMP] + pd.to_timedelta(rng.integers(0, 60, n_queries), unit="s")
    queries = queries.sort_values([TIMESTAMP, SESSION_ID], kind="stable").reset_index(drop=True)
    queries.insert(0, QUERY_ID, np.arange(1, n_queries + 1, dtype=np.int64))

    words = item_words(shop.catalogue)
    targets = _target_items(shop, queries[USER_ID].to_numpy() - 1, rng, words)
    kinds = np.array(QUERY_KINDS)[rng.choice(len(QUERY_KINDS), size=n_queries, p=shares)]
    queries = pd.concat([queries, _build_queries(words, targets, kinds, mix, rng)], axis=1)
    truth = _relevance(shop, queries, words, (low, high))

    pages = index.rank_queries(queries[[QUERY_ID, QUERY]], n=page_size)
    match = pages.groupby(QUERY_ID, sort=False)[MATCH].first()
    queries[MATCH] = queries[QUERY_ID].map(match).fillna(FALLBACK).astype(object)
    randomised = rng.random(n_queries) < randomise_share
    queries[RANDOMISED] = randomised
    pages = pages.rename(columns={RANK: POSITION}).drop(columns=MATCH)
    # shuffle the randomised pages: a random sort key within those queries
    shuffled = pages[QUERY_ID].isin(queries.loc[randomised, QUERY_ID]).to_numpy()
    key = np.where(shuffled, rng.random(len(pages)), pages[POSITION].to_numpy())
    order = np.lexsort((key, pages[QUERY_ID].map(pd.Series(np.arange(n_queries), index=queries[QUERY_ID]))))
    pages = pages.iloc[order].reset_index(drop=True)
    pages[POSITION] = pages.groupby(QUERY_ID, sort=False).cumcount().to_numpy() + 1
    pages = simulate_clicks(pages[[QUERY_ID, POSITION, ITEM_ID, SCORE]], truth, model, seed)
    columns = [QUERY_ID, USER_ID, SESSION_ID, TIMESTAMP, QUERY, MATCH, KIND, *INTENT_COLUMNS, MISSPELLED, RANDOMISED]
    return SearchLog(queries=queries[columns], pages=pages.drop(columns=RELEVANCE), truth=truth, click_model=model)

"""A synthetic shop that behaves like a real one, generated with vectorised numpy.

The story the generator tells, stage by stage (each stage has its own random
stream derived from ``seed``, so the whole shop is a pure function of its
``ShopConfig``):

1. Catalogue: categories with their own words and price levels, brands per
   category, Zipf-like exposure (a few items are seen everywhere, most rarely),
   a hidden quality per item, launch dates (some items launch mid-period).
2. Users: a taste mixture over categories, brand preferences, price
   sensitivity, an activity level (sessions per month), a signup date and a
   hidden churn date; a few "staple" items each user re-buys.
3. Sessions: a Poisson process per user that fades out in the weeks before the
   user's churn date (falling engagement precedes churn, as in real shops).
4. Events: views drawn from the user's tastes; carts with a probability driven
   by the true user-item affinity; checkout or abandonment per session.
5. Emails: a weekly newsletter; opens fall with engagement too.

There is no Python loop per user or per event: every stage works on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.data.catalogue_words import BRAND_SYLLABLES, CATEGORIES
from shopcase.data.demand_truth import PRICE_GRID, demand_curves, lost_units
from shopcase.data.hidden_truth import GroundTruth
from shopcase.data.trading import (
    ONLINE_RETAIL_WEEKDAYS,
    TradingCalendar,
    activity_profile,
    price_schedule,
    stock_schedule,
)
from shopcase.schema import (
    BRAND,
    CATEGORY,
    EVENT_TYPE,
    EVENT_TYPES,
    ITEM_ID,
    LAUNCH_DATE,
    OPENED,
    ORDER_ID,
    PRICE,
    QUANTITY,
    SEED,
    SESSION_ID,
    SIGNUP_DATE,
    TIMESTAMP,
    TITLE,
    UNIT_PRICE,
    USER_ID,
)
from shopcase.validate import as_timestamp, check_int, check_number, check_probability

_SECOND = np.timedelta64(1, "s")
_DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class ShopConfig:
    """Every knob of the generator. Defaults are calibrated against UCI Online Retail (see notebook 01).

    Units: days for durations, sessions per month for activity, probabilities in [0, 1].
    """

    n_users: int = 4_000
    n_items: int = 3_000
    seed: int = SEED
    start: str = "2023-01-01"
    end: str = "2023-12-31"
    brands_per_category: int = 6
    popularity_exponent: float = 1.1  # exposure of the item at popularity rank r is (r + offset) ** -exponent
    popularity_offset: float = 60.0  # Zipf-Mandelbrot offset: flattens the very head, as real shops show
    taste_concentration: float = 0.3  # Dirichlet concentration per category: small = focused users
    sessions_per_month: float = 0.43  # median shopping sessions per month of a user
    mean_lifetime_days: float = 400.0  # mean time from first activity to churn
    fade_days: float = 45.0  # engagement falls over this many days before churn
    browse_sessions_ratio: float = 6.0  # window-shopping sessions per shopping session; they rarely cart
    browse_cart_penalty: float = 4.0  # logit penalty on carting during window shopping
    staples_per_user: int = 3  # items a user re-buys
    replenish_share: float = 0.8  # mean share of sessions that revisit a staple
    cart_bias: float = -2.2  # logit of carting a viewed item of average affinity
    checkout_rate: float = 0.6  # mean chance a session with a cart ends in a purchase
    new_item_share: float = 0.15  # items launched during the period
    email_every_days: int = 7
    weekday_profile: tuple[float, ...] = ONLINE_RETAIL_WEEKDAYS  # relative sessions per weekday, Monday first
    season_height: float = 0.8  # the season's peak rate is 1 + this, relative to the quiet months
    season_peak_day: float = 338.0  # day of the year of the peak (early December)
    season_rise_days: float = 55.0  # width of the rise towards the peak
    season_fall_days: float = 9.0  # width of the fall after it (trade stops quickly after Christmas)
    price_changes_per_year: float = 0.5  # permanent list-price steps per item and year
    promotions_per_year: float = 3.0  # category-wide promotions per category and year
    promotion_discount: float = 0.2  # mean discount of a promotion
    promotion_days: float = 10.0  # mean length of a promotion
    stockouts_per_year: float = 2.0  # out-of-stock spells per item and year
    stockout_days: float = 5.0  # mean length of an out-of-stock spell
    price_elasticity: float = 1.0  # scales how the day's price moves carting (1: each user's price sensitivity)

    def validated(self) -> ShopConfig:
        """Return self if every field is in range, else raise ``ValueError`` naming the field."""
        n_groups = len(CATEGORIES) * self.brands_per_category
        for name in ("n_users", "n_items", "brands_per_category", "staples_per_user", "email_every_days"):
            check_int(getattr(self, name), name)
        if self.n_items < n_groups:
            raise ValueError(f"n_items must be at least {n_groups} (one item per category x brand), got {self.n_items}")
        for name in ("replenish_share", "checkout_rate", "new_item_share"):
            check_probability(getattr(self, name), name, inclusive=True)
        check_number(self.popularity_offset, "popularity_offset", low=0.0)
        if len(self.weekday_profile) != 7:
            raise ValueError(f"weekday_profile needs 7 weights (Monday first), got {len(self.weekday_profile)}")
        for day, weight in enumerate(self.weekday_profile):
            check_number(weight, f"weekday_profile[{day}]", low=0.0)
        if sum(self.weekday_profile) <= 0:
            raise ValueError("weekday_profile is all zero: nobody would ever shop")
        check_number(self.season_peak_day, "season_peak_day", low=0.0, high=365.0)
        check_probability(self.promotion_discount, "promotion_discount", inclusive=True)
        for name in (
            "season_height",
            "price_changes_per_year",
            "promotions_per_year",
            "stockouts_per_year",
            "price_elasticity",
        ):
            check_number(getattr(self, name), name, low=0.0)
        for name in (
            "season_rise_days",
            "season_fall_days",
            "promotion_days",
            "stockout_days",
            "popularity_exponent",
            "taste_concentration",
            "sessions_per_month",
            "mean_lifetime_days",
            "fade_days",
            "browse_sessions_ratio",
            "browse_cart_penalty",
        ):
            check_number(getattr(self, name), name, low=0.0, low_inclusive=False)
        if as_timestamp(self.end, "end") < as_timestamp(self.start, "start"):
            raise ValueError(f"end ({self.end}) must not be before start ({self.start}); end is the last day logged")
        return self


@dataclass
class Shop:
    """A generated shop: the observable tables plus the hidden ``truth`` behind them."""

    config: ShopConfig
    catalogue: pd.DataFrame
    users: pd.DataFrame
    events: pd.DataFrame
    emails: pd.DataFrame
    truth: GroundTruth
    prices: pd.DataFrame
    stockouts: pd.DataFrame

    def affinity(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """True affinity (log-odds scale) of each (user, item) pair; same-length id arrays."""
        return self.truth.affinity(user_ids, item_ids)

    @property
    def log_end(self) -> pd.Timestamp:
        """The exclusive end of the log: midnight after ``config.end``, the last day logged.

        Pass it as ``log_end`` to ``churn_labels`` / ``build_churn_dataset``: a label window may end here.
        """
        return as_timestamp(self.config.end, "end").normalize() + pd.Timedelta(days=1)


def _to_datetime(start: pd.Timestamp, offset_days: np.ndarray) -> np.ndarray:
    seconds = np.round(offset_days * _DAY_SECONDS).astype(np.int64)
    # Microseconds: the resolution pandas parses dates to, and parquet keeps.
    return (np.datetime64(start.to_datetime64(), "s") + seconds * _SECOND).astype("datetime64[us]")


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    syllables = np.array(BRAND_SYLLABLES)
    while len(names) < n:  # a loop per brand (tens), not per item
        name = "".join(rng.choice(syllables, size=rng.integers(2, 4))).capitalize()
        if name not in names:
            names.append(name)
    return names


def _make_catalogue(cfg: ShopConfig, rng: np.random.Generator, start: pd.Timestamp, period: float):
    names = list(CATEGORIES)
    n_cat, n_brand = len(names), cfg.brands_per_category
    n_groups = n_cat * n_brand
    cat_weight = rng.dirichlet(np.full(n_cat, 4.0))
    brand_share = 1.0 / np.arange(1, n_brand + 1) ** 0.8
    brand_share /= brand_share.sum()
    extra = cfg.n_items - n_groups
    # The first n_groups items give every category x brand group at least one item (its "anchor").
    category = np.concatenate([np.repeat(np.arange(n_cat), n_brand), rng.choice(n_cat, extra, p=cat_weight)])
    brand_in_cat = np.concatenate([np.tile(np.arange(n_brand), n_cat), rng.choice(n_brand, extra, p=brand_share)])
    anchor = np.arange(cfg.n_items) < n_groups
    order = rng.permutation(cfg.n_items)
    category, brand_in_cat, anchor = category[order], brand_in_cat[order], anchor[order]
    group = category * n_brand + brand_in_cat

    brands = np.array(_brand_names(rng, n_groups))
    medians = np.array([CATEGORIES[c]["price_median"] for c in names])
    price = np.maximum(0.5, np.round(medians[category] * rng.lognormal(0.0, 0.5, cfg.n_items), 2))
    exposure = (rng.permutation(cfg.n_items) + 1.0 + cfg.popularity_offset) ** -cfg.popularity_exponent
    quality = rng.normal(0.0, 0.6, cfg.n_items)

    is_new = (rng.random(cfg.n_items) < cfg.new_item_share) & ~anchor
    launched_in_period = rng.uniform(0, max(period - 30, 1), cfg.n_items)
    launch_offset = np.where(is_new, launched_in_period, rng.uniform(-730, 0, cfg.n_items))
    launch = _to_datetime(start, np.floor(launch_offset))

    words = [(CATEGORIES[names[c]]["adjectives"], CATEGORIES[names[c]]["nouns"]) for c in range(n_cat)]
    pick_adj, pick_noun = rng.random(cfg.n_items), rng.random(cfg.n_items)
    titles = [
        f"{brands[g]} {adj[int(a * len(adj))]} {noun[int(b * len(noun))]}"
        for g, (adj, noun), a, b in zip(group, (words[c] for c in category), pick_adj, pick_noun, strict=True)
    ]
    catalogue = pd.DataFrame(
        {
            ITEM_ID: np.arange(1, cfg.n_items + 1, dtype=np.int64),
            TITLE: titles,
            CATEGORY: pd.Categorical(np.array(names)[category], categories=names),
            BRAND: brands[group],
            PRICE: price,
            LAUNCH_DATE: launch,
        }
    )
    item_latent = {
        "category": category,
        "price": price,
        "group": group,
        "exposure": exposure,
        "quality": quality,
        "log_price_ratio": np.log(price / medians[category]),
        "launch_offset": np.floor(launch_offset),
        "anchor": anchor,
        "cat_weight": cat_weight,
        "brand_share": brand_share,
    }
    return catalogue, item_latent


class _ItemSampler:
    """Draws items for (user, category) pairs: brand by the user's preference, item by exposure."""

    def __init__(self, items: dict, brand_pref: np.ndarray, n_brand: int):
        self.brand_pref, self.n_brand = brand_pref, n_brand
        self.brand_share = items["brand_share"]
        order = np.argsort(items["group"], kind="stable")
        self.order = order
        self.cum = np.cumsum(items["exposure"][order])
        n_groups = brand_pref.shape[1]
        self.first = np.searchsorted(items["group"][order], np.arange(n_groups), side="left")
        self.last = np.searchsorted(items["group"][order], np.arange(n_groups), side="right") - 1
        self.cum_before = np.where(self.first > 0, self.cum[np.maximum(self.first - 1, 0)], 0.0)

    def sample(
        self, rng: np.random.Generator, users: np.ndarray, categories: np.ndarray, chunk: int = 1_000_000
    ) -> np.ndarray:
        """One item index per (user, category) pair; chunked so temporaries stay ~100 MB."""
        if len(users) <= chunk:
            return self._sample(rng, users, categories)
        return np.concatenate(
            [self._sample(rng, users[i : i + chunk], categories[i : i + chunk]) for i in range(0, len(users), chunk)]
        )

    def _sample(self, rng: np.random.Generator, users: np.ndarray, categories: np.ndarray) -> np.ndarray:
        brand_cols = categories[:, None] * self.n_brand + np.arange(self.n_brand)
        weights = self.brand_pref[users[:, None], brand_cols] * self.brand_share
        cum = np.cumsum(weights, axis=1)
        brand = (cum < rng.random(len(users))[:, None] * cum[:, -1:]).sum(axis=1)
        group = categories * self.n_brand + np.minimum(brand, self.n_brand - 1)
        lo, hi = self.cum_before[group], self.cum[self.last[group]]
        pos = np.searchsorted(self.cum, lo + rng.random(len(users)) * (hi - lo), side="right")
        return self.order[np.clip(pos, self.first[group], self.last[group])]


def _sample_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows x categories) probability matrix."""
    cum = np.cumsum(probabilities, axis=1)
    return np.minimum((cum < rng.random(len(cum))[:, None] * cum[:, -1:]).sum(axis=1), cum.shape[1] - 1)


def _make_users(cfg: ShopConfig, n: int, rng: np.random.Generator, items: dict, period: float):
    n_cat = len(CATEGORIES)
    n_groups = n_cat * cfg.brands_per_category
    taste = rng.dirichlet(cfg.taste_concentration * n_cat * items["cat_weight"], size=n)
    taste = np.maximum(taste, 1e-6)
    taste /= taste.sum(axis=1, keepdims=True)
    brand_pref = rng.lognormal(0.0, 1.0, size=(n, n_groups))
    price_sensitivity = rng.lognormal(0.0, 0.4, size=n)
    activity = rng.lognormal(np.log(cfg.sessions_per_month), 1.0, size=n)  # sessions per month
    existing = rng.random(n) < 0.5
    signup = np.where(existing, rng.uniform(-365, 0, n), rng.uniform(0, period, n))
    # Active users stay longer; lifetime counts from the later of signup and the period's start.
    lifetime = rng.exponential(cfg.mean_lifetime_days * np.sqrt(activity / cfg.sessions_per_month))
    churn = np.maximum(signup, 0.0) + lifetime
    replenish = rng.beta(2.0, 2.0 * (1 - cfg.replenish_share) / max(cfg.replenish_share, 1e-9), size=n)
    checkout = rng.beta(6.0 * cfg.checkout_rate, 6.0 * (1 - cfg.checkout_rate) + 1e-9, size=n)
    email_open = rng.beta(2.0, 4.0, size=n)
    return {
        "taste": taste,
        "brand_pref": brand_pref,
        "price_sensitivity": price_sensitivity,
        "activity": activity,
        "signup": np.floor(signup),
        "churn": churn,
        "replenish": replenish,
        "checkout": checkout,
        "email_open": email_open,
    }


def _engagement(days_to_churn: np.ndarray, fade_days: float) -> np.ndarray:
    """1 well before churn, falling linearly to 0.15 at the churn date (and after it)."""
    return 0.15 + 0.85 * np.clip(days_to_churn / fade_days, 0.0, 1.0)


def _within_group_position(group_sizes: np.ndarray) -> np.ndarray:
    """0, 1, ... within each consecutive group of the given sizes."""
    starts = np.repeat(np.cumsum(group_sizes) - group_sizes, group_sizes)
    return np.arange(group_sizes.sum()) - starts


def _make_sessions(
    cfg: ShopConfig, n_users: int, rng: np.random.Generator, users: dict, period: float, calendar: TradingCalendar
) -> dict:
    active_from = np.maximum(users["signup"], 0.0)
    active_to = np.minimum(users["churn"], period)
    window = np.clip(active_to - active_from, 0.0, None)
    # Thinning: draw candidate sessions at the peak rate, keep each with the engagement and the day's
    # relative activity (weekday x season) at its time.
    peak = calendar.activity.max()
    n_candidates = rng.poisson(users["activity"] * (1.0 + cfg.browse_sessions_ratio) * peak * window / 30.0)
    user = np.repeat(np.arange(n_users), n_candidates)
    t = active_from[user] + rng.random(len(user)) * window[user]
    today = calendar.activity[calendar.day_index(t)] / peak
    keep = rng.random(len(user)) < _engagement(users["churn"][user] - t, cfg.fade_days) * today
    user, t = user[keep], t[keep]
    order = np.lexsort((t, user))
    user, t = user[order], t[order]
    n_views = rng.geometric(0.4, size=len(user))
    browse = rng.random(len(user)) < cfg.browse_sessions_ratio / (1.0 + cfg.browse_sessions_ratio)
    return {
        "user": user,
        "time": t,
        "n_views": n_views,
        "browse": browse,
        "replenish": ~browse & (rng.random(len(user)) < users["replenish"][user]),
        "checkout": rng.random(len(user)) < users["checkout"][user],
        "category": _sample_rows(rng, users["taste"][user]),
    }


def _make_events(
    cfg,
    rng,
    sessions,
    users,
    items,
    truth: GroundTruth,
    start: pd.Timestamp,
    period: float,
    calendar: TradingCalendar,
    truth_rng: np.random.Generator | None = None,
):
    n_sessions = len(sessions["user"])
    session = np.repeat(np.arange(n_sessions), sessions["n_views"])
    position = _within_group_position(sessions["n_views"])
    user = sessions["user"][session]
    sampler = _ItemSampler(items, users["brand_pref"], cfg.brands_per_category)
    item = sampler.sample(rng, user, sessions["category"][session])
    # A replenishing session opens on one of the user's staples.
    staple_view = sessions["replenish"][session] & (position == 0)
    staple_pick = rng.integers(0, cfg.staples_per_user, size=len(user))
    item = np.where(staple_view, truth.staples[user, staple_pick], item)
    # Items cannot be seen before their launch: redraw once, then fall back to the group's anchor.
    view_day = sessions["time"][session]
    for _ in range(2):
        early = items["launch_offset"][item] > view_day
        if not early.any():
            break
        item[early] = sampler.sample(rng, user[early], items["category"][item[early]])
    early = items["launch_offset"][item] > view_day
    anchors = np.flatnonzero(items["anchor"])
    anchor_of_group = np.empty(items["group"].max() + 1, dtype=np.int64)
    anchor_of_group[items["group"][anchors]] = anchors
    item[early] = anchor_of_group[items["group"][item[early]]]

    view_seconds = np.cumsum(5.0 + rng.exponential(40.0, len(session)))  # >= 5 s apart: distinct stamps
    view_seconds -= np.repeat(view_seconds[np.cumsum(sessions["n_views"]) - sessions["n_views"]], sessions["n_views"])
    view_time = view_day * _DAY_SECONDS + view_seconds
    logit = cfg.cart_bias + truth.affinity_by_index(user, item) + 3.0 * staple_view  # staples: a known want
    logit -= cfg.browse_cart_penalty * sessions["browse"][session]
    # Today's price against the list price: a discount tempts the price-sensitive most.
    day = calendar.day_index(view_day)
    base_logit = logit.copy()
    price_response = cfg.price_elasticity * truth.price_sensitivity[user]
    logit -= price_response * np.log(calendar.price[item, day] / calendar.list_price[item])
    wanted = rng.random(len(item)) < 1.0 / (1.0 + np.exp(-logit))
    in_stock = calendar.in_stock[item, day]
    carted = wanted & in_stock  # out of stock: seen, not bought (sales are censored)
    bought = carted & sessions["checkout"][session]
    # One purchase line per item and order, at the end of the session.
    line = pd.DataFrame({"s": session[bought], "i": item[bought]}).drop_duplicates()
    line_session, line_item = line["s"].to_numpy(), line["i"].to_numpy()
    if truth_rng is not None:
        # The hidden demand behind the log (shopcase.data.demand_truth); its own stream leaves the log unchanged.
        n_items = len(calendar.list_price)
        truth.item_lost_units = lost_units(
            truth_rng,
            session,
            item,
            day,
            wanted & ~in_stock & sessions["checkout"][session],
            line_session.astype(np.int64) * n_items + line_item,
            n_items,
            calendar.n_days,
        )
        truth.item_demand_curve = demand_curves(
            session,
            item,
            base_logit,
            price_response,
            sessions["checkout"][session],
            n_items,
            calendar.n_days,
        )
        truth.price_grid = PRICE_GRID.copy()
    del base_logit, in_stock, wanted
    session_end = np.zeros(n_sessions)
    np.maximum.at(session_end, session, view_time)

    quantity = 1 + rng.poisson(0.3, len(line_item))
    n_views, n_carts = len(item), int(carted.sum())
    # Build each column once, in time order: one lexsort instead of frames, a concat and a sort.
    # Whole seconds, the log's resolution: time order then means the same here and across blocks.
    seconds = np.round(np.concatenate([view_time, view_time[carted] + 20.0, session_end[line_session] + 60.0]))
    event_session = np.concatenate([session, session[carted], line_session])
    event_day = calendar.day_index(seconds / _DAY_SECONDS)
    del view_time, view_day, position, user, logit, day
    code = np.repeat(np.arange(3, dtype=np.int8), [n_views, n_carts, len(line_item)])
    order = np.lexsort((code, event_session, seconds))
    # The log stops at the end of its last day: a session still running at midnight is cut there, as an
    # export of a real log would be (an order's lines share one time, so an order is never split).
    order = order[seconds[order] < period * _DAY_SECONDS]
    event_item = np.concatenate([item, item[carted], line_item])[order]
    event_session = event_session[order]
    code = code[order]
    is_purchase = code == EVENT_TYPES.index("purchase")
    units = np.ones(len(order), dtype=np.int64)
    units[is_purchase] = quantity[order[is_purchase] - n_views - n_carts]
    return pd.DataFrame(
        {
            USER_ID: sessions["user"][event_session] + 1,
            SESSION_ID: event_session + 1,
            TIMESTAMP: _to_datetime(start, seconds[order] / _DAY_SECONDS),
            EVENT_TYPE: pd.Categorical.from_codes(code, categories=list(EVENT_TYPES)),
            ITEM_ID: event_item + 1,
            QUANTITY: units,
            UNIT_PRICE: calendar.price[event_item, event_day[order]],
            ORDER_ID: pd.arrays.IntegerArray(event_session + 1, mask=~is_purchase),
        }
    )


def _make_emails(
    cfg: ShopConfig, n_users: int, rng: np.random.Generator, users: dict, start: pd.Timestamp, period: float
):
    sends = np.arange(0.0, period, cfg.email_every_days)
    first = np.searchsorted(sends, np.maximum(users["signup"], 0.0))
    per_user = len(sends) - first
    user = np.repeat(np.arange(n_users), per_user)
    day = sends[first[user] + _within_group_position(per_user)] + rng.uniform(0.3, 0.8, len(user))
    p_open = users["email_open"][user] * _engagement(users["churn"][user] - day, cfg.fade_days)
    opened = rng.random(len(user)) < p_open
    return pd.DataFrame({USER_ID: user + 1, TIMESTAMP: _to_datetime(start, day), OPENED: opened})


USER_BLOCK: int = 20_000
"""Users generated together. Each block of users draws from its own seed (``seed``, block number), so a
block's users, sessions, events and emails do not depend on how many blocks there are or on who computes
them: ``generate_user_block`` run on a cluster, one block per task, gives the same shop as ``generate_shop``.
It also bounds the generator's temporaries by the block, not by the whole shop."""


@dataclass
class ShopBlock:
    """What one block of users adds to a shop: its tables (global ids already) and its hidden truth."""

    users: pd.DataFrame
    events: pd.DataFrame
    emails: pd.DataFrame
    truth: GroundTruth


@dataclass(frozen=True)
class _CatalogueState:
    """The catalogue, the item latents and the trading calendar every block of users shares."""

    catalogue: pd.DataFrame
    items: dict
    calendar: TradingCalendar


def _streams(seed: int, *key: int, n: int) -> list[np.random.Generator]:
    """``n`` independent generators for the part of the shop named by ``key`` (0: catalogue; 1, b: block b)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed, spawn_key=key).spawn(n)]


def _period_days(cfg: ShopConfig) -> tuple[pd.Timestamp, float]:
    """The log's start and its length in days: ``end`` is the last day logged, so it counts in full."""
    t0, t1 = as_timestamp(cfg.start, "start"), as_timestamp(cfg.end, "end")
    return t0, (t1 - t0) / pd.Timedelta(days=1) + 1.0


def _catalogue_state(cfg: ShopConfig) -> _CatalogueState:
    t0, period = _period_days(cfg)
    catalogue, items = _make_catalogue(cfg, _streams(cfg.seed, 0, n=1)[0], t0, period)
    n_days = int(round(period))
    prices_rng, stock_rng = _streams(cfg.seed, 2, n=2)
    price, promotion = price_schedule(
        prices_rng,
        items["price"],
        items["category"],
        n_days,
        cfg.price_changes_per_year,
        cfg.promotions_per_year,
        cfg.promotion_discount,
        cfg.promotion_days,
    )
    calendar = TradingCalendar(
        start=t0,
        activity=activity_profile(
            t0,
            n_days,
            cfg.weekday_profile,
            cfg.season_height,
            cfg.season_peak_day,
            cfg.season_rise_days,
            cfg.season_fall_days,
        ),
        price=price,
        list_price=items["price"],
        promotion=promotion,
        in_stock=stock_schedule(stock_rng, cfg.n_items, n_days, cfg.stockouts_per_year, cfg.stockout_days),
    )
    # Unit costs for margins: a cost share per category (gross margins differ: groceries thin, beauty wide)
    # and a little per item, from a stream of their own.
    cost_rng = _streams(cfg.seed, 4, n=1)[0]
    share = cost_rng.uniform(0.3, 0.8, len(CATEGORIES))[items["category"]] + cost_rng.normal(0, 0.05, cfg.n_items)
    items["unit_cost"] = np.round(items["price"] * np.clip(share, 0.2, 0.9), 2)
    return _CatalogueState(catalogue, items, calendar)


def n_user_blocks(config: ShopConfig) -> int:
    """How many blocks of ``USER_BLOCK`` users ``config`` has (the last one may be smaller)."""
    return -(-config.n_users // USER_BLOCK)


def generate_user_block(config: ShopConfig, block: int, catalogue_state: _CatalogueState | None = None) -> ShopBlock:
    """Users ``block * USER_BLOCK + 1`` .. of the shop ``config`` describes, with their sessions and emails.

    Parameters
    ----------
    config : ShopConfig
        The whole shop's configuration (validated here).
    block : int
        Which block, ``0 <= block < n_user_blocks(config)``.
    catalogue_state : optional
        The shared catalogue, to skip rebuilding it for every block (``generate_shop`` passes it).

    Returns
    -------
    ShopBlock
        Its ``users``, ``events`` and ``emails`` with global user ids; ``session_id`` and ``order_id`` are
        numbered within the block from 1 (``generate_shop`` offsets them by the earlier blocks' sessions),
        and the block's ``truth`` (users indexed within the block).
    """
    cfg = config.validated()
    check_int(block, "block", low=0, high=n_user_blocks(cfg) - 1)
    state = _catalogue_state(cfg) if catalogue_state is None else catalogue_state
    items = state.items
    t0, period = _period_days(cfg)
    first = block * USER_BLOCK
    n_block = min(USER_BLOCK, cfg.n_users - first)
    streams = _streams(cfg.seed, 1, block, n=5)
    users = _make_users(cfg, n_block, streams[0], items, period)
    truth = GroundTruth.from_latent(users, items)
    staple_users = np.repeat(np.arange(n_block), cfg.staples_per_user)
    truth.staples = (
        _ItemSampler(items, users["brand_pref"], cfg.brands_per_category)
        .sample(streams[1], staple_users, _sample_rows(streams[1], users["taste"][staple_users]))
        .reshape(n_block, cfg.staples_per_user)
    )
    sessions = _make_sessions(cfg, n_block, streams[2], users, period, state.calendar)
    truth_rng = _streams(cfg.seed, 3, block, n=1)[0]  # the demand truth's own draws (lost sales' units)
    events = _make_events(cfg, streams[3], sessions, users, items, truth, t0, period, state.calendar, truth_rng)
    emails = _make_emails(cfg, n_block, streams[4], users, t0, period)
    events[USER_ID] += first
    emails[USER_ID] += first
    names = np.array(list(CATEGORIES))
    users_frame = pd.DataFrame(
        {
            USER_ID: np.arange(first + 1, first + n_block + 1, dtype=np.int64),
            SIGNUP_DATE: _to_datetime(t0, users["signup"]),
            "sessions_per_month": users["activity"],
            "favourite_category": pd.Categorical(names[users["taste"].argmax(axis=1)], categories=list(names)),
            "true_churn_date": _to_datetime(t0, users["churn"]),
        }
    )
    return ShopBlock(users=users_frame, events=events, emails=emails, truth=truth)


def generate_shop(
    n_users: int = 4_000,
    n_items: int = 3_000,
    seed: int = SEED,
    start: str = "2023-01-01",
    end: str = "2023-12-31",
    **options: object,
) -> Shop:
    """Generate a shop of ``n_users`` x ``n_items`` whose log runs from ``start`` through ``end`` (inclusive).

    ``end`` is the last day logged: events fall in ``[start, end + 1 day)`` (``Shop.log_end``).
    ``options`` are further ``ShopConfig`` fields. Deterministic under ``seed``, and built from blocks of
    ``USER_BLOCK`` users that each have their own seed (see ``generate_user_block``).
    Returns a ``Shop``: ``catalogue`` (n_items rows), ``users`` (n_users rows,
    with hidden ``true_churn_date`` (which may lie after ``end``: users who have not left yet) and
    ``favourite_category`` for teaching), ``events`` (view/cart/purchase log in time order,
    ``schema.EVENTS_COLUMNS``), ``emails`` (``schema.EMAILS_COLUMNS``) and ``truth``.
    """
    cfg = ShopConfig(n_users=n_users, n_items=n_items, seed=seed, start=str(start), end=str(end), **options)
    cfg = cfg.validated()
    state = _catalogue_state(cfg)
    blocks = [generate_user_block(cfg, b, state) for b in range(n_user_blocks(cfg))]
    events = _join_events([b.events for b in blocks])
    return Shop(
        config=cfg,
        catalogue=state.catalogue,
        users=pd.concat([b.users for b in blocks], ignore_index=True),
        events=events,
        emails=pd.concat([b.emails for b in blocks], ignore_index=True),
        truth=GroundTruth.concat([b.truth for b in blocks]),
        prices=state.calendar.prices_table(),
        stockouts=state.calendar.stockouts_table(),
    )


def _join_events(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One log from the blocks' logs: sessions numbered across blocks, rows in time order."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [int(p[SESSION_ID].max()) if len(p) else 0 for p in parts[:-1]])
    parts = [
        p.assign(**{SESSION_ID: p[SESSION_ID] + o, ORDER_ID: p[ORDER_ID] + o})
        for p, o in zip(parts, offsets, strict=True)
    ]
    events = pd.concat(parts, ignore_index=True)
    # Each block is in (time, session, view < cart < purchase) order and later blocks hold later sessions, so a
    # stable sort by time alone gives that order overall; it merges the blocks' sorted runs (timsort).
    order = np.argsort(events[TIMESTAMP].to_numpy(), kind="stable")
    return events.take(order).reset_index(drop=True)

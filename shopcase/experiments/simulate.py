"""A/B tests on the shop's hidden truth: every arm's true effect is known, so every analysis can be checked.

The story of one simulated visitor (``Behaviour`` holds every stated number):

1. **Who takes part.** Users active on ``start`` (signed up, not yet churned) visit the shop in a Poisson
   process at their own rate (their ``sessions_per_month``, browsing included); a user enters the experiment
   at their first visit in the ``days``-long window (users who never visit are never exposed).
2. **What they see.** Each arm is a policy: a homepage ``Slate`` of a recommender's top items for the user,
   possibly with a discount on everything. Arms are assigned by a salted hash of the user id.
3. **What they do.** Slot k is examined with probability ``k ** -eta``; an examined item is clicked with
   ``sigmoid(click_bias + affinity)`` and bought with ``sigmoid(buy_bias + affinity + intent + discount
   effect)``, ``affinity`` the shop's true user-item affinity and ``intent`` the user's **persistent**
   purchase propensity (so a pre-period predicts the experiment period, which is what CUPED uses). Besides the
   slate, a visit converts "organically" with ``sigmoid(organic_bias + intent + discount effect)`` at the
   user's usual order value. A discount ``d`` adds ``price_sensitivity x -log(1 - d)`` to the buying logits
   (the generator's price response) and cuts revenue by ``d``.
4. **The truth.** For each user and arm the simulator knows the chance that a visit converts and the
   expected revenue of a visit, so each arm's expected conversion, revenue per user, revenue per session,
   orders per user and average order value over the exposed users are exact numbers, not estimates.

A session converts with probability q and then has one order whose value is Gamma-distributed around the
expected order value m = (expected revenue per visit) / q; so the per-user totals (Poisson visits, binomial
orders, a Gamma sum of order values) have the same law whether drawn visit by visit (``run``) or user by user
(``replicate``, thousands of experiments at once, vectorised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopcase.data.generate import Shop
from shopcase.experiments import core
from shopcase.experiments.analysis import (
    adjust_pvalues,
    cuped,
    ratio_metric_test,
    srm_test,
    two_proportion_test,
    welch_test,
)
from shopcase.experiments.assignment import assign_arms
from shopcase.experiments.bootstrap import poisson_replicates
from shopcase.experiments.results import SrmResult, TestResult
from shopcase.experiments.sequential import sequence_from_sums
from shopcase.schema import (
    ARM,
    CART,
    CONVERTED,
    EVENT_TYPE,
    ITEM_ID,
    ORDER_ID,
    ORDERS,
    PRICE,
    PURCHASE,
    QUANTITY,
    REVENUE,
    SEED,
    SESSION_ID,
    SESSIONS,
    SIGNUP_DATE,
    TIMESTAMP,
    UNIT_PRICE,
    USER_ID,
    VIEW,
)
from shopcase.validate import as_timestamp, check_int, check_number, check_probability


@dataclass(frozen=True)
class Behaviour:
    """The simulated visitors' stated behaviour (logit scale unless said otherwise)."""

    eta: float = 1.0  # examination of slot k is k ** -eta
    click_bias: float = -5.0  # clicking an examined item of affinity 0
    buy_bias: float = -3.0  # buying a clicked item of affinity 0 (before intent)
    organic_bias: float = -3.5  # converting in a visit without buying from the slate
    intent_sd: float = 1.5  # spread of the users' persistent purchase intent
    order_value_shape: float = 2.0  # Gamma shape of an order's value around its mean (cv 1/sqrt(shape))
    checkout_rate: float = 0.6  # share of carted visits that buy (the rest abandon the cart)

    def __post_init__(self) -> None:
        for name in ("eta", "order_value_shape"):
            check_number(getattr(self, name), name, low=0.0, low_inclusive=False)
        for name in ("click_bias", "buy_bias", "organic_bias"):
            check_number(getattr(self, name), name)
        check_number(self.intent_sd, "intent_sd", low=0.0)
        check_probability(self.checkout_rate, "checkout_rate")


@dataclass(frozen=True)
class Slate:
    """An arm's policy: the homepage shows ``model``'s top ``n`` for each user, at a ``discount`` in [0, 1).

    ``model`` is a fitted recommender (anything with ``recommend(user_ids, n)`` returning ``user_id, item_id``
    ranked rows), e.g. ``Popularity().fit(interactions)``. Fit it on data from before the experiment.
    """

    model: object
    n: int = 10
    discount: float = 0.0

    def __post_init__(self) -> None:
        check_int(self.n, "n")
        check_number(self.discount, "discount", low=0.0, high=1.0, high_inclusive=False)
        if not callable(getattr(self.model, "recommend", None)):
            raise ValueError(f"model must have a recommend(user_ids, n) method, got {type(self.model).__name__}")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


METRICS: tuple[str, ...] = ("conversion", "revenue_per_user", "orders_per_user", "revenue_per_session", "aov")
"""What ``truth`` and ``analyse`` report per arm: share of exposed users who bought, revenue and orders per
exposed user, revenue per visit (a ratio over users' visits) and average order value (revenue per order)."""


def expected_metrics(rate: np.ndarray, q: np.ndarray, r: np.ndarray, days: float) -> dict[str, float]:
    """Each ``METRICS`` value over exposed users, given visit rates (per day), conversion and revenue per visit."""
    visits = rate * days
    exposed = -np.expm1(-visits)  # P(at least one visit): who is in the experiment
    orders = visits * q
    revenue = visits * r
    return {
        "conversion": float(-np.expm1(-orders).sum() / exposed.sum()),
        "revenue_per_user": float(revenue.sum() / exposed.sum()),
        "orders_per_user": float(orders.sum() / exposed.sum()),
        "revenue_per_session": float(revenue.sum() / visits.sum()),
        "aov": float(revenue.sum() / orders.sum()),
    }


@dataclass(frozen=True)
class Experiment:
    """One simulated experiment: what the shop would log, and the truth beside it.

    Attributes
    ----------
    users : DataFrame
        One row per exposed user: ``user_id, arm, first_day`` (day of entry, 0-based), ``sessions, clicks,
        carts, orders, converted, revenue`` in the window, and ``pre_sessions, pre_orders, pre_revenue`` over
        the ``pre_days`` before it (everyone saw the control then).
    sessions : DataFrame
        One row per visit: ``session_id, user_id, arm, day, clicks, carted, purchased, revenue``.
    truth : DataFrame
        Per arm, the expected ``METRICS`` over these users (exact, from the simulator's probabilities).
    control : str
        The control arm's name (the first arm).
    salt : str
        The assignment's salt.
    """

    users: pd.DataFrame
    sessions: pd.DataFrame
    truth: pd.DataFrame
    control: str
    salt: str
    days: int
    planned: Mapping[str, float] = field(default_factory=dict)

    @property
    def arms(self) -> list[str]:
        return list(self.truth.index)

    def true_lift(self, arm: str, metric: str) -> float:
        """The true difference ``arm - control`` of a metric (in its units)."""
        return float(self.truth.loc[arm, metric] - self.truth.loc[self.control, metric])

    def srm(self, alpha: float = 0.001) -> SrmResult:
        """The sample-ratio check of exposed users per arm against the planned shares."""
        counts = self.users[ARM].value_counts().reindex(self.arms, fill_value=0)
        return srm_test(counts.to_dict(), [self.planned[a] for a in self.arms], alpha=alpha)

    def _arm(self, arm: str) -> pd.DataFrame:
        if arm not in self.arms:
            raise ValueError(f"arm must be one of {self.arms}, got {arm!r}")
        return self.users[self.users[ARM] == arm]

    def results(self, arm: str, alpha: float = 0.05) -> list[TestResult]:
        """Every metric of ``arm`` against control: conversion, revenue and orders per user, revenue per
        session and AOV (delta method), and revenue per user with CUPED on the pre-period revenue."""
        a, b = self._arm(self.control), self._arm(arm)
        return [
            two_proportion_test(
                int(a[CONVERTED].sum()), len(a), int(b[CONVERTED].sum()), len(b), alpha=alpha, metric="conversion"
            ),
            welch_test(a[REVENUE], b[REVENUE], alpha=alpha, metric="revenue_per_user", nonnegative=True),
            welch_test(a[ORDERS], b[ORDERS], alpha=alpha, metric="orders_per_user", nonnegative=True),
            ratio_metric_test(
                a[REVENUE], a[SESSIONS], b[REVENUE], b[SESSIONS], alpha=alpha, metric="revenue_per_session"
            ),
            ratio_metric_test(a[REVENUE], a[ORDERS], b[REVENUE], b[ORDERS], alpha=alpha, metric="aov"),
            cuped(
                a[REVENUE],
                b[REVENUE],
                a["pre_revenue"],
                b["pre_revenue"],
                alpha=alpha,
                metric="revenue_per_user (CUPED)",
            ),
        ]

    def analyse(self, arm: str, alpha: float = 0.05, correction: str = "holm") -> pd.DataFrame:
        """``results`` as a table with p-values adjusted across the metrics and the true lift beside each."""
        table = adjust_pvalues(self.results(arm, alpha), method=correction, alpha=alpha)
        truth = [self.true_lift(arm, m.replace(" (CUPED)", "")) for m in table["metric"]]
        table["true_lift"] = truth
        table["covers_truth"] = (table["ci_low"] <= table["true_lift"]) & (table["true_lift"] <= table["ci_high"])
        return table

    def events(self) -> pd.DataFrame:
        """The visits as an event log (a view per visit, a cart, a purchase), for ``funnel(..., by='arm')``."""
        s = self.sessions
        parts = [s.assign(**{EVENT_TYPE: VIEW}), s[s["carted"]].assign(**{EVENT_TYPE: CART})]
        parts.append(s[s["purchased"]].assign(**{EVENT_TYPE: PURCHASE}))
        events = pd.concat(parts, ignore_index=True)
        step = events[EVENT_TYPE].map({VIEW: 0, CART: 1, PURCHASE: 2}).to_numpy()
        events[TIMESTAMP] = events[TIMESTAMP] + pd.to_timedelta(step * 60, unit="s")
        return events.sort_values([TIMESTAMP, SESSION_ID], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Replications:
    """Per-arm sufficient statistics of many simulated experiments, and the truth they estimate.

    ``sums[name]`` has shape (n_reps, 2) (control, treatment) for ``n, converted, revenue, revenue2, orders,
    orders2, revenue_orders, sessions, sessions2, revenue_sessions, pre, pre2, pre_revenue``; ``looks`` (optional)
    has shape (n_reps, 2, 3, n_looks) (cumulative count, sum, sum of squares of ``look_metric``) and
    ``buckets`` (optional) shape (n_reps, 2, 2, n_buckets) (revenue and users per random bucket).
    ``truth`` holds each ``METRICS`` value per arm over the pool (the population every replication samples).
    """

    sums: dict[str, np.ndarray]
    truth: pd.DataFrame
    looks: np.ndarray | None = None
    buckets: np.ndarray | None = None

    def true_lift(self, metric: str) -> float:
        return float(self.truth[metric].iloc[1] - self.truth[metric].iloc[0])

    def tests(self, alpha: float = 0.05) -> dict[str, dict[str, np.ndarray]]:
        """Every test of ``Experiment.results`` on every replication at once (the same ``core`` formulas)."""
        s = {k: (v[:, 0], v[:, 1]) for k, v in self.sums.items()}
        n = s["n"]
        out = {
            "conversion": core.two_proportions(s["converted"][0], n[0], s["converted"][1], n[1], alpha),
            "revenue_per_user": core.welch_from_sums(
                n[0], s["revenue"][0], s["revenue2"][0], n[1], s["revenue"][1], s["revenue2"][1], alpha
            ),
            "orders_per_user": core.welch_from_sums(
                n[0], s["orders"][0], s["orders2"][0], n[1], s["orders"][1], s["orders2"][1], alpha
            ),
        }
        for name, den, den2, cross in (
            ("revenue_per_session", "sessions", "sessions2", "revenue_sessions"),
            ("aov", "orders", "orders2", "revenue_orders"),
        ):
            arms = [tuple(s[k][i] for k in ("n", "revenue", den, "revenue2", den2, cross)) for i in (0, 1)]
            out[name] = core.ratio_difference(arms[0], arms[1], alpha)
        total = {k: v.sum(axis=1) for k, v in self.sums.items()}
        theta = core.cuped_theta(total["n"], total["pre"], total["revenue"], total["pre2"], total["pre_revenue"])
        x_mean = total["pre"] / total["n"]
        adjusted = [
            core.adjusted_sums(
                n[i], s["revenue"][i], s["revenue2"][i], s["pre"][i], s["pre2"][i], s["pre_revenue"][i], theta, x_mean
            )
            for i in (0, 1)
        ]
        out["revenue_per_user (CUPED)"] = core.welch_from_sums(
            n[0], adjusted[0][0], adjusted[0][1], n[1], adjusted[1][0], adjusted[1][1], alpha
        )
        out["revenue_per_user (CUPED)"]["theta"] = theta
        return out

    def bootstrap(self, n_resamples: int = 400, alpha: float = 0.05, seed: int = SEED) -> dict[str, np.ndarray]:
        """The bucketed Poisson bootstrap of revenue per user (treatment - control) on every replication."""
        if self.buckets is None:
            raise ValueError("these replications kept no buckets: replicate(..., buckets=B)")
        rng = np.random.default_rng(seed)
        draws = poisson_replicates(self.buckets, n_resamples, rng)  # (reps, 2, resamples)
        diff = draws[:, 1] - draws[:, 0]
        low, high = np.nanquantile(diff, [alpha / 2, 1 - alpha / 2], axis=1)
        below, above = (diff <= 0).sum(axis=1), (diff >= 0).sum(axis=1)
        p = np.minimum(1.0, 2.0 * (np.minimum(below, above) + 1) / (n_resamples + 1))
        estimate = self.sums["revenue"][:, 1] / self.sums["n"][:, 1] - self.sums["revenue"][:, 0] / self.sums["n"][:, 0]
        return {"estimate": estimate, "ci_low": low, "ci_high": high, "p_value": p}

    def sequential(self, alpha: float = 0.05) -> dict[str, np.ndarray]:
        """Difference in means of ``look_metric`` at every look of every replication, fixed and always-valid."""
        if self.looks is None:
            raise ValueError("these replications kept no looks: replicate(..., looks=L)")
        return sequence_from_sums(self.looks[:, 0], self.looks[:, 1], alpha)


class ExperimentSimulator:
    """The shop's users, their true behaviour under each arm, and ways to run experiments on them.

    Parameters
    ----------
    shop : Shop
        A generated shop (its ``truth`` gives affinities and price sensitivities).
    arms : mapping name -> Slate
        At least two arms; the first is the control. Item ids a policy returns must be in the catalogue.
    start : date
        First day of the experiment window; users must have signed up before it and not churned.
    days : int
        Length of the window (days).
    pre_days : int
        Length of the pre-period (everyone sees the control) that CUPED uses.
    behaviour : Behaviour, optional
        The stated behaviour (``Behaviour()``).
    seed : int
        Seeds the users' persistent intent (part of the simulated truth).
    """

    def __init__(
        self,
        shop: Shop,
        arms: Mapping[str, Slate],
        *,
        start: object,
        days: int = 14,
        pre_days: int = 56,
        behaviour: Behaviour | None = None,
        seed: int = SEED,
    ) -> None:
        if not isinstance(arms, Mapping) or len(arms) < 2:
            raise ValueError(f"arms must map at least two arm names to policies, got {arms!r}")
        for name, policy in arms.items():
            if not isinstance(policy, Slate):
                raise ValueError(f"arms[{name!r}] must be a Slate, got {type(policy).__name__}")
        self.days = check_int(days, "days")
        self.pre_days = check_int(pre_days, "pre_days")
        self.behaviour = behaviour if behaviour is not None else Behaviour()
        self.seed = check_int(seed, "seed", low=0)
        self.start = as_timestamp(start, "start")
        self.arm_names = list(arms)
        users = shop.users
        active = (users[SIGNUP_DATE] <= self.start) & (users["true_churn_date"] > self.start)
        pool = users[active.to_numpy()]
        if len(pool) < 2:
            raise ValueError(f"start={self.start.date()}: fewer than 2 users are active then")
        self.user_ids = pool[USER_ID].to_numpy()
        index = self.user_ids - 1
        rng = np.random.default_rng(self.seed)
        b = self.behaviour
        self.rate = pool["sessions_per_month"].to_numpy() * (1.0 + shop.config.browse_sessions_ratio) / 30.0
        self.intent = rng.normal(0.0, b.intent_sd, len(pool))
        sensitivity = shop.truth.price_sensitivity[index]
        value = _usual_order_value(shop, self.start)
        organic_value = value.reindex(self.user_ids).fillna(float(value.median()) if len(value) else 30.0).to_numpy()
        catalogue_ids = shop.catalogue[ITEM_ID].to_numpy()
        prices = shop.catalogue[PRICE].to_numpy(dtype=np.float64)
        n_arms = len(arms)
        self.q = np.empty((n_arms, len(pool)))  # P(a visit converts)
        self.r = np.empty((n_arms, len(pool)))  # expected revenue of a visit
        self.clicks = np.empty((n_arms, len(pool)))  # expected slate clicks per visit
        for a, (name, policy) in enumerate(arms.items()):
            items = _slate_matrix(policy, name, self.user_ids, catalogue_ids)
            shown = items >= 0
            pairs = shop.truth.affinity_by_index(np.repeat(index, policy.n), np.maximum(items, 0).ravel())
            affinity = np.where(shown, pairs.reshape(items.shape), 0.0)
            lift = sensitivity * -np.log1p(-policy.discount)
            examined = np.arange(1, policy.n + 1, dtype=np.float64) ** -b.eta
            click = shown * examined * _sigmoid(b.click_bias + affinity)
            buy = click * _sigmoid(b.buy_bias + affinity + (self.intent + lift)[:, None])
            organic = _sigmoid(b.organic_bias + self.intent + lift)
            self.q[a] = 1.0 - (1.0 - organic) * np.prod(1.0 - buy, axis=1)
            price = np.where(shown, prices[np.maximum(items, 0)], 0.0)
            self.r[a] = (1.0 - policy.discount) * (organic * organic_value + (buy * price).sum(axis=1))
            self.clicks[a] = click.sum(axis=1)

    def truth(self, users: np.ndarray | None = None) -> pd.DataFrame:
        """Each arm's expected ``METRICS`` over pool rows ``users`` (default: the whole pool)."""
        rows = slice(None) if users is None else users
        return pd.DataFrame(
            [
                expected_metrics(self.rate[rows], self.q[a, rows], self.r[a, rows], self.days)
                for a in range(len(self.arm_names))
            ],
            index=pd.Index(self.arm_names, name=ARM),
        )

    def run(
        self,
        n_users: int | None = None,
        seed: int = SEED,
        salt: str = "experiment",
        shares: Mapping[str, float] | None = None,
    ) -> Experiment:
        """One experiment on ``n_users`` users drawn from the pool (default all), visit by visit.

        With more ``n_users`` than the pool holds, the experiment's visitors are new ids ``1..n_users``, each
        behaving like a pool user drawn at random (``profile_id``), as new customers resemble existing ones.

        ``salt`` names the experiment: assignment is the salted hash of the user id, so it is the same for
        every ``seed`` (which draws users and outcomes). ``shares`` are the planned arm shares (default equal).
        """
        seed = check_int(seed, "seed", low=0)
        rng = np.random.default_rng([self.seed, seed])
        n_pool = len(self.user_ids)
        n = n_pool if n_users is None else check_int(n_users, "n_users", low=2)
        if n <= n_pool:  # the shop's own users
            rows = np.sort(rng.choice(n_pool, size=n, replace=False)) if n < n_pool else np.arange(n_pool)
            ids = self.user_ids[rows]
        else:  # more visitors than users: new visitors, each like a user drawn at random (with replacement)
            rows = rng.integers(0, n_pool, n)
            ids = np.arange(1, n + 1)
        planned = {a: 1.0 for a in self.arm_names} if shares is None else dict(shares)
        arm_name = assign_arms(ids, planned, salt)
        arm = pd.Index(self.arm_names).get_indexer(arm_name)
        b = self.behaviour
        visits = rng.poisson(self.rate[rows] * self.days)
        drawn = rows
        exposed = visits > 0
        rows, arm, visits, ids = rows[exposed], arm[exposed], visits[exposed], ids[exposed]
        user = np.repeat(np.arange(len(rows)), visits)
        q, r = self.q[arm, rows][user], self.r[arm, rows][user]
        day = rng.random(len(user)) * self.days
        day = day[np.lexsort((day, user))]  # visits of a user in time order (users stay grouped)
        purchased = rng.random(len(user)) < q
        carted = purchased | (rng.random(len(user)) < np.clip((q / b.checkout_rate - q) / (1 - q), 0, 1))
        order_value = r / np.maximum(q, 1e-300)  # expected value of an order, so that q x value = r
        value = np.where(purchased, rng.gamma(b.order_value_shape, order_value / b.order_value_shape), 0.0)
        clicks = rng.poisson(self.clicks[arm, rows][user])
        sessions = pd.DataFrame(
            {
                SESSION_ID: np.arange(1, len(user) + 1),
                USER_ID: ids[user],
                ARM: pd.Categorical(np.array(self.arm_names, dtype=object)[arm][user], categories=self.arm_names),
                "day": day,
                TIMESTAMP: self.start + pd.to_timedelta(np.round(day * 86_400), unit="s"),
                "clicks": clicks,
                "carted": carted,
                "purchased": purchased,
                REVENUE: value,
            }
        )
        per_user = sessions.groupby(USER_ID, sort=True).agg(
            first_day=("day", "min"),
            **{SESSIONS: ("day", "size")},
            clicks=("clicks", "sum"),
            carts=("carted", "sum"),
            **{ORDERS: ("purchased", "sum"), REVENUE: (REVENUE, "sum")},
        )
        # the pre-period: everyone saw the control (arm 0); same users, same intent
        pre_visits = rng.poisson(self.rate[rows] * self.pre_days)
        pre_orders = rng.binomial(pre_visits, self.q[0, rows])
        mean_value = self.r[0, rows] / np.maximum(self.q[0, rows], 1e-300)
        pre_revenue = rng.gamma(b.order_value_shape * pre_orders, mean_value / b.order_value_shape)
        users = pd.DataFrame(
            {
                USER_ID: ids,
                ARM: pd.Categorical(np.array(self.arm_names, dtype=object)[arm], categories=self.arm_names),
            }
        ).join(per_user, on=USER_ID)
        if n > n_pool:
            users["profile_id"] = self.user_ids[rows]
        users["first_day"] = np.floor(users["first_day"]).astype(np.int64)
        users[CONVERTED] = users[ORDERS] > 0
        users["pre_sessions"], users["pre_orders"], users["pre_revenue"] = pre_visits, pre_orders, pre_revenue
        total = sum(planned.values())
        return Experiment(
            users=users,
            sessions=sessions,
            truth=self.truth(drawn),
            control=self.arm_names[0],
            salt=salt,
            days=self.days,
            planned={a: planned[a] / total for a in self.arm_names},
        )

    def replicate(
        self,
        n_reps: int,
        n_users: int,
        seed: int = SEED,
        *,
        arms: tuple[str, str] | None = None,
        looks: int | None = None,
        look_metric: str = REVENUE,
        buckets: int | None = None,
    ) -> Replications:
        """``n_reps`` experiments of ``arms`` (default the first two), each on ``n_users`` users drawn with
        replacement from the pool (the super-population the truth describes), split 50/50 at random.

        Vectorised user by user over replications (no per-session rows). ``looks`` adds cumulative sums of
        ``look_metric`` (``"revenue"`` or ``"converted"``) at that many looks, users arriving in random order
        (i.i.d. arrivals, as the sequential test assumes); ``buckets`` keeps revenue per random bucket for the
        bucketed bootstrap.
        """
        n_reps = check_int(n_reps, "n_reps")
        n_users = check_int(n_users, "n_users", low=4)
        names = tuple(self.arm_names[:2]) if arms is None else arms
        idx = [self.arm_names.index(a) if a in self.arm_names else -1 for a in names]
        if len(idx) != 2 or min(idx) < 0:
            raise ValueError(f"arms must name two of {self.arm_names}, got {arms!r}")
        if look_metric not in (REVENUE, CONVERTED):
            raise ValueError(f"look_metric must be 'revenue' or 'converted', got {look_metric!r}")
        rng = np.random.default_rng([self.seed, check_int(seed, "seed", low=0), 1])
        keys = ("n", "converted", "revenue", "revenue2", "orders", "orders2", "revenue_orders", "sessions", "sessions2",
                "revenue_sessions", "pre", "pre2", "pre_revenue")  # fmt: skip
        sums = {k: np.zeros((n_reps, 2)) for k in keys}
        look_sums = None if looks is None else np.zeros((n_reps, 2, 3, check_int(looks, "looks")))
        bucket_out = None if buckets is None else np.zeros((n_reps, 2, 2, check_int(buckets, "buckets", low=2)))
        b = self.behaviour
        q, r = self.q[idx], self.r[idx]
        chunk = max(1, 2_000_000 // n_users)
        for first in range(0, n_reps, chunk):
            reps = np.arange(first, min(n_reps, first + chunk))
            rows = rng.integers(0, len(self.user_ids), (len(reps), n_users))
            arm = (rng.random(rows.shape) < 0.5).astype(np.int64)
            visits = rng.poisson(self.rate[rows] * self.days)
            orders = rng.binomial(visits, q[arm, rows])
            value = r[arm, rows] / np.maximum(q[arm, rows], 1e-300)
            revenue = rng.gamma(b.order_value_shape * orders, value / b.order_value_shape)
            pre_orders = rng.binomial(rng.poisson(self.rate[rows] * self.pre_days), self.q[0, rows])
            pre_value = self.r[0, rows] / np.maximum(self.q[0, rows], 1e-300)
            pre = rng.gamma(b.order_value_shape * pre_orders, pre_value / b.order_value_shape)
            exposed = (visits > 0).astype(np.float64)
            values = {
                "n": exposed,
                "converted": (orders > 0) * 1.0,
                "revenue": revenue,
                "revenue2": revenue**2,
                "orders": orders * 1.0,
                "orders2": orders**2 * 1.0,
                "revenue_orders": revenue * orders,
                "sessions": visits * 1.0,
                "sessions2": visits**2 * 1.0,
                "revenue_sessions": revenue * visits,
                "pre": pre * exposed,
                "pre2": pre**2 * exposed,
                "pre_revenue": pre * revenue,
            }
            key = (np.arange(len(reps))[:, None] * 2 + arm).ravel()  # (replication, arm) of each user
            for k, v in values.items():
                sums[k][reps] = np.bincount(key, v.ravel(), 2 * len(reps)).reshape(len(reps), 2)
            if look_sums is not None:
                y = values[look_metric]
                n_looks = look_sums.shape[-1]
                look = rng.integers(0, n_looks, rows.shape)
                look_sums[reps] = _grouped_sums(arm, exposed, look, n_looks, (exposed, y * exposed, y**2 * exposed))
            if bucket_out is not None:
                n_buckets = bucket_out.shape[-1]
                bucket = rng.integers(0, n_buckets, rows.shape)
                bucket_out[reps] = _grouped_sums(arm, exposed, bucket, n_buckets, (revenue * exposed, exposed), False)
        truth = pd.DataFrame(
            [expected_metrics(self.rate, q[i], r[i], self.days) for i in (0, 1)], index=pd.Index(names, name=ARM)
        )
        return Replications(sums=sums, truth=truth, looks=look_sums, buckets=bucket_out)


def _grouped_sums(
    arm: np.ndarray, exposed: np.ndarray, group: np.ndarray, n_groups: int, parts: tuple, cumulative: bool = True
) -> np.ndarray:
    """Per replication, arm, part and group: sums of ``parts`` (each shaped like ``arm``: reps x users).

    Returns shape (reps, 2, len(parts), n_groups), cumulated over groups when ``cumulative`` (looks).
    """
    reps = arm.shape[0]
    key = ((np.arange(reps)[:, None] * 2 + arm) * n_groups + group).ravel()
    out = np.stack([np.bincount(key, p.ravel(), reps * 2 * n_groups).reshape(reps, 2, n_groups) for p in parts], axis=2)
    return np.cumsum(out, axis=-1) if cumulative else out


def _usual_order_value(shop: Shop, before: pd.Timestamp) -> pd.Series:
    """Each user's mean order value in the log before ``before`` (users without orders are absent)."""
    events = shop.events
    lines = events[(events[EVENT_TYPE] == PURCHASE) & (events[TIMESTAMP] < before)]
    value = lines[UNIT_PRICE] * lines[QUANTITY]
    orders = value.groupby([lines[USER_ID], lines[ORDER_ID]]).sum()
    return orders.groupby(level=0).mean()


def _slate_matrix(policy: Slate, name: str, user_ids: np.ndarray, catalogue_ids: np.ndarray) -> np.ndarray:
    """Item row (index into the catalogue) per user and slot, -1 where the list is shorter; refuses unknown items."""
    recs = policy.model.recommend(user_ids, n=policy.n)
    item_rows = pd.Index(catalogue_ids).get_indexer(recs[ITEM_ID])
    if (item_rows < 0).any():
        bad = pd.unique(recs[ITEM_ID][item_rows < 0])[:5].tolist()
        raise ValueError(
            f"arms[{name!r}]: the policy returned {int((item_rows < 0).sum())} item(s) outside the catalogue, "
            f"e.g. {bad}"
        )
    user_rows = pd.Index(user_ids).get_indexer(recs[USER_ID])
    if (user_rows < 0).any():
        raise ValueError(f"arms[{name!r}]: the policy returned users it was not asked about")
    slot = recs.groupby(USER_ID, sort=False).cumcount().to_numpy()
    if (slot >= policy.n).any():
        raise ValueError(f"arms[{name!r}]: the policy returned more than n={policy.n} items for a user")
    items = np.full((len(user_ids), policy.n), -1, dtype=np.int64)
    items[user_rows, slot] = item_rows
    return items


def simulate_experiment(
    shop: Shop,
    arms: Mapping[str, Slate],
    n_users: int | None = None,
    days: int = 14,
    seed: int = SEED,
    *,
    start: object,
    pre_days: int = 56,
    salt: str = "experiment",
    behaviour: Behaviour | None = None,
    shares: Mapping[str, float] | None = None,
) -> Experiment:
    """Run one A/B(/n) test of ``arms`` on ``n_users`` of ``shop``'s users from ``start`` for ``days`` days.

    A shortcut for ``ExperimentSimulator(shop, arms, start=start, days=days, ...).run(n_users, seed, salt)``;
    see ``ExperimentSimulator`` and the module docstring for the behaviour and the truth returned beside the
    data. The first arm is the control.
    """
    simulator = ExperimentSimulator(
        shop, arms, start=start, days=days, pre_days=pre_days, behaviour=behaviour, seed=seed
    )
    return simulator.run(n_users, seed=seed, salt=salt, shares=shares)

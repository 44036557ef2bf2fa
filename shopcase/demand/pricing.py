"""Prices learned by experiment: Thompson sampling over a few price points per item group, within guardrails.

Each day, for each group of items (a category by default), the experiment picks one **price point**: a
multiple of every item's list price, from a short list that lies inside the **guardrails** (bounds no
experiment may cross, whatever it believes). The shop then sells what its customers buy at that price. The
world is the simulator's truth: each item's expected daily units at each price (``GroundTruth.demand_curve``)
and Poisson luck around it; the shop knows its list prices and unit costs, not the demand curves.

Thompson sampling keeps a posterior of how each group's demand responds to price and, each day, draws one
response from it, turns it into each price point's profit (units x (price - unit cost), summed over the
group's items) and plays the best. Price points that might be best keep being tried; ones that surely are
not, fade out. Two models of the response:

- ``model="elasticity"`` (default): a group's daily units are Poisson with mean ``s x B x m^-e``, ``B`` the
  units the shop sells at list price (its own history), ``m`` the price multiplier, ``e`` the group's price
  elasticity and ``s`` a level correction; the posterior of ``(s, e)`` lives on a grid (``e`` uniform on
  [0, 6]; ``log s`` normal with sd 0.1, on [0.7, 1/0.7]: the shop knows its sales at list price). Every
  day's sales, at any price point, teach about every price point;
- ``model="independent"``: a Gamma posterior of every item's daily units at every price point (conjugate to
  the Poisson: ``Gamma(a + units, b + days)``), nothing shared: the textbook multi-armed bandit.

The yardsticks are exact, because the truth is known: the **oracle** price point (the best expected profit
per group among the allowed ones) and the **fixed** price (list price every day). Regret is the expected
profit lost against the oracle (pseudo-regret: the truth's expectation, not the day's luck).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.schema import CATEGORY, ITEM_ID, PRICE, SEED
from shopcase.validate import check_array, check_choice, check_int, check_number, require_columns

OBJECTIVES: tuple[str, ...] = ("profit", "revenue")
MODELS: tuple[str, ...] = ("elasticity", "independent")
ELASTICITY_GRID: np.ndarray = np.linspace(0.0, 6.0, 121)
LEVEL_GRID: np.ndarray = np.exp(np.linspace(np.log(0.7), np.log(1.0 / 0.7), 31))
LEVEL_PRIOR_SD: float = 0.1
"""Prior sd of the log level correction: the shop knows its sales at list price, up to about 10%."""


@dataclass(frozen=True)
class PricingResult:
    """What a ``PriceExperiment`` did and what it cost.

    ``daily``: one row per day and group (``day, group, multiplier, units, revenue, profit, regret,
    fixed_regret``); ``arms``: one row per group and price point (``days`` played, mean ``revenue`` and
    ``margin`` (profit) per day played, the truth's ``expected_profit`` per day, ``oracle``);
    ``cumulative_regret`` / ``cumulative_fixed_regret``: totals over groups after each day.
    """

    daily: pd.DataFrame
    arms: pd.DataFrame
    cumulative_regret: np.ndarray
    cumulative_fixed_regret: np.ndarray

    @property
    def regret(self) -> float:
        """Expected profit lost against the oracle over the whole experiment."""
        return float(self.cumulative_regret[-1])

    @property
    def fixed_regret(self) -> float:
        """Expected profit the fixed price lost against the oracle over the same days."""
        return float(self.cumulative_fixed_regret[-1])

    @property
    def regret_ratio(self) -> float:
        """Thompson sampling's regret as a share of the fixed price's."""
        return self.regret / self.fixed_regret if self.fixed_regret > 0 else float("nan")

    @property
    def regret_growth(self) -> float:
        """Regret of the second half of the days over that of the first half: < 1 when regret grows sublinearly."""
        half = len(self.cumulative_regret) // 2
        first = self.cumulative_regret[half - 1]
        return float((self.cumulative_regret[-1] - first) / first) if first > 0 else float("nan")

    def __str__(self) -> str:
        return (
            f"Thompson sampling over {len(self.cumulative_regret)} days: regret {self.regret:,.0f} vs fixed price "
            f"{self.fixed_regret:,.0f} ({self.regret_ratio:.1%}); second half / first half regret "
            f"{self.regret_growth:.2f}"
        )


class PriceExperiment:
    """Thompson sampling over price points per item group (see the module docstring).

    Parameters
    ----------
    multipliers : sequence of float, default (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)
        The price points, as multiples of each item's list price; all > 0 and inside ``bounds``.
    bounds : (float, float), default (0.75, 1.35)
        The guardrails: no price point may leave them (a ``ValueError``, never a silent clip).
    fixed : float, default 1.0
        The fixed price the experiment is compared with (1: the list price); inside ``bounds``.
    objective : {"profit", "revenue"}
        What a price point earns: units x (price - unit cost), or units x price.
    model : {"elasticity", "independent"}
        How demand at one price point informs the others (see the module docstring).
    prior_days : float, default 1.0
        ``model="independent"``: weight of the prior, in days: each (item, price point) starts as ``prior_days``
        days of the item's mean daily units at list price (``prior_units`` of ``run``).
    seed : int
        Seed of the sampling and of the simulated sales.
    """

    def __init__(
        self,
        multipliers: Sequence[float] = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        bounds: tuple[float, float] = (0.75, 1.35),
        fixed: float = 1.0,
        objective: str = "profit",
        model: str = "elasticity",
        prior_days: float = 1.0,
        seed: int = SEED,
    ):
        self.multipliers = multipliers
        self.bounds = bounds
        self.fixed = fixed
        self.objective = objective
        self.model = model
        self.prior_days = prior_days
        self.seed = seed

    def _validate(self) -> np.ndarray:
        arms = check_array(self.multipliers, "multipliers")
        if (arms <= 0).any():
            raise ValueError(f"multipliers: prices at or below 0 are not prices, got {arms.tolist()}")
        if len(self.bounds) != 2:
            raise ValueError(f"bounds must be (lowest, highest) multipliers, got {self.bounds}")
        low = check_number(self.bounds[0], "bounds[0]", low=0.0, low_inclusive=False)
        high = check_number(self.bounds[1], "bounds[1]", low=low)
        outside = arms[(arms < low) | (arms > high)]
        if len(outside):
            raise ValueError(f"multipliers {outside.tolist()} lie outside the guardrails bounds=({low:g}, {high:g})")
        if len(np.unique(arms)) != len(arms):
            raise ValueError("multipliers must be distinct price points")
        check_number(self.fixed, "fixed", low=low, high=high)
        check_choice(self.objective, "objective", OBJECTIVES)
        check_choice(self.model, "model", MODELS)
        check_number(self.prior_days, "prior_days", low=0.0, low_inclusive=False)
        check_int(self.seed, "seed", low=0)
        return np.sort(arms)

    def run(
        self,
        truth: object,
        catalogue: pd.DataFrame,
        *,
        days: int = 365,
        groups: str = CATEGORY,
        prior_units: pd.Series | None = None,
    ) -> PricingResult:
        """Run the experiment for ``days`` days on every group of ``catalogue`` (its ``groups`` column).

        ``truth`` is the shop's ``GroundTruth`` (demand curves and unit costs); ``catalogue`` gives each item's
        list ``price`` (> 0) and group. ``prior_units``: the items' mean daily units at list price as the shop
        knows them (e.g. from its log); default the truth's (an informed shop).
        """
        arms = self._validate()
        days = check_int(days, "days")
        require_columns(catalogue, [ITEM_ID, PRICE, groups], "catalogue")
        list_price = catalogue[PRICE].to_numpy(dtype=float)
        if not (list_price > 0).all():
            raise ValueError("catalogue: column 'price' has prices at or below 0")
        item_ids = catalogue[ITEM_ID].to_numpy()
        cost = (
            np.zeros(len(item_ids))
            if self.objective == "revenue"
            else np.asarray(truth.item_unit_cost, dtype=float)[item_ids - 1]
        )
        rate = truth.demand_curve(item_ids, arms)  # items x arms: the truth's expected units per day
        fixed_rate = truth.demand_curve(item_ids, [self.fixed])[:, 0]
        margin = arms[None, :] * list_price[:, None] - cost[:, None]  # per unit, items x arms
        codes, names = pd.factorize(catalogue[groups], sort=True)
        n_groups, n_arms = len(names), len(arms)

        def by_group(values: np.ndarray) -> np.ndarray:
            out = np.zeros((n_groups,) + values.shape[1:])
            np.add.at(out, codes, values)
            return out

        expected = by_group(rate * margin)  # groups x arms: expected profit per day
        fixed_profit = by_group(fixed_rate * (self.fixed * list_price - cost))
        best = expected.max(axis=1)
        known = (
            (rate[:, list(arms).index(1.0)] if 1.0 in arms else fixed_rate)
            if prior_units is None
            else (prior_units.reindex(item_ids).fillna(0.0).to_numpy(dtype=float))
        )
        rng = np.random.default_rng(self.seed)
        policy = (_ElasticityPosterior if self.model == "elasticity" else _IndependentPosterior)(
            known, margin, arms, codes, n_groups, self.prior_days
        )
        chosen = np.zeros((days, n_groups), dtype=int)
        units_sold = np.zeros((days, n_groups))
        revenue = np.zeros((days, n_groups))
        profit = np.zeros((days, n_groups))
        rows = np.arange(len(item_ids))
        for day in range(days):  # a loop over days; every group and item at once
            arm = policy.choose(rng)
            chosen[day] = arm
            item_arm = arm[codes]
            units = rng.poisson(rate[rows, item_arm])
            policy.update(arm, item_arm, units)
            price = arms[item_arm] * list_price
            units_sold[day] = np.bincount(codes, weights=units, minlength=n_groups)
            revenue[day] = np.bincount(codes, weights=units * price, minlength=n_groups)
            profit[day] = np.bincount(codes, weights=units * (price - cost), minlength=n_groups)
        regret = best[None, :] - expected[np.arange(n_groups)[None, :], chosen]
        fixed_regret = np.repeat((best - fixed_profit)[None, :], days, axis=0)
        daily = pd.DataFrame(
            {
                "day": np.repeat(np.arange(1, days + 1), n_groups),
                "group": np.tile(names.to_numpy(), days),
                "multiplier": arms[chosen].ravel(),
                "units": units_sold.ravel(),
                "revenue": revenue.ravel(),
                "profit": profit.ravel(),
                "regret": regret.ravel(),
                "fixed_regret": fixed_regret.ravel(),
            }
        )
        played = daily.groupby(["group", "multiplier"])
        arms_table = pd.DataFrame(
            {
                "group": np.repeat(names.to_numpy(), n_arms),
                "multiplier": np.tile(arms, n_groups),
                "expected_profit": expected.ravel(),
                "oracle": (expected == best[:, None]).ravel(),
            }
        ).merge(
            played.agg(days=("day", "size"), revenue=("revenue", "mean"), margin=("profit", "mean")).reset_index(),
            on=["group", "multiplier"],
            how="left",
        )
        arms_table["days"] = arms_table["days"].fillna(0).astype(int)
        return PricingResult(
            daily=daily,
            arms=arms_table,
            cumulative_regret=np.cumsum(regret.sum(axis=1)),
            cumulative_fixed_regret=np.cumsum(fixed_regret.sum(axis=1)),
        )


def _sum_by_group(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups,) + values.shape[1:])
    np.add.at(out, codes, values)
    return out


class _IndependentPosterior:
    """A Gamma posterior of every item's daily units at every price point (Poisson-Gamma, conjugate)."""

    def __init__(self, known, margin, arms, codes, n_groups, prior_days):
        self.margin, self.codes, self.n_groups = margin, codes, n_groups
        self.shape = np.repeat((np.maximum(known, 1e-3) * prior_days)[:, None], len(arms), axis=1)
        self.days = np.full(self.shape.shape, float(prior_days))

    def choose(self, rng: np.random.Generator) -> np.ndarray:
        draws = rng.gamma(self.shape, 1.0 / self.days)
        return _sum_by_group(draws * self.margin, self.codes, self.n_groups).argmax(axis=1)

    def update(self, arm, item_arm, units) -> None:
        rows = np.arange(len(units))
        self.shape[rows, item_arm] += units
        self.days[rows, item_arm] += 1.0


class _ElasticityPosterior:
    """A grid posterior of each group's (level, elasticity) under Poisson units ``s x B x m^-e``."""

    def __init__(self, known, margin, arms, codes, n_groups, prior_days):
        self.arms, self.codes, self.n_groups = arms, codes, n_groups
        self.base = _sum_by_group(np.maximum(known, 1e-6), codes, n_groups)  # B per group
        # Profit per day of each arm for an elasticity e, up to the level s (which does not change the best arm):
        # sum_i known_i x m^-e x margin_i, for every grid e: groups x grid x arms.
        value = _sum_by_group(known[:, None] * margin, codes, n_groups)  # groups x arms
        self.profit = value[:, None, :] * arms[None, None, :] ** -ELASTICITY_GRID[None, :, None]
        # A level far from the known sales at list price would let "no elasticity, little demand" explain
        # sales at a high price as well as the truth does, and Thompson sampling would never test a lower one.
        prior = -0.5 * (np.log(LEVEL_GRID) / LEVEL_PRIOR_SD) ** 2
        self.log_post = np.repeat(prior[None, :, None], n_groups, axis=0).repeat(len(ELASTICITY_GRID), axis=2)

    def choose(self, rng: np.random.Generator) -> np.ndarray:
        flat = self.log_post.reshape(self.n_groups, -1)
        weights = np.exp(flat - flat.max(axis=1, keepdims=True))
        cum = np.cumsum(weights, axis=1)
        pick = (cum < rng.random(self.n_groups)[:, None] * cum[:, -1:]).sum(axis=1)
        e_index = np.minimum(pick, flat.shape[1] - 1) % len(ELASTICITY_GRID)
        return self.profit[np.arange(self.n_groups), e_index].argmax(axis=1)

    def update(self, arm, item_arm, units) -> None:
        total = np.bincount(self.codes, weights=units, minlength=self.n_groups)
        m = self.arms[arm]
        mean = (
            LEVEL_GRID[None, :, None] * self.base[:, None, None] * m[:, None, None] ** -ELASTICITY_GRID[None, None, :]
        )
        self.log_post += total[:, None, None] * np.log(mean) - mean

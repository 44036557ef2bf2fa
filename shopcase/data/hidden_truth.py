"""The hidden truth behind a generated shop: what each user really likes, and what each item's demand really is.

Later notebooks use it to simulate experiments (an A/B test can be scored
against true affinities), to check that models learn real signal, to run an
inventory policy on demand the log censored (``item_lost_units``) and a
price experiment on each item's true demand curve (``demand_curve``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np


@dataclass
class GroundTruth:
    """Latent arrays; users and items are indexed by ``id - 1`` (ids run 1..n).

    Shapes: ``taste`` (users x categories, rows sum to 1), ``brand_pref`` (users x
    category-brand groups, > 0), ``price_sensitivity`` (users), item arrays (items),
    ``staples`` (users x staples, item indices).

    Demand (``shopcase.data.demand_truth``): ``item_unit_cost`` (items, currency units),
    ``price_grid`` (price multipliers of the list price), ``item_demand_curve`` (items x grid: expected
    units per day at that multiple of the list price), ``item_lost_units`` (items x days of the log: units
    wanted on out-of-stock days, which the log could not record).
    """

    taste: np.ndarray
    brand_pref: np.ndarray
    price_sensitivity: np.ndarray
    item_category: np.ndarray
    item_group: np.ndarray
    item_quality: np.ndarray
    item_log_price_ratio: np.ndarray
    item_price: np.ndarray
    staples: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    item_unit_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    price_grid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    item_demand_curve: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    item_lost_units: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    @classmethod
    def from_latent(cls, users: dict, items: dict) -> GroundTruth:
        """Build from the generator's latent user and item arrays."""
        return cls(
            taste=users["taste"],
            brand_pref=users["brand_pref"],
            price_sensitivity=users["price_sensitivity"],
            item_category=items["category"],
            item_group=items["group"],
            item_quality=items["quality"],
            item_log_price_ratio=items["log_price_ratio"],
            item_price=items["price"],
            item_unit_cost=items.get("unit_cost", np.zeros(0)),
        )

    @classmethod
    def concat(cls, parts: list[GroundTruth]) -> GroundTruth:
        """The truth of consecutive blocks of users (same items), users in block order."""
        if len(parts) == 1:
            return parts[0]
        per_user = ("taste", "brand_pref", "price_sensitivity", "staples")
        summed = ("item_demand_curve", "item_lost_units")  # each block's users add their demand

        def joined(name: str) -> np.ndarray:
            if name in per_user:
                return np.concatenate([getattr(p, name) for p in parts])
            if name in summed:
                return sum(getattr(p, name) for p in parts)
            return getattr(parts[0], name)

        return cls(**{f.name: joined(f.name) for f in fields(cls)})

    @property
    def n_users(self) -> int:
        return self.taste.shape[0]

    @property
    def n_items(self) -> int:
        return self.item_category.shape[0]

    def affinity_by_index(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Affinity on the log-odds scale for index arrays of equal length.

        affinity = 0.5 log(n_categories x taste[category]) + 0.5 log(brand preference)
                   + item quality - price sensitivity x log(price / category median price).
        """
        n_cat = self.taste.shape[1]
        return (
            0.5 * np.log(n_cat * self.taste[users, self.item_category[items]])
            + 0.5 * np.log(self.brand_pref[users, self.item_group[items]])
            + self.item_quality[items]
            - self.price_sensitivity[users] * self.item_log_price_ratio[items]
        )

    def affinity(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """Affinity of each (user_id, item_id) pair; ``ValueError`` for ids outside the shop."""
        users = np.asarray(user_ids, dtype=np.int64) - 1
        items = np.asarray(item_ids, dtype=np.int64) - 1
        if users.shape != items.shape:
            raise ValueError(f"user_ids and item_ids must have the same shape, got {users.shape} and {items.shape}")
        for name, index, n in (("user_ids", users, self.n_users), ("item_ids", items, self.n_items)):
            unknown = (index < 0) | (index >= n)
            if unknown.any():
                raise ValueError(f"{name}: {int(unknown.sum())} ids are not in this shop (ids run 1..{n})")
        return self.affinity_by_index(users, items)

    def demand_curve(self, item_ids: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
        """Expected units per day of each item if its price were ``multiplier x`` its list price every day.

        Shape ``(len(item_ids), len(multipliers))``; linear in log price between the stored ``price_grid``
        points. ``ValueError`` for ids outside the shop or multipliers off the grid's range.
        """
        items = np.asarray(item_ids, dtype=np.int64) - 1
        m = np.atleast_1d(np.asarray(multipliers, dtype=float))
        if self.item_demand_curve.size == 0:
            raise ValueError("this truth has no demand curves (a shop generated before they existed): regenerate it")
        if ((items < 0) | (items >= self.n_items)).any():
            raise ValueError(f"item_ids: some ids are not in this shop (ids run 1..{self.n_items})")
        grid = np.log(self.price_grid)
        if (
            not np.isfinite(m).all()
            or (m <= 0).any()
            or (np.log(m) < grid[0] - 1e-9).any()
            or (np.log(m) > grid[-1] + 1e-9).any()
        ):
            raise ValueError(
                f"multipliers must lie in [{self.price_grid[0]:g}, {self.price_grid[-1]:g}] (the stored curve), got {m}"
            )
        x = np.log(m)
        j = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
        w = (x - grid[j]) / (grid[j + 1] - grid[j])
        curves = self.item_demand_curve[items]
        return curves[:, j] * (1 - w) + curves[:, j + 1] * w

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        with np.load(path) as arrays:
            return cls(**{f.name: arrays[f.name] for f in fields(cls) if f.name in arrays})

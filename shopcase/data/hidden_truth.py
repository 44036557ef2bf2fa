"""The hidden truth behind a generated shop: what each user really likes.

Later notebooks use it to simulate experiments (an A/B test can be scored
against true affinities) and to check that models learn real signal.
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
        )

    @classmethod
    def concat(cls, parts: list[GroundTruth]) -> GroundTruth:
        """The truth of consecutive blocks of users (same items), users in block order."""
        if len(parts) == 1:
            return parts[0]
        per_user = ("taste", "brand_pref", "price_sensitivity", "staples")
        return cls(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                if f.name in per_user
                else getattr(parts[0], f.name)
                for f in fields(cls)
            }
        )

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

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        with np.load(path) as arrays:
            return cls(**{f.name: arrays[f.name] for f in fields(cls)})

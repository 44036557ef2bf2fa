"""The synthetic shop and the tables derived from event logs.

- ``generate_shop`` / ``load_or_generate``: a deterministic synthetic shop.
- ``customers_as_of``: the reference design's customer table, as of a date.
- ``interactions_from_events``: ``user_id, item_id, rating`` for recommenders.
- ``describe_shop`` / ``compare_to_reference``: realism statistics.
"""

from shopcase.data.customers import customers_as_of
from shopcase.data.describe import (
    STATISTICS,
    TOLERANCES,
    compare_to_reference,
    describe_shop,
    funnel,
    purchases_in_top_categories,
)
from shopcase.data.generate import Shop, ShopConfig, generate_shop
from shopcase.data.interactions import interactions_from_events
from shopcase.data.store import load_or_generate, load_shop, save_shop
from shopcase.data.truth import GroundTruth

__all__ = [
    "STATISTICS",
    "TOLERANCES",
    "GroundTruth",
    "Shop",
    "ShopConfig",
    "compare_to_reference",
    "customers_as_of",
    "describe_shop",
    "funnel",
    "generate_shop",
    "interactions_from_events",
    "load_or_generate",
    "load_shop",
    "purchases_in_top_categories",
    "save_shop",
]

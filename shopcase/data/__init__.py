"""Shop data: the synthetic shop with its hidden truth, real datasets, and the tables derived from any event log.

Where each piece lives:

- synthetic shop: ``generate`` (``generate_shop``, ``ShopConfig``), ``hidden_truth`` (``GroundTruth``: what
  each generated user really likes, for simulations), ``store`` (``load_or_generate``: a parquet cache);
- real datasets: ``real`` (UCI Online Retail and CDNOW, shipped; MovieLens-100k from a path you give);
- tables derived from an event log, generated or real: ``customers`` (``customers_as_of``), ``interactions``
  (``interactions_from_events``, with or without the last timestamp per pair; ``purchase_interactions``, always
  with it; ``age_in_days`` of each pair, for the models that weigh recency);
- realism: ``describe`` (``describe_shop`` / ``compare_to_reference``; ``trading_profile`` /
  ``compare_trading_profile`` for weekdays and the season);
- the trading calendar of a generated shop (prices, promotions, stock-outs, weekday and season): ``trading``.

Held-out relevance for scoring recommendations (what a user bought in the test period) is not here: it is
``shopcase.evaluate.relevance``.
"""

from shopcase.data.customers import customers_as_of
from shopcase.data.describe import (
    STATISTICS,
    TOLERANCES,
    TRADING_TOLERANCES,
    average_order_value,
    compare_to_reference,
    compare_trading_profile,
    describe_shop,
    order_totals,
    purchases_in_top_categories,
    trading_profile,
)
from shopcase.data.generate import Shop, ShopConfig, generate_shop
from shopcase.data.hidden_truth import GroundTruth
from shopcase.data.interactions import age_in_days, interactions_from_events, purchase_interactions
from shopcase.data.real import (
    OnlineRetail,
    cdnow_events,
    load_cdnow,
    load_movielens_100k,
    load_online_retail,
    movielens_100k_dir,
)
from shopcase.data.store import load_or_generate, load_shop, save_shop

__all__ = [
    "STATISTICS",
    "TOLERANCES",
    "TRADING_TOLERANCES",
    "GroundTruth",
    "OnlineRetail",
    "Shop",
    "ShopConfig",
    "age_in_days",
    "average_order_value",
    "cdnow_events",
    "compare_to_reference",
    "compare_trading_profile",
    "customers_as_of",
    "describe_shop",
    "generate_shop",
    "interactions_from_events",
    "load_cdnow",
    "load_movielens_100k",
    "load_online_retail",
    "load_or_generate",
    "load_shop",
    "movielens_100k_dir",
    "order_totals",
    "purchase_interactions",
    "purchases_in_top_categories",
    "save_shop",
    "trading_profile",
]

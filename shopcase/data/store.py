"""Cache generated shops under ``data/generated/``, keyed by their parameters.

Every notebook calls ``load_or_generate`` with its own parameters, so each runs
on its own; the second call with the same parameters reads the cache (parquet
tables, an ``.npz`` of the hidden truth) instead of generating again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from shopcase.data.generate import Shop, ShopConfig, generate_shop
from shopcase.data.hidden_truth import GroundTruth
from shopcase.paths import generated_dir

GENERATOR_VERSION = 5
"""Bump when the generator's output changes, so stale caches are not read."""

_TABLES = ("catalogue", "users", "events", "emails", "prices", "stockouts")


def cache_key(config: ShopConfig) -> str:
    """A short stable hash of the generator version and every config field."""
    text = json.dumps({"version": GENERATOR_VERSION, **asdict(config)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_shop(shop: Shop, folder: str | os.PathLike) -> Path:
    """Write a shop's tables and truth to ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        getattr(shop, name).to_parquet(folder / f"{name}.parquet", index=False)
    shop.truth.save(folder / "truth.npz")
    (folder / "config.json").write_text(json.dumps(asdict(shop.config), indent=2, sort_keys=True))
    return folder


def load_shop(folder: str | os.PathLike) -> Shop:
    """Read a shop written by ``save_shop``."""
    folder = Path(folder)
    fields = json.loads((folder / "config.json").read_text())
    # JSON has no tuples: sequences (the weekday profile) come back as lists.
    config = ShopConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in _TABLES}
    return Shop(config=config, truth=GroundTruth.load(folder / "truth.npz"), **tables)


def load_or_generate(
    n_users: int = ShopConfig.n_users,
    n_items: int = ShopConfig.n_items,
    seed: int = ShopConfig.seed,
    start: str = ShopConfig.start,
    end: str = ShopConfig.end,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
    **options: object,
) -> Shop:
    """The shop ``generate_shop(n_users, n_items, seed, start, end, **options)`` returns, cached.

    ``cache_dir`` defaults to ``data/generated``; ``refresh=True`` regenerates.
    The cache is keyed by every parameter, so different settings never collide.
    """
    config = ShopConfig(n_users=n_users, n_items=n_items, seed=seed, start=str(start), end=str(end), **options)
    config = config.validated()
    folder = Path(cache_dir) if cache_dir is not None else generated_dir()
    folder = folder / f"shop-{cache_key(config)}"
    if not refresh and (folder / "config.json").exists():
        return load_shop(folder)
    shop = generate_shop(**asdict(config))
    # Write beside, then rename: an interrupted run never leaves a half-written cache behind.
    tmp = save_shop(shop, folder.with_name(folder.name + f".tmp{os.getpid()}"))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.replace(folder)
    return shop

"""Shared data for the recommender tests: small seeded random interaction tables and a catalogue."""

from __future__ import annotations

import os

# implicit (used in one test) warns unless BLAS runs one thread; set it before anything imports numpy's BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from recommend_oracles import random_interactions  # noqa: E402


@pytest.fixture(scope="session")
def small() -> pd.DataFrame:
    """60 users x 40 items, ~20% dense, float ratings; user and item ids are strings."""
    frame = random_interactions(60, 40, 0.2, seed=7)
    return frame.assign(
        user_id="u" + frame["user_id"].astype(str).str.zfill(2),
        item_id="i" + frame["item_id"].astype(str).str.zfill(2),
    )


@pytest.fixture(scope="session")
def catalogue() -> pd.DataFrame:
    """Catalogue of the 40 items of ``small`` plus 3 brand-new items nobody interacted with."""
    rng = np.random.default_rng(11)
    n = 43
    colours = rng.choice(["red", "blue", "green", "black"], n)
    kinds = rng.choice(["shoe", "hat", "bag", "scarf"], n)
    return pd.DataFrame(
        {
            "item_id": [f"i{j:02d}" for j in range(n)],
            # A per-item model word keeps every profile distinct, so no two items tie exactly.
            "title": [f"{c} {k} model{j}" for j, (c, k) in enumerate(zip(colours, kinds, strict=True))],
            "category": rng.choice(["fashion", "sport", "home"], n),
            "brand": rng.choice(["acme", "globex", "initech"], n),
            "price": rng.uniform(5, 200, n).round(2),
        }
    )

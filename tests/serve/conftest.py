"""A small generated shop shared by the serve tests, its interactions and fitted models (session-scoped)."""

from __future__ import annotations

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from shopcase.data import load_or_generate, purchase_interactions


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    # HistGradientBoosting's OpenMP threads spin-wait on a busy 2-core machine (see tests/churn/conftest.py).
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    return load_or_generate(n_users=500, n_items=200, seed=5, cache_dir=tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="session")
def interactions(shop) -> pd.DataFrame:
    """``user_id, item_id, rating, timestamp`` of purchases (int ids)."""
    return purchase_interactions(shop.events)


@pytest.fixture(scope="session")
def str_interactions(interactions) -> pd.DataFrame:
    """The same with string ids (pandas' ``str`` dtype), which must survive a round trip as strings."""
    return interactions.assign(
        user_id="u" + interactions["user_id"].astype(str), item_id="i" + interactions["item_id"].astype(str)
    )

"""A small generated shop shared by the serve tests, its interactions and fitted models (session-scoped)."""

from __future__ import annotations

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from shopcase.churn import ChurnModel, build_churn_dataset
from shopcase.data import load_or_generate, purchase_interactions
from shopcase.recommend import ItemKNN
from shopcase.search import SearchIndex
from shopcase.serve import save


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


@pytest.fixture(scope="session")
def artefacts(shop, interactions, tmp_path_factory):
    """An artefacts directory as the service reads it: recommender (ItemKNN), churn and search."""
    root = tmp_path_factory.mktemp("artefacts")
    created = "2024-01-01"
    save(
        ItemKNN(k_neighbors=30).fit(interactions), root / "recommender", created_at=created, training_data=interactions
    )
    data = build_churn_dataset(shop.events, "2023-09-01", 60, log_end=shop.log_end)
    with threadpool_limits(limits=1, user_api="openmp"):
        churn = ChurnModel(n_estimators=20).fit(data.features, data.labels)
    save(churn, root / "churn", created_at=created, training_data=[data.features, data.labels])
    save(SearchIndex().fit(shop.catalogue), root / "search", created_at=created, training_data=shop.catalogue)
    return root

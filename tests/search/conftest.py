"""Shared fixtures of the search tests: one small generated shop and its index, built once per session."""

import numpy as np
import pandas as pd
import pytest
from search_dates import TEST_START, TRAIN_START

from shopcase.data import generate_shop
from shopcase.schema import BRAND, CATEGORY, EVENT_TYPE, ITEM_ID, PRICE, TITLE, VIEW
from shopcase.search import SearchIndex


@pytest.fixture(scope="session")
def shop():
    return generate_shop(n_users=1_000, n_items=400, seed=7)


@pytest.fixture(scope="session")
def views(shop):
    return shop.events[shop.events[EVENT_TYPE] == VIEW].groupby(ITEM_ID).size()


@pytest.fixture(scope="session")
def index(shop, views):
    return SearchIndex().fit(shop.catalogue, popularity=views)


@pytest.fixture
def tiny_catalogue():
    """Six items whose scores and ties are easy to reason about."""
    return pd.DataFrame(
        {
            ITEM_ID: np.arange(1, 7),
            TITLE: [
                "Acme wireless headphones",
                "Acme wireless headphones",
                "Bolt wired headphones",
                "Bolt wireless speaker",
                "Acme classic novel",
                "Crème brûlée cookbook",
            ],
            CATEGORY: ["electronics"] * 4 + ["books"] * 2,
            BRAND: ["Acme", "Acme", "Bolt", "Bolt", "Acme", "Chef"],
            PRICE: [50.0, 40.0, 20.0, 30.0, 10.0, 15.0],
        }
    )


@pytest.fixture(scope="session")
def log_index(shop):
    """The shop's search as it stood when the log starts: popularity from the views before it."""
    past = shop.events[(shop.events["timestamp"] < TRAIN_START) & (shop.events[EVENT_TYPE] == VIEW)]
    return SearchIndex().fit(shop.catalogue, popularity=past.groupby(ITEM_ID).size())


@pytest.fixture(scope="session")
def log(shop, log_index):
    from shopcase.search import simulate_search_log

    return simulate_search_log(shop, log_index, 4_000, seed=3, start=TRAIN_START)


@pytest.fixture(scope="session")
def histories(shop, log_index):
    from shopcase.search import UserHistory

    users = shop.users["user_id"]
    return (
        UserHistory.build(shop.events, log_index, TRAIN_START, users),
        UserHistory.build(shop.events, log_index, TEST_START, users),
    )

"""Shared fixtures of the experiment tests: one small shop, its two homepage policies and their simulator."""

import pytest

from shopcase.data import generate_shop, interactions_from_events
from shopcase.experiments.simulate import ExperimentSimulator, Slate
from shopcase.recommend import ItemKNN, Popularity

START = "2023-10-01"


@pytest.fixture(scope="session")
def shop():
    return generate_shop(n_users=1_500, n_items=400, seed=3)


@pytest.fixture(scope="session")
def before_start(shop):
    return interactions_from_events(shop.events[shop.events["timestamp"] < START])


@pytest.fixture(scope="session")
def simulator(shop, before_start):
    """Popularity (control) against item-kNN (treatment), the truth known for both."""
    arms = {"popularity": Slate(Popularity().fit(before_start)), "item_knn": Slate(ItemKNN().fit(before_start))}
    return ExperimentSimulator(shop, arms, start=START, days=14)

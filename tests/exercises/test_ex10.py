"""Checkers of notebook 10: each accepts the worked answer, names a plausible mistake, and waits for None.

Plain pandas oracles here; the checkers need no Spark session (the notebook collects what it computes).
"""

import pandas as pd
import pytest

from shopcase.exercises import ex10
from shopcase.recommend import ItemKNN

INTERACTIONS = pd.DataFrame(
    {
        "user_id": [1, 1, 1, 2, 2, 3, 4, 4, 4, 4],
        "item_id": [10, 11, 12, 10, 13, 13, 10, 11, 12, 14],
        "rating": [1.0, 3.0, 1.0, 5.0, 1.0, 4.0, 1.0, 1.0, 1.0, 1.0],
    }
)


@pytest.mark.parametrize("check", [ex10.check_block_tasks, ex10.check_neighbour_table_mb])
def test_untouched_exercises_wait(check):
    assert check(None).status == "not attempted"


def test_block_tasks():
    assert ex10.check_block_tasks(50).passed
    assert ex10.check_block_tasks(3, n_users=40_001).passed
    assert "round up" in ex10.check_block_tasks(2, n_users=40_001).message
    assert not ex10.check_block_tasks(1_000_000).passed
    assert not ex10.check_block_tasks("fifty").passed


def test_cooccurrence_rows():
    # users with 3, 2, 1 and 4 items: 3 + 1 + 0 + 6 pairs, each once
    assert ex10.check_cooccurrence_rows(10, INTERACTIONS).passed
    assert "both orders" in ex10.check_cooccurrence_rows(20, INTERACTIONS).message
    assert "itself" in ex10.check_cooccurrence_rows(9 + 4 + 1 + 16, INTERACTIONS).message
    assert not ex10.check_cooccurrence_rows(11, INTERACTIONS).passed
    assert ex10.check_cooccurrence_rows(None, INTERACTIONS).status == "not attempted"


def test_cold_start_items_are_the_models_cold_start():
    model = ItemKNN().fit(INTERACTIONS)
    expected = model.recommend([999], n=3)["item_id"].tolist()  # an unknown user: the single-machine answer
    assert expected == [10, 13, 11]  # summed strengths 7, 5, 4
    assert ex10.check_cold_start_items(expected, INTERACTIONS, n=3).passed
    assert "wrong order" in ex10.check_cold_start_items([13, 10, 11], INTERACTIONS, n=3).message
    assert "number of users" in ex10.check_cold_start_items([10, 11, 12], INTERACTIONS, n=3).message
    assert not ex10.check_cold_start_items(7, INTERACTIONS, n=3).passed


def test_neighbour_table_mb():
    assert ex10.check_neighbour_table_mb(240).passed
    assert "three numbers" in ex10.check_neighbour_table_mb(80).message
    assert "dense" in ex10.check_neighbour_table_mb(80_000).message
    assert not ex10.check_neighbour_table_mb(True).passed

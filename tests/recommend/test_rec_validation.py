"""Model-specific bad input: the catalogue a content model needs, and the reference methods a Hybrid has.

Bad interactions, bad requests and every bad parameter of every model are in test_rec_contract.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from shopcase.recommend import EASE, ContentBased, Hybrid, ItemKNN


def _good() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": [1, 2, 2], "rating": [1.0, 2.0, 3.0]})


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [1, 2, 3],
            "title": ["red hat", "blue hat", "red shoe"],
            "category": ["x", "x", "y"],
            "brand": ["p", "q", "p"],
            "price": [1.0, 2.0, 3.0],
        }
    )


def test_bad_catalogue():
    with pytest.raises(ValueError, match="needs item_features"):
        ContentBased().fit(_good())
    with pytest.raises(ValueError, match="needs item_features"):
        Hybrid([ItemKNN(), ContentBased()]).fit(_good())
    with pytest.raises(ValueError, match="category"):
        ContentBased().fit(_good(), _catalogue().assign(category=["x", None, "y"]))
    with pytest.raises(ValueError, match="duplicate"):
        ContentBased().fit(_good(), pd.concat([_catalogue(), _catalogue().iloc[:1]]))
    with pytest.raises(ValueError, match="price"):
        ContentBased().fit(_good(), _catalogue().assign(price=[1.0, -2.0, 3.0]))
    with pytest.raises(ValueError, match=r"item_features.*strings .*numbers"):
        ContentBased().fit(_good(), _catalogue().assign(item_id=["1", "2", "3"]))


def test_hybrid_methods_need_their_model():
    model = Hybrid([ItemKNN(), EASE()]).fit(_good())
    with pytest.raises(ValueError, match="content model"):
        model.recommend_for_user("a", 2, method="content")
    with pytest.raises(ValueError, match="provides method 'collaborative' only"):
        ItemKNN().fit(_good()).recommend_for_user("a", 2, method="content")

"""What the memory work changed: duplicate pairs counted from the matrix, item vectors not kept by ItemKNN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recommend_oracles import random_interactions

from shopcase.recommend import ItemKNN, Popularity


def test_duplicate_pairs_are_counted_like_pandas_and_nothing_is_fitted(small):
    repeated = pd.concat([small, small.iloc[[0, 0, 5]]], ignore_index=True)  # pair 0 three times, pair 5 twice
    expected = int(repeated.duplicated(subset=["user_id", "item_id"]).sum())
    assert expected == 3
    model = Popularity()
    with pytest.raises(ValueError, match=r"interactions has 3 duplicate rows on key \['user_id', 'item_id'\]"):
        model.fit(repeated)
    assert not hasattr(model, "user_items_") and not hasattr(model, "user_index_")


@pytest.mark.parametrize("weighting", [None, "tfidf", "bm25"])
def test_item_vectors_are_built_again_only_when_needed_and_as_fitted(weighting):
    frame = random_interactions(80, 30, 0.2, seed=4)
    model = ItemKNN(k_neighbors=5, weighting=weighting, bm25_k1=2.0, bm25_b=0.5).fit(frame)
    assert model._vectors is None  # recommend needs only user_items_ and similarity_
    before = model.similar_items(model.item_ids_[:7], n=4)
    vectors = model.item_vectors_
    assert model._vectors is not None and model.item_vectors_ is vectors  # built once, then kept
    expected = ItemKNN(k_neighbors=5, weighting=weighting, bm25_k1=2.0, bm25_b=0.5).fit(frame)
    expected._vectors = None
    model.set_params(bm25_k1=9.0, bm25_b=0.0)  # not fitted: must not change the vectors
    model._vectors = None
    pd.testing.assert_frame_equal(model.similar_items(model.item_ids_[:7], n=4), before)
    assert (model.item_vectors_ != expected.item_vectors_).nnz == 0
    if weighting is None:
        assert model._users_by_items is model.user_items_  # no copy of the interactions
        np.testing.assert_array_equal(model.item_vectors_.toarray(), model.user_items_.T.toarray())

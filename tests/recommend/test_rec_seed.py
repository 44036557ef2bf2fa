"""SeedRecommender (the reference's dense design) against UserKNN: what agrees and why the rest differs.

UserKNN is the same method (cosine between users, top-20 neighbours, score =
sum of neighbour rating x similarity over unseen items). Differences, by design:
the reference takes the 20 users after the first in a descending argsort of the
dense similarity row, so when a user has fewer than 20 users with positive
similarity, zero-similarity users fill the neighbour list and their items enter
the ranking with score 0 at the end; UserKNN returns only items with a positive
score. On items with a positive score the two lists agree exactly (no ties here).
One more difference is possible but absent from this data: the reference assumes
the user itself comes first in the argsort; a user with an identical history
(cosine 1 too) can take that place, and then the user is its own "neighbour".
"""

from __future__ import annotations

import numpy as np
import pytest
from recommend_oracles import cosine, dense_matrix, random_interactions

from shopcase.recommend import Popularity, SeedRecommender, UserKNN


@pytest.mark.parametrize("density", [0.3, 0.04])
def test_collaborative_equals_user_knn_on_positive_scores(density):
    data = random_interactions(80, 50, density, seed=5)
    seed = SeedRecommender().fit(data)
    ours = UserKNN(k_neighbors=20).fit(data)
    users = sorted(data["user_id"].unique())
    recs = ours.recommend(users, n=8)
    x, _, _ = dense_matrix(data)  # rows follow the sorted user ids in ``users``
    similarity = cosine(x)
    padded = 0
    for row, u in enumerate(users):
        reference = seed.recommend_for_user(u, 8, method="collaborative")
        mine = recs.loc[recs["user_id"] == u, "item_id"].tolist()
        assert reference[: len(mine)] == mine
        if len(reference) > len(mine):
            padded += 1
            # The extra items come only from users with zero similarity to u.
            others = [v for v in range(len(x)) if v != row]
            liked_by_similar = {i for v in others if similarity[row, v] > 0 for i in np.flatnonzero(x[v])}
            assert not set(reference[len(mine) :]) & liked_by_similar
    if density > 0.1:
        assert padded == 0  # dense enough: everyone has 20 positive neighbours, the lists are identical
    else:
        assert padded > 0  # sparse: the reference pads with zero-score items, UserKNN does not


def test_unknown_user_and_memory_shape(small):
    seed = SeedRecommender().fit(small)
    assert seed.recommend_for_user("nobody", 5, method="collaborative") == (
        Popularity().fit(small).recommend_for_user("nobody", 5)
    )
    n_users, n_items = small["user_id"].nunique(), small["item_id"].nunique()
    # The lesson: dense users x users and items x items arrays, whatever the sparsity.
    assert seed.user_similarity.shape == (n_users, n_users)
    assert seed.item_similarity.shape == (n_items, n_items)


def test_fixed_defects_raise_instead_of_crashing(small):
    seed = SeedRecommender().fit(small)
    with pytest.raises(ValueError, match="needs item_features"):
        seed.recommend_for_user("u01", 5, method="hybrid")
    with pytest.raises(ValueError, match="unknown method"):
        seed.recommend_for_user("u01", 5, method="magic")


def test_evaluate_returns_metrics(small, catalogue):
    seed = SeedRecommender().fit(small.iloc[::2], catalogue)
    result = seed.evaluate(small.iloc[1::2], 5)
    assert set(result) == {"precision", "recall", "coverage"}
    assert 0 <= result["precision"] <= 1 and 0 < result["coverage"] <= 1

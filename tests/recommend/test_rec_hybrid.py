"""Hybrid: the blend equals a hand-written blend, the reference API works (its crash cannot happen)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recommend_oracles import assert_same_lists, top_lists
from sklearn.exceptions import NotFittedError

from shopcase.recommend import (
    EASE,
    ContentBased,
    Hybrid,
    ItemKNN,
    Popularity,
    RepeatAware,
    RepeatPurchase,
    SeedRecommender,
    UserKNN,
)


def _dense_candidates(model, users: list, items: list) -> np.ndarray:
    """A fitted model's full candidate scores as users x items, -inf where it returns nothing."""
    recs = model.recommend(users, n=len(items))
    out = np.full((len(users), len(items)), -np.inf)
    u_pos = {u: i for i, u in enumerate(users)}
    i_pos = {it: j for j, it in enumerate(items)}
    for u, it, s in recs[["user_id", "item_id", "score"]].itertuples(index=False):
        out[u_pos[u], i_pos[it]] = s
    return out


def _normalise(row: np.ndarray, method: str) -> np.ndarray:
    """Plain per-row normalisation: candidates to [0, 1], others 0."""
    out = np.zeros(len(row))
    cand = [j for j in range(len(row)) if np.isfinite(row[j])]
    if not cand:
        return out
    values = row[cand]
    for j in cand:
        if method == "minmax":
            span = values.max() - values.min()
            out[j] = (row[j] - values.min()) / span if span > 0 else 1.0
        else:  # rank: (number below + (number equal + 1) / 2) / count
            out[j] = ((values < row[j]).sum() + ((values == row[j]).sum() + 1) / 2) / len(values)
    return out


@pytest.mark.parametrize("normalisation", ["minmax", "rank"])
def test_blend_equals_hand_written_blend(small, catalogue, normalisation):
    parts = [UserKNN(k_neighbors=10), ContentBased()]
    weights = [0.6, 0.4]
    hybrid = Hybrid(parts, weights=weights, normalisation=normalisation).fit(small, catalogue)
    users = sorted(small["user_id"].unique())
    items = sorted(catalogue["item_id"])
    fitted = [m.fit(small, catalogue) for m in parts]
    scores = [_dense_candidates(m, users, items) for m in fitted]
    blended = np.full((len(users), len(items)), -np.inf)
    for u in range(len(users)):
        total = sum(w * _normalise(s[u], normalisation) for w, s in zip(weights, scores, strict=True))
        candidate = np.any([np.isfinite(s[u]) for s in scores], axis=0)
        blended[u, candidate] = total[candidate]
    assert_same_lists(hybrid.recommend(users, n=10), top_lists(blended, None, 10, positive_only=False), users, items)


def test_single_weight_keeps_the_models_order(small):
    users = sorted(small["user_id"].unique())
    alone = ItemKNN(k_neighbors=10).fit(small).recommend(users, n=10)
    blended = Hybrid([ItemKNN(k_neighbors=10), EASE()], weights=[1.0, 0.0]).fit(small).recommend(users, n=10)
    assert blended["item_id"].tolist() == alone["item_id"].tolist()


def test_alternate_interleaves_like_the_reference(small, catalogue):
    users = sorted(small["user_id"].unique())
    hybrid = Hybrid([UserKNN(), ContentBased()], strategy="alternate").fit(small, catalogue)
    first = UserKNN().fit(small)
    second = ContentBased().fit(small, catalogue)
    recs = hybrid.recommend(users, n=6)
    for user in users:
        a, b = first.recommend_for_user(user, 6), second.recommend_for_user(user, 6)
        expected = SeedRecommender()._combine_recommendations(a, b, 6)
        got = recs[recs["user_id"] == user]
        assert got["item_id"].tolist() == expected
        np.testing.assert_allclose(got["score"], 1.0 / np.arange(1, len(expected) + 1))


def test_reference_hybrid_crash_cannot_happen(small, catalogue):
    hybrid = Hybrid([UserKNN(), ContentBased()]).fit(small, catalogue)
    for user in ("u03", "u17", "never-seen"):
        recs = hybrid.recommend_for_user(user, n_recommendations=5, method="hybrid")
        assert len(recs) == 5 and len(set(recs)) == 5
    assert hybrid.recommend_for_user("u03", 5) == hybrid.recommend_for_user("u03", 5, method="hybrid")
    assert hybrid.recommend_for_user("u03", 5, "collaborative") == UserKNN().fit(small).recommend_for_user("u03", 5)
    assert hybrid.recommend_for_user("u03", 5, "content") == (
        ContentBased().fit(small, catalogue).recommend_for_user("u03", 5)
    )
    seed = SeedRecommender().fit(small, catalogue)  # the lesson, with the crash fixed
    assert len(seed.recommend_for_user("u03", 5, method="hybrid")) == 5


def test_fit_leaves_the_given_models_untouched(small, catalogue):
    knn = ItemKNN(k_neighbors=3)
    hybrid = Hybrid([knn, ContentBased()]).fit(small, catalogue)
    assert not hasattr(knn, "similarity_")  # the hybrid fitted a clone
    assert hybrid.models_[0].similarity_.shape == (40, 40)
    assert len(hybrid.item_ids_) == 43  # union: the content model knows 3 new items


def test_unknown_user_gets_popularity(small, catalogue):
    hybrid = Hybrid([ItemKNN(), ContentBased()]).fit(small, catalogue)
    expected = Popularity().fit(small).recommend(["x"], n=5)["item_id"].tolist()
    assert hybrid.recommend_for_user("nobody", 5) == expected


def test_with_weights_reweights_a_copy_sharing_the_fitted_models(small, catalogue):
    users = sorted(small["user_id"].unique())
    hybrid = Hybrid([ItemKNN(k_neighbors=10), ContentBased()]).fit(small, catalogue)
    equal = hybrid.recommend(users, n=8)
    np.testing.assert_array_equal(hybrid.weights_, [1.0, 1.0])
    reweighted = hybrid.with_weights([0.2, 0.8])
    refitted = Hybrid([ItemKNN(k_neighbors=10), ContentBased()], weights=[0.2, 0.8]).fit(small, catalogue)
    pd.testing.assert_frame_equal(reweighted.recommend(users, n=8), refitted.recommend(users, n=8))
    assert reweighted.models_[0] is hybrid.models_[0]  # shared, not refitted
    assert reweighted.get_params()["weights"] == [0.2, 0.8]  # its parameters say what it does
    pd.testing.assert_frame_equal(hybrid.recommend(users, n=8), equal)  # the original is unchanged
    assert hybrid.weights is None and hybrid.weights_.tolist() == [1.0, 1.0]
    for bad, message in (([1.0], "weights has 1 values for 2 models"), ([0, 0], "all zero"), ([1, -1], "weights")):
        with pytest.raises(ValueError, match=message):
            hybrid.with_weights(bad)
    with pytest.raises(NotFittedError):
        Hybrid([ItemKNN(), ContentBased()]).with_weights([1, 1])


def test_weights_are_learned_at_fit_not_read_at_predict_time(small):
    users = sorted(small["user_id"].unique())
    hybrid = Hybrid([ItemKNN(k_neighbors=10), EASE(l2=20.0)], weights=[1.0, 0.0]).fit(small)
    before = hybrid.recommend(users, n=6)
    hybrid.weights = [0.0, 1.0]  # a parameter changed after fit takes effect at the next fit only
    pd.testing.assert_frame_equal(hybrid.recommend(users, n=6), before)


def test_repeat_aware_with_weights(small):
    dated = small.assign(timestamp=pd.Timestamp("2011-01-01"))
    users = sorted(small["user_id"].unique())
    model = RepeatAware(RepeatPurchase(), EASE(l2=20.0), model_weight=0.1).fit(dated)
    copy = model.with_weights([1.0, 0.5])
    assert copy.model_weight == 0.5 and copy.weights_.tolist() == [1.0, 0.5] and model.model_weight == 0.1
    refitted = RepeatAware(RepeatPurchase(), EASE(l2=20.0), model_weight=0.5).fit(dated)
    pd.testing.assert_frame_equal(
        copy.recommend(users, n=6, exclude_seen=False), refitted.recommend(users, n=6, exclude_seen=False)
    )
    with pytest.raises(ValueError, match="history's is fixed at 1"):
        model.with_weights([2.0, 0.5])

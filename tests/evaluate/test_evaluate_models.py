import numpy as np
import pandas as pd
import pytest

from shopcase.data import generate_shop, interactions_from_events
from shopcase.evaluate import (
    best_params,
    business_reading,
    evaluate_models,
    grid_search,
    hide_answers,
    metrics_at_ks,
    purchase_truth,
    ranking_metrics,
    share_in_favourite_category,
    temporal_split,
    tune_blend_weights,
)
from shopcase.evaluate.cost import reference_footprint, scaling_curve
from shopcase.recommend import ContentBased, Hybrid, ItemKNN, Popularity, SeedRecommender, UserKNN


@pytest.fixture(scope="module")
def shop_split():
    shop = generate_shop(n_users=700, n_items=300, seed=5)
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    train = interactions_from_events(train_events)
    return shop, train, test_events


def _events(rows):
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type"])
    frame["session_id"] = np.arange(len(frame))
    frame["timestamp"] = pd.Timestamp("2023-01-01")
    frame["quantity"], frame["unit_price"] = 1, 1.0
    frame["order_id"] = pd.array(np.where(frame["event_type"] == "purchase", frame["session_id"], 0), dtype="Int64")
    frame.loc[frame["event_type"] != "purchase", "order_id"] = pd.NA
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    return frame


def test_purchase_truth_keeps_distinct_purchases_and_filters_seen_and_users():
    test = _events(
        [(1, "a", "purchase"), (1, "a", "purchase"), (1, "b", "purchase"), (2, "c", "view"), (3, "d", "purchase")]
    )
    truth = purchase_truth(test)
    assert truth.values.tolist() == [[1, "a"], [1, "b"], [3, "d"]]
    train = pd.DataFrame({"user_id": [1], "item_id": ["a"], "rating": [1.0]})
    assert purchase_truth(test, train, new_items_only=True).values.tolist() == [[1, "b"], [3, "d"]]
    assert purchase_truth(test, users=[3]).values.tolist() == [[3, "d"]]
    with pytest.raises(ValueError, match="needs train_interactions"):
        purchase_truth(test, new_items_only=True)
    with pytest.raises(ValueError, match="the truth is empty"):
        purchase_truth(test, users=[2])


def test_hide_answers_drops_exactly_the_truth_pairs():
    interactions = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": ["a", "b", "a", "c", "b"], "rating": 1.0})
    truth = pd.DataFrame({"user_id": [1, 2, 9], "item_id": ["b", "a", "z"]})
    kept = hide_answers(interactions, truth)
    assert kept[["user_id", "item_id"]].values.tolist() == [[1, "a"], [2, "c"], [3, "b"]]
    assert kept.index.tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match="truth is missing"):
        hide_answers(interactions, truth.drop(columns="item_id"))


def test_evaluate_models_scores_every_truth_user_including_cold_ones(shop_split):
    shop, train, test_events = shop_split
    truth = purchase_truth(test_events)  # includes users who only appear after the cutoff
    cold = int((~truth["user_id"].drop_duplicates().isin(train["user_id"])).sum())
    assert cold > 0
    table = evaluate_models(
        {"pop": Popularity(), "knn": ItemKNN(k_neighbors=20)},
        train,
        truth,
        k=5,
        exclude_seen=False,
        item_categories=shop.catalogue.set_index("item_id")["category"],
    )
    assert table["model"].tolist() == ["pop", "knn"]
    assert (table["n_users"] == truth["user_id"].nunique()).all() and (table["cold_users"] == cold).all()
    assert (table["n_users_without_recs"] == 0).all()  # cold users got the popularity list, not nothing
    # the table's numbers are ranking_metrics of the model's own recommendations
    knn = ItemKNN(k_neighbors=20).fit(train)
    expected = ranking_metrics(knn.recommend(truth["user_id"].unique(), n=5, exclude_seen=False), truth, 5)
    assert table.loc[1, "ndcg_at_k"] == pytest.approx(expected["ndcg_at_k"], abs=1e-12)
    assert {"catalogue_coverage", "novelty", "intra_list_diversity", "fit_seconds"} <= set(table.columns)


def test_evaluate_models_fits_clones_and_leaves_the_callers_models_alone(shop_split):
    _, train, test_events = shop_split
    truth = purchase_truth(test_events, users=train["user_id"].unique())
    given = {"knn": ItemKNN(k_neighbors=20)}
    table, fitted = evaluate_models(given, train, truth, k=5, return_fitted=True)
    assert not hasattr(given["knn"], "similarity_")  # the caller's model is untouched
    assert fitted["knn"] is not given["knn"] and fitted["knn"].get_params() == given["knn"].get_params()
    again = metrics_at_ks(fitted, truth, [5])
    assert again["ndcg_at_k"].item() == pytest.approx(table["ndcg_at_k"].item(), abs=1e-12)
    with pytest.raises(ValueError, match="return_fitted"):
        evaluate_models(given, train, truth, return_fitted="yes")


def test_metrics_at_ks_match_single_k_evaluations(shop_split):
    _, train, test_events = shop_split
    truth = purchase_truth(test_events, users=train["user_id"].unique())
    model = ItemKNN(k_neighbors=20).fit(train)
    table = metrics_at_ks({"knn": model}, truth, [1, 5, 10])
    recs = model.recommend(truth["user_id"].unique(), n=5)
    expected = ranking_metrics(recs, truth, 5)["recall_at_k"]
    assert table.loc[table["k"] == 5, "recall_at_k"].item() == pytest.approx(expected)
    assert table["recall_at_k"].is_monotonic_increasing
    with pytest.raises(ValueError, match="ks"):
        metrics_at_ks({"knn": model}, truth, [0])


def test_grid_search_scores_each_combination_and_best_params_keeps_types(shop_split):
    _, train, test_events = shop_split
    truth = purchase_truth(test_events, users=train["user_id"].unique())
    grid = grid_search(ItemKNN, {"k_neighbors": [5, 50], "shrinkage": [0.0, 10.0]}, train, truth, k=5)
    assert len(grid) == 4 and list(grid.columns[:2]) == ["k_neighbors", "shrinkage"]
    chosen = best_params(grid, ["k_neighbors", "shrinkage"])
    assert isinstance(chosen["k_neighbors"], int)
    best_row = grid.loc[grid["ndcg_at_k"].idxmax()]
    assert chosen["k_neighbors"] == best_row["k_neighbors"] and chosen["shrinkage"] == best_row["shrinkage"]
    # each row's interval and its paired gap to the best row, from the validation users' own NDCG
    assert (grid["ndcg_at_k_low"] <= grid["ndcg_at_k"]).all() and (grid["ndcg_at_k"] <= grid["ndcg_at_k_high"]).all()
    assert np.allclose(grid["gap_to_best"], grid["ndcg_at_k"] - best_row["ndcg_at_k"])
    assert (grid["gap_to_best"] <= 0).all() and grid.loc[grid["ndcg_at_k"].idxmax(), "within_noise_of_best"]
    assert (grid["within_noise_of_best"] == (grid["gap_high"] >= 0)).all()
    by_hit = grid_search(ItemKNN, {"k_neighbors": [5, 50]}, train, truth, k=5, metric="hit_rate_at_k")
    assert "hit_rate_at_k_low" in by_hit.columns and by_hit["gap_to_best"].max() == 0
    with pytest.raises(ValueError, match="metric 'auc'"):
        grid_search(ItemKNN, {"k_neighbors": [5]}, train, truth, metric="auc")
    with pytest.raises(ValueError, match="param_grid needs"):
        grid_search(ItemKNN, {"k_neighbors": []}, train, truth)
    with pytest.raises(ValueError, match="metric 'auc'"):
        best_params(grid, ["k_neighbors"], metric="auc")


def test_share_in_favourite_category():
    recs = pd.DataFrame({"user_id": [1, 1, 2], "item_id": ["a", "b", "a"]})
    items = pd.Series({"a": "books", "b": "toys"})
    users = pd.Series({1: "books", 2: "toys"})
    assert share_in_favourite_category(recs, items, users) == pytest.approx(1 / 3)
    per_user = share_in_favourite_category(recs, items, users, by_user=True)
    assert per_user.to_dict() == {1: 0.5, 2: 0.0} and per_user.index.name == "user_id"
    with pytest.raises(ValueError, match="item_category has no entry"):
        share_in_favourite_category(recs.assign(item_id=["a", "z", "a"]), items, users)


def test_scaling_curve_measures_every_model_at_every_size(shop_split):
    _, train, _ = shop_split
    curve = scaling_curve({"reference": SeedRecommender, "UserKNN": UserKNN}, train, [50, 100], seed=1)
    assert curve[["model", "users"]].values.tolist() == [
        ["reference", 50],
        ["UserKNN", 50],
        ["reference", 100],
        ["UserKNN", 100],
    ]
    assert (curve["seconds"] > 0).all() and (curve["peak_mb"] > 0).all()
    with pytest.raises(ValueError, match="exceed"):
        scaling_curve({"UserKNN": UserKNN}, train, [10**6])


def test_reference_footprint_is_the_size_of_the_references_dense_arrays(shop_split):
    _, train, _ = shop_split
    small = train[train["user_id"].isin(train["user_id"].unique()[:120])]
    reference = SeedRecommender().fit(small)
    n_users, n_items = reference.user_item_matrix.shape
    row = reference_footprint([n_users], n_items).iloc[0]
    assert row["users"] == n_users
    assert row["user_item_matrix"] * 2**20 == reference.user_item_matrix.to_numpy().nbytes
    assert row["user_similarity"] * 2**20 == reference.user_similarity.nbytes
    assert row["item_similarity"] * 2**20 == reference.item_similarity.nbytes
    growth = reference_footprint([1000, 2000], 500)
    assert growth["user_similarity"].iloc[1] == 4 * growth["user_similarity"].iloc[0]
    with pytest.raises(ValueError, match="user_counts"):
        reference_footprint([0], 10)


def test_business_reading_turns_hit_rate_into_revenue_touched():
    results = pd.DataFrame({"model": ["Popularity", "knn"], "hit_rate_at_k": [0.05, 0.15]})
    table = business_reading(results, n_customers=1000, average_order_value=40.0).set_index("model")
    assert table.loc["knn", "orders_touched"] == pytest.approx(150)
    assert table.loc["knn", "revenue_touched"] == pytest.approx(6000)
    assert table.loc["knn", "extra_revenue_vs_baseline"] == pytest.approx(4000)
    gaps = pd.DataFrame(
        {
            "model": ["Popularity", "knn"],
            "metric": "hit_rate_at_k",
            "baseline": "Popularity",
            "difference_low": [0.0, 0.06],
            "difference_high": [0.0, 0.14],
        }
    )
    bounded = business_reading(results, 1000, 40.0, intervals=gaps).set_index("model")
    assert bounded.loc["knn", ["extra_revenue_low", "extra_revenue_high"]].tolist() == pytest.approx([2400, 5600])
    with pytest.raises(ValueError, match="hit_rate_at_k"):
        business_reading(results, 1000, 40.0, intervals=gaps.assign(metric="ndcg_at_k"))
    with pytest.raises(ValueError, match="no row for model"):
        business_reading(results, 1000, 40.0, intervals=gaps.iloc[:1])
    with pytest.raises(ValueError, match="baseline 'ALS'"):
        business_reading(results, 1000, 40.0, baseline="ALS")
    with pytest.raises(ValueError, match="average_order_value"):
        business_reading(results, 1000, float("nan"))
    with pytest.raises(ValueError, match="n_customers"):
        business_reading(results, 0, 40.0)


def test_tune_blend_weights_scores_each_weight_vector_on_validation(shop_split):
    shop, train, test_events = shop_split
    truth = purchase_truth(test_events)
    grid = [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)]
    models = [ItemKNN(k_neighbors=20), ContentBased()]
    best, results = tune_blend_weights(models, train, truth, grid, k=5, item_features=shop.catalogue)
    assert results["weights"].tolist() == grid
    assert best == grid[int(results["ndcg_at_k"].to_numpy().argmax())]
    # each row is the ranking metric of that blend, refitted independently
    hybrid = Hybrid(models, weights=list(grid[1])).fit(train, item_features=shop.catalogue)
    expected = ranking_metrics(hybrid.recommend(truth["user_id"].unique(), n=5), truth, 5)["ndcg_at_k"]
    assert results["ndcg_at_k"].iloc[1] == pytest.approx(expected, abs=1e-12)
    assert models[0].get_params()["k_neighbors"] == 20 and not hasattr(models[0], "similarity_")
    with pytest.raises(ValueError, match=r"weights\[1\] must be a finite number >= 0"):
        tune_blend_weights(models, train, truth, [(1.0, -1.0)], item_features=shop.catalogue)
    best_row = results["ndcg_at_k"].to_numpy().argmax()
    assert results["gap_to_best"].iloc[best_row] == 0 and results["within_noise_of_best"].iloc[best_row]
    assert (results["ndcg_at_k_low"] <= results["ndcg_at_k"]).all()
    assert (results["ndcg_at_k"] <= results["ndcg_at_k_high"]).all()
    with pytest.raises(ValueError, match="grid is empty"):
        tune_blend_weights(models, train, truth, [], item_features=shop.catalogue)
    with pytest.raises(ValueError, match="metric 'auc'"):
        tune_blend_weights(models, train, truth, grid[:1], metric="auc", item_features=shop.catalogue)

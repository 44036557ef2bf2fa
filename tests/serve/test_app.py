"""The HTTP service through FastAPI's TestClient: every route, every error, metrics, logs, the atomic swap."""

from __future__ import annotations

import json
import logging
import shutil
import threading

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopcase.churn import BGNBD_SUMMARY_COLUMNS, BGNBDClassifier, BinnedRateRule, build_churn_dataset, risk_segments
from shopcase.recommend import ItemKNN
from shopcase.serve import create_app, load, save

CREATED = "2024-01-01"


@pytest.fixture(scope="module")
def client(artefacts):
    with TestClient(create_app(artefacts)) as client:
        yield client


@pytest.fixture(scope="module")
def models(artefacts):
    return {name: load(artefacts / name) for name in ("recommender", "churn", "search")}


@pytest.fixture(scope="module")
def churn_rows(shop, models):
    features = build_churn_dataset(shop.events, "2023-09-01", 60, log_end=shop.log_end).features.head(25)
    return features, json.loads(features.reset_index().to_json(orient="records"))


def test_health_names_every_model_and_a_fingerprint(client, artefacts):
    body = client.get("/health").json()
    assert body["status"] == "ok" and set(body["models"]) == {"recommender", "churn", "search"}
    assert len(body["fingerprint"]) == 64 and body["models"]["recommender"]["model_class"].endswith("ItemKNN")
    assert body["models"]["recommender"]["created_at"].startswith(CREATED)


def test_recommendations_for_a_known_user_are_the_model_s(client, models):
    model = models["recommender"]
    user = int(model.user_ids_[3])
    body = client.get(f"/recommendations/{user}", params={"n": 7}).json()
    want = model.recommend([user], n=7)
    assert body["user_id"] == user and body["cold_start"] is False
    assert [i["item_id"] for i in body["items"]] == want["item_id"].tolist()
    np.testing.assert_allclose([i["score"] for i in body["items"]], want["score"])
    assert [i["rank"] for i in body["items"]] == list(range(1, 8))
    unseen = client.get(f"/recommendations/{user}", params={"n": 7, "exclude_seen": "false"}).json()
    assert [i["item_id"] for i in unseen["items"]] == model.recommend([user], n=7, exclude_seen=False)[
        "item_id"
    ].tolist()


def test_an_unknown_user_gets_the_cold_start_list_flagged(client, models):
    body = client.get("/recommendations/123456789").json()
    assert body["cold_start"] is True
    assert [i["item_id"] for i in body["items"]] == models["recommender"].recommend([-1], n=10)["item_id"].tolist()


def test_similar_items_and_unknown_items(client, models):
    model = models["recommender"]
    item = int(model.item_ids_[5])
    body = client.get(f"/similar-items/{item}", params={"n": 4}).json()
    assert [i["item_id"] for i in body["items"]] == model.similar_items([item], n=4)["similar_item_id"].tolist()
    response = client.get("/similar-items/99999999")
    assert response.status_code == 404 and "unknown item_id" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/recommendations/abc", "user_id must be an integer"),
        ("/recommendations/1?n=0", "greater than or equal to 1"),
        ("/recommendations/1?n=100000", "less than or equal to 1000"),
        ("/recommendations/1?n=ten", "valid integer"),
        ("/recommendations/1?exclude_seen=maybe", "valid boolean"),
        ("/similar-items/abc", "item_id must be an integer"),
        ("/similar-items/1?n=-3", "greater than or equal to 1"),
        ("/search?q=", "at least 1 character"),
        ("/search", "Field required"),
        ("/search?q=" + "x" * 201, "at most 200 characters"),
        ("/search?q=coffee&category=spaceships", "spaceships"),
        ("/search?q=%20%20", "query"),
    ],
)
def test_bad_parameters_are_422_with_the_reason(client, url, reason):
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert reason in response.text


def test_churn_risk_scores_rows_like_the_model(client, models, churn_rows):
    features, rows = churn_rows
    body = client.post("/churn-risk", json={"customers": rows}).json()
    want = models["churn"].predict_churn_risk(features)
    got = pd.DataFrame(body["scores"])
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    np.testing.assert_allclose(got["churn_probability"], want["churn_probability"], rtol=1e-12)
    assert got["risk_segment"].tolist() == want["risk_segment"].tolist()


def test_any_churn_classifier_is_served_and_reads_only_its_columns(artefacts, shop, tmp_path):
    data = build_churn_dataset(shop.events, "2023-09-01", 60, log_end=shop.log_end, bgnbd=True)
    root = shutil.copytree(artefacts, tmp_path / "bgnbd", ignore=shutil.ignore_patterns("churn"))
    model = BGNBDClassifier(horizon_days=60).fit(data.features, data.labels)
    save(model, root / "churn", created_at=CREATED, training_data=[data.features, data.labels])
    features = data.features.head(30)
    rows = json.loads(features[list(BGNBD_SUMMARY_COLUMNS)].reset_index().to_json(orient="records"))
    with TestClient(create_app(root)) as client:
        body = client.post("/churn-risk", json={"customers": rows}).json()
    got = pd.DataFrame(body["scores"])
    assert got["customer_id"].tolist() == features.index.tolist()
    np.testing.assert_allclose(got["churn_probability"], model.predict_proba(features)[:, 1], rtol=1e-12)
    assert got["risk_segment"].tolist() == risk_segments(got["churn_probability"]).tolist()


def test_a_churn_model_without_column_names_is_refused_at_load(artefacts, shop, tmp_path):
    data = build_churn_dataset(shop.events, "2023-09-01", 60, log_end=shop.log_end)
    root = shutil.copytree(artefacts, tmp_path / "array", ignore=shutil.ignore_patterns("churn"))
    model = BinnedRateRule(column=0).fit(data.features.to_numpy(), data.labels.to_numpy())
    save(model, root / "churn", created_at=CREATED, training_data=[data.features, data.labels])
    with pytest.raises(ValueError, match="churn: the churn model was fitted on an array"):
        create_app(root)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda rows: {"customers": []}, "at least 1 item"),
        (lambda rows: {"customers": [{k: v for k, v in rows[0].items() if k != "tenure_days"}]}, "tenure_days"),
        (lambda rows: {"customers": [{**rows[0], "tenure_days": "long"}]}, "must hold numbers"),
        (lambda rows: {"customers": [{**rows[0], "tenure_days": None}]}, "must hold numbers"),
        (lambda rows: {"customers": [{**rows[0], "tenure_days": True}]}, "must hold numbers"),
        (lambda rows: {"customers": [{k: v for k, v in rows[0].items() if k != "customer_id"}]}, "customer_id"),
        (lambda rows: {"customers": [rows[0], rows[0]]}, "duplicated"),
        (lambda rows: {"customers": rows[0]}, "valid list"),
        (lambda rows: {"people": rows}, "Field required"),
        (lambda rows: {"customers": [rows[0]] * 10_001}, "at most 10000"),
    ],
)
def test_bad_churn_bodies_are_422(client, churn_rows, mutate, reason):
    response = client.post("/churn-risk", json=mutate(churn_rows[1]))
    assert response.status_code == 422, response.text
    assert reason in response.text


def test_a_non_finite_or_non_json_body_is_422(client, churn_rows):
    row = json.dumps({"customers": [churn_rows[1][0]]}).replace('"tenure_days": ', '"tenure_days": NaN, "x": ')
    response = client.post("/churn-risk", content=row, headers={"content-type": "application/json"})
    assert response.status_code == 422
    response = client.post("/churn-risk", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_search_answers_like_the_index(client, models):
    body = client.get("/search", params={"q": "wireles headphnes", "n": 5}).json()
    want = models["search"].search("wireles headphnes", n=5)
    assert [i["item_id"] for i in body["items"]] == want["item_id"].tolist()
    assert body["items"][0]["match"] == want["match"].iloc[0]


def test_routes_without_their_model_are_404(shop, interactions, tmp_path):
    save(
        ItemKNN(k_neighbors=5).fit(interactions),
        tmp_path / "recommender",
        created_at=CREATED,
        training_data=interactions,
    )
    with TestClient(create_app(tmp_path)) as client:
        assert client.get("/search", params={"q": "tea"}).status_code == 404
        assert client.post("/churn-risk", json={"customers": [{"customer_id": 1}]}).status_code == 404
        assert set(client.get("/health").json()["models"]) == {"recommender"}


def test_openapi_docs_and_metrics(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/recommendations/{user_id}", "/similar-items/{item_id}", "/churn-risk", "/search"} <= set(paths)
    client.get("/recommendations/1")
    client.get("/recommendations/abc")
    text = client.get("/metrics").text
    assert 'shopcase_requests_total{method="GET",route="/recommendations/{user_id}",status="200"}' in text
    assert 'shopcase_requests_total{method="GET",route="/recommendations/{user_id}",status="422"}' in text
    assert 'shopcase_request_seconds_bucket{le="0.015",route="/recommendations/{user_id}"}' in text


def test_each_request_is_one_structured_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="shopcase.serve.access"):
        client.get("/recommendations/1?n=3")
        client.get("/similar-items/99999999")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "shopcase.serve.access"]
    assert [(x["route"], x["status"]) for x in lines] == [
        ("/recommendations/{user_id}", 200),
        ("/similar-items/{item_id}", 404),
    ]
    assert all(x["ms"] >= 0 and x["method"] == "GET" for x in lines)


def test_reload_swaps_atomically_and_keeps_serving(artefacts, interactions, tmp_path):
    root = shutil.copytree(artefacts, tmp_path / "live")
    with TestClient(create_app(root)) as locked:
        assert locked.post("/admin/reload").status_code == 403
    with TestClient(create_app(root, allow_reload=True)) as client:
        before = client.get("/health").json()["fingerprint"]
        retrained = ItemKNN(k_neighbors=5).fit(interactions)
        save(retrained, root / "recommender", created_at="2024-02-01", training_data=interactions, overwrite=True)
        statuses, stop = [], threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                statuses.append(client.get("/recommendations/3").status_code)

        thread = threading.Thread(target=hammer)
        thread.start()
        swap = client.post("/admin/reload").json()
        stop.set()
        thread.join()
        assert statuses and set(statuses) == {200}  # nothing dropped during the swap
        assert swap["previous"] == before and swap["fingerprint"] != before
        body = client.get("/recommendations/3").json()
        assert [i["item_id"] for i in body["items"]] == retrained.recommend([3], n=10)["item_id"].tolist()
        # A damaged artefact is refused; the loaded models keep serving.
        (root / "recommender" / "arrays.npz").write_bytes(b"broken")
        failed = client.post("/admin/reload")
        assert failed.status_code == 409 and "arrays.npz" in failed.json()["detail"]
        assert client.get("/health").json()["fingerprint"] == swap["fingerprint"]
        assert client.get("/recommendations/3").status_code == 200


def test_a_missing_artefacts_directory_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no artefacts directory"):
        create_app(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="recommender: missing"):
        create_app(tmp_path / "empty")


@pytest.mark.parametrize(
    "name", ["popularity", "itemknn", "ease", "content", "hybrid-alternate", "repeat-aware", "time-decayed"]
)
def test_the_one_user_fast_path_answers_like_recommend(name, interactions, shop):
    from test_artifacts import RECOMMENDERS

    from shopcase.serve.scoring import OneUser

    model = RECOMMENDERS[name]().fit(interactions, item_features=shop.catalogue)
    one = OneUser(model)
    for user in [*model.user_ids_[:40], -5]:
        for exclude_seen in (True, False):
            items, scores, cold = one.top(user, 7, exclude_seen)
            want = model.recommend([user], n=7, exclude_seen=exclude_seen)
            assert items == want["item_id"].tolist() and scores == want["score"].tolist()
            assert cold == (user == -5)
    with pytest.raises(ValueError, match="could never match"):
        one.top("-5", 7)  # refused like recommend, also once the cold-start list is cached


def test_the_served_recommender_uses_one_thread_per_request(artefacts, tmp_path):
    root = shutil.copytree(artefacts, tmp_path / "threads")
    model = load(root / "recommender").set_params(n_jobs=2)
    save(model, root / "recommender", created_at=CREATED, training_data="0" * 64, overwrite=True)
    with TestClient(create_app(root)) as client:
        assert client.app.state.service.models.recommender.n_jobs == 1
        assert client.get("/health").json()["models"]["recommender"]["model_class"].endswith("ItemKNN")

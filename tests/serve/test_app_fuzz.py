"""Property-based fuzzing of the service (hypothesis, bounded): no input ever gets a 5xx."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopcase.serve import create_app

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
ids = st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(min_size=1, max_size=40))
numbers = st.one_of(st.integers(-(2**40), 2**40).map(str), st.text(max_size=8), st.floats().map(str))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def client(artefacts):
    with TestClient(create_app(artefacts), raise_server_exceptions=False) as client:
        yield client


def _path(text: str) -> str:
    return quote(text, safe="")


@FUZZ
@given(user=ids, n=numbers, exclude=st.sampled_from(["true", "false", "1", "yes", "", "nope"]))
def test_recommendations_never_5xx(client, user, n, exclude):
    response = client.get(f"/recommendations/{_path(user)}", params={"n": n, "exclude_seen": exclude})
    assert response.status_code < 500, response.text


@FUZZ
@given(item=ids, n=numbers)
def test_similar_items_never_5xx(client, item, n):
    response = client.get(f"/similar-items/{_path(item)}", params={"n": n})
    assert response.status_code < 500, response.text


@FUZZ
@given(q=st.text(max_size=250), n=numbers, category=st.none() | st.text(max_size=12))
def test_search_never_5xx(client, q, n, category):
    params = {"q": q, "n": n} | ({} if category is None else {"category": category})
    response = client.get("/search", params=params)
    assert response.status_code < 500, response.text


row_keys = st.sampled_from(["customer_id", "tenure_days", "total_orders", "avg_order_value", "x"])
rows = st.lists(st.dictionaries(row_keys, json_values, max_size=6), max_size=4)


@FUZZ
@given(body=st.one_of(json_values, st.fixed_dictionaries({"customers": rows}), st.binary(max_size=40)))
def test_churn_risk_never_5xx(client, body):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post("/churn-risk", content=content, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text

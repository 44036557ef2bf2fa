"""The HTTP service: FastAPI over the saved models of an artefacts directory.

Routes (OpenAPI at ``/docs``, schema at ``/openapi.json``):

* ``GET /health``: status, each model's manifest summary and the artefacts' fingerprint, load time.
* ``GET /recommendations/{user_id}?n=10``: the user's top-n; an unknown user gets the cold-start list with
  ``cold_start: true``. A user id of the wrong type (letters where the model's ids are integers) is a 422.
* ``GET /similar-items/{item_id}?n=10``: the most similar other items; an unknown item is a 404.
* ``POST /churn-risk``: ``{"customers": [{"customer_id": ..., <feature columns>...}, ...]}`` -> probability
  and risk segment per customer (404 when no churn model is loaded).
* ``GET /search?q=...&n=10``: product search (404 when no search index is loaded).
* ``POST /admin/reload``: load the artefacts directory again and swap it in (only with ``allow_reload``).
* ``GET /metrics``: Prometheus text: request count by route and status, latency histogram by route.

Bad parameters or bodies are answered 422 with the reason; a ``ValueError`` from a model is a 422 too, so
bad input never causes a 500. Each request is logged as one JSON line on the ``shopcase.serve.access``
logger: method, route, path, status, milliseconds.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field

import shopcase
from shopcase.schema import CUSTOMER_ID, ITEM_ID, RANK, SCORE, SIMILAR_ITEM_ID
from shopcase.serve import risk
from shopcase.serve.service import Models, Service, is_known, load_models, parse_id, records

ACCESS_LOG = logging.getLogger("shopcase.serve.access")
MAX_N = 1000
"""Longest list a request may ask for."""
MAX_ROWS = 10_000
"""Most customers one ``/churn-risk`` request may score."""
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Item(BaseModel):
    item_id: int | str
    score: float | None
    rank: int


class Recommendations(BaseModel):
    user_id: int | str
    cold_start: bool = Field(description="true: the user is unknown to the model; the list is the popularity ranking")
    model: str = Field(description="fingerprint of the recommender artefact that answered")
    items: list[Item]


class SimilarItems(BaseModel):
    item_id: int | str
    model: str
    items: list[Item]


class ChurnRequest(BaseModel):
    customers: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description="one object per customer: customer_id and the churn model's feature columns (numbers)",
    )


class ChurnScore(BaseModel):
    customer_id: int | str
    churn_probability: float
    risk_segment: str


class ChurnResponse(BaseModel):
    model: str
    scores: list[ChurnScore]


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    # Serialised directly: the payload is built from validated model output, so pydantic's response
    # validation would only cost time (it is still declared, for the OpenAPI schema).
    return Response(json.dumps(payload, separators=(",", ":")), status_code=status, media_type="application/json")


def _metrics(registry: CollectorRegistry) -> tuple[Counter, Histogram]:
    requests = Counter("shopcase_requests", "HTTP requests answered", ["method", "route", "status"], registry=registry)
    latency = Histogram(
        "shopcase_request_seconds", "Time to answer a request", ["route"], buckets=LATENCY_BUCKETS, registry=registry
    )
    return requests, latency


class Observe:
    """ASGI middleware: one JSON log line, a count and a latency observation per request.

    Plain ASGI rather than ``@app.middleware``: Starlette's ``BaseHTTPMiddleware`` wraps every response in
    a stream and measured slower. The route label is the route's template (``/recommendations/{user_id}``),
    so the metrics do not grow with the number of users.
    """

    def __init__(self, app, count: Counter, latency: Histogram) -> None:
        self.app, self.count, self.latency = app, count, latency

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an unhandled error

        async def send_and_watch(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.count.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(route).observe(seconds)
            line = {"method": scope["method"], "route": route, "path": scope["path"], "status": status}
            ACCESS_LOG.info(json.dumps({**line, "ms": round(seconds * 1000, 3)}))


def create_app(
    artifacts: str | os.PathLike | Models, *, allow_reload: bool = False, registry: CollectorRegistry | None = None
) -> FastAPI:
    """The FastAPI app serving the models in ``artifacts`` (a directory, or already loaded ``Models``).

    ``allow_reload`` enables ``POST /admin/reload``; ``registry`` is where the Prometheus metrics live (a
    fresh one per app by default, so several apps in one process do not mix their counts).
    """
    models = artifacts if isinstance(artifacts, Models) else load_models(artifacts)
    service = Service(models)
    registry = CollectorRegistry() if registry is None else registry
    request_count, latency = _metrics(registry)
    app = FastAPI(
        title="shopcase",
        version=shopcase.__version__,
        description="Recommendations, similar items, churn risk and search from saved shopcase models.",
    )
    app.state.service = service

    app.add_middleware(Observe, count=request_count, latency=latency)

    @app.exception_handler(ValueError)
    async def bad_input(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(exc).split())}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Service status, each loaded model's manifest summary, and the fingerprint of the whole set."""
        current = service.models
        return {
            "status": "ok",
            "shopcase_version": shopcase.__version__,
            "artifacts": str(current.directory),
            "fingerprint": current.fingerprint,
            "load_seconds": round(current.load_seconds, 3),
            "models": {name: m.summary() for name, m in current.manifests.items()},
        }

    @app.get("/noop", include_in_schema=False)
    def noop() -> Response:
        """The framework's ceiling in benchmarks: no model, same middleware."""
        return _json({"ok": True})

    @app.get("/recommendations/{user_id}", response_model=Recommendations)
    def recommendations(
        user_id: Annotated[str, PathParam(max_length=200)],
        n: Annotated[int, Query(ge=1, le=MAX_N)] = 10,
        exclude_seen: bool = True,
    ) -> Response:
        """Top-``n`` items for a user; an unknown user gets the cold-start list, flagged ``cold_start``."""
        current = service.models
        key = parse_id(user_id, current.user_kind, "user_id")
        items, scores, cold = current.one_user.top(key, n, exclude_seen)
        return _json(
            {
                "user_id": key,
                "cold_start": cold,
                "model": current.manifests["recommender"].fingerprint,
                "items": [
                    {"item_id": i, "score": s, "rank": r} for r, (i, s) in enumerate(zip(items, scores, strict=True), 1)
                ],
            }
        )

    @app.get("/similar-items/{item_id}", response_model=SimilarItems, responses={404: {"description": "unknown item"}})
    def similar_items(
        item_id: Annotated[str, PathParam(max_length=200)],
        n: Annotated[int, Query(ge=1, le=MAX_N)] = 10,
    ) -> Response:
        """The ``n`` items most similar to an item; 404 for an item the model does not know."""
        current = service.models
        model = current.recommender
        key = parse_id(item_id, current.item_kind, "item_id")
        if not is_known(model.item_index_, key):
            raise HTTPException(404, f"unknown item_id {item_id!r}")
        frame = model.similar_items([key], n=n)[[SIMILAR_ITEM_ID, SCORE, RANK]].rename(
            columns={SIMILAR_ITEM_ID: ITEM_ID}
        )
        items = records(frame, [ITEM_ID, SCORE, RANK])
        return _json({"item_id": key, "model": current.manifests["recommender"].fingerprint, "items": items})

    @app.post("/churn-risk", response_model=ChurnResponse, responses={404: {"description": "no churn model"}})
    def churn_risk(request: Annotated[ChurnRequest, Body()]) -> Response:
        """Churn probability and risk segment (LOW / MEDIUM / HIGH) for each customer row."""
        current = service.models
        if current.churn is None:
            raise HTTPException(404, "no churn model is loaded (artefacts have no churn/)")
        rows = pd.DataFrame.from_records(request.customers)
        if CUSTOMER_ID not in rows.columns:
            raise ValueError("each customer needs a 'customer_id'")
        scores = risk.churn_risk(current.churn, risk.feature_rows(current.churn, rows))
        return _json(
            {
                "model": current.manifests["churn"].fingerprint,
                "scores": records(scores, [CUSTOMER_ID, "churn_probability", "risk_segment"]),
            }
        )

    @app.get("/search", responses={404: {"description": "no search index"}})
    def search(
        q: Annotated[str, Query(min_length=1, max_length=200, description="what the user typed")],
        n: Annotated[int, Query(ge=1, le=MAX_N)] = 10,
        category: str | None = None,
        brand: str | None = None,
    ) -> Response:
        """Product search: ``item_id, score, rank, match`` (exact, corrected or fallback)."""
        current = service.models
        if current.search is None:
            raise HTTPException(404, "no search index is loaded (artefacts have no search/)")
        filters = {k: v for k, v in (("category", category), ("brand", brand)) if v is not None} or None
        n = min(n, current.search.n_items_)
        page = current.search.search(q, n=n, filters=filters)
        return _json(
            {"query": q, "model": current.manifests["search"].fingerprint, "items": records(page, list(page.columns))}
        )

    @app.post("/admin/reload", responses={403: {"description": "reload not enabled"}})
    def reload() -> dict[str, Any]:
        """Load the artefacts directory again and swap it in atomically; the old models serve until then."""
        if not allow_reload:
            raise HTTPException(403, "reload is not enabled (start the service with --allow-reload)")
        before = service.models.fingerprint
        try:
            fresh = service.reload()
        except ValueError as exc:  # a damaged new artefact: keep serving the old one
            raise HTTPException(409, f"reload failed, still serving {before[:12]}: {exc}") from exc
        return {"previous": before, "fingerprint": fresh.fingerprint, "load_seconds": round(fresh.load_seconds, 3)}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def app_from_environment() -> FastAPI:
    """App factory for ``uvicorn --factory`` (what ``shopcase serve`` runs in each worker process)."""
    level = os.environ.get("SHOPCASE_LOG_LEVEL", "info").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format="%(message)s")
    directory = os.environ.get("SHOPCASE_ARTIFACTS")
    if not directory:
        raise ValueError("SHOPCASE_ARTIFACTS is not set; start the service with `shopcase serve --artifacts DIR`")
    allow = os.environ.get("SHOPCASE_ALLOW_RELOAD") == "1"
    return create_app(Path(directory), allow_reload=allow)

"""The real thing: `shopcase serve` (two worker processes) started on a free loopback port, queried, stopped."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shopcase.serve import load


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_shopcase_serve_answers_on_loopback_and_stops(artefacts):
    port = free_port()
    script = Path(sys.executable).with_name("shopcase")
    argv = [
        str(script),
        "serve",
        "--artifacts",
        str(artefacts),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        assert health.status_code == 200 and set(health.json()["models"]) == {"recommender", "churn", "search"}
        model = load(artefacts / "recommender")
        user = int(model.user_ids_[0])
        body = httpx.get(f"{base}/recommendations/{user}", params={"n": 5}, timeout=10).json()
        assert [i["item_id"] for i in body["items"]] == model.recommend([user], n=5)["item_id"].tolist()
        assert httpx.get(f"{base}/similar-items/99999999", timeout=10).status_code == 404
        assert "shopcase_requests_total" in httpx.get(f"{base}/metrics", timeout=10).text
    finally:
        server.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    logs = server.stderr.read()
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert {"route": "/recommendations/{user_id}", "status": 200} in [
        {"route": x["route"], "status": x["status"]} for x in lines
    ], logs
    assert server.returncode == 0, logs

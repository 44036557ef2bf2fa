"""``shopcase serve`` as a child process: started on a free loopback port, waited for, and always stopped.

For notebooks and tests that talk to the real service over HTTP. ``ServiceProcess.start`` runs the CLI in
its own process group, waits until ``/health`` answers, and registers a finaliser, so the server stops when
``stop()`` is called, when the object is collected, or when the Python process exits (a notebook kernel
shutting down after a failed cell included). ``time_requests`` sends requests one at a time over one
keep-alive connection and returns each one's status and latency.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

import httpx
import numpy as np
import pandas as pd


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _terminate(process: subprocess.Popen, timeout: float = 30.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)  # uvicorn's graceful shutdown, for the workers too
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


class ServiceProcess:
    """A running ``shopcase serve`` on ``127.0.0.1``; use ``start`` (or ``with ServiceProcess.start(...)``)."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log
        self._finalizer = weakref.finalize(self, _terminate, process)

    @classmethod
    def start(
        cls, artifacts: str | os.PathLike, workers: int = 1, allow_reload: bool = False, timeout: float = 120.0
    ) -> ServiceProcess:
        """Start the service on a free loopback port and wait (up to ``timeout`` s) until it answers."""
        port = free_port()
        script = Path(sys.executable).with_name("shopcase")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "shopcase.serve.cli"]
        command += ["serve", "--artifacts", str(artifacts), "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers), "--log-level", "warning"]
        if allow_reload:
            command.append("--allow-reload")
        log = Path(tempfile.mkstemp(prefix="shopcase-serve-", suffix=".log")[1])
        with open(log, "w") as handle:
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        service = cls(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                service.stop()
                lines = log.read_text().strip().splitlines()
                raise ValueError(f"shopcase serve exited: {lines[-1] if lines else 'no output'}")
            try:
                if httpx.get(f"{service.url}/health", timeout=2).status_code == 200:
                    return service
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                service.stop()
                raise ValueError(f"shopcase serve did not answer within {timeout:.0f} s (log: {log})")
            time.sleep(0.2)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def get(self, path: str, **params: object) -> httpx.Response:
        """``GET`` a path of the service (a query string in ``path`` is kept; ``params`` are added)."""
        return httpx.get(f"{self.url}{path}", params=params or None, timeout=30)

    def post(self, path: str, body: object = None) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, timeout=120)

    def stop(self) -> int | None:
        """Stop the server (graceful, then forced after 30 s); returns its exit code."""
        self._finalizer()
        return self.process.returncode

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __str__(self) -> str:
        return f"shopcase serve at {self.url} ({'running' if self.running else 'stopped'})"


def time_requests(service: ServiceProcess, paths: Iterable[str], warmup: int = 20) -> pd.DataFrame:
    """Send ``GET path`` for each path, one at a time on one connection: ``path, status, ms`` per request.

    The first ``warmup`` requests (repeating the first paths) are sent but not returned: they pay for
    first-call costs (imports, caches) that a running service has already paid.
    """
    paths = list(paths)
    rows = []
    with httpx.Client(base_url=service.url, timeout=30) as client:
        for path in paths[:warmup]:
            client.get(path)
        for path in paths:
            started = time.perf_counter()
            status = client.get(path).status_code
            rows.append((path, status, (time.perf_counter() - started) * 1000))
    frame = pd.DataFrame(rows, columns=["path", "status", "ms"])
    frame["ms"] = frame["ms"].astype(np.float64)
    return frame

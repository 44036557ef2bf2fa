"""Benchmark: the HTTP service under load (wrk), beside a no-op route on the same server in the same run.

An ItemKNN (k = 100) fitted on the 100k-user x 20k-item generated shop (seed 1, as bench_recommend.py) is
saved as an artefact; ``shopcase serve`` starts on 127.0.0.1 with 1 and then 2 worker processes (2 = the
cores of this machine). For each, wrk (Debian's package; it is not the bottleneck) runs a fixed duration at
1, 8 and 32 connections against ``GET /recommendations/{user_id}?n=10`` (a random known user per request,
from a Lua table of 2,000 users) and against ``GET /noop`` (same app and middleware, no model): the
framework's ceiling. Reported: p50 / p99 latency, requests per second, the ratio of the two routes, the
artefact's save and load times and size, and the service's resident memory. Only loopback is targeted,
every run stops by itself.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_api.py [--users 100000 --items 20000]
        [--duration 10] [--workers 1 2] [--connections 1 8 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
SHOPCASE = Path(sys.executable).with_name("shopcase")
LUA = """
local users = {%s}
request = function()
  return wrk.format("GET", "/recommendations/" .. users[math.random(#users)] .. "?n=10")
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (the uvicorn supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes: robust to a busy machine."""
    total = 0.0
    for current in _tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the uvicorn supervisor and its workers)."""
    total = 0.0
    for current in _tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def prepare(n_users: int, n_items: int, folder: Path) -> tuple[Path, list[int], dict]:
    from shopcase.data import interactions_from_events, load_or_generate
    from shopcase.recommend import ItemKNN
    from shopcase.serve import data_fingerprint, load, save

    fit_s = save_s = float("nan")
    if not (folder / "recommender").exists():
        shop = load_or_generate(n_users=n_users, n_items=n_items, seed=1)
        interactions = interactions_from_events(shop.events)
        started = time.perf_counter()
        model = ItemKNN(k_neighbors=100).fit(interactions)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        save(model, folder / "recommender", created_at="2024-01-01", training_data=data_fingerprint(interactions))
        save_s = time.perf_counter() - started
    started = time.perf_counter()
    model = load(folder / "recommender")
    load_s = time.perf_counter() - started
    size_mb = sum(p.stat().st_size for p in (folder / "recommender").rglob("*") if p.is_file()) / 2**20
    users = np.random.default_rng(0).choice(model.user_ids_, 2000, replace=False).tolist()
    # In-process cost of one request's model call, for reading the HTTP figures against (n_jobs=None is
    # one thread, as in the server).
    times = []
    for user in users[:500]:
        t0 = time.perf_counter()
        model.recommend([user], n=10)
        times.append(time.perf_counter() - t0)
    sizes = {
        "users": len(model.user_ids_),
        "items": len(model.item_ids_),
        "interactions": int(model.user_items_.nnz),
        "fit_s": fit_s,
        "save_s": save_s,
        "load_s": load_s,
        "size_mb": size_mb,
        "call_p50_ms": 1000 * float(np.percentile(times, 50)),
        "call_p99_ms": 1000 * float(np.percentile(times, 99)),
    }
    return folder, users, sizes


def start_server(artefacts: Path, workers: int, log: Path) -> tuple[subprocess.Popen, int, dict]:
    port = free_port()
    argv = [str(SHOPCASE), "serve", "--artifacts", str(artefacts), "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    with open(log, "w") as handle:
        server = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            stop_server(server)  # never leave a server behind
            raise RuntimeError("server did not start within 300 s")
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
            # Every worker must have loaded its copy before the clock starts.
            if workers == 1 or log.read_text().count("Application startup complete") >= workers:
                return server, port, health
        except httpx.TransportError:
            pass
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, connections: int, duration: int, script: Path | None, server_pid: int | None = None) -> dict:
    threads = min(connections, 2)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script is not None:
        argv += ["-s", str(script)]
    cpu = tree_cpu_s(server_pid) if server_pid else 0.0
    out = subprocess.run([*argv, url], capture_output=True, text=True, timeout=duration + 60).stdout
    cpu = tree_cpu_s(server_pid) - cpu if server_pid else float("nan")
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "cpu_ms": 1000 * cpu / max(requests, 1),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "requests": requests,
        "errors": (int(errors.group(1)) if errors else 0),
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--artefacts", type=Path, default=None, help="keep the artefact here and reuse it next time")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian's package)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.artefacts or Path(tmp) / "artefacts"
        folder.mkdir(parents=True, exist_ok=True)
        folder, users, sizes = prepare(args.users, args.items, folder)
        print(
            f"model: ItemKNN(k_neighbors=100) on {sizes['users']:,} users x {sizes['items']:,} items "
            f"({sizes['interactions']:,} interactions), fit {sizes['fit_s']:.1f} s; "
            f"artefact {sizes['size_mb']:.0f} MB, "
            f"save {sizes['save_s']:.2f} s, load {sizes['load_s']:.2f} s (verify + read)"
        )
        print(
            f"one model.recommend([user], n=10) call in-process: p50 {sizes['call_p50_ms']:.2f} ms, "
            f"p99 {sizes['call_p99_ms']:.2f} ms"
        )
        print(f"load average before the runs: {os.getloadavg()}\n")
        script = Path(tmp) / "users.lua"
        script.write_text(LUA % ", ".join(str(u) for u in users))
        print(
            "| workers | connections | route | requests/s | p50 ms | p99 ms | server CPU ms/request | non-2xx "
            "| recommend / no-op rps |"
        )
        print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        summary = []
        for workers in args.workers:
            server, port, health = start_server(folder, workers, Path(tmp) / f"server{workers}.log")
            try:
                rss = tree_rss_mb(server.pid)
                base = f"http://127.0.0.1:{port}"
                run_wrk(f"{base}/noop", 8, 2, None)  # warm-up: imports, first requests
                run_wrk(base, 8, 2, script)
                for connections in args.connections:
                    noop = run_wrk(f"{base}/noop", connections, args.duration, None, server.pid)
                    recs = run_wrk(base, connections, args.duration, script, server.pid)
                    ratio = recs["rps"] / noop["rps"]
                    for route, result in (("recommendations", recs), ("no-op", noop)):
                        print(
                            f"| {workers} | {connections} | {route} | {result['rps']:,.0f} | {result['p50_ms']:.2f} "
                            f"| {result['p99_ms']:.2f} | {result['cpu_ms']:.2f} | {result['errors']} | "
                            f"{f'{ratio:.2f}' if route == 'recommendations' else ''} |",
                            flush=True,
                        )
                    summary.append({"workers": workers, "connections": connections, "recs": recs, "noop": noop})
                rss_after = tree_rss_mb(server.pid)
            finally:
                stop_server(server)
            print(
                f"| {workers} | | service memory: {rss:,.0f} MB resident after start, {rss_after:,.0f} MB after "
                f"the runs (all processes); load time in the worker {health['load_seconds']:.2f} s | | | | | | |",
                flush=True,
            )
        print(f"\nload average after the runs: {os.getloadavg()}")
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "api.json").write_text(json.dumps({"sizes": sizes, "runs": summary}, indent=1))


if __name__ == "__main__":
    main()

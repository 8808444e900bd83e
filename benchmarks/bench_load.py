"""Benchmark: POST /api/ask under 1, 16, 64 and 200 concurrent clients, loopback only, bounded in time.

python benchmarks/bench_load.py                          # baseline, default, 2 workers; 10 s per level
python benchmarks/bench_load.py --seconds 5 --configs default --clients 16,200

Each configuration is a real server process (`uvicorn` on the demo warehouse, demo mode) started with
settings from METRICQA_* variables. ``baseline`` reproduces the behaviour before backpressure: one
DuckDB connection behind a lock (``warehouse_cursors=1``), no admission control (``max_in_flight=0``)
and BLAS free to start a thread per core for every embedding (``embedder_blas_threads=0``), measured
in the same run. All servers start first, then each level runs every configuration in turn (the
order rotating per round), so that load from elsewhere on the machine hits them alike. Clients are closed-loop asyncio tasks, each with one keep-alive
connection (plain asyncio streams) asking the demo questions until the level's time is up; a request still open then
is awaited and counted. Prints one JSON line per (configuration, clients): throughput of answered
requests, p50/p95/p99 of answered requests (ms), errors (exceptions, 5xx other than 503, timeouts),
503s and whether every 503 carried Retry-After; then the throughput ratio to the baseline.
The clients share the machine's cores with the server: figures are for this machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench_api import QUESTIONS, free_port  # the same questions as the single-server benchmark

ROOT = Path(__file__).resolve().parent.parent
CONFIGS: dict[str, tuple[dict[str, str], int]] = {
    "baseline": (
        {
            "METRICQA_WAREHOUSE_CURSORS": "1",
            "METRICQA_MAX_IN_FLIGHT": "0",
            "METRICQA_EMBEDDER_BLAS_THREADS": "0",
        },
        1,
    ),
    "default": ({}, 1),
    "workers2": ({}, 2),
}
CLIENT_TIMEOUT_S = 30.0


def start_server(home: Path, env_extra: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "METRICQA_HOME": str(home), "METRICQA_DEMO_MODE": "true", **env_extra}
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "metricqa.integrations.api.app:app_from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)  # Server-Timing queue + app of answered asks
    busy: int = 0
    busy_without_retry_after: int = 0
    errors: int = 0
    other: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, elapsed_ms: float, retry_after: str | None, timing: str | None) -> None:
        if status == 200:
            self.latencies_ms.append(elapsed_ms)
            if timing:
                self.server_ms.append(
                    sum(float(p.split("dur=")[1]) for p in timing.split(",") if "dur=" in p)
                )
        elif status == 503:
            self.busy += 1
            self.busy_without_retry_after += retry_after is None
        elif status >= 500:
            self.errors += 1
        else:
            self.other[status] = self.other.get(status, 0) + 1


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams. (httpx's pool does work per request that
    grows with its size: at 200 connections the client, not the server, was the bottleneck.)"""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: dict[str, Any]) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        headers: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Reply(int(status_line.split()[1]), headers)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def client_loop(url: str, deadline: float, offset: int, tally: Tally) -> None:
    host, port = url.removeprefix("http://").split(":")
    conn = Connection(host, int(port))
    i = offset
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(
                conn.post_json("/api/ask", {"question": QUESTIONS[i % len(QUESTIONS)]}), CLIENT_TIMEOUT_S
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            tally.errors += 1
            await conn.close()
            await asyncio.sleep(0.05)
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        tally.add(
            reply.status, elapsed_ms, reply.headers.get("retry-after"), reply.headers.get("server-timing")
        )
        if reply.status == 503:
            await asyncio.sleep(min(float(reply.headers.get("retry-after") or 1), 1.0))
        i += 1
    await conn.close()


def percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def run_level(url: str, clients: int, seconds: float) -> dict[str, Any]:
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(url, started + seconds, i, tally) for i in range(clients)))
    wall = time.perf_counter() - started
    ordered = sorted(tally.latencies_ms)
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "answered": len(ordered),
        "answered_per_s": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "server_p99_ms": percentile(sorted(tally.server_ms), 0.99),
        "errors": tally.errors,
        "status_503": tally.busy,
        "503_without_retry_after": tally.busy_without_retry_after,
        "other_statuses": tally.other,
    }


@dataclass
class Server:
    name: str
    workers: int
    url: str
    proc: subprocess.Popen[bytes]


def start_all(names: list[str], home: Path) -> list[Server]:
    servers = []
    for name in names:
        env_extra, workers = CONFIGS[name]
        port = free_port()
        servers.append(
            Server(name, workers, f"http://127.0.0.1:{port}", start_server(home, env_extra, workers, port))
        )
    for server in servers:
        wait_ready(server.url, server.proc)
        warm_up(server)
    return servers


def warm_up(server: Server, rounds: int = 30) -> None:
    """Ask until a round's slowest answer is under a second: /readyz answers as soon as one worker is
    up, and each worker builds its state (and caches) on its own."""
    for _ in range(rounds):
        result = asyncio.run(run_level(server.url, 4 * server.workers, 2.0))
        if result["answered"] and result["p99_ms"] is not None and result["p99_ms"] < 1000:
            return
    raise SystemExit(f"{server.name} did not warm up")


def bench(
    servers: list[Server], levels: list[int], baseline_levels: list[int], seconds: float, rounds: int
) -> list[dict[str, Any]]:
    """Every level on every server, ``rounds`` times, rotating the order; one JSON line per run."""
    rows = []
    for clients in levels:
        for round_no in range(rounds):
            turn = servers[round_no % len(servers) :] + servers[: round_no % len(servers)]
            for server in turn:
                if server.name == "baseline" and clients not in baseline_levels:
                    continue
                result = asyncio.run(run_level(server.url, clients, seconds))
                row = {"config": server.name, "workers": server.workers, "round": round_no + 1, **result}
                print(json.dumps(row, ensure_ascii=False), flush=True)
                rows.append(row)
    return rows


def stop_all(servers: list[Server]) -> None:
    for server in servers:
        server.proc.terminate()
    for server in servers:
        server.proc.wait(timeout=60)


def ensure_home(home: Path | None) -> Path:
    home = home or Path(tempfile.mkdtemp(prefix="metricqa-bench-load-"))
    env = {**os.environ, "METRICQA_HOME": str(home)}
    if not (home / "demo.duckdb").exists():
        subprocess.run(
            [sys.executable, "-m", "metricqa", "demo", "build", "--scale", "1"], env=env, check=True
        )
    return home


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per level and round (max 60)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each level per configuration (max 5)")
    parser.add_argument("--clients", default="1,16,64,200", help="comma-separated concurrency levels")
    parser.add_argument("--configs", default="baseline,default,workers2", help=f"any of {', '.join(CONFIGS)}")
    parser.add_argument(
        "--baseline-clients", default="1,16", help="levels the baseline runs (it has no bound)"
    )
    parser.add_argument("--home", type=Path, default=None, help="METRICQA_HOME with a demo warehouse")
    args = parser.parse_args()
    seconds, rounds = max(1.0, min(args.seconds, 60.0)), max(1, min(args.rounds, 5))
    home = ensure_home(args.home)
    levels = [int(c) for c in args.clients.split(",")]
    servers = start_all(args.configs.split(","), home)
    try:
        rows = bench(servers, levels, [int(c) for c in args.baseline_clients.split(",")], seconds, rounds)
    finally:
        stop_all(servers)
    print_summary(rows)


def print_summary(rows: list[dict[str, Any]]) -> None:
    """Per configuration and level: the median over rounds of answered/s and p99, errors and 503s summed,
    and the answered/s ratio to the baseline's median at the same number of clients."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["config"], row["clients"]), []).append(row)
    medians = {key: statistics.median(r["answered_per_s"] for r in runs) for key, runs in groups.items()}
    for (config, clients), runs in groups.items():
        base = medians.get(("baseline", clients))
        p99s = [r["p99_ms"] for r in runs if r["p99_ms"] is not None]
        summary = {
            "summary": config,
            "clients": clients,
            "median_answered_per_s": medians[(config, clients)],
            "median_p99_ms": statistics.median(p99s) if p99s else None,
            "max_p99_ms": max(p99s) if p99s else None,
            "errors": sum(r["errors"] for r in runs),
            "status_503": sum(r["status_503"] for r in runs),
            "503_without_retry_after": sum(r["503_without_retry_after"] for r in runs),
            "throughput_vs_baseline": round(medians[(config, clients)] / base, 2) if base else None,
        }
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

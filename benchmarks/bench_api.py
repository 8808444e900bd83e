"""Benchmark: POST /api/ask latency and throughput at 1 and 16 concurrent clients, on 127.0.0.1 only.

python benchmarks/bench_api.py                      # real Assistant if it builds, else the fake
python benchmarks/bench_api.py --fake --requests 400
python benchmarks/bench_api.py --home /tmp/mq       # where the real assistant keeps its warehouse

The server runs as a separate process (uvicorn, demo mode, no key) so that the clients do not share its
interpreter; the clients are threads with one httpx.Client each. Prints which service answered.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "上月各大区销售额",
    "revenue by region last month",
    "本月订单数",
    "gross margin by month this year",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_service(fake: bool, home: Path | None) -> tuple[Any, str, Any]:
    """(service, description, settings): the real Assistant unless ``fake`` or it cannot be built."""
    from metricqa.core.settings import Settings

    settings = Settings(demo_mode=True) if home is None else Settings(home=home, demo_mode=True)
    if not fake:
        try:
            from metricqa.assistant.pipeline import Assistant

            service = Assistant.from_settings(settings)
            service.ask(QUESTIONS[0], _asker(settings), chart_dir=settings.resolved_chart_dir())  # warm up
            return service, "real Assistant (assistant.pipeline)", settings
        except Exception as exc:  # noqa: BLE001 - fall back and say why
            print(
                f"real Assistant unavailable ({type(exc).__name__}: {exc}); using the fake", file=sys.stderr
            )
    sys.path.insert(0, str(ROOT / "tests"))
    from api_fake_service import FakeAskService

    return FakeAskService(), "fake AskService (tests/api_fake_service.py)", settings


def _asker(settings: Any) -> Any:
    from metricqa.core.asker import Asker

    return Asker(role=settings.default_role, user="bench")


def serve(port: int, fake: bool, home: Path | None) -> None:
    """Child process: build the service and serve it until killed."""
    import uvicorn

    from metricqa.integrations.api.app import create_app

    service, what, settings = build_service(fake, home)
    print(json.dumps({"service": what}), flush=True)
    uvicorn.run(
        create_app(service, settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def wait_ready(url: str, proc: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


def run_load(url: str, total: int, clients: int) -> dict[str, Any]:
    """Fire ``total`` asks from ``clients`` threads; latency percentiles in ms and requests per second."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60.0)
        started = time.perf_counter()
        resp = local.client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "requests": total,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "req_per_s": round(total / wall, 1),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="asks per concurrency level (max 5000)")
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrency levels")
    parser.add_argument("--fake", action="store_true", help="benchmark the API layer with the fake service")
    parser.add_argument("--home", type=Path, default=None, help="Settings.home (default: the configured one)")
    parser.add_argument("--serve-port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_port is not None:
        serve(args.serve_port, args.fake, args.home)
        return
    home = args.home or (Path(tempfile.mkdtemp(prefix="metricqa-bench-api-")) if args.fake else None)
    port = free_port()
    cmd = [sys.executable, __file__, "--serve-port", str(port)] + (["--home", str(home)] if home else [])
    cmd += ["--fake"] if args.fake else []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc, timeout_s=600)
        assert proc.stdout is not None
        print(proc.stdout.readline().strip())
        total = max(1, min(args.requests, 5000))
        for clients in (int(c) for c in args.clients.split(",")):
            print(json.dumps(run_load(url, total, clients), ensure_ascii=False))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()

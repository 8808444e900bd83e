"""A real ``metricqa serve`` in a subprocess on a loopback port, with its own METRICQA_HOME: for the
fault-injection tests (tests/test_faults.py). Its log goes to a file the tests read."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

KEYS = """keys:
  - {key: "boss-key-0123456789", user: boss, role: exec}
  - {key: "temp-key-0123456789", user: temp, role: exec}
  - {key: "admin-key-0123456789", user: ops, role: exec, admin: true}
"""
BOSS, TEMP, ADMIN = "boss-key-0123456789", "temp-key-0123456789", "admin-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class ServerProcess:
    """``metricqa serve`` for the desk warehouse and catalog under ``root``, keys from ``keys_file``."""

    def __init__(self, root: Path, catalog: Path, warehouse: Path, keys_file: Path) -> None:
        self.root, self.log_path = root, root / "serve.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "METRICQA_HOME": str(root / "home"),
            "METRICQA_WAREHOUSE": str(warehouse),
            "METRICQA_CATALOG": str(catalog),
            "METRICQA_API_KEYS_FILE": str(keys_file),
            "METRICQA_EMBEDDER": "hash",  # instant to build: these tests are about serving, not retrieval
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        log = self.log_path.open("ab")
        cmd = [sys.executable, "-m", "metricqa", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._up, 90, f"the server on {self.url} (log: {self.log()[-2000:]})")
        return self

    def _up(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def ask(self, question: str, key: str = BOSS) -> httpx.Response:
        return httpx.post(
            self.url + "/api/ask", json={"question": question}, headers={"X-API-Key": key}, timeout=30
        )

    def answer(self, question: str, key: str = BOSS) -> dict[str, Any]:
        resp = self.ask(question, key)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    def reload(self, key: str = ADMIN) -> httpx.Response:
        return httpx.post(self.url + "/api/admin/reload", headers={"X-API-Key": key}, timeout=60)

    def hup(self, marker: str) -> str:
        """Send SIGHUP and wait until the log shows one more ``marker`` line; the log after the signal."""
        assert self.proc is not None
        before = self.log()
        seen = before.count(marker)
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.log().count(marker) > seen, 60, f"{marker!r} in the log")
        return self.log()[len(before) :]

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

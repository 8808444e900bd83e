"""The HTTP API (over a FakeAskService) served by uvicorn in a child process on a 127.0.0.1 port.

    with LiveApi(settings_env) as api:      # settings as METRICQA_* environment variables
        api.port, api.rss_bytes()           # the child's resident memory, from /proc

For what a test must measure on a real server and socket: streamed bodies, memory, many processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent

CHILD = """
import socket, sys, uvicorn
sys.path.insert(0, sys.argv[1])
from api_fake_service import FakeAskService
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app
app = create_app(FakeAskService(), Settings())
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)).run(sockets=[sock])
"""


class LiveApi:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("METRICQA_")} | env
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> LiveApi:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(TESTS)], env=self.env, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # bounded wait for uvicorn to listen
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the API server did not start")

    def __exit__(self, *exc: Any) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

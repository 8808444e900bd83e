"""A local fake of Slack's Web API over HTTP, for tests (127.0.0.1 only).

Point ``WebClient(base_url=fake.api_url)`` (or ``Settings(slack_api_url=...)``) at it. It records
every call and answers with Slack-shaped JSON for the methods the app uses: auth.test,
chat.postMessage, chat.update, files.getUploadURLExternal, the upload itself (POST to the
``upload_url`` it handed out, which lives on this server), files.completeUploadExternal, and
POSTs to ``response_url``s (``/response/...``). Channels listed in ``not_in_channel`` answer
``{"ok": false, "error": "not_in_channel"}`` to chat.postMessage.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    method: str  # "chat.postMessage", "upload", "response", ...
    params: dict[str, Any]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.not_in_channel: set[str] = set()
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.uploads.clear()
            self.not_in_channel.clear()

    # -- inspection ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` were recorded (bounded poll); raise on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"waited {timeout}s for {count}× {method}; recorded: {seen}")
                self._lock.wait(left)

    # -- answers ---------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "metricqa",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"1700000{next(self._ts):03d}.000100"
            channel_id = channel.lstrip("#").upper() if channel.startswith("#") else channel
            return {
                "ok": True,
                "channel": channel_id,
                "ts": ts,
                "message": {"text": params.get("text"), "ts": ts, "thread_ts": params.get("thread_ts")},
            }
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files") or "[]")
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence request logs
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlparse(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                if path.startswith("/upload/"):
                    file_id = path.rsplit("/", 1)[1]
                    fake.uploads[file_id] = body
                    fake._record(Call("upload", {"file_id": file_id}, body, headers))
                    self._send(200, f"OK - {len(body)}".encode(), "text/plain")
                    return
                if path.startswith("/response/"):
                    fake._record(Call("response", json.loads(body or b"{}"), body, headers))
                    self._send(200, b"ok", "text/plain")
                    return
                method = path.removeprefix("/api/")
                params = _parse_params(body, headers.get("content-type", ""), self.path)
                answer = fake._answer(method, params)
                fake._record(Call(method, params, body, headers))
                self._send(200, json.dumps(answer).encode(), "application/json; charset=utf-8")

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _parse_params(body: bytes, content_type: str, raw_path: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(urlparse(raw_path).query).items()}
    if "application/json" in content_type:
        params.update(json.loads(body or b"{}"))
    elif body:
        params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()})
    return params

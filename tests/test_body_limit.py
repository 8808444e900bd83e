"""Body limits on a real server: a chunked or lying body is refused (413) while it streams, before auth.

uvicorn serves the API in a child process; a raw socket sends the body chunk by chunk and stops
as soon as a response arrives, so the test sees when the server answered and what it cost it.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_api import LiveApi

from metricqa.integrations.api.middleware import BodyLimitMiddleware, body_limit

CHUNK = b"x" * (256 * 1024)
MAX_QUESTION_CHARS = 1000
LIMIT = body_limit(MAX_QUESTION_CHARS)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    home = tmp_path_factory.mktemp("bodylimit")
    (home / "keys.yaml").write_text("keys:\n  - {key: body-limit-key-0001, user: li, role: exec}\n")
    env = {
        "METRICQA_HOME": str(home),
        "METRICQA_API_KEYS_FILE": str(home / "keys.yaml"),
        "METRICQA_MAX_QUESTION_CHARS": str(MAX_QUESTION_CHARS),
    }
    with LiveApi(env) as server:
        yield server


def read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < content_length(data):
        part = sock.recv(65536)
        if not part:
            break
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def stream_chunked(port: int, total: int, headers: str = "") -> tuple[int, dict[str, Any], int]:
    """POST /api/ask with a chunked body of ``total`` bytes, no key; (status, body, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    request = f"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}"
    sock.sendall((request + "Transfer-Encoding: chunked\r\n\r\n").encode())
    sent = 0
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
            sent += len(CHUNK)
        if sent >= total:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while we were still sending
    try:
        status, body = read_response(sock)
    finally:
        sock.close()
    return status, body, sent


def test_a_chunked_body_over_the_limit_is_413_while_it_streams_without_auth(api: LiveApi) -> None:
    before = api.rss_bytes()
    status, body, sent = stream_chunked(api.port, 128 * 1024 * 1024)
    grown = api.rss_bytes() - before
    assert status == 413
    assert body["ok"] is False and body["status"] == 413 and body["kind"] == "body_too_large"
    assert body["error"] == f"The request body is larger than {LIMIT} bytes."
    assert sent < 32 * 1024 * 1024  # answered early: the client did not get to send most of it
    assert grown < 24 * 1024 * 1024  # and the server did not hold the body


def test_the_413_speaks_chinese_for_a_chinese_asker(api: LiveApi) -> None:
    status, body, _ = stream_chunked(api.port, 8 * 1024 * 1024, "Accept-Language: zh-CN\r\n")
    assert status == 413
    assert body["error"] == f"请求体超过 {LIMIT} 字节。"


def test_a_small_chunked_body_reaches_auth(api: LiveApi) -> None:
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    payload = json.dumps({"question": "revenue by region"}).encode()
    head = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    sock.sendall(head + b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n\r\n")
    status, body = read_response(sock)
    sock.close()
    assert status == 401 and body["kind"] == "unauthorized"


def test_a_declared_length_over_the_limit_is_413_before_any_byte(api: LiveApi) -> None:
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    sock.sendall(f"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: {300 * 1024 * 1024}\r\n\r\n".encode())
    status, body = read_response(sock)  # no body byte was sent
    sock.close()
    assert status == 413 and body["kind"] == "body_too_large"


# --- the middleware itself, for what uvicorn's parser never lets through ------------------------


class Recorder:
    """An ASGI app that reads the whole body, then answers 200 with its size."""

    def __init__(self) -> None:
        self.read = 0
        self.disconnected = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                break
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.read).encode()})


async def drive(declared: int | None, chunks: list[bytes], limit: int) -> tuple[list[Any], Recorder]:
    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    sent: list[Any] = []

    async def receive() -> Any:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    app = Recorder()
    await BodyLimitMiddleware(app, limit)(scope, receive, send)
    return sent, app


@pytest.mark.parametrize(
    "declared,chunks,status",
    [
        (10, [b"0123456789", b"and more than it said"], 413),  # a Content-Length that lies
        (None, [b"a" * 60, b"b" * 60], 413),  # chunked, past the limit in the second chunk
        (None, [b"a" * 50, b"b" * 50], 200),  # exactly the limit
        (30, [b"a" * 30], 200),
    ],
)
def test_the_running_total_is_checked_against_the_limit_and_the_declared_length(
    declared: int | None, chunks: list[bytes], status: int
) -> None:
    import asyncio

    sent, app = asyncio.run(drive(declared, chunks, limit=100))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [status]  # one response: the app's own is dropped
    if status == 413:
        body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
        assert body["kind"] == "body_too_large" and app.disconnected
    else:
        assert app.read == sum(map(len, chunks))


def test_the_limit_leaves_room_for_the_longest_question() -> None:
    assert body_limit(100) == 64 * 1024
    assert body_limit(100_000) == 4 * 100_000 + 4096
    assert Path(__file__).name == "test_body_limit.py"

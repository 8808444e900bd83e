"""A local OpenAI-compatible server for tests: POST /v1/chat/completions with scripted replies.

``enqueue_tool_call(args)`` replies with a function call (what ``with_structured_output(...,
method="function_calling")`` expects); ``enqueue_content(text)`` with plain content;
``enqueue_sleep(seconds)`` sleeps before answering (to test timeouts). Every request body is kept
in ``requests``. Binds 127.0.0.1 on a free port; nothing else is reachable.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def enqueue_tool_call(self, arguments: dict[str, Any] | str, name: str | None = None) -> None:
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        self.replies.append({"tool": {"arguments": args, "name": name}})

    def enqueue_content(self, text: str) -> None:
        self.replies.append({"content": text})

    def enqueue_sleep(self, seconds: float) -> None:
        self.replies.append({"sleep": seconds})

    def _reply(self, body: dict[str, Any]) -> dict[str, Any]:
        script = self.replies.popleft() if self.replies else {"content": ""}
        if "sleep" in script:
            time.sleep(script["sleep"])
            script = {"content": ""}
        message: dict[str, Any] = {"role": "assistant", "content": script.get("content")}
        finish = "stop"
        if "tool" in script:
            tools = body.get("tools") or [{"function": {"name": "plan"}}]
            name = script["tool"]["name"] or tools[0]["function"]["name"]
            call = {"id": f"call_{len(self.requests)}", "type": "function",
                    "function": {"name": name, "arguments": script["tool"]["arguments"]}}  # fmt: skip
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                payload = json.dumps(fake._reply(body)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler

"""Refuse request bodies far larger than any valid ask while they stream in, before any route runs.

A declared ``Content-Length`` over the limit is answered 413 without reading a byte. Otherwise the
body is counted as it arrives (chunked or not, nothing is buffered here): as soon as the running
total passes the limit, or passes a ``Content-Length`` that lied, the 413 goes out, the app sees
the client as gone, and whatever the app still sends is dropped.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from metricqa.core.messages import render
from metricqa.integrations.api.errors import accepted_language, error_body

MIN_BODY_BYTES = 64 * 1024


def body_limit(max_question_chars: int) -> int:
    """Bytes a request body may have: room for the longest question in UTF-8 (4 bytes a character) and JSON."""
    return max(MIN_BODY_BYTES, 4 * max_question_chars + 4096)


def too_large(scope: Scope, limit: int) -> JSONResponse:
    message = render("api.body_too_large", accepted_language(scope), limit=limit)
    return JSONResponse(error_body(message, 413, [message], "body_too_large"), status_code=413)


def declared_length(scope: Scope) -> int | None:
    raw = dict(scope.get("headers") or []).get(b"content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


class BodyLimitMiddleware:
    """413 (the one JSON error shape, ``api.body_too_large``) for a body over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.limit:
            await too_large(scope, self.limit)(scope, receive, send)
            return
        await self.app(scope, *BodyCounter(scope, receive, send, self.limit, declared).channels())


class BodyCounter:
    """One request's ``receive``/``send`` pair: counts body bytes, cuts the request off past the limit."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int, declared: int | None) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.allowed = limit if declared is None else min(limit, declared)
        self.limit = limit
        self.received = 0
        self.started = False  # the app began its response
        self.refused = False  # we answered 413: the app's own response goes nowhere

    def channels(self) -> tuple[Receive, Send]:
        return self.receive, self.send

    async def receive(self) -> ASGIMessage:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.allowed:
                await self.refuse()
                return {"type": "http.disconnect"}
        return message

    async def refuse(self) -> None:
        self.refused = True
        if not self.started:
            await too_large(self.scope, self.limit)(self.scope, self._receive, self._send)

    async def send(self, message: ASGIMessage) -> None:
        if self.refused:
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)

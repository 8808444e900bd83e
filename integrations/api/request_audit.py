"""Audit every HTTP request, answered or refused, failed or unauthenticated: one chained entry each.

The entry says who (the user of a valid key, ``api:demo`` for a keyless demo request, else
``anonymous``), what (method and path, never the query string: chart links carry signatures),
the status, how long it took and, for an error, the ``kind`` of the one JSON error shape. It never
holds the API key, the Authorization header or any other header. It is written (fsynced) before
the last byte of the response goes out, so a response the caller saw was audited.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from metricqa.assistant.audit import AuditLog
from metricqa.integrations.api.dependencies import presented_key

log = logging.getLogger("metricqa.api")

ERROR_BODY_BYTES = 16 * 1024


def request_user(scope: Scope) -> str:
    """Who sent the request, by the key it presents (looked up, never recorded)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    key = presented_key(headers.get("x-api-key"), headers.get("authorization"))
    state = getattr(scope.get("app"), "state", None)
    if key is None:
        settings = getattr(state, "settings", None)
        return "api:demo" if getattr(settings, "demo_mode", False) else "anonymous"
    live = getattr(state, "live", None)  # the keys serving now (a reload swaps them)
    store = live.current.keys if live is not None else None
    asker = store.asker_for(key) if store is not None else None
    return asker.user if asker is not None else "anonymous"


def error_kind(status: int, body: bytes) -> str | None:
    """The ``kind`` of an error response (the one JSON shape); ``http_<status>`` for any other body."""
    if status < 400:
        return None
    try:
        kind = json.loads(body).get("kind")
    except (ValueError, AttributeError):
        kind = None
    return str(kind) if kind else f"http_{status}"


class RequestAuditMiddleware:
    """Outermost middleware: sees every response, including 413s and 500s made by inner middleware."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(scope, time.perf_counter())

        async def audited_send(message: ASGIMessage) -> None:
            if record.observe(message):
                await self.write(record.entry())
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except Exception:
            if not record.written:
                record.status, record.kind = 500, "internal_error"
                await self.write(record.entry())
            raise
        if not record.written:  # the app ended without a complete response (the client went away)
            await self.write(record.entry())

    async def write(self, entry: dict[str, Any]) -> None:
        try:
            await anyio.to_thread.run_sync(self.audit.append, entry)
        except OSError:
            log.exception("could not write the audit entry for %s %s", entry["method"], entry["path"])


class RequestRecord:
    """What one request's audit entry needs, gathered from the messages the app sends."""

    def __init__(self, scope: Scope, started: float) -> None:
        self.scope, self.started = scope, started
        self.status: int | None = None
        self.kind: str | None = None
        self.body = b""
        self.written = False

    def observe(self, message: ASGIMessage) -> bool:
        """Note the status and error body; True when this is the response's last message."""
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            return False
        if message["type"] != "http.response.body" or self.written:
            return False
        if self.status is not None and self.status >= 400 and len(self.body) < ERROR_BODY_BYTES:
            self.body += message.get("body", b"")
        if message.get("more_body", False):
            return False
        self.kind = error_kind(self.status or 0, self.body)
        return True

    def entry(self) -> dict[str, Any]:
        self.written = True
        client = self.scope.get("client")
        return {
            "event": "http",
            "method": self.scope.get("method"),
            "path": self.scope.get("path"),
            "status": self.status,
            "user": request_user(self.scope),
            "client": client[0] if client else None,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 2),
            "error": self.kind,
        }

"""Refuse request bodies far larger than any valid ask before they are read into memory."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from metricqa.core.messages import render
from metricqa.integrations.api.errors import accepted_language, error_body

MIN_BODY_BYTES = 64 * 1024


def body_limit(max_question_chars: int) -> int:
    """Bytes a request body may have: room for the longest question in UTF-8 (4 bytes a character) and JSON."""
    return max(MIN_BODY_BYTES, 4 * max_question_chars + 4096)


class BodyLimitMiddleware:
    """413 for a declared Content-Length over ``limit``. (A chunked body over it fails while being parsed.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._declared(scope) > self.limit:
            message = render("api.body_too_large", accepted_language(scope), limit=self.limit)
            body = error_body(message, 413, [message], "body_too_large")
            await JSONResponse(body, status_code=413)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _declared(scope: Scope) -> int:
        raw = dict(scope.get("headers") or []).get(b"content-length", b"0")
        try:
            return int(raw)
        except ValueError:
            return 0

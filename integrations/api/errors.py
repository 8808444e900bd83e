"""The one place the HTTP API turns errors into responses, with one JSON shape (Datasette ``error_body``):

    {"ok": false, "error": "...", "errors": ["..."], "status": 400, "kind": "...", "suggestions": [...]}

``UserFacingError`` keeps its own ``http_status`` and message in the asker's language; request
validation errors become 400 (body is not JSON) or 422; any other exception becomes a logged 500
with a generic message, and the server goes on serving.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from metricqa.core.errors import RefusalReason, UnknownMetricError, UserFacingError
from metricqa.core.messages import Message, render

log = logging.getLogger("metricqa.api")

# REST reads of a resource that does not exist are 404 here, whatever the core's default.
STATUS_OVERRIDES: dict[type[UserFacingError], int] = {UnknownMetricError: 404}


class ApiError(UserFacingError):
    """A request the API itself rejects (bad key, bad body); ``http_status`` set per instance."""

    kind = "bad_request"
    reason = RefusalReason.INVALID_REQUEST

    def __init__(
        self, message: Message, *, http_status: int, kind: str, reason: RefusalReason | None = None
    ) -> None:
        super().__init__(message, kind=kind, reason=reason)
        self.http_status = http_status


def error_body(
    message: str,
    status: int,
    errors: list[str] | None = None,
    kind: str = "error",
    suggestions: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "ok": False,
        "error": message,
        "errors": list(errors or []),
        "status": status,
        "kind": kind,
        "suggestions": list(suggestions or []),
    }


def request_language(request: Request) -> str:
    """The language for messages: set by a dependency that saw the body, else Accept-Language."""
    chosen = getattr(request.state, "language", None)
    if chosen in ("en", "zh"):
        return str(chosen)
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def status_for(exc: UserFacingError) -> int:
    for cls, status in STATUS_OVERRIDES.items():
        if isinstance(exc, cls):
            return status
    return exc.http_status


async def user_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UserFacingError)
    status = status_for(exc)
    message = exc.message_for(request_language(request))
    body = error_body(message, status, [message], exc.kind, exc.suggestions)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [describe_problem(e) for e in exc.errors()]
    language = request_language(request)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return JSONResponse(error_body(render("error.bad_json", language), 400, problems, "bad_json"), 400)
    message = render("error.invalid_request", language, problems="; ".join(problems))
    return JSONResponse(error_body(message, 422, problems, "invalid_request"), 422)


def describe_problem(error: Any) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    msg = str(error.get("msg", "invalid"))
    return f"{loc}: {msg.removeprefix('Value error, ')}"


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    body = error_body(detail, exc.status_code, [detail], "http_error")
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


class CatchAllMiddleware:
    """Turn an unexpected exception into a logged 500 JSON response instead of a dropped connection.

    Pure ASGI (no BaseHTTPMiddleware), sitting inside Starlette's ServerErrorMiddleware so that
    nothing is re-raised: the server stays up and the caller gets the one error shape.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("Unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = error_body(render("error.internal", accepted_language(scope)), 500, [], "internal_error")
            await JSONResponse(body, status_code=500)(scope, receive, send)


def accepted_language(scope: Scope) -> str:
    """The language of a response made before any route ran: ``zh`` for Accept-Language zh*, else ``en``."""
    headers = dict(scope.get("headers") or [])
    return "zh" if headers.get(b"accept-language", b"").lower().startswith(b"zh") else "en"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(UserFacingError, user_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_middleware(CatchAllMiddleware)

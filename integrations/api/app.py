"""Build the FastAPI app around an ``AskService``, and run it with uvicorn.

    from metricqa.integrations.api.app import create_app, serve
    app = create_app(service, settings)      # tests pass a fake service
    serve(settings, host="127.0.0.1", port=8000)  # `metricqa serve`

Routes: POST /api/ask, GET /api/metrics, GET /api/metrics/{id}, GET /api/charts/{name}, GET /healthz,
the widget at /static/widget.js (+ widget.css), a demo page at /, OpenAPI docs at /docs.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from metricqa.assistant.audit import AuditLog
from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.service import AskService, configured_scope_problems
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.integrations.api.chart_links import ChartSigner
from metricqa.integrations.api.errors import install_error_handlers
from metricqa.integrations.api.middleware import BodyLimitMiddleware, body_limit
from metricqa.integrations.api.request_audit import RequestAuditMiddleware
from metricqa.integrations.api.routers import ask, charts, health, metrics, tables
from metricqa.integrations.api.routers.health import demo_mode_warning
from metricqa.integrations.auth import ApiKeysError, ApiKeyStore, load_api_keys

STATIC_DIR = Path(str(resources.files("metricqa.integrations").joinpath("static")))

DEMO_PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

log = logging.getLogger("metricqa.api")


def create_app(service: AskService, settings: Settings, key_store: ApiKeyStore | None = None) -> FastAPI:
    """The app. ``key_store`` defaults to ``Settings.api_keys_file``; its roles must exist in the catalog."""
    store = key_store if key_store is not None else load_api_keys(settings.api_keys_file)
    check_roles(store, service)
    if settings.demo_mode:
        log.warning(demo_mode_warning(settings.default_role))
    app = FastAPI(
        title="metricqa",
        summary="Ask governed business metrics in English or Chinese (指标问答).",
        version="0.1.0",
    )
    app.state.service = service
    app.state.settings = settings
    app.state.key_store = store
    app.state.chart_signer = ChartSigner.from_settings(settings)
    for router in (ask.router, metrics.router, charts.router, health.router, tables.router):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit=body_limit(settings.max_question_chars))
    add_cors(app, settings.cors_origins)
    app.add_middleware(
        RequestAuditMiddleware, audit=AuditLog(settings.resolved_audit_log(), settings.audit_max_bytes)
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", demo_page, include_in_schema=False, response_class=FileResponse)
    return app


def check_roles(store: ApiKeyStore, service: AskService) -> None:
    """Every key's role exists and its scope restricts rows as meant (values are warehouse members)."""
    unknown = store.unknown_roles(service.catalog)
    if unknown:
        raise ApiKeysError(Message("error.api_keys_unknown_roles", {"roles": ", ".join(unknown)}))
    problems = configured_scope_problems(service, [k.asker() for k in store.keys])
    if problems:
        raise ApiKeysError(
            Message("error.askers_bad_scopes", {"origin": "the API keys file", "problems": problems})
        )


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Let the widget call the API from other sites. Keys travel in headers, never cookies."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["X-API-Key", "Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )


def demo_page() -> Any:
    return FileResponse(
        STATIC_DIR / "index.html", media_type="text/html", headers={"Content-Security-Policy": DEMO_PAGE_CSP}
    )


def serve(settings: Settings, host: str, port: int) -> None:
    """Build the real assistant from ``settings`` and serve the API until interrupted."""
    import uvicorn

    app = create_app(Assistant.from_settings(settings), settings)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)

"""Build the FastAPI app around an ``AskService``, and run it with uvicorn.

    from metricqa.integrations.api.app import create_app, serve
    app = create_app(service, settings)      # tests pass a fake service
    serve(settings, host="127.0.0.1", port=8000)  # `metricqa serve`

Routes: POST /api/ask, GET /api/metrics, GET /api/metrics/{id}, GET /api/charts/{name}, GET /healthz,
GET /readyz, POST /api/admin/reload (admin keys; also SIGHUP and the ``reload_watch_s`` watcher),
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
from metricqa.assistant.service import AskService
from metricqa.core.settings import Settings
from metricqa.integrations.api.admission import AdmissionMiddleware, Limits
from metricqa.integrations.api.chart_links import ChartSigner
from metricqa.integrations.api.errors import install_error_handlers
from metricqa.integrations.api.middleware import BodyLimitMiddleware, body_limit
from metricqa.integrations.api.request_audit import RequestAuditMiddleware
from metricqa.integrations.api.routers import admin, ask, charts, health, metrics, tables
from metricqa.integrations.api.routers.health import demo_mode_warning
from metricqa.integrations.auth import ApiKeyStore, load_api_keys
from metricqa.integrations.reload_triggers import install_sighup, start_watcher
from metricqa.integrations.serving import LiveState, ServingState, build_state, check_askers, reloader
from metricqa.integrations.slack_users import SlackUserMap

STATIC_DIR = Path(str(resources.files("metricqa.integrations").joinpath("static")))

DEMO_PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

log = logging.getLogger("metricqa.api")


def create_app(
    service: AskService,
    settings: Settings,
    key_store: ApiKeyStore | None = None,
    *,
    live: LiveState | None = None,
) -> FastAPI:
    """The app. ``key_store`` defaults to ``Settings.api_keys_file``; its roles must exist in the catalog.
    ``live`` (as ``serve`` passes) makes the state reloadable; without it the state never changes."""
    if live is None:
        store = key_store if key_store is not None else load_api_keys(settings.api_keys_file)
        check_roles(store, service)
        live = LiveState(ServingState(service=service, keys=store))
    if settings.demo_mode:
        log.warning(demo_mode_warning(settings.default_role))
    app = FastAPI(
        title="metricqa",
        summary="Ask governed business metrics in English or Chinese (指标问答).",
        version="0.1.0",
    )
    app.state.live = live
    app.state.settings = settings
    app.state.chart_signer = ChartSigner.from_settings(settings)
    for router in (ask.router, metrics.router, charts.router, health.router, tables.router, admin.router):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit=body_limit(settings.max_question_chars))
    app.add_middleware(AdmissionMiddleware, limits=Limits.from_settings(settings))
    add_cors(app, settings.cors_origins)
    app.add_middleware(
        RequestAuditMiddleware, audit=AuditLog(settings.resolved_audit_log(), settings.audit_max_bytes)
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", demo_page, include_in_schema=False, response_class=FileResponse)
    return app


def check_roles(store: ApiKeyStore, service: AskService) -> None:
    """Every key's role exists and its scope restricts rows as meant (values are warehouse members)."""
    check_askers(service, store, SlackUserMap())


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


def create_live_app(settings: Settings) -> FastAPI:
    """The real, reloadable app: SIGHUP, POST /api/admin/reload and (``reload_watch_s``) a file watcher."""
    live = LiveState(build_state(settings), rebuild=reloader(settings))
    install_sighup(live)
    start_watcher(live, settings)
    return create_app(live.current.service, settings, live=live)


def serve(settings: Settings, host: str, port: int) -> None:
    """Build the real assistant from ``settings`` and serve the API until interrupted."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    app = create_live_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


def app_from_environment() -> FastAPI:
    """For several worker processes: ``uvicorn --factory metricqa.integrations.api.app:app_from_environment
    --workers 4`` (settings from METRICQA_* variables; see docs/configuration.md, "Running several workers")."""
    return create_live_app(Settings())

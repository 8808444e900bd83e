"""GET /healthz (liveness: the server is up) and GET /readyz (readiness: the warehouse and catalog answer)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from metricqa.integrations.api.dependencies import ServiceDep, SettingsDep
from metricqa.integrations.api.schemas import HealthOut

router = APIRouter(tags=["health"])
log = logging.getLogger("metricqa.api")


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def healthz(service: ServiceDep, settings: SettingsDep) -> Any:
    """200 with the warehouse's as-of date; 503 when the service cannot read it. ``warnings`` says
    when the server runs in demo mode (answers without keys)."""
    try:
        as_of = service.as_of()
    except Exception:
        log.exception("Health check failed")
        return JSONResponse({"ok": False, "data_as_of": None}, status_code=503)
    body: dict[str, Any] = {"ok": True, "data_as_of": as_of.isoformat()}
    if settings.demo_mode:
        body["warnings"] = [demo_mode_warning(settings.default_role)]
    return body


def demo_mode_warning(role: str) -> str:
    return f"DEMO MODE: the API answers requests without an API key, as role {role!r}; never expose it"


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def readyz(service: ServiceDep) -> Any:
    """200 when the service can answer now: the warehouse answers a one-row query on every model's
    table and the catalog has an approved metric; else 503 with the reasons (``warnings``)."""
    check = getattr(service, "readiness", None)
    try:
        problems: list[str] = list(check()) if check is not None else []
        as_of = service.as_of().isoformat()
    except Exception as exc:  # noqa: BLE001 - not ready, whatever broke, and say so
        log.exception("Readiness check failed")
        problems, as_of = [f"readiness check failed: {exc.__class__.__name__}"], None
    if problems:
        return JSONResponse({"ok": False, "data_as_of": as_of, "warnings": problems}, status_code=503)
    return {"ok": True, "data_as_of": as_of, "warnings": []}

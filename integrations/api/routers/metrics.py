"""GET /api/metrics and /api/metrics/{metric_id}: what the caller may ask about."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from metricqa.integrations.api.dependencies import AskerDep, LanguageDep, ServiceDep
from metricqa.integrations.api.schemas import ErrorOut, MetricsOut

router = APIRouter(prefix="/api/metrics", tags=["metrics"])

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404)}


@router.get("", response_model=MetricsOut, responses=ERRORS)
def list_metrics(service: ServiceDep, asker: AskerDep, language: LanguageDep) -> dict[str, Any]:
    """Approved metrics the caller's role may see: id, name, description, unit, owner, status, version."""
    return {"ok": True, "metrics": service.list_metrics(asker, language)}


@router.get("/{metric_id}", response_model=None, responses=ERRORS)
def describe_metric(
    metric_id: str, service: ServiceDep, asker: AskerDep, language: LanguageDep
) -> dict[str, Any]:
    """Definition, versions and changelog, lineage and sources of one metric."""
    return service.describe_metric(metric_id, asker, language)

"""GET /api/charts/{name}: a chart (PNG, or its SVG) from the configured chart directory, nothing else."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from metricqa.core.errors import RefusalReason
from metricqa.core.messages import Message
from metricqa.integrations.api.chart_links import ChartSignerDep
from metricqa.integrations.api.dependencies import AskerDep, SettingsDep
from metricqa.integrations.api.errors import ApiError
from metricqa.integrations.api.schemas import ErrorOut

router = APIRouter(prefix="/api/charts", tags=["charts"])

CHART_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.(png|svg)$")
MEDIA_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


@router.get(
    "/{name}",
    name="get_chart",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "image/svg+xml": {}}},
        **{code: {"model": ErrorOut} for code in (401, 403, 404)},
    },
)
def get_chart(
    name: str,
    settings: SettingsDep,
    asker: AskerDep,
    signer: ChartSignerDep,
    exp: Annotated[int | None, Query(description="Expiry (Unix seconds), as in `chart.url`.")] = None,
    sig: Annotated[str | None, Query(description="Signature, as in `chart.url`.")] = None,
) -> Any:
    """A chart drawn for an answer: the signed ``chart.url``, with the key of the asker it was made for."""
    signer.check(name, asker, exp, sig, time.time())
    path = chart_file(settings.resolved_chart_dir(), name)
    headers = {"Cache-Control": "private, max-age=3600"}
    if path.suffix == ".svg":  # drawn by us, but never run as a document: no scripts, no same-origin reads
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


def chart_file(chart_dir: Path, name: str) -> Path:
    """The chart file called ``name`` directly inside ``chart_dir``; 404 for anything else (no traversal)."""
    root = chart_dir.resolve()
    path = (root / name).resolve() if CHART_NAME.match(name) and ".." not in name else None
    if path is None or path.parent != root or not path.is_file():
        raise ApiError(
            Message("error.no_chart", {"name": name}),
            http_status=404,
            kind="not_found",
            reason=RefusalReason.NOT_FOUND,
        )
    return path

"""POST /api/ask: the question in, the Answer JSON out (plus ``chart.url``)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from metricqa.integrations.api.chart_links import ChartSignerDep, signed_url
from metricqa.integrations.api.dependencies import AskerDep, ServiceDep, SettingsDep, checked_ask
from metricqa.integrations.api.schemas import AnswerOut, AskRequest, ErrorOut

router = APIRouter(prefix="/api", tags=["ask"])

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 413, 422, 500)
}


@router.post("/ask", response_model=None, responses={200: {"model": AnswerOut}, **ERRORS})
def ask(
    asker: AskerDep,  # first: a caller without a key learns nothing about the body rules
    body: Annotated[AskRequest, Depends(checked_ask)],
    request: Request,
    service: ServiceDep,
    settings: SettingsDep,
    signer: ChartSignerDep,
) -> dict[str, Any]:
    """Answer a question. A refusal or a request to clarify is a 200 with ``status`` saying so."""
    session_id = body.session_id or uuid.uuid4().hex
    chart_dir = settings.resolved_chart_dir()
    answer = service.ask(
        body.question, asker, session_id=session_key(asker.user, session_id), chart_dir=chart_dir
    )
    data = answer.to_json_dict()
    data["session_id"] = session_id
    chart = data.get("chart")
    if chart:
        for key, field in (("url", "path"), ("svg_url", "svg_path")):
            chart[key] = None
            if chart.get(field):
                file = Path(chart[field])
                link = chart_url(request, file, chart_dir)
                chart[key] = link and signed_url(link, signer, file.name, asker)
    return data


def session_key(user: str, session_id: str) -> str:
    """Sessions are per caller: one key holder cannot continue another's conversation."""
    return f"{user}|{session_id}"


def chart_url(request: Request, path: Path, chart_dir: Path) -> str | None:
    """The GET /api/charts URL of a chart written in the chart directory; None for one elsewhere."""
    if path.parent.resolve() != chart_dir.resolve():
        return None
    return str(request.url_for("get_chart", name=path.name))

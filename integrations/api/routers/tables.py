"""POST /api/answer.csv: the rows of a plan's answer as CSV, run again for the caller (same role and
scope as any answer: the plan is checked by governance, never the rows a client sends)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from metricqa.assistant.presentation.tables import answer_csv
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.core.errors import InvalidPlanError
from metricqa.core.messages import Message
from metricqa.integrations.api.dependencies import AskerDep, ServiceDep
from metricqa.integrations.api.routers.ask import ERRORS

router = APIRouter(prefix="/api", tags=["tables"])


class TableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: QueryPlan = Field(description="The `plan` of an answer (the Answer JSON), as it came back.")
    language: Literal["en", "zh"] = Field(default="en", description="Language of member names and labels.")


@router.post("/answer.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}, **ERRORS})
def answer_table(body: TableRequest, asker: AskerDep, service: ServiceDep) -> Response:
    """The answer's rows as ``text/csv``, for the caller's role and scope; a plan the caller may not run
    is the same refusal as its answer (400 with the reason)."""
    answer = service.run_plan(body.plan, asker, language=body.language)
    if answer.status != "answered":
        raise InvalidPlanError(Message("lists.csv.refused", {"reason": answer.reason or answer.answer}))
    return Response(
        answer_csv(answer),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="answer.csv"'},
    )

"""Request and response bodies of the HTTP API.

``AskRequest`` is validated; the response models only document the JSON in the OpenAPI schema
(handlers return plain dicts so fields the core adds to ``Answer`` flow through unchanged).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from metricqa.assistant.presentation.answer import Answer, Chart
from metricqa.core.errors import check_text

SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "上月各大区销售额", "session_id": "web-3f2a"}]},
    )

    question: str = Field(description="The question, in English or Chinese.")
    session_id: str | None = Field(
        default=None,
        pattern=SESSION_ID_PATTERN,
        description="Conversation id: send the one the previous answer returned to ask a follow-up.",
    )
    language: Literal["en", "zh"] | None = Field(
        default=None,
        description="Language of error messages. The answer itself follows the question's language.",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = check_text(value).strip()  # a lone surrogate is a clear 400 (InvalidTextError), not a 500
        if not value:
            raise ValueError("the question is empty")
        return value


class ChartOut(Chart):
    url: str | None = Field(
        default=None, description="Where to GET the PNG (needs the same key as /api/ask)."
    )
    svg_url: str | None = Field(default=None, description="Where to GET the same chart as SVG (same key).")


class AnswerOut(Answer):
    """The answer contract (shared/spec/answer-contract.md) plus ``chart.url``; ``fields`` describes
    each of ``columns`` by role (period, dimension, label, value, baseline, target, delta, ratio)."""

    chart: ChartOut | None = None


class MetricsOut(BaseModel):
    ok: bool = True
    metrics: list[dict[str, Any]]


class HealthOut(BaseModel):
    ok: bool
    data_as_of: str | None = None
    warnings: list[str] = Field(default_factory=list)  # e.g. demo mode: anyone may ask, as the default role


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    error: str
    errors: list[str] = Field(default_factory=list)
    status: int
    kind: str = "error"
    suggestions: list[str] = Field(default_factory=list)

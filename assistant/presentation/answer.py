"""The Answer: one object every surface renders (shared/spec/answer-contract.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from metricqa.assistant.semantic.plan import QueryPlan

AnswerStatus = Literal["answered", "clarify", "refused"]


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    name: str
    version: int
    status: str
    owner: str
    department: str = ""
    definition: str
    formula: str
    sources: list[str]
    lineage: list[str]


class Chart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    path: str


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    language: Literal["en", "zh"] = "en"
    status: AnswerStatus
    answer: str
    plan: QueryPlan | None = None
    sql: str | None = None
    params: list[Any] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    chart: Chart | None = None
    citations: list[Citation] = Field(default_factory=list)
    options: list[str] = Field(default_factory=list)
    reason: str | None = None
    suggestions: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    data_as_of: str = ""
    timings_ms: dict[str, float] = Field(default_factory=dict)
    session_id: str | None = None
    role: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

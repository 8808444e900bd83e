"""The Answer: one object every surface renders (shared/spec/answer-contract.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from metricqa.assistant.presentation.table import DisplayTable
from metricqa.assistant.semantic.columns import ResultColumn, describe
from metricqa.assistant.semantic.compiler import plan_columns
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.core.errors import RefusalReason

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
    path: str  # the PNG (2× device pixels)
    svg_path: str | None = Field(
        default=None, description="the same chart as SVG, for surfaces that show one"
    )
    width: int | None = Field(default=None, description="the size to show it at, in CSS pixels")
    height: int | None = None


class PartialPeriod(BaseModel):
    """A period in progress in the result: the whole range (``period`` null) or one series point."""

    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(description="the series point (ISO date of its bucket); null: the whole range")
    start: str
    through: str = Field(description="the last day with data (the as-of date)")
    end: str = Field(description="the period's last day")
    elapsed_days: int
    total_days: int
    elapsed_share: float
    rows: list[int] = Field(description="indexes of the result rows that are for this period")


class PaceRow(BaseModel):
    """One row's attainment against a per-period target, judged on pace (presentation/pace.py)."""

    model_config = ConfigDict(extra="forbid")

    row: int
    metric: str
    member: str
    attainment: float
    elapsed_share: float
    pace: float = Field(description="attainment ÷ elapsed_share")
    status: Literal["on_track", "behind"]


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
    fields: list[ResultColumn] = Field(
        default_factory=list, description="one descriptor per column, in order: name, role, metric, dimension"
    )
    rows: list[list[Any]] = Field(default_factory=list)
    total_rows: int | None = Field(
        default=None, description="a list cut to its row cap: how many rows it has in all (else None)"
    )
    chart: Chart | None = None
    citations: list[Citation] = Field(default_factory=list)
    options: list[str] = Field(default_factory=list)
    reason: str | None = None
    reason_code: RefusalReason | None = None  # for refused / clarify: why, as a stable code
    suggestions: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    data_as_of: str = ""
    timings_ms: dict[str, float] = Field(default_factory=dict)
    session_id: str | None = None
    role: str | None = None
    partial_periods: list[PartialPeriod] = Field(
        default_factory=list, description="periods in progress (to the as-of date) and the rows they hold"
    )
    table: DisplayTable | None = Field(
        default=None, description="the rows as a person reads them: headers and cells in the asker's language"
    )
    pace: list[PaceRow] = Field(
        default_factory=list, description="attainment judged on pace when a per-period target is in progress"
    )

    @model_validator(mode="after")
    def _describe_columns(self) -> Answer:
        """An answer built without descriptors (by hand, or read from older JSON) gets them from its
        plan's result columns and, for names the plan does not explain, from the names themselves."""
        if self.columns and not self.fields:
            known = plan_columns(self.plan) if self.plan is not None else ()
            self.fields = list(describe(self.columns, known))
        return self

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

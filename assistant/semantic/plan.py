"""QueryPlan: the only contract between the planners and the compiler (shared/spec/query-plan.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grain(StrEnum):
    NONE = "none"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Comparison(StrEnum):
    NONE = "none"
    PREVIOUS_PERIOD = "previous_period"
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"
    TARGET = "target"


class Intent(StrEnum):
    VALUE = "value"
    BREAKDOWN = "breakdown"
    TREND = "trend"
    RANK = "rank"
    LAGGED = "lagged"


class FilterOp(StrEnum):
    IN = "in"
    NOT_IN = "not_in"
    EQ = "eq"


class Filter(_Frozen):
    """Members of a dimension, by member key (never SQL)."""

    dimension: str
    op: FilterOp = FilterOp.IN
    values: tuple[str, ...]


class TimeRange(_Frozen):
    """Inclusive date range. ``grain`` != none asks for a series. ``label`` says it in words."""

    start: date
    end: date
    grain: Grain = Grain.NONE
    label: str = ""
    label_zh: str = ""
    partial: bool = False  # the range ends at the as-of date inside an unfinished period


class OrderBy(_Frozen):
    """``by`` is a metric id, or ``<metric>__delta`` / ``__ratio`` / ``__baseline`` / ``__attainment``."""

    by: str
    direction: Literal["asc", "desc"] = "desc"


class Evidence(_Frozen):
    """Which words of the question matched which catalog entry."""

    text: str
    entry: str
    kind: str  # metric | dimension | member | time | comparison | order


class QueryPlan(_Frozen):
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    time: TimeRange
    comparison: Comparison = Comparison.NONE
    order: tuple[OrderBy, ...] = ()
    limit: int | None = Field(default=None, ge=1, le=10000)
    intent: Intent = Intent.VALUE
    assumptions: tuple[str, ...] = ()
    assumptions_zh: tuple[str, ...] = ()
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: tuple[Evidence, ...] = ()

    @property
    def grain(self) -> Grain:
        return self.time.grain

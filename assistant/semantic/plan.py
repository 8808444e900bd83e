"""QueryPlan: the only contract between the planners and the compiler (shared/spec/query-plan.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from metricqa.assistant.semantic.columns import ValueKind, derived_name, parse_name
from metricqa.core.messages import Message


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


Direction = Literal["asc", "desc"]


class OrderBy(_Frozen):
    """Sort by one figure (``value``) of ``metric``, or by a key column (``metric`` = ``period``, a
    dimension or its ``_id``, with ``value`` = value).

    The spec's JSON form ``{"by": "revenue__delta", "direction": "asc"}`` round-trips: ``by`` is read
    into (metric, value) on input and written back, spelled by ``columns.derived_name``, on output.
    """

    metric: str
    value: ValueKind = ValueKind.VALUE
    direction: Direction = "desc"

    if TYPE_CHECKING:  # the constructor also takes ``by`` (see ``_read_by``)

        def __init__(
            self,
            *,
            by: str | None = None,
            metric: str | None = None,
            value: ValueKind = ValueKind.VALUE,
            direction: Direction = "desc",
        ) -> None: ...

    @model_validator(mode="before")
    @classmethod
    def _read_by(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "by" not in data:
            return data
        data = dict(data)
        metric, value = parse_name(str(data.pop("by")))
        if data.setdefault("metric", metric) != metric or ValueKind(data.setdefault("value", value)) != value:
            raise ValueError(f"`by` {derived_name(metric, value)!r} disagrees with `metric` and `value`")
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by(self) -> str:
        """The result column name of (metric, value): ``revenue``, ``revenue__delta``, ``revenue__attainment``."""
        return derived_name(self.metric, self.value)


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
    notes: tuple[Message, ...] = ()  # the assumptions as message ids + params, for any language
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: tuple[Evidence, ...] = ()

    @property
    def grain(self) -> Grain:
        return self.time.grain

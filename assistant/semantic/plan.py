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
    OTHER_PERIOD = "other_period"  # against ``QueryPlan.baseline_time``: any two periods

    @property
    def periodic(self) -> bool:
        """Compared with the metric over another period (not with a target)."""
        return self not in (Comparison.NONE, Comparison.TARGET)


class Intent(StrEnum):
    VALUE = "value"
    BREAKDOWN = "breakdown"
    TREND = "trend"
    RANK = "rank"
    LAGGED = "lagged"
    SHARE = "share"  # each member's part of the total (``QueryPlan.share_dimensions``)
    LIST = "list"  # rows of a dimension's members with their attributes: a table, capped (list_row_limit)


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
    # the calendar period the range is (or is the part to date of): "this quarter" so far is a quarter,
    # so its previous period is the previous quarter's same days, not the two months before
    period: Grain = Grain.NONE


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


class ThresholdOp(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


class Threshold(_Frozen):
    """Keep the result rows whose ``value`` figure of ``metric`` compares with ``number`` by ``op``:
    "more than 200 orders" → (order_count, value, gt, 200); "missed target" → (revenue, ratio, lt, 1)
    under comparison=target. The number is bound as a parameter, never SQL text."""

    metric: str
    value: ValueKind = ValueKind.VALUE
    op: ThresholdOp
    number: float = Field(allow_inf_nan=False)

    @property
    def by(self) -> str:
        """The result column the threshold reads (``columns.derived_name``)."""
        return derived_name(self.metric, self.value)


class AttributeRef(_Frozen):
    """An attribute of a plan dimension shown beside each member ("products with their line")."""

    dimension: str
    attribute: str


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
    time_dimension: str | None = None  # date by this time dimension ("closed"), else each metric's default
    comparison: Comparison = Comparison.NONE
    baseline_time: TimeRange | None = None  # the period compared with, exactly when comparison=other_period
    order: tuple[OrderBy, ...] = ()
    limit: int | None = Field(default=None, ge=1, le=10000)
    intent: Intent = Intent.VALUE
    assumptions: tuple[str, ...] = ()
    assumptions_zh: tuple[str, ...] = ()
    notes: tuple[Message, ...] = ()  # the assumptions as message ids + params, for any language
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: tuple[Evidence, ...] = ()

    having: tuple[Threshold, ...] = ()  # keep only the rows meeting every threshold
    attributes: tuple[AttributeRef, ...] = ()  # member columns shown beside each member (a list)

    @model_validator(mode="after")
    def _baseline_time_with_other_period(self) -> QueryPlan:
        other = self.comparison is Comparison.OTHER_PERIOD
        if other and self.baseline_time is None:
            raise ValueError("comparison other_period needs `baseline_time`, the period compared with")
        if not other and self.baseline_time is not None:
            raise ValueError("`baseline_time` is only for comparison other_period")
        return self

    @property
    def grain(self) -> Grain:
        return self.time.grain

    @property
    def share_dimensions(self) -> tuple[str, ...]:
        """What a share is of: its dimensions ("share of revenue by channel" = each channel ÷ all
        channels) or, with none, the dimensions of its member filters ("what % of revenue came from
        Online" = Online ÷ all channels). The total drops the filters on these, keeps every other."""
        if self.dimensions:
            return tuple(dict.fromkeys(self.dimensions))
        return tuple(dict.fromkeys(f.dimension for f in self.filters))

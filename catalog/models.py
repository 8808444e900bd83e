"""Typed catalog entries. Data only: parsing lives in loader.py, checks in validation.py.

A catalog is a directory of YAML files. Each file may hold any of the top-level keys
``models``, ``measures``, ``metrics``, ``dimensions``, ``roles``, ``alerts``, and (in one file) the
``defaults`` mapping.
Every entry remembers the file and line it came from (``source``) so errors can point at it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceLocation(Frozen):
    """Where an entry was read from (dsi ParsingContext)."""

    file: str
    line: int

    def context_str(self) -> str:
        return f"in file `{self.file}` on line #{self.line}"


class Text(Frozen):
    """A string in both languages; ``zh`` falls back to ``en`` when absent."""

    en: str
    zh: str | None = None

    def get(self, language: str) -> str:
        return (self.zh or self.en) if language == "zh" else self.en

    def by_language(self) -> dict[str, str]:
        """``{"en": …, "zh": …}``: a message parameter that survives a JSON round trip (plan notes)."""
        return {"en": self.en, "zh": self.get("zh")}


class Synonyms(Frozen):
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.en, *self.zh]


class Status(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    DEPRECATED = "deprecated"


class MetricType(StrEnum):
    SIMPLE = "simple"
    RATIO = "ratio"
    DERIVED = "derived"
    CUMULATIVE = (
        "cumulative"  # a measure summed up to each period's end (running total, to-date, trailing window)
    )
    CONVERSION = "conversion"  # entities doing A, then B within a window (lead → won)


class Unit(StrEnum):
    CURRENCY = "currency"
    COUNT = "count"
    RATIO = "ratio"  # a fraction, shown as a percentage
    NUMBER = "number"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Aggregation(StrEnum):
    SUM = "sum"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    MEDIAN = "median"
    PERCENTILE = "percentile"  # with ``Measure.percentile`` (0.9 = p90)


class Cardinality(StrEnum):
    """How many rows of a joined table match one row of the model (dbt entity types)."""

    MANY_TO_ONE = "many_to_one"  # many facts to one header row: safe
    ONE_TO_ONE = "one_to_one"  # safe
    ONE_TO_MANY = "one_to_many"  # fans out the facts: rejected by validation
    MANY_TO_MANY = "many_to_many"  # the same

    @property
    def fans_out(self) -> bool:
        return self in (Cardinality.ONE_TO_MANY, Cardinality.MANY_TO_MANY)


TimeUnit = Literal["day", "week", "month", "quarter", "year"]


class Window(Frozen):
    """A length of time: ``7 days``, ``3 months`` (written so in YAML, or as ``{count, unit}``)."""

    count: int = Field(ge=1, le=10000)
    unit: TimeUnit

    @model_validator(mode="before")
    @classmethod
    def _read_words(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        words = data.split()
        if len(words) != 2 or not words[0].isdigit():
            raise ValueError(f"a window is a number and a unit (`7 days`, `3 months`), not `{data}`")
        unit = words[1].lower().removesuffix("s")
        return {"count": int(words[0]), "unit": unit}

    def phrase(self) -> str:
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"


class Join(Frozen):
    """Join another table into a model: ``<alias>.<left> = <table alias>.<right>`` for each pair."""

    table: str
    alias: str
    keys: list[
        tuple[str, str]
    ]  # (column of the model's base alias or an earlier join alias "a.col", column of this table)
    kind: Literal["inner", "left"] = "inner"
    # rows of ``table`` per model row: many_to_one or one_to_one (a key unique there); the others fan out
    cardinality: Cardinality = Cardinality.MANY_TO_ONE
    # kept even when no column of it is used (a join that filters the facts); else pruned when unused
    required: bool = False


class SemanticModel(Frozen):
    """A fact table (plus joined header tables) that measures aggregate over.

    ``time`` is the qualified column that dates a row (``o.order_date``);
    ``dimensions`` maps a dimension id to the qualified column holding the dimension's
    join key in this model (``region: o.region_id``).
    """

    id: str
    table: str
    alias: str
    joins: list[Join] = Field(default_factory=list)
    time: str
    # other columns that date a row, by time dimension id ({closed: t.closed_at}); ``time`` is the default
    times: dict[str, str] = Field(default_factory=dict)
    dimensions: dict[str, str] = Field(default_factory=dict)
    # the things a row is about, by entity id ({ticket: t.ticket_id, customer: t.customer_id}); the
    # ``primary_entity`` is the grain (one row per value, checked on the data); conversion metrics follow
    # an entity from one model's rows to another's
    entities: dict[str, str] = Field(default_factory=dict)
    primary_entity: str | None = None
    description: str | None = None
    system: str | None = None  # upstream source system, for lineage ("ERP (SAP S/4)")
    source: SourceLocation | None = None


class Measure(Frozen):
    """An aggregation over a model: ``agg(expr)`` over rows matching ``where``.

    ``expr`` and ``where`` are catalog-authored SQL expressions over the model's aliases;
    they are parsed and checked against the warehouse schema, never taken from users.
    """

    id: str
    model: str
    agg: Aggregation
    expr: str
    where: str | None = None
    # a snapshot (balance, headcount, open pipeline): not summed over time but read at the period's
    # last (or first) snapshot date, per bucket in a series (MetricFlow's non_additive_dimension)
    snapshot: Literal["last", "first"] | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)  # agg percentile: 0.9 = p90
    discrete: bool = False  # percentile: a value that occurs (percentile_disc), else interpolated
    # rows kept by dimension members, not SQL: [{dimension: channel, values: [ONLINE]}]
    filters: list[MemberFilter] = Field(default_factory=list)
    description: str | None = None
    source: SourceLocation | None = None


class MemberFilter(Frozen):
    """Keep rows whose member of ``dimension`` is (``in``) or is not (``not_in``) one of ``values``
    (member keys). A row with no member is kept by ``not_in``."""

    dimension: str
    op: Literal["in", "not_in"] = "in"
    values: list[str] = Field(min_length=1)


class ConversionParams(Frozen):
    """A conversion metric: of the ``entity`` values with a ``base_measure`` row in the period, those with a
    ``conversion_measure`` row at or after it (within the metric's ``window``, if any)."""

    base_measure: str
    conversion_measure: str
    entity: str
    calculation: Literal["conversion_rate", "conversions"] = "conversion_rate"


class ChangelogEntry(Frozen):
    version: int
    date: str
    note: str
    author: str | None = None


class LineageStep(Frozen):
    system: str
    tables: list[str]
    note: str | None = None


class TargetBinding(Frozen):
    """A metric that has a target: the metric id (or measure id) holding the target value, and the
    calendar period one target value is set for (``per``): over a period in progress such a target is
    judged on pace (presentation/pace.py)."""

    metric: str
    per: TimeUnit | None = None


class Metric(Frozen):
    id: str
    type: MetricType
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    description: Text
    definition: Text  # 口径, in words
    # simple
    measure: str | None = None
    # ratio: numerator / denominator, each a metric id or a measure id (ratio of sums)
    numerator: str | None = None
    denominator: str | None = None
    # derived: an arithmetic expression over metric or measure ids ("revenue - cogs")
    expr: str | None = None
    # cumulative (over ``measure``): a trailing ``window``, or ``grain_to_date`` (month = month to date),
    # or neither (everything up to each period's end); conversion: B within ``window`` of A
    window: Window | None = None
    grain_to_date: TimeUnit | None = None
    conversion: ConversionParams | None = None
    # a series shows every period of the range, an empty one as ``fill_nulls_with`` (sums and counts read 0)
    join_to_timespine: bool = False
    fill_nulls_with: float | None = None
    unit: Unit = Unit.NUMBER
    default_period: DefaultPeriod | None = None  # else the catalog's defaults.period
    time_dimension: str | None = None  # dated by this time dimension by default (else each model's time)
    currency: str | None = None
    direction: Direction = Direction.HIGHER_IS_BETTER
    owner: str
    department: str
    status: Status = Status.APPROVED
    replaced_by: str | None = None
    deprecation_reason: Text | None = None
    version: int = 1
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    lineage: list[LineageStep] = Field(default_factory=list)
    target: TargetBinding | None = None
    dimensions: list[str] | None = (
        None  # restrict the dimensions it may be split by; None = all its models allow
    )
    sensitive: bool = False
    examples: Synonyms = Field(default_factory=Synonyms)  # example questions, en/zh
    source: SourceLocation | None = None


class AttributeKind(StrEnum):
    """How an attribute's values read: words, a date, a plain number or an amount of money."""

    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    CURRENCY = "currency"


class Attribute(Frozen):
    """Another column of a dimension's member table, shown beside a member in a list ("a product's
    line", "a rep's hire date"): ``column`` per language (``zh`` falls back to ``en``), never grouped by."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    column: Text
    kind: AttributeKind = AttributeKind.TEXT
    description: Text | None = None

    @field_validator("column", mode="before")
    @classmethod
    def _one_column(cls, value: object) -> object:
        """``column: team`` is the same column in both languages."""
        return {"en": value} if isinstance(value, str) else value


class Dimension(Frozen):
    """Something to group or filter by.

    Members live in ``table``: ``key`` identifies a member, ``label`` names it per language.
    Facts join on ``join_key`` (the dimension table's column that a model's mapped column
    matches). With ``join_key`` unset the dimension is degenerate: the model's mapped column
    is the member key itself, and ``table``/``key`` only say where members are listed.
    """

    id: str
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    table: str
    key: str
    label: Text  # column names: en label column, zh label column
    join_key: str | None = None
    description: Text | None = None
    attributes: list[Attribute] = Field(default_factory=list)  # columns shown beside a member in a list
    # names of members the warehouse has no (or no translated) label for, by member key: answers show
    # these in the asker's language (presentation/labels.py); the key stays in the result's ``<dim>_id``
    member_labels: dict[str, Text] = Field(default_factory=dict)
    source: SourceLocation | None = None

    def attribute(self, attribute_id: str) -> Attribute | None:
        return next((a for a in self.attributes if a.id == attribute_id), None)


class TimeDimension(Frozen):
    """A second way to date facts ("closed date", "ship date"): models map it to a column in
    ``times``; a metric may be dated by it by default (``time_dimension``); a question picks it by name
    ("tickets closed in May", "按发货日期")."""

    id: str
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    description: Text | None = None
    source: SourceLocation | None = None


class RowFilter(Frozen):
    """Restrict rows: ``dimension`` must equal the asker's scope value named ``scope``."""

    dimension: str
    scope: str


class Role(Frozen):
    id: str
    description: str | None = None
    metrics: list[str] | Literal["*"] = "*"
    exclude_metrics: list[str] = Field(default_factory=list)
    row_filters: list[RowFilter] = Field(default_factory=list)
    source: SourceLocation | None = None

    def may_see(self, metric_id: str) -> bool:
        allowed = self.metrics == "*" or metric_id in self.metrics
        return allowed and metric_id not in self.exclude_metrics


class AlertCondition(Frozen):
    kind: Literal["below", "above", "attainment_below", "change_sigma"]
    threshold: float
    trailing_periods: int = 6


class AlertRule(Frozen):
    id: str
    metric: str
    dimension: str | None = None  # evaluate per member of this dimension
    members: list[str] | None = None
    grain: Literal["day", "week", "month"] = "month"
    condition: AlertCondition
    channel: str
    role: str = "exec"
    description: Text | None = None
    source: SourceLocation | None = None


class DefaultPeriod(StrEnum):
    """The period a question that names none is answered for (catalog ``defaults.period`` or a
    metric's ``default_period``): a flow metric usually this month to date, a snapshot all time."""

    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    THIS_QUARTER = "this_quarter"
    THIS_YEAR = "this_year"
    LAST_WEEK = "last_week"
    LAST_MONTH = "last_month"
    LAST_QUARTER = "last_quarter"
    LAST_YEAR = "last_year"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    LAST_12_MONTHS = "last_12_months"
    ALL_TIME = "all_time"

    @property
    def phrase(self) -> str:
        """The period in words, as the time grammar reads it ("last_30_days" → "last 30 days")."""
        return self.value.replace("_", " ")


class CatalogDefaults(Frozen):
    """Catalog-wide defaults (a ``defaults:`` mapping in one catalog file)."""

    period: DefaultPeriod = DefaultPeriod.THIS_MONTH
    as_of: date | None = None  # the data's as-of date, when neither the settings nor the warehouse say
    source: SourceLocation | None = None


class Catalog(Frozen):
    """The whole catalog, indexed by id. Build it with ``catalog.loader.load_catalog``."""

    root: str
    models: dict[str, SemanticModel]
    measures: dict[str, Measure]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    roles: dict[str, Role]
    alerts: dict[str, AlertRule] = Field(default_factory=dict)
    time_dimensions: dict[str, TimeDimension] = Field(default_factory=dict)
    defaults: CatalogDefaults = Field(default_factory=CatalogDefaults)
    content_hash: str = ""

    def time_column(self, model: SemanticModel, time_dimension: str | None) -> str:
        """The column that dates the model's rows for ``time_dimension`` (its default ``time`` for None)."""
        return model.times[time_dimension] if time_dimension else model.time

    def default_period(self, metric_id: str) -> DefaultPeriod:
        """The period for a question about ``metric_id`` that names none."""
        metric = self.metrics.get(metric_id)
        return (metric.default_period if metric else None) or self.defaults.period

    def metric(self, metric_id: str) -> Metric:
        return self.metrics[metric_id]

    def approved_metrics(self) -> list[Metric]:
        return [m for m in self.metrics.values() if m.status is Status.APPROVED]

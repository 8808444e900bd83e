"""Result columns: the one place that names them and says what each one holds (style.md §9).

``ResultColumn`` describes one column of a result: its ``role`` and the metric or dimension it
belongs to. The compiler emits one per output column, in order (``CompiledQuery.columns``); the
executor, the pipeline and the Answer (``Answer.fields``) keep them, and every later stage finds
a column by role (``find``, ``column_for``), never by spelling its name. The names are the SQL
aliases of the answer contract (``Answer.columns``) and are built here only:

==============  ============================  ===================================================
role            name                          holds
==============  ============================  ===================================================
period          ``period``                    the first day of a series' bucket (ISO date)
dimension       ``<dim>_id``                  a dimension's member key
label           ``<dim>``                     the member's name in the asker's language
attribute       ``<dim>__<attribute>``        another column of the member (a list: "with their line")
value           ``<metric>``                  the metric's value (named by the metric id itself)
baseline        ``<metric>__baseline``        the metric over the comparison period
target          ``<metric>__baseline``        the metric's target (comparison=target)
delta           ``<metric>__delta``           value − baseline (or target)
ratio           ``<metric>__ratio``           value ÷ baseline (or target: the attainment)
total           ``<metric>__total``           the metric over every member the share is of (intent share)
share           ``<metric>__share``           value ÷ total (intent share)
==============  ============================  ===================================================

A total read within a role's row filters says so (``ResultColumn.scoped_by``): a scoped asker's
total is their scope's total.

A derived name is ``<metric>__<kind>`` (``derived_name``); ``parse_name`` reads one back, as
MetricFlow's naming/dunder_scheme.py does, for ``OrderBy.by`` and for results that arrive
without descriptors (``describe``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

DUNDER = "__"
PERIOD = "period"
KEY_SUFFIX = "_id"


class ColumnRole(StrEnum):
    PERIOD = "period"
    DIMENSION = "dimension"
    LABEL = "label"
    ATTRIBUTE = "attribute"
    VALUE = "value"
    BASELINE = "baseline"
    TARGET = "target"
    DELTA = "delta"
    RATIO = "ratio"
    TOTAL = "total"
    SHARE = "share"


class ValueKind(StrEnum):
    """Which figure of a metric: what ``OrderBy.value`` sorts by and what a derived name ends with."""

    VALUE = "value"
    BASELINE = "baseline"  # the baseline column: the target under comparison=target
    DELTA = "delta"
    RATIO = "ratio"
    ATTAINMENT = "attainment"  # the ratio column, by its comparison=target name (value ÷ target)
    TOTAL = "total"  # the metric over every member a share is of
    SHARE = "share"  # value ÷ total

    @property
    def column_kind(self) -> ValueKind:
        """The kind of the column this figure is read from (attainment is the ratio column)."""
        return ValueKind.RATIO if self is ValueKind.ATTAINMENT else self


COMPARED_ROLES = (ColumnRole.BASELINE, ColumnRole.TARGET)
SHARE_ROLES = (ColumnRole.TOTAL, ColumnRole.SHARE)
METRIC_ROLES = (ColumnRole.VALUE, *COMPARED_ROLES, ColumnRole.DELTA, ColumnRole.RATIO, *SHARE_ROLES)
KEY_ROLES = (ColumnRole.PERIOD, ColumnRole.DIMENSION)
ROLE_KIND: dict[ColumnRole, ValueKind] = {
    ColumnRole.VALUE: ValueKind.VALUE,
    ColumnRole.BASELINE: ValueKind.BASELINE,
    ColumnRole.TARGET: ValueKind.BASELINE,
    ColumnRole.DELTA: ValueKind.DELTA,
    ColumnRole.RATIO: ValueKind.RATIO,
    ColumnRole.TOTAL: ValueKind.TOTAL,
    ColumnRole.SHARE: ValueKind.SHARE,
}
KIND_ROLES: dict[ValueKind, tuple[ColumnRole, ...]] = {
    ValueKind.VALUE: (ColumnRole.VALUE,),
    ValueKind.BASELINE: COMPARED_ROLES,
    ValueKind.DELTA: (ColumnRole.DELTA,),
    ValueKind.RATIO: (ColumnRole.RATIO,),
    ValueKind.ATTAINMENT: (ColumnRole.RATIO,),
    ValueKind.TOTAL: (ColumnRole.TOTAL,),
    ValueKind.SHARE: (ColumnRole.SHARE,),
}
_SUFFIXED = {kind.value: kind for kind in ValueKind if kind is not ValueKind.VALUE}


class ResultColumn(BaseModel):
    """One result column: its name (the SQL alias), its role and the metric or dimension it belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: ColumnRole
    metric: str | None = None
    dimension: str | None = None
    scoped_by: tuple[str, ...] = Field(
        default=(),
        exclude_if=lambda v: not v,  # in the JSON only when set: only a scoped asker's total has it
        description="dimensions a role's row filters restrict this total to (the asker's scope's total)",
    )
    attribute: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # in the JSON only for an attribute column
        description="for an attribute column: the attribute id of its dimension (catalog `attributes`)",
    )

    @property
    def kind(self) -> ValueKind | None:
        """The figure of its metric a metric column holds (None for keys and labels)."""
        return ROLE_KIND.get(self.role)


Columns = Sequence[ResultColumn] | Sequence[str]


# --- names ------------------------------------------------------------------------------------


def derived_name(metric: str, kind: ValueKind) -> str:
    """The name of ``kind`` of ``metric``: the metric id for its value, else ``<metric>__<kind>``."""
    return metric if kind is ValueKind.VALUE else f"{metric}{DUNDER}{kind.value}"


def parse_name(name: str) -> tuple[str, ValueKind]:
    """``derived_name`` read back: ``"revenue__delta"`` → (``"revenue"``, delta); any other name is a value."""
    base, sep, suffix = name.rpartition(DUNDER)
    if sep and base and suffix in _SUFFIXED:
        return base, _SUFFIXED[suffix]
    return name, ValueKind.VALUE


def key_name(dimension: str) -> str:
    return f"{dimension}{KEY_SUFFIX}"


def attribute_name(dimension: str, attribute: str) -> str:
    """An attribute column's name: ``<dimension>__<attribute>`` (``product__line``)."""
    return f"{dimension}{DUNDER}{attribute}"


# --- descriptors -------------------------------------------------------------------------------


def period_column() -> ResultColumn:
    return ResultColumn(name=PERIOD, role=ColumnRole.PERIOD)


def key_column(dimension: str) -> ResultColumn:
    return ResultColumn(name=key_name(dimension), role=ColumnRole.DIMENSION, dimension=dimension)


def label_column(dimension: str) -> ResultColumn:
    return ResultColumn(name=dimension, role=ColumnRole.LABEL, dimension=dimension)


def attribute_column(dimension: str, attribute: str) -> ResultColumn:
    return ResultColumn(
        name=attribute_name(dimension, attribute),
        role=ColumnRole.ATTRIBUTE,
        dimension=dimension,
        attribute=attribute,
    )


def metric_column(metric: str, role: ColumnRole = ColumnRole.VALUE) -> ResultColumn:
    kind = ROLE_KIND.get(role)
    if kind is None:
        raise ValueError(f"{role.value} is not a role of a metric column")
    return ResultColumn(name=derived_name(metric, kind), role=role, metric=metric)


def result_columns(
    metrics: Iterable[str],
    dimensions: Iterable[str],
    *,
    series: bool,
    compared: ColumnRole | None,
    shared: bool = False,
    scoped_by: Iterable[str] = (),
    attributes: Iterable[tuple[str, str]] = (),
) -> tuple[ResultColumn, ...]:
    """The compiler's output columns, in order: ``period`` for a series, each dimension's key and label
    (and the ``attributes`` asked of it: (dimension, attribute) pairs), then each metric's value and, when compared (``compared``: baseline or target), that base, delta, ratio;
    for a share (``shared``), its total (restricted by the row filters on ``scoped_by``) and share."""
    if compared is not None and compared not in COMPARED_ROLES:
        raise ValueError(f"a metric is compared with a baseline or a target, not a {compared.value}")
    out = [period_column()] if series else []
    asked = tuple(attributes)
    for dim in dimensions:
        out += [key_column(dim), label_column(dim)]
        out += [attribute_column(dim, a) for d, a in dict.fromkeys(asked) if d == dim]
    for metric in metrics:
        out.append(metric_column(metric))
        if compared is not None:
            out += [metric_column(metric, role) for role in (compared, ColumnRole.DELTA, ColumnRole.RATIO)]
        if shared:
            total = metric_column(metric, ColumnRole.TOTAL)
            out += [
                total.model_copy(update={"scoped_by": tuple(scoped_by)}),
                metric_column(metric, ColumnRole.SHARE),
            ]
    return tuple(out)


def find(
    columns: Iterable[ResultColumn],
    *roles: ColumnRole,
    metric: str | None = None,
    dimension: str | None = None,
) -> ResultColumn | None:
    """The first column with one of ``roles`` (of ``metric`` / ``dimension`` when given), or None."""
    for column in columns:
        if column.role not in roles:
            continue
        if (metric is None or column.metric == metric) and (
            dimension is None or column.dimension == dimension
        ):
            return column
    return None


def column_for(columns: Iterable[ResultColumn], metric: str, kind: ValueKind) -> ResultColumn | None:
    """The column holding ``kind`` of ``metric``; for a value, also a key or label column named ``metric``
    (an order by ``period``, ``<dim>`` or ``<dim>_id``)."""
    columns = tuple(columns)
    hit = find(columns, *KIND_ROLES[kind], metric=metric)
    if hit is None and kind is ValueKind.VALUE:
        hit = next((c for c in columns if c.name == metric and c.role not in METRIC_ROLES), None)
    return hit


def parse_column(name: str, names: Iterable[str] = ()) -> ResultColumn:
    """What a column name says on its own; ``names`` (the result's other columns) tell a label from a value."""
    siblings = set(names)
    if name == PERIOD:
        return period_column()
    if name.endswith(KEY_SUFFIX) and name[: -len(KEY_SUFFIX)] in siblings:
        return key_column(name[: -len(KEY_SUFFIX)])
    if key_name(name) in siblings:
        return label_column(name)
    metric, kind = parse_name(name)
    role = next(r for r, k in ROLE_KIND.items() if k is kind.column_kind)
    return ResultColumn(name=name, role=role, metric=metric)


def describe(names: Sequence[str], known: Iterable[ResultColumn] = ()) -> tuple[ResultColumn, ...]:
    """Descriptors for ``names``, in order: the ``known`` one of each name, else what the name says."""
    by_name = {c.name: c for c in known}
    return tuple(by_name.get(name) or parse_column(name, names) for name in names)


def described(columns: Columns, known: Iterable[ResultColumn] = ()) -> tuple[ResultColumn, ...]:
    """``columns`` as descriptors: descriptors as they are, names through ``describe``."""
    if all(isinstance(c, ResultColumn) for c in columns):
        return tuple(c for c in columns if isinstance(c, ResultColumn))
    return describe([c.name if isinstance(c, ResultColumn) else c for c in columns], known)


def names_of(columns: Iterable[ResultColumn]) -> tuple[str, ...]:
    return tuple(c.name for c in columns)

"""The result as a person reads it (``Answer.table``): a header in the asker's language for every column
shown and every cell formatted by its metric's unit; the raw ``columns`` and ``rows`` stay beside it.

A member's key column is not shown when its label column is (the id stays in the raw rows); a period
is written as its point ("Nov 2026" / "2026年11月"). Headers by role: the metric's name for its value,
"Target" or the baseline period for its base, "Change", "Change %" (or "Attainment" against a target),
"Total", "Share" (``table.*`` in the message catalog).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from metricqa.assistant.presentation.formatting import (
    format_percent,
    format_points,
    format_value,
    point_label,
)
from metricqa.assistant.presentation.narrative import as_number, make_view
from metricqa.assistant.presentation.narrative_shapes import compared_period
from metricqa.assistant.semantic.columns import ColumnRole, Columns, ResultColumn, find
from metricqa.assistant.semantic.plan import Comparison, QueryPlan
from metricqa.catalog.models import Catalog, Metric, Unit
from metricqa.core.messages import PACKAGED


class DisplayTable(BaseModel):
    """Headers and formatted cells; ``columns`` names the raw column each shown column is."""

    model_config = ConfigDict(extra="forbid")

    headers: list[str]
    columns: list[str]
    rows: list[list[str]]


def say(language: str, message_id: str, **params: Any) -> str:
    return PACKAGED.render(f"table.{message_id}", language, **params)


def shown(fields: Sequence[ResultColumn]) -> list[int]:
    """Indexes of the columns a person sees: every one but a key whose label is there too."""
    return [
        i
        for i, c in enumerate(fields)
        if not (c.role is ColumnRole.DIMENSION and find(fields, ColumnRole.LABEL, dimension=c.dimension))
    ]


def header(column: ResultColumn, plan: QueryPlan, catalog: Catalog, language: str) -> str:
    """A column's header in ``language``."""
    metric = catalog.metrics.get(column.metric or "")
    name = metric.name.get(language) if metric else (column.metric or column.name)
    role = column.role
    if role is ColumnRole.PERIOD:
        return say(language, "period")
    dim = catalog.dimensions.get(column.dimension or "")
    if role in (ColumnRole.LABEL, ColumnRole.DIMENSION):
        return dim.name.get(language) if dim else column.name
    if role is ColumnRole.ATTRIBUTE:  # a list's other column of the member: its catalog name
        attribute = dim.attribute(column.attribute or "") if dim else None
        return attribute.name.get(language) if attribute else column.name
    if role is ColumnRole.VALUE:
        return name
    if role is ColumnRole.TARGET or (role is ColumnRole.BASELINE and plan.comparison is Comparison.TARGET):
        return say(language, "target", name=name)
    if role is ColumnRole.BASELINE:
        return say(language, "baseline", name=name, period=compared_period(plan, language) or "")
    if role is ColumnRole.RATIO:
        return say(language, "attainment" if plan.comparison is Comparison.TARGET else "change_percent")
    if role in (ColumnRole.DELTA, ColumnRole.TOTAL, ColumnRole.SHARE):
        return say(language, role.value)
    return column.name


def cell(column: ResultColumn, value: Any, plan: QueryPlan, metric: Metric | None, language: str) -> str:
    """One cell as a person reads it: amounts by unit, fractions as %, changes signed, periods by grain."""
    if value is None:
        return ""
    role, number = column.role, as_number(value)
    if role is ColumnRole.PERIOD:
        return point_label(str(value), plan.grain, language)
    if number is None or role in (ColumnRole.LABEL, ColumnRole.DIMENSION, ColumnRole.ATTRIBUTE):
        return str(value)
    if role is ColumnRole.SHARE or (role is ColumnRole.RATIO and plan.comparison is Comparison.TARGET):
        return format_percent(number)
    if role is ColumnRole.RATIO:
        return signed(number - 1, format_percent(abs(number - 1)))
    if role is ColumnRole.DELTA:
        rate = metric is not None and metric.unit is Unit.RATIO
        size = format_points(number, language) if rate else format_value(abs(number), metric, language)
        return signed(number, size)
    return format_value(number, metric, language)


def signed(number: float, size: str) -> str:
    return ("+" if number > 0 else "-" if number < 0 else "") + size


def display_table(
    plan: QueryPlan, columns: Columns, rows: Sequence[Sequence[Any]], catalog: Catalog, language: str
) -> DisplayTable:
    """The result's shown columns with headers and formatted cells, in ``language``."""
    view = make_view(plan, columns, rows, catalog, language)
    keep = shown(view.fields)
    fields = [view.fields[i] for i in keep]
    metrics = [catalog.metrics.get(c.metric or "") for c in fields]
    return DisplayTable(
        headers=[header(c, plan, catalog, language) for c in fields],
        columns=[c.name for c in fields],
        rows=[
            [cell(c, row[i], plan, m, language) for i, c, m in zip(keep, fields, metrics, strict=True)]
            for row in rows
        ],
    )

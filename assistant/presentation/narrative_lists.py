"""The narrative of a list answer (issue 15): what the table is, not its numbers one by one.

A list is a table (the answer's rows, a CSV), so its sentence says what was listed: the dimensions,
the period, the order, how many rows and, when the list was cut to its cap, "first 100 of N". The
scope and filters are said before it by the pipeline, as for every answer.
"""

from __future__ import annotations

from metricqa.assistant.presentation.formatting import join_words, period_label
from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn, column_for
from metricqa.assistant.semantic.lists import capped
from metricqa.assistant.semantic.plan import OrderBy, QueryPlan
from metricqa.catalog.models import Catalog
from metricqa.core.messages import Message, render


def list_order(plan: QueryPlan) -> OrderBy | None:
    """What the list is sorted by: the plan's first order, else its first metric, highest first (the
    compiler's default)."""
    if plan.order:
        return plan.order[0]
    return OrderBy(metric=plan.metrics[0]) if plan.metrics else None


def sort_name(column: ResultColumn | None, catalog: Catalog, language: str) -> str:
    """The name of the column a list is sorted by: a metric's, an attribute's, or a dimension's."""
    if column is None:
        return ""
    dim = catalog.dimensions.get(column.dimension or "")
    if column.role is ColumnRole.ATTRIBUTE and dim is not None:
        attribute = dim.attribute(column.attribute or "")
        return attribute.name.get(language) if attribute else column.name
    if column.metric in catalog.metrics:
        return catalog.metrics[column.metric].name.get(language)
    return dim.name.get(language) if dim is not None else column.name


def direction_word(column: ResultColumn | None, direction: str, catalog: Catalog) -> Message:
    """ "highest first" for figures; "earliest first" for a date attribute, "A to Z" for a text one."""
    dim = catalog.dimensions.get(column.dimension or "") if column is not None else None
    attribute = dim.attribute(column.attribute or "") if dim is not None and column is not None else None
    kind = attribute.kind.value if attribute is not None else ""
    suffix = f"_{kind}" if kind in ("date", "text") else ""
    return Message(f"lists.narrative.{direction}{suffix}")


def cap_clause(plan: QueryPlan, shown: int, total: int | None) -> Message | None:
    """ "(first 100 of 2,345)" when the row cap cut the list; "(first 100)" when it may have, uncounted."""
    if not capped(plan, shown):
        return None
    if total is None:
        return Message("lists.narrative.cap", {"shown": shown})
    return (
        Message("lists.narrative.cap_of", {"shown": shown, "total": f"{total:,}"}) if total > shown else None
    )


def narrate_list(
    plan: QueryPlan,
    columns: tuple[ResultColumn, ...],
    rows: int,
    catalog: Catalog,
    language: str,
    total: int | None = None,
) -> str:
    """ "Products for 2026 so far, by revenue highest first: 40 rows." / "2026年产品列表,按销售额从高到低:共 40 行。" """
    names = [
        catalog.dimensions[d].name.get(language) if d in catalog.dimensions else d for d in plan.dimensions
    ]
    dimensions = join_words(names, language)
    period = period_label(plan.time, language)
    if rows == 0:
        return render(
            Message("lists.narrative.empty", {"dimensions": dimensions, "period": period}), language
        )
    order = list_order(plan)
    by = None
    if order is not None:
        column = column_for(columns, order.metric, order.value)
        direction = direction_word(column, order.direction, catalog)
        by = Message(
            "lists.narrative.by", {"name": sort_name(column, catalog, language), "direction": direction}
        )
    heading = {"dimensions": dimensions, "period": period, "by": by, "count": rows}
    return render(
        Message("lists.narrative.heading", {**heading, "cap": cap_clause(plan, rows, total)}), language
    )

"""What an answer covers, said before the number: the asker's scope and the members left out.

A scoped asker (a role with row filters: a regional manager, a sales rep) never reads a number that
could pass for the company's: the answer starts "Within your scope (Region: East): …". Members a
question excluded ("revenue excluding East") are named too: "Excluding East: …".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metricqa.assistant.semantic.plan import FilterOp, QueryPlan
from metricqa.catalog.models import Catalog, MetricType, Window
from metricqa.core.asker import Asker
from metricqa.core.messages import Listing, Message, render


def member_label(members: Mapping[str, Sequence[Any]], dimension: str, key: str, language: str) -> str:
    """A member's readable name in ``language`` (English when it has none), else its key."""
    for m in members.get(dimension, []):
        if m.key == key:
            return str(getattr(m, f"label_{language}", m.label_en)) or key
    return key


def scope_phrase(catalog: Catalog, asker: Asker, members: Mapping[str, Sequence[Any]], language: str) -> str:
    """ "Within your scope (Region: East): " for an asker whose role filters rows; "" otherwise."""
    role = catalog.roles.get(asker.role)
    if role is None or not role.row_filters:
        return ""
    items = []
    for rf in role.row_filters:
        value = asker.scope.get(rf.scope)
        if value is None:
            continue
        dim = catalog.dimensions.get(rf.dimension)
        name = dim.name.get(language) if dim else rf.dimension
        member = member_label(members, rf.dimension, value, language)
        items.append(render(Message("qualifier.scope_item", {"dimension": name, "member": member}), language))
    if not items:
        return ""
    return render(Message("qualifier.scope", {"scopes": Listing(items, "list")}), language)


def exclusion_phrase(plan: QueryPlan, members: Mapping[str, Sequence[Any]], language: str) -> str:
    """ "Excluding East, North: " for the members a question left out (NOT IN filters)."""
    labels = [
        member_label(members, f.dimension, key, language)
        for f in plan.filters
        if f.op is FilterOp.NOT_IN
        for key in f.values
    ]
    if not labels:
        return ""
    return render(Message("qualifier.excluding", {"members": Listing(labels, "list")}), language)


def metric_notes(plan: QueryPlan, catalog: Catalog) -> list[Message]:
    """What a cumulative or conversion metric counts, said with the answer: the window of a running
    total or a to-date figure, and what a conversion follows and how soon."""
    out: list[Message] = []
    for metric in (catalog.metrics[m] for m in plan.metrics if m in catalog.metrics):
        name = metric.name.by_language()
        if metric.type is MetricType.CUMULATIVE:
            if metric.window is not None:
                out.append(
                    Message("note.cumulative_window", {"name": name, "window": _window(metric.window)})
                )
            elif metric.grain_to_date is not None:
                unit = Message(f"note.unit.{metric.grain_to_date}")
                out.append(Message("note.cumulative_to_date", {"name": name, "unit": unit}))
            else:
                out.append(Message("note.cumulative_all", {"name": name}))
        elif metric.type is MetricType.CONVERSION and metric.conversion is not None:
            conv = metric.conversion
            within = (
                Message("note.within", {"window": _window(metric.window)})
                if metric.window
                else Message("note.any_time_after")
            )
            steps = {
                "name": name,
                "entity": conv.entity,
                "base": _measure_name(catalog, conv.base_measure),
                "conversion": _measure_name(catalog, conv.conversion_measure),
                "within": within,
            }
            kind = "conversion" if conv.calculation == "conversion_rate" else "conversion_count"
            out.append(Message(f"note.{kind}", steps))
    return out


def _window(window: Window) -> Message:
    return Message(f"note.window.{window.unit}", {"count": window.count})


def _measure_name(catalog: Catalog, measure_id: str) -> object:
    """A measure by the name of the simple metric over it, when there is one, else its id."""
    named = next(
        (m for m in catalog.metrics.values() if m.type is MetricType.SIMPLE and m.measure == measure_id), None
    )
    return named.name.by_language() if named else measure_id

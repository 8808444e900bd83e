"""Follow-up questions: "and last month?", "what about North?", "那华北呢?", "按渠道拆开看", "换成毛利率".

A question that names no metric but changes something (period, members, dimension, comparison,
grain, ranking) — or that names a metric together with a follow-up word ("换成", "what about") —
modifies the previous plan. A full new question ignores the previous one.
"""

from __future__ import annotations

from metricqa.assistant.semantic.plan import (
    Comparison,
    Evidence,
    Filter,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    TimeRange,
)
from metricqa.assistant.understanding.context import PlanningContext, Reading, note_fields, plan_notes
from metricqa.assistant.understanding.timeparse import TimeMatch, trend_window
from metricqa.core.messages import Message


def is_followup(reading: Reading) -> bool:
    if not reading.changes_something():
        return False
    return not reading.metrics or (reading.followup and len(reading.metrics) == 1)


def _swap_order(order: tuple[OrderBy, ...], old: str, new: str) -> tuple[OrderBy, ...]:
    """The same orders, with the swapped metric's figures (value, delta, ratio, …) now of ``new``."""
    return tuple(o.model_copy(update={"metric": new}) if o.metric == old else o for o in order)


def _filters(previous: QueryPlan, reading: Reading) -> tuple[Filter, ...]:
    kept = [f for f in previous.filters if f.dimension not in reading.filters]
    return tuple(kept) + tuple(Filter(dimension=d, values=tuple(v)) for d, v in reading.filters.items())


def _time(previous: QueryPlan, reading: Reading, ctx: PlanningContext) -> TimeRange:
    grain = reading.grain or (Grain.MONTH if reading.trend and previous.time.grain is Grain.NONE else None)
    if reading.time is not None:
        return reading.time.range.model_copy(update={"grain": grain or previous.time.grain})
    defaulted = any(n.id == "note.period_defaulted" for n in plan_notes(previous))
    if grain is not None and previous.time.grain is Grain.NONE:
        return (
            trend_window(ctx.as_of, grain) if defaulted else previous.time.model_copy(update={"grain": grain})
        )
    return previous.time.model_copy(update={"grain": grain}) if grain else previous.time


def _intent(previous: QueryPlan, reading: Reading, plan_dims: tuple[str, ...], time: TimeRange) -> Intent:
    if previous.intent in (Intent.LAGGED, Intent.RANK):
        return previous.intent
    if time.grain is not Grain.NONE:
        return Intent.TREND
    return Intent.BREAKDOWN if plan_dims else Intent.VALUE


def carry_into(previous: QueryPlan, reading: Reading) -> Reading:
    """A ranking follow-up ("which was highest?") reads as a new question over the previous
    metric and members; the planner builds it from scratch."""
    reading.metrics = reading.metrics or [previous.metrics[0]]
    reading.filters = {**{f.dimension: list(f.values) for f in previous.filters}, **reading.filters}
    reading.dimensions = reading.dimensions or list(previous.dimensions)  # "which one was lowest?"
    if reading.time is None:  # the previous question's period, not the default
        reading.time = TimeMatch(previous.time.model_copy(update={"grain": Grain.NONE}), 0, 0, "")
    return reading


def apply_followup(previous: QueryPlan, reading: Reading, ctx: PlanningContext) -> QueryPlan:
    """The previous plan with what the follow-up changes: metric swapped, period replaced,
    filter on a dimension replaced, dimension added, comparison or grain changed."""
    metrics = previous.metrics
    order = previous.order
    if reading.metrics:
        new = reading.metrics[0]
        metrics = (new,) + tuple(m for m in previous.metrics[1:] if m != new)
        order = _swap_order(previous.order, previous.metrics[0], new)
    dims = previous.dimensions + tuple(d for d in reading.dimensions if d not in previous.dimensions)
    time = _time(previous, reading, ctx)
    comparison = reading.comparison or previous.comparison
    if comparison is Comparison.TARGET and ctx.catalog.metrics[metrics[0]].target is None:
        comparison = Comparison.NONE
    kept = plan_notes(previous) if reading.time is None else []
    notes = [n for n in kept if n not in reading.notes] + reading.notes
    notes.append(Message("note.followup"))
    return previous.model_copy(
        update={
            "metrics": metrics,
            "dimensions": dims,
            "filters": _filters(previous, reading),
            "time": time,
            "comparison": comparison,
            "order": order,
            "intent": _intent(previous, reading, dims, time),
            **note_fields(notes),
            "confidence": round(min(previous.confidence, reading.confidence) * 0.95, 2),
            "evidence": tuple(reading.evidence)
            + (Evidence(text="(previous question)", entry="previous", kind="followup"),),
        }
    )

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
from metricqa.assistant.understanding.context import PlanningContext, Reading
from metricqa.assistant.understanding.timeparse import trend_window


def is_followup(reading: Reading) -> bool:
    if not reading.changes_something():
        return False
    return not reading.metrics or (reading.followup and len(reading.metrics) == 1)


def _swap_order(order: tuple[OrderBy, ...], old: str, new: str) -> tuple[OrderBy, ...]:
    out = []
    for o in order:
        base, sep, suffix = o.by.partition("__")
        out.append(o.model_copy(update={"by": (new if base == old else base) + sep + suffix}))
    return tuple(out)


def _filters(previous: QueryPlan, reading: Reading) -> tuple[Filter, ...]:
    kept = [f for f in previous.filters if f.dimension not in reading.filters]
    return tuple(kept) + tuple(Filter(dimension=d, values=tuple(v)) for d, v in reading.filters.items())


def _time(previous: QueryPlan, reading: Reading, ctx: PlanningContext) -> TimeRange:
    grain = reading.grain or (Grain.MONTH if reading.trend and previous.time.grain is Grain.NONE else None)
    if reading.time is not None:
        return reading.time.range.model_copy(update={"grain": grain or previous.time.grain})
    defaulted = any("period defaulted" in a for a in previous.assumptions)
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
    keep_notes = reading.time is None
    notes = [
        (en, zh) for en, zh in zip(previous.assumptions, previous.assumptions_zh, strict=False) if keep_notes
    ]
    notes = [n for n in notes if n not in reading.assumptions] + reading.assumptions
    notes.append(("follow-up: changed the previous question", "追问:在上一个问题的基础上修改"))
    return previous.model_copy(
        update={
            "metrics": metrics,
            "dimensions": dims,
            "filters": _filters(previous, reading),
            "time": time,
            "comparison": comparison,
            "order": order,
            "intent": _intent(previous, reading, dims, time),
            "assumptions": tuple(en for en, _ in notes),
            "assumptions_zh": tuple(zh for _, zh in notes),
            "confidence": round(min(previous.confidence, reading.confidence) * 0.95, 2),
            "evidence": tuple(reading.evidence)
            + (Evidence(text="(previous question)", entry="previous", kind="followup"),),
        }
    )

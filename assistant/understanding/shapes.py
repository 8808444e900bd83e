"""Reading → ``QueryPlan``: the period (or its default), thresholds, two periods, and the question
shapes tried in order (every member against target, a ranking, else share / series / breakdown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from metricqa.assistant.semantic.columns import ValueKind
from metricqa.assistant.semantic.periods import baseline_range
from metricqa.assistant.semantic.plan import (
    Comparison,
    Filter,
    FilterOp,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)
from metricqa.assistant.understanding.choices import metric_option
from metricqa.assistant.understanding.context import PlanningContext, Reading, note_fields
from metricqa.assistant.understanding.lists import attribute_order, check_which, list_intent, plan_attributes
from metricqa.assistant.understanding.timeparse import (
    default_range,
    span_label,
    trend_window,
)
from metricqa.catalog.models import Catalog, DefaultPeriod, Direction, Metric
from metricqa.core.errors import AmbiguousQuestionError
from metricqa.core.messages import Message


def plan_time(
    reading: Reading, as_of: date, default: DefaultPeriod = DefaultPeriod.THIS_MONTH
) -> tuple[TimeRange, Message | None]:
    grain = reading.grain
    if reading.time is not None:
        rng = reading.time.range
        if grain is None and reading.trend:
            grain = Grain.DAY if (rng.end - rng.start).days <= 31 else Grain.MONTH
        return rng.model_copy(update={"grain": grain or Grain.NONE}), None
    if grain is not None or reading.trend:
        window = trend_window(as_of, grain or Grain.MONTH)
        return window, Message(
            "note.series_defaulted", {"label": {"en": window.label, "zh": window.label_zh}}
        )
    rng = default_range(default, as_of)
    return rng, period_defaulted(rng, default)


def period_defaulted(rng: TimeRange, default: DefaultPeriod = DefaultPeriod.THIS_MONTH) -> Message:
    """The note for a question that named no period (the span in words is per language: issue 10);
    a catalog's own default period is named as such."""
    if default is not DefaultPeriod.THIS_MONTH:
        return Message("note.period_defaulted_to", {"label": {"en": rng.label, "zh": rng.label_zh}})
    span = {language: span_label(rng.start, rng.end, language) for language in ("en", "zh")}
    return Message("note.period_defaulted", {"span": span})


def default_dimension(metric: Metric, ctx: PlanningContext, what: Message) -> str:
    if metric.dimensions:
        return metric.dimensions[0]
    shown = [metric_option(d) for d in ctx.catalog.dimensions.values()][:6]
    raise AmbiguousQuestionError(
        Message("clarify.which_dimension", {"what": what, "options": shown}), options=shown
    )


def target_splits(catalog: Catalog, metric: Metric, dims: list[str]) -> bool:
    """Whether the metric's target can be split by every requested dimension."""
    if metric.target is None:
        return False
    target = catalog.metrics.get(metric.target.metric)
    allowed = target.dimensions if target is not None else None
    return allowed is None or all(d in allowed for d in dims)


def target_owner(catalog: Catalog, metric_id: str) -> Metric | None:
    """The approved metric whose target is ``metric_id`` ("behind target" means that metric)."""
    return next((m for m in catalog.approved_metrics() if m.target and m.target.metric == metric_id), None)


def lagged_order(
    metric: Metric, reading: Reading, catalog: Catalog, dims: list[str]
) -> tuple[Comparison, OrderBy]:
    """Worst member: lowest attainment when the metric has a target, else the worst level of the metric
    (lowest, or highest when lower is better), with the change vs the previous period shown beside it."""
    if target_splits(catalog, metric, dims):
        return Comparison.TARGET, OrderBy(metric=metric.id, value=ValueKind.RATIO, direction="asc")
    reading.note("note.no_target_at_level", name=metric.name.by_language())
    direction: Literal["asc", "desc"] = "desc" if metric.direction is Direction.LOWER_IS_BETTER else "asc"
    return Comparison.PREVIOUS_PERIOD, OrderBy(metric=metric.id, value=ValueKind.VALUE, direction=direction)


CHANGE_COMPARISONS = (Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_YEAR, Comparison.OTHER_PERIOD)
OPS = {"lt": ThresholdOp.LT, "le": ThresholdOp.LE, "gt": ThresholdOp.GT, "ge": ThresholdOp.GE}


def plan_thresholds(reading: Reading, metric: Metric) -> tuple[Threshold, ...]:
    """ "more than 200 orders", "margin below 40%", "under 70% of target" → row filters on the result."""
    out = []
    for phrase in reading.thresholds:
        metric_id = phrase.metric if phrase.metric in reading.metrics else metric.id
        value = ValueKind.RATIO if phrase.of_target else ValueKind.VALUE
        if phrase.of_target:
            reading.comparison = Comparison.TARGET
        out.append(Threshold(metric=metric_id, value=value, op=OPS[phrase.op], number=phrase.number.value))
    return tuple(out)


def two_periods(
    time: TimeRange, baseline: TimeRange, reading: Reading
) -> tuple[Comparison, TimeRange | None]:
    """ "A vs B": the comparison with B. When B is the period before A (or A a year back) it is that
    comparison, like-for-like when A is still running ("this year so far vs last year" compares
    the same days); otherwise any two periods (other_period)."""
    for kind in (Comparison.SAME_PERIOD_LAST_YEAR, Comparison.PREVIOUS_PERIOD):
        start, end = baseline_range(time, kind)
        if start == baseline.start and end <= baseline.end:
            if end < baseline.end:
                span = {lang: span_label(start, end, lang) for lang in ("en", "zh")}
                reading.note("note.like_for_like", span=span)
            return kind, None
    return Comparison.OTHER_PERIOD, baseline.model_copy(update={"grain": Grain.NONE})


def change_order(
    metric: Metric, reading: Reading, comparison: Comparison
) -> tuple[Comparison, OrderBy, int | None]:
    """ "grew the most" / "降得最多": rank by the change against the comparison period (the previous
    period unless the question names another), largest rise or largest fall first."""
    if comparison not in CHANGE_COMPARISONS:
        comparison = Comparison.PREVIOUS_PERIOD
    direction: Literal["asc", "desc"] = "asc" if reading.change == "down" else "desc"
    reading.note("note.ranked_by_change")
    limit = reading.limit or (None if reading.rank == "rank" else 1)
    return comparison, OrderBy(metric=metric.id, value=ValueKind.DELTA, direction=direction), limit


def rank_order(metric: Metric, reading: Reading) -> tuple[OrderBy, int | None]:
    kind = reading.rank or "desc"
    lower_better = metric.direction is Direction.LOWER_IS_BETTER
    if kind == "best":
        direction = "asc" if lower_better else "desc"
    elif kind == "worst":
        direction = "desc" if lower_better else "asc"
    else:
        direction = "asc" if kind == "asc" else "desc"
    limit = reading.limit or (None if kind == "rank" else 1)
    return OrderBy(metric=metric.id, direction=direction), limit  # type: ignore[arg-type]


def plan_filters(reading: Reading) -> tuple[Filter, ...]:
    """Members named (IN) and members excluded ("excluding East", "除了华东": NOT IN)."""
    named = [Filter(dimension=d, values=tuple(v)) for d, v in reading.filters.items()]
    excluded = [Filter(dimension=d, op=FilterOp.NOT_IN, values=tuple(v)) for d, v in reading.excluded.items()]
    return tuple(named + excluded)


@dataclass
class Slots:
    """The plan's shape slots as the question shapes fill them (``build_plan``)."""

    comparison: Comparison
    dims: list[str]
    order: tuple[OrderBy, ...] = ()
    limit: int | None = None
    intent: Intent = Intent.VALUE
    having: tuple[Threshold, ...] = ()


def _target_list(reading: Reading, metric: Metric, ctx: PlanningContext, slots: Slots) -> bool:
    """ "which regions missed target": every member below (or at/above) its target, not only the worst."""
    first_dim = slots.dims or list(metric.dimensions or [])[:1]
    if not (reading.target_list and reading.plural and target_splits(ctx.catalog, metric, first_dim)):
        return False
    slots.dims = slots.dims or [default_dimension(metric, ctx, Message("clarify.lagging"))]
    slots.comparison, slots.intent = Comparison.TARGET, Intent.BREAKDOWN
    op = ThresholdOp.LT if reading.target_list == "missed" else ThresholdOp.GE
    slots.having += (Threshold(metric=metric.id, value=ValueKind.RATIO, op=op, number=1.0),)
    slots.order = (OrderBy(metric=metric.id, value=ValueKind.RATIO, direction="asc"),)
    reading.note("note.every_member")
    return True


def _ranking(reading: Reading, metric: Metric, ctx: PlanningContext, slots: Slots) -> bool:
    """Lagged (the worst member), rank by change ("grew the most") or rank by level ("top 3")."""
    if not (reading.lagged or reading.change is not None or reading.rank):
        return False
    what = Message("clarify.lagging" if reading.lagged else "clarify.rank")
    slots.dims = slots.dims or [default_dimension(metric, ctx, what)]
    if reading.lagged:
        slots.comparison, by = lagged_order(metric, reading, ctx.catalog, slots.dims)
        slots.limit, slots.intent = reading.limit or 1, Intent.LAGGED
    elif reading.change is not None:
        slots.comparison, by, slots.limit = change_order(metric, reading, slots.comparison)
        slots.intent = Intent.RANK
    else:
        by, slots.limit = rank_order(metric, reading)
        slots.intent = Intent.RANK
    slots.order = (by,)
    return True


def _listing(reading: Reading, metric: Metric, ctx: PlanningContext, time: TimeRange, slots: Slots) -> None:
    """Share of total, a series, or a breakdown (several members of one dimension are shown each)."""
    if reading.share:
        if not slots.dims and not reading.filters:
            slots.dims = [default_dimension(metric, ctx, Message("clarify.rank"))]
        slots.intent = Intent.SHARE
        return
    if time.grain is not Grain.NONE:
        slots.intent = Intent.TREND
        return
    several = [d for d, keys in reading.filters.items() if len(keys) > 1 and d not in slots.dims]
    slots.dims += several if not slots.dims else []
    slots.intent = Intent.BREAKDOWN if slots.dims else Intent.VALUE


SHAPES = (_target_list, _ranking)  # tried in order; the first that fits fills the slots


def build_plan(reading: Reading, ctx: PlanningContext) -> QueryPlan:
    catalog = ctx.catalog
    metric = catalog.metrics[reading.metrics[0]]
    against_target = reading.lagged or reading.target_list or any(t.of_target for t in reading.thresholds)
    owner = target_owner(catalog, metric.id) if against_target else None
    if owner is not None:
        reading.note("note.behind_target", owner=owner.name.by_language(), name=metric.name.by_language())
        reading.metrics[0] = owner.id
        metric = owner
    time, default_note = plan_time(reading, ctx.as_of, catalog.default_period(metric.id))
    if reading.time_dimension in catalog.time_dimensions:
        dated = catalog.time_dimensions[reading.time_dimension].name.by_language()
        reading.note("note.dated_by", name=dated)
    if default_note and default_note not in reading.notes:
        reading.notes.append(default_note)
    having = plan_thresholds(reading, metric)
    comparison = reading.comparison or Comparison.NONE
    if comparison is Comparison.TARGET and metric.target is None and not reading.lagged:
        comparison = Comparison.NONE
        reading.note("note.no_target", name=metric.name.by_language())
    baseline_time = None
    if reading.baseline is not None and reading.time is not None:
        comparison, baseline_time = two_periods(time, reading.baseline.range, reading)
    slots = Slots(comparison=comparison, dims=list(reading.dimensions), having=having)
    if not any(shape(reading, metric, ctx, slots) for shape in SHAPES):
        _listing(reading, metric, ctx, time, slots)
    slots.intent = list_intent(reading, slots.intent, slots.dims)
    check_which(reading, ctx, slots.intent, slots.dims)
    if slots.intent is Intent.LIST and not slots.order:
        slots.order = attribute_order(reading, slots.dims)
    return QueryPlan(
        metrics=tuple(reading.metrics),
        dimensions=tuple(slots.dims),
        filters=plan_filters(reading),
        time=time,
        time_dimension=reading.time_dimension,
        comparison=slots.comparison,
        order=slots.order,
        limit=slots.limit,
        intent=slots.intent,
        baseline_time=baseline_time,
        having=slots.having,
        attributes=plan_attributes(reading, slots.dims),
        **note_fields(reading.notes),
        confidence=round(reading.confidence, 2),
        evidence=tuple(reading.evidence),
    )

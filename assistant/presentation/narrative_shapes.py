"""Narratives for the plan shapes of issue 10: two periods, shares, thresholds, rank by change and the
other metrics of a ranked member, in the asker's language.

Every sentence comes from the message catalog (``narrative_shapes.*`` in metricqa/core/messages/) and
every number from the result rows, read by column role through a ``View`` (``narrative.View``); the
one exception is a threshold's own number, which the question stated (``QueryPlan.having``).
``narrative.narrate`` dispatches here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from metricqa.assistant.presentation.formatting import (
    format_percent,
    format_points,
    period_label,
    point_label,
    span_words,
)
from metricqa.assistant.semantic.columns import (
    COMPARED_ROLES,
    KIND_ROLES,
    ColumnRole,
    ResultColumn,
    ValueKind,
    find,
)
from metricqa.assistant.semantic.compiler import other_shift
from metricqa.assistant.semantic.periods import back, baseline_range
from metricqa.assistant.semantic.plan import Comparison, Intent, QueryPlan, Threshold
from metricqa.catalog.models import Catalog, Metric, Unit
from metricqa.core.messages import PACKAGED, Listing

Row = dict[str, Any]


class View(Protocol):
    """What these narratives read of a result: ``narrative.View`` (the plan, and the rows by role)."""

    @property
    def plan(self) -> QueryPlan: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def language(self) -> str: ...
    @property
    def fields(self) -> tuple[ResultColumn, ...]: ...
    @property
    def records(self) -> tuple[Row, ...]: ...
    @property
    def metrics(self) -> list[str]: ...
    @property
    def dims(self) -> list[str]: ...
    @property
    def has_period(self) -> bool: ...
    @property
    def period(self) -> str: ...
    def column(self, metric_id: str, *roles: ColumnRole) -> str | None: ...
    def get(self, rec: Row, metric_id: str, *roles: ColumnRole) -> float | None: ...
    def value(self, rec: Row, metric_id: str) -> float | None: ...
    def bucket(self, rec: Row) -> Any: ...
    def metric(self, metric_id: str) -> Metric | None: ...
    def name(self, metric_id: str, start: bool = False) -> str: ...
    def member(self, rec: Row) -> str: ...
    def fmt(self, metric_id: str, value: Any) -> str: ...


MAX_LISTED = 8  # members a threshold list names before it says how many there are
CHANGE_KINDS = (ValueKind.DELTA, ValueKind.RATIO)
PERCENT_KINDS = (ValueKind.RATIO, ValueKind.ATTAINMENT, ValueKind.SHARE)


def say(view: View, message_id: str, **params: Any) -> str:
    """The ``narrative_shapes.<message_id>`` sentence in the view's language."""
    return PACKAGED.render(f"narrative_shapes.{message_id}", view.language, **params)


def capitalized(view: View, text: str) -> str:
    return text[:1].upper() + text[1:] if view.language == "en" else text


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def is_rate(view: View, metric_id: str) -> bool:
    metric = view.metric(metric_id)
    return metric is not None and metric.unit is Unit.RATIO


# ---- periods and changes ---------------------------------------------------------------------


def compared_period(plan: QueryPlan, language: str) -> str | None:
    """The period a comparison reads, in words: ``baseline_time`` for other_period, else the period
    before / a year before (``periods.baseline_range``); None for no comparison or a target."""
    if plan.comparison is Comparison.OTHER_PERIOD and plan.baseline_time is not None:
        return period_label(plan.baseline_time, language)
    if not plan.comparison.periodic:
        return None
    start, end = baseline_range(plan.time, plan.comparison)
    return span_words(start, end, language)


def change_words(view: View, metric_id: str, rec: Row, *, amount: bool = False) -> str:
    """How a figure moved: "up 4.5%", "down 1.2 pts" (a rate), "flat"; with ``amount`` also the
    change itself: "up ¥120K (8.2%)"."""
    value, base = view.value(rec, metric_id), view.get(rec, metric_id, *COMPARED_ROLES)
    delta = view.get(rec, metric_id, ColumnRole.DELTA)
    ratio = view.get(rec, metric_id, ColumnRole.RATIO)
    if delta is None and value is not None and base is not None:
        delta = value - base
    if delta is None:
        return ""
    if delta == 0:
        return say(view, "flat")
    if is_rate(view, metric_id):
        return say(view, "up_rate" if delta > 0 else "down", size=format_points(delta, view.language))
    percent = format_percent(abs(ratio - 1)) if ratio is not None else ""
    size = percent
    if amount:
        money = view.fmt(metric_id, abs(delta))
        size = say(view, "amount_and_percent", amount=money, percent=percent) if percent else money
    return say(view, "up" if delta > 0 else "down", size=size) if size else ""


def other_point_label(view: View, day: date) -> str | None:
    """What one point of a series is compared with under other_period: the point as far back as
    ``baseline_time`` starts (``compiler.other_shift``)."""
    if view.plan.baseline_time is None:
        return None
    shift = other_shift(view.plan.time, view.plan.baseline_time)
    earlier, _ = back(day, day, shift)
    return point_label(earlier.isoformat(), view.plan.grain, view.language)


def versus_clause(view: View, metric_id: str, rec: Row, label: str | None = None) -> str:
    """`, up 4.5% vs June 2026 (266)` / `,较2026年6月增长4.5%(2026年6月:266)`, for comparison=other_period."""
    period = label or compared_period(view.plan, view.language) or ""
    base = view.get(rec, metric_id, *COMPARED_ROLES)
    change = change_words(view, metric_id, rec)
    if base is None or view.value(rec, metric_id) is None or not change:
        return say(view, "versus_missing", period=period)
    return say(view, "versus", change=change, period=period, baseline=view.fmt(metric_id, base))


def narrate_two_periods(view: View) -> str:
    """One metric in two periods: "Order count was 278 in October 2026, up 4.5% vs June 2026 (266)."."""
    rec, metric_id = view.records[0], view.metrics[0]
    params = {
        "name": view.name(metric_id, start=True),
        "value": view.fmt(metric_id, view.value(rec, metric_id)),
        "period": view.period,
        "versus": versus_clause(view, metric_id, rec),
    }
    if view.dims:
        return say(view, "two_periods_member", member=view.member(rec), **params)
    return say(view, "two_periods", **params)


# ---- several metrics -------------------------------------------------------------------------


def others_clause(view: View, rec: Row, shown: str) -> str:
    """The other metrics of the member a sentence names: " (order count 72, payment amount ¥1.2M)"."""
    items = [
        say(view, "also_item", name=view.name(m), value=view.fmt(m, view.value(rec, m)))
        for m in view.metrics
        if m != shown
    ]
    return say(view, "also", items=Listing(items)) if items else ""


# ---- shares ----------------------------------------------------------------------------------


def share_of(view: View, rec: Row, metric_id: str) -> float | None:
    return view.get(rec, metric_id, ColumnRole.SHARE)


def scope_words(view: View, metric_id: str) -> str:
    """The words ", your scope's total" when the asker's row filters restrict the total (``scoped_by``)."""
    total = find(view.fields, ColumnRole.TOTAL, metric=metric_id)
    return say(view, "scope_total") if total is not None and total.scoped_by else ""


def narrate_share(view: View) -> str:
    """Shares: the largest and smallest with the total ("Online had the largest share of revenue in
    October 2026: 41.2% (¥1.9M of ¥4.6M); …"), or one member's ("28.4% of revenue … (¥1.3M of ¥4.6M)")."""
    metric_id = view.metrics[0]
    records = [r for r in view.records if share_of(view, r, metric_id) is not None]
    period = view.period
    if view.has_period and records:  # a series: the latest period's shares
        latest = max(str(view.bucket(r)) for r in records)
        records = [r for r in records if str(view.bucket(r)) == latest]
        period = point_label(latest, view.plan.grain, view.language)
    if not records:
        return ""
    figures = {
        "name": view.name(metric_id),
        "period": period,
        "scope": scope_words(view, metric_id),
        "total": view.fmt(metric_id, view.get(records[0], metric_id, ColumnRole.TOTAL)),
    }
    if len(records) == 1:
        rec = records[0]
        one = {"share": format_percent(share_of(view, rec, metric_id) or 0.0)}
        one["value"] = view.fmt(metric_id, view.value(rec, metric_id))
        if view.dims:
            return say(view, "share_member", member=view.member(rec), **figures, **one)
        return capitalized(view, say(view, "share_one", **figures, **one))
    ranked = sorted(records, key=lambda r: share_of(view, r, metric_id) or 0.0, reverse=True)
    top, bottom = ranked[0], ranked[-1]
    text = say(
        view,
        "share_breakdown",
        top=view.member(top),
        top_share=format_percent(share_of(view, top, metric_id) or 0.0),
        top_value=view.fmt(metric_id, view.value(top, metric_id)),
        bottom=view.member(bottom),
        bottom_share=format_percent(share_of(view, bottom, metric_id) or 0.0),
        bottom_value=view.fmt(metric_id, view.value(bottom, metric_id)),
        **figures,
    )
    overlapping = sum(share_of(view, r, metric_id) or 0.0 for r in records) > 1 + 1e-9
    return text + (say(view, "overlap") if overlapping else "")


# ---- thresholds ------------------------------------------------------------------------------


def figure_name(view: View, threshold: Threshold) -> str:
    """What a threshold reads, in words: "order count", "change in revenue", "revenue attainment"."""
    kind = threshold.value
    if view.plan.comparison is Comparison.TARGET and kind in (ValueKind.RATIO, ValueKind.BASELINE):
        kind = ValueKind.ATTAINMENT if kind is ValueKind.RATIO else kind
        message = "target" if kind is ValueKind.BASELINE else kind.value
    else:
        message = kind.value
    period = compared_period(view.plan, view.language) or ""
    return say(view, f"figure.{message}", name=view.name(threshold.metric), period=period)


def figure_text(view: View, metric_id: str, kind: ValueKind, value: float | None) -> str:
    """A figure's value (or a threshold's number) as the narrative writes it."""
    if value is None:
        return view.fmt(metric_id, None)
    if kind in PERCENT_KINDS:
        return format_percent(value)
    if kind is ValueKind.DELTA and is_rate(view, metric_id):
        return ("-" if value < 0 else "") + format_points(value, view.language)
    return view.fmt(metric_id, value)


def condition_words(view: View, threshold: Threshold) -> str:
    limit = figure_text(view, threshold.metric, threshold.value, threshold.number)
    return say(view, f"condition.{threshold.op.value}", number=limit)


def row_figure(view: View, rec: Row, threshold: Threshold) -> float | None:
    return view.get(rec, threshold.metric, *KIND_ROLES[threshold.value])


def row_name(view: View, rec: Row) -> str:
    if view.dims:
        return view.member(rec)
    bucket = view.bucket(rec)
    return point_label(str(bucket), view.plan.grain, view.language) if bucket is not None else view.period


def criteria_words(view: View) -> str:
    """The thresholds in words: "order count above 200", joined when there are several."""
    items = [
        say(view, "criterion", figure=figure_name(view, t), condition=condition_words(view, t))
        for t in view.plan.having
    ]
    return say(view, "criteria", items=Listing(items))


def narrate_threshold(view: View) -> str:
    """Every member meeting the threshold(s) with the figure the first one reads, or that none does."""
    threshold = view.plan.having[0]
    criteria = criteria_words(view)
    if not view.records:
        if not view.dims:
            text = say(view, "threshold_value_none", criteria=criteria, period=view.period)
            return capitalized(view, text)
        dims = [view.catalog.dimensions[d].name.get(view.language) if d in view.catalog.dimensions else d
                for d in view.dims]  # fmt: skip
        dimension = " / ".join(d.lower() if view.language == "en" else d for d in dims)
        return say(view, "threshold_none", dimension=dimension, criteria=criteria, period=view.period)
    listed = [
        say(view, "member_value", member=row_name(view, r),
            value=figure_text(view, threshold.metric, threshold.value, row_figure(view, r, threshold)))
        for r in view.records[:MAX_LISTED]
    ]  # fmt: skip
    more = ""
    if len(view.records) > MAX_LISTED:
        more = say(view, "threshold_more", shown=MAX_LISTED, count=len(view.records))
    text = say(
        view, "threshold_list", criteria=criteria, period=view.period, members=Listing(listed), more=more
    )
    return capitalized(view, text)


def threshold_note(view: View) -> str:
    """The thresholds as a chart note: "order count above 200"."""
    return criteria_words(view)


# ---- rank by change --------------------------------------------------------------------------


def is_change_rank(plan: QueryPlan) -> bool:
    """Ranked by how a metric changed against another period (its delta or ratio)."""
    return (
        plan.comparison.periodic
        and bool(plan.order)
        and plan.order[0].value in CHANGE_KINDS
        and plan.order[0].metric in plan.metrics
    )


def change_order(view: View) -> list[Row]:
    """The rows by the order's figure, in its direction, unknown changes last."""
    order = view.plan.order[0]
    roles = (ColumnRole.DELTA,) if order.value is ValueKind.DELTA else (ColumnRole.RATIO,)
    known = [r for r in view.records if view.get(r, order.metric, *roles) is not None]
    unknown = [r for r in view.records if view.get(r, order.metric, *roles) is None]
    known.sort(key=lambda r: view.get(r, order.metric, *roles) or 0.0, reverse=order.direction == "desc")
    return known + unknown


def which_words(view: View, rec: Row, metric_id: str, descending: bool) -> str:
    delta = view.get(rec, metric_id, ColumnRole.DELTA) or 0.0
    if descending:
        return say(view, "which.largest_rise" if delta > 0 else "which.smallest_fall")
    return say(view, "which.largest_fall" if delta < 0 else "which.smallest_rise")


def narrate_change_rank(view: View) -> str:
    """Name the member(s) and the change: "East had the largest rise in revenue vs September 2026:
    up ¥120K (8.2%), ¥1.6M against ¥1.48M."."""
    order = view.plan.order[0]
    metric_id = order.metric
    records = change_order(view)
    period = compared_period(view.plan, view.language) or ""
    name = view.name(metric_id)
    if len(records) == 1 or view.plan.limit == 1:
        first = records[0]
        text = say(
            view,
            "change_rank_one",
            member=view.member(first),
            which=which_words(view, first, metric_id, order.direction == "desc"),
            name=name,
            period=period,
            change=change_words(view, metric_id, first, amount=True) or view.fmt(metric_id, None),
            value=view.fmt(metric_id, view.value(first, metric_id)),
            baseline=view.fmt(metric_id, view.get(first, metric_id, *COMPARED_ROLES)),
        )
        others = others_clause(view, first, metric_id)
        return text[:-1] + others + text[-1:] if others else text
    items = [
        say(view, "change_item", member=view.member(r),
            change=change_words(view, metric_id, r, amount=True) or view.fmt(metric_id, None))
        for r in records[: min(5, view.plan.limit or 5)]
    ]  # fmt: skip
    return capitalized(view, say(view, "change_rank_list", name=name, period=period, items=Listing(items)))


def shape_of(plan: QueryPlan) -> str | None:
    """Which of these narratives a plan gets (None: the general ones)."""
    if plan.having:
        return "threshold"
    if plan.intent is Intent.SHARE:
        return "share"
    if is_change_rank(plan) and plan.intent is not Intent.LAGGED:  # a laggard is named as one
        return "change_rank"
    return None


__all__: Sequence[str] = (
    "compared_period",
    "narrate_change_rank",
    "narrate_share",
    "narrate_threshold",
    "narrate_two_periods",
    "other_point_label",
    "others_clause",
    "shape_of",
    "threshold_note",
    "versus_clause",
)

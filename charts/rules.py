"""Choose a chart for a result, by rule (no LLM): what to draw, not how.

- a series (``period`` column) → line; one line per metric, or per member when split by a
  dimension; the comparison series (baseline/target) dashed;
- split by a dimension → sorted bars (horizontal when labels are long or there are more than
  six members); the lagging/leading member highlighted for lagged/rank questions; target markers
  per bar when compared with target; the baseline as a second bar for period comparisons;
- two metrics by a dimension → grouped bars (same unit) or two panels of bars (no twin axes across
  unordered members);
- a rank by change (rose / fell the most) → a diverging bar of every member's change, the named one
  highlighted; a laggard or a rank by change cut to one member is drawn among every member
  (``context_plan``: the pipeline runs the plan without its limit for the chart);
- three or more counts asked together as one value → funnel;
- a single number (or a few) → a KPI card;
- a period in progress: a series' last point is marked (hollow, dashed last segment, "to Nov 20"); bars
  of a period in progress say how far it is, and target bars also mark the target to date (the pace);
- a share (intent share) → sorted bars of the shares (a KPI card of the share for one member);
- a threshold (``having``) → the breakdown's bars, the threshold named in the subtitle;
- two periods (comparison other_period) → as previous_period, the baseline named by its period.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from metricqa.assistant.presentation.formatting import period_label, point_label
from metricqa.assistant.presentation.narrative import (
    View,
    as_number,
    change_clause,
    make_view,
    ordered_records,
)
from metricqa.assistant.presentation.narrative import (
    say as narrative_say,
)
from metricqa.assistant.presentation.narrative_pace import progress_words, through_label
from metricqa.assistant.presentation.narrative_pace import say as pace_say
from metricqa.assistant.presentation.narrative_shapes import (
    change_order,
    compared_period,
    is_change_rank,
    say,
    shape_of,
    threshold_note,
)
from metricqa.assistant.presentation.pace import bucket_progress, range_progress, target_progress
from metricqa.assistant.semantic.columns import COMPARED_ROLES, ColumnRole, Columns, ValueKind
from metricqa.assistant.semantic.plan import Comparison, Intent, QueryPlan
from metricqa.catalog.models import Catalog, Unit
from metricqa.core.messages import PACKAGED

MAX_BARS = 25
MAX_LINES = 8
HORIZONTAL_AFTER = 6
LONG_LABEL = 10


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    unit: str = Unit.NUMBER.value
    currency: str | None = None
    role: str = "value"  # value | baseline | target
    axis: int = 0  # 0: left axis, 1: right axis

    @property
    def dashed(self) -> bool:
        return self.role != "value"


@dataclass(frozen=True)
class ChartSpec:
    type: str  # line | bar | grouped_bar | panels | diverging_bar | funnel | kpi
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    subtitle: str = ""
    horizontal: bool = False
    highlight: int | None = None  # index into categories
    highlight_kind: str | None = None  # worst | best
    targets: tuple[float | None, ...] = ()  # a target marker per category
    target_label: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)  # KPI comparison lines, truncation notes
    partial_last: bool = False  # the last category is a period in progress (hollow point, dashed segment)
    partial_note: str = ""  # how far it is: "to Nov 20"
    paced_targets: tuple[float | None, ...] = ()  # each target × the elapsed share (the pace to date)
    paced_label: str = ""

    @property
    def expected_bars(self) -> int:
        """How many bar rectangles the rendered Axes hold (0 for lines and KPI cards)."""
        if self.type in ("bar", "funnel", "twin_bar", "diverging_bar"):
            return len(self.categories)
        if self.type == "panels":
            return len(self.categories) * len(self.series)
        if self.type == "grouped_bar":
            return len(self.categories) * sum(1 for s in self.series if s.axis == 0)
        return 0

    @property
    def expected_points(self) -> int:
        return sum(v is not None for s in self.series for v in s.values) if self.type == "line" else 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)


def choose_chart(
    plan: QueryPlan,
    columns: Columns,
    rows: Sequence[Sequence[Any]],
    catalog: Catalog | None = None,
    language: str = "en",
) -> ChartSpec | None:
    """The chart that fits this result, or None (no rows, nothing numeric; a list is a table, not a chart)."""
    if plan.intent is Intent.LIST:
        return None
    if catalog is None:
        catalog = Catalog(root="", models={}, measures={}, metrics={}, dimensions={}, roles={})
    view = make_view(plan, columns, [list(r) for r in rows], catalog, language)
    if not view.records or not view.metrics:
        return None
    if all(view.value(r, m) is None for r in view.records for m in view.metrics):
        return None
    if view.has_period and len({view.bucket(r) for r in view.records}) > 1:
        return line_chart(view)
    if plan.intent is Intent.SHARE and view.column(view.metrics[0], ColumnRole.SHARE):
        return share_chart(view)
    if view.dims and shape_of(plan) == "change_rank" and len(view.records) > 1:
        return change_chart(view)
    if view.dims and len(view.records) > 1:
        spec = bar_chart(view) if len(view.metrics) == 1 else multi_bar_chart(view)
        return replace(spec, notes=(*spec.notes, threshold_note(view))) if plan.having else spec
    if is_funnel(view):
        return funnel_chart(view)
    return kpi_card(view)


# ---- helpers ---------------------------------------------------------------------------------


def series_for(
    view: View, metric_id: str, values: Sequence[float | None], role: str = "value", axis: int = 0
) -> Series:
    metric = view.metric(metric_id)
    name = baseline_name(view) if role != "value" else view.name(metric_id, start=True)
    return Series(
        name=name,
        values=tuple(values),
        unit=(metric.unit.value if metric else Unit.NUMBER.value),
        currency=metric.currency if metric else None,
        role=role,
        axis=axis,
    )


def baseline_name(view: View) -> str:
    comp = view.plan.comparison
    if comp is Comparison.TARGET:
        return narrative_say(view.language, "chart.target")
    if comp is Comparison.SAME_PERIOD_LAST_YEAR:
        return narrative_say(view.language, "chart.last_year")
    if comp is Comparison.OTHER_PERIOD:
        return compared_period(view.plan, view.language) or ""
    return narrative_say(view.language, "chart.previous")


def _unit(view: View, metric_id: str) -> str:
    metric = view.metric(metric_id)
    return metric.unit.value if metric else Unit.NUMBER.value


def _wide(labels: Sequence[str]) -> bool:
    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    return len(labels) > HORIZONTAL_AFTER or any(width(label) > LONG_LABEL for label in labels)


# ---- lines -----------------------------------------------------------------------------------


def line_chart(view: View) -> ChartSpec:
    periods = sorted({str(p) for r in view.records if (p := view.bucket(r)) is not None})
    labels = tuple(point_label(p, view.plan.grain, view.language) for p in periods)
    index = {p: i for i, p in enumerate(periods)}
    series: list[Series] = []
    first = view.metrics[0]
    if view.dims:
        totals: dict[str, float] = {}
        by_member: dict[str, list[float | None]] = {}
        for r in view.records:
            member = view.member(r)
            values = by_member.setdefault(member, [None] * len(periods))
            values[index[str(view.bucket(r))]] = view.value(r, first)
            totals[member] = totals.get(member, 0.0) + (view.value(r, first) or 0.0)
        keep = sorted(totals, key=lambda m: -totals[m])[:MAX_LINES]
        for member in keep:
            s = series_for(view, first, by_member[member])
            series.append(Series(member, s.values, s.unit, s.currency))
    else:
        units = list(dict.fromkeys(_unit(view, m) for m in view.metrics))[:2]
        for m in view.metrics[:4]:
            if _unit(view, m) in units:
                series.append(
                    series_for(
                        view,
                        m,
                        _column(view, view.column(m, ColumnRole.VALUE) or m, periods, index),
                        axis=units.index(_unit(view, m)),
                    )
                )
        base = view.column(first, *COMPARED_ROLES)
        if view.plan.comparison is not Comparison.NONE and base is not None:
            role = "target" if view.column(first, ColumnRole.TARGET) else "baseline"
            series.append(series_for(view, first, _column(view, base, periods, index), role=role))
    return mark_partial(view, ChartSpec("line", labels, tuple(series), subtitle=view.period), periods[-1])


def _column(view: View, column: str, periods: list[str], index: dict[str, int]) -> list[float | None]:
    values: list[float | None] = [None] * len(periods)
    for r in view.records:
        if view.bucket(r) is not None:
            values[index[str(view.bucket(r))]] = as_number(r.get(column))
    return values


# ---- periods in progress --------------------------------------------------------------------


def mark_partial(view: View, spec: ChartSpec, last_period: str) -> ChartSpec:
    """A series whose last point is a period in progress: that point marked, "to Nov 20" beside it."""
    progress = bucket_progress(view.plan.time, last_period)
    if progress is None:
        return spec
    note = pace_say(view.language, "chart_to", through=through_label(progress, view.language))
    return replace(spec, partial_last=True, partial_note=note)


def in_progress(view: View, spec: ChartSpec) -> ChartSpec:
    """Bars of a period in progress say how far it is in the subtitle ("20 of 30 days, to Nov 20")."""
    progress = range_progress(view.plan.time)
    if progress is None:
        return spec
    return replace(spec, notes=(*spec.notes, progress_words(progress, view.language)))


def paced(view: View, metric_id: str, spec: ChartSpec) -> ChartSpec:
    """Target bars of a period in progress also mark the target to date (target × elapsed share)."""
    progress = target_progress(view.plan, view.catalog, metric_id)
    if progress is None or not spec.targets:
        return spec
    to_date = tuple(None if t is None else t * progress.share for t in spec.targets)
    label = pace_say(view.language, "chart_pace", through=through_label(progress, view.language))
    return replace(spec, paced_targets=to_date, paced_label=label)


# ---- the chart a reader wants (issue 12) -----------------------------------------------------


def reader_say(language: str, message_id: str, **params: Any) -> str:
    return PACKAGED.render(f"reader_chart.{message_id}", language, **params)


def context_plan(plan: QueryPlan) -> QueryPlan | None:
    """The plan a chart draws when the answer names one member of several: a laggard, or the member that
    rose or fell the most, is drawn among every member (the same plan without its limit), highlighted;
    None when the answer's own rows are what the chart draws."""
    names_few = plan.intent is Intent.LAGGED or is_change_rank(plan)
    if not plan.dimensions or plan.limit is None or plan.having or not names_few:
        return None
    return plan.model_copy(update={"limit": None})


def change_chart(view: View) -> ChartSpec:
    """A rank by change: a diverging bar of each member's change, in the order asked, the member the
    answer names highlighted; a change in percent when the order is by ratio, else the amount."""
    order = view.plan.order[0]
    m = order.metric
    by_ratio = order.value is not ValueKind.DELTA
    records = [
        r
        for r in change_order(view)
        if view.get(r, m, ColumnRole.RATIO if by_ratio else ColumnRole.DELTA) is not None
    ]
    values = tuple(change_of(view, r, m, by_ratio) for r in records)
    base = series_for(view, m, values)
    unit = Unit.RATIO.value if by_ratio and not is_rate_metric(view, m) else base.unit
    name = reader_say(
        view.language, "change", name=view.name(m), period=compared_period(view.plan, view.language) or ""
    )
    labels = tuple(view.member(r) for r in records)
    kind = "best" if order.direction == "desc" else "worst"
    series = Series(name, values, unit, base.currency)
    return ChartSpec("diverging_bar", labels, (series,), view.period, True, highlight=0, highlight_kind=kind)


def change_of(view: View, rec: dict[str, Any], metric_id: str, by_ratio: bool) -> float | None:
    """The change a diverging bar draws: ratio − 1 (or, for a rate, its delta in points), else the delta."""
    if by_ratio and not is_rate_metric(view, metric_id):
        ratio = view.get(rec, metric_id, ColumnRole.RATIO)
        return None if ratio is None else ratio - 1
    return view.get(rec, metric_id, ColumnRole.DELTA)


def is_rate_metric(view: View, metric_id: str) -> bool:
    return _unit(view, metric_id) == Unit.RATIO.value


def foldable(view: View, metric_id: str, records: list[dict[str, Any]]) -> bool:
    """Too many members for bars, of an amount that adds up, with nothing compared: top N + "others"."""
    additive = _unit(view, metric_id) in (Unit.CURRENCY.value, Unit.COUNT.value, Unit.NUMBER.value)
    return len(records) > MAX_BARS and additive and view.plan.comparison is Comparison.NONE


def others_bar(view: View, metric_id: str, records: list[dict[str, Any]]) -> ChartSpec:
    """The largest ``MAX_BARS − 1`` members and one "Others" bar of the rest's sum (the table has them)."""
    top, rest = records[: MAX_BARS - 1], records[MAX_BARS - 1 :]
    others = reader_say(view.language, "others", count=len(rest))
    labels = (*(view.member(r) for r in top), others)
    values = [view.value(r, metric_id) for r in top] + [sum(view.value(r, metric_id) or 0.0 for r in rest)]
    highlight, kind = _highlight(view, top)
    note = reader_say(view.language, "others_note", shown=len(top), count=len(records))
    spec = ChartSpec("bar", labels, (series_for(view, metric_id, values),), view.period, True,
                     highlight=highlight, highlight_kind=kind, notes=(note,))  # fmt: skip
    return in_progress(view, spec)


# ---- bars ------------------------------------------------------------------------------------


def bar_chart(view: View) -> ChartSpec:
    m = view.metrics[0]
    records = [r for r in view.records if view.value(r, m) is not None]
    records.sort(key=lambda r: view.value(r, m) or 0.0, reverse=True)
    notes: tuple[str, ...] = ()
    everything = records
    if len(records) > MAX_BARS:
        notes = (narrative_say(view.language, "chart.top", shown=MAX_BARS, count=len(records)),)
        records = records[:MAX_BARS]
    if foldable(view, m, everything):
        return others_bar(view, m, everything)
    labels = tuple(view.member(r) for r in records)
    highlight, kind = _highlight(view, records)
    series = [series_for(view, m, [view.value(r, m) for r in records])]
    comp = view.plan.comparison
    targets: tuple[float | None, ...] = ()
    kind_of_chart = "bar"
    if comp is Comparison.TARGET and view.column(m, *COMPARED_ROLES):
        targets = tuple(view.get(r, m, *COMPARED_ROLES) for r in records)
    elif comp is not Comparison.NONE and view.column(m, *COMPARED_ROLES):
        series.append(
            series_for(view, m, [view.get(r, m, *COMPARED_ROLES) for r in records], role="baseline")
        )
        kind_of_chart = "grouped_bar"
    spec = ChartSpec(
        kind_of_chart,
        labels,
        tuple(series),
        subtitle=view.period,
        horizontal=_wide(labels),
        highlight=highlight,
        highlight_kind=kind,
        targets=targets,
        target_label=baseline_name(view) if targets else "",
        notes=notes,
    )
    return paced(view, m, in_progress(view, spec))


def _highlight(view: View, shown: list[dict[str, Any]]) -> tuple[int | None, str | None]:
    """For lagged/rank questions: the index of the member the answer names, and worst/best."""
    if view.plan.intent not in (Intent.LAGGED, Intent.RANK):
        return None, None
    subject = ordered_records(view.plan, view.fields, view.records, view.catalog)[0]
    for i, r in enumerate(shown):
        if r is subject:
            return i, "worst" if view.plan.intent is Intent.LAGGED else "best"
    return None, None


def multi_bar_chart(view: View) -> ChartSpec:
    metrics = view.metrics[:3]
    first = metrics[0]
    records = [r for r in view.records if view.value(r, first) is not None]
    records.sort(key=lambda r: view.value(r, first) or 0.0, reverse=True)
    records = records[:MAX_BARS]
    labels = tuple(view.member(r) for r in records)
    units = [_unit(view, m) for m in metrics]
    highlight, kind = _highlight(view, records)
    if len(set(units)) == 1:
        series = tuple(series_for(view, m, [view.value(r, m) for r in records]) for m in metrics)
        return ChartSpec(
            "grouped_bar",
            labels,
            series,
            view.period,
            _wide(labels),
            highlight=highlight,
            highlight_kind=kind,
        )
    second = next(m for m in metrics if _unit(view, m) != units[0])
    series = (
        series_for(view, first, [view.value(r, first) for r in records]),
        series_for(view, second, [view.value(r, second) for r in records], axis=1),
    )
    # two units across unordered members: two panels side by side, never two axes on one panel
    return ChartSpec("panels", labels, series, view.period, True, highlight=highlight, highlight_kind=kind)


# ---- shares ----------------------------------------------------------------------------------


def share_chart(view: View) -> ChartSpec:
    """Sorted bars of each member's share (a fraction, drawn as %); one member's share as a KPI card."""
    m = view.metrics[0]
    share_col = view.column(m, ColumnRole.SHARE) or ""
    records = [r for r in view.records if as_number(r.get(share_col)) is not None]
    name = say(view, "chart_share", name=view.name(m))
    series = Series(name, (), Unit.RATIO.value)
    if not view.dims or len(records) <= 1:
        values = tuple(as_number(r.get(share_col)) for r in records[:1])
        subtitle = f"{view.member(records[0])} · {view.period}" if view.dims and records else view.period
        return ChartSpec("kpi", (name,), (replace(series, values=values or (None,)),), subtitle, notes=("",))
    records.sort(key=lambda r: as_number(r.get(share_col)) or 0.0, reverse=True)
    notes: tuple[str, ...] = ()
    if len(records) > MAX_BARS:
        notes = (narrative_say(view.language, "chart.top", shown=MAX_BARS, count=len(records)),)
        records = records[:MAX_BARS]
    labels = tuple(view.member(r) for r in records)
    values = tuple(as_number(r.get(share_col)) for r in records)
    total = view.get(records[0], m, ColumnRole.TOTAL)
    if total is not None:  # the shares are of this total: the chart says it
        notes = (reader_say(view.language, "total", total=view.fmt(m, total)), *notes)
    return ChartSpec(
        "bar", labels, (replace(series, values=values),), view.period, _wide(labels), notes=notes
    )


# ---- funnel and KPI --------------------------------------------------------------------------


def is_funnel(view: View) -> bool:
    """Three or more count metrics asked together as one value, with no split: a funnel."""
    counts = [m for m in view.metrics if _unit(view, m) == Unit.COUNT.value]
    return view.plan.intent is Intent.VALUE and not view.dims and len(counts) >= 3 and len(view.records) == 1


def funnel_chart(view: View) -> ChartSpec:
    rec = view.records[0]
    stages = [m for m in view.metrics if _unit(view, m) == Unit.COUNT.value]
    series = series_for(view, stages[0], [view.value(rec, m) for m in stages])
    labels = tuple(view.name(m, start=True) for m in stages)
    return ChartSpec("funnel", labels, (series,), subtitle=view.period)


def kpi_card(view: View) -> ChartSpec:
    rec = view.records[0]
    metrics = view.metrics[:4]
    series = tuple(series_for(view, m, [view.value(rec, m)]) for m in metrics)
    notes = tuple(change_clause(view, m, rec).removeprefix(",").removeprefix(",").strip() for m in metrics)
    subtitle = period_label(view.plan.time, view.language)
    if view.dims:
        subtitle = f"{view.member(rec)} · {subtitle}"
    return ChartSpec("kpi", tuple(view.name(m, start=True) for m in metrics), series, subtitle, notes=notes)

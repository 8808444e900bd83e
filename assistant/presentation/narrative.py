"""Narrate a result: one to three sentences from deterministic templates, in the asker's language.

The sentences and their words are ``narrative.*`` in the message catalog (metricqa/core/messages/);
numbers are formatted by ``formatting``.

Input is the result's columns, described by role (``semantic.columns.ResultColumn``: the period of
a series, each dimension's member key and label, each metric's value and, with a comparison, its
baseline or target, delta and ratio), and its rows. Column names given without descriptors are
described from the plan (``compiler.plan_columns``). Every number a narrative states comes from
those rows (``check_numbers`` proves it), so an optional LLM rephrase is kept only when it
invents none (``rephrase``).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from metricqa.assistant.presentation.formatting import (
    format_percent,
    format_points,
    format_value,
    join_words,
    period_label,
    point_label,
)
from metricqa.assistant.presentation.narrative_pace import (
    all_on_track,
    last_full_words,
    partial_point_words,
    standing,
    target_words,
)
from metricqa.assistant.presentation.narrative_shapes import (
    compared_period,
    narrate_change_rank,
    narrate_share,
    narrate_threshold,
    narrate_two_periods,
    other_point_label,
    others_clause,
    shape_of,
    versus_clause,
)
from metricqa.assistant.presentation.pace import bucket_progress
from metricqa.assistant.presentation.qualifiers import member_label
from metricqa.assistant.semantic.columns import (
    COMPARED_ROLES,
    ColumnRole,
    Columns,
    ResultColumn,
    column_for,
    described,
    find,
    names_of,
)
from metricqa.assistant.semantic.compiler import plan_columns
from metricqa.assistant.semantic.plan import Comparison, Intent, QueryPlan
from metricqa.catalog.models import Catalog, Direction, Metric, Unit
from metricqa.core.errors import UserFacingError
from metricqa.core.messages import PACKAGED, Listing, Message, MessageCatalog

Row = dict[str, Any]


# ---- reading the result ----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The result seen through the plan: which columns are metrics, members and periods."""

    plan: QueryPlan
    catalog: Catalog
    language: str
    fields: tuple[ResultColumn, ...]
    records: tuple[Row, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return names_of(self.fields)

    @property
    def metrics(self) -> list[str]:
        return [m for m in self.plan.metrics if self.column(m, ColumnRole.VALUE)]

    @property
    def has_period(self) -> bool:
        return find(self.fields, ColumnRole.PERIOD) is not None

    @property
    def dims(self) -> list[str]:
        roles = (ColumnRole.LABEL, ColumnRole.DIMENSION)
        return [d for d in self.plan.dimensions if find(self.fields, *roles, dimension=d)]

    def column(self, metric_id: str, *roles: ColumnRole) -> str | None:
        """The name of ``metric_id``'s column with one of ``roles`` (e.g. its baseline), or None."""
        found = find(self.fields, *roles, metric=metric_id)
        return found.name if found else None

    def get(self, rec: Row, metric_id: str, *roles: ColumnRole) -> float | None:
        """``metric_id``'s figure in ``rec`` from its column with one of ``roles``; None when there is none."""
        name = self.column(metric_id, *roles)
        return None if name is None else as_number(rec.get(name))

    def value(self, rec: Row, metric_id: str) -> float | None:
        """``metric_id``'s value in ``rec``."""
        return self.get(rec, metric_id, ColumnRole.VALUE)

    def bucket(self, rec: Row) -> Any:
        """The period a series row is for (ISO date), or None."""
        found = find(self.fields, ColumnRole.PERIOD)
        return None if found is None else rec.get(found.name)

    def metric(self, metric_id: str) -> Metric | None:
        return self.catalog.metrics.get(metric_id)

    def name(self, metric_id: str, start: bool = False) -> str:
        m = self.metric(metric_id)
        text = m.name.get(self.language) if m else metric_id
        if self.language == "zh" or start:
            return text[:1].upper() + text[1:] if start else text
        return text[:1].lower() + text[1:] if len(text) > 1 and text[1:2].islower() else text

    def member(self, rec: Row) -> str:
        """The member a row is for: each dimension's label, or its key when it has no label."""
        parts = []
        for d in self.dims:
            label = find(self.fields, ColumnRole.LABEL, dimension=d)
            key = find(self.fields, ColumnRole.DIMENSION, dimension=d)
            text = rec.get(label.name) if label else None
            parts.append(str(text if text is not None else (rec.get(key.name, "") if key else "")))
        return " / ".join(parts)

    def fmt(self, metric_id: str, value: Any) -> str:
        return format_value(as_number(value), self.metric(metric_id), self.language)

    @property
    def period(self) -> str:
        return period_label(self.plan.time, self.language)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    return None


def plan_fields(plan: QueryPlan, columns: Columns) -> tuple[ResultColumn, ...]:
    """``columns`` as descriptors; bare names are described by the plan's result columns."""
    return described(columns, plan_columns(plan))


def make_view(
    plan: QueryPlan, columns: Columns, rows: Sequence[Sequence[Any]], catalog: Catalog, language: str
) -> View:
    fields = plan_fields(plan, columns)
    records = tuple(dict(zip(names_of(fields), row, strict=False)) for row in rows)
    return View(plan, catalog, "zh" if language == "zh" else "en", fields, records)


def order_key(plan: QueryPlan, columns: Columns, catalog: Catalog | None = None) -> tuple[str, bool]:
    """The column a ranking/lagged question sorts by and whether the best comes first (descending)."""
    fields = plan_fields(plan, columns)
    for order in plan.order:
        by = column_for(fields, order.metric, order.value)
        if by is not None:
            return by.name, order.direction == "desc"
    values = {c.metric: c.name for c in fields if c.role is ColumnRole.VALUE}
    metric = next((m for m in plan.metrics if m in values), plan.metrics[0])
    ratio = find(fields, ColumnRole.RATIO, metric=metric)
    delta = find(fields, ColumnRole.DELTA, metric=metric)
    if plan.comparison is Comparison.TARGET and ratio is not None:
        key = ratio.name
    elif plan.comparison is not Comparison.NONE and delta is not None:
        key = delta.name
    else:
        key = values.get(metric, metric)
    lower_better = (
        catalog is not None
        and metric in catalog.metrics
        and (catalog.metrics[metric].direction is Direction.LOWER_IS_BETTER)
    )
    worst_first = plan.intent is Intent.LAGGED
    return key, worst_first == lower_better


def ordered_records(
    plan: QueryPlan, columns: Columns, records: Sequence[Row], catalog: Catalog | None = None
) -> list[Row]:
    """Rows sorted by the plan's order (None last); the first row is the one a ranking names."""
    key, desc = order_key(plan, columns, catalog)
    present = [r for r in records if as_number(r.get(key)) is not None]
    missing = [r for r in records if as_number(r.get(key)) is None]
    return sorted(present, key=lambda r: as_number(r[key]) or 0.0, reverse=desc) + missing


# ---- comparison words -----------------------------------------------------------------------


def say(language: str, message_id: str, **params: Any) -> str:
    """The ``narrative.<message_id>`` text in ``language``."""
    return PACKAGED.render(f"narrative.{message_id}", language, **params)


def word(message_id: str, **params: Any) -> Message:
    """The ``narrative.<message_id>`` text, as a parameter of another sentence."""
    return Message(f"narrative.{message_id}", params)


def moved(delta: float, size: str, rate: bool) -> Message:
    """How a figure moved: flat, or up/down with its size (``up_rate`` for a rate)."""
    if delta == 0:
        return word("move.flat")
    move = word("move.up_rate" if rate else "move.up") if delta > 0 else word("move.down")
    return word("sized", move=move, size=size) if size else move


def joined(language: str, items: Sequence[str], separator: str, last: str | None = None) -> str:
    """``items`` joined by the ``narrative.<separator>`` text (``narrative.<last>`` before the last)."""
    sep = say(language, separator)
    if last is None or len(items) < 2:
        return sep.join(items)
    return sep.join(items[:-1]) + say(language, last) + items[-1]


def sentences_of(language: str, sentences: Sequence[str]) -> str:
    """Sentences one after another (``narrative.then``)."""
    text = sentences[0] if sentences else ""
    for sentence in sentences[1:]:
        text = say(language, "then", sentences=text, sentence=sentence)
    return text


def baseline_label(plan: QueryPlan, language: str) -> str | None:
    """The baseline period in words (``periods.baseline_range``, or ``baseline_time``); None for no
    comparison or a target."""
    return compared_period(plan, language)


def change_clause(view: View, metric_id: str, rec: Row, label: str | None = None) -> str:
    """The comparison words: `, down 8.2% vs October 2026 (¥13.45M)` / `,环比下降8.2%(2026年10月:¥1,345万)`."""
    comp = view.plan.comparison
    base_column = view.column(metric_id, *COMPARED_ROLES)
    if comp is Comparison.NONE or base_column is None or base_column not in rec:
        return ""
    if comp is Comparison.OTHER_PERIOD:
        return versus_clause(view, metric_id, rec, label)
    lang = view.language
    value, base = view.value(rec, metric_id), as_number(rec.get(base_column))
    ratio = view.get(rec, metric_id, ColumnRole.RATIO)
    delta = view.get(rec, metric_id, ColumnRole.DELTA)
    if comp is Comparison.TARGET:
        if base is None or ratio is None:
            return say(lang, "target_missing")
        on_pace = target_words(view, metric_id, rec)
        if on_pace is not None:
            return on_pace
        return say(lang, "target", percent=format_percent(ratio), target=view.fmt(metric_id, base))
    label = label or baseline_label(view.plan, lang)
    which = "last_year" if comp is Comparison.SAME_PERIOD_LAST_YEAR else "previous"
    usual = word(f"usual.{which}")
    if base is None or value is None:
        return say(lang, "baseline_missing", period=label or usual, usual=usual)
    delta = value - base if delta is None else delta
    metric = view.metric(metric_id)
    is_rate = metric is not None and metric.unit is Unit.RATIO
    if is_rate:
        size = format_points(delta, lang)
    elif ratio is not None or base:
        size = format_percent(abs((ratio - 1) if ratio is not None else delta / base))
    else:
        size = ""
    base_txt = view.fmt(metric_id, base)
    reference = (
        word("reference.named", period=label, baseline=base_txt)
        if label
        else word("reference.usual", period=usual, baseline=base_txt)
    )
    return say(
        lang, "change", kind=word(f"kind.{which}", change=moved(delta, size, is_rate)), reference=reference
    )


# ---- templates ------------------------------------------------------------------------------


def narrate(plan: QueryPlan, columns: Columns, rows: list[list[Any]], catalog: Catalog, language: str) -> str:
    """One to three sentences answering the plan from its result rows."""
    view = make_view(plan, columns, rows, catalog, language)
    shape = shape_of(plan) if view.metrics else None
    if shape == "threshold":  # no rows is an answer too: no member meets it
        return narrate_threshold(view)
    if not view.metrics or all(view.value(r, m) is None for r in view.records for m in view.metrics):
        return no_data(view)
    if shape == "share":
        return narrate_share(view) or no_data(view)
    if view.has_period and len({view.bucket(r) for r in view.records}) > 1:
        return narrate_trend(view)
    ranking = plan.intent in (Intent.LAGGED, Intent.RANK) or bool(plan.order and plan.limit)
    if view.dims and ranking and shape == "change_rank":
        return narrate_change_rank(view)
    if view.dims and ranking:
        return narrate_ranking(view)
    if view.dims and len(view.records) > 1:
        return narrate_breakdown(view)
    if plan.comparison is Comparison.OTHER_PERIOD and len(view.metrics) == 1:
        return narrate_two_periods(view)
    return narrate_value(view)


def no_data(view: View) -> str:
    names = join_words([view.name(m) for m in view.plan.metrics], view.language)
    return say(view.language, "no_data", names=names, period=view.period)


def narrate_value(view: View) -> str:
    rec = view.records[0]
    lang = view.language
    member = view.member(rec) if view.dims else ""
    parts = [(m, view.fmt(m, view.value(rec, m)) + change_clause(view, m, rec)) for m in view.metrics[:5]]
    where = word("where", member=member) if member else None
    if len(parts) == 1:
        m, text = parts[0]
        return say(lang, "value", name=view.name(m, start=True), where=where, period=view.period, value=text)
    items = [say(lang, "value_item", name=view.name(m), value=text) for m, text in parts]
    return say(
        lang,
        "values",
        period=view.period,
        where=where,
        items=joined(lang, items, "value_separator"),
        funnel=funnel_clause(view, rec),
    )


def funnel_clause(view: View, rec: Row) -> str:
    """Step conversion for a funnel (three or more counts asked together, no comparison)."""
    counts = [m for m in view.metrics if (mm := view.metric(m)) is not None and mm.unit is Unit.COUNT]
    if len(counts) < 3 or view.plan.comparison is not Comparison.NONE:
        return ""
    steps = []
    for a, b in zip(counts, counts[1:], strict=False):
        va, vb = view.value(rec, a), view.value(rec, b)
        if va and vb is not None:
            steps.append(
                say(view.language, "funnel_step", name=view.name(b), percent=format_percent(vb / va))
            )
    if not steps:
        return ""
    return say(view.language, "funnel", steps=Listing(steps))


def narrate_ranking(view: View) -> str:
    records = ordered_records(view.plan, view.fields, view.records, view.catalog)
    m = view.metrics[0]
    first, lang = records[0], view.language
    text = view.fmt(m, view.value(first, m)) + change_clause(view, m, first)
    if view.plan.intent is Intent.LAGGED:
        head = all_on_track(view, m, first, text) or say(
            lang, "lagged", member=view.member(first), period=view.period, name=view.name(m), value=text
        )
        return (
            head
            + (best_sentence(view, m, records[-1]) if len(records) > 1 else "")
            + standing(view, m, records)
        )
    key, desc = order_key(view.plan, view.fields, view.catalog)
    if len(records) == 1 or view.plan.limit == 1:
        text += others_clause(view, first, m)  # several metrics: the member's other numbers
        which = word("rank.highest" if desc else "rank.lowest")
        return say(
            lang,
            "rank_one",
            member=view.member(first),
            which=which,
            name=view.name(m),
            period=view.period,
            value=text,
        )
    shown = records[: min(5, view.plan.limit or 5)]
    listed = [
        say(lang, "rank_item", member=view.member(r), value=view.fmt(m, view.value(r, m))) for r in shown
    ]
    return say(
        lang,
        "rank_list",
        which=word("rank.top" if desc else "rank.bottom"),
        count=len(listed),
        name=view.name(m),
        period=view.period,
        items=join_words(listed, lang),
    )


def best_sentence(view: View, metric_id: str, rec: Row) -> str:
    key, _ = order_key(view.plan, view.fields, view.catalog)
    value = as_number(rec.get(key))
    shown = (
        format_percent(value)
        if key in {c.name for c in view.fields if c.role is ColumnRole.RATIO} and value is not None
        else view.fmt(metric_id, view.value(rec, metric_id))
    )
    return say(view.language, "best", member=view.member(rec), value=shown)


def narrate_breakdown(view: View) -> str:
    sentences = []
    lang = view.language
    dim_names = join_words([_dim_name(view, d) for d in view.dims], lang).lower()
    for i, m in enumerate(view.metrics[:3]):
        ranked = [r for r in view.records if view.value(r, m) is not None]
        ranked.sort(key=lambda r: view.value(r, m) or 0.0, reverse=True)
        top, bottom = ranked[0], ranked[-1]
        sentences.append(
            say(
                lang,
                "breakdown_first" if i == 0 else "breakdown_next",
                name=view.name(m, start=True),
                dimensions=dim_names,
                period=view.period,
                top=view.member(top),
                top_value=view.fmt(m, view.value(top, m)) + change_clause(view, m, top),
                bottom=view.member(bottom),
                bottom_value=view.fmt(m, view.value(bottom, m)) + change_clause(view, m, bottom),
            )
        )
    if view.metrics:
        sentences[-1] += standing(view, view.metrics[0], view.records)
    return sentences_of(lang, sentences)


def _dim_name(view: View, dim: str) -> str:
    d = view.catalog.dimensions.get(dim)
    return d.name.get(view.language) if d else dim


def narrate_trend(view: View) -> str:
    if view.dims:
        return narrate_trend_by_member(view)
    sentences = []
    lang = view.language
    for m in view.metrics[:2]:
        points = [(view.bucket(r), view.value(r, m)) for r in view.records if view.value(r, m) is not None]
        points.sort(key=lambda p: str(p[0]))
        if not points:
            continue
        partial = partial_point_words(view, m, points[-1][0], points[-1][1]) if len(points) > 2 else ""
        whole = points[:-1] if partial else points  # the headline compares whole periods only
        (p0, v0), (p1, v1) = whole[0], whole[-1]
        peak = max(whole, key=lambda p: p[1] or 0.0)
        l0, l1, lp = (point_label(p, view.plan.grain, lang) for p in (p0, p1, peak[0]))
        if partial:
            l1 += last_full_words(view)
        elif view.plan.time.partial:
            l1 += say(lang, "so_far")
        peak_txt = None if peak[0] == p1 else word("trend_peak", value=view.fmt(m, peak[1]), period=lp)
        sentences.append(
            say(
                lang,
                "trend",
                name=view.name(m, start=True),
                first=view.fmt(m, v0),
                first_period=l0,
                last=view.fmt(m, v1),
                last_period=l1,
                move=trend_move(view, m, v0 or 0.0, v1 or 0.0),
                peak=peak_txt,
            )
        )
        if partial:
            sentences.append(partial)
    last = max(view.records, key=lambda r: str(view.bucket(r)))
    complete = [r for r in view.records if bucket_progress(view.plan.time, view.bucket(r)) is None]
    if complete and len(complete) < len(view.records):  # the change of the last whole point
        last = max(complete, key=lambda r: str(view.bucket(r)))
    tail = change_clause(view, view.metrics[0], last, series_baseline_label(view, str(view.bucket(last))))
    if tail and sentences:
        lbl = point_label(view.bucket(last), view.plan.grain, lang)
        sentences.append(say(lang, "trend_last", period=lbl, change=tail.lstrip(", ")))
    return sentences_of(lang, sentences[:3]) or no_data(view)


def series_baseline_label(view: View, iso: str) -> str | None:
    """What one point of a series is compared with: the same point a year earlier, or the point before."""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return None
    if view.plan.comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        earlier = day.replace(year=day.year - 1, day=min(day.day, 28))
        return point_label(earlier.isoformat(), view.plan.grain, view.language)
    if view.plan.comparison is Comparison.OTHER_PERIOD:
        return other_point_label(view, day)
    before = sorted(p for r in view.records if (p := str(view.bucket(r))) < iso)
    return point_label(before[-1], view.plan.grain, view.language) if before else None


def trend_move(view: View, metric_id: str, v0: float, v1: float) -> str:
    metric = view.metric(metric_id)
    delta = v1 - v0
    rate = metric is not None and metric.unit is Unit.RATIO
    if delta == 0:
        size = ""
    elif rate:
        size = format_points(delta, view.language)
    elif v0:
        size = format_percent(abs(delta / v0))
    else:
        return ""
    return say(view.language, "trend_move", move=moved(delta, size, rate))


def narrate_trend_by_member(view: View) -> str:
    m = view.metrics[0]
    latest = max(str(view.bucket(r)) for r in view.records)
    rows = [r for r in view.records if str(view.bucket(r)) == latest and view.value(r, m) is not None]
    if not rows:
        return no_data(view)
    rows.sort(key=lambda r: view.value(r, m) or 0.0, reverse=True)
    top, bottom = rows[0], rows[-1]
    return say(
        view.language,
        "trend_by_member",
        name=view.name(m, start=True),
        dimensions=join_words([_dim_name(view, d) for d in view.dims], view.language).lower(),
        period=view.period,
        count=len({view.member(r) for r in view.records}),
        point=point_label(latest, view.plan.grain, view.language),
        top=view.member(top),
        top_value=view.fmt(m, view.value(top, m)),
        bottom=view.member(bottom),
        bottom_value=view.fmt(m, view.value(bottom, m)),
    )


def chart_title(plan: QueryPlan, catalog: Catalog, language: str) -> str:
    """A chart's title: the metric names and the dimensions (the period goes in the subtitle)."""
    names = [catalog.metrics[m].name.get(language) if m in catalog.metrics else m for m in plan.metrics]
    dims = [
        catalog.dimensions[d].name.get(language) if d in catalog.dimensions else d for d in plan.dimensions
    ]
    metrics = join_words(names, language)
    if dims:
        dimensions = joined(language, [d.lower() for d in dims], "title.dimension_separator")
        title = say(language, "title.by", metrics=metrics, dimensions=dimensions)
    else:
        title = say(language, "title.plain", metrics=metrics)
    if plan.grain.value == "none":
        return title
    return say(language, "title.trend_by" if dims else "title.trend", title=title)


# ---- refusals and clarifications ----------------------------------------------------------


def narrate_refusal(error: UserFacingError, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """The refusal in the asker's language, with what they can do instead."""
    text = error.message_for(language, messages).strip()
    if text and text[-1] not in ".。!?!?":
        text += messages.render("refusal.stop", language)
    if error.suggestions:
        text += messages.render("refusal.try", language, tips=Listing(error.suggestions[:5], "tips"))
    return text


def narrate_clarify(options: Sequence[str], language: str, messages: MessageCatalog = PACKAGED) -> str:
    """Ask which reading was meant, listing the options."""
    if not options:
        return messages.render("clarify.vague", language)
    shown = [option_words(o, language) for o in options]
    return messages.render("clarify.options", language, options=Listing(shown, "numbered"))


BILINGUAL_OPTION = re.compile(r"^(?P<en>[^()\u2e80-\u9fff]+) \((?P<zh>[^()]*[\u2e80-\u9fff][^()]*)\)$")


def option_words(option: str, language: str) -> str:
    """An option named in both languages ("Revenue (销售额)") as the asker reads it: Chinese first for a
    Chinese question ("销售额(Revenue)"); other options as they are."""
    match = BILINGUAL_OPTION.match(option)
    if language != "zh" or match is None:
        return option
    return f"{match.group('zh')}({match.group('en')})"


# ---- number checking ------------------------------------------------------------------------

_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE_PATTERNS = [
    r"\d{4}-\d{2}-\d{2}",
    r"\d{4}年(?:第?[一二三四]季度)?(?:\d{1,2}月)?(?:\d{1,2}日)?",
    r"\d{1,2}月(?:\d{1,2}日)?",
    rf"\b{_MONTHS}\s+\d{{1,4}}(?:,\s*\d{{4}})?",
    r"\bQ[1-4]\s*\d{4}\b|\b\d{4}\s*Q[1-4]\b|\bQ[1-4]\b",
    r"\b(?:19|20)\d{2}\b(?![.,]\d)",
    r"\b(?:last|past|next|top|bottom|first)\s+\d+",
    r"\d+\s*(?:days?|weeks?|months?|quarters?|years?|series|members?)\b",
    r"(?:近|过去|前|后)\d+",
    r"\d+\s*(?:天|周|个月|个季度|条|名)",
    r"^\s*\d+\.\s|(?<=;)\s*\d+\.\s|(?<=\?)\s*\d+\.\s",
]
DATE_RE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE | re.MULTILINE)
NUM_RE = re.compile(
    r"(?<![A-Za-z0-9_.])(?:HK\$|[¥$€£])?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    r"(\s?%|个百分点|\s?pts?\b|万|亿|[KMB](?![A-Za-z]))?"
)
SCALES = {"K": 1e3, "M": 1e6, "B": 1e9, "万": 1e4, "亿": 1e8}


@dataclass(frozen=True)
class Stated:
    """A number as a narrative states it: candidate values and the rounding it allows."""

    text: str
    candidates: tuple[tuple[float, float], ...]  # (value, rounding tolerance)


def stated_numbers(text: str) -> list[Stated]:
    """Numbers in a text, dates and period words removed, with their scale applied."""
    out = []
    for match in NUM_RE.finditer(DATE_RE.sub(" ", text)):
        whole, frac, suffix = match.group(1), match.group(2) or "", (match.group(3) or "").strip()
        base = float(whole.replace(",", "") + ("." + frac if frac else ""))
        step = 0.5 * 10 ** -len(frac)
        cands: tuple[tuple[float, float], ...]
        if suffix == "%":
            cands = ((base / 100, step / 100), (base, step))
        elif suffix in ("个百分点", "pts", "pt"):
            cands = ((base / 100, step / 100),)
        elif suffix in SCALES:
            cands = ((base * SCALES[suffix], step * SCALES[suffix]),)
        else:
            cands = ((base, step),)
        out.append(Stated(match.group(0).strip(), cands))
    return out


def derivable_values(columns: Columns, rows: Sequence[Sequence[Any]], max_pairs: int = 60) -> list[float]:
    """Every figure a faithful narrative may state: cells, changes between cells of one column
    or one row (differences, ratios, percentage changes), ``ratio − 1`` and the row count."""
    ratios = {i for i, c in enumerate(described(columns)) if c.role is ColumnRole.RATIO}
    values: set[float] = {float(len(rows))}
    cols: dict[int, list[float]] = {}
    for row in rows:
        nums = [(i, v) for i, cell in enumerate(row) if (v := as_number(cell)) is not None]
        for i, v in nums:
            values.update({abs(v), abs(v - 1)} if i in ratios else {abs(v)})
            cols.setdefault(i, []).append(v)
        values.update(_pair_values([v for _, v in nums][:16]))
    for series in cols.values():
        values.update(_pair_values(series[:max_pairs]))
    return sorted(values)


def _pair_values(nums: Sequence[float]) -> set[float]:
    out: set[float] = set()
    for i, a in enumerate(nums):
        for b in nums[i + 1 :]:
            out.add(abs(a - b))
            for x, y in ((a, b), (b, a)):
                if y:
                    out.update({abs(x / y), abs(x / y - 1)})
    return out


def check_numbers(
    text: str, columns: Columns, rows: Sequence[Sequence[Any]], *, references: Iterable[str] = ()
) -> list[str]:
    """Numbers in ``text`` that the rows do not support (allowing rounding, %, 万/亿, K/M/B and
    changes between cells). Numbers stated in ``references`` (e.g. the template) are allowed too."""
    known = derivable_values(columns, rows)
    known = sorted(
        set(known) | {c for ref in references for s in stated_numbers(ref) for c, _ in s.candidates}
    )
    return [s.text for s in stated_numbers(text) if not any(_near(known, c, tol) for c, tol in s.candidates)]


def _near(known: list[float], value: float, tol: float) -> bool:
    slack = tol + 1e-9 * abs(value)
    i = bisect.bisect_left(known, value - slack)
    return i < len(known) and known[i] <= value + slack


REPHRASE_PROMPT = (
    "Rewrite this answer so it reads naturally, in the same language. Keep every number exactly as written; "
    "add no numbers, facts or opinions. Reply with the rewritten answer only.\n\n{text}"
)


def rephrase(
    text: str,
    llm_call: Callable[[str], str],
    columns: Columns = (),
    rows: Sequence[Sequence[Any]] = (),
) -> str:
    """Let an LLM smooth a template narrative; keep its text only if it states no number that is not
    in the template (or derivable from ``rows``), else return the template unchanged."""
    try:
        candidate = (llm_call(REPHRASE_PROMPT.format(text=text)) or "").strip()
    except Exception:  # noqa: BLE001 - any provider failure falls back to the template
        return text
    if not candidate or check_numbers(candidate, columns, rows, references=[text]):
        return text
    return candidate


def filter_phrase(plan: QueryPlan, members: dict[str, list[Any]], language: str) -> str:
    """Name the members a value is filtered to when they are not a column ("East: …" / "华东:…")."""
    labels: list[str] = []
    for flt in plan.filters:
        if flt.dimension in plan.dimensions or flt.op.value == "not_in":
            continue
        labels += [member_label(members, flt.dimension, v, language) for v in flt.values]
    if not labels:
        return ""
    return say(language, "filter", members=joined(language, labels, "filter_separator", "filter_last"))

"""Words for periods in progress and pace against a target (``pace.*`` in the message catalog).

The figures come from ``pace`` (pure date arithmetic on the plan) and the result rows; these
functions only put them in the asker's language. ``narrative`` calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metricqa.assistant.presentation.formatting import format_percent, join_words, point_label
from metricqa.assistant.presentation.narrative_shapes import View
from metricqa.assistant.presentation.pace import (
    Pace,
    Progress,
    bucket_progress,
    range_progress,
    target_progress,
)
from metricqa.assistant.semantic.columns import COMPARED_ROLES, ColumnRole
from metricqa.assistant.semantic.periods import bucket_start
from metricqa.assistant.semantic.plan import Grain, QueryPlan
from metricqa.catalog.models import Catalog
from metricqa.core.messages import PACKAGED

Row = dict[str, Any]


def say(language: str, message_id: str, **params: Any) -> str:
    """The ``pace.<message_id>`` text in ``language``."""
    return PACKAGED.render(f"pace.{message_id}", language, **params)


def through_label(progress: Progress, language: str) -> str:
    """The last day with data, as a chart or sentence says it: "Nov 20" / "11月20日"."""
    return point_label(progress.through.isoformat(), Grain.DAY, language)


def progress_words(progress: Progress, language: str) -> str:
    """ "20 of 30 days, to Nov 20" / "已过20/30天,截至11月20日"."""
    return say(
        language,
        "progress",
        days=progress.elapsed_days,
        total=progress.total_days,
        through=through_label(progress, language),
    )


def row_pace(view: View, metric_id: str, rec: Row) -> Pace | None:
    """``rec``'s attainment judged on pace, when the plan is against a per-period target in progress."""
    progress = target_progress(view.plan, view.catalog, metric_id)
    ratio = view.get(rec, metric_id, ColumnRole.RATIO)
    if progress is None or ratio is None:
        return None
    return Pace(view.records.index(rec) if rec in view.records else 0, ratio, progress.share)


def target_words(view: View, metric_id: str, rec: Row) -> str | None:
    """ ", 40.5% of its ¥2.79M target with 20 of 30 days gone (pace 60.8%: behind)"; None without pace."""
    found = row_pace(view, metric_id, rec)
    progress = target_progress(view.plan, view.catalog, metric_id)
    target = view.get(rec, metric_id, *COMPARED_ROLES)
    if found is None or progress is None or target is None:
        return None
    return say(
        view.language,
        "target",
        percent=format_percent(found.attainment),
        target=view.fmt(metric_id, target),
        days=progress.elapsed_days,
        total=progress.total_days,
        pace=format_percent(found.pace),
        status=status_word(found, view.language),
    )


def status_word(found: Pace, language: str) -> str:
    return say(language, "status.on_track" if found.on_track else "status.behind")


def standing(view: View, metric_id: str, records: Sequence[Row]) -> str:
    """ " On pace: West and North behind; East on track." for two or more members against a target."""
    judged = [(r, p) for r in records if (p := row_pace(view, metric_id, r)) is not None]
    if len(judged) < 2:
        return ""
    lang = view.language
    behind = [view.member(r) for r, p in judged if not p.on_track]
    ahead = [view.member(r) for r, p in judged if p.on_track]
    return say(
        lang,
        "standing",
        behind=join_words(behind, lang) if behind else say(lang, "none"),
        on_track=join_words(ahead, lang) if ahead else say(lang, "none"),
    )


def all_on_track(view: View, metric_id: str, rec: Row, value: str) -> str | None:
    """The laggard sentence when even the lowest member is on track on pace (so none lags)."""
    found = row_pace(view, metric_id, rec)
    if found is None or not found.on_track:
        return None
    return say(
        view.language,
        "all_on_track",
        member=view.member(rec),
        period=view.period,
        name=view.name(metric_id),
        value=value,
    )


def pace_rule(plan: QueryPlan, catalog: Catalog, language: str) -> list[str]:
    """The assumptions a period in progress adds: how far it is and, against a target, the pace rule."""
    out = []
    found = series_progress(plan) if plan.time.grain is not Grain.NONE else range_progress(plan.time)
    if found is not None:
        grain = plan.time.grain if plan.time.grain is not Grain.NONE else plan.time.period
        period = point_label(found.start.isoformat(), grain, language)
        out.append(say(language, "in_progress", period=period, progress=progress_words(found, language)))
    for metric_id in plan.metrics:
        target = target_progress(plan, catalog, metric_id)
        if target is not None:
            out.append(say(language, "rule", progress=progress_words(target, language)))
            break
    return out


def series_progress(plan: QueryPlan) -> Progress | None:
    """The progress of a series' last bucket, when the range ends inside it."""
    if plan.time.grain is Grain.NONE:
        return None
    return bucket_progress(plan.time, bucket_start(plan.time.end, plan.time.grain).isoformat())


def partial_point_words(view: View, metric_id: str, bucket: Any, value: float | None) -> str:
    """ "Nov 2026 is in progress (20 of 30 days, to Nov 20): ¥15.83M so far."; "" when the point is whole."""
    progress = bucket_progress(view.plan.time, bucket)
    if progress is None:
        return ""
    lang = view.language
    return say(
        lang,
        "trend_partial",
        period=point_label(str(bucket), view.plan.grain, lang),
        progress=progress_words(progress, lang),
        value=view.fmt(metric_id, value),
    )


def last_full_words(view: View) -> str:
    """ " (the last full month)" / "(最近一个完整月)"."""
    grain = say(view.language, f"grain.{view.plan.grain.value}")
    return say(view.language, "last_full", grain=grain)

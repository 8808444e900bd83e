"""The answer's data about periods in progress and pace (``Answer.partial_periods``, ``Answer.pace``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metricqa.assistant.presentation.answer import PaceRow, PartialPeriod
from metricqa.assistant.presentation.narrative import make_view
from metricqa.assistant.presentation.narrative_pace import series_progress
from metricqa.assistant.presentation.pace import (
    Pace,
    Progress,
    bucket_progress,
    range_progress,
    target_progress,
)
from metricqa.assistant.semantic.columns import ColumnRole, Columns
from metricqa.assistant.semantic.plan import Grain, QueryPlan
from metricqa.catalog.models import Catalog


def period_record(progress: Progress, period: str | None, rows: list[int]) -> PartialPeriod:
    return PartialPeriod(
        period=period,
        start=progress.start.isoformat(),
        through=progress.through.isoformat(),
        end=progress.end.isoformat(),
        elapsed_days=progress.elapsed_days,
        total_days=progress.total_days,
        elapsed_share=round(progress.share, 6),
        rows=rows,
    )


def partial_periods(
    plan: QueryPlan, columns: Columns, rows: Sequence[Sequence[Any]], catalog: Catalog
) -> list[PartialPeriod]:
    """The series point in progress (with its rows), or the whole range when it is a period in progress."""
    view = make_view(plan, columns, rows, catalog, "en")
    if plan.time.grain is Grain.NONE or not view.has_period:
        whole = range_progress(plan.time)
        return [] if whole is None else [period_record(whole, None, list(range(len(rows))))]
    found: dict[str, tuple[Progress, list[int]]] = {}
    for i, rec in enumerate(view.records):
        progress = bucket_progress(plan.time, view.bucket(rec))
        if progress is not None:
            found.setdefault(str(view.bucket(rec)), (progress, []))[1].append(i)
    return [period_record(p, bucket, idx) for bucket, (p, idx) in found.items()]


def pace_rows(
    plan: QueryPlan, columns: Columns, rows: Sequence[Sequence[Any]], catalog: Catalog
) -> list[PaceRow]:
    """Each row's attainment on pace, for each metric against a per-period target in progress."""
    view = make_view(plan, columns, rows, catalog, "en")
    out = []
    for metric_id in view.metrics:
        progress = target_progress(plan, catalog, metric_id)
        if progress is None:
            continue
        for i, rec in enumerate(view.records):
            attainment = view.get(rec, metric_id, ColumnRole.RATIO)
            if attainment is None:
                continue
            found = Pace(i, attainment, progress.share)
            out.append(
                PaceRow(
                    row=i,
                    metric=metric_id,
                    member=view.member(rec),
                    attainment=attainment,
                    elapsed_share=round(progress.share, 6),
                    pace=round(found.pace, 6),
                    status="on_track" if found.on_track else "behind",
                )
            )
    return out


def progress_figures(
    plan: QueryPlan, catalog: Catalog, columns: Any, rows: Sequence[Sequence[Any]]
) -> list[float]:
    """The numbers these words state that are not cells: days elapsed and in the period, and each
    pace (attainment ÷ elapsed share). ``narrative.check_numbers`` accepts them as references."""
    view = make_view(plan, columns, rows, catalog, "en")
    found = [range_progress(plan.time), series_progress(plan)]
    found += [target_progress(plan, catalog, m) for m in plan.metrics]
    out: list[float] = []
    for progress in (p for p in found if p is not None):
        out += [float(progress.elapsed_days), float(progress.total_days), progress.share]
        for m in plan.metrics:
            out += [r / progress.share for rec in view.records if (r := view.get(rec, m, ColumnRole.RATIO))]
    return out

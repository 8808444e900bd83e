"""Periods in progress and pace against a target: pure functions of the plan, the catalog and the rows.

A period is *in progress* when the plan's range is ``partial`` (it ends at the as-of date inside an
unfinished calendar period). Its ``Progress`` says how far it is: the days with data of the days it
has ("20 of 30 days"). For a series, only the bucket that holds the range's end can be in progress.

**The pace rule** (one rule, stated in every answer it applies to): a target set per calendar period
(``target: {metric: …, per: month}`` in the catalog) covers the whole period, so over a period in
progress ``pace = attainment ÷ elapsed share`` (a straight-line run rate: the attainment the period
ends at if the rest of it goes as the part so far went). A member is *on track* when its pace is at
least 100 %, else *behind*; "lagged" is judged on pace. A target without ``per`` is read over the
same days as the value (already like for like) and gets no pace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metricqa.assistant.semantic.periods import bucket_start, next_bucket
from metricqa.assistant.semantic.plan import Comparison, Grain, QueryPlan, TimeRange
from metricqa.catalog.models import Catalog

ON_TRACK_AT = 1.0  # a pace of 100 % of target or more is on track


@dataclass(frozen=True)
class Progress:
    """How far a period in progress is: ``start``..``through`` has data, ``start``..``end`` is the period."""

    start: date
    through: date
    end: date

    @property
    def elapsed_days(self) -> int:
        return (self.through - self.start).days + 1

    @property
    def total_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def share(self) -> float:
        """The elapsed share of the period (0 < share < 1)."""
        return self.elapsed_days / self.total_days


@dataclass(frozen=True)
class Pace:
    """One row's attainment judged on pace."""

    row: int
    attainment: float
    share: float

    @property
    def pace(self) -> float:
        return self.attainment / self.share

    @property
    def on_track(self) -> bool:
        return self.pace >= ON_TRACK_AT


def unit_end(day: date, grain: Grain) -> date:
    """The last day of the calendar ``grain`` (week, month, quarter, year) holding ``day``."""
    return next_bucket(bucket_start(day, grain), grain) - timedelta(days=1)


def progress_to(start: date, through: date, grain: Grain) -> Progress | None:
    """``start``..``through`` as part of the ``grain`` period holding ``through``; None when that
    period is over (or there is no grain)."""
    if grain in (Grain.NONE, Grain.DAY):
        return None
    end = unit_end(through, grain)
    return Progress(start, through, end) if end > through and start <= through else None


def range_progress(time: TimeRange) -> Progress | None:
    """The plan's whole range, when it is a calendar period in progress ("this month" on Nov 20)."""
    return progress_to(time.start, time.end, time.period) if time.partial else None


def bucket_progress(time: TimeRange, bucket: Any) -> Progress | None:
    """A series point in progress: the bucket holding the range's end, when its period goes on after it."""
    if not time.partial or time.grain is Grain.NONE:
        return None
    try:
        first = date.fromisoformat(str(bucket)[:10])
    except ValueError:
        return None
    if bucket_start(time.end, time.grain) != first:
        return None
    return progress_to(max(first, time.start), time.end, time.grain)


def target_unit(catalog: Catalog, metric_id: str) -> Grain:
    """The calendar period ``metric_id``'s target is set per (``target.per``), or none."""
    metric = catalog.metrics.get(metric_id)
    per = metric.target.per if metric is not None and metric.target is not None else None
    return Grain(per) if per else Grain.NONE


def target_progress(plan: QueryPlan, catalog: Catalog, metric_id: str) -> Progress | None:
    """How far the days a target covers have gone: from the range's start to the end of the target's
    period that holds the range's end; None when the plan is not against a per-period target or the
    range is not in progress."""
    if plan.comparison is not Comparison.TARGET or not plan.time.partial:
        return None
    return progress_to(plan.time.start, plan.time.end, target_unit(catalog, metric_id))


def paces(attainments: Sequence[float | None], progress: Progress) -> list[Pace]:
    """Each known attainment on pace, by row index."""
    return [Pace(i, a, progress.share) for i, a in enumerate(attainments) if a is not None]

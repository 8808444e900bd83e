"""Date arithmetic for comparisons: the baseline of a range, and how far back a series bucket's baseline lies.

Pure functions over ``datetime.date``; no I/O. Month arithmetic clamps the day (Mar 31 − 1 month =
Feb 28), and a range that ends on a month end keeps ending on a month end (Feb 1–28 − 1 month =
Jan 1–31), so whole months compare with whole months.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from metricqa.assistant.semantic.plan import Comparison, Grain, TimeRange


@dataclass(frozen=True)
class Shift:
    """A step back in time: ``months`` calendar months plus ``days`` days."""

    months: int = 0
    days: int = 0


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def is_month_end(d: date) -> bool:
    return d == month_end(d)


def shift(d: date, months: int = 0, years: int = 0) -> date:
    """``d`` moved by ``months`` + 12 × ``years`` (negative = back), the day clamped to the month's length."""
    index = d.year * 12 + (d.month - 1) + months + 12 * years
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def shift_end(d: date, months: int) -> date:
    """Like ``shift`` for the last day of a range: a month end stays a month end."""
    moved = shift(d, months=months)
    return month_end(moved) if is_month_end(d) else moved


def months_spanned(start: date, end: date) -> int:
    """Calendar months touched by ``start``..``end`` (Nov 1–20 → 1; Jul 1–Sep 30 → 3)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def back(start: date, end: date, step: Shift) -> tuple[date, date]:
    """The range ``start``..``end`` moved back by ``step``."""
    if step.months:
        start, end = shift(start, months=-step.months), shift_end(end, -step.months)
    days = timedelta(days=step.days)
    return start - days, end - days


_PERIOD_STEP: dict[Grain, Shift] = {
    Grain.WEEK: Shift(days=7),
    Grain.MONTH: Shift(months=1),
    Grain.QUARTER: Shift(months=3),
    Grain.YEAR: Shift(months=12),
}


def baseline_range(time: TimeRange, comparison: Comparison) -> tuple[date, date]:
    """The range a whole-range comparison compares ``time`` with.

    same_period_last_year: both ends one year back. previous_period: a range starting on a month's
    first day and ending on a month end (or partial, ending at the as-of date) moves back by the
    months it spans (Nov 1–20 → Oct 1–20, Q3 → Q2, a year → the year before); any other range moves
    back by its own length in days (the last 7 days → the 7 days before).
    """
    start, end = time.start, time.end
    if comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        return back(start, end, Shift(months=12))
    if comparison is not Comparison.PREVIOUS_PERIOD:
        raise ValueError(f"no baseline range for comparison {comparison.value!r}")
    if time.period in _PERIOD_STEP:  # one calendar period back, same days ("this quarter so far")
        return back(start, end, _PERIOD_STEP[time.period])
    if start.day == 1 and (is_month_end(end) or time.partial):
        return back(start, end, Shift(months=months_spanned(start, end)))
    return back(start, end, Shift(days=(end - start).days + 1))


_PREVIOUS_BUCKET: dict[Grain, Shift] = {
    Grain.DAY: Shift(days=1),
    Grain.WEEK: Shift(days=7),
    Grain.MONTH: Shift(months=1),
    Grain.QUARTER: Shift(months=3),
    Grain.YEAR: Shift(months=12),
}


def grain_shift(grain: Grain, comparison: Comparison) -> Shift:
    """How far back each bucket of a series finds its baseline bucket.

    previous_period: one bucket back. same_period_last_year: one year back, except weekly series,
    which go back 52 weeks so that weeks stay aligned on their first weekday.
    """
    if grain is Grain.NONE:
        raise ValueError("grain_shift needs a series grain")
    if comparison is Comparison.PREVIOUS_PERIOD:
        return _PREVIOUS_BUCKET[grain]
    if comparison is Comparison.SAME_PERIOD_LAST_YEAR:
        return Shift(days=364) if grain is Grain.WEEK else Shift(months=12)
    raise ValueError(f"no bucket shift for comparison {comparison.value!r}")


def series_baseline_range(time: TimeRange, comparison: Comparison) -> tuple[date, date]:
    """The overall range whose buckets, moved forward by ``grain_shift``, are a series' baselines."""
    return back(time.start, time.end, grain_shift(time.grain, comparison))


# --- buckets and windows (time spines, cumulative metrics) ------------------------------------------

_BUCKET_MONTHS = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}


def bucket_start(d: date, grain: Grain) -> date:
    """The first day of the bucket holding ``d``, as ``DATE_TRUNC`` gives it (weeks start on Monday)."""
    if grain is Grain.DAY:
        return d
    if grain is Grain.WEEK:
        return d - timedelta(days=d.weekday())
    if grain in _BUCKET_MONTHS:
        size = _BUCKET_MONTHS[grain]
        return date(d.year, size * ((d.month - 1) // size) + 1, 1)
    raise ValueError(f"no buckets for grain {grain.value!r}")


def next_bucket(start: date, grain: Grain) -> date:
    """The first day of the bucket after the one starting on ``start``."""
    if grain is Grain.DAY:
        return start + timedelta(days=1)
    if grain is Grain.WEEK:
        return start + timedelta(days=7)
    return shift(start, months=_BUCKET_MONTHS[grain])


def buckets(start: date, end: date, grain: Grain) -> list[date]:
    """The first days of the buckets of ``grain`` that ``start``..``end`` touches, in order."""
    out: list[date] = []
    moment = bucket_start(start, grain)
    while moment <= end:
        out.append(moment)
        moment = next_bucket(moment, grain)
    return out


def forward(d: date, step: Shift) -> date:
    """``d`` moved forward by ``step`` (the inverse of ``back`` for one day)."""
    return shift(d, months=step.months) + timedelta(days=step.days)


def unit_shift(count: int, unit: str) -> Shift:
    """``count`` units of time (``7 day``, ``3 month``) as a Shift."""
    grain = Grain(unit)
    if grain is Grain.DAY:
        return Shift(days=count)
    if grain is Grain.WEEK:
        return Shift(days=7 * count)
    return Shift(months=_BUCKET_MONTHS[grain] * count)

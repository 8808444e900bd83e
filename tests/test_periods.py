"""Baseline ranges for comparisons (assistant/periods.py)."""

from __future__ import annotations

from datetime import date

import pytest

from metricqa.assistant.semantic.periods import (
    Shift,
    baseline_range,
    grain_shift,
    series_baseline_range,
    shift,
)
from metricqa.assistant.semantic.plan import Comparison, Grain, TimeRange

PREV, YOY = Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_YEAR


def tr(start: str, end: str, *, partial: bool = False, grain: Grain = Grain.NONE) -> TimeRange:
    return TimeRange(
        start=date.fromisoformat(start), end=date.fromisoformat(end), partial=partial, grain=grain
    )


@pytest.mark.parametrize(
    ("d", "months", "years", "expected"),
    [
        ("2026-03-31", -1, 0, "2026-02-28"),
        ("2024-03-31", -1, 0, "2024-02-29"),
        ("2026-01-15", -1, 0, "2025-12-15"),
        ("2024-02-29", 0, -1, "2023-02-28"),
        ("2026-11-20", 2, 0, "2027-01-20"),
        ("2026-05-31", -15, 0, "2025-02-28"),
    ],
)
def test_shift_clamps_the_day(d: str, months: int, years: int, expected: str) -> None:
    assert shift(date.fromisoformat(d), months=months, years=years) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("time", "comparison", "expected"),
    [
        (tr("2026-11-01", "2026-11-20", partial=True), PREV, ("2026-10-01", "2026-10-20")),  # month to date
        (tr("2026-10-01", "2026-10-31"), PREV, ("2026-09-01", "2026-09-30")),  # a month
        (tr("2026-03-01", "2026-03-31"), PREV, ("2026-02-01", "2026-02-28")),
        (tr("2026-02-01", "2026-02-28"), PREV, ("2026-01-01", "2026-01-31")),  # month end stays month end
        (tr("2026-07-01", "2026-09-30"), PREV, ("2026-04-01", "2026-06-30")),  # Q3 → Q2
        (tr("2026-10-01", "2026-12-31"), PREV, ("2026-07-01", "2026-09-30")),  # Q4 → Q3
        (tr("2025-01-01", "2025-12-31"), PREV, ("2024-01-01", "2024-12-31")),  # a year
        (tr("2026-11-14", "2026-11-20"), PREV, ("2026-11-07", "2026-11-13")),  # last 7 days
        (tr("2026-11-20", "2026-11-20"), PREV, ("2026-11-19", "2026-11-19")),  # a day
        (tr("2026-11-16", "2026-11-20", partial=True), PREV, ("2026-11-11", "2026-11-15")),  # week to date
        (tr("2026-11-01", "2026-11-20", partial=True), YOY, ("2025-11-01", "2025-11-20")),
        (tr("2024-02-01", "2024-02-29"), YOY, ("2023-02-01", "2023-02-28")),  # Feb 29 → Feb 28
        (tr("2025-02-01", "2025-02-28"), YOY, ("2024-02-01", "2024-02-29")),  # whole February
        (tr("2026-07-01", "2026-09-30"), YOY, ("2025-07-01", "2025-09-30")),
    ],
)
def test_baseline_range(time: TimeRange, comparison: Comparison, expected: tuple[str, str]) -> None:
    assert baseline_range(time, comparison) == tuple(date.fromisoformat(d) for d in expected)


def test_baseline_range_needs_a_period_comparison() -> None:
    with pytest.raises(ValueError):
        baseline_range(tr("2026-11-01", "2026-11-20"), Comparison.TARGET)


@pytest.mark.parametrize(
    ("grain", "comparison", "expected"),
    [
        (Grain.DAY, PREV, Shift(days=1)),
        (Grain.WEEK, PREV, Shift(days=7)),
        (Grain.MONTH, PREV, Shift(months=1)),
        (Grain.QUARTER, PREV, Shift(months=3)),
        (Grain.YEAR, PREV, Shift(months=12)),
        (Grain.WEEK, YOY, Shift(days=364)),
        (Grain.MONTH, YOY, Shift(months=12)),
    ],
)
def test_grain_shift(grain: Grain, comparison: Comparison, expected: Shift) -> None:
    assert grain_shift(grain, comparison) == expected


def test_series_baseline_range_moves_back_one_bucket() -> None:
    months = tr("2026-01-01", "2026-11-20", partial=True, grain=Grain.MONTH)
    assert series_baseline_range(months, PREV) == (date(2025, 12, 1), date(2026, 10, 20))
    assert series_baseline_range(months, YOY) == (date(2025, 1, 1), date(2025, 11, 20))
    whole = tr("2026-01-01", "2026-10-31", grain=Grain.MONTH)
    assert series_baseline_range(whole, PREV) == (date(2025, 12, 1), date(2026, 9, 30))
    with pytest.raises(ValueError):
        grain_shift(Grain.NONE, PREV)

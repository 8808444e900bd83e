"""Periods in progress and pace against a target, on a warehouse and catalog that are not the demo.

A subscription business (tests/planner_table.py's catalog) whose MRR goal is set per month (dated on
the month's first day, ``target: {metric: mrr_target, per: month}``), as of 2026-11-20: November is 20
of its 30 days in. The same data with the goal spread over every day (no ``per``) gets no pace.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from goal_fixture import EXEC, build

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.presentation.pace import Progress, bucket_progress, progress_to, range_progress
from metricqa.assistant.semantic.plan import Grain, TimeRange


@pytest.fixture(scope="module")
def monthly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    assistant = build(tmp_path_factory.mktemp("monthly"), "month")
    yield assistant
    assistant.close()


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    assistant = build(tmp_path_factory.mktemp("daily"), None)
    yield assistant
    assistant.close()


# ---- the date arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "through", "grain", "expected"),
    [
        (date(2026, 11, 1), date(2026, 11, 20), Grain.MONTH, (20, 30)),
        (date(2026, 10, 1), date(2026, 11, 20), Grain.MONTH, (51, 61)),  # from the range's start
        (date(2024, 2, 1), date(2024, 2, 10), Grain.MONTH, (10, 29)),  # a leap February
        (date(2026, 10, 1), date(2026, 11, 20), Grain.QUARTER, (51, 92)),
        (date(2026, 1, 1), date(2026, 11, 20), Grain.YEAR, (324, 365)),
        (date(2026, 11, 16), date(2026, 11, 18), Grain.WEEK, (3, 7)),  # weeks start on Monday
    ],
)
def test_progress_counts_days(start: date, through: date, grain: Grain, expected: tuple[int, int]) -> None:
    progress = progress_to(start, through, grain)
    assert progress is not None and (progress.elapsed_days, progress.total_days) == expected


def test_a_finished_period_is_not_in_progress() -> None:
    assert progress_to(date(2026, 10, 1), date(2026, 10, 31), Grain.MONTH) is None
    assert progress_to(date(2026, 11, 1), date(2026, 11, 20), Grain.NONE) is None
    whole = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31), period=Grain.MONTH)
    assert range_progress(whole) is None
    series = TimeRange(start=date(2026, 1, 1), end=date(2026, 11, 20), grain=Grain.MONTH, partial=True)
    assert bucket_progress(series, "2026-10-01") is None
    assert bucket_progress(series, "2026-11-01") == Progress(
        date(2026, 11, 1), date(2026, 11, 20), date(2026, 11, 30)
    )


# ---- through the pipeline --------------------------------------------------------------------


def pace_of(answer: Any, member: str) -> Any:
    return next(p for p in answer.pace if p.member == member)


def test_target_in_progress_is_judged_on_pace(monthly: Assistant) -> None:
    ans = monthly.ask("MRR by plan this month vs target", EXEC)
    assert ans.status == "answered", ans.reason
    # Nov 1–20: Basic 20 × 10 = 200 of 280 (71.4%, pace 107.1%: on track); Pro 600 of 1000 (60%, pace 90%)
    basic, pro = pace_of(ans, "Basic"), pace_of(ans, "Pro")
    assert basic.attainment == pytest.approx(200 / 280) and basic.pace == pytest.approx(200 / 280 * 1.5)
    assert basic.status == "on_track" and pro.status == "behind" and pro.pace == pytest.approx(0.9)
    assert [p.elapsed_share for p in ans.pace] == [pytest.approx(2 / 3)] * 3
    assert (
        "pace 107.1%: on track" in ans.answer
        and "On pace: Pro behind; Enterprise and Basic on track" in ans.answer
    )
    assert any(a.startswith("Pace = attainment ÷ share of the period elapsed") for a in ans.assumptions)
    [period] = ans.partial_periods
    assert (period.period, period.elapsed_days, period.total_days, period.through) == (
        None,
        20,
        30,
        "2026-11-20",
    )
    assert period.rows == list(range(len(ans.rows)))


def test_laggard_is_named_with_its_pace_in_chinese(monthly: Assistant) -> None:
    ans = monthly.ask("本月哪个套餐拖后腿了", EXEC)
    assert ans.status == "answered", ans.reason
    assert ans.answer.startswith("2026年11月(截至11月20日)专业版落后")
    assert "时间已过20/30天,按进度折算90.0%,落后于进度" in ans.answer
    assert any(a.startswith("进度 = 目标完成率") for a in ans.assumptions)
    assert all(p.status in ("on_track", "behind") for p in ans.pace) and ans.pace


def test_a_target_read_over_the_same_days_gets_no_pace(daily: Assistant) -> None:
    ans = daily.ask("MRR by plan this month vs target", EXEC)
    assert ans.status == "answered", ans.reason
    assert ans.pace == [] and "pace" not in ans.answer
    assert [p.elapsed_days for p in ans.partial_periods] == [20]  # still a period in progress


def test_trend_headline_compares_whole_months(monthly: Assistant) -> None:
    ans = monthly.ask("monthly MRR trend this year", EXEC)
    assert ans.status == "answered", ans.reason
    # every whole month holds 30 or 31 days of 130/day; November holds 20 days: a drop that is the calendar
    assert "in Oct 2026 (the last full month)" in ans.answer
    assert "Nov 2026 is in progress (20 of 30 days, to Nov 20)" in ans.answer
    [period] = ans.partial_periods
    assert period.period == "2026-11-01" and (period.elapsed_days, period.total_days) == (20, 30)
    assert [ans.rows[i][ans.columns.index("period")] for i in period.rows] == ["2026-11-01"]
    assert ans.chart is not None and ans.chart.type == "line"

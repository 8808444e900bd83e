"""Time expressions → ranges, as of Friday 2026-11-20 (weeks start on Monday)."""

from __future__ import annotations

from datetime import date

import pytest

from metricqa.assistant.semantic.plan import Grain
from metricqa.assistant.understanding.timeparse import parse_time, this_month, trend_window

AS_OF = date(2026, 11, 20)
D = date

CASES = [
    ("today", D(2026, 11, 20), D(2026, 11, 20)),
    ("yesterday", D(2026, 11, 19), D(2026, 11, 19)),
    ("昨天", D(2026, 11, 19), D(2026, 11, 19)),
    ("this week", D(2026, 11, 16), D(2026, 11, 20)),
    ("本周", D(2026, 11, 16), D(2026, 11, 20)),
    ("last week", D(2026, 11, 9), D(2026, 11, 15)),
    ("上周", D(2026, 11, 9), D(2026, 11, 15)),
    ("this month", D(2026, 11, 1), D(2026, 11, 20)),
    ("本月", D(2026, 11, 1), D(2026, 11, 20)),
    ("last month", D(2026, 10, 1), D(2026, 10, 31)),
    ("上个月", D(2026, 10, 1), D(2026, 10, 31)),
    ("this quarter", D(2026, 10, 1), D(2026, 11, 20)),
    ("本季度", D(2026, 10, 1), D(2026, 11, 20)),
    ("last quarter", D(2026, 7, 1), D(2026, 9, 30)),
    ("上季度", D(2026, 7, 1), D(2026, 9, 30)),
    ("this year", D(2026, 1, 1), D(2026, 11, 20)),
    ("今年", D(2026, 1, 1), D(2026, 11, 20)),
    ("last year", D(2025, 1, 1), D(2025, 12, 31)),
    ("去年", D(2025, 1, 1), D(2025, 12, 31)),
    ("YTD", D(2026, 1, 1), D(2026, 11, 20)),
    ("QTD", D(2026, 10, 1), D(2026, 11, 20)),
    ("MTD", D(2026, 11, 1), D(2026, 11, 20)),
    ("last 7 days", D(2026, 11, 14), D(2026, 11, 20)),
    ("近7天", D(2026, 11, 14), D(2026, 11, 20)),
    ("最近30天", D(2026, 10, 22), D(2026, 11, 20)),
    ("past 2 weeks", D(2026, 11, 2), D(2026, 11, 15)),
    ("last 3 months", D(2026, 8, 1), D(2026, 10, 31)),
    ("过去3个月", D(2026, 8, 1), D(2026, 10, 31)),
    ("近三个月", D(2026, 8, 1), D(2026, 10, 31)),
    ("last 12 months", D(2025, 11, 1), D(2026, 10, 31)),
    ("March", D(2026, 3, 1), D(2026, 3, 31)),
    ("in December", D(2025, 12, 1), D(2025, 12, 31)),
    ("November", D(2026, 11, 1), D(2026, 11, 20)),
    ("in March 2025", D(2025, 3, 1), D(2025, 3, 31)),
    ("3月", D(2026, 3, 1), D(2026, 3, 31)),
    ("十二月", D(2025, 12, 1), D(2025, 12, 31)),
    ("2025年3月", D(2025, 3, 1), D(2025, 3, 31)),
    ("Q3 2025", D(2025, 7, 1), D(2025, 9, 30)),
    ("2025 Q3", D(2025, 7, 1), D(2025, 9, 30)),
    ("2025年第三季度", D(2025, 7, 1), D(2025, 9, 30)),
    ("三季度", D(2026, 7, 1), D(2026, 9, 30)),
    ("Q4", D(2026, 10, 1), D(2026, 11, 20)),
    ("2025", D(2025, 1, 1), D(2025, 12, 31)),
    ("2025年", D(2025, 1, 1), D(2025, 12, 31)),
    ("from 2025-01-01 to 2025-03-31", D(2025, 1, 1), D(2025, 3, 31)),
    ("2025年1月到3月", D(2025, 1, 1), D(2025, 3, 31)),
    ("between January and March 2025", D(2025, 1, 1), D(2025, 3, 31)),
    ("2026-11-02", D(2026, 11, 2), D(2026, 11, 2)),
]


@pytest.mark.parametrize(("text", "start", "end"), CASES, ids=[c[0] for c in CASES])
def test_ranges(text: str, start: date, end: date) -> None:
    found = parse_time(f"revenue {text}", AS_OF)
    assert found is not None
    assert (found.range.start, found.range.end) == (start, end)
    assert found.range.partial == (
        end == AS_OF and found.range.start.day != 20 and text not in ("last 7 days", "近7天", "最近30天")
    )


@pytest.mark.parametrize(
    "text", ["revenue by region", "vs last month", "去年同期", "you may see", "top 3 products", "比上月"]
)
def test_no_period(text: str) -> None:
    assert parse_time(text, AS_OF) is None


def test_labels_say_partial() -> None:
    found = parse_time("this month", AS_OF)
    assert found is not None
    assert found.range.label == "November 2026 so far (to Nov 20)"
    assert found.range.label_zh == "2026年11月(截至11月20日)"
    assert parse_time("上季度", AS_OF).range.label_zh == "2026年第三季度"  # type: ignore[union-attr]
    assert parse_time("last 7 days", AS_OF).range.label == "last 7 days (Nov 14 – Nov 20, 2026)"  # type: ignore[union-attr]


def test_span_points_into_the_question() -> None:
    question = "上月各区域销售额"
    found = parse_time(question, AS_OF)
    assert found is not None and question[found.start : found.end] == "上月" == found.text


def test_defaults() -> None:
    assert this_month(AS_OF).partial and this_month(date(2026, 11, 30)).partial is False
    window = trend_window(AS_OF, Grain.MONTH)
    assert (window.start, window.end, window.grain) == (date(2025, 11, 1), AS_OF, Grain.MONTH)
    assert trend_window(AS_OF, Grain.WEEK).start == date(2026, 8, 24)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("今年上半年销售额", date(2026, 1, 1), date(2026, 6, 30)),
        ("去年下半年的订单数", date(2025, 7, 1), date(2025, 12, 31)),
        ("2025年上半年", date(2025, 1, 1), date(2025, 6, 30)),
        ("gross profit for the first half of 2025", date(2025, 1, 1), date(2025, 6, 30)),
        ("revenue H2 2025", date(2025, 7, 1), date(2025, 12, 31)),
        ("second half of last year", date(2025, 7, 1), date(2025, 12, 31)),
        ("下半年", date(2026, 7, 1), date(2026, 11, 20)),
        ("前年的销售额", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_half_years_and_year_before_last(text: str, start: date, end: date) -> None:
    match = parse_time(text, date(2026, 11, 20), "zh")
    assert match is not None
    assert (match.range.start, match.range.end) == (start, end)

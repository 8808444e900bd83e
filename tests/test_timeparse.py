"""Time expressions → ranges, as of Friday 2026-11-20 (weeks start on Monday)."""

from __future__ import annotations

from datetime import date

import pytest

from metricqa.assistant.semantic.plan import Grain
from metricqa.assistant.understanding.timegrammar_tokens import build_lexicon, tokenize
from metricqa.assistant.understanding.timegrammar_words import TimeWordsError, load_words, parse_words
from metricqa.assistant.understanding.timeparse import (
    EN_NUMBERS,
    TimeMatch,
    TimeReading,
    parse_time,
    read_periods,
    this_month,
    trend_window,
    zh_number,
)

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
    window = trend_window(AS_OF, Grain.MONTH)  # by month: this year so far
    assert (window.start, window.end, window.grain) == (date(2026, 1, 1), AS_OF, Grain.MONTH)
    assert window.label == "2026 so far (to Nov 20)"
    early = trend_window(date(2026, 2, 10), Grain.MONTH)  # too few months this year: the last 12
    assert (early.start, early.end) == (date(2025, 2, 1), date(2026, 2, 10))
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


# ---- the time grammar: shapes, at two as-of dates --------------------------------------------------
# Each case: question, the range as of 2026-11-20 (Friday) and as of 2025-03-15 (Saturday), so that no
# rule is tuned to the demo's date. A range is (start, end) or (start, end, partial).

EARLY = date(2025, 3, 15)
Span = tuple[str, str] | tuple[str, str, bool]

OPEN_RANGES: list[tuple[str, Span, Span]] = [
    ("refunds since August", ("2026-08-01", "2026-11-20", True), ("2024-08-01", "2025-03-15", True)),
    ("signups since agust", ("2026-08-01", "2026-11-20", True), ("2024-08-01", "2025-03-15", True)),
    ("tickets from June to now", ("2026-06-01", "2026-11-20", True), ("2024-06-01", "2025-03-15", True)),
    ("cancellations June till today", ("2026-06-01", "2026-11-20", True), ("2024-06-01", "2025-03-15", True)),
    ("churn from July until now", ("2026-07-01", "2026-11-20", True), ("2024-07-01", "2025-03-15", True)),
    ("leads since the beginning of Q3", ("2026-07-01", "2026-11-20", True), ("2024-07-01", "2025-03-15", True)),
    ("visits since Oct 3", ("2026-10-03", "2026-11-20", True), ("2024-10-03", "2025-03-15", True)),
    ("from March 2025 onwards", ("2025-03-01", "2026-11-20", True), ("2025-03-01", "2025-03-15", True)),
    ("8月以来的回款额", ("2026-08-01", "2026-11-20", True), ("2024-08-01", "2025-03-15", True)),
    ("3月至今的新客户数", ("2026-03-01", "2026-11-20", True), ("2025-03-01", "2025-03-15", True)),
    ("自从10月以来的订单", ("2026-10-01", "2026-11-20", True), ("2024-10-01", "2025-03-15", True)),
    ("从6月到现在的毛利", ("2026-06-01", "2026-11-20", True), ("2024-06-01", "2025-03-15", True)),
    ("10月8号至今", ("2026-10-08", "2026-11-20", True), ("2024-10-08", "2025-03-15", True)),
    ("双十二以来的订单量", ("2025-12-12", "2026-11-20", True), ("2024-12-12", "2025-03-15", True)),
    ("年初至今的销售额", ("2026-01-01", "2026-11-20", True), ("2025-01-01", "2025-03-15", True)),
    ("去年9月起的退货率", ("2025-09-01", "2026-11-20", True), ("2024-09-01", "2025-03-15", True)),
]  # fmt: skip

EXPLICIT_RANGES: list[tuple[str, Span, Span]] = [
    ("profit between March and May", ("2026-03-01", "2026-05-31"), ("2025-03-01", "2025-03-15", True)),
    ("3月到5月的毛利", ("2026-03-01", "2026-05-31"), ("2025-03-01", "2025-03-15", True)),
    ("Mar-May orders", ("2026-03-01", "2026-05-31"), ("2025-03-01", "2025-03-15", True)),
    ("2-4月各渠道的订单", ("2026-02-01", "2026-04-30"), ("2025-02-01", "2025-03-15", True)),
    ("orders Mar thru Jun 2025", ("2025-03-01", "2025-06-30"), ("2025-03-01", "2025-03-15", True)),
    ("leads January 1 to June 30, 2025", ("2025-01-01", "2025-06-30"), ("2025-01-01", "2025-03-15", True)),
    ("cost Sep 3 thru Oct 12", ("2026-09-03", "2026-10-12"), ("2024-09-03", "2024-10-12")),
    ("returns Dec to Feb", ("2025-12-01", "2026-02-28"), ("2024-12-01", "2025-02-28")),
    ("从去年11月到今年2月的回款", ("2025-11-01", "2026-02-28"), ("2024-11-01", "2025-02-28")),
    ("一到三季度的订单", ("2026-01-01", "2026-09-30"), ("2025-01-01", "2025-03-15", True)),
    ("Q1-Q3 2024 revenue", ("2024-01-01", "2024-09-30"), ("2024-01-01", "2024-09-30")),
    ("revenue 2023 to 2024", ("2023-01-01", "2024-12-31"), ("2023-01-01", "2024-12-31")),
    ("from 2024/11/05 through 2024/12/20", ("2024-11-05", "2024-12-20"), ("2024-11-05", "2024-12-20")),
    ("2024年11月5日至12月20日", ("2024-11-05", "2024-12-20"), ("2024-11-05", "2024-12-20")),
]  # fmt: skip

COMPOSED: list[tuple[str, Span, Span]] = [
    ("sales in the last quarter of 2025", ("2025-10-01", "2025-12-31"), ("2025-10-01", "2025-12-31")),
    ("the last quarter of last year", ("2025-10-01", "2025-12-31"), ("2024-10-01", "2024-12-31")),
    ("churn for Q4 of last year", ("2025-10-01", "2025-12-31"), ("2024-10-01", "2024-12-31")),
    ("gp q4 last yr", ("2025-10-01", "2025-12-31"), ("2024-10-01", "2024-12-31")),
    ("去年12月的退款", ("2025-12-01", "2025-12-31"), ("2024-12-01", "2024-12-31")),
    ("去年第四季度的毛利", ("2025-10-01", "2025-12-31"), ("2024-10-01", "2024-12-31")),
    ("去年的3月", ("2025-03-01", "2025-03-31"), ("2024-03-01", "2024-03-31")),
    ("去年上半年的订单", ("2025-01-01", "2025-06-30"), ("2024-01-01", "2024-06-30")),
    ("前年下半年", ("2024-07-01", "2024-12-31"), ("2023-07-01", "2023-12-31")),
    ("margin, first half of last year", ("2025-01-01", "2025-06-30"), ("2024-01-01", "2024-06-30")),
    ("the last month of 2025", ("2025-12-01", "2025-12-31"), ("2025-12-01", "2025-12-31")),
    ("the first quarter of this year", ("2026-01-01", "2026-03-31"), ("2025-01-01", "2025-03-15", True)),
    ("去年最后一个月", ("2025-12-01", "2025-12-31"), ("2024-12-01", "2024-12-31")),
    ("2024年的第三季度", ("2024-07-01", "2024-09-30"), ("2024-07-01", "2024-09-30")),
    ("march of 2024", ("2024-03-01", "2024-03-31"), ("2024-03-01", "2024-03-31")),
    ("2024-q2", ("2024-04-01", "2024-06-30"), ("2024-04-01", "2024-06-30")),
    ("Jan 15th 2025", ("2025-01-15", "2025-01-15"), ("2025-01-15", "2025-01-15")),
    ("last March", ("2026-03-01", "2026-03-31"), ("2024-03-01", "2024-03-31")),
    ("next March", ("2027-03-01", "2027-03-31"), ("2026-03-01", "2026-03-31")),
    ("this month last year", ("2025-11-01", "2025-11-30"), ("2024-03-01", "2024-03-31")),
    ("去年今天", ("2025-11-20", "2025-11-20"), ("2024-03-15", "2024-03-15")),
    ("the month before last", ("2026-09-01", "2026-09-30"), ("2025-01-01", "2025-01-31")),
    ("上上个月的转化率", ("2026-09-01", "2026-09-30"), ("2025-01-01", "2025-01-31")),
    ("revenue year-to-date", ("2026-01-01", "2026-11-20", True), ("2025-01-01", "2025-03-15", True)),
    ("近半年", ("2026-05-01", "2026-10-31"), ("2024-09-01", "2025-02-28")),
    ("prev qtr", ("2026-07-01", "2026-09-30"), ("2024-10-01", "2024-12-31")),
    ("last quater", ("2026-07-01", "2026-09-30"), ("2024-10-01", "2024-12-31")),
    ("orders yesturday", ("2026-11-19", "2026-11-19"), ("2025-03-14", "2025-03-14")),
    ("Septmber signups", ("2026-09-01", "2026-09-30"), ("2024-09-01", "2024-09-30")),
    ("past 6 mos", ("2026-05-01", "2026-10-31"), ("2024-09-01", "2025-02-28")),
    ("last yr", ("2025-01-01", "2025-12-31"), ("2024-01-01", "2024-12-31")),
    ("今年双十一当天", ("2026-11-11", "2026-11-11"), ("2025-11-11", "2025-11-11")),
    ("今年前三季度", ("2026-01-01", "2026-09-30"), ("2025-01-01", "2025-03-15", True)),
    ("the first 2 months of 2025", ("2025-01-01", "2025-02-28"), ("2025-01-01", "2025-02-28")),
    ("11月前10天", ("2026-11-01", "2026-11-10"), ("2024-11-01", "2024-11-10")),
    ("前3个月", ("2026-08-01", "2026-10-31"), ("2024-12-01", "2025-02-28")),
    ("orders the week of Nov 9", ("2026-11-09", "2026-11-15"), ("2024-11-04", "2024-11-10")),
    ("3月9日当周", ("2026-03-09", "2026-03-15"), ("2025-03-03", "2025-03-09")),
    ("本月1号以来", ("2026-11-01", "2026-11-20", True), ("2025-03-01", "2025-03-15", True)),
    ("上个月15号", ("2026-10-15", "2026-10-15"), ("2025-02-15", "2025-02-15")),
    ("three months ago", ("2026-08-01", "2026-08-31"), ("2024-12-01", "2024-12-31")),
    ("两年前", ("2024-01-01", "2024-12-31"), ("2023-01-01", "2023-12-31")),
    ("q1'25 signups", ("2025-01-01", "2025-03-31"), ("2025-01-01", "2025-03-15", True)),
]  # fmt: skip

FUTURE: list[tuple[str, Span, Span]] = [
    ("what is next month's target", ("2026-12-01", "2026-12-31"), ("2025-04-01", "2025-04-30")),
    ("下个月各区域的目标", ("2026-12-01", "2026-12-31"), ("2025-04-01", "2025-04-30")),
    ("quota for next quarter", ("2027-01-01", "2027-03-31"), ("2025-04-01", "2025-06-30")),
    ("明年的销售目标", ("2027-01-01", "2027-12-31"), ("2026-01-01", "2026-12-31")),
    ("下周的排班", ("2026-11-23", "2026-11-29"), ("2025-03-17", "2025-03-23")),
    ("plan for the next 3 months", ("2026-12-01", "2027-02-28"), ("2025-04-01", "2025-06-30")),
    ("未来两周", ("2026-11-23", "2026-12-06"), ("2025-03-17", "2025-03-30")),
]  # fmt: skip

SHAPES = OPEN_RANGES + EXPLICIT_RANGES + COMPOSED + FUTURE
SHAPE_CASES = [(q, AS_OF, a) for q, a, _ in SHAPES] + [(q, EARLY, b) for q, _, b in SHAPES]


def _span(expected: Span) -> tuple[date, date, bool]:
    return (
        date.fromisoformat(expected[0]),
        date.fromisoformat(expected[1]),
        bool(expected[2:] and expected[2]),
    )


@pytest.mark.parametrize(
    ("text", "as_of", "expected"), SHAPE_CASES, ids=[f"{q}@{d.isoformat()}" for q, d, _ in SHAPE_CASES]
)
def test_shapes(text: str, as_of: date, expected: Span) -> None:
    found = parse_time(text, as_of)
    assert found is not None
    assert (found.range.start, found.range.end, found.range.partial) == _span(expected)


@pytest.mark.parametrize(
    ("text", "label", "label_zh"),
    [
        ("since August", "since August 2026 (Aug 1 – Nov 20, 2026)", "2026年8月以来(2026年8月1日至11月20日)"),
        (
            "10月8号至今",
            "since Oct 8, 2026 (Oct 8 – Nov 20, 2026)",
            "2026年10月8日以来(2026年10月8日至11月20日)",
        ),
        ("Aug 1 to Nov 20", "Aug 1 – Nov 20, 2026", "2026年8月1日至11月20日"),
        ("returns Dec to Feb", "Dec 1, 2025 – Feb 28, 2026", "2025年12月1日至2026年2月28日"),
        ("Q4 of last year", "Q4 2025", "2025年第四季度"),
        ("next month", "December 2026", "2026年12月"),
        ("去年上半年", "H1 2025", "2025年上半年"),
        (
            "next 3 months",
            "next 3 months (Dec 1, 2026 – Feb 28, 2027)",
            "未来3个月(2026年12月1日至2027年2月28日)",
        ),
    ],
)
def test_labels_of_new_shapes(text: str, label: str, label_zh: str) -> None:
    found = parse_time(text, AS_OF)
    assert found is not None
    assert (found.range.label, found.range.label_zh) == (label, label_zh)


def test_open_and_explicit_spans_cover_the_words() -> None:
    question = "tickets from June to now by channel"
    found = parse_time(question, AS_OF)
    assert found is not None and found.text == "from June to now"
    found = parse_time("profit between March and May", AS_OF)
    assert found is not None and found.text == "between March and May"


# ---- two periods in one question ------------------------------------------------------------------------

Pair = tuple[Span | None, Span | None]

COMPARISONS: list[tuple[str, date, Span | None, Span | None]] = [
    ("margin Q3 vs Q2", AS_OF, ("2026-07-01", "2026-09-30"), ("2026-04-01", "2026-06-30")),
    ("margin Q3 vs Q2", EARLY, ("2024-07-01", "2024-09-30"), ("2024-04-01", "2024-06-30")),
    ("June vs May signups", AS_OF, ("2026-06-01", "2026-06-30"), ("2026-05-01", "2026-05-31")),
    ("June vs May signups", EARLY, ("2024-06-01", "2024-06-30"), ("2024-05-01", "2024-05-31")),
    ("Q2 versus Q1 2025", AS_OF, ("2025-04-01", "2025-06-30"), ("2025-01-01", "2025-03-31")),
    ("7月和6月的订单对比", AS_OF, ("2026-07-01", "2026-07-31"), ("2026-06-01", "2026-06-30")),
    ("7月和6月的订单对比", EARLY, ("2024-07-01", "2024-07-31"), ("2024-06-01", "2024-06-30")),
    ("各渠道8月对比7月的毛利", AS_OF, ("2026-08-01", "2026-08-31"), ("2026-07-01", "2026-07-31")),
    ("2024 vs 2023 by region", AS_OF, ("2024-01-01", "2024-12-31"), ("2023-01-01", "2023-12-31")),
    ("Sep '25 vs Sep '24", AS_OF, ("2025-09-01", "2025-09-30"), ("2024-09-01", "2024-09-30")),
    ("compare May and April", AS_OF, ("2026-05-01", "2026-05-31"), ("2026-04-01", "2026-04-30")),
    ("compare Q1 to Q2", AS_OF, ("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30")),
    (
        "this year so far compared with last year", AS_OF,
        ("2026-01-01", "2026-11-20", True), ("2025-01-01", "2025-11-20"),
    ),
    (
        "this year so far compared with last year", EARLY,
        ("2025-01-01", "2025-03-15", True), ("2024-01-01", "2024-03-15"),
    ),
    ("ytd vs last yr", AS_OF, ("2026-01-01", "2026-11-20", True), ("2025-01-01", "2025-11-20")),
    ("本月和上月比", AS_OF, ("2026-11-01", "2026-11-20", True), ("2026-10-01", "2026-10-20")),
    ("本季度至今跟去年同期比", AS_OF, ("2026-10-01", "2026-11-20", True), ("2025-10-01", "2025-11-20")),
    ("本季度至今跟上季度同期相比", EARLY, ("2025-01-01", "2025-03-15", True), ("2024-10-01", "2024-12-15")),
    (
        "revenue this quarter against the same period last year", AS_OF,
        ("2026-10-01", "2026-11-20", True), ("2025-10-01", "2025-11-20"),
    ),
    ("this month vs last year", AS_OF, ("2026-11-01", "2026-11-20", True), ("2025-11-01", "2025-11-20")),
    ("去年三季度和前年三季度比", AS_OF, ("2025-07-01", "2025-09-30"), ("2024-07-01", "2024-09-30")),
    ("今年双十一和去年双十一比", AS_OF, ("2026-11-11", "2026-11-11"), ("2025-11-11", "2025-11-11")),
    ("signups last week vs the week before", AS_OF, ("2026-11-09", "2026-11-15"), ("2026-11-02", "2026-11-08")),
    ("signups last week vs the week before", EARLY, ("2025-03-03", "2025-03-09"), ("2025-02-24", "2025-03-02")),
    ("today vs yesterday", AS_OF, ("2026-11-20", "2026-11-20"), ("2026-11-19", "2026-11-19")),
    ("refunds last 30 days vs previous 30 days", AS_OF, ("2026-10-22", "2026-11-20"), ("2026-09-22", "2026-10-21")),
    ("last week vs prior week", AS_OF, ("2026-11-09", "2026-11-15"), ("2026-11-02", "2026-11-08")),
    ("11月同比去年11月", AS_OF, ("2026-11-01", "2026-11-20", True), ("2025-11-01", "2025-11-20")),
    ("2025 compared to the prior year", AS_OF, ("2025-01-01", "2025-12-31"), ("2024-01-01", "2024-12-31")),
    ("本月和去年同月比", AS_OF, ("2026-11-01", "2026-11-20", True), ("2025-11-01", "2025-11-20")),
    ("vs last month", AS_OF, None, ("2026-10-01", "2026-10-31")),
    ("比去年", AS_OF, None, ("2025-01-01", "2025-12-31")),
    ("环比上月", EARLY, None, ("2025-02-01", "2025-02-28")),
    ("3月和4月的销售额", AS_OF, ("2026-03-01", "2026-03-31"), None),
    ("revenue last month vs target", AS_OF, ("2026-10-01", "2026-10-31"), None),
    ("share of revenue last month", AS_OF, ("2026-10-01", "2026-10-31"), None),
    ("上月各渠道销售额占比", AS_OF, ("2026-10-01", "2026-10-31"), None),
]  # fmt: skip


def _pair(reading: TimeReading) -> Pair:
    def one(m: TimeMatch | None) -> Span | None:
        if m is None:
            return None
        return (m.range.start.isoformat(), m.range.end.isoformat(), m.range.partial)

    return one(reading.primary), one(reading.baseline)


@pytest.mark.parametrize(
    ("text", "as_of", "primary", "baseline"), COMPARISONS,
    ids=[f"{c[0]}@{c[1].isoformat()}" for c in COMPARISONS],
)  # fmt: skip
def test_read_periods_finds_both_periods(
    text: str, as_of: date, primary: Span | None, baseline: Span | None
) -> None:
    def full(s: Span | None) -> Span | None:
        return None if s is None else (s[0], s[1], bool(s[2:] and s[2]))

    reading = read_periods(text, as_of)
    assert _pair(reading) == (full(primary), full(baseline))
    found = parse_time(text, as_of)
    assert (found is None) == (primary is None)
    if found is not None:
        assert reading.primary is not None and found.range == reading.primary.range


@pytest.mark.parametrize(
    "text",
    ["than last year", "环比上月", "versus the previous month", "compared with the same period last year",
     "与上月相比", "和去年比", "上年同期"],
)  # fmt: skip
def test_a_period_that_only_names_the_comparison_is_not_the_one_asked(text: str) -> None:
    assert parse_time(text, AS_OF) is None
    assert read_periods(text, AS_OF).baseline is not None


@pytest.mark.parametrize(
    ("question", "left"),
    [
        ("revenue in Q2 vs Q1 by region", "revenue by region"),
        ("各区域9月对比8月的回款额", "各区域 的回款额"),
        ("orders this yr so far compared with last yr", "orders"),
        ("leads from June to now per rep", "leads per rep"),
        ("去年12月的订单数", "的订单数"),
        ("本季度到现在的客单价跟上季度同期比", "的客单价"),
    ],
)
def test_spans_mask_every_time_word(question: str, left: str) -> None:
    reading = read_periods(question, AS_OF)
    masked = list(question)
    for start, end in reading.spans:
        masked[start:end] = " " * (end - start)
    assert " ".join("".join(masked).split()) == left


def test_baseline_labels_say_what_they_cover() -> None:
    reading = read_periods("this year so far vs last year", AS_OF)
    assert reading.baseline is not None
    assert (reading.baseline.range.label, reading.baseline.range.label_zh) == (
        "2025 to Nov 20",
        "2025年(截至11月20日)",
    )
    assert reading.baseline.text == "last year" and reading.baseline.range.partial is False


def test_a_future_period_is_not_clipped() -> None:
    found = parse_time("next month", AS_OF)
    assert found is not None
    assert (found.range.end, found.range.partial, found.range.label) == (
        date(2026, 12, 31),
        False,
        "December 2026",
    )


# ---- the words are data -------------------------------------------------------------------------------


def test_every_language_file_loads_and_names_its_language() -> None:
    languages = [w.language for w in load_words()]
    assert languages == ["en", "zh"]
    assert EN_NUMBERS["three"] == 3 and EN_NUMBERS["a"] == 1 and zh_number("十二") == 12 == zh_number("12")


def test_a_misspelt_key_is_an_error() -> None:
    with pytest.raises(TimeWordsError, match=r"time\.xx\.yaml.*comparatorz"):
        parse_words("language: xx\ncomparatorz: [vs]\n", "time.xx.yaml")


def test_a_word_in_two_classes_is_an_error() -> None:
    words = parse_words("language: xx\ncomparators: [versus]\njoins: [versus]\n", "time.xx.yaml")
    with pytest.raises(TimeWordsError, match="'versus' is both"):
        build_lexicon((words,))


def test_a_new_language_file_adds_its_words() -> None:
    words = parse_words(
        "language: xx\nmonths: {brumaire: 11}\nrelative: [{words: [dernier], offset: -1}]\n"
        "units: {month: [mois]}\n",
        "time.xx.yaml",
    )
    lex = build_lexicon((*load_words(), words))
    kinds = [t.kind.value for t in tokenize("revenue brumaire vs dernier mois", lex)]
    assert kinds == ["month", "comparator", "relative", "unit"]


@pytest.mark.parametrize(
    "text", ["3号仓库的订单", "the may release", "周转天数", "成本月报", "线上季度销售额", "何时下单"]
)
def test_words_that_only_look_like_time(text: str) -> None:
    assert parse_time(text, AS_OF) is None

"""Calendar periods for the time grammar: date arithmetic, labels and the ``Hit`` a reading resolves to.

Conventions: weeks start on Monday; a period that contains ``as_of`` ends at ``as_of`` and is
``partial``; a period after ``as_of`` ("next month") is not clipped; "last N days" is the N days
ending at ``as_of``; "last N weeks/months/quarters/years" are the N full periods before the current
one; a month, quarter or day named without a year is the latest one that starts on or before ``as_of``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from metricqa.assistant.semantic.periods import shift, shift_end
from metricqa.assistant.semantic.plan import Grain, TimeRange

ZH_QUARTERS = "一二三四"
ZH_UNITS = {"day": "天", "week": "周", "month": "个月", "quarter": "个季度", "year": "年"}


ALL_TIME_START = date(1900, 1, 1)  # "all time" starts before any warehouse's first row


@dataclass(frozen=True)
class Hit:
    """A period the grammar read: where it was (in folded text), its full range and its labels.

    ``unit`` is set when the hit is exactly one calendar period (a month, a quarter …), so that it
    can be moved to another year or shifted by whole periods. ``last`` is the period's full end,
    before clipping at the as-of date.
    """

    start: int
    end: int
    first: date
    last: date
    label_en: str
    label_zh: str
    year_given: bool = True
    unit: str = ""
    named: bool = True  # a calendar period ("October 2026"); otherwise the label gets its date span
    partial: bool | None = None  # None: partial when the period holds the as-of date

    def at(self, start: int, end: int) -> Hit:
        if (start, end) == (self.start, self.end):
            return self
        return Hit(start, end, self.first, self.last, self.label_en, self.label_zh, self.year_given, self.unit,
                   self.named, self.partial)  # fmt: skip


# ---- calendar helpers -------------------------------------------------------------------------


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[date, date]:
    return date(year, 3 * quarter - 2, 1), month_range(year, 3 * quarter)[1]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def safe_date(year: int, month: int, day: int) -> date:
    """``date`` with the day clamped to the month's length (Feb 29 in a common year → Feb 28)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def fmt_day(day: date, language: str, year: bool = True) -> str:
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
    text = f"{calendar.month_abbr[day.month]} {day.day}"
    return f"{text}, {day.year}" if year else text


def span_label(first: date, last: date, language: str) -> str:
    if first == last:
        return fmt_day(first, language)
    if language == "zh":
        return f"{fmt_day(first, 'zh')}至{fmt_day(last, 'zh', first.year != last.year)}"
    if first.year == last.year:
        return f"{fmt_day(first, 'en', False)} – {fmt_day(last, 'en')}"
    return f"{fmt_day(first, 'en')} – {fmt_day(last, 'en')}"


# ---- period builders (label + range) ------------------------------------------------------------


def month_hit(s: int, e: int, year: int, month: int, year_given: bool = True) -> Hit:
    first, last = month_range(year, month)
    en, zh = f"{calendar.month_name[month]} {year}", f"{year}年{month}月"
    return Hit(s, e, first, last, en, zh, year_given, "month")


def quarter_hit(s: int, e: int, year: int, quarter: int, year_given: bool = True) -> Hit:
    first, last = quarter_range(year, quarter)
    en, zh = f"Q{quarter} {year}", f"{year}年第{ZH_QUARTERS[quarter - 1]}季度"
    return Hit(s, e, first, last, en, zh, year_given, "quarter")


def half_hit(s: int, e: int, year: int, half: int, year_given: bool = True) -> Hit:
    first, last = (
        (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))
    )
    en, zh = f"H{half} {year}", f"{year}年{'上' if half == 1 else '下'}半年"
    return Hit(s, e, first, last, en, zh, year_given, "half")


def year_hit(s: int, e: int, year: int) -> Hit:
    return Hit(s, e, date(year, 1, 1), date(year, 12, 31), str(year), f"{year}年", unit="year")


def day_hit(s: int, e: int, day: date, year_given: bool = True) -> Hit:
    return Hit(s, e, day, day, fmt_day(day, "en"), fmt_day(day, "zh"), year_given, "day")


def week_hit(s: int, e: int, monday: date) -> Hit:
    en, zh = f"week of {fmt_day(monday, 'en')}", f"{fmt_day(monday, 'zh')}当周"
    return Hit(s, e, monday, monday + timedelta(days=6), en, zh, unit="week")


def calendar_hit(unit: str, first: date, s: int = 0, e: int = 0, year_given: bool = True) -> Hit:
    """The calendar period of ``unit`` that starts on (or, for weeks, holds) ``first``."""
    if unit == "day":
        return day_hit(s, e, first, year_given)
    if unit == "week":
        return week_hit(s, e, week_start(first))
    if unit == "month":
        return month_hit(s, e, first.year, first.month, year_given)
    if unit == "quarter":
        return quarter_hit(s, e, first.year, (first.month - 1) // 3 + 1, year_given)
    if unit == "half":
        return half_hit(s, e, first.year, 1 if first.month <= 6 else 2, year_given)
    return year_hit(s, e, first.year)


UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def shift_hit(hit: Hit, unit: str, count: int) -> Hit:
    """``hit`` moved by ``count`` periods of ``unit``; a calendar period stays one (and keeps its labels)."""
    months, days = UNIT_MONTHS.get(unit, 0) * count, {"week": 7, "day": 1}.get(unit, 0) * count
    first = shift(hit.first, months=months) + timedelta(days=days)
    if hit.unit:
        return calendar_hit(hit.unit, first, hit.start, hit.end)
    last = shift_end(hit.last, months) + timedelta(days=days)
    return Hit(hit.start, hit.end, first, last, "", "", named=False)


def in_year(hit: Hit, year: int) -> Hit:
    """The same calendar period in ``year`` (a hit that is not one calendar period stays as it is)."""
    if not hit.unit or hit.unit == "week":
        return hit
    first = safe_date(year, hit.first.month, hit.first.day)
    return replace(calendar_hit(hit.unit, first, hit.start, hit.end), year_given=True)


def unit_period(unit: str, as_of: date, back: int, s: int = 0, e: int = 0) -> Hit:
    """The ``unit`` period ``back`` periods before the one holding ``as_of`` (0 = current, -1 = next);
    ``all``: all time, everything up to ``as_of``."""
    if unit == "all":
        en, zh = f"all time (to {fmt_day(as_of, 'en')})", f"累计(截至{fmt_day(as_of, 'zh')})"
        return Hit(s, e, ALL_TIME_START, as_of, en, zh, partial=False)
    if unit == "day":
        return day_hit(s, e, as_of - timedelta(days=back))
    if unit == "week":
        return week_hit(s, e, week_start(as_of) - timedelta(weeks=back))
    if unit == "month":
        first = add_months(as_of.replace(day=1), -back)
        return month_hit(s, e, first.year, first.month)
    if unit == "quarter":
        first = add_months(quarter_range(as_of.year, (as_of.month - 1) // 3 + 1)[0], -3 * back)
        return quarter_hit(s, e, first.year, (first.month - 1) // 3 + 1)
    return year_hit(s, e, as_of.year - back)


def last_n(unit: str, n: int, as_of: date, s: int = 0, e: int = 0) -> Hit:
    if unit == "day":
        first = as_of - timedelta(days=n - 1)
        return Hit(s, e, first, as_of, f"last {n} days", f"近{n}天", named=False)
    oldest, newest = unit_period(unit, as_of, n, s, e), unit_period(unit, as_of, 1, s, e)
    zh_unit = {"week": "周", "month": "个月", "quarter": "个季度", "year": "年"}[unit]
    return Hit(s, e, oldest.first, newest.last, f"last {n} {unit}s", f"过去{n}{zh_unit}", named=False)


def next_n(unit: str, n: int, as_of: date, s: int = 0, e: int = 0) -> Hit:
    """The ``n`` days after ``as_of``, or the ``n`` full periods after the current one."""
    if unit == "day":
        first, last = as_of + timedelta(days=1), as_of + timedelta(days=n)
    else:
        first, last = unit_period(unit, as_of, -1).first, unit_period(unit, as_of, -n).last
    return Hit(s, e, first, last, f"next {n} {unit}s", f"未来{n}{ZH_UNITS[unit]}", named=False)


def to_date(unit: str, as_of: date, s: int = 0, e: int = 0) -> Hit:
    return unit_period(unit, as_of, 0, s, e)


def latest_month(as_of: date, month: int) -> int:
    return as_of.year if month <= as_of.month else as_of.year - 1


def latest_quarter(as_of: date, quarter: int) -> int:
    return as_of.year if quarter_range(as_of.year, quarter)[0] <= as_of else as_of.year - 1


# ---- a hit as a TimeRange ------------------------------------------------------------------------


def is_clipped(hit: Hit, as_of: date) -> bool:
    return hit.first <= as_of < hit.last


def finish(hit: Hit, as_of: date, grain: Grain = Grain.NONE) -> TimeRange:
    """Clip at ``as_of`` (a future period is not clipped); a clipped period is partial and says so."""
    end = hit.last if hit.first > as_of else min(hit.last, as_of)
    clipped = is_clipped(hit, as_of)
    partial = clipped if hit.partial is None else hit.partial
    en, zh = hit.label_en, hit.label_zh
    if clipped and en and hit.partial is None and hit.named:
        en += f" so far (to {fmt_day(as_of, 'en', False)})"
        zh += f"(截至{fmt_day(as_of, 'zh', False)})"
    if not hit.named:
        span_en, span_zh = span_label(hit.first, end, "en"), span_label(hit.first, end, "zh")
        en, zh = (f"{en} ({span_en})", f"{zh}({span_zh})") if en else (span_en, span_zh)
    period = Grain(hit.unit) if hit.unit in PERIOD_UNITS else Grain.NONE
    return TimeRange(
        start=hit.first, end=end, grain=grain, label=en, label_zh=zh, partial=partial, period=period
    )


PERIOD_UNITS = {"week", "month", "quarter", "year"}

"""Numbers, percentages, money and periods written for people, in English and Chinese.

Conventions: thousands separators; currency carries its symbol (CNY → ¥); English scales
large amounts with K/M/B ("¥12.35M"), Chinese with 万/亿 ("¥1,234.5万", "¥1.23亿"); a rate
(unit ``ratio``, a fraction) prints as a percentage with one decimal ("42.0%"); a change of a
rate is in percentage points ("1.2 pts" / "1.2个百分点"); counts are integers.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

from metricqa.assistant.semantic.plan import Grain, TimeRange
from metricqa.assistant.understanding.timeparse import span_label
from metricqa.catalog.models import Metric, Unit

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}
EN_SCALES = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
ZH_SCALES = ((1e8, "亿"), (1e4, "万"))
ZH_QUARTERS = "一二三四"


def currency_symbol(code: str | None) -> str:
    if not code:
        return ""
    return CURRENCY_SYMBOLS.get(code.upper(), code.upper() + " ")


def group(value: float, decimals: int = 0) -> str:
    """``1234567.891`` → ``"1,234,567.89"`` (decimals=2); trailing ``.0`` kept as asked."""
    return f"{value:,.{decimals}f}"


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: ``"1.50"`` → ``"1.5"``, ``"2.00"`` → ``"2"``."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled(value: float, language: str, *, min_scale: float = 1e6) -> str:
    """An absolute amount with a scale word when it is large: 12_345_678 → "12.35M" / "1,234.6万"."""
    mag = abs(value)
    if language == "zh":
        for size, word in ZH_SCALES:
            if mag >= size and mag >= min_scale:
                digits = 2 if size == 1e8 else 1
                return _trim(group(mag / size, digits)) + word
        return _trim(group(mag, 0 if mag >= 100 else 2))
    for size, word in EN_SCALES:
        if mag >= size and mag >= min_scale:
            return _trim(group(mag / size, 2)) + word
    return _trim(group(mag, 0 if mag >= 1000 else 2))


def format_percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.4234 → "42.3%"."""
    return f"{fraction * 100:,.{decimals}f}%"


def format_points(delta: float, language: str, decimals: int = 1) -> str:
    """A change of a rate (fractions) in percentage points, unsigned: 0.012 → "1.2 pts" / "1.2个百分点"."""
    pts = f"{abs(delta) * 100:,.{decimals}f}"
    return f"{pts}个百分点" if language == "zh" else f"{pts} pts"


def format_amount(
    value: float, unit: Unit, currency: str | None, language: str, *, compact: bool = True
) -> str:
    """A value of a metric unit, unsigned sign kept: "¥12.35M", "¥1,234.5万", "42.0%", "1,234"."""
    sign = "-" if value < 0 else ""
    if unit is Unit.RATIO:
        return format_percent(value)
    if unit is Unit.COUNT and abs(value - round(value)) < 1e-9 and (language == "en" or abs(value) < 1e6):
        return sign + group(abs(value))
    prefix = currency_symbol(currency) if unit is Unit.CURRENCY else ""
    body = (
        scaled(value, language, min_scale=1e6 if language == "en" else 1e5)
        if compact
        else group(abs(value), 2)
    )
    return sign + prefix + body


def format_value(value: float | int | None, metric: Metric | None, language: str) -> str:
    """A metric's value for a narrative; ``None`` → "n/a" / "无数据"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "无数据" if language == "zh" else "n/a"
    if metric is None:
        return scaled(float(value), language) if abs(value) >= 1e4 else _trim(group(float(value), 2))
    return format_amount(float(value), metric.unit, metric.currency, language)


def axis_label(value: float, unit: Unit, currency: str | None, language: str) -> str:
    """A short tick label: "¥1.2M" / "¥120万" / "42%" / "1.2K"."""
    if unit is Unit.RATIO:
        return f"{value * 100:.0f}%" if abs(value) >= 0.1 or value == 0 else f"{value * 100:.1f}%"
    prefix = currency_symbol(currency) if unit is Unit.CURRENCY else ""
    sign = "-" if value < 0 else ""
    mag = abs(value)
    scales = ZH_SCALES if language == "zh" else EN_SCALES
    for size, word in scales:
        if mag >= size:
            return f"{sign}{prefix}{_trim(f'{mag / size:.1f}')}{word}"
    return f"{sign}{prefix}{_trim(f'{mag:,.1f}')}"


def unit_word(unit: Unit, currency: str | None, language: str) -> str:
    """What an axis measures: "¥" / "%" / "count" / "数量"."""
    if unit is Unit.CURRENCY:
        return currency_symbol(currency).strip() or (currency or "")
    if unit is Unit.RATIO:
        return "%"
    if unit is Unit.COUNT:
        return "数量" if language == "zh" else "count"
    return ""


# ---- periods ------------------------------------------------------------------------------


def period_label(time: TimeRange, language: str) -> str:
    """The plan's period in words (its label, or the date span when it has none)."""
    label = (time.label_zh or time.label) if language == "zh" else time.label
    return label or span_words(time.start, time.end, language)


def span_words(start: date, end: date, language: str) -> str:
    """A date range in words: a whole month/quarter/year by name, else "Oct 3 – Nov 2, 2026"."""
    if start.day == 1 and end == _month_end(end) and start.year == end.year:
        months = end.month - start.month + 1
        if months == 1:
            return (
                f"{start.year}年{start.month}月"
                if language == "zh"
                else f"{calendar.month_name[start.month]} {start.year}"
            )
        if months == 3 and start.month % 3 == 1:
            q = (start.month - 1) // 3 + 1
            return f"{start.year}年第{ZH_QUARTERS[q - 1]}季度" if language == "zh" else f"Q{q} {start.year}"
        if months == 12:
            return f"{start.year}年" if language == "zh" else str(start.year)

    return span_label(start, end, language)


def point_label(iso: str, grain: Grain | str, language: str) -> str:
    """One point of a series, by grain: "Nov 2026" / "2026年11月", "Q3 2026", "Nov 3"."""
    try:
        day = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    g = Grain(grain) if not isinstance(grain, Grain) else grain
    zh = language == "zh"
    if g is Grain.YEAR:
        return f"{day.year}年" if zh else str(day.year)
    if g is Grain.QUARTER:
        q = (day.month - 1) // 3 + 1
        return f"{day.year}年Q{q}" if zh else f"Q{q} {day.year}"
    if g is Grain.MONTH:
        return f"{day.year}年{day.month}月" if zh else f"{calendar.month_abbr[day.month]} {day.year}"
    if g is Grain.WEEK:
        return (
            f"{day.month}月{day.day}日当周" if zh else f"week of {calendar.month_abbr[day.month]} {day.day}"
        )
    return f"{day.month}月{day.day}日" if zh else f"{calendar.month_abbr[day.month]} {day.day}"


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def join_words(items: list[str], language: str) -> str:
    """["a", "b", "c"] → "a, b and c" / "a、b和c"."""
    if len(items) <= 1:
        return "".join(items)
    if language == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]

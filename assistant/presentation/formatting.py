"""Numbers, percentages, money and periods written for people, in the asker's language.

Conventions: thousands separators; currency carries its symbol (CNY → ¥); English scales
large amounts with K/M/B ("¥12.35M"), Chinese with 万/亿 ("¥1,234.5万", "¥1.23亿"); a rate
(unit ``ratio``, a fraction) prints as a percentage with one decimal ("42.0%"); a change of a
rate is in percentage points ("1.2 pts" / "1.2个百分点"); counts are integers.

The words come from the message catalog (metricqa/core/messages/<language>.yaml): scale words,
"%", "pts", "n/a" and "count" (``number.*``), month and quarter names and the period patterns
(``period.*``), and "a, b and c" (``format.words``). How a language scales large amounts is a
rule, ``NUMBER_RULES``. A third language needs its message file and, only when it scales amounts
unlike English (steps of 10³ with two decimals, narratives scaling from a million), a
``NumberRules`` entry here; without one it follows the English rules. Digit grouping and the
decimal point are Python's (``1,234.5``) in every language.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from metricqa.assistant.semantic.plan import Grain, TimeRange
from metricqa.assistant.understanding.timeparse import span_label
from metricqa.catalog.models import Metric, Unit
from metricqa.core.messages import DEFAULT_LANGUAGE, PACKAGED, Listing, Message, MessageCatalog

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}


@dataclass(frozen=True)
class NumberRules:
    """How one language scales large amounts.

    ``steps`` are the scale sizes, smallest first, each with the decimals a scaled amount keeps;
    step *n* is written with the word ``number.scale.<n>``. ``narrative_from``: amounts in
    sentences are scaled from this size on. ``cents_below``: an unscaled amount below this keeps two
    decimals. ``whole_counts_below``: a whole count below this is written out, not scaled.
    """

    steps: tuple[tuple[float, int], ...]
    narrative_from: float
    cents_below: float
    whole_counts_below: float


NUMBER_RULES: dict[str, NumberRules] = {
    "en": NumberRules(
        ((1e3, 2), (1e6, 2), (1e9, 2)), narrative_from=1e6, cents_below=1e3, whole_counts_below=math.inf
    ),
    "zh": NumberRules(((1e4, 1), (1e8, 2)), narrative_from=1e5, cents_below=100, whole_counts_below=1e6),
}


def number_rules(language: str) -> NumberRules:
    """The language's rules, else the English ones."""
    return NUMBER_RULES.get(language) or NUMBER_RULES[DEFAULT_LANGUAGE]


def _scales(language: str, messages: MessageCatalog) -> list[tuple[float, int, str]]:
    """(size, decimals, word) of each scale step, largest first."""
    steps = enumerate(number_rules(language).steps, 1)
    return [(size, digits, messages.render(f"number.scale.{n}", language)) for n, (size, digits) in steps][
        ::-1
    ]


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


def scaled(
    value: float, language: str, *, min_scale: float = 1e6, messages: MessageCatalog = PACKAGED
) -> str:
    """An absolute amount with a scale word when it is large: 12_345_678 → "12.35M" / "1,234.6万"."""
    mag = abs(value)
    for size, digits, word in _scales(language, messages):
        if mag >= size and mag >= min_scale:
            return _trim(group(mag / size, digits)) + word
    return _trim(group(mag, 0 if mag >= number_rules(language).cents_below else 2))


def format_percent(
    fraction: float, decimals: int = 1, language: str = DEFAULT_LANGUAGE, messages: MessageCatalog = PACKAGED
) -> str:
    """A fraction as a percentage: 0.4234 → "42.3%"."""
    return messages.render("number.percent", language, n=f"{fraction * 100:,.{decimals}f}")


def format_points(delta: float, language: str, decimals: int = 1, messages: MessageCatalog = PACKAGED) -> str:
    """A change of a rate (fractions) in percentage points, unsigned: 0.012 → "1.2 pts" / "1.2个百分点"."""
    return messages.render("number.points", language, n=f"{abs(delta) * 100:,.{decimals}f}")


def format_amount(
    value: float,
    unit: Unit,
    currency: str | None,
    language: str,
    *,
    compact: bool = True,
    messages: MessageCatalog = PACKAGED,
) -> str:
    """A value of a metric unit, unsigned sign kept: "¥12.35M", "¥1,234.5万", "42.0%", "1,234"."""
    sign = "-" if value < 0 else ""
    rules = number_rules(language)
    if unit is Unit.RATIO:
        return format_percent(value, language=language, messages=messages)
    if unit is Unit.COUNT and abs(value - round(value)) < 1e-9 and abs(value) < rules.whole_counts_below:
        return sign + group(abs(value))
    prefix = currency_symbol(currency) if unit is Unit.CURRENCY else ""
    body = (
        scaled(value, language, min_scale=rules.narrative_from, messages=messages)
        if compact
        else group(abs(value), 2)
    )
    return sign + prefix + body


def format_value(
    value: float | int | None, metric: Metric | None, language: str, messages: MessageCatalog = PACKAGED
) -> str:
    """A metric's value for a narrative; ``None`` → "n/a" / "无数据"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return messages.render("number.missing", language)
    if metric is None:
        if abs(value) >= 1e4:
            return scaled(float(value), language, messages=messages)
        return _trim(group(float(value), 2))
    return format_amount(float(value), metric.unit, metric.currency, language, messages=messages)


def axis_label(
    value: float, unit: Unit, currency: str | None, language: str, messages: MessageCatalog = PACKAGED
) -> str:
    """A short tick label: "¥1.2M" / "¥120万" / "42%" / "1.2K"."""
    if unit is Unit.RATIO:
        digits = 0 if abs(value) >= 0.1 or value == 0 else 1
        return messages.render("number.percent", language, n=f"{value * 100:.{digits}f}")
    prefix = currency_symbol(currency) if unit is Unit.CURRENCY else ""
    sign = "-" if value < 0 else ""
    mag = abs(value)
    for size, _, word in _scales(language, messages):
        if mag >= size:
            return f"{sign}{prefix}{_trim(f'{mag / size:.1f}')}{word}"
    return f"{sign}{prefix}{_trim(f'{mag:,.1f}')}"


def unit_word(unit: Unit, currency: str | None, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """What an axis measures: "¥" / "%" / "count" / "数量"."""
    if unit is Unit.CURRENCY:
        return currency_symbol(currency).strip() or (currency or "")
    if unit is Unit.RATIO:
        return "%"
    if unit is Unit.COUNT:
        return messages.render("number.count", language)
    return ""


# ---- periods ------------------------------------------------------------------------------


def period_label(time: TimeRange, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """The plan's period in words (its label, or the date span when it has none)."""
    label = (time.label_zh or time.label) if language == "zh" else time.label
    return label or span_words(time.start, time.end, language, messages)


def span_words(start: date, end: date, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """A date range in words: a whole month/quarter/year by name, else "Oct 3 – Nov 2, 2026"."""
    if start.day == 1 and end == _month_end(end) and start.year == end.year:
        months = end.month - start.month + 1
        year = start.year
        if months == 1:
            month_name = Message(f"period.month_name.{start.month}")
            return messages.render("period.month", language, month_name=month_name, year=year)
        if months == 3 and start.month % 3 == 1:
            quarter_name = Message(f"period.quarter_name.{(start.month - 1) // 3 + 1}")
            return messages.render("period.quarter", language, quarter_name=quarter_name, year=year)
        if months == 12:
            return messages.render("period.year", language, year=year)

    return span_label(start, end, language)


def point_label(iso: str, grain: Grain | str, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """One point of a series, by grain: "Nov 2026" / "2026年11月", "Q3 2026", "Nov 3"."""
    try:
        day = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    g = Grain(grain) if not isinstance(grain, Grain) else grain
    month_abbr = Message(f"period.month_abbr.{day.month}")
    if g is Grain.YEAR:
        return messages.render("period.point.year", language, year=day.year)
    if g is Grain.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        return messages.render("period.point.quarter", language, quarter=quarter, year=day.year)
    if g is Grain.MONTH:
        return messages.render("period.point.month", language, month_abbr=month_abbr, year=day.year)
    if g is Grain.WEEK:
        return messages.render("period.point.week", language, month_abbr=month_abbr, day=day.day)
    return messages.render("period.point.day", language, month_abbr=month_abbr, day=day.day)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace table: a wide (CJK) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def join_words(items: list[str], language: str, messages: MessageCatalog = PACKAGED) -> str:
    """["a", "b", "c"] → "a, b and c" / "a、b和c" (``format.words``)."""
    return messages.join(Listing(items, "words"), language)

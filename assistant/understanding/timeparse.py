"""Relative and absolute time expressions → ``TimeRange`` (English and Simplified Chinese).

The reader is a tokenizer of typed time tokens (``timegrammar_tokens``, words from
``time.<language>.yaml``) and a small grammar that composes them (``timegrammar``): "Q4 of last
year", "since August", "3月到5月", "May vs April". ``parse_time`` returns the period asked about;
``read_periods`` also returns the period it is compared with and every span the grammar used.

Conventions (``timegrammar_calendar``): weeks start on Monday; a period that contains ``as_of``
("this month") ends at ``as_of`` and is ``partial``; a future period ("next month") is not clipped;
"last N days" is the N days ending at ``as_of``; "last N weeks/months/quarters/years" are the N full
periods before the current one; a month or quarter named without a year is the most recent one that
starts on or before ``as_of``; "since X" runs from the start of X to ``as_of`` and is ``partial``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from metricqa.assistant.semantic.plan import Grain, TimeRange
from metricqa.assistant.understanding.timegrammar import read
from metricqa.assistant.understanding.timegrammar_calendar import (
    Hit,
    add_months,
    finish,
    fmt_day,
    last_n,
    latest_month,
    latest_quarter,
    month_range,
    quarter_range,
    span_label,
    to_date,
    unit_period,
    week_start,
)
from metricqa.assistant.understanding.timegrammar_exprs import Periods
from metricqa.assistant.understanding.timegrammar_tokens import lexicon
from metricqa.catalog.models import DefaultPeriod
from metricqa.core.language import fold

__all__ = [
    "EN_NUMBERS",
    "TimeMatch",
    "TimeReading",
    "add_months",
    "en_number",
    "finish",
    "default_range",
    "fmt_day",
    "last_n",
    "latest_month",
    "latest_quarter",
    "month_range",
    "parse_time",
    "quarter_range",
    "read_periods",
    "span_label",
    "this_month",
    "to_date",
    "trend_window",
    "unit_period",
    "week_start",
    "zh_number",
]

EN_NUMBERS: dict[str, int] = {w: n for w, n in lexicon().numbers.items() if w.isascii()}


@dataclass(frozen=True)
class TimeMatch:
    """A time expression found in the question: the range and where it was (in folded text)."""

    range: TimeRange
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class TimeReading:
    """Every period the question names: the one asked about (``primary``), the one it is compared
    with (``baseline``: "May vs April", "比去年", "vs last month") and the character spans the time
    grammar consumed, comparators included, so that a planner can mask them."""

    primary: TimeMatch | None
    baseline: TimeMatch | None
    spans: tuple[tuple[int, int], ...]


def zh_number(text: str) -> int:
    """``"12"``, ``"十二"``, ``"二十"``, ``"两"`` → int."""
    return lexicon().number(text)


def en_number(text: str) -> int:
    return int(text) if text.isdigit() else EN_NUMBERS.get(text, 0)


@lru_cache(maxsize=512)
def _read(folded: str, as_of: date) -> Periods:
    return read(folded, as_of)


def _match(hit: Hit | None, text: str, as_of: date) -> TimeMatch | None:
    if hit is None:
        return None
    return TimeMatch(finish(hit, as_of), hit.start, hit.end, text[hit.start : hit.end])


def read_periods(text: str, as_of: date, language: str = "en") -> TimeReading:
    """The periods in a question (every language's words are read, so ``language`` is a hint only)."""
    periods = _read(fold(text), as_of)
    return TimeReading(
        _match(periods.primary, text, as_of), _match(periods.baseline, text, as_of), periods.spans
    )


@lru_cache(maxsize=4096)
def has_time_words(text: str) -> bool:
    """Whether ``text`` says a period ("cumulative", "year to date", "年初至今"); any as-of date finds them."""
    return bool(read_periods(text, _ANY_DAY).spans)


_ANY_DAY = date(2000, 6, 15)


def parse_time(text: str, as_of: date, language: str = "en") -> TimeMatch | None:
    """Find the period a question asks about; ``None`` when it names none. A period that only names
    a comparison ("vs last month", "比去年", "去年同期") is not the one asked about."""
    return read_periods(text, as_of, language).primary


def this_month(as_of: date, grain: Grain = Grain.NONE) -> TimeRange:
    """The default default period: this month to date."""
    return finish(to_date("month", as_of), as_of, grain)


def default_range(default: DefaultPeriod, as_of: date, grain: Grain = Grain.NONE) -> TimeRange:
    """The period a question that names none is answered for: the catalog's (or the metric's)
    ``default_period``, read by the time grammar."""
    if default is DefaultPeriod.THIS_MONTH:
        return this_month(as_of, grain)
    found = parse_time(default.phrase, as_of, "en")
    if found is None:  # every DefaultPeriod is a phrase of time.en.yaml (tests/test_catalog_defaults.py)
        raise ValueError(f"the time grammar cannot read default period {default.phrase!r}")
    return found.range.model_copy(update={"grain": grain})


YEAR_TO_DATE_MIN_MONTHS = 3  # a monthly series of this year so far needs this many months to be a trend


def trend_window(as_of: date, grain: Grain) -> TimeRange:
    """Default window for a series: last 30 days (daily); by month, this year so far (from March on:
    in January or February, the last 12 months); 12 full weeks, 4 quarters or 3 years; each plus the
    current partial period."""
    if grain is Grain.DAY:
        return finish(last_n("day", 30, as_of), as_of, grain)
    if grain is Grain.MONTH and as_of.month >= YEAR_TO_DATE_MIN_MONTHS:
        return finish(to_date("year", as_of), as_of, grain)
    back = {Grain.WEEK: 12, Grain.QUARTER: 4, Grain.YEAR: 3}.get(grain, 12)
    unit = grain.value if grain in (Grain.WEEK, Grain.QUARTER, Grain.YEAR) else "month"
    first = unit_period(unit, as_of, back).first
    zh_unit = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}[unit]
    en, zh = f"last {back} {unit}s and this {unit} so far", f"过去{back}个{zh_unit}及本{zh_unit}至今"
    rng = finish(Hit(0, 0, first, as_of, en, zh, named=False), as_of, grain)
    return rng.model_copy(update={"partial": True})

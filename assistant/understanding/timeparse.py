"""Relative and absolute time expressions → ``TimeRange`` (English and Simplified Chinese).

Conventions: weeks start on Monday; a period that contains ``as_of`` ("this month") ends at
``as_of`` and is ``partial``; "last N days" is the N days ending at ``as_of``; "last N
weeks/months/quarters/years" are the N full periods before the current one; a month or
quarter named without a year is the most recent one that starts on or before ``as_of``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from metricqa.assistant.semantic.plan import Grain, TimeRange
from metricqa.core.language import fold

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1,
}  # fmt: skip
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
ZH_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_QUARTERS = "一二三四"
ZH_NUM = r"\d{1,3}|[零一二两三四五六七八九十]{1,3}"
EN_NUM = r"\d{1,3}|" + "|".join(sorted(EN_NUMBERS, key=len, reverse=True))
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
COMPARE_BEFORE = re.compile(
    r"(?:\bvs\.?|\bversus|\bcompared (?:to|with)|\bthan|\brelative to|对比|相比|相较|比|较|环比|同比)\s*$"
)
COMPARE_AFTER = re.compile(r"^\s*(?:同期|同比)")
RANGE_JOIN = re.compile(r"^\s*(?:to|through|until|till|and|-|–|~|到|至)\s*$")
RANGE_PREFIX = re.compile(r"(?:\bfrom|\bbetween|从|自)\s*$")


@dataclass(frozen=True)
class TimeMatch:
    """A time expression found in the question: the range and where it was (in folded text)."""

    range: TimeRange
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    first: date
    last: date  # the period's full end (before clipping at as_of)
    label_en: str
    label_zh: str
    year_given: bool = True
    rebuild: Callable[[int], _Hit] | None = None  # same period in another year
    named: bool = True  # a calendar period ("October 2026"); otherwise the label gets its date span


# ---- calendar helpers -------------------------------------------------------------------


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[date, date]:
    return date(year, 3 * quarter - 2, 1), month_range(year, 3 * quarter)[1]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def zh_number(text: str) -> int:
    """``"12"``, ``"十二"``, ``"二十"``, ``"两"`` → int."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (ZH_DIGITS.get(ones, 0) if ones else 0)
    return ZH_DIGITS.get(text, 0)


def en_number(text: str) -> int:
    return int(text) if text.isdigit() else EN_NUMBERS.get(text, 0)


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


# ---- period builders (label + range) ----------------------------------------------------


def month_hit(s: int, e: int, year: int, month: int, year_given: bool = True) -> _Hit:
    first, last = month_range(year, month)
    return _Hit(
        s, e, first, last, f"{calendar.month_name[month]} {year}", f"{year}年{month}月", year_given,
        lambda y: month_hit(s, e, y, month),
    )  # fmt: skip


def quarter_hit(s: int, e: int, year: int, quarter: int, year_given: bool = True) -> _Hit:
    first, last = quarter_range(year, quarter)
    return _Hit(
        s, e, first, last, f"Q{quarter} {year}", f"{year}年第{ZH_QUARTERS[quarter - 1]}季度", year_given,
        lambda y: quarter_hit(s, e, y, quarter),
    )  # fmt: skip


YEAR_WORDS = {"今年": 0, "本年": 0, "this year": 0, "去年": 1, "上年": 1, "last year": 1, "前年": 2}


def half_hit(s: int, e: int, year: int, half: int, year_given: bool = True) -> _Hit:
    first, last = (
        (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))
    )
    return _Hit(
        s, e, first, last, f"H{half} {year}", f"{year}年{'上' if half == 1 else '下'}半年", year_given,
        lambda y: half_hit(s, e, y, half),
    )  # fmt: skip


def year_hit(s: int, e: int, year: int) -> _Hit:
    return _Hit(s, e, date(year, 1, 1), date(year, 12, 31), str(year), f"{year}年")


def day_hit(s: int, e: int, day: date, en: str = "", zh: str = "") -> _Hit:
    return _Hit(s, e, day, day, en or fmt_day(day, "en"), zh or fmt_day(day, "zh"))


def week_hit(s: int, e: int, monday: date) -> _Hit:
    en, zh = f"week of {fmt_day(monday, 'en')}", f"{fmt_day(monday, 'zh')}当周"
    return _Hit(s, e, monday, monday + timedelta(days=6), en, zh)


def latest_month(as_of: date, month: int) -> int:
    return as_of.year if month <= as_of.month else as_of.year - 1


def latest_quarter(as_of: date, quarter: int) -> int:
    return as_of.year if quarter_range(as_of.year, quarter)[0] <= as_of else as_of.year - 1


def unit_period(unit: str, as_of: date, back: int, s: int, e: int) -> _Hit:
    """The ``unit`` period ``back`` periods before the one holding ``as_of`` (0 = current)."""
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


def last_n(unit: str, n: int, as_of: date, s: int, e: int) -> _Hit:
    if unit == "day":
        first = as_of - timedelta(days=n - 1)
        return _Hit(s, e, first, as_of, f"last {n} days", f"近{n}天", named=False)
    oldest, newest = unit_period(unit, as_of, n, s, e), unit_period(unit, as_of, 1, s, e)
    zh_unit = {"week": "周", "month": "个月", "quarter": "个季度", "year": "年"}[unit]
    return _Hit(s, e, oldest.first, newest.last, f"last {n} {unit}s", f"过去{n}{zh_unit}", named=False)


def to_date(unit: str, as_of: date, s: int, e: int) -> _Hit:
    hit = unit_period(unit, as_of, 0, s, e)
    return _Hit(s, e, hit.first, hit.last, hit.label_en, hit.label_zh)


# ---- patterns -----------------------------------------------------------------------------

EN_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
ZH_UNITS = {"天": "day", "日": "day", "周": "week", "星期": "week", "个星期": "week", "月": "month",
            "个月": "month", "季度": "quarter", "个季度": "quarter", "季": "quarter", "年": "year"}  # fmt: skip
ZH_THIS = {"本月": "month", "这个月": "month", "当月": "month", "这月": "month", "本月份": "month",
           "本周": "week", "这周": "week", "这个星期": "week", "本星期": "week", "这一周": "week", "这星期": "week",
           "本季度": "quarter", "这个季度": "quarter", "本季": "quarter", "当季": "quarter", "这季度": "quarter",
           "今年": "year", "本年": "year", "本年度": "year", "今年以来": "year", "年初至今": "year",
           "今年至今": "year", "年初到现在": "year", "本月至今": "month", "月初至今": "month",
           "本季度至今": "quarter", "季初至今": "quarter", "本周至今": "week", "当年": "year"}  # fmt: skip
ZH_LAST = {"上月": "month", "上个月": "month", "上一个月": "month", "上月份": "month",
           "上周": "week", "上个星期": "week", "上星期": "week", "上一周": "week",
           "上季度": "quarter", "上个季度": "quarter", "上一季度": "quarter", "上季": "quarter", "上一个季度": "quarter",
           "去年": "year", "上一年": "year", "上年": "year", "去年全年": "year", "上年度": "year"}  # fmt: skip
TODATE = {"wtd": "week", "mtd": "month", "qtd": "quarter", "ytd": "year"}

Matcher = Callable[[re.Match[str], date], "_Hit | None"]


def _words(options: dict[str, str]) -> str:
    return "|".join(sorted(map(re.escape, options), key=len, reverse=True))


def _iso_day(m: re.Match[str], as_of: date) -> _Hit | None:
    try:
        return day_hit(m.start(), m.end(), date(int(m["y"]), int(m["m"]), int(m["d"])))
    except ValueError:
        return None


def _year_month(m: re.Match[str], as_of: date) -> _Hit | None:
    month = MONTHS[m["mn"]] if m["mn"] else zh_number(m["m"])
    return month_hit(m.start(), m.end(), int(m["y"]), month) if 1 <= month <= 12 else None


def _month(m: re.Match[str], as_of: date) -> _Hit | None:
    month = MONTHS[m["mn"]] if m["mn"] else zh_number(m["m"])
    if not 1 <= month <= 12:
        return None
    return month_hit(m.start(), m.end(), latest_month(as_of, month), month, year_given=False)


def _quarter(m: re.Match[str], as_of: date) -> _Hit | None:
    raw = m["q"]
    quarter = ORDINALS.get(raw) or (ZH_QUARTERS.index(raw) + 1 if raw in ZH_QUARTERS else int(raw))
    if m["y"]:
        return quarter_hit(m.start(), m.end(), int(m["y"]), quarter)
    return quarter_hit(m.start(), m.end(), latest_quarter(as_of, quarter), quarter, year_given=False)


def _half(m: re.Match[str], as_of: date) -> _Hit | None:
    half = 1 if m["h"] in ("上", "first", "1") else 2
    if m["y"]:
        return half_hit(m.start(), m.end(), int(m["y"]), half)
    if m["zy"]:
        return half_hit(m.start(), m.end(), as_of.year - YEAR_WORDS[m["zy"]], half)
    year = as_of.year if (half == 1 or as_of.month >= 7) else as_of.year - 1
    return half_hit(m.start(), m.end(), year, half, year_given=False)


def _years_ago(m: re.Match[str], as_of: date) -> _Hit | None:
    return year_hit(m.start(), m.end(), as_of.year - 2)


def _year(m: re.Match[str], as_of: date) -> _Hit | None:
    return year_hit(m.start(), m.end(), int(m["y"]))


def _relative(m: re.Match[str], as_of: date) -> _Hit | None:
    word, unit = m["w"], EN_UNITS.get(m["u"] or "", "")
    if word in ("today", "今天", "今日"):
        return day_hit(m.start(), m.end(), as_of)
    if word in ("yesterday", "昨天", "昨日"):
        return day_hit(m.start(), m.end(), as_of - timedelta(days=1))
    if word in ("day before yesterday", "前天"):
        return day_hit(m.start(), m.end(), as_of - timedelta(days=2))
    if word in ZH_THIS:
        return to_date(ZH_THIS[word], as_of, m.start(), m.end())
    if word in ZH_LAST:
        return unit_period(ZH_LAST[word], as_of, 1, m.start(), m.end())
    if word in TODATE:
        return to_date(TODATE[word], as_of, m.start(), m.end())
    if word in ("this", "current", "so far this", "the current", "this past"):
        return to_date(unit, as_of, m.start(), m.end())
    if word == "to date":
        return to_date(unit, as_of, m.start(), m.end())
    return unit_period(unit, as_of, 1, m.start(), m.end())  # last / previous / prior / past


def _last_n(m: re.Match[str], as_of: date) -> _Hit | None:
    n = en_number(m["n"]) if m["n"] else zh_number(m["zn"])
    unit = EN_UNITS[m["u"]] if m["u"] else ZH_UNITS[m["zu"]]
    return last_n(unit, n, as_of, m.start(), m.end()) if 1 <= n <= 400 else None


PATTERNS: list[tuple[re.Pattern[str], Matcher]] = [
    (re.compile(r"(?:(?P<y>\d{4})\s*年\s*|(?P<zy>今年|本年|去年|上年|前年)\s*)?(?P<h>上|下)半年度?"), _half),
    (
        re.compile(
            r"\b(?:the\s+)?(?P<h>first|second)\s+half\b(?:\s*(?:of\s+)?(?:(?P<y>(?:19|20)\d{2})\b|(?P<zy>this year|last year)))?"
        ),
        _half,
    ),
    (re.compile(r"\bh(?P<h>[12])\b(?:\s*(?P<y>(?:19|20)\d{2})\b)?(?P<zy>)"), _half),
    (re.compile(r"前年"), _years_ago),
    (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"), _iso_day),
    (re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"), _iso_day),
    (re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})(?![-/\d])(?P<mn>)"), _year_month),
    (re.compile(rf"(?P<y>\d{{4}})\s*年\s*(?P<m>{ZH_NUM})\s*月份?(?P<mn>)"), _year_month),
    (re.compile(rf"\b(?P<mn>{MONTH_RE})\b\.?,?\s*(?:of\s+)?(?P<y>(?:19|20)\d{{2}})\b(?P<m>)"), _year_month),
    (re.compile(rf"\b(?P<y>(?:19|20)\d{{2}})\s+(?P<mn>{MONTH_RE})\b(?P<m>)"), _year_month),
    (
        re.compile(rf"(?:\b(?:in|for|during|of|since)\s+)?\b(?P<mn>{MONTH_RE.replace('may|', '')})\b(?P<m>)"),
        _month,
    ),
    (re.compile(r"\b(?:in|for|during|of)\s+(?P<mn>may)\b(?P<m>)"), _month),
    (
        re.compile(r"(?<![\d年个])(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月份?(?![\d日号])(?P<mn>)"),
        _month,
    ),
    (re.compile(r"\bq(?P<q>[1-4])\b(?:\s*(?:of\s+)?(?P<y>(?:19|20)\d{2})\b)?"), _quarter),
    (re.compile(r"\b(?P<y>(?:19|20)\d{2})\s*-?\s*q(?P<q>[1-4])\b"), _quarter),
    (
        re.compile(
            r"\b(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b(?:\s*(?:of\s+)?(?P<y>(?:19|20)\d{2})\b)?"
        ),
        _quarter,
    ),
    (re.compile(r"(?:(?P<y>\d{4})\s*年\s*)?第?\s*(?P<q>[一二三四1-4])\s*季度"), _quarter),
    (re.compile(r"(?P<y>\d{4})\s*年?\s*q(?P<q>[1-4])"), _quarter),
    (re.compile(r"(?:\b(?:in|for|during)\s+)?\b(?P<y>(?:19|20)\d{2})\b(?!\s*[-/年])"), _year),
    (re.compile(r"(?P<y>(?:19|20)\d{2})\s*年(?:度|全年)?"), _year),
    (re.compile(r"\b(?P<w>today|yesterday|day before yesterday)\b(?P<u>)"), _relative),
    (re.compile(rf"(?P<w>{_words(ZH_THIS)}|{_words(ZH_LAST)}|今天|今日|昨天|昨日|前天)(?P<u>)"), _relative),
    (re.compile(r"\b(?P<w>wtd|mtd|qtd|ytd)\b(?P<u>)"), _relative),
    (re.compile(r"\b(?P<u>week|month|quarter|year)[\s-]+(?P<w>to[\s-]+date)\b"), _relative),
    (
        re.compile(
            r"\b(?:(?:so far|to date)\s+)?(?P<w>so far this|this past|the current|this|current)\s+(?P<u>week|month|quarter|year)\b(?:\s+(?:so far|to date))?"
        ),
        _relative,
    ),
    (
        re.compile(r"\b(?:the\s+)?(?P<w>last|previous|prior|past)\s+(?P<u>week|month|quarter|year)\b"),
        _relative,
    ),
    (
        re.compile(
            rf"\b(?:in\s+|over\s+|for\s+|during\s+)?(?:the\s+)?(?:last|past|previous|prior|trailing|recent)\s+(?P<n>{EN_NUM})\s+(?P<u>day|week|month|quarter|year)s?\b(?P<zn>)(?P<zu>)"
        ),
        _last_n,
    ),
    (
        re.compile(
            rf"(?:最近|近|过去|前|最近的)\s*(?P<zn>{ZH_NUM})\s*(?P<zu>个星期|个季度|个月|星期|季度|天|日|周|月|年)(?P<n>)(?P<u>)"
        ),
        _last_n,
    ),
]


def _all_hits(text: str, as_of: date) -> list[_Hit]:
    hits: list[_Hit] = []
    for pattern, matcher in PATTERNS:
        for m in pattern.finditer(text):
            hit = matcher(m, as_of)
            if hit is not None and not _in_comparison(text, hit):
                hits.append(hit)
    return hits


def _in_comparison(text: str, hit: _Hit) -> bool:
    """ "vs last month", "比去年", "去年同期" name a comparison, not the period asked about."""
    return bool(COMPARE_BEFORE.search(text[: hit.start]) or COMPARE_AFTER.search(text[hit.end :]))


def _best(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, longest first, returned in text order."""
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


def _join_range(text: str, a: _Hit, b: _Hit) -> _Hit:
    if not a.year_given and b.year_given and a.rebuild is not None:
        a = a.rebuild(b.first.year if a.first.month <= b.first.month else b.first.year - 1)
    if not b.year_given and a.year_given and b.rebuild is not None:
        rebuild = b.rebuild
        b = rebuild(a.first.year)
        if b.first < a.first:
            b = rebuild(a.first.year + 1)
    prefix = RANGE_PREFIX.search(text[: a.start])
    start = prefix.start() if prefix else a.start
    return _Hit(start, b.end, a.first, b.last, "", "", named=False)


def _combine(text: str, hits: list[_Hit]) -> _Hit | None:
    if not hits:
        return None
    for a, b in zip(hits, hits[1:], strict=False):
        if RANGE_JOIN.match(text[a.end : b.start]) and a.first <= b.last:
            return _join_range(text, a, b)
    if len(hits) >= 2 and RANGE_JOIN.match(text[hits[0].end : hits[1].start]):
        return _join_range(text, hits[0], hits[1])
    return max(hits, key=lambda h: (h.end - h.start, -h.start))


def finish(hit: _Hit, as_of: date, grain: Grain = Grain.NONE) -> TimeRange:
    """Clip at ``as_of``; a clipped period is partial and says so in its label."""
    end = min(hit.last, as_of)
    partial = hit.last > as_of >= hit.first
    en, zh = hit.label_en, hit.label_zh
    if partial:
        en += f" so far (to {fmt_day(as_of, 'en', False)})"
        zh += f"(截至{fmt_day(as_of, 'zh', False)})"
    if not hit.named:
        span_en, span_zh = span_label(hit.first, end, "en"), span_label(hit.first, end, "zh")
        en, zh = (f"{en} ({span_en})", f"{zh}({span_zh})") if en else (span_en, span_zh)
    return TimeRange(start=hit.first, end=end, grain=grain, label=en, label_zh=zh, partial=partial)


def parse_time(text: str, as_of: date, language: str = "en") -> TimeMatch | None:
    """Find the period a question asks about; ``None`` when it names none."""
    folded = fold(text)
    hit = _combine(folded, _best(_all_hits(folded, as_of)))
    if hit is None:
        return None
    return TimeMatch(finish(hit, as_of), hit.start, hit.end, text[hit.start : hit.end])


def this_month(as_of: date, grain: Grain = Grain.NONE) -> TimeRange:
    """The default period: this month to date."""
    return finish(to_date("month", as_of, 0, 0), as_of, grain)


def trend_window(as_of: date, grain: Grain) -> TimeRange:
    """Default window for a series: last 30 days (daily), 12 full weeks/months, 4 quarters or 3 years,
    plus the current partial period."""
    if grain is Grain.DAY:
        return finish(last_n("day", 30, as_of, 0, 0), as_of, grain)
    back = {Grain.WEEK: 12, Grain.QUARTER: 4, Grain.YEAR: 3}.get(grain, 12)
    unit = grain.value if grain in (Grain.WEEK, Grain.QUARTER, Grain.YEAR) else "month"
    first = unit_period(unit, as_of, back, 0, 0).first
    en, zh = (
        f"last {back} {unit}s and this {unit} so far",
        f"过去{back}个{_zh_unit(unit)}及本{_zh_unit(unit)}至今",
    )
    hit = _Hit(0, 0, first, as_of, en, zh, named=False)
    rng = finish(hit, as_of, grain)
    return rng.model_copy(update={"partial": True})


def _zh_unit(unit: str) -> str:
    return {"week": "周", "month": "月", "quarter": "季度", "year": "年"}[unit]

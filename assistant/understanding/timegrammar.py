"""The time grammar: typed time tokens (``timegrammar_tokens``) → the periods a question names.

Passes over the tokens, each joining neighbours into period expressions (``Expr``):

1. atoms    REL UNIT (last month, 去年), REL MONTH (last March), ORD UNIT (third quarter), UNIT
            BEFORE_LAST (the month before last), UNIT TO_NOW (year to date), UNIT BEFORE (the week
            before), PERIOD, LAST_N, NEXT_N, MONTH / QUARTER / HALF / DAY, YEAR
2. years    a year (2025, last year, 去年) next to a month, quarter, half, day or ordinal, in either
            order, names its year (Q4 of last year, 去年12月, March 2025); next to a relative period
            it moves that period to its year (this month last year, 去年今天)
3. open     SINCE x, x TO_NOW, TO_NOW x, [FROM] x SEP NOW, x SEP today → start of x .. as-of
4. ranges   [FROM | BETWEEN] x SEP y, BETWEEN x JOIN y; the side without a year takes the other's
            (Dec to Feb crosses a year)
5. compare  CMP x, CMP_LEAD x, x JOIN y (a comparator in the question), JOIN x CMP, SAME x, x SAME,
            UNIT BEFORE → x is the baseline; every other expression may be the primary (the longest)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from metricqa.assistant.semantic.periods import shift
from metricqa.assistant.understanding.timegrammar_calendar import (
    UNIT_MONTHS,
    ZH_UNITS,
    Hit,
    add_months,
    calendar_hit,
    day_hit,
    fmt_day,
    half_hit,
    in_year,
    is_clipped,
    last_n,
    month_hit,
    next_n,
    quarter_hit,
    safe_date,
    shift_hit,
    unit_period,
    year_hit,
)
from metricqa.assistant.understanding.timegrammar_tokens import Lexicon, T, Token, lexicon, tokenize

CAL, ORD, REL, YEAR, SPAN, BEFORE, FIRST = "cal", "ord", "rel", "year", "span", "before", "first"
DATED = (T.MONTH, T.QUARTER, T.HALF, T.DAY)
CMP_KINDS = (T.CMP, T.CMP_LEAD)
GLUE = (T.PREP, T.ARTICLE)  # words an expression absorbs on its left and neighbours look past
SUB_YEAR = ("day", "week", "month", "quarter", "half")
GAP = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Expr:
    """A period expression: its span, the period (``None`` until it can be resolved) and how it was built."""

    start: int
    end: int
    hit: Hit | None
    kind: str  # CAL: a named period that can take a year; ORD: needs a year; REL: relative to as-of
    unit: str = ""  # REL, ORD, BEFORE: the unit
    offset: int = 0  # REL: periods from the current one; ORD: which one (-1 = the last)
    weak: bool = False  # a month that is also a common word ("may"); FIRST: the word also means "last N"
    last_of: bool = False  # "last quarter" can be the last quarter of a year ("… of 2025")
    absolute: bool = False  # its year was written as a number (2025, Oct '25), not relative (last year)
    dom: bool = False  # a day of a month named next to it (本月1号, 从1号到现在)

    def spanning(self, start: int, end: int, hit: Hit | None = None, kind: str = "") -> Expr:
        """The expression over ``start``..``end`` (its hit moved there), optionally with a new hit or kind."""
        new = hit if hit is not None else self.hit
        return replace(
            self, start=start, end=end, hit=new.at(start, end) if new else None, kind=kind or self.kind,
            weak=self.weak and hit is None and start == self.start and end == self.end,
        )  # fmt: skip


Item = Token | Expr


@dataclass(frozen=True)
class Periods:
    """What the grammar read: the period asked about, the one it is compared with, every span used."""

    primary: Hit | None
    baseline: Hit | None
    spans: tuple[tuple[int, int], ...]


# ---- helpers --------------------------------------------------------------------------------------


class _Text:
    """The folded question and the lexicon, for the gap checks between items."""

    def __init__(self, text: str, lex: Lexicon, as_of: date) -> None:
        self.text, self.lex, self.as_of = text, lex, as_of

    def gap(self, a: Item, b: Item) -> list[str]:
        return [w for w in GAP.split(self.text[a.end : b.start]) if w]

    def tight(self, a: Item, b: Item) -> bool:
        return not self.text[a.end : b.start].strip()

    def glued(self, a: Item, b: Item, words: set[str]) -> bool:
        parts = self.gap(a, b)
        return len(parts) <= 2 and all(p in words for p in parts)


def _is(item: Item | None, *kinds: T) -> bool:
    return isinstance(item, Token) and item.kind in kinds


def _expr(item: Item | None, *kinds: str) -> bool:
    return isinstance(item, Expr) and item.hit is not None and (not kinds or item.kind in kinds)


def _at(items: list[Item], i: int | None) -> Item | None:
    return items[i] if i is not None and 0 <= i < len(items) else None


def _latest(build: Callable[[int], Hit], as_of: date, offset: int | None = None) -> Hit:
    """The period in the latest year it started on or before ``as_of``; with ``offset`` -1 the latest one
    over before ``as_of`` ("last March"), 0 this year's, 1 the next one to start ("next March")."""
    this = build(as_of.year)
    if offset is None:
        return this if this.first <= as_of else build(as_of.year - 1)
    if offset < 0:
        return this if this.last < as_of else build(as_of.year - 1)
    if offset > 0:
        return this if this.first > as_of else build(as_of.year + 1)
    return this


def _builder(tok: Token) -> Callable[[int], Hit]:
    s, e, n = tok.start, tok.end, tok.n
    if tok.kind is T.MONTH:
        return lambda y: month_hit(s, e, y, n)
    if tok.kind is T.QUARTER:
        return lambda y: quarter_hit(s, e, y, n)
    if tok.kind is T.HALF:
        return lambda y: half_hit(s, e, y, n)
    return lambda y: day_hit(s, e, safe_date(y, tok.month, n))


def _dated(tok: Token, as_of: date, offset: int | None = None) -> Expr:
    if tok.kind is T.DAY and not tok.month:
        return _day_of_month(tok, as_of)
    build = _builder(tok)
    if tok.year is not None:
        return Expr(tok.start, tok.end, build(tok.year), CAL, absolute=True)
    hit = _latest(build, as_of, offset)
    return Expr(tok.start, tok.end, replace(hit, year_given=offset is not None), CAL, weak=tok.weak)


def _day_of_month(tok: Token, as_of: date) -> Expr:
    """Day ``n`` of the latest month in which it is on or before as-of."""
    day = safe_date(as_of.year, as_of.month, tok.n)
    if day > as_of:
        earlier = add_months(as_of.replace(day=1), -1)
        day = safe_date(earlier.year, earlier.month, tok.n)
    hit = day_hit(tok.start, tok.end, day, year_given=False)
    return Expr(tok.start, tok.end, hit, CAL, weak=True, dom=True)


def _relative(start: int, end: int, unit: str, offset: int, as_of: date) -> Expr:
    hit = unit_period(unit, as_of, -offset, start, end)
    kind = YEAR if unit == "year" else REL
    return Expr(start, end, hit, kind, unit, offset, last_of=offset == -1 and unit in ("month", "quarter"))


def _ordinal(start: int, end: int, unit: str, n: int, as_of: date) -> Expr:
    if unit == "quarter" and 1 <= n <= 4:
        hit = _latest(lambda y: quarter_hit(start, end, y, n), as_of)
        return Expr(start, end, replace(hit, year_given=False), CAL)
    return Expr(start, end, None, ORD, unit, n)


def _in_ordinal_year(e: Expr, year: int) -> Hit:
    if e.unit == "quarter":
        return quarter_hit(e.start, e.end, year, 4 if e.offset == -1 else e.offset)
    return month_hit(e.start, e.end, year, 12 if e.offset == -1 else e.offset)


# ---- 1. atoms -------------------------------------------------------------------------------------


def _pair_atom(t: Token, nxt: Token, tx: _Text) -> Expr | None:
    as_of = tx.as_of
    if t.kind is T.REL and nxt.kind is T.UNIT and (t.units is None or nxt.unit in t.units):
        return _relative(t.start, nxt.end, nxt.unit, t.n, as_of)
    if t.kind is T.REL and t.units is None and nxt.kind in DATED and nxt.year is None:
        e = _dated(replace(nxt, start=t.start), as_of, max(-1, min(1, t.n)))
        return replace(e, weak=False)
    if t.kind is T.ORD and nxt.kind is T.UNIT and nxt.unit in ("month", "quarter"):
        return _ordinal(t.start, nxt.end, nxt.unit, t.n, as_of)
    if t.kind is T.UNIT and nxt.kind is T.BEFORE_LAST:
        return _relative(t.start, nxt.end, t.unit, -2, as_of)
    if t.kind is T.UNIT and nxt.kind is T.BEFORE:
        return Expr(t.start, nxt.end, None, BEFORE, t.unit, -1)
    return None


def _atom(t: Token, as_of: date) -> Item:
    if t.kind in DATED:
        return _dated(t, as_of)
    if t.kind is T.YEAR:
        return Expr(t.start, t.end, year_hit(t.start, t.end, t.n), YEAR, "year", absolute=True)
    if t.kind is T.FIRST_N:
        return Expr(t.start, t.end, None, FIRST, t.unit, t.n, weak=t.weak)
    if t.kind is T.PERIOD:
        return _relative(t.start, t.end, t.unit, t.n, as_of)
    if t.kind is T.LAST_N:
        return Expr(t.start, t.end, last_n(t.unit, t.n, as_of, t.start, t.end), SPAN)
    if t.kind is T.NEXT_N:
        return Expr(t.start, t.end, next_n(t.unit, t.n, as_of, t.start, t.end), SPAN)
    return t


def _to_date(tokens: list[Token], i: int, tx: _Text) -> int:
    """How many tokens after a unit make it "to date" ("year to date", "month-to-date"); 0 if none."""
    if tokens[i].kind is not T.UNIT:
        return 0
    for k in (1, 2):
        if i + k >= len(tokens) or not tx.tight(tokens[i + k - 1], tokens[i + k]):
            return 0
        tok = tokens[i + k]
        if tok.kind is T.TO_NOW:
            return k
        if not (tok.kind is T.SEP and tx.text[tok.start : tok.end] == "-"):
            return 0
    return 0


def _atoms(tokens: list[Token], tx: _Text) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(tokens):
        t, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
        to_date = _to_date(tokens, i, tx)
        if to_date:
            out.append(_relative(t.start, tokens[i + to_date].end, t.unit, 0, tx.as_of))  # year to date
            i += to_date + 1
            continue
        pair = _pair_atom(t, nxt, tx) if nxt is not None and tx.tight(t, nxt) else None
        if pair is not None:
            out.append(pair)
            i += 2
            continue
        out.append(_atom(t, tx.as_of))
        i += 1
    return out


# ---- 2. years -------------------------------------------------------------------------------------


def _neighbour(items: list[Item], i: int, step: int, tx: _Text) -> int | None:
    """The nearest item on one side, past prepositions (and a "-" touching both), if it is a year
    glued to ``items[i]`` ("Q4 of last year", "2025-q3", "去年的12月")."""
    j = i + step
    while _is(_at(items, j), *GLUE) or (
        _is(_at(items, j), T.SEP) and tx.text[items[j].start : items[j].end] == "-"
    ):
        j += step
    other = _at(items, j)
    if other is None or not _expr(other, YEAR):
        return None
    a, b = (other, items[i]) if step < 0 else (items[i], other)
    return j if tx.glued(a, b, tx.lex.year_glue | {"-"}) else None


def _with_year(e: Expr, y: Expr, tx: _Text) -> Expr | None:
    assert y.hit is not None
    year = y.hit.first.year
    start, end = min(e.start, y.start), max(e.end, y.end)
    of = e.end <= y.start and any(w in tx.lex.year_glue for w in tx.gap(e, y))
    if e.kind == ORD or (e.last_of and of):
        ordinal = e if e.kind == ORD else replace(e, offset=-1)
        return Expr(start, end, _in_ordinal_year(ordinal, year), CAL, absolute=y.absolute)
    if e.hit is None:
        return None
    if e.kind == CAL:
        return replace(e.spanning(start, end, hit=in_year(e.hit, year)), absolute=y.absolute)
    moved = shift_hit(e.hit, "year", year - e.hit.first.year)
    return replace(e.spanning(start, end, hit=moved, kind=CAL), absolute=y.absolute)


def _years(items: list[Item], tx: _Text) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        e = out[i]
        if (
            isinstance(e, Expr)
            and e.kind in (CAL, ORD, REL)
            and not (e.kind == CAL and e.hit and e.hit.year_given)
        ):
            left, right = _neighbour(out, i, -1, tx), _neighbour(out, i, 1, tx)
            j = left if left is not None and (right is None or tx.tight(out[left], e)) else right
            y = out[j] if j is not None else None
            merged = _with_year(e, y, tx) if isinstance(y, Expr) else None
            if merged is not None and j is not None:
                lo, hi = min(i, j), max(i, j)
                out[lo : hi + 1] = [merged]
                i = lo
        i += 1
    return out


def _drop_weak(items: list[Item], tx: _Text) -> list[Item]:
    """ "may" is a month only next to another time word: "in May", "May 2025", "May vs April"."""
    out: list[Item] = []
    for i, item in enumerate(items):
        if isinstance(item, Expr) and item.weak and not _cued(items, i, tx):
            continue
        out.append(item)
    return out


def _cued(items: list[Item], i: int, tx: _Text) -> bool:
    e, prev, nxt = items[i], _at(items, i - 1), _at(items, i + 1)
    assert isinstance(e, Expr)
    prev_ok = prev is not None and tx.tight(prev, e)
    next_ok = nxt is not None and tx.tight(e, nxt)
    if e.dom:  # "1号" is a day only in a range: 从1号到现在, 1号以来, 1号到15号
        return (prev_ok and _is(prev, T.FROM, T.SINCE, T.SEP)) or (next_ok and _is(nxt, T.TO_NOW, T.SEP))
    if prev_ok:
        if _is(prev, T.PREP, T.SINCE, T.FROM, T.BETWEEN, T.START_OF, T.CMP_VERB):
            return True
        if _is(prev, T.SEP, T.JOIN, T.CMP) and _expr(_at(items, i - 2)):
            return True
    if next_ok:
        if _is(nxt, T.TO_NOW):
            return True
        if _is(nxt, T.SEP, T.JOIN, T.CMP) and _expr(_at(items, i + 2)):
            return True
    return False


# ---- 2b. parts of a period ---------------------------------------------------------------------------


def _first_n(e: Expr, within: Hit, start: int, end: int) -> Hit:
    """The first ``e.offset`` ``e.unit``s of ``within`` ("first 3 months of 2025", "11月前10天")."""
    n, unit = e.offset, e.unit
    if unit in UNIT_MONTHS:
        last = add_months(within.first, n * UNIT_MONTHS[unit]) - timedelta(days=1)
    else:
        last = within.first + timedelta(days=n * (7 if unit == "week" else 1) - 1)
    en, zh = f"first {n} {unit}s of {within.label_en}", f"{within.label_zh}前{n}{ZH_UNITS[unit]}"
    return Hit(start, end, within.first, min(last, within.last), en, zh, within.year_given, named=False)


def _part(items: list[Item], i: int, tx: _Text) -> tuple[int, int, Expr] | None:
    """A part of the period next to ``items[i]``: a day of a month (本月1号), the first N units of a
    period (今年前三季度, first 3 months of 2025) or the week of a day (week of Nov 9, 11月9日当周)."""
    e, prev = items[i], _at(items, i - 1)
    glue = tx.lex.year_glue
    if isinstance(e, Expr) and e.dom and isinstance(prev, Expr) and prev.hit and prev.hit.unit == "month":
        if tx.tight(prev, e):
            day = safe_date(prev.hit.first.year, prev.hit.first.month, e.hit.first.day if e.hit else 1)
            return i - 1, i, Expr(prev.start, e.end, day_hit(prev.start, e.end, day), CAL)
    if isinstance(e, Expr) and e.kind == FIRST:
        whole = prev if isinstance(prev, Expr) and prev.hit and tx.tight(prev, e) else None
        j = _step(items, i, 1, tx)
        after = _at(items, j)
        if whole is None and isinstance(after, Expr) and after.hit and tx.glued(e, after, glue):
            whole = after
        if whole is not None and whole.hit is not None:
            lo, hi = (i - 1, i) if whole is prev else (i, j if j is not None else i)
            start, end = items[lo].start, items[hi].end
            return lo, hi, Expr(start, end, _first_n(e, whole.hit, start, end), SPAN)
    if _is(e, T.UNIT) and isinstance(e, Token) and e.unit == "week":
        j = _step(items, i, 1, tx)
        of = _at(items, j)
        if (
            isinstance(of, Expr)
            and of.hit
            and of.hit.unit == "day"
            and j is not None
            and tx.glued(e, of, glue)
        ):
            return i, j, Expr(e.start, of.end, calendar_hit("week", of.hit.first, e.start, of.end), CAL)
    if isinstance(e, Expr) and e.kind == REL and e.unit == "week" and e.offset == 0:
        if isinstance(prev, Expr) and prev.hit and prev.hit.unit == "day" and tx.tight(prev, e):
            return (
                i - 1,
                i,
                Expr(prev.start, e.end, calendar_hit("week", prev.hit.first, prev.start, e.end), CAL),
            )
    return None


def _parts(items: list[Item], tx: _Text) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        found = _part(out, i, tx)
        if found is not None:
            lo, hi, expr = found
            out[lo : hi + 1] = [expr]
            i = lo
        i += 1
    return [_first_alone(item, tx.as_of) for item in out]


def _first_alone(item: Item, as_of: date) -> Item:
    """ "前3个月" with no period to be part of is the last 3 months; "first 3 months", of this year."""
    if not (isinstance(item, Expr) and item.kind == FIRST):
        return item
    if item.weak:
        return Expr(item.start, item.end, last_n(item.unit, item.offset, as_of, item.start, item.end), SPAN)
    return Expr(
        item.start, item.end, _first_n(item, unit_period("year", as_of, 0), item.start, item.end), SPAN
    )


# ---- 3. open ranges -------------------------------------------------------------------------------


def _open(e: Expr, start: int, end: int, as_of: date) -> Expr:
    """Start of ``e`` .. as-of. A period that already runs to as-of (this year) stays as it is."""
    hit = e.hit
    assert hit is not None
    if hit.first > as_of or hit.last >= as_of:
        return e.spanning(start, end)
    en = f"since {hit.label_en}" if hit.label_en else ""
    zh = f"{hit.label_zh}以来" if hit.label_zh else ""
    opened = Hit(start, end, hit.first, as_of, en, zh, hit.year_given, named=False, partial=True)
    return Expr(start, end, opened, SPAN)


def _is_today(item: Item | None, as_of: date) -> bool:
    return _expr(item, REL) and item.unit == "day" and item.hit.first == as_of  # type: ignore[union-attr]


def _opens(items: list[Item], tx: _Text) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        e, nxt = out[i], _at(out, i + 1)
        if _is(e, T.START_OF) and isinstance(nxt, Expr) and nxt.hit is not None and tx.tight(e, nxt):
            out[i : i + 2] = [nxt.spanning(e.start, nxt.end)]
            continue
        span = _open_span(out, i, tx) if isinstance(e, Expr) and _expr(e, CAL, REL, YEAR) else None
        if span is not None and isinstance(e, Expr):
            lo, hi = span
            out[lo : hi + 1] = [_open(e, out[lo].start, out[hi].end, tx.as_of)]
            i = lo
        i += 1
    return out


def _open_span(items: list[Item], i: int, tx: _Text) -> tuple[int, int] | None:
    """The items an open range from ``items[i]`` spans ("since x", "x以来", "from x to now"), if it is one."""
    e, prev, nxt, after = items[i], _at(items, i - 1), _at(items, i + 1), _at(items, i + 2)
    lo = (
        i - 1
        if prev is not None and _is(prev, T.FROM, T.BETWEEN, T.SINCE, T.TO_NOW) and tx.tight(prev, e)
        else i
    )
    opened = _is(prev, T.SINCE, T.TO_NOW) and lo < i
    hi = i
    if nxt is not None and _is(nxt, T.TO_NOW) and tx.glued(e, nxt, set()):
        hi, opened = i + 1, True
    elif (
        nxt is not None
        and after is not None
        and _is(nxt, T.SEP, T.JOIN)
        and tx.tight(e, nxt)
        and tx.tight(nxt, after)
    ):
        if _is(after, T.NOW) or _is_today(after, tx.as_of):
            hi, opened = i + 2, True
    return (lo, hi) if opened else None


# ---- 4. ranges ------------------------------------------------------------------------------------


def _range_hit(a: Hit, b: Hit, start: int, end: int) -> Hit | None:
    if not a.year_given and b.year_given:
        a = in_year(a, b.first.year)
        if a.first > b.first:
            a = in_year(a, b.first.year - 1)
    elif not b.year_given:
        b = in_year(b, a.first.year)
        if b.first < a.first:
            b = in_year(b, a.first.year + 1)
    if a.first > b.last:
        return None
    return Hit(start, end, a.first, b.last, "", "", a.year_given or b.year_given, named=False)


def _ranges(items: list[Item], tx: _Text) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        a, sep, b, prev = out[i], _at(out, i + 1), _at(out, i + 2), _at(out, i - 1)
        opener = prev if prev is not None and _is(prev, T.FROM, T.BETWEEN) and tx.tight(prev, a) else None
        joins = (T.SEP, T.JOIN) if _is(opener, T.BETWEEN) else (T.SEP,)
        if (
            isinstance(a, Expr) and isinstance(b, Expr) and sep is not None and a.hit and b.hit
            and a.kind in (CAL, REL, YEAR) and b.kind in (CAL, REL, YEAR) and _is(sep, *joins)
            and tx.tight(a, sep) and tx.tight(sep, b) and not _is(prev, T.CMP_VERB)
        ):  # fmt: skip
            start = opener.start if opener is not None else a.start
            hit = _range_hit(a.hit, b.hit, start, b.end)
            if hit is not None:
                lo = i - 1 if opener is not None else i
                out[lo : i + 3] = [Expr(start, b.end, hit, SPAN)]
                i = lo
        i += 1
    return out


# ---- 5. comparisons -------------------------------------------------------------------------------


def _step(items: list[Item], i: int | None, step: int, tx: _Text) -> int | None:
    """The index of the next item on one side, past prepositions, that touches ``items[i]``."""
    if i is None:
        return None
    j = i + step
    while _is(_at(items, j), *GLUE):
        j += step
    other = _at(items, j)
    if other is None:
        return None
    a, b = (other, items[i]) if step < 0 else (items[i], other)
    return j if tx.glued(a, b, tx.lex.preps) else None


def _ids(*indexes: int | None) -> list[int]:
    return [i for i in indexes if i is not None]


def _baseline_rule(items: list[Item], i: int, tx: _Text, compared: bool) -> tuple[str, list[int]] | None:
    """How ``items[i]`` is a baseline, and the tokens that said so; ``None`` when it is not one."""
    e = items[i]
    assert isinstance(e, Expr)
    p, n = _step(items, i, -1, tx), _step(items, i, 1, tx)
    prev, nxt = _at(items, p), _at(items, n)
    cmp_before = _ids(p) if _is(prev, *CMP_KINDS, T.JOIN) else []
    if e.kind == BEFORE:  # (vs) the week before
        return "before", _ids(p) if _is(prev, *CMP_KINDS) else []
    if _is(nxt, T.SAME) and e.kind in (YEAR, REL):  # 去年同期, 跟上季度同期比
        nn = _step(items, n, 1, tx)
        return "same", cmp_before + _ids(n) + (_ids(nn) if _is(_at(items, nn), T.CMP) else [])
    if _is(prev, T.SAME) and e.kind in (YEAR, REL):  # (vs) the same period last year
        pp = _step(items, p, -1, tx)
        return "same", _ids(p) + (_ids(pp) if _is(_at(items, pp), *CMP_KINDS) else [])
    if _is(prev, *CMP_KINDS):  # vs last month, 比去年, 环比上月
        return "plain", _ids(p)
    if _is(prev, T.JOIN) and _is(nxt, T.CMP):  # 和去年比
        return "plain", _ids(p, n)
    if compared and _is(prev, T.JOIN, T.SEP) and _expr(_at(items, _step(items, p, -1, tx))):  # 5月和4月对比
        return "plain", _ids(p)
    return None


def _comparisons(items: list[Item], tx: _Text) -> tuple[list[Expr], list[tuple[Expr, str]], list[int]]:
    """Split the expressions into candidates for the primary and baselines (with how each is one)."""
    compared = any(_is(item, T.CMP, T.CMP_VERB) for item in items)
    primaries: list[Expr] = []
    baselines: list[tuple[Expr, str]] = []
    used: list[int] = []
    for i, item in enumerate(items):
        if not isinstance(item, Expr):
            continue
        rule = _baseline_rule(items, i, tx, compared)
        if rule is None:
            if item.hit is not None:
                primaries.append(item)
            continue
        baselines.append((item, rule[0]))
        used += rule[1]
    if baselines:
        used += [i for i, item in enumerate(items) if _is(item, T.CMP_VERB)]
        used += _far_comparator(items, used)
    return primaries, baselines, used


def _far_comparator(items: list[Item], used: list[int]) -> list[int]:
    """ "10月和9月的订单数对比": the comparator that made "和" compare, if not used yet."""
    joins = [i for i in used if _is(items[i], T.JOIN, T.SEP)]
    if not joins or any(_is(items[i], T.CMP) for i in used):
        return []
    return [i for i, item in enumerate(items) if _is(item, T.CMP) and i > joins[0]][:1]


# ---- the baseline against the primary -----------------------------------------------------------------


def _aligned(primary: Hit, base: Hit, as_of: date) -> Hit:
    """A primary period cut at as-of compares with the same stretch of its baseline (Nov 1–20 vs Oct 1–20)."""
    if not (is_clipped(primary, as_of) and base.unit and base.unit == primary.unit and base.last < as_of):
        return base
    if primary.unit in ("week", "day"):
        end = base.first + (as_of - primary.first)
    else:
        months = (base.first.year - primary.first.year) * 12 + base.first.month - primary.first.month
        end = shift(as_of, months=months)
    if end >= base.last:
        return base
    en = f"{base.label_en} to {fmt_day(end, 'en', False)}"
    zh = f"{base.label_zh}(截至{fmt_day(end, 'zh', False)})"
    return Hit(base.start, base.end, base.first, end, en, zh, partial=False)


def _sub_year(hit: Hit) -> bool:
    return hit.unit in SUB_YEAR or (not hit.unit and (hit.last - hit.first).days < 300)


def _baseline(primary: Hit | None, base: Expr, how: str, as_of: date) -> Hit | None:
    if how == "before":
        if primary is None:
            return None
        hit = shift_hit(calendar_hit(base.unit, primary.first), base.unit, -1)
        return _aligned(primary, hit.at(base.start, base.end), as_of)
    assert base.hit is not None
    if primary is None:
        return base.hit
    if how == "same" or (base.kind == YEAR and _sub_year(primary)):
        if base.kind == YEAR:
            moved = shift_hit(primary, "year", base.hit.first.year - primary.first.year)
        else:
            moved = shift_hit(primary, base.unit, base.offset)
        return _aligned(primary, moved.at(base.start, base.end), as_of)
    hit = base.hit
    if not hit.year_given and hit.unit:
        hit = in_year(hit, primary.first.year)
        hit = in_year(hit, hit.first.year - 1) if hit.first > as_of else hit
    if (hit.first, hit.last) == (primary.first, primary.last):  # last week vs prior week: the one before
        hit = _previous(primary).at(hit.start, hit.end)
    return _aligned(primary, hit, as_of)


def _previous(hit: Hit) -> Hit:
    """The period just before ``hit``: the calendar period before, or as many days before."""
    if hit.unit:
        return shift_hit(hit, hit.unit, -1)
    length = hit.last - hit.first + timedelta(days=1)
    return Hit(hit.start, hit.end, hit.first - length, hit.last - length, "", "", named=False)


def _primary(candidates: list[Expr], baseline: Expr | None) -> Hit | None:
    if not candidates:
        return None
    best = max(candidates, key=lambda e: (e.end - e.start, -e.start)).hit
    base = baseline.hit if baseline is not None else None
    if best is not None and base is not None and not best.year_given and base.year_given:
        if baseline is not None and baseline.kind == CAL and baseline.absolute and best.unit == base.unit:
            best = in_year(best, base.first.year).at(best.start, best.end)
    return best


# ---- reading --------------------------------------------------------------------------------------


def _extend(items: list[Item], tx: _Text) -> list[Item]:
    """Prepositions before and fillers after an expression belong to it ("in the last 7 days", "去年全年")."""
    out: list[Item] = []
    for item in items:
        last = out[-1] if out else None
        if isinstance(item, Expr):
            start = item.start
            while out and _is(out[-1], *GLUE) and not tx.text[out[-1].end : start].strip():
                start = out.pop().start
            item = item.spanning(start, item.end)
        elif _is(item, T.FILLER) and isinstance(last, Expr) and not tx.text[last.end : item.start].strip():
            out[-1] = last.spanning(last.start, item.end)
            continue
        out.append(item)
    return out


def read(text: str, as_of: date) -> Periods:
    """The periods in folded ``text``: the primary, its baseline (if compared) and every span used."""
    tx = _Text(text, lexicon(), as_of)
    items = _atoms(tokenize(text), tx)
    for step in (_years, _parts, _drop_weak, _opens, _ranges, _extend):
        items = step(items, tx)
    candidates, baselines, used = _comparisons(items, tx)
    base_expr, how = baselines[0] if baselines else (None, "")
    primary = _primary(candidates, base_expr)
    baseline = _baseline(primary, base_expr, how, as_of) if base_expr is not None else None
    spans = [(e.start, e.end) for e in items if isinstance(e, Expr) and (e.hit or e.kind == BEFORE)]
    spans += [(items[k].start, items[k].end) for k in used]
    return Periods(primary, baseline, _merge(spans))


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)

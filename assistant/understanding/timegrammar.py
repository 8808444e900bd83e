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
2b. parts   a day of a month (本月1号), the first N units of a period (今年前三季度, first 3 months
            of 2025), the week of a day (week of Nov 9, 11月9日当周)
5. compare  which expression is the baseline and which the primary (``timegrammar_compare``)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from metricqa.assistant.understanding.timegrammar_calendar import (
    UNIT_MONTHS,
    ZH_UNITS,
    Hit,
    add_months,
    calendar_hit,
    day_hit,
    half_hit,
    in_year,
    last_n,
    month_hit,
    next_n,
    quarter_hit,
    safe_date,
    shift_hit,
    unit_period,
    year_hit,
)
from metricqa.assistant.understanding.timegrammar_compare import compare
from metricqa.assistant.understanding.timegrammar_exprs import (
    BEFORE,
    CAL,
    DATED,
    FIRST,
    GLUE,
    ORD,
    REL,
    SPAN,
    YEAR,
    Expr,
    Item,
    Periods,
    TextView,
    is_expr,
    is_token,
    item_at,
    touching,
)
from metricqa.assistant.understanding.timegrammar_tokens import T, Token, lexicon, tokenize


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


def _pair_atom(t: Token, nxt: Token, tx: TextView) -> Expr | None:
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


def _to_date(tokens: list[Token], i: int, tx: TextView) -> int:
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


def _atoms(tokens: list[Token], tx: TextView) -> list[Item]:
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


def _neighbour(items: list[Item], i: int, step: int, tx: TextView) -> int | None:
    """The nearest item on one side, past prepositions (and a "-" touching both), if it is a year
    glued to ``items[i]`` ("Q4 of last year", "2025-q3", "去年的12月")."""
    j = i + step
    while is_token(item_at(items, j), *GLUE) or (
        is_token(item_at(items, j), T.SEP) and tx.text[items[j].start : items[j].end] == "-"
    ):
        j += step
    other = item_at(items, j)
    if other is None or not is_expr(other, YEAR):
        return None
    a, b = (other, items[i]) if step < 0 else (items[i], other)
    return j if tx.glued(a, b, tx.lex.year_glue | {"-"}) else None


def _with_year(e: Expr, y: Expr, tx: TextView) -> Expr | None:
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


def _years(items: list[Item], tx: TextView) -> list[Item]:
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


def _drop_weak(items: list[Item], tx: TextView) -> list[Item]:
    """ "may" is a month only next to another time word: "in May", "May 2025", "May vs April"."""
    out: list[Item] = []
    for i, item in enumerate(items):
        if isinstance(item, Expr) and item.weak and not _cued(items, i, tx):
            continue
        out.append(item)
    return out


def _cued(items: list[Item], i: int, tx: TextView) -> bool:
    e, prev, nxt = items[i], item_at(items, i - 1), item_at(items, i + 1)
    assert isinstance(e, Expr)
    prev_ok = prev is not None and tx.tight(prev, e)
    next_ok = nxt is not None and tx.tight(e, nxt)
    if e.dom:  # "1号" is a day only in a range: 从1号到现在, 1号以来, 1号到15号
        return (prev_ok and is_token(prev, T.FROM, T.SINCE, T.SEP)) or (
            next_ok and is_token(nxt, T.TO_NOW, T.SEP)
        )
    if prev_ok:
        if is_token(prev, T.PREP, T.SINCE, T.FROM, T.BETWEEN, T.START_OF, T.CMP_VERB):
            return True
        if is_token(prev, T.SEP, T.JOIN, T.CMP) and is_expr(item_at(items, i - 2)):
            return True
    if next_ok:
        if is_token(nxt, T.TO_NOW):
            return True
        if is_token(nxt, T.SEP, T.JOIN, T.CMP) and is_expr(item_at(items, i + 2)):
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


Part = tuple[int, int, Expr]  # the items lo..hi it replaces, and the expression


def _day_in_month(items: list[Item], i: int, tx: TextView) -> Part | None:
    """本月1号, 上个月15号: a day of the month just before it."""
    e, prev = items[i], item_at(items, i - 1)
    if not (isinstance(e, Expr) and e.dom and e.hit and isinstance(prev, Expr) and prev.hit):
        return None
    if prev.hit.unit != "month" or not tx.tight(prev, e):
        return None
    day = safe_date(prev.hit.first.year, prev.hit.first.month, e.hit.first.day)
    return i - 1, i, Expr(prev.start, e.end, day_hit(prev.start, e.end, day), CAL)


def _first_of(items: list[Item], i: int, tx: TextView) -> Part | None:
    """今年前三季度 (the period before it), first 3 months of 2025 (the period after "of")."""
    e, prev = items[i], item_at(items, i - 1)
    if not (isinstance(e, Expr) and e.kind == FIRST):
        return None
    j = touching(items, i, 1, tx)
    after = item_at(items, j)
    if isinstance(prev, Expr) and prev.hit and tx.tight(prev, e):
        lo, hi, whole = i - 1, i, prev.hit
    elif j is not None and isinstance(after, Expr) and after.hit and tx.glued(e, after, tx.lex.year_glue):
        lo, hi, whole = i, j, after.hit
    else:
        return None
    start, end = items[lo].start, items[hi].end
    return lo, hi, Expr(start, end, _first_n(e, whole, start, end), SPAN)


def _week_of(items: list[Item], i: int, tx: TextView) -> Part | None:
    """week of Nov 9, 11月9日当周: the week that holds a day."""
    e, prev = items[i], item_at(items, i - 1)
    if isinstance(e, Token) and e.kind is T.UNIT and e.unit == "week":
        j = touching(items, i, 1, tx)
        day = item_at(items, j)
        if j is not None and isinstance(day, Expr) and day.hit and day.hit.unit == "day":
            if tx.glued(e, day, tx.lex.year_glue):
                return (
                    i,
                    j,
                    Expr(e.start, day.end, calendar_hit("week", day.hit.first, e.start, day.end), CAL),
                )
    if isinstance(e, Expr) and e.kind == REL and e.unit == "week" and e.offset == 0:
        if isinstance(prev, Expr) and prev.hit and prev.hit.unit == "day" and tx.tight(prev, e):
            week = calendar_hit("week", prev.hit.first, prev.start, e.end)
            return i - 1, i, Expr(prev.start, e.end, week, CAL)
    return None


PARTS = (_day_in_month, _first_of, _week_of)


def _parts(items: list[Item], tx: TextView) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        found = next((p for p in (part(out, i, tx) for part in PARTS) if p is not None), None)
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
    if not (isinstance(item, Expr) and item.kind == REL and item.unit == "day" and item.hit):
        return False
    return item.hit.first == as_of


def _opens(items: list[Item], tx: TextView) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        e, nxt = out[i], item_at(out, i + 1)
        if is_token(e, T.START_OF) and isinstance(nxt, Expr) and nxt.hit is not None and tx.tight(e, nxt):
            out[i : i + 2] = [nxt.spanning(e.start, nxt.end)]
            continue
        span = _open_span(out, i, tx) if isinstance(e, Expr) and is_expr(e, CAL, REL, YEAR) else None
        if span is not None and isinstance(e, Expr):
            lo, hi = span
            out[lo : hi + 1] = [_open(e, out[lo].start, out[hi].end, tx.as_of)]
            i = lo
        i += 1
    return out


def _open_span(items: list[Item], i: int, tx: TextView) -> tuple[int, int] | None:
    """The items an open range from ``items[i]`` spans ("since x", "x以来", "from x to now"), if it is one."""
    e, prev, nxt, after = items[i], item_at(items, i - 1), item_at(items, i + 1), item_at(items, i + 2)
    lo = (
        i - 1
        if prev is not None and is_token(prev, T.FROM, T.BETWEEN, T.SINCE, T.TO_NOW) and tx.tight(prev, e)
        else i
    )
    opened = is_token(prev, T.SINCE, T.TO_NOW) and lo < i
    hi = i
    if nxt is not None and is_token(nxt, T.TO_NOW) and tx.glued(e, nxt, set()):
        hi, opened = i + 1, True
    elif (
        nxt is not None
        and after is not None
        and is_token(nxt, T.SEP, T.JOIN)
        and tx.tight(e, nxt)
        and tx.tight(nxt, after)
    ):
        if is_token(after, T.NOW) or _is_today(after, tx.as_of):
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


def _ranges(items: list[Item], tx: TextView) -> list[Item]:
    out = list(items)
    i = 0
    while i < len(out):
        a, sep, b, prev = out[i], item_at(out, i + 1), item_at(out, i + 2), item_at(out, i - 1)
        opener = (
            prev if prev is not None and is_token(prev, T.FROM, T.BETWEEN) and tx.tight(prev, a) else None
        )
        joins = (T.SEP, T.JOIN) if is_token(opener, T.BETWEEN) else (T.SEP,)
        if (
            isinstance(a, Expr) and isinstance(b, Expr) and sep is not None and a.hit and b.hit
            and a.kind in (CAL, REL, YEAR) and b.kind in (CAL, REL, YEAR) and is_token(sep, *joins)
            and tx.tight(a, sep) and tx.tight(sep, b) and not is_token(prev, T.CMP_VERB)
        ):  # fmt: skip
            start = opener.start if opener is not None else a.start
            hit = _range_hit(a.hit, b.hit, start, b.end)
            if hit is not None:
                lo = i - 1 if opener is not None else i
                out[lo : i + 3] = [Expr(start, b.end, hit, SPAN)]
                i = lo
        i += 1
    return out


# ---- reading --------------------------------------------------------------------------------------


def _extend(items: list[Item], tx: TextView) -> list[Item]:
    """Prepositions before and fillers after an expression belong to it ("in the last 7 days", "去年全年")."""
    out: list[Item] = []
    for item in items:
        last = out[-1] if out else None
        if isinstance(item, Expr):
            start = item.start
            while out and is_token(out[-1], *GLUE) and not tx.text[out[-1].end : start].strip():
                start = out.pop().start
            item = item.spanning(start, item.end)
        elif (
            is_token(item, T.FILLER) and isinstance(last, Expr) and not tx.text[last.end : item.start].strip()
        ):
            out[-1] = last.spanning(last.start, item.end)
            continue
        out.append(item)
    return out


def read(text: str, as_of: date) -> Periods:
    """The periods in folded ``text``: the primary, its baseline (if compared) and every span used."""
    tx = TextView(text, lexicon(), as_of)
    items = _atoms(tokenize(text), tx)
    for step in (_years, _parts, _drop_weak, _opens, _ranges, _extend):
        items = step(items, tx)
    primary, baseline, used = compare(items, tx)
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

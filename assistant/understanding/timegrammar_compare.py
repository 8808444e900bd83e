"""Two periods in one question: which one is asked about and which one it is compared with.

An expression is a baseline when a comparator names it: CMP x ("vs last month", "比去年"), CMP_LEAD
x ("环比上月"), x JOIN y with a comparator anywhere ("5月和4月对比", "compare May and April"), JOIN x
CMP ("和去年比"), SAME x / x SAME ("the same period last year", "去年同期") and UNIT BEFORE ("the week
before"). The primary is the longest other expression. A baseline is then read against the primary:
a month without a year takes the primary's year, "last year" against a month is that month last year,
"同期" shifts the primary, and a primary cut at the as-of date compares with the same stretch.
"""

from __future__ import annotations

from datetime import date, timedelta

from metricqa.assistant.semantic.periods import shift
from metricqa.assistant.understanding.timegrammar_calendar import (
    Hit,
    calendar_hit,
    fmt_day,
    in_year,
    is_clipped,
    shift_hit,
)
from metricqa.assistant.understanding.timegrammar_exprs import (
    BEFORE,
    CAL,
    CMP_KINDS,
    REL,
    SUB_YEAR,
    YEAR,
    Expr,
    Item,
    TextView,
    is_expr,
    is_token,
    item_at,
    touching,
)
from metricqa.assistant.understanding.timegrammar_tokens import T


def _ids(*indexes: int | None) -> list[int]:
    return [i for i in indexes if i is not None]


def _baseline_rule(items: list[Item], i: int, tx: TextView, compared: bool) -> tuple[str, list[int]] | None:
    """How ``items[i]`` is a baseline, and the tokens that said so; ``None`` when it is not one."""
    e = items[i]
    assert isinstance(e, Expr)
    p, n = touching(items, i, -1, tx), touching(items, i, 1, tx)
    prev, nxt = item_at(items, p), item_at(items, n)
    cmp_before = _ids(p) if is_token(prev, *CMP_KINDS, T.JOIN) else []
    if e.kind == BEFORE:  # (vs) the week before
        return "before", _ids(p) if is_token(prev, *CMP_KINDS) else []
    if is_token(nxt, T.SAME) and e.kind in (YEAR, REL):  # 去年同期, 跟上季度同期比
        nn = touching(items, n, 1, tx)
        return "same", cmp_before + _ids(n) + (_ids(nn) if is_token(item_at(items, nn), T.CMP) else [])
    if is_token(prev, T.SAME) and e.kind in (YEAR, REL):  # (vs) the same period last year
        pp = touching(items, p, -1, tx)
        return "same", _ids(p) + (_ids(pp) if is_token(item_at(items, pp), *CMP_KINDS) else [])
    if is_token(prev, *CMP_KINDS):  # vs last month, 比去年, 环比上月
        return "plain", _ids(p)
    if is_token(prev, T.JOIN) and is_token(nxt, T.CMP):  # 和去年比
        return "plain", _ids(p, n)
    if (
        compared and is_token(prev, T.JOIN, T.SEP) and is_expr(item_at(items, touching(items, p, -1, tx)))
    ):  # 5月和4月对比
        return "plain", _ids(p)
    return None


def _comparisons(items: list[Item], tx: TextView) -> tuple[list[Expr], list[tuple[Expr, str]], list[int]]:
    """Split the expressions into candidates for the primary and baselines (with how each is one)."""
    compared = any(is_token(item, T.CMP, T.CMP_VERB) for item in items)
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
        used += [i for i, item in enumerate(items) if is_token(item, T.CMP_VERB)]
        used += _far_comparator(items, used)
    return primaries, baselines, used


def _far_comparator(items: list[Item], used: list[int]) -> list[int]:
    """ "10月和9月的订单数对比": the comparator that made "和" compare, if not used yet."""
    joins = [i for i in used if is_token(items[i], T.JOIN, T.SEP)]
    if not joins or any(is_token(items[i], T.CMP) for i in used):
        return []
    return [i for i, item in enumerate(items) if is_token(item, T.CMP) and i > joins[0]][:1]


# ---- the baseline against the primary --------------------------------------------------------------


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


def compare(items: list[Item], tx: TextView) -> tuple[Hit | None, Hit | None, list[int]]:
    """The primary period, its baseline and the indexes of the comparator tokens used."""
    candidates, baselines, used = _comparisons(items, tx)
    base_expr, how = baselines[0] if baselines else (None, "")
    primary = _primary(candidates, base_expr)
    baseline = _baseline(primary, base_expr, how, tx.as_of) if base_expr is not None else None
    return primary, baseline, used

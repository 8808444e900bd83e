"""Period expressions for the time grammar, and how the grammar looks at its neighbours.

An ``Expr`` is a period the grammar has built from tokens; ``Item`` is an expression or a token not
used yet. ``TextView`` answers what lies between two items ("", "of", "的").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from metricqa.assistant.understanding.timegrammar_calendar import Hit
from metricqa.assistant.understanding.timegrammar_tokens import Lexicon, T, Token

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


class TextView:
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


def is_token(item: Item | None, *kinds: T) -> bool:
    return isinstance(item, Token) and item.kind in kinds


def is_expr(item: Item | None, *kinds: str) -> bool:
    return isinstance(item, Expr) and item.hit is not None and (not kinds or item.kind in kinds)


def item_at(items: list[Item], i: int | None) -> Item | None:
    return items[i] if i is not None and 0 <= i < len(items) else None


def touching(items: list[Item], i: int | None, step: int, tx: TextView) -> int | None:
    """The index of the next item on one side, past prepositions, that touches ``items[i]``."""
    if i is None:
        return None
    j = i + step
    while is_token(item_at(items, j), *GLUE):
        j += step
    other = item_at(items, j)
    if other is None:
        return None
    a, b = (other, items[i]) if step < 0 else (items[i], other)
    return j if tx.glued(a, b, tx.lex.preps) else None

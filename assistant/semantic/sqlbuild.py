"""sqlglot AST builders the compiler writes its SELECT with (style.md §3: no SQL text by hand).

Identifiers are quoted only when they must be (not a plain lower-case name, or a keyword); a
catalog-authored expression is parsed once and copied on use; a ratio is computed in floating point
and is NULL (not an error) for a zero denominator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlglot import exp
from sqlglot.tokens import Tokenizer

from metricqa.assistant.semantic.periods import Shift
from metricqa.catalog.refs import parse_expr

_SAFE = re.compile(r"[a-z_][a-z0-9_]*")
_KEYWORDS = frozenset(word for keyword in Tokenizer.KEYWORDS for word in keyword.split())


@lru_cache(maxsize=4096)
def _needs_quotes(name: str) -> bool:
    return not _SAFE.fullmatch(name) or name.upper() in _KEYWORDS


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=_needs_quotes(name))


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def alias(expression: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=expression, alias=ident(name))


def table(name: str, alias_name: str | None = None) -> exp.Table:
    parts = name.split(".")
    return exp.Table(
        this=ident(parts[-1]),
        db=ident(parts[-2]) if len(parts) > 1 else None,
        alias=exp.TableAlias(this=ident(alias_name)) if alias_name else None,
    )


def catalog_sql(sql: str) -> exp.Expr:
    """A fresh copy of a catalog-authored expression (parsed once, cached)."""
    return parse_expr(sql).copy()


def comment(select: exp.Select, text: str) -> exp.Select:
    select.add_comments([" " + text.replace("*/", "* /") + " "])
    return select


def eq(left: exp.Expr, right: exp.Expr) -> exp.EQ:
    return exp.EQ(this=left, expression=right)


def null_safe_on(left: str, right: str, keys: Sequence[str]) -> exp.Expr:
    return exp.and_(*(exp.NullSafeEQ(this=col(k, left), expression=col(k, right)) for k in keys), copy=False)


def ratio(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """``numerator / NULLIF(denominator, 0)`` in floating point (no integer division in any dialect)."""
    return exp.Div(
        this=exp.Cast(this=numerator, to=exp.DataType.build("double")),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )


def interval(step: Shift) -> list[exp.Interval]:
    parts = [(step.months, "MONTH"), (step.days, "DAY")]
    return [exp.Interval(this=exp.Literal.string(str(n)), unit=exp.Var(this=unit)) for n, unit in parts if n]


class Names:
    """Unique CTE / alias names that avoid the reserved ones."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.taken = {n.lower() for n in reserved}

    def take(self, wanted: str) -> str:
        name, n = wanted, 1
        while name.lower() in self.taken:
            n += 1
            name = f"{wanted}_{n}"
        self.taken.add(name.lower())
        return name

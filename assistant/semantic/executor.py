"""Run a compiled query on a read-only connection with a row cap and a timeout (style.md §3).

The statement is parsed with sqlglot first: only one SELECT (``WITH … SELECT``) with no writing
node anywhere runs; the connection is read-only besides (``assistant.warehouse``). The timeout
interrupts the connection from one shared watchdog thread (``watchdog.py``); each limit's error names its setting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

import duckdb
import sqlglot
from sqlglot import exp

from metricqa.assistant.semantic.columns import ResultColumn
from metricqa.assistant.semantic.compiler import CompiledQuery
from metricqa.assistant.semantic.watchdog import WATCHDOG
from metricqa.core.errors import InternalError, QueryTimeoutError, RowCapError
from metricqa.core.messages import Message

_FORBIDDEN_NAMES = (
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Copy",
    "Attach", "Detach", "Pragma", "Set", "Use", "Install", "Into", "Transaction", "Commit", "Rollback",
)  # fmt: skip
FORBIDDEN: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in _FORBIDDEN_NAMES if isinstance(getattr(exp, name, None), type)
)


class NotASelectError(InternalError):
    """The executor was handed something other than one read-only SELECT."""


@dataclass(frozen=True)
class ResultSet:
    """Rows with JSON-friendly values (Decimal → float, dates → ISO strings); ``columns`` are the names
    the statement returned, ``fields`` the compiler's descriptors of them (empty for hand-written SQL)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    elapsed_ms: float
    fields: tuple[ResultColumn, ...] = ()


def result_fields(compiled: CompiledQuery, columns: list[str]) -> tuple[ResultColumn, ...]:
    """The compiled descriptors, checked against the names the warehouse returned."""
    if compiled.columns and list(compiled.names) != columns:
        raise InternalError(
            f"the query returned columns {columns}, the compiler described {list(compiled.names)}"
        )
    return compiled.columns


@lru_cache(maxsize=512)
def check_select(sql: str, dialect: str = "duckdb") -> None:
    """Raise NotASelectError unless ``sql`` is exactly one SELECT with nothing that writes.

    Parsing a long query costs milliseconds, so statements that passed are remembered by text
    (a failure is never cached: it raises).
    """
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise NotASelectError(f"the statement does not parse: {exc}") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        kinds = ", ".join(type(s).__name__ for s in statements) or "nothing"
        raise NotASelectError(f"only one SELECT may run; got {kinds}")
    bad = statements[0].find(*FORBIDDEN)
    if bad is not None:
        raise NotASelectError(f"only read-only SELECTs may run; found {type(bad).__name__}")


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    return value


def _fetch(
    con: duckdb.DuckDBPyConnection, compiled: CompiledQuery, limit: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(compiled.sql, list(compiled.params))
    columns = [d[0] for d in cursor.description or []]
    return columns, cursor.fetchmany(limit)


def execute(
    compiled: CompiledQuery, con: duckdb.DuckDBPyConnection, *, row_cap: int, timeout_s: float
) -> ResultSet:
    """Run ``compiled`` on ``con``; QueryTimeoutError after ``timeout_s``, RowCapError past ``row_cap`` rows."""
    check_select(compiled.sql)
    started = time.perf_counter()
    ticket = WATCHDOG.watch(con, timeout_s)
    try:
        columns, rows = _fetch(con, compiled, row_cap + 1)
    except duckdb.Error as exc:
        if ticket.fired.is_set():
            raise QueryTimeoutError(
                Message("error.timeout", {"timeout_s": timeout_s}),
                details={"setting": "statement_timeout_s", "timeout_s": timeout_s},
            ) from None
        raise InternalError(f"the warehouse failed to run the query: {type(exc).__name__}: {exc}") from exc
    finally:
        WATCHDOG.done(ticket)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if len(rows) > row_cap:
        raise RowCapError(
            Message("error.row_cap", {"row_cap": row_cap}),
            details={"setting": "row_cap", "row_cap": row_cap},
        )
    return ResultSet(
        columns=tuple(columns),
        rows=tuple(tuple(json_value(v) for v in row) for row in rows),
        elapsed_ms=round(elapsed_ms, 3),
        fields=result_fields(compiled, columns),
    )

"""Open the warehouse read-only and read what the catalog checks need (schema, as-of date)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
from sqlglot import exp

from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message

READ_ONLY_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}
WAREHOUSE_ALIAS = "metricqa_wh"
_LOCK_DOWN = ("SET enable_external_access = false", "SET lock_configuration = true")


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection with file/network access and extension loading off.

    The file is ATTACHed (READ_ONLY) to a fresh in-memory database, never opened by path: DuckDB
    keeps one database per path in a process, so a file replaced on disk would go on serving the
    old one for as long as any connection to it is open. Each call reads the file as it is now
    (a reload picks up a replaced warehouse while in-flight requests finish on the old one).
    """
    path = Path(path)
    if not path.is_file():
        raise UserFacingError(
            Message("error.warehouse_file_missing", {"path": str(path)}),
            kind="warehouse_missing",
            reason=RefusalReason.WAREHOUSE_UNAVAILABLE,
            details={"path": str(path)},
        )
    con = duckdb.connect(":memory:", config=READ_ONLY_CONFIG)
    try:
        con.execute(_attach_sql(path))
        for statement in (f"USE {WAREHOUSE_ALIAS}", *_LOCK_DOWN):
            con.execute(statement)
    except duckdb.Error as exc:  # not a DuckDB file, truncated, or from a newer DuckDB: one clear line
        con.close()
        raise UserFacingError(
            Message(
                "error.warehouse_unreadable", {"path": str(path), "error": str(exc).splitlines()[0][:200]}
            ),
            kind="warehouse_unreadable",
            reason=RefusalReason.WAREHOUSE_UNAVAILABLE,
            details={"path": str(path)},
        ) from exc
    return con


def _attach_sql(path: Path) -> str:
    target = exp.Literal.string(str(path.resolve())).sql(dialect="duckdb")
    return f"ATTACH {target} AS {WAREHOUSE_ALIAS} (READ_ONLY)"


def warehouse_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to ``con``'s database for one worker thread (DuckDB runs them in parallel)."""
    cursor = con.cursor()
    cursor.execute(f"USE {WAREHOUSE_ALIAS}")
    return cursor


def _columns_query() -> str:
    cols = [exp.column(c) for c in ("table_schema", "table_name", "column_name", "data_type")]
    query = (
        exp.select(*cols)
        .from_(exp.table_("columns", db="information_schema"))
        .where(exp.column("table_catalog").eq(exp.func("current_database")))
        .order_by(exp.column("table_schema"), exp.column("table_name"), exp.column("ordinal_position"))
    )
    return query.sql(dialect="duckdb")


def read_schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Table → column → type of every table and view (tables outside ``main`` as ``schema.table``)."""
    schema: dict[str, dict[str, str]] = {}
    for table_schema, table_name, column, data_type in con.execute(_columns_query()).fetchall():
        key = table_name if table_schema == "main" else f"{table_schema}.{table_name}"
        schema.setdefault(key, {})[column] = data_type
    return schema


def warehouse_schema(path: Path) -> dict[str, dict[str, str]]:
    """Open the warehouse just long enough to read its schema (for catalog validation)."""
    con = open_warehouse(path)
    try:
        return read_schema(con)
    finally:
        con.close()


def read_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """``meta_warehouse.as_of`` when the warehouse records one, else None."""
    if "as_of" not in read_schema(con).get("meta_warehouse", {}):
        return None
    query = exp.select(exp.Max(this=exp.column("as_of"))).from_(exp.table_("meta_warehouse"))
    rows = con.execute(query.sql(dialect="duckdb")).fetchall()
    return _as_date(rows[0][0]) if rows else None


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def latest_data_date(con: duckdb.DuckDBPyConnection, queries: list[str], today: date) -> date | None:
    """The latest date in the data (each query a ``SELECT MAX(date)`` of one model), ignoring dates
    after ``today`` (rows dated ahead: plans, scheduled items); None when no model has rows."""
    found = []
    for sql in queries:
        try:
            value = _as_date(con.execute(sql).fetchone()[0])  # type: ignore[index]
        except duckdb.Error:
            continue  # a model the warehouse lacks: catalog validation reports it
        if value is not None and value <= today:
            found.append(value)
    return max(found) if found else None

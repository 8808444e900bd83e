"""Checks that need the data, not only the schema (``metricqa catalog validate --check-data``, and at
start-up): a join that fans out a model's measures (the joined table's key is not unique, so every
fact row is counted more than once), a dimension whose join key is not unique in its table (the same),
a time column that is all NULL or one constant value. Each check is one small aggregate query built
with sqlglot from catalog identifiers (no user text)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
from sqlglot import exp

from metricqa.catalog.models import Catalog, SemanticModel
from metricqa.catalog.refs import parse_expr
from metricqa.core.errors import CatalogIssue


def _issue(level: str, message: str, entry: SemanticModel | object, field: str) -> CatalogIssue:
    src = getattr(entry, "source", None)
    return CatalogIssue(level, message, src.file if src else "?", src.line if src else None, field)  # type: ignore[arg-type]


def duplicate_keys_sql(table: str, columns: list[str]) -> str:
    """How many key values occur more than once in ``table``."""
    cols = [exp.column(c) for c in columns]
    dupes = exp.select(*cols).from_(exp.table_(table)).group_by(*cols).having("COUNT(*) > 1")
    return exp.select("COUNT(*)").from_(dupes.subquery("d")).sql(dialect="duckdb")


def unqualified(column: str) -> exp.Expr:
    """A model's column read on its base table alone: ``t.opened_at`` → ``opened_at``."""
    expr = parse_expr(column).copy()  # parse_expr is cached: never change its tree
    for c in expr.find_all(exp.Column):
        c.set("table", None)
    return expr


def time_profile_sql(model: SemanticModel, column: str) -> str:
    """Rows, non-NULL and distinct values of a model's time column (over the base table only)."""
    time = unqualified(column)
    return (
        exp.select(
            exp.Count(this=exp.Star()),
            exp.Count(this=time.copy()),
            exp.Count(this=exp.Distinct(expressions=[time.copy()])),
        )
        .from_(exp.table_(model.table))
        .sql(dialect="duckdb")
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...] | None:
    try:
        return con.execute(sql).fetchone()
    except duckdb.Error:
        return None  # a missing table or column: schema validation reports it


def grain_sql(model: SemanticModel, column: str) -> str:
    """Rows whose primary entity is NULL, and entity values that occur more than once (base table only)."""
    key = unqualified(column)
    nulls = (
        exp.select("COUNT(*)")
        .from_(exp.table_(model.table))
        .where(exp.Is(this=key.copy(), expression=exp.Null()))
    )
    dupes = exp.select(key.copy()).from_(exp.table_(model.table)).group_by(key.copy()).having("COUNT(*) > 1")
    repeated = exp.select("COUNT(*)").from_(dupes.subquery("d"))
    return exp.select(nulls.subquery(), repeated.subquery()).sql(dialect="duckdb")


def check_grain(model: SemanticModel, con: duckdb.DuckDBPyConnection) -> Iterator[CatalogIssue]:
    """The primary entity is the grain: one row per value, never NULL."""
    column = model.entities.get(model.primary_entity or "")
    if column is None:
        return
    row = _scalar(con, grain_sql(model, column))
    if row and (row[0] or row[1]):
        yield _issue(
            "error",
            f"model `{model.id}`: its grain `{model.primary_entity}` ({column}) is not one row per value "
            f"({row[1]} values repeat, {row[0]} rows are NULL) in `{model.table}`",
            model,
            "primary_entity",
        )


def check_data(catalog: Catalog, con: duckdb.DuckDBPyConnection) -> Iterator[CatalogIssue]:
    for model in catalog.models.values():
        yield from check_grain(model, con)
        for join in model.joins:
            row = _scalar(con, duplicate_keys_sql(join.table, [right for _, right in join.keys]))
            if row and row[0]:
                yield _issue(
                    "error",
                    f"model `{model.id}` joins `{join.table}` on {[r for _, r in join.keys]}, which is not unique "
                    f"there ({row[0]} key values repeat): every measure of the model would count those rows "
                    "more than once (fan-out). Join a table where the key is unique, or make it a model of its own.",
                    model,
                    "joins",
                )
        for field, column in [("time", model.time), *((f"times.{k}", v) for k, v in model.times.items())]:
            tables = {c.table for c in parse_expr(column).find_all(exp.Column)}
            if not tables or not tables <= {"", model.alias}:
                continue  # a date from a joined table: profiled through that table's own model, if any
            row = _scalar(con, time_profile_sql(model, column))
            if not row or not row[0]:
                continue
            rows, filled, distinct = row
            if filled == 0:
                yield _issue("error", f"model `{model.id}`: `{column}` is NULL in every row", model, field)
            elif distinct == 1 and rows > 1:  # type: ignore[operator]
                yield _issue(
                    "warning",
                    f"model `{model.id}`: `{column}` has one value in every row (a constant date)",
                    model,
                    field,
                )
    for dim in catalog.dimensions.values():
        if dim.join_key is None:
            continue
        row = _scalar(con, duplicate_keys_sql(dim.table, [dim.join_key]))
        if row and row[0]:
            yield _issue(
                "error",
                f"dimension `{dim.id}`: `{dim.join_key}` is not unique in `{dim.table}` ({row[0]} values repeat): "
                "splitting or filtering by it would count facts more than once",
                dim,
                "join_key",
            )

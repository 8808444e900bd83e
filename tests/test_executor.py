"""The executor's limits and the read-only warehouse (assistant/executor.py, assistant/warehouse.py)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from metricqa.assistant.semantic.compiler import CompiledQuery, compile_plan
from metricqa.assistant.semantic.executor import NotASelectError, check_select, execute, json_value
from metricqa.assistant.semantic.plan import QueryPlan, TimeRange
from metricqa.assistant.semantic.warehouse import open_warehouse, read_as_of, read_schema
from metricqa.catalog.models import Catalog
from metricqa.catalog.validation import check_schema
from metricqa.core.asker import Asker
from metricqa.core.errors import InternalError, QueryTimeoutError, RowCapError, UserFacingError

OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31))


def raw(sql: str, *params: object) -> CompiledQuery:
    return CompiledQuery(sql=sql, params=params, columns=(), sources=(), metrics=())


def test_runs_a_compiled_query(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_plan(
        QueryPlan(metrics=("revenue",), dimensions=("region",), time=OCT), demo_catalog, Asker()
    )
    result = execute(compiled, demo_con, row_cap=100, timeout_s=10)
    assert result.columns == compiled.names and result.fields == compiled.columns
    assert len(result.rows) == 5 and all(isinstance(r[2], float) for r in result.rows)
    assert result.elapsed_ms > 0


def test_timeout_interrupts_and_names_its_setting(demo_con: duckdb.DuckDBPyConnection) -> None:
    huge = raw("SELECT SUM(a.range * b.range) FROM range(100000000) AS a CROSS JOIN range(100000000) AS b")
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError) as info:
        execute(huge, demo_con, row_cap=10, timeout_s=0.05)
    assert time.perf_counter() - started < 5
    assert all("statement_timeout_s" in info.value.message_for(lang) for lang in ("en", "zh"))
    assert execute(raw("SELECT 1 AS one"), demo_con, row_cap=10, timeout_s=1).rows == ((1,),)  # still usable


def test_row_cap_names_its_setting(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_plan(
        QueryPlan(metrics=("revenue",), dimensions=("product",), time=OCT), demo_catalog, Asker()
    )
    n = len(execute(compiled, demo_con, row_cap=1000, timeout_s=10).rows)
    assert n > 5
    assert len(execute(compiled, demo_con, row_cap=n, timeout_s=10).rows) == n
    with pytest.raises(RowCapError) as info:
        execute(compiled, demo_con, row_cap=n - 1, timeout_s=10)
    assert "row_cap" in info.value.message_for("en") and "row_cap" in info.value.message_for("zh")


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM fact_order",
        "SELECT 1; DROP TABLE fact_order",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO fact_order SELECT * FROM fact_order",
        "COPY fact_order TO '/tmp/x.csv'",
        "ATTACH '/tmp/other.duckdb'",
        "PRAGMA version",
        "INSTALL httpfs",
        "WITH gone AS (DELETE FROM fact_order RETURNING *) SELECT * FROM gone",
        "SELECT * INTO t2 FROM fact_order",
        "",
    ],
)
def test_only_one_select_runs(sql: str, demo_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotASelectError):
        execute(raw(sql), demo_con, row_cap=10, timeout_s=1)


def test_select_and_union_pass_the_check() -> None:
    check_select("WITH a AS (SELECT 1 AS x) SELECT x FROM a")
    check_select("SELECT 1 UNION ALL SELECT 2")


def test_engine_errors_are_wrapped(demo_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InternalError) as info:
        execute(raw("SELECT no_such_column FROM fact_order"), demo_con, row_cap=10, timeout_s=1)
    assert not isinstance(info.value, duckdb.Error) and not isinstance(info.value, UserFacingError)
    assert isinstance(info.value.__cause__, duckdb.Error)


def test_values_become_json_friendly(demo_con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT CAST(1.25 AS DECIMAL(10, 2)) AS d, DATE '2026-11-20' AS day, ? AS p, NULL AS n"
    result = execute(raw(sql, "x"), demo_con, row_cap=10, timeout_s=1)
    assert result.rows == ((1.25, "2026-11-20", "x", None),)
    assert json_value(Decimal("2.50")) == 2.5 and isinstance(json_value(Decimal("2.50")), float)


def test_warehouse_is_read_only(demo_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error):
        demo_con.execute("CREATE TABLE evil (x INTEGER)")
    with pytest.raises(duckdb.Error):
        demo_con.execute("DELETE FROM fact_order")
    with pytest.raises(duckdb.Error):
        demo_con.execute("SELECT * FROM read_csv('/etc/hostname')")


def test_missing_warehouse_is_a_user_facing_error(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as info:
        open_warehouse(tmp_path / "nope.duckdb")
    assert "nope.duckdb" in info.value.message_for("en") and "不存在" in info.value.message_for("zh")


def test_schema_and_as_of(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    schema = read_schema(demo_con)
    assert schema["fact_order"]["order_date"] == "DATE"
    assert schema["fact_order_line"]["unit_price"] == "DECIMAL(12,2)"
    assert not [i for i in check_schema(demo_catalog, schema) if i.level == "error"]
    assert read_as_of(demo_con) == date(2026, 11, 20)
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    con = open_warehouse(bare)
    try:
        assert read_as_of(con) is None and read_schema(con) == {}
    finally:
        con.close()

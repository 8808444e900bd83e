"""The warehouse connection: a pool of read-only cursors, a replaced file read anew by the next open,
a removed file a clear WarehouseError (on a small warehouse that is not the demo)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from metricqa.assistant.semantic.cursors import CursorPool
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.core.errors import WarehouseError


def make_warehouse(path: Path, readings: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE meter AS SELECT i AS reading FROM range({readings}) r(i)")
    con.close()
    return path


def count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM meter").fetchone()
    assert row is not None
    return int(row[0])


def test_a_replaced_file_is_read_anew_while_the_old_connection_is_open(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "meter.duckdb", 3)
    old = open_warehouse(path)
    os.replace(make_warehouse(tmp_path / "next.duckdb", 5), path)
    new = open_warehouse(path)
    assert (count(old), count(new)) == (3, 5)  # each open reads the file as it is now
    old.close()
    new.close()


def test_cursors_stay_read_only_and_locked_down(tmp_path: Path) -> None:
    con = open_warehouse(make_warehouse(tmp_path / "meter.duckdb", 2))
    pool = CursorPool(con, 2, tmp_path / "meter.duckdb")
    with pool.borrow() as cursor:
        assert count(cursor) == 2
        for statement in ("CREATE TABLE x AS SELECT 1", "SET enable_external_access = true"):
            with pytest.raises(duckdb.Error):
                cursor.execute(statement)
        with pytest.raises(duckdb.Error):
            cursor.execute(f"SELECT * FROM read_csv('{tmp_path / 'x.csv'}')")
    pool.close()
    con.close()


@pytest.fixture
def meter(tmp_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    path = make_warehouse(tmp_path / "meter.duckdb", 2)
    con = open_warehouse(path)
    yield con, path
    con.close()


def test_a_pool_lends_each_cursor_to_one_thread_at_a_time(
    meter: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, path = meter
    pool = CursorPool(con, 2, path)
    with pool.borrow() as first, pool.borrow() as second:
        assert first is not second and count(first) == count(second) == 2
        got = threading.Event()

        def third() -> None:
            with pool.borrow():
                got.set()

        waiter = threading.Thread(target=third)
        waiter.start()
        assert not got.wait(0.3)  # both cursors are out: the third waits
    assert got.wait(5)  # and gets one when they come back
    waiter.join()
    pool.close()


def test_a_removed_file_is_a_clear_error_not_old_numbers(
    meter: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, path = meter
    pool = CursorPool(con, 1, path)
    path.unlink()
    with pytest.raises(WarehouseError) as caught:
        with pool.borrow():
            pass
    assert caught.value.message.id == "error.warehouse_gone" and str(path) in str(caught.value)
    assert "SIGHUP" in caught.value.message_for("zh")
    with pytest.raises(ValueError):
        CursorPool(con, 0, path)
    pool.close()

"""Tests for assistant/demo_warehouse.py against shared/spec/demo-warehouse.md.

The realism checks use scale 0.2 (about 20,000 order lines, under a second to build): at 0.05
a month holds only ~50 completed orders, too few for month-to-month comparisons to be stable
across seeds. Determinism and failure checks build at 0.02.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from metricqa import demo as demo_warehouse
from metricqa.core.errors import UserFacingError
from metricqa.demo import build_cli, build_demo_warehouse, table_counts

AS_OF = date(2026, 11, 20)

SPEC_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "dim_region": [("region_id", "VARCHAR"), ("region_name", "VARCHAR"), ("region_name_zh", "VARCHAR")],
    "dim_product": [
        ("product_id", "VARCHAR"), ("product_name", "VARCHAR"), ("product_line", "VARCHAR"),
        ("product_line_zh", "VARCHAR"), ("list_price", "DECIMAL(12,2)"), ("unit_cost", "DECIMAL(12,2)"),
    ],
    "dim_channel": [("channel_id", "VARCHAR"), ("channel_name", "VARCHAR"), ("channel_name_zh", "VARCHAR")],
    "dim_sales_rep": [
        ("rep_id", "VARCHAR"), ("rep_name", "VARCHAR"), ("region_id", "VARCHAR"), ("team", "VARCHAR"),
        ("hire_date", "DATE"),
    ],
    "dim_customer": [
        ("customer_id", "VARCHAR"), ("customer_name", "VARCHAR"), ("region_id", "VARCHAR"), ("segment", "VARCHAR"),
        ("segment_zh", "VARCHAR"), ("industry", "VARCHAR"), ("first_order_date", "DATE"),
    ],
    "fact_lead": [
        ("lead_id", "VARCHAR"), ("created_date", "DATE"), ("region_id", "VARCHAR"), ("channel_id", "VARCHAR"),
        ("source", "VARCHAR"), ("converted_date", "DATE"), ("customer_id", "VARCHAR"),
    ],
    "fact_opportunity": [
        ("opportunity_id", "VARCHAR"), ("lead_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("rep_id", "VARCHAR"),
        ("region_id", "VARCHAR"), ("created_date", "DATE"), ("stage", "VARCHAR"), ("closed_date", "DATE"),
        ("amount", "DECIMAL(14,2)"),
    ],
    "fact_order": [
        ("order_id", "VARCHAR"), ("order_date", "DATE"), ("customer_id", "VARCHAR"), ("rep_id", "VARCHAR"),
        ("region_id", "VARCHAR"), ("channel_id", "VARCHAR"), ("status", "VARCHAR"),
    ],
    "fact_order_line": [
        ("order_id", "VARCHAR"), ("line_no", "INTEGER"), ("product_id", "VARCHAR"), ("quantity", "INTEGER"),
        ("unit_price", "DECIMAL(12,2)"), ("discount_amount", "DECIMAL(12,2)"), ("unit_cost", "DECIMAL(12,2)"),
    ],
    "fact_payment": [
        ("payment_id", "VARCHAR"), ("order_id", "VARCHAR"), ("payment_date", "DATE"), ("amount", "DECIMAL(14,2)"),
    ],
    "fact_target": [
        ("month", "DATE"), ("region_id", "VARCHAR"), ("metric", "VARCHAR"), ("target_value", "DECIMAL(14,2)"),
    ],
    "meta_warehouse": [("as_of", "DATE"), ("seed", "INTEGER"), ("scale", "DOUBLE"), ("generated_at", "TIMESTAMP")],
}  # fmt: skip

REVENUE_LINES = """
    SELECT o.order_date, o.region_id, o.channel_id, p.product_line,
           l.quantity * l.unit_price - l.discount_amount AS revenue, l.quantity * l.unit_cost AS cost
    FROM fact_order o JOIN fact_order_line l USING (order_id) JOIN dim_product p USING (product_id)
    WHERE o.status = 'completed'
"""


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_warehouse(tmp_path_factory.mktemp("dw") / "demo.duckdb", scale=0.2, progress=False)


@pytest.fixture(scope="session")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    connection.execute(f"CREATE TEMP VIEW revenue_lines AS {REVENUE_LINES}")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def small_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("small")
    return {
        name: build_demo_warehouse(root / f"{name}.duckdb", scale=0.02, seed=seed, progress=False)
        for name, seed in (("a", 42), ("b", 42), ("other", 7))
    }


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def fingerprints(path: Path) -> dict[str, str]:
    """md5 of every data table's rows, sorted; meta_warehouse without its generated_at."""
    with duckdb.connect(str(path), read_only=True) as con:
        out = {}
        for table in SPEC_COLUMNS:
            rel = con.table(table)
            if table == "meta_warehouse":
                rel = rel.project("as_of, seed, scale")
            rows = sorted(repr(r) for r in rel.fetchall())
            out[table] = hashlib.md5("\n".join(rows).encode()).hexdigest()
        return out


# --- contract ------------------------------------------------------------------------------------
def test_every_spec_table_and_column_has_its_type(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position"
    ).fetchall()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        actual.setdefault(table, []).append((column, kind))
    for table, columns in SPEC_COLUMNS.items():
        assert actual.get(table) == columns, table


def test_members_are_the_spec_members(con: duckdb.DuckDBPyConnection) -> None:
    assert sorted(con.execute("SELECT * FROM dim_region").fetchall()) == sorted(
        [("EAST", "East", "华东"), ("NORTH", "North", "华北"), ("SOUTH", "South", "华南"),
         ("WEST", "West", "西部"), ("CENTRAL", "Central", "华中")]
    )  # fmt: skip
    assert sorted(con.execute("SELECT channel_name, channel_name_zh FROM dim_channel").fetchall()) == sorted(
        [
            ("Online", "线上"),
            ("Direct Sales", "直销"),
            ("Distributor", "经销商"),
            ("Retail Store", "零售门店"),
        ]
    )
    lines = con.execute("SELECT DISTINCT product_line, product_line_zh FROM dim_product").fetchall()
    assert sorted(lines) == sorted(
        [("Hardware", "硬件"), ("Software", "软件"), ("Services", "服务"), ("Accessories", "配件")]
    )
    segments = con.execute("SELECT DISTINCT segment, segment_zh FROM dim_customer").fetchall()
    assert sorted(segments) == sorted(
        [("Enterprise", "大客户"), ("SMB", "中小企业"), ("Consumer", "个人消费者")]
    )
    assert 35 <= one(con, "SELECT count(*) FROM dim_product") <= 45  # type: ignore[operator]
    assert one(con, "SELECT count(*) FROM dim_sales_rep WHERE regexp_matches(rep_id, '^R\\d{3}$')") == 50
    assert one(con, "SELECT count(DISTINCT product_id) FROM dim_product") == one(
        con, "SELECT count(*) FROM dim_product"
    )
    stages = {r[0] for r in con.execute("SELECT DISTINCT stage FROM fact_opportunity").fetchall()}
    assert stages == {"prospecting", "qualified", "proposal", "negotiation", "won", "lost"}
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM fact_lead").fetchall()}
    assert sources == {"web", "event", "referral", "cold_call", "partner"}


def test_meta_warehouse_records_the_build(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT as_of, seed, scale, generated_at IS NOT NULL FROM meta_warehouse").fetchall()
    assert rows == [(AS_OF, 42, 0.2, True)]


def test_targets_cover_every_region_and_month(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT count(*), count(DISTINCT (month, region_id)), min(month), max(month), bool_and(day(month) = 1),"
        " bool_and(metric = 'revenue'), min(target_value) > 0 FROM fact_target"
    ).fetchall()[0]
    assert row == (180, 180, date(2024, 1, 1), date(2026, 12, 1), True, True, True)


# --- dates and integrity -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "column"),
    [("fact_order", "order_date"), ("fact_payment", "payment_date"), ("fact_lead", "created_date"),
     ("fact_lead", "converted_date"), ("fact_opportunity", "created_date"), ("fact_opportunity", "closed_date"),
     ("dim_customer", "first_order_date")],
)  # fmt: skip
def test_dates_fall_in_the_history(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    low, high = con.table(table).aggregate(f"min({column}), max({column})").fetchall()[0]
    assert date(2024, 1, 1) <= low and high <= AS_OF
    assert high >= date(2026, 11, 1)  # the history reaches the as-of month


def test_dates_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) FROM fact_lead WHERE converted_date < created_date") == 0
    assert (
        one(con, "SELECT count(*) FROM fact_lead WHERE (converted_date IS NULL) <> (customer_id IS NULL)")
        == 0
    )
    assert one(con, "SELECT count(*) FROM fact_opportunity WHERE closed_date < created_date") == 0
    open_with_close = (
        "SELECT count(*) FROM fact_opportunity WHERE (stage IN ('won', 'lost')) <> (closed_date IS NOT NULL)"
    )
    assert one(con, open_with_close) == 0
    late = "SELECT count(*) FROM fact_payment p JOIN fact_order o USING (order_id) WHERE p.payment_date NOT BETWEEN o.order_date AND o.order_date + 60"
    assert one(con, late) == 0
    assert one(con, "SELECT max(hire_date) FROM dim_sales_rep") <= AS_OF  # type: ignore[operator]
    early_rep = "SELECT count(*) FROM fact_order o JOIN dim_sales_rep r USING (rep_id) WHERE r.hire_date > o.order_date"
    assert one(con, early_rep) == 0


@pytest.mark.parametrize(
    ("table", "column", "parent", "key"),
    [("fact_order", "region_id", "dim_region", "region_id"), ("fact_order", "channel_id", "dim_channel", "channel_id"),
     ("fact_order", "customer_id", "dim_customer", "customer_id"), ("fact_order", "rep_id", "dim_sales_rep", "rep_id"),
     ("fact_order_line", "order_id", "fact_order", "order_id"), ("fact_order_line", "product_id", "dim_product", "product_id"),
     ("fact_payment", "order_id", "fact_order", "order_id"), ("fact_lead", "region_id", "dim_region", "region_id"),
     ("fact_lead", "channel_id", "dim_channel", "channel_id"), ("fact_lead", "customer_id", "dim_customer", "customer_id"),
     ("fact_opportunity", "lead_id", "fact_lead", "lead_id"), ("fact_opportunity", "customer_id", "dim_customer", "customer_id"),
     ("fact_opportunity", "rep_id", "dim_sales_rep", "rep_id"), ("fact_opportunity", "region_id", "dim_region", "region_id"),
     ("fact_target", "region_id", "dim_region", "region_id"), ("dim_customer", "region_id", "dim_region", "region_id"),
     ("dim_sales_rep", "region_id", "dim_region", "region_id")],
)  # fmt: skip
def test_references_resolve(
    con: duckdb.DuckDBPyConnection, table: str, column: str, parent: str, key: str
) -> None:
    child = con.table(table).filter(f"{column} IS NOT NULL").project(f"{column} AS k").distinct()
    missing = child.except_(con.table(parent).project(f"{key} AS k")).aggregate("count(*)").fetchall()[0][0]
    assert missing == 0
    assert child.aggregate("count(*)").fetchall()[0][0] > 0


def test_keys_are_unique_and_regions_agree(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in [("fact_order", "order_id"), ("fact_payment", "payment_id"), ("fact_lead", "lead_id"),
                       ("fact_opportunity", "opportunity_id"), ("dim_customer", "customer_id")]:  # fmt: skip
        assert con.table(table).aggregate(f"count(*) = count(DISTINCT {key})").fetchall()[0][0], table
    assert one(con, "SELECT count(*) = count(DISTINCT (order_id, line_no)) FROM fact_order_line")
    for table in ("fact_order", "fact_opportunity"):
        mismatched = con.table(table).join(con.table("dim_customer").set_alias("c"), "customer_id")
        assert (
            mismatched.filter(f"{table}.region_id <> c.region_id").aggregate("count(*)").fetchall()[0][0] == 0
        )


def test_first_order_date_is_the_first_completed_order(con: duckdb.DuckDBPyConnection) -> None:
    wrong = """
        SELECT count(*) FROM dim_customer c LEFT JOIN (
            SELECT customer_id, min(order_date) AS first FROM fact_order WHERE status = 'completed' GROUP BY 1
        ) f USING (customer_id) WHERE c.first_order_date IS DISTINCT FROM f.first
    """
    assert one(con, wrong) == 0
    assert one(con, "SELECT count(*) FROM dim_customer WHERE first_order_date IS NULL") > 0  # type: ignore[operator]


def test_money_is_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        one(
            con,
            "SELECT count(*) FROM fact_order_line WHERE discount_amount > quantity * unit_price OR quantity < 1",
        )
        == 0
    )
    assert (
        one(
            con,
            "SELECT count(*) FROM fact_payment p JOIN fact_order o USING (order_id) WHERE o.status <> 'completed'",
        )
        == 0
    )
    overpaid = """
        SELECT count(*) FROM (SELECT order_id, sum(amount) AS paid FROM fact_payment GROUP BY 1) p
        JOIN (SELECT order_id, sum(quantity * unit_price - discount_amount) AS due FROM fact_order_line GROUP BY 1) d
        USING (order_id) WHERE paid > due
    """
    assert one(con, overpaid) == 0


def test_status_mix_and_lines_per_order(con: duckdb.DuckDBPyConnection) -> None:
    shares = dict(
        con.execute("SELECT status, count(*) / sum(count(*)) OVER () FROM fact_order GROUP BY 1").fetchall()
    )
    assert shares["completed"] == pytest.approx(0.90, abs=0.02)
    assert shares["cancelled"] == pytest.approx(0.04, abs=0.015)
    assert shares["returned"] == pytest.approx(0.06, abs=0.015)
    low, high = con.execute(
        "SELECT min(n), max(n) FROM (SELECT count(*) AS n FROM fact_order_line GROUP BY order_id)"
    ).fetchall()[0]
    assert (low, high) == (1, 4)


# --- realism -------------------------------------------------------------------------------------
def test_west_lags_its_target_in_the_as_of_month(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT t.region_id, sum(r.revenue) / any_value(t.target_value) AS attainment
        FROM revenue_lines r JOIN fact_target t ON t.region_id = r.region_id AND t.month = DATE '2026-11-01'
        WHERE r.order_date >= DATE '2026-11-01' GROUP BY 1 ORDER BY 2
        """
    ).fetchall()
    assert rows[0][0] == "WEST" and rows[0][1] < 0.5
    assert all(0.55 < float(a) < 0.8 for _, a in rows[1:])  # others on track 20 days into 30


def test_seasonality_and_growth(con: duckdb.DuckDBPyConnection) -> None:
    def revenue(where: str) -> float:
        return float(con.table("revenue_lines").filter(where).aggregate("sum(revenue)").fetchall()[0][0])

    assert revenue("order_date BETWEEN '2025-10-01' AND '2025-12-31'") > revenue(
        "order_date BETWEEN '2025-07-01' AND '2025-09-30'"
    )
    assert revenue("order_date BETWEEN '2025-02-01' AND '2025-02-28'") < revenue(
        "order_date BETWEEN '2025-01-01' AND '2025-01-31'"
    )
    assert revenue("year(order_date) = 2025") > 1.05 * revenue("year(order_date) = 2024")


def test_hardware_margin_falls(con: duckdb.DuckDBPyConnection) -> None:
    margins = dict(
        con.execute(
            "SELECT year(order_date), 1 - sum(cost) / sum(revenue) FROM revenue_lines WHERE product_line = 'Hardware' GROUP BY 1"
        ).fetchall()
    )
    assert margins[2024] - margins[2026] > 0.05
    other = dict(
        con.execute(
            "SELECT year(order_date), 1 - sum(cost) / sum(revenue) FROM revenue_lines WHERE product_line = 'Software' GROUP BY 1"
        ).fetchall()
    )
    assert abs(other[2024] - other[2026]) < 0.02


def test_online_conversion_rises(con: duckdb.DuckDBPyConnection) -> None:
    rate = "SELECT avg((converted_date IS NOT NULL)::INT) FROM fact_lead WHERE channel_id = 'ONLINE' AND year(created_date) = "
    assert float(one(con, rate + "2026")) > float(one(con, rate + "2024")) + 0.05  # type: ignore[arg-type]


def test_collection_lags_in_the_as_of_month(con: duckdb.DuckDBPyConnection) -> None:
    def collection(start: str) -> float:
        paid = one(con, f"SELECT sum(amount) FROM fact_payment WHERE payment_date >= DATE '{start}'")
        due = one(con, f"SELECT sum(revenue) FROM revenue_lines WHERE order_date >= DATE '{start}'")
        return float(paid) / float(due)  # type: ignore[arg-type]

    assert collection("2024-01-01") < 1.0
    assert collection("2026-11-01") < collection("2024-01-01") - 0.05


# --- determinism, scale, build -------------------------------------------------------------------
def test_same_seed_gives_identical_tables(small_builds: dict[str, Path]) -> None:
    assert fingerprints(small_builds["a"]) == fingerprints(small_builds["b"])


def test_other_seed_gives_other_facts(small_builds: dict[str, Path]) -> None:
    a, other = fingerprints(small_builds["a"]), fingerprints(small_builds["other"])
    assert a["dim_region"] == other["dim_region"]
    for table in (
        "fact_order",
        "fact_order_line",
        "fact_payment",
        "fact_lead",
        "fact_opportunity",
        "fact_target",
    ):
        assert a[table] != other[table], table


def test_scale_multiplies_fact_rows(small_builds: dict[str, Path], warehouse: Path) -> None:
    small, large = table_counts(small_builds["a"]), table_counts(warehouse)
    assert large["fact_order_line"] / small["fact_order_line"] == pytest.approx(10, rel=0.1)
    assert large["dim_region"] == small["dim_region"] == 5
    assert 15_000 < large["fact_order_line"] < 25_000  # scale 1 is about 100,000 lines


def test_failed_build_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"previous")

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(demo_warehouse, "_targets", broken)
    with pytest.raises(RuntimeError, match="boom"):
        build_demo_warehouse(target, scale=0.02, progress=False)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.duckdb"]


@pytest.mark.parametrize("scale", [0, -1.0])
def test_bad_scale_is_refused(tmp_path: Path, scale: float) -> None:
    with pytest.raises(UserFacingError) as info:
        build_demo_warehouse(tmp_path / "x.duckdb", scale=scale, progress=False)
    assert info.value.message_for("zh") != info.value.message_for("en")
    assert not (tmp_path / "x.duckdb").exists()


def test_build_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_cli(tmp_path / "cli.duckdb", scale=0.02, seed=3)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "fact_order_line=" in out[0] and "dim_region=5" in out[0] and "s:" in out[0]

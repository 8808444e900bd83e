"""Compiled SQL, executed on the demo warehouse, against SQL written by hand from the spec's definitions.

HAND_SQL holds, for every approved metric, a query written from shared/spec/demo-warehouse.md (not
from the compiler) returning one row per (day, region) with the metric's numerator ``a`` and, for
ratios, denominator ``b`` over a date range. The test adds those up per group in Python (ratio of
sums) and compares with the compiled query's rows: totals, by region, by month, month over month,
year over year and, where a metric has one, against its target.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import duckdb
import pytest

from metricqa.assistant.semantic.columns import ValueKind
from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.executor import ResultSet, execute
from metricqa.assistant.semantic.plan import (
    Comparison,
    Filter,
    FilterOp,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import InvalidPlanError

REVENUE_LINES = """
    SELECT o.order_date AS d, o.region_id AS r,
           l.quantity * l.unit_price - l.discount_amount AS revenue, l.quantity * l.unit_cost AS cost
    FROM fact_order_line l JOIN fact_order o ON o.order_id = l.order_id
    WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end
"""
PAYMENTS = """
    SELECT p.payment_date AS d, o.region_id AS r, p.amount AS amount
    FROM fact_payment p JOIN fact_order o ON o.order_id = p.order_id
    WHERE p.payment_date BETWEEN $start AND $end
"""
TARGETS = """
    SELECT month AS d, region_id AS r, target_value AS target
    FROM fact_target WHERE metric = 'revenue' AND month BETWEEN $start AND $end
"""

# metric id -> (kind, SQL returning d, r, a, b); value = a (sum) or a / b (ratio of sums)
HAND_SQL: dict[str, tuple[str, str]] = {
    "revenue": ("sum", f"SELECT d, r, SUM(revenue) AS a, 0 AS b FROM ({REVENUE_LINES}) GROUP BY d, r"),
    "gross_profit": (
        "sum",
        f"SELECT d, r, SUM(revenue - cost) AS a, 0 AS b FROM ({REVENUE_LINES}) GROUP BY d, r",
    ),
    "gross_margin": (
        "ratio",
        f"SELECT d, r, SUM(revenue - cost) AS a, SUM(revenue) AS b FROM ({REVENUE_LINES}) GROUP BY d, r",
    ),
    "order_count": (
        "sum",
        """SELECT order_date AS d, region_id AS r, COUNT(*) AS a, 0 AS b FROM fact_order
           WHERE status = 'completed' AND order_date BETWEEN $start AND $end GROUP BY 1, 2""",
    ),
    "avg_order_value": (
        "ratio",
        f"""SELECT d, r, SUM(a) AS a, SUM(b) AS b FROM (
              SELECT d, r, revenue AS a, 0 AS b FROM ({REVENUE_LINES})
              UNION ALL
              SELECT order_date, region_id, 0, 1 FROM fact_order
              WHERE status = 'completed' AND order_date BETWEEN $start AND $end
            ) GROUP BY d, r""",
    ),
    "return_rate": (
        "ratio",
        """SELECT order_date AS d, region_id AS r, COUNT(*) FILTER (WHERE status = 'returned') AS a, COUNT(*) AS b
           FROM fact_order WHERE status IN ('completed', 'returned') AND order_date BETWEEN $start AND $end
           GROUP BY 1, 2""",
    ),
    "new_customers": (
        "sum",
        """SELECT first_order_date AS d, region_id AS r, COUNT(*) AS a, 0 AS b FROM dim_customer
           WHERE first_order_date BETWEEN $start AND $end GROUP BY 1, 2""",
    ),
    "payment_amount": ("sum", f"SELECT d, r, SUM(amount) AS a, 0 AS b FROM ({PAYMENTS}) GROUP BY d, r"),
    "collection_rate": (
        "ratio",
        f"""SELECT d, r, SUM(a) AS a, SUM(b) AS b FROM (
              SELECT d, r, amount AS a, 0 AS b FROM ({PAYMENTS})
              UNION ALL SELECT d, r, 0, revenue FROM ({REVENUE_LINES})
            ) GROUP BY d, r""",
    ),
    "revenue_target": ("sum", f"SELECT d, r, SUM(target) AS a, 0 AS b FROM ({TARGETS}) GROUP BY d, r"),
    "target_attainment": (
        "ratio",
        f"""SELECT d, r, SUM(a) AS a, SUM(b) AS b FROM (
              SELECT d, r, revenue AS a, 0 AS b FROM ({REVENUE_LINES})
              UNION ALL SELECT d, r, 0, target FROM ({TARGETS})
            ) GROUP BY d, r""",
    ),
    "lead_count": (
        "sum",
        """SELECT created_date AS d, region_id AS r, COUNT(*) AS a, 0 AS b FROM fact_lead
           WHERE created_date BETWEEN $start AND $end GROUP BY 1, 2""",
    ),
    "lead_conversion_rate": (
        "ratio",
        """SELECT created_date AS d, region_id AS r, COUNT(converted_date) AS a, COUNT(*) AS b FROM fact_lead
           WHERE created_date BETWEEN $start AND $end GROUP BY 1, 2""",
    ),
    "win_rate": (
        "ratio",
        """SELECT closed_date AS d, region_id AS r, COUNT(*) FILTER (WHERE stage = 'won') AS a, COUNT(*) AS b
           FROM fact_opportunity WHERE stage IN ('won', 'lost') AND closed_date BETWEEN $start AND $end
           GROUP BY 1, 2""",
    ),
    "pipeline_amount": (
        "sum",
        """SELECT created_date AS d, region_id AS r, SUM(amount) AS a, 0 AS b FROM fact_opportunity
           WHERE stage NOT IN ('won', 'lost') AND created_date BETWEEN $start AND $end GROUP BY 1, 2""",
    ),
}

OCT = (date(2026, 10, 1), date(2026, 10, 31))
NOV_MTD = (date(2026, 11, 1), date(2026, 11, 20))
OCT_SAME_DAYS = (date(2026, 10, 1), date(2026, 10, 20))  # baseline of Nov 1–20, written out by hand
Q3_2026 = (date(2026, 7, 1), date(2026, 9, 30))
Q3_2025 = (date(2025, 7, 1), date(2025, 9, 30))
YTD = (date(2026, 1, 1), date(2026, 11, 20))
EXEC = Asker()


def hand(
    con: duckdb.DuckDBPyConnection, metric: str, span: tuple[date, date], by: str = "none", extra: str = ""
) -> dict[Any, float | None]:
    """Hand-written values per group: ``by`` none → key (), region → region id, month → ISO month start."""
    kind, sql = HAND_SQL[metric]
    sums: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    rows = con.execute(f"SELECT * FROM ({sql}) {extra}", {"start": span[0], "end": span[1]}).fetchall()
    for d, r, a, b in rows:
        key = () if by == "none" else r if by == "region" else date(d.year, d.month, 1).isoformat()
        sums[key][0] += float(a or 0)
        sums[key][1] += float(b or 0)
    if by == "none" and not sums:
        sums[()] = [0.0, 0.0]
    return {k: (a if kind == "sum" else (a / b if b else None)) for k, (a, b) in sums.items()}


def run(catalog: Catalog, con: duckdb.DuckDBPyConnection, plan: QueryPlan, asker: Asker = EXEC) -> ResultSet:
    return execute(compile_plan(plan, catalog, asker), con, row_cap=10_000, timeout_s=30)


def keyed(result: ResultSet, key: str | None, column: str) -> dict[Any, Any]:
    col = result.columns.index(column)
    if key is None:
        assert len(result.rows) == 1
        return {(): result.rows[0][col]}
    k = result.columns.index(key)
    return {row[k]: row[col] for row in result.rows}


def assert_close(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert set(got) == set(expected)
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key


def time_range(span: tuple[date, date], grain: Grain = Grain.NONE, partial: bool = False) -> TimeRange:
    return TimeRange(start=span[0], end=span[1], grain=grain, partial=partial)


METRICS = sorted(HAND_SQL)


def test_hand_sql_covers_every_approved_metric(demo_catalog: Catalog) -> None:
    assert set(HAND_SQL) == {m.id for m in demo_catalog.approved_metrics()}


@pytest.mark.parametrize("metric", METRICS)
def test_total(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    result = run(demo_catalog, demo_con, QueryPlan(metrics=(metric,), time=time_range(OCT)))
    assert result.columns == (metric,)
    assert_close(keyed(result, None, metric), hand(demo_con, metric, OCT))


@pytest.mark.parametrize("metric", METRICS)
def test_by_region(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    result = run(
        demo_catalog, demo_con, QueryPlan(metrics=(metric,), dimensions=("region",), time=time_range(OCT))
    )
    assert result.columns == ("region_id", "region", metric)
    assert_close(keyed(result, "region_id", metric), hand(demo_con, metric, OCT, "region"))
    labels = dict(demo_con.execute("SELECT region_id, region_name FROM dim_region").fetchall())
    assert all(row[1] == labels[row[0]] for row in result.rows)


@pytest.mark.parametrize("metric", METRICS)
def test_by_month(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(metrics=(metric,), time=time_range(YTD, Grain.MONTH, partial=True))
    result = run(demo_catalog, demo_con, plan)
    assert result.columns == ("period", metric)
    assert [r[0] for r in result.rows] == sorted(r[0] for r in result.rows)
    assert_close(keyed(result, "period", metric), hand(demo_con, metric, YTD, "month"))


def assert_comparison(result: ResultSet, metric: str, value: float | None, baseline: float | None) -> None:
    row = dict(zip(result.columns, result.rows[0], strict=True))
    assert len(result.rows) == 1
    assert_close({0: row[metric]}, {0: value})
    assert_close({0: row[f"{metric}__baseline"]}, {0: baseline})
    delta = None if value is None or baseline is None else value - baseline
    assert_close({0: row[f"{metric}__delta"]}, {0: delta})
    ratio = None if value is None or not baseline else value / baseline
    assert_close({0: row[f"{metric}__ratio"]}, {0: ratio})


@pytest.mark.parametrize("metric", METRICS)
def test_month_over_month(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(
        metrics=(metric,), time=time_range(NOV_MTD, partial=True), comparison=Comparison.PREVIOUS_PERIOD
    )
    result = run(demo_catalog, demo_con, plan)
    value, baseline = hand(demo_con, metric, NOV_MTD)[()], hand(demo_con, metric, OCT_SAME_DAYS)[()]
    assert_comparison(result, metric, value, baseline)


@pytest.mark.parametrize("metric", METRICS)
def test_year_over_year(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(metrics=(metric,), time=time_range(Q3_2026), comparison=Comparison.SAME_PERIOD_LAST_YEAR)
    result = run(demo_catalog, demo_con, plan)
    assert_comparison(
        result, metric, hand(demo_con, metric, Q3_2026)[()], hand(demo_con, metric, Q3_2025)[()]
    )


TARGETED = sorted(m for m in HAND_SQL if m == "revenue")  # metrics whose catalog entry names a target


def test_targeted_metrics_are_the_catalogs(demo_catalog: Catalog) -> None:
    assert TARGETED == sorted(m.id for m in demo_catalog.approved_metrics() if m.target)


@pytest.mark.parametrize("metric", TARGETED)
def test_against_target(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(metrics=(metric,), time=time_range(NOV_MTD, partial=True), comparison=Comparison.TARGET)
    result = run(demo_catalog, demo_con, plan)
    assert_comparison(
        result, metric, hand(demo_con, metric, NOV_MTD)[()], hand(demo_con, "revenue_target", NOV_MTD)[()]
    )


@pytest.mark.parametrize("metric", TARGETED)
def test_against_target_by_region(
    metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    plan = QueryPlan(
        metrics=(metric,),
        dimensions=("region",),
        time=time_range(NOV_MTD, partial=True),
        comparison=Comparison.TARGET,
    )
    result = run(demo_catalog, demo_con, plan)
    value, target = (
        hand(demo_con, metric, NOV_MTD, "region"),
        hand(demo_con, "revenue_target", NOV_MTD, "region"),
    )
    assert_close(keyed(result, "region_id", metric), value)
    assert_close(keyed(result, "region_id", f"{metric}__baseline"), target)
    assert_close(keyed(result, "region_id", f"{metric}__ratio"), {r: value[r] / target[r] for r in target})
    lagging = min(target, key=lambda r: value[r] / target[r])
    ranked = QueryPlan.model_validate(
        {**plan.model_dump(), "order": [{"by": "revenue__attainment", "direction": "asc"}], "limit": 1}
    )
    assert run(demo_catalog, demo_con, ranked).rows[0][0] == lagging


def test_series_month_over_month(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    """Each month's baseline is the month before; the partial last month compares with the same days."""
    plan = QueryPlan(
        metrics=("revenue",),
        time=time_range(YTD, Grain.MONTH, partial=True),
        comparison=Comparison.PREVIOUS_PERIOD,
    )
    result = run(demo_catalog, demo_con, plan)
    months = hand(demo_con, "revenue", (date(2025, 12, 1), date(2026, 10, 31)), "month")
    baselines = keyed(result, "period", "revenue__baseline")
    for period, baseline in baselines.items():
        month = date.fromisoformat(period)
        before = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1).isoformat()
        if month == date(2026, 11, 1):
            assert baseline == pytest.approx(hand(demo_con, "revenue", OCT_SAME_DAYS)[()])
        else:
            assert baseline == pytest.approx(months[before])
    assert len(baselines) == 11


def test_series_year_over_year(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(
        metrics=("order_count",),
        time=time_range((date(2026, 1, 1), date(2026, 10, 31)), Grain.QUARTER),
        comparison=Comparison.SAME_PERIOD_LAST_YEAR,
    )
    result = run(demo_catalog, demo_con, plan)
    last_year = {
        1: (date(2025, 1, 1), date(2025, 3, 31)),
        4: (date(2025, 4, 1), date(2025, 6, 30)),
        7: (date(2025, 7, 1), date(2025, 9, 30)),
        10: (date(2025, 10, 1), date(2025, 10, 31)),
    }
    baselines = keyed(result, "period", "order_count__baseline")
    assert len(baselines) == 4
    for period, baseline in baselines.items():
        assert baseline == pytest.approx(
            hand(demo_con, "order_count", last_year[date.fromisoformat(period).month])[()]
        )


# --- the shapes of issue 10: exclusion, two periods, rank by change, share, thresholds, several models ---
# Hand-written SQL per shape, from the spec's definitions (not from the compiler), on the same warehouse.

JUN = (date(2026, 6, 1), date(2026, 6, 30))
SEP = (date(2026, 9, 1), date(2026, 9, 30))
H1_2026 = (date(2026, 1, 1), date(2026, 6, 30))
H1_2025 = (date(2025, 1, 1), date(2025, 6, 30))
EAST_MANAGER = Asker(role="regional_manager", scope={"region": "EAST"})

# completed-order revenue, order count and payments per (order date, region, channel); member keys may be NULL
REVENUE_BY = """
    SELECT o.order_date AS d, o.region_id AS r, o.channel_id AS c,
           SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue
    FROM fact_order_line l JOIN fact_order o ON o.order_id = l.order_id
    WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end
    GROUP BY 1, 2, 3
"""
ORDERS_BY = """
    SELECT o.region_id AS r, o.channel_id AS c, COUNT(*) AS n FROM fact_order o
    WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1, 2
"""
PAYMENTS_BY = """
    SELECT o.region_id AS r, o.channel_id AS c, SUM(p.amount) AS amount
    FROM fact_payment p JOIN fact_order o ON o.order_id = p.order_id
    WHERE p.payment_date BETWEEN $start AND $end GROUP BY 1, 2
"""


def sql_rows(con: duckdb.DuckDBPyConnection, sql: str, span: tuple[date, date]) -> list[tuple[Any, ...]]:
    return con.execute(sql, {"start": span[0], "end": span[1]}).fetchall()


def by_key(rows: list[tuple[Any, ...]], key: int, value: int) -> dict[Any, float]:
    out: dict[Any, float] = defaultdict(float)
    for row in rows:
        out[row[key]] += float(row[value] or 0)
    return dict(out)


def records(result: ResultSet) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


@pytest.fixture(scope="module")
def con_with_nulls(demo_warehouse: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A writable copy of the demo warehouse plus two completed October orders with no channel (one
    with no region either): rows with no member, which an exclusion must keep."""
    import shutil

    path = tmp_path_factory.mktemp("nulls") / "demo.duckdb"
    shutil.copy(demo_warehouse, path)
    con = duckdb.connect(str(path))
    con.execute(
        """INSERT INTO fact_order VALUES
           ('ONULL1', DATE '2026-10-15', NULL, NULL, 'EAST', NULL, 'completed'),
           ('ONULL2', DATE '2026-10-16', NULL, NULL, NULL, NULL, 'completed')"""
    )
    con.execute(
        """INSERT INTO fact_order_line VALUES
           ('ONULL1', 1, 'HW-01', 2, 1000.00, 0.00, 400.00),
           ('ONULL2', 1, 'HW-01', 1, 500.00, 0.00, 200.00)"""
    )
    yield con
    con.close()


@pytest.mark.parametrize(("asker", "scope"), [(EXEC, ""), (EAST_MANAGER, "AND r = 'EAST'")])
def test_exclusion_keeps_rows_with_no_member(
    demo_catalog: Catalog, con_with_nulls: duckdb.DuckDBPyConnection, asker: Asker, scope: str
) -> None:
    plan = QueryPlan(
        metrics=("revenue",),
        filters=(Filter(dimension="channel", op=FilterOp.NOT_IN, values=("ONLINE", "RETAIL")),),
        time=time_range(OCT),
    )
    got = run(demo_catalog, con_with_nulls, plan, asker).rows[0][0]
    where = f"WHERE (c IS NULL OR c NOT IN ('ONLINE', 'RETAIL')) {scope}"
    expected = sql_rows(con_with_nulls, f"SELECT SUM(revenue) FROM ({REVENUE_BY}) {where}", OCT)[0][0]
    naive = f"WHERE c NOT IN ('ONLINE', 'RETAIL') {scope}"
    without_nulls = sql_rows(con_with_nulls, f"SELECT SUM(revenue) FROM ({REVENUE_BY}) {naive}", OCT)[0][0]
    assert got == pytest.approx(float(expected))
    # the NULL-channel rows count (2,000 in the East; 500 more with no region, outside the manager's scope)
    assert got - float(without_nulls) == pytest.approx(2000.0 if asker is EAST_MANAGER else 2500.0)


@pytest.mark.parametrize("metric", METRICS)
def test_other_period(metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    """October against June: the baseline is read over baseline_time, for every metric."""
    plan = QueryPlan(
        metrics=(metric,),
        time=time_range(OCT),
        comparison=Comparison.OTHER_PERIOD,
        baseline_time=time_range(JUN),
    )
    result = run(demo_catalog, demo_con, plan)
    assert_comparison(result, metric, hand(demo_con, metric, OCT)[()], hand(demo_con, metric, JUN)[()])


def test_other_period_by_region_ranked_by_ratio(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    plan = QueryPlan(
        metrics=("revenue",),
        dimensions=("region",),
        time=time_range(OCT),
        comparison=Comparison.OTHER_PERIOD,
        baseline_time=time_range(JUN),
    )
    value, base = hand(demo_con, "revenue", OCT, "region"), hand(demo_con, "revenue", JUN, "region")
    result = run(demo_catalog, demo_con, plan)
    assert_close(keyed(result, "region_id", "revenue__baseline"), base)
    assert_close(keyed(result, "region_id", "revenue__delta"), {r: value[r] - base[r] for r in base})
    slowest = min(base, key=lambda r: value[r] / base[r])
    ranked = plan.model_copy(
        update={"order": (OrderBy(metric="revenue", value=ValueKind.RATIO, direction="asc"),), "limit": 1}
    )
    assert [row[0] for row in run(demo_catalog, demo_con, ranked).rows] == [slowest]


def test_other_period_series_aligns_buckets(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    """H1 2026 against H1 2025 by month: each month against the same month a year earlier."""
    plan = QueryPlan(
        metrics=("order_count",),
        time=time_range(H1_2026, Grain.MONTH),
        comparison=Comparison.OTHER_PERIOD,
        baseline_time=time_range(H1_2025, Grain.MONTH),
    )
    result = run(demo_catalog, demo_con, plan)
    last_year = hand(demo_con, "order_count", H1_2025, "month")
    baselines = keyed(result, "period", "order_count__baseline")
    assert sorted(baselines) == [f"2026-{m:02d}-01" for m in range(1, 7)]
    assert_close(baselines, {p.replace("2025", "2026"): v for p, v in last_year.items()})


def change_plan(metric: str, dimension: str, span: tuple[date, date], direction: str, **kw: Any) -> QueryPlan:
    return QueryPlan(
        metrics=(metric,),
        dimensions=(dimension,),
        time=time_range(span),
        order=(OrderBy(metric=metric, value=ValueKind.DELTA, direction=direction),),  # type: ignore[arg-type]
        intent=Intent.RANK,
        **kw,
    )


@pytest.mark.parametrize(
    ("comparison", "extra", "baseline"),
    [
        (Comparison.PREVIOUS_PERIOD, {}, SEP),
        (Comparison.SAME_PERIOD_LAST_YEAR, {}, (date(2025, 10, 1), date(2025, 10, 31))),
        (Comparison.OTHER_PERIOD, {"baseline_time": time_range(JUN)}, JUN),
    ],
)
@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_rank_by_change(
    demo_catalog: Catalog,
    demo_con: duckdb.DuckDBPyConnection,
    comparison: Comparison,
    extra: dict[str, Any],
    baseline: tuple[date, date],
    direction: str,
) -> None:
    """Top 3 regions by change in revenue (absolute), growth first or fall first."""
    plan = change_plan("revenue", "region", OCT, direction, comparison=comparison, limit=3, **extra)
    value, base = hand(demo_con, "revenue", OCT, "region"), hand(demo_con, "revenue", baseline, "region")
    regions = set(value) | set(base)
    delta = {r: value.get(r, 0.0) - base.get(r, 0.0) for r in regions}
    expected = sorted(regions, key=lambda r: (-delta[r] if direction == "desc" else delta[r], r))[:3]
    result = run(demo_catalog, demo_con, plan)
    assert [row[0] for row in result.rows] == expected
    assert_close({row[0]: row[result.columns.index("revenue__delta")] for row in result.rows},
                 {r: delta[r] for r in expected})  # fmt: skip


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_rank_by_change_puts_unknown_changes_last(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection, direction: str
) -> None:
    """A rate with no deals closed in one of the months has no change: those reps come last, either way."""
    august = (date(2026, 8, 1), date(2026, 8, 31))
    plan = change_plan("win_rate", "rep", august, direction, comparison=Comparison.PREVIOUS_PERIOD)
    result = run(demo_catalog, demo_con, plan)
    deltas = [row[result.columns.index("win_rate__delta")] for row in result.rows]
    known = [d for d in deltas if d is not None]
    assert None in deltas and known, "the fixture month must have reps with and without a change"
    assert deltas == known + [None] * (len(deltas) - len(known))
    assert known == sorted(known, reverse=direction == "desc")


def share_plan(metric: str, span: tuple[date, date] = OCT, **kw: Any) -> QueryPlan:
    return QueryPlan(metrics=(metric,), time=time_range(span), intent=Intent.SHARE, **kw)


def test_share_by_channel(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    result = run(demo_catalog, demo_con, share_plan("revenue", dimensions=("channel",)))
    per = by_key(sql_rows(demo_con, REVENUE_BY, OCT), 2, 3)
    total = sum(per.values())
    assert_close(keyed(result, "channel_id", "revenue__share"), {c: v / total for c, v in per.items()})
    assert_close(keyed(result, "channel_id", "revenue__total"), {c: total for c in per})
    assert sum(keyed(result, "channel_id", "revenue__share").values()) == pytest.approx(1.0)


def test_share_of_one_member_drops_its_filter_from_the_total(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    """ "What % of revenue came from Online": Online ÷ all channels. With no dimensions a share is over
    every filtered dimension ("East Online" ÷ everything); with the channel as its dimension the other
    filters stay in the total ("what % of East's revenue came from Online": ÷ the East's total)."""
    everything = by_key(sql_rows(demo_con, REVENUE_BY, OCT), 2, 3)
    east = by_key([r for r in sql_rows(demo_con, REVENUE_BY, OCT) if r[1] == "EAST"], 2, 3)
    online = Filter(dimension="channel", values=("ONLINE",))
    (row,) = records(run(demo_catalog, demo_con, share_plan("revenue", filters=(online,))))
    assert row["revenue"] == pytest.approx(everything["ONLINE"])
    assert row["revenue__total"] == pytest.approx(sum(everything.values()))
    assert row["revenue__share"] == pytest.approx(everything["ONLINE"] / sum(everything.values()))
    in_east = (online, Filter(dimension="region", values=("EAST",)))
    (row,) = records(run(demo_catalog, demo_con, share_plan("revenue", filters=in_east)))
    assert row["revenue__share"] == pytest.approx(east["ONLINE"] / sum(everything.values()))
    of_east = share_plan("revenue", dimensions=("channel",), filters=in_east)
    (row,) = records(run(demo_catalog, demo_con, of_east))
    assert row["channel_id"] == "ONLINE"
    assert row["revenue__share"] == pytest.approx(east["ONLINE"] / sum(east.values()))


def test_share_of_a_distinct_count_by_region_adds_up(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    result = run(demo_catalog, demo_con, share_plan("order_count", dimensions=("region",)))
    per = by_key(sql_rows(demo_con, ORDERS_BY, OCT), 0, 2)
    assert_close(
        keyed(result, "region_id", "order_count__share"), {r: n / sum(per.values()) for r, n in per.items()}
    )


def test_scoped_share_is_of_the_scopes_total(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    """An East manager's shares by channel are of the East's total: the exec's East-filtered shares."""
    plan = share_plan("order_count", dimensions=("channel",))
    scoped = run(demo_catalog, demo_con, plan, EAST_MANAGER)
    east = plan.model_copy(update={"filters": (Filter(dimension="region", values=("EAST",)),)})
    assert scoped.rows == run(demo_catalog, demo_con, east).rows
    per = by_key([r for r in sql_rows(demo_con, ORDERS_BY, OCT) if r[0] == "EAST"], 1, 2)
    assert_close(
        keyed(scoped, "channel_id", "order_count__share"), {c: n / sum(per.values()) for c, n in per.items()}
    )
    assert {f.name: f.scoped_by for f in scoped.fields}["order_count__total"] == ("region",)


def test_share_per_month(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = share_plan("revenue", dimensions=("channel",), span=Q3_2026)
    plan = plan.model_copy(update={"time": time_range(Q3_2026, Grain.MONTH)})
    rows = records(run(demo_catalog, demo_con, plan))
    lines = sql_rows(demo_con, REVENUE_BY, Q3_2026)
    for month in (7, 8, 9):
        per = by_key([r for r in lines if r[0].month == month], 2, 3)
        got = {r["channel_id"]: r["revenue__share"] for r in rows if r["period"] == f"2026-{month:02d}-01"}
        assert_close(got, {c: v / sum(per.values()) for c, v in per.items()})


def threshold_plan(
    metric: str,
    op: ThresholdOp,
    number: float,
    value: ValueKind = ValueKind.VALUE,
    span: tuple[date, date] = OCT,
    **kw: Any,
) -> QueryPlan:
    return QueryPlan(
        metrics=(metric,),
        dimensions=("region",),
        time=time_range(span),
        having=(Threshold(metric=metric, value=value, op=op, number=number),),
        **kw,
    )


@pytest.mark.parametrize(("op", "keep"), [(ThresholdOp.GT, float.__gt__), (ThresholdOp.GE, float.__ge__),
                                          (ThresholdOp.LT, float.__lt__), (ThresholdOp.LE, float.__le__)])  # fmt: skip
def test_threshold_keeps_every_member_meeting_it(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection, op: ThresholdOp, keep: Any
) -> None:
    """ "Regions with more than N orders": every member, the boundary member kept only by ge / le."""
    per = by_key(sql_rows(demo_con, ORDERS_BY, OCT), 0, 2)
    number = sorted(per.values())[len(per) // 2]  # one region sits exactly on it
    result = run(demo_catalog, demo_con, threshold_plan("order_count", op, number))
    assert {row[0] for row in result.rows} == {r for r, n in per.items() if keep(n, number)}
    assert result.rows and len(result.rows) < len(per)


def test_threshold_on_a_rate(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    """ "Regions with gross margin below X%": a fraction, compared as one."""
    margin = hand(demo_con, "gross_margin", Q3_2026, "region")
    number = sorted(v for v in margin.values() if v is not None)[2] + 1e-9
    result = run(demo_catalog, demo_con, threshold_plan("gross_margin", ThresholdOp.LT, number, span=Q3_2026))
    assert {row[0] for row in result.rows} == {r for r, v in margin.items() if v is not None and v < number}


def test_missed_target_lists_every_region_below_it(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    value, target = hand(demo_con, "revenue", OCT, "region"), hand(demo_con, "revenue_target", OCT, "region")
    plan = threshold_plan("revenue", ThresholdOp.LT, 1.0, ValueKind.RATIO, comparison=Comparison.TARGET)
    missed = {r for r in target if target[r] and value.get(r, 0.0) / target[r] < 1}
    assert {row[0] for row in run(demo_catalog, demo_con, plan).rows} == missed
    as_metric = threshold_plan("target_attainment", ThresholdOp.LT, 1.0)
    assert {row[0] for row in run(demo_catalog, demo_con, as_metric).rows} == missed


def test_threshold_on_a_change_and_a_share(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    value, base = hand(demo_con, "revenue", OCT, "region"), hand(demo_con, "revenue", SEP, "region")
    fell = threshold_plan(
        "revenue", ThresholdOp.LT, 0.0, ValueKind.DELTA, comparison=Comparison.PREVIOUS_PERIOD
    )
    assert {row[0] for row in run(demo_catalog, demo_con, fell).rows} == {
        r for r in value if value[r] - base.get(r, 0.0) < 0
    }
    big = threshold_plan("revenue", ThresholdOp.GE, 0.2, ValueKind.SHARE, intent=Intent.SHARE)
    total = sum(value.values())
    assert {row[0] for row in run(demo_catalog, demo_con, big).rows} == {
        r for r, v in value.items() if v / total >= 0.2
    }


def test_two_models_each_with_its_own_number(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    """Order count (orders, by order date) and payment amount (payments, by payment date), by channel."""
    plan = QueryPlan(metrics=("order_count", "payment_amount"), dimensions=("channel",), time=time_range(OCT))
    result = run(demo_catalog, demo_con, plan)
    assert_close(keyed(result, "channel_id", "order_count"), by_key(sql_rows(demo_con, ORDERS_BY, OCT), 1, 2))
    assert_close(
        keyed(result, "channel_id", "payment_amount"), by_key(sql_rows(demo_con, PAYMENTS_BY, OCT), 1, 2)
    )
    total = QueryPlan(metrics=("new_customers", "order_count", "payment_amount"), time=time_range(OCT))
    (row,) = records(run(demo_catalog, demo_con, total))
    for metric in total.metrics:
        assert row[metric] == pytest.approx(hand(demo_con, metric, OCT)[()])


def test_leads_and_win_rate_by_region(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    plan = QueryPlan(metrics=("lead_count", "win_rate"), dimensions=("region",), time=time_range(Q3_2026))
    result = run(demo_catalog, demo_con, plan)
    for metric in plan.metrics:
        assert_close(keyed(result, "region_id", metric), hand(demo_con, metric, Q3_2026, "region"))
    by_channel = plan.model_copy(update={"dimensions": ("channel",)})
    with pytest.raises(InvalidPlanError) as info:  # closed opportunities carry no channel
        compile_plan(by_channel, demo_catalog, EXEC)
    assert info.value.details["metric"] == "win_rate"

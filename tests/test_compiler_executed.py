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

from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.executor import ResultSet, execute
from metricqa.assistant.semantic.plan import Comparison, Grain, QueryPlan, TimeRange
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker

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

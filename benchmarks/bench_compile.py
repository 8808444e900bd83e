"""Benchmark: compile and execute representative plans, next to the same questions written by hand in SQL.

python benchmarks/bench_compile.py --scale 10
python benchmarks/bench_compile.py --scale 10 --path /tmp/demo10.duckdb   # build once, reuse after

Prints p50/p95 of compile_plan and of execute (compiled SQL through the executor, whose SELECT-only
check is cached by SQL text after the warm-up run; its first-run cost is reported on its own), the
hand SQL's p50/p95, and the compiled ÷ hand ratio per question (its median is the headline). Targets:
compile p50 ≤ 5 ms; execute p50 ≤ 1.5 × hand SQL. Each compiled answer is checked against the hand
answer (row count and the sum of the first metric column), so a fast wrong query cannot win.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.executor import check_select, execute
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.demo import build_demo_warehouse

ROOT = Path(__file__).resolve().parent.parent
EXEC = {"role": "exec", "scope": {}}


@dataclass(frozen=True)
class Case:
    name: str
    plan: dict[str, Any]
    hand: str  # the same question, written by hand; $start/$end etc. as named parameters
    hand_params: dict[str, Any]
    asker: dict[str, Any]
    metric: str  # the compiled column whose sum is compared ...
    hand_col: int  # ... with this column of the hand answer


def tr(start: str, end: str, grain: str = "none", partial: bool = False) -> dict[str, Any]:
    return {"start": start, "end": end, "grain": grain, "partial": partial}


def p(start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"start": date.fromisoformat(start), "end": date.fromisoformat(end), **extra}


OCT, NOV, Q3, YTD = (
    tr("2026-10-01", "2026-10-31"),
    tr("2026-11-01", "2026-11-20", partial=True),
    tr("2026-07-01", "2026-09-30"),
    tr("2026-01-01", "2026-11-20", partial=True),
)
LINES = """fact_order_line l JOIN fact_order o ON o.order_id = l.order_id"""
REV = "l.quantity * l.unit_price - l.discount_amount"

CASES: list[Case] = [
    Case("revenue_total", {"metrics": ["revenue"], "time": OCT},
         f"SELECT SUM({REV}) AS revenue FROM {LINES} WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end",
         p("2026-10-01", "2026-10-31"), EXEC, "revenue", 0),
    Case("revenue_by_region", {"metrics": ["revenue"], "dimensions": ["region"], "time": OCT},
         f"""SELECT o.region_id, r.region_name, SUM({REV}) AS revenue FROM {LINES} JOIN dim_region r ON r.region_id = o.region_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1, 2 ORDER BY 3 DESC""",
         p("2026-10-01", "2026-10-31"), EXEC, "revenue", 2),
    Case("revenue_by_month", {"metrics": ["revenue"], "time": {**YTD, "grain": "month"}},
         f"""SELECT DATE_TRUNC('month', o.order_date) AS period, SUM({REV}) AS revenue FROM {LINES}
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 1""",
         p("2026-01-01", "2026-11-20"), EXEC, "revenue", 1),
    Case("gross_profit_by_product_line", {"metrics": ["gross_profit"], "dimensions": ["product_line"], "time": Q3},
         f"""SELECT d.product_line, SUM({REV} - l.quantity * l.unit_cost) AS gross_profit
             FROM {LINES} JOIN dim_product d ON d.product_id = l.product_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 2 DESC""",
         p("2026-07-01", "2026-09-30"), EXEC, "gross_profit", 1),
    Case("revenue_by_channel_filtered",
         {"metrics": ["revenue"], "dimensions": ["channel"], "time": OCT,
          "filters": [{"dimension": "region", "values": ["EAST", "NORTH"]}]},
         f"""SELECT o.channel_id, c.channel_name, SUM({REV}) AS revenue FROM {LINES} JOIN dim_channel c ON c.channel_id = o.channel_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end AND o.region_id IN ('EAST', 'NORTH')
             GROUP BY 1, 2 ORDER BY 3 DESC""",
         p("2026-10-01", "2026-10-31"), EXEC, "revenue", 2),
    Case("revenue_mom", {"metrics": ["revenue"], "time": NOV, "comparison": "previous_period"},
         f"""SELECT SUM({REV}) FILTER (WHERE o.order_date >= $start) AS revenue,
                    SUM({REV}) FILTER (WHERE o.order_date <= $bend) AS baseline
             FROM {LINES} WHERE o.status = 'completed' AND (o.order_date BETWEEN $start AND $end OR o.order_date BETWEEN $bstart AND $bend)""",
         p("2026-11-01", "2026-11-20", bstart=date(2026, 10, 1), bend=date(2026, 10, 20)), EXEC, "revenue", 0),
    Case("orders_yoy_by_region",
         {"metrics": ["order_count"], "dimensions": ["region"], "time": Q3, "comparison": "same_period_last_year"},
         """SELECT region_id, COUNT(DISTINCT order_id) FILTER (WHERE order_date >= $start) AS order_count,
                   COUNT(DISTINCT order_id) FILTER (WHERE order_date <= $bend) AS baseline
            FROM fact_order WHERE status = 'completed'
              AND (order_date BETWEEN $start AND $end OR order_date BETWEEN $bstart AND $bend)
            GROUP BY 1 ORDER BY 2 DESC""",
         p("2026-07-01", "2026-09-30", bstart=date(2025, 7, 1), bend=date(2025, 9, 30)), EXEC, "order_count", 1),
    Case("lagging_region_vs_target",
         {"metrics": ["revenue"], "dimensions": ["region"], "time": NOV, "comparison": "target",
          "order": [{"by": "revenue__attainment", "direction": "asc"}], "limit": 1},
         f"""WITH r AS (SELECT o.region_id, SUM({REV}) AS revenue FROM {LINES}
                        WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1),
                  t AS (SELECT region_id, SUM(target_value) AS target FROM fact_target
                        WHERE metric = 'revenue' AND month BETWEEN $start AND $end GROUP BY 1)
             SELECT t.region_id, r.revenue, t.target, r.revenue / t.target AS attainment
             FROM t LEFT JOIN r USING (region_id) ORDER BY attainment ASC LIMIT 1""",
         p("2026-11-01", "2026-11-20"), EXEC, "revenue", 1),
    Case("collection_rate_by_region", {"metrics": ["collection_rate"], "dimensions": ["region"], "time": OCT},
         f"""WITH pay AS (SELECT o.region_id, SUM(p.amount) AS paid FROM fact_payment p JOIN fact_order o ON o.order_id = p.order_id
                          WHERE p.payment_date BETWEEN $start AND $end GROUP BY 1),
                  rev AS (SELECT o.region_id, SUM({REV}) AS revenue FROM {LINES}
                          WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1)
             SELECT region_id, paid / revenue AS collection_rate FROM pay JOIN rev USING (region_id) ORDER BY 2 DESC""",
         p("2026-10-01", "2026-10-31"), EXEC, "collection_rate", 1),
    Case("gross_margin_total", {"metrics": ["gross_margin"], "time": OCT},
         f"""SELECT SUM({REV} - l.quantity * l.unit_cost) / SUM({REV}) AS gross_margin FROM {LINES}
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end""",
         p("2026-10-01", "2026-10-31"), EXEC, "gross_margin", 0),
    Case("top_products", {"metrics": ["revenue"], "dimensions": ["product"], "time": OCT,
                          "order": [{"by": "revenue"}], "limit": 3},
         f"""SELECT l.product_id, d.product_name, SUM({REV}) AS revenue FROM {LINES} JOIN dim_product d ON d.product_id = l.product_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3""",
         p("2026-10-01", "2026-10-31"), EXEC, "revenue", 2),
    Case("regional_manager_by_channel", {"metrics": ["revenue", "lead_count"], "dimensions": ["channel"], "time": NOV},
         f"""WITH rev AS (SELECT o.channel_id, SUM({REV}) AS revenue FROM {LINES}
                          WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end AND o.region_id = 'EAST' GROUP BY 1),
                  leads AS (SELECT channel_id, COUNT(*) AS lead_count FROM fact_lead
                            WHERE created_date BETWEEN $start AND $end AND region_id = 'EAST' GROUP BY 1)
             SELECT * FROM rev FULL JOIN leads USING (channel_id) ORDER BY revenue DESC""",
         p("2026-11-01", "2026-11-20"), {"role": "regional_manager", "scope": {"region": "EAST"}}, "revenue", 1),
    Case("sales_rep_win_rate_mom", {"metrics": ["win_rate"], "time": Q3, "comparison": "previous_period"},
         """SELECT COUNT(*) FILTER (WHERE stage = 'won' AND closed_date >= $start)
                     / COUNT(*) FILTER (WHERE closed_date >= $start) AS win_rate,
                   COUNT(*) FILTER (WHERE stage = 'won' AND closed_date <= $bend)
                     / COUNT(*) FILTER (WHERE closed_date <= $bend) AS baseline
            FROM fact_opportunity WHERE rep_id = 'R001' AND stage IN ('won', 'lost')
              AND (closed_date BETWEEN $start AND $end OR closed_date BETWEEN $bstart AND $bend)""",
         p("2026-07-01", "2026-09-30", bstart=date(2026, 4, 1), bend=date(2026, 6, 30)),
         {"role": "sales_rep", "scope": {"rep": "R001"}}, "win_rate", 0),
    Case("conversion_by_source", {"metrics": ["lead_conversion_rate"], "dimensions": ["lead_source"], "time": Q3},
         """SELECT source, COUNT(converted_date) / COUNT(*) AS lead_conversion_rate FROM fact_lead
            WHERE created_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 2 DESC""",
         p("2026-07-01", "2026-09-30"), EXEC, "lead_conversion_rate", 1),
    Case("aov_by_segment", {"metrics": ["avg_order_value"], "dimensions": ["segment"], "time": YTD},
         f"""SELECT c.segment, SUM({REV}) / COUNT(DISTINCT o.order_id) AS avg_order_value
             FROM {LINES} JOIN dim_customer c ON c.customer_id = o.customer_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 2 DESC""",
         p("2026-01-01", "2026-11-20"), EXEC, "avg_order_value", 1),
    Case("return_rate_by_channel_monthly",
         {"metrics": ["return_rate"], "dimensions": ["channel"], "time": {**YTD, "grain": "month"}},
         """SELECT DATE_TRUNC('month', order_date) AS period, channel_id,
                   COUNT(*) FILTER (WHERE status = 'returned') / COUNT(*) AS return_rate
            FROM fact_order WHERE status IN ('completed', 'returned') AND order_date BETWEEN $start AND $end
            GROUP BY 1, 2 ORDER BY 1, 2""",
         p("2026-01-01", "2026-11-20"), EXEC, "return_rate", 2),
    Case("new_customers_by_region", {"metrics": ["new_customers"], "dimensions": ["region"], "time": YTD},
         """SELECT region_id, COUNT(*) AS new_customers FROM dim_customer
            WHERE first_order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 2 DESC""",
         p("2026-01-01", "2026-11-20"), EXEC, "new_customers", 1),
    Case("pipeline_top_reps", {"metrics": ["pipeline_amount"], "dimensions": ["rep"], "time": tr("2026-01-01", "2026-11-20"),
                               "order": [{"by": "pipeline_amount"}], "limit": 5},
         """SELECT o.rep_id, r.rep_name, SUM(o.amount) AS pipeline_amount FROM fact_opportunity o
            JOIN dim_sales_rep r ON r.rep_id = o.rep_id
            WHERE o.stage NOT IN ('won', 'lost') AND o.created_date BETWEEN $start AND $end
            GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5""",
         p("2026-01-01", "2026-11-20"), EXEC, "pipeline_amount", 2),
    Case("payments_by_month", {"metrics": ["payment_amount"], "time": tr("2025-01-01", "2026-10-31", "month")},
         """SELECT DATE_TRUNC('month', p.payment_date) AS period, SUM(p.amount) AS payment_amount
            FROM fact_payment p JOIN fact_order o ON o.order_id = p.order_id
            WHERE p.payment_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 1""",
         p("2025-01-01", "2026-10-31"), EXEC, "payment_amount", 1),
    Case("margin_by_line_monthly",
         {"metrics": ["gross_margin"], "dimensions": ["product_line"], "time": {**YTD, "grain": "month"}},
         f"""SELECT DATE_TRUNC('month', o.order_date) AS period, d.product_line,
                    SUM({REV} - l.quantity * l.unit_cost) / SUM({REV}) AS gross_margin
             FROM {LINES} JOIN dim_product d ON d.product_id = l.product_id
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1, 2 ORDER BY 1, 2""",
         p("2026-01-01", "2026-11-20"), EXEC, "gross_margin", 2),
    Case("revenue_weekly", {"metrics": ["revenue"], "time": tr("2026-09-28", "2026-11-20", "week", True)},
         f"""SELECT DATE_TRUNC('week', o.order_date) AS period, SUM({REV}) AS revenue FROM {LINES}
             WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 1""",
         p("2026-09-28", "2026-11-20"), EXEC, "revenue", 1),
    Case("three_metrics_by_region_2025",
         {"metrics": ["revenue", "gross_profit", "order_count"], "dimensions": ["region"], "time": tr("2025-01-01", "2025-12-31")},
         f"""SELECT o.region_id, SUM({REV}) AS revenue, SUM({REV} - l.quantity * l.unit_cost) AS gross_profit,
                    COUNT(DISTINCT o.order_id) AS order_count
             FROM {LINES} WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1 ORDER BY 2 DESC""",
         p("2025-01-01", "2025-12-31"), EXEC, "revenue", 1),
    Case("revenue_series_yoy",
         {"metrics": ["revenue"], "time": {**YTD, "grain": "month"}, "comparison": "same_period_last_year"},
         f"""WITH cur AS (SELECT DATE_TRUNC('month', o.order_date) AS period, SUM({REV}) AS revenue FROM {LINES}
                          WHERE o.status = 'completed' AND o.order_date BETWEEN $start AND $end GROUP BY 1),
                  base AS (SELECT DATE_TRUNC('month', o.order_date + INTERVAL 1 YEAR) AS period, SUM({REV}) AS baseline
                           FROM {LINES} WHERE o.status = 'completed' AND o.order_date BETWEEN $bstart AND $bend GROUP BY 1)
             SELECT period, revenue, baseline FROM cur FULL JOIN base USING (period) ORDER BY 1""",
         p("2026-01-01", "2026-11-20", bstart=date(2025, 1, 1), bend=date(2025, 11, 20)), EXEC, "revenue__baseline", 2),
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def hand_rows(con: duckdb.DuckDBPyConnection, case: Case) -> list[tuple[Any, ...]]:
    used = {k: v for k, v in case.hand_params.items() if f"${k}" in case.hand}
    return con.execute(case.hand, used).fetchall()


def checksum(rows: list[tuple[Any, ...]], index: int) -> float:
    return sum(float(r[index]) for r in rows if r[index] is not None)


def bench_case(
    catalog: Catalog, con: duckdb.DuckDBPyConnection, case: Case, compiles: int, runs: int
) -> dict[str, Any]:
    plan, asker = QueryPlan.model_validate(case.plan), Asker(**case.asker)
    compile_ms = []
    for _ in range(compiles):
        t0 = time.perf_counter()
        compiled = compile_plan(plan, catalog, asker)
        compile_ms.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    check_select.__wrapped__(
        compiled.sql
    )  # the SELECT-only check's cost on a first run (it is cached by text)
    check_ms = (time.perf_counter() - t0) * 1000
    result = execute(compiled, con, row_cap=100_000, timeout_s=60)  # warm-up, and the answer to check
    hand = hand_rows(con, case)
    execute_ms, hand_ms = [], []
    for _ in range(runs):  # interleaved so that both see the same machine load
        t0 = time.perf_counter()
        execute(compiled, con, row_cap=100_000, timeout_s=60)
        execute_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        hand_rows(con, case)
        hand_ms.append((time.perf_counter() - t0) * 1000)
    got = checksum([tuple(r) for r in result.rows], result.columns.index(case.metric))
    want = checksum(hand, case.hand_col)
    agree = len(result.rows) == len(hand) and abs(got - want) <= 1e-6 * max(1.0, abs(want))
    return {
        "case": case.name,
        "compile_ms": compile_ms,
        "execute_ms": statistics.median(execute_ms),
        "hand_ms": statistics.median(hand_ms),
        "ratio": statistics.median(execute_ms) / statistics.median(hand_ms),
        "check_ms": check_ms,
        "rows": len(result.rows),
        "agrees": agree,
    }


def ensure_warehouse(path: Path | None, scale: float, tmp: str) -> Path:
    if path is not None and path.exists():
        return path
    target = path or Path(tmp) / "demo.duckdb"
    started = time.perf_counter()
    build_demo_warehouse(target, scale=scale, seed=42, progress=False)
    print(f"built scale {scale:g} warehouse at {target} in {time.perf_counter() - started:.1f}s")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scale", type=float, default=10.0, help="warehouse scale (1 = about 100,000 order lines)"
    )
    parser.add_argument(
        "--path", type=Path, default=None, help="reuse (or build once at) this warehouse file"
    )
    parser.add_argument("--compiles", type=int, default=50, help="compiles per question")
    parser.add_argument(
        "--runs", type=int, default=7, help="executions per question (compiled and hand each)"
    )
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "catalog" / "demo")
    with tempfile.TemporaryDirectory(prefix="metricqa-bench-") as tmp:
        con = open_warehouse(ensure_warehouse(args.path, args.scale, tmp))
        try:
            results = [bench_case(catalog, con, case, args.compiles, args.runs) for case in CASES]
        finally:
            con.close()
    print(f"{'question':34} {'compile p50':>11} {'execute':>9} {'hand':>9} {'ratio':>6} {'rows':>5}  agrees")
    for r in results:
        print(f"{r['case']:34} {statistics.median(r['compile_ms']):9.2f}ms {r['execute_ms']:7.1f}ms "
              f"{r['hand_ms']:7.1f}ms {r['ratio']:6.2f} {r['rows']:5}  {r['agrees']}")  # fmt: skip
    compile_all = [ms for r in results for ms in r["compile_ms"]]
    execute_all, hand_all, ratios, checks = (
        [r[k] for r in results] for k in ("execute_ms", "hand_ms", "ratio", "check_ms")
    )
    summary = {
        "scale": args.scale,
        "questions": len(results),
        "compile_ms": {"p50": round(pct(compile_all, 0.5), 2), "p95": round(pct(compile_all, 0.95), 2)},
        "execute_ms": {"p50": round(pct(execute_all, 0.5), 1), "p95": round(pct(execute_all, 0.95), 1)},
        "hand_sql_ms": {"p50": round(pct(hand_all, 0.5), 1), "p95": round(pct(hand_all, 0.95), 1)},
        "first_run_select_check_ms": {"p50": round(pct(checks, 0.5), 2), "p95": round(pct(checks, 0.95), 2)},
        "execute_over_hand": {"p50": round(pct(ratios, 0.5), 2), "p95": round(pct(ratios, 0.95), 2)},
        "all_agree": all(r["agrees"] for r in results),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

"""Benchmark: a list (members with their attributes, issue 15) next to the same plan as a breakdown.

python benchmarks/bench_lists.py --scale 1
python benchmarks/bench_lists.py --path /tmp/demo1.duckdb        # an existing demo warehouse

For each case, compiles and runs (through the executor) the breakdown plan (the baseline: same metric,
dimension and period, no attributes) and the list plan (attributes joined beside each member's label),
interleaved so both see the same machine; for a capped list it also runs the count query that says
"first N of M". Prints the p50 of each, in ms, and the list ÷ breakdown ratio (its median is the headline).
Each list is checked against its breakdown (same member keys and metric values), so a wrong list cannot win.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from metricqa.assistant.semantic.compiler import CompiledQuery, compile_plan
from metricqa.assistant.semantic.executor import execute
from metricqa.assistant.semantic.lists import count_rows
from metricqa.assistant.semantic.plan import AttributeRef, Intent, QueryPlan, TimeRange
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.demo import build_demo_warehouse

ROOT = Path(__file__).resolve().parent.parent
YTD = TimeRange(start=date(2026, 1, 1), end=date(2026, 11, 20))
EXEC = Asker(role="exec")

# (name, metric, dimension, attributes, limit)
CASES: list[tuple[str, str, str, tuple[str, ...], int | None]] = [
    ("products_with_line_and_price", "revenue", "product", ("line", "list_price"), 100),
    ("reps_with_team_and_hire_date", "revenue", "rep", ("team", "hire_date"), 100),
    ("reps_win_rate_with_team", "win_rate", "rep", ("team",), 100),
    ("capped_reps_first_10_of_all", "order_count", "rep", ("team", "hire_date"), 10),
]


def plans(
    metric: str, dimension: str, attributes: tuple[str, ...], limit: int | None
) -> tuple[QueryPlan, QueryPlan]:
    breakdown = QueryPlan(
        metrics=(metric,), dimensions=(dimension,), time=YTD, intent=Intent.BREAKDOWN, limit=limit
    )
    refs = tuple(AttributeRef(dimension=dimension, attribute=a) for a in attributes)
    return breakdown, breakdown.model_copy(update={"intent": Intent.LIST, "attributes": refs})


def timed(fn: Callable[..., Any], *args: Any) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def run(plan: QueryPlan, catalog: Catalog, con: duckdb.DuckDBPyConnection, counted: bool) -> Any:
    compiled: CompiledQuery = compile_plan(plan, catalog, EXEC)
    result = execute(compiled, con, row_cap=10000, timeout_s=60)
    total = count_rows(compiled, con, timeout_s=60) if counted else None
    return result, total


def same_rows(breakdown: Any, listed: Any) -> bool:
    """Member key and metric value of every row agree (the list only adds attribute columns)."""

    def pairs(result: Any) -> list[tuple[Any, Any]]:
        return [(row[0], row[-1]) for row in result.rows]

    return pairs(breakdown) == pairs(listed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--path", type=Path, help="an existing demo warehouse (else one is built at --scale)")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    path = args.path
    if path is None:
        path = Path(tempfile.mkdtemp()) / f"demo-{args.scale}.duckdb"
        build_demo_warehouse(path, scale=args.scale, seed=42, progress=False)
    catalog = load_catalog(ROOT / "catalog" / "demo")
    con = open_warehouse(path)
    ratios = []
    print(f"warehouse {path}, {args.runs} runs each (after one warm-up), p50 in ms")
    print(f"{'case':32} {'breakdown':>10} {'list':>10} {'ratio':>7}  rows  counted")
    for name, metric, dim, attributes, limit in CASES:
        breakdown, listed = plans(metric, dim, attributes, limit)
        counted = limit is not None and limit < 100
        base_result = run(breakdown, catalog, con, False)[0]
        list_result, total = run(listed, catalog, con, counted)
        assert same_rows(base_result, list_result), f"{name}: the list's rows differ from the breakdown's"
        base_ms, list_ms = [], []
        for _ in range(args.runs):  # interleaved: both see the same machine
            base_ms.append(timed(run, breakdown, catalog, con, False))
            list_ms.append(timed(run, listed, catalog, con, counted))
        b, li = statistics.median(base_ms), statistics.median(list_ms)
        ratios.append(li / b)
        shown = f"{len(list_result.rows)} of {total}" if counted else str(len(list_result.rows))
        print(f"{name:32} {b:10.2f} {li:10.2f} {li / b:7.2f}  {shown:>4}  {'yes' if counted else 'no'}")
    print(f"median list ÷ breakdown ratio: {statistics.median(ratios):.2f}")
    con.close()


if __name__ == "__main__":
    main()

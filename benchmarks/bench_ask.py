"""Whole-ask latency in a warm process: retrieval + planning, and the full ask (execute + chart).

    python benchmarks/bench_ask.py [--scale 10] [--repeat 3]

Builds (or reuses) a demo warehouse at the given scale in a temp home, warms the assistant
once, then times every question of a mixed English/Chinese list and prints p50/p95.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from metricqa.assistant.pipeline import Assistant
from metricqa.core.asker import Asker
from metricqa.core.settings import Settings
from metricqa.demo import build_demo_warehouse

QUESTIONS = [
    "which region lagged this month?",
    "本月华东的回款率环比怎么样?",
    "revenue by region last month",
    "gross margin by product line this year",
    "monthly revenue trend this year",
    "上月各渠道订单量",
    "top 3 product lines by revenue last quarter",
    "今年每月毛利率趋势",
    "lead conversion rate by channel YoY",
    "哪个区域拖后腿",
    "win rate by region last quarter",
    "本季度销售额同比",
    "average order value in the East last 30 days",
    "新增客户数 按区域 今年",
    "return rate by channel this month",
    "上周线索数",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warehouse", help="reuse this DuckDB file")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="metricqa-bench-"))
    warehouse = Path(args.warehouse) if args.warehouse else home / f"demo-{args.scale}.duckdb"
    if not warehouse.exists():
        t0 = time.perf_counter()
        build_demo_warehouse(warehouse, scale=args.scale, seed=42, progress=False)
        print(f"built scale {args.scale} warehouse in {time.perf_counter() - t0:.1f} s")
    settings = Settings(home=home, warehouse=warehouse)
    t0 = time.perf_counter()
    assistant = Assistant.from_settings(settings)
    assistant.ask("revenue this month", Asker())  # warm: embedder, index, vocabulary
    print(f"cold start (catalog, index build, embedder load, first answer): {time.perf_counter() - t0:.2f} s")
    totals: list[float] = []
    understand: list[float] = []
    statuses: dict[str, int] = {}
    for _ in range(args.repeat):
        for q in QUESTIONS:
            ans = assistant.ask(q, Asker())
            statuses[ans.status] = statuses.get(ans.status, 0) + 1
            totals.append(ans.timings_ms["total"])
            understand.append(ans.timings_ms.get("retrieve", 0.0) + ans.timings_ms.get("plan", 0.0))
    print(f"questions: {len(QUESTIONS)} × {args.repeat}, statuses: {statuses}")
    print(f"retrieve+plan  p50 {statistics.median(understand):7.1f} ms   p95 {pct(understand, 0.95):7.1f} ms")
    print(f"whole ask      p50 {statistics.median(totals):7.1f} ms   p95 {pct(totals, 0.95):7.1f} ms")
    assistant.close()


if __name__ == "__main__":
    main()

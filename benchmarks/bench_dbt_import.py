"""Benchmark `metricqa catalog import dbt`: read + dbt's checks + mapping + writing + loading the result back,
against the baseline of loading (parsing and validating) the written catalog alone, measured in the same run.

    .venv/bin/python benchmarks/bench_dbt_import.py [--models 40] [--metrics-per-model 10] [--repeat 5]

Two projects: the test shop (tests/fixtures/dbt_shop) and a generated one of ``--models`` semantic models
(each with a foreign entity to the next, two dimensions, a time dimension, two measures) and
``--metrics-per-model`` metrics each (simple, filtered simple, ratio, derived, cumulative in turn).
Prints medians in ms and the ratio import / load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from metricqa.catalog.dbt.write import import_dbt
from metricqa.catalog.loader import load_catalog

SHOP = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "dbt_shop"


def generated_project(root: Path, n_models: int, per_model: int) -> Path:
    """A dbt project of ``n_models`` chained semantic models and ``per_model`` metrics on each."""
    models, metrics = [], []
    for i in range(n_models):
        entities = [{"name": f"e{i}", "type": "primary", "expr": f"id{i}"}]
        if i + 1 < n_models:
            entities.append({"name": f"e{i + 1}", "type": "foreign", "expr": f"e{i + 1}_id"})
        models.append(
            {
                "name": f"m{i}",
                "model": f"ref('t{i}')",
                "defaults": {"agg_time_dimension": f"at{i}"},
                "entities": entities,
                "dimensions": [
                    {"name": f"at{i}", "type": "time", "type_params": {"time_granularity": "day"}},
                    {"name": f"kind{i}", "type": "categorical"},
                    {"name": f"group{i}", "type": "categorical"},
                ],
                "measures": [
                    {"name": f"amount{i}", "agg": "sum"},
                    {"name": f"rows{i}", "agg": "count", "expr": "1"},
                ],
            }
        )
        for k in range(per_model):
            name, shape = f"metric_{i}_{k}", k % 5
            params: dict[str, object] = {"measure": f"amount{i}"}
            extra: dict[str, object] = {}
            if shape == 1:
                extra["filter"] = f"{{{{ Dimension('e{i}__kind{i}') }}}} = 'a'"
            elif shape == 2:
                params = {"numerator": f"metric_{i}_0", "denominator": f"metric_{i}_0"}
            elif shape == 3:
                params = {"expr": "this_one - other_one", "metrics": [{"name": f"metric_{i}_0", "alias": "this_one"},
                                                       {"name": f"metric_{i}_0", "alias": "other_one"}]}  # fmt: skip
            elif shape == 4:
                params = {
                    "measure": f"rows{i}",
                    "cumulative_type_params": {"window": "7 days", "period_agg": "last"},
                }
            kind = ["simple", "simple", "ratio", "derived", "cumulative"][shape]
            metrics.append(
                {"name": name, "label": f"Metric {i} {k}", "type": kind, "type_params": params, **extra}
            )
    project = root / "generated"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: generated\nversion: '1'\nconfig-version: 2\n", encoding="utf-8"
    )
    body = {"semantic_models": models, "metrics": metrics}
    (project / "models" / "semantic.yml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return project


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench(name: str, project: Path, root: Path, repeat: int) -> None:
    out = root / f"{name}_catalog"
    imported = median_ms(lambda: import_dbt(project, out, approve=True, force=True), repeat)
    loaded = median_ms(lambda: load_catalog(out), repeat)
    cat = load_catalog(out)
    print(
        f"{name:>10}: {len(cat.models)} models, {len(cat.metrics)} metrics | import p50 {imported:8.1f} ms | "
        f"load p50 (baseline) {loaded:7.1f} ms | ratio {imported / loaded:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=40)
    parser.add_argument("--metrics-per-model", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench("shop", SHOP, root, args.repeat)
        bench("generated", generated_project(root, args.models, args.metrics_per_model), root, args.repeat)


if __name__ == "__main__":
    main()

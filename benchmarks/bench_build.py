"""Benchmark: build the demo warehouse into a temporary directory and report time, rows and size.

python benchmarks/bench_build.py --scale 10
python benchmarks/bench_build.py --scale 100 --keep /tmp/demo100.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from metricqa.demo import build_demo_warehouse, table_counts


def bench_build(scale: float, seed: int, keep: Path | None, progress: bool) -> dict[str, object]:
    """Build once and return the measurements as a dict."""
    with tempfile.TemporaryDirectory(prefix="metricqa-bench-") as tmp:
        path = Path(tmp) / "demo.duckdb"
        started = time.perf_counter()
        build_demo_warehouse(path, scale=scale, seed=seed, progress=progress)
        seconds = time.perf_counter() - started
        rows = table_counts(path)
        size = path.stat().st_size
        if keep is not None:
            shutil.copyfile(path, keep)
    return {
        "scale": scale,
        "seed": seed,
        "seconds": round(seconds, 2),
        "file_mb": round(size / 2**20, 1),
        "order_lines_per_s": round(rows["fact_order_line"] / seconds),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scale", type=float, default=10.0, help="warehouse scale (1 = about 100,000 order lines)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, default=None, help="copy the built file here")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args()
    result = bench_build(args.scale, args.seed, args.keep, progress=not args.no_progress)
    rows = result["rows"]
    assert isinstance(rows, dict)
    print(
        f"scale {result['scale']:g}: {result['seconds']}s, {rows['fact_order_line']:,} order lines "
        f"({result['order_lines_per_s']:,}/s), {result['file_mb']} MiB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

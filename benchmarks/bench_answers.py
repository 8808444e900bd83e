"""What issue 12's answers cost: the chart stage of a laggard drawn among every member (a second,
unlimited query: ``charts.rules.context_plan``) against the chart stage of the same answer drawn from its
own rows, and the presentation work (pace, periods in progress, the readable table) per answer.

    python benchmarks/bench_answers.py [--scale 1] [--repeat 30]

Both sides run in one warm process on the same warehouse, in the same run; charts are redrawn every
time (a fresh chart directory per ask). Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from metricqa.assistant.pipeline import STAGES, Assistant, Turn, chart_stage
from metricqa.assistant.presentation.progress import pace_rows, partial_periods
from metricqa.assistant.presentation.table import display_table
from metricqa.assistant.semantic.plan import Intent
from metricqa.core.asker import Asker
from metricqa.core.settings import Settings
from metricqa.demo import build_demo_warehouse

QUESTION = "which region lagged this month?"


def chart_ms(assistant: Assistant, turn: Turn, wide: bool, out: Path, i: int) -> float:
    """One chart stage, with (``wide``) or without the laggard's context rows."""
    assert turn.plan is not None
    plan = turn.plan
    if not wide:  # the same answer, drawn from its own rows: no second query
        turn.plan = plan.model_copy(update={"intent": Intent.RANK})
    turn.chart_dir = out / f"{'wide' if wide else 'own'}-{i}"
    t0 = time.perf_counter()
    chart_stage(assistant, turn)
    elapsed = (time.perf_counter() - t0) * 1000
    turn.plan = plan
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="metricqa-bench-answers-"))
    warehouse = home / f"demo-{args.scale}.duckdb"
    build_demo_warehouse(warehouse, scale=args.scale, seed=42, progress=False)
    assistant = Assistant.from_settings(Settings(home=home, warehouse=warehouse))
    asker = Asker()
    answer = assistant.ask(QUESTION, asker)  # warm
    turn = assistant.new_turn(QUESTION, asker)
    for name, stage in STAGES:  # the stages before the chart, once
        if name == "chart":
            break
        stage(assistant, turn)
    wide, own, present = [], [], []
    for i in range(args.repeat):
        wide.append(chart_ms(assistant, turn, True, home / "charts", i))
        own.append(chart_ms(assistant, turn, False, home / "charts", i))
        assert turn.plan is not None and turn.result is not None
        fields, rows = list(turn.result.fields), [list(r) for r in turn.result.rows]
        t0 = time.perf_counter()
        partial_periods(turn.plan, fields, rows, assistant.catalog)
        pace_rows(turn.plan, fields, rows, assistant.catalog)
        display_table(turn.plan, fields, rows, assistant.catalog, "zh")
        present.append((time.perf_counter() - t0) * 1000)
    w, o = statistics.median(wide), statistics.median(own)
    print(
        f"question: {QUESTION!r} (answer: {answer.chart.type if answer.chart else None} chart), scale {args.scale}"
    )
    print(f"chart stage, every member (context query + draw): median {w:7.1f} ms")
    print(f"chart stage, the answer's own row (draw only):    median {o:7.1f} ms   ratio {w / o:.2f}×")
    print(f"pace + periods in progress + readable table:      median {statistics.median(present):7.3f} ms")
    assistant.close()


if __name__ == "__main__":
    main()

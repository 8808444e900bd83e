"""Eval gates: the wrong-answer count is reported and a planner that answers wrongly fails the gates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.assistant.understanding.context import Planner, PlanningContext
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.core.settings import Settings
from metricqa.evals.dataset import Tag, load_dataset
from metricqa.evals.gates import Gates, check_gates, load_gates
from metricqa.evals.runner import CaseResult, run_case, summarize

ROOT = Path(__file__).resolve().parent.parent


class SwappedMetricPlanner:
    """Deliberately broken: plans as the rules do, then answers with a different approved metric."""

    def __init__(self, inner: Planner) -> None:
        self.inner = inner

    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan:
        plan = self.inner.plan(question, ctx)
        approved = [
            m.id
            for m in ctx.catalog.approved_metrics()
            if m.unit == ctx.catalog.metrics[plan.metrics[0]].unit
        ]
        other = next(m for m in approved if m != plan.metrics[0])
        return plan.model_copy(update={"metrics": (other, *plan.metrics[1:]), "order": ()})


class BrokenAssistant(Assistant):
    def planner(self, name: str) -> Any:
        return SwappedMetricPlanner(RulePlanner())


def _result(**kw: Any) -> CaseResult:
    base = CaseResult(
        id="x-001", question="q", language="en", tags=["single_metric"], expected_status="answered",
        status="answered", status_ok=True, metrics_ok=True, plan_ok=True, execution_ok=True, leakage=False,
        passed=True, latency_ms=1.0,
    )  # fmt: skip
    return replace(base, **kw)


def test_wrong_answer_is_answered_and_not_passed() -> None:
    assert _result(passed=False, execution_ok=False).wrong_answer
    assert not _result(status="refused", passed=False).wrong_answer  # a refusal is never a wrong number
    assert not _result().wrong_answer


def test_gates_name_each_failure() -> None:
    results = [_result(), _result(id="x-002", passed=False, execution_ok=False)]
    summary = summarize(results)
    assert summary["overall"]["wrong_answers"] == 1
    gates = Gates(
        overall_floor=0.9, category_floors={"single_metric": 0.9, "share": 0.5}, max_wrong_answers=0
    )
    assert check_gates(summary, gates) == [
        "overall accuracy 50.0% is below its gate 90.0%",
        "category share: no cases (gate 50.0%)",
        "category single_metric accuracy 50.0% is below its gate 90.0%",
        "answered with wrong numbers: 1 > gate 0",
    ]
    assert check_gates(summary, Gates(overall_floor=0.5, max_wrong_answers=1)) == []


def test_repo_gates_file_loads_and_covers_every_category() -> None:
    gates = load_gates(ROOT / "evals" / "gates.yaml")
    asked = {str(t) for c in load_dataset().cases for t in c.tags}
    assert set(gates.category_floors) == asked
    assert gates.max_leaks == 0


@pytest.fixture(scope="module")
def cases_and_con(demo_con: duckdb.DuckDBPyConnection) -> Any:
    cases = [c for c in load_dataset().cases if Tag.SINGLE_METRIC in c.tags and c.role == "exec"][:15]
    return cases, demo_con


def _run(cls: type[Assistant], home: Path, warehouse: Path, cases: list[Any], con: Any) -> dict[str, Any]:
    settings = Settings(home=home, warehouse=warehouse, chart_dir=home / "charts")
    assistant = cls.from_settings(settings)
    try:
        return summarize([run_case(assistant, con, case, "rules") for case in cases])
    finally:
        assistant.close()


def test_a_broken_planner_turns_the_gates_red(
    cases_and_con: Any, demo_warehouse: Path, tmp_path: Path
) -> None:
    cases, con = cases_and_con
    good = _run(Assistant, tmp_path / "good", demo_warehouse, cases, con)
    broken = _run(BrokenAssistant, tmp_path / "broken", demo_warehouse, cases, con)
    gates = Gates(
        overall_floor=good["overall"]["accuracy"], max_wrong_answers=good["overall"]["wrong_answers"]
    )
    assert check_gates(good, gates) == []
    assert broken["overall"]["wrong_answers"] > good["overall"]["wrong_answers"]
    failures = check_gates(broken, gates)
    assert any(f.startswith("answered with wrong numbers:") for f in failures), failures

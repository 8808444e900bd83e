"""`metricqa eval`: run the graded question set through the same ask pipeline and score it.

Scores per case: status, metric selection, plan match, execution accuracy (result rows vs
hand-written gold SQL rows), and leakage (a row outside the asker's scope is its own failure).
"Answered with wrong numbers" counts every case the product answered (status answered) that does
not pass: wrong rows, a wrong metric, or a number where a refusal or a question back was expected.
Confidence bands report calibration (accuracy per band of the plan's confidence). Writes report.json,
report.md and accuracy.png; exits non-zero below ``--floor`` or when a gate in ``--gates`` fails
(evals/gates.py).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.language import has_cjk
from metricqa.core.settings import Settings
from metricqa.demo import build_demo_warehouse
from metricqa.evals.dataset import load_dataset
from metricqa.evals.gates import check_gates, load_gates

REL_TOL = 1e-4
ABS_TOL = 0.01


@dataclass
class CaseResult:
    id: str
    question: str
    language: str
    tags: list[str]
    expected_status: str
    status: str
    status_ok: bool
    metrics_ok: bool | None
    plan_ok: bool | None
    execution_ok: bool | None
    leakage: bool
    passed: bool
    latency_ms: float
    detail: str = ""
    metrics: list[str] = field(default_factory=list)
    confidence: float | None = None

    @property
    def wrong_answer(self) -> bool:
        """Answered, and not correct: the worst outcome (a confident wrong number)."""
        return self.status == "answered" and not self.passed


# --- row comparison ---------------------------------------------------------------------------
def _is_number(v: Any) -> bool:
    return (
        isinstance(v, int | float)
        and not isinstance(v, bool)
        and not (isinstance(v, float) and math.isnan(v))
    )


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _as_key(v: Any) -> str | None:
    if v is None or _is_number(v):
        return None
    return v.isoformat() if isinstance(v, date) else str(v)


def row_matches(gold: Sequence[Any], got: Sequence[Any]) -> bool:
    """Every key value of the gold row appears in the answer row, and every gold number has a close match."""
    got_keys = {_as_key(v) for v in got} - {None}
    got_nums = [float(v) for v in got if _is_number(v)]
    for value in gold:
        key = _as_key(value)
        if key is not None and key not in got_keys:
            return False
        if _is_number(value) and not any(_close(float(value), n) for n in got_nums):
            return False
    return True


def rows_match(
    gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], ordered: bool
) -> tuple[bool, str]:
    if len(gold) != len(got):
        return False, f"row count {len(got)} != gold {len(gold)}"
    if ordered:
        for i, (g, a) in enumerate(zip(gold, got, strict=True)):
            if not row_matches(g, a):
                return False, f"row {i}: got {list(a)} expected {list(g)}"
        return True, ""
    remaining = list(got)
    for g in gold:
        hit = next((a for a in remaining if row_matches(g, a)), None)
        if hit is None:
            return False, f"no answer row matches gold {list(g)}"
        remaining.remove(hit)
    return True, ""


def leaked(answer: Answer, scope: dict[str, Any]) -> bool:
    """True when a row names a member outside the asker's scope (e.g. another region)."""
    for dim, allowed in scope.items():
        allowed_set = {allowed} if isinstance(allowed, str) else set(allowed)
        col = f"{dim}_id"
        if col in answer.columns:
            idx = answer.columns.index(col)
            if any(row[idx] is not None and row[idx] not in allowed_set for row in answer.rows):
                return True
    return False


# --- running ----------------------------------------------------------------------------------
class GoldSQLError(ValueError):
    """A case's gold SQL is missing (only comments: a starter file not filled in yet)."""


def gold_rows(con: Any, sql: str) -> list[tuple[Any, ...]]:
    if not re.sub(r"--[^\n]*", "", sql).strip():
        raise GoldSQLError("no SQL yet (only comments): write the query that answers the question")
    rows = con.execute(sql).fetchall()
    return [tuple(float(v) if hasattr(v, "as_tuple") else v for v in r) for r in rows]


def answered_metrics(answer: Answer, catalog: Any) -> set[str]:
    """Metrics the answer reports. ``m`` compared with its target also reports the ratio metric m / target."""
    if answer.plan is None:
        return set()
    found = set(answer.plan.metrics)
    if answer.plan.comparison.value == "target" and catalog is not None:
        for m in answer.plan.metrics:
            target = catalog.metrics[m].target if m in catalog.metrics else None
            found |= {
                r.id
                for r in catalog.metrics.values()
                if target and r.numerator == m and r.denominator == target.metric
            }
    return found


def score_case(
    case: Any, answer: Answer, gold: list[tuple[Any, ...]] | None, latency_ms: float, catalog: Any = None
) -> CaseResult:
    status_ok = case.accepts(answer.status)
    plan_metrics = list(answer.plan.metrics) if answer.plan else []
    expected = set(case.expected_metrics)
    reported = answered_metrics(answer, catalog)
    metrics_ok = (
        bool(plan_metrics)
        and (expected == set(plan_metrics) or (expected <= reported and len(expected) == 1))
        if case.expected_metrics
        else None
    )
    if case.expected_metrics and not plan_metrics and case.expected_status != "answered":
        metrics_ok = None  # refused before planning: nothing to compare
    if case.expected_status == "clarify" and answer.status == "answered" and plan_metrics:
        # an acceptable answer to an ambiguous question picks one of the candidate metrics
        metrics_ok = set(plan_metrics) <= expected
    plan_ok = None
    if case.expected_status == "answered":
        dims_ok = case.expected_dimensions is None or (
            answer.plan is not None and set(answer.plan.dimensions) == set(case.expected_dimensions)
        )
        plan_ok = bool(metrics_ok) and dims_ok
    execution_ok, detail = None, ""
    if gold is not None:
        if answer.status == "answered":
            execution_ok, detail = rows_match(gold, answer.rows, case.ordered)
        elif not status_ok:
            execution_ok, detail = False, "not answered"
        # an acceptable refusal or question back has no rows to compare
    scope: dict[str, Any] = dict(case.expected_member_scope or case.scope)
    leak = leaked(answer, scope)
    passed = status_ok and metrics_ok is not False and execution_ok is not False and not leak
    if not status_ok:
        detail = f"status {answer.status} != {case.expected_status}: {answer.reason or answer.answer}"[:300]
    return CaseResult(
        id=case.id,
        question=case.question,
        language=case.language,
        tags=[str(t) for t in case.tags],
        expected_status=str(case.expected_status),
        status=answer.status,
        status_ok=status_ok,
        metrics_ok=metrics_ok,
        plan_ok=plan_ok,
        execution_ok=execution_ok,
        leakage=leak,
        passed=passed,
        latency_ms=latency_ms,
        detail=("LEAK: row outside scope. " if leak else "") + detail,
        metrics=plan_metrics,
        confidence=answer.plan.confidence if answer.plan is not None else None,
    )


def run_case(assistant: Any, con: Any, case: Any, planner: str) -> CaseResult:
    asker = Asker(role=case.role, scope=dict(case.scope), user="eval")
    session = f"eval-{case.id}-{uuid.uuid4().hex[:8]}"
    as_of = case.as_of
    for turn in case.turns or []:
        assistant.ask(turn, asker, session_id=session, as_of=as_of, planner=planner)
    t0 = time.perf_counter()
    try:
        answer = assistant.ask(case.question, asker, session_id=session, as_of=as_of, planner=planner)
    except Exception as exc:  # noqa: BLE001 - a crash is a failed case with its error, not a crashed eval
        answer = Answer(question=case.question, status="refused", answer="", reason=f"crashed: {exc!r}"[:300])
    latency = (time.perf_counter() - t0) * 1000
    try:
        gold = gold_rows(con, case.gold_sql) if case.gold_sql else None
    except (GoldSQLError, duckdb.Error) as exc:  # a user's file: say which gold SQL does not run
        result = score_case(case, answer, None, latency, assistant.catalog)
        return replace(result, passed=False, detail=f"gold SQL does not run: {exc}"[:300])
    return score_case(case, answer, gold, latency, assistant.catalog)


# --- reporting --------------------------------------------------------------------------------
def _rate(results: list[CaseResult]) -> float:
    return sum(r.passed for r in results) / len(results) if results else 0.0


def summarize(results: list[CaseResult]) -> dict[str, Any]:
    by_tag: dict[str, list[CaseResult]] = defaultdict(list)
    by_lang: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_lang[r.language].append(r)
        for t in r.tags:
            by_tag[t].append(r)
    lat = sorted(r.latency_ms for r in results) or [0.0]

    def part(rs: list[CaseResult]) -> dict[str, Any]:
        scored = [r for r in rs if r.execution_ok is not None]
        metric_scored = [r for r in rs if r.metrics_ok is not None]
        return {
            "n": len(rs),
            "accuracy": round(_rate(rs), 4),
            "status": round(sum(r.status_ok for r in rs) / len(rs), 4) if rs else 0.0,
            "metric_selection": round(sum(bool(r.metrics_ok) for r in metric_scored) / len(metric_scored), 4)
            if metric_scored
            else None,
            "execution": round(sum(bool(r.execution_ok) for r in scored) / len(scored), 4)
            if scored
            else None,
            "leaks": sum(r.leakage for r in rs),
            "wrong_answers": sum(r.wrong_answer for r in rs),
        }

    return {
        "overall": part(results),
        "by_language": {k: part(v) for k, v in sorted(by_lang.items())},
        "by_category": {k: part(v) for k, v in sorted(by_tag.items())},
        "calibration": calibration(results),
        "latency_ms": {
            "p50": round(statistics.median(lat), 1),
            "p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
        },
    }


CONFIDENCE_BANDS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def calibration(results: list[CaseResult]) -> dict[str, dict[str, Any]]:
    """Accuracy and wrong answers per band of plan confidence (cases with a plan)."""
    out: dict[str, dict[str, Any]] = {}
    for low, high in CONFIDENCE_BANDS:
        rs = [r for r in results if r.confidence is not None and low <= r.confidence < high]
        out[f"{low:.1f}–{min(high, 1.0):.1f}"] = {
            "n": len(rs),
            "accuracy": round(_rate(rs), 4) if rs else None,
            "wrong_answers": sum(r.wrong_answer for r in rs),
        }
    return out


def _table(title: str, rows: dict[str, dict[str, Any]]) -> list[str]:
    out = [
        f"### {title}",
        "",
        "| | n | accuracy | status | metric | execution | leaks | wrong answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, p in rows.items():

        def pct(v: Any) -> str:
            return "–" if v is None else f"{100 * v:.1f}%"

        out.append(
            f"| {name} | {p['n']} | {pct(p['accuracy'])} | {pct(p['status'])} | {pct(p['metric_selection'])} "
            f"| {pct(p['execution'])} | {p['leaks']} | {p['wrong_answers']} |"
        )
    return [*out, ""]


def _calibration_table(bands: dict[str, dict[str, Any]]) -> list[str]:
    out = [
        "### Calibration (plan confidence)",
        "",
        "| band | n | accuracy | wrong answers |",
        "|---|---|---|---|",
    ]
    for name, b in bands.items():
        acc = "–" if b["accuracy"] is None else f"{100 * b['accuracy']:.1f}%"
        out.append(f"| {name} | {b['n']} | {acc} | {b['wrong_answers']} |")
    return [*out, ""]


def write_report(out: Path, summary: dict[str, Any], results: list[CaseResult], planner: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(
            {
                "planner": planner,
                "summary": summary,
                "cases": [{**asdict(r), "wrong_answer": r.wrong_answer} for r in results],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    lines = [
        f"# metricqa eval — planner `{planner}`",
        "",
        f"Latency p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms.",
        "",
    ]
    lines += _table("Overall", {"all": summary["overall"]})
    lines += _table("By language", summary["by_language"])
    lines += _table("By category", summary["by_category"])
    lines += _calibration_table(summary["calibration"])
    failures = [r for r in results if not r.passed]
    lines += [f"## Failures ({len(failures)})", ""]
    lines += [
        f"- {'**WRONG ANSWER** ' if r.wrong_answer else ''}`{r.id}` [{', '.join(r.tags)}] {r.question[:120]!r}"
        f" → {r.detail[:300]}"
        for r in failures
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot_summary(out / "accuracy.png", summary, planner)


def plot_summary(path: Path, summary: dict[str, Any], planner: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = summary["by_category"]
    names = sorted(cats, key=lambda k: cats[k]["accuracy"])
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.5), dpi=100)
    ax.barh(names, [100 * cats[n]["accuracy"] for n in names], color="#4C78A8")
    ax.set_xlim(0, 100)
    ax.set_xlabel("accuracy (%)")
    ax.set_title(f"metricqa eval ({planner}): overall {100 * summary['overall']['accuracy']:.1f}%")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- entry point ------------------------------------------------------------------------------
def eval_warehouse(out: Path, scale: float, settings: Settings) -> Path:
    if settings.warehouse is not None:
        return settings.warehouse

    path = out / f"eval-warehouse-{scale}.duckdb"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        build_demo_warehouse(path, scale=scale, seed=42, progress=False)
    return path


def run_eval(
    settings: Settings,
    out: Path,
    planner: str,
    tags: set[str] | None,
    scale: float,
    limit: int | None = None,
    questions: Path | None = None,
) -> tuple[dict[str, Any], list[CaseResult]]:
    """Score the questions (the packaged demo set, or a user's file or folder) on the warehouse and
    catalog of ``settings`` (the demo warehouse, built at ``scale``, when none is set)."""
    dataset = load_dataset(questions)
    cases = [c for c in dataset.cases if not tags or tags & {str(t) for t in c.tags}][:limit]
    warehouse = eval_warehouse(out, scale, settings)
    home = out / "home"
    settings = settings.model_copy(
        update={"warehouse": warehouse, "home": home, "chart_dir": home / "charts"}
    )
    assistant = Assistant.from_settings(settings)
    con = open_warehouse(warehouse)
    try:
        results = [run_case(assistant, con, case, planner) for case in cases]
    finally:
        con.close()
        assistant.close()
    return summarize(results), results


def eval_cli(args: argparse.Namespace) -> int:
    if getattr(args, "action", "run") == "init":
        return init_cli(args)
    overrides = {k: Path(v) for k in ("warehouse", "catalog") if (v := getattr(args, k, None))}
    settings = Settings().model_copy(update=overrides)
    questions = Path(args.questions) if getattr(args, "questions", None) else None
    out = Path(args.out)
    tags = set(args.tags.split(",")) if args.tags else None
    planners = ["rules", "llm", "hybrid"] if args.compare_planners else [args.planner]
    if args.compare_planners and not settings.llm_base_url:
        print("No LLM endpoint configured (METRICQA_LLM_BASE_URL); comparing rules only.")
        planners = ["rules"]
    gates = load_gates(Path(args.gates)) if getattr(args, "gates", None) else None
    worst = 1.0
    failed_gates: list[str] = []
    side_by_side: dict[str, dict[str, Any]] = {}
    for planner in planners:
        summary, results = run_eval(settings, out, planner, tags, args.scale, args.limit, questions)
        target = out if len(planners) == 1 else out / planner
        write_report(target, summary, results, planner)
        side_by_side[planner] = summary["overall"]
        worst = min(worst, summary["overall"]["accuracy"])
        print((target / "report.md").read_text(encoding="utf-8").split("## Failures")[0])
        if gates is not None:
            failed_gates += [f"{planner}: {f}" for f in check_gates(summary, gates)]
    if len(planners) > 1:
        print("\n".join(_table("Planners side by side", side_by_side)))
    if worst < args.floor:
        failed_gates.append(f"accuracy {100 * worst:.1f}% is below the floor {100 * args.floor:.1f}%")
    for failure in failed_gates:
        print(f"FAIL: {failure}")
    if failed_gates:
        return 1
    print(
        f"OK: accuracy {100 * worst:.1f}% ≥ floor {100 * args.floor:.1f}%"
        + ("; every gate holds" if gates else "")
    )
    return 0


def starter_cases(catalog: Catalog) -> dict[str, Any]:
    """A question file to start from: each approved metric's example questions, expected answered with
    that metric; the gold SQL is left for the owner to write (a case without it fails, saying so)."""
    cases: list[dict[str, Any]] = []
    for metric in catalog.approved_metrics():
        for language in ("en", "zh"):
            for question in getattr(metric.examples, language):
                cases.append(
                    {
                        "id": f"{metric.id.replace('_', '')[:20] or 'case'}-{len(cases) + 1:03d}",
                        "question": question,
                        "language": "zh" if language == "zh" or has_cjk(question) else "en",
                        "tags": ["starter"],
                        "expected_status": "answered",
                        "expected_metrics": [metric.id],
                        "gold_sql": f"-- TODO: the SQL that answers this from the warehouse tables ({metric.id})",
                    }
                )
    return {"cases": cases}


def init_cli(args: argparse.Namespace) -> int:
    """``metricqa eval init``: write a starter question file from the catalog's example questions."""
    overrides = {"catalog": Path(args.catalog)} if getattr(args, "catalog", None) else {}
    settings = Settings().model_copy(update=overrides)
    catalog = load_catalog(settings.resolved_catalog())
    target = Path(args.questions or "questions.yaml")
    if target.exists():
        print(f"{target} exists; not overwriting it", file=sys.stderr)
        return 2
    data = starter_cases(catalog)
    header = (
        "# metricqa eval questions (docs/eval.md). Write each case's gold SQL by hand from the metric's\n"
        "# definition, then run: metricqa eval --questions this-file --warehouse W --catalog C\n"
    )
    target.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"wrote {len(data['cases'])} starter cases to {target}")
    return 0

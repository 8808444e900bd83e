"""The ask pipeline: question → retrieve → plan → validate → compile → execute → chart → answer.

The stage order is written down once, in ``STAGES``; only ``answer()`` calls every stage in turn.
``Assistant`` owns the long-lived parts (catalog, warehouse connection, index, sessions, audit log)
and implements ``metricqa.assistant.service.AskService`` for every surface.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from metricqa.assistant.audit import AuditLog
from metricqa.assistant.presentation.answer import Answer, Chart
from metricqa.assistant.presentation.citations import cite
from metricqa.assistant.presentation.labels import relabelled
from metricqa.assistant.presentation.lineage import lineage_json
from metricqa.assistant.presentation.narrative import (
    chart_title,
    filter_phrase,
    narrate,
    narrate_clarify,
    narrate_refusal,
)
from metricqa.assistant.presentation.narrative_lists import narrate_list
from metricqa.assistant.presentation.narrative_pace import pace_rule
from metricqa.assistant.presentation.progress import pace_rows, partial_periods
from metricqa.assistant.presentation.qualifiers import exclusion_phrase, metric_notes, scope_phrase
from metricqa.assistant.presentation.table import display_table
from metricqa.assistant.semantic.compiler import CompiledQuery, as_of_models, compile_plan, latest_date_sql
from metricqa.assistant.semantic.cursors import CursorPool
from metricqa.assistant.semantic.datachecks import check_data
from metricqa.assistant.semantic.executor import ResultSet, execute
from metricqa.assistant.semantic.governance import check_plan
from metricqa.assistant.semantic.lists import cap_list, capped, count_rows
from metricqa.assistant.semantic.plan import Intent, QueryPlan
from metricqa.assistant.semantic.warehouse import (
    latest_data_date,
    open_warehouse,
    read_as_of,
    warehouse_schema,
)
from metricqa.assistant.sessions import SessionStore
from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.planner import plan_question
from metricqa.assistant.understanding.planners import make_planner
from metricqa.catalog.models import Catalog, Status
from metricqa.catalog.store import CatalogStore
from metricqa.charts.render import render_chart
from metricqa.charts.rules import choose_chart, context_plan
from metricqa.core.asker import Asker
from metricqa.core.errors import (
    AccessDeniedError,
    AmbiguousQuestionError,
    AssistantError,
    CatalogError,
    RefusalReason,
    UnknownMetricError,
    UserFacingError,
    WarehouseError,
    check_text,
)
from metricqa.core.language import detect_language
from metricqa.core.messages import Message, render
from metricqa.core.settings import Settings
from metricqa.retrieval.embedders import make_embedder
from metricqa.retrieval.index import Entry, open_index
from metricqa.retrieval.members import read_members

log = logging.getLogger("metricqa.assistant")


@dataclass
class Turn:
    """Everything one request accumulates on its way through the stages."""

    question: str
    asker: Asker
    language: str
    as_of: date
    chart_dir: Path
    planner: str
    session_id: str | None = None
    candidates: list[Entry] = field(default_factory=list)
    plan: QueryPlan | None = None
    compiled: CompiledQuery | None = None
    result: ResultSet | None = None
    chart: Chart | None = None
    total_rows: int | None = None  # a capped list: its rows without the cap
    timings_ms: dict[str, float] = field(default_factory=dict)


Stage = Callable[["Assistant", Turn], None]


def retrieve_stage(assistant: Assistant, turn: Turn) -> None:
    turn.candidates = assistant.index().search(turn.question, k=12)


def plan_stage(assistant: Assistant, turn: Turn) -> None:
    ctx = PlanningContext(
        catalog=assistant.catalog,
        members=assistant.members(),
        as_of=turn.as_of,
        candidates=turn.candidates,
        previous=assistant.sessions.previous(turn.session_id),
        role=assistant.catalog.roles.get(turn.asker.role),
    )
    turn.plan = plan_question(turn.question, ctx, assistant.planner(turn.planner))


def validate_stage(assistant: Assistant, turn: Turn) -> None:
    assert turn.plan is not None
    turn.plan = cap_list(turn.plan, assistant.settings.list_row_limit)
    check_plan(turn.plan, assistant.catalog, turn.asker, assistant.member_keys())


def compile_stage(assistant: Assistant, turn: Turn) -> None:
    assert turn.plan is not None
    turn.compiled = compile_plan(turn.plan, assistant.catalog, turn.asker, language=turn.language)


def execute_stage(assistant: Assistant, turn: Turn) -> None:
    settings = assistant.settings
    assert turn.compiled is not None
    with assistant.cursor() as con:
        turn.result = execute(
            turn.compiled, con, row_cap=settings.row_cap, timeout_s=settings.statement_timeout_s
        )
        if turn.plan is not None and capped(turn.plan, len(turn.result.rows)):
            turn.total_rows = count_rows(turn.compiled, con, timeout_s=settings.statement_timeout_s)
    turn.result = relabelled(turn.result, assistant.catalog, turn.language)


def chart_stage(assistant: Assistant, turn: Turn) -> None:
    assert turn.plan is not None and turn.result is not None
    plan, result = chart_result(assistant, turn)
    fields, rows = list(result.fields), [list(r) for r in result.rows]
    spec = choose_chart(plan, fields, rows, assistant.catalog, turn.language)
    if spec is not None:
        title = chart_title(turn.plan, assistant.catalog, turn.language)
        turn.chart = render_chart(spec, turn.chart_dir, title, turn.language)


def chart_result(assistant: Assistant, turn: Turn) -> tuple[QueryPlan, ResultSet]:
    """What the chart draws: the answer's rows, or, when the answer names one member of several (a
    laggard), every member's (``charts.rules.context_plan``, compiled and run like the answer's plan)."""
    assert turn.plan is not None and turn.result is not None
    wider = context_plan(turn.plan)
    if wider is None:
        return turn.plan, turn.result
    compiled = compile_plan(wider, assistant.catalog, turn.asker, language=turn.language)
    settings = assistant.settings
    with assistant.cursor() as con:
        result = execute(compiled, con, row_cap=settings.row_cap, timeout_s=settings.statement_timeout_s)
    return wider, relabelled(result, assistant.catalog, turn.language)


STAGES: tuple[tuple[str, Stage], ...] = (
    ("retrieve", retrieve_stage),
    ("plan", plan_stage),
    ("validate", validate_stage),
    ("compile", compile_stage),
    ("execute", execute_stage),
    ("chart", chart_stage),
)


def compose_answer(assistant: Assistant, turn: Turn) -> Answer:
    assert turn.plan is not None and turn.result is not None and turn.compiled is not None
    columns, rows = list(turn.result.columns), [list(r) for r in turn.result.rows]
    fields = list(turn.result.fields)
    lang, members = turn.language, assistant.members()
    if turn.plan.intent is Intent.LIST:
        body = narrate_list(turn.plan, tuple(fields), len(rows), assistant.catalog, lang, turn.total_rows)
    else:
        body = narrate(turn.plan, fields, rows, assistant.catalog, lang)
    return Answer(
        question=turn.question,
        language=lang,  # type: ignore[arg-type]
        status="answered",
        answer=scope_phrase(assistant.catalog, turn.asker, members, lang)
        + exclusion_phrase(turn.plan, members, lang)
        + filter_phrase(turn.plan, members, lang)
        + body,
        plan=turn.plan,
        sql=turn.compiled.sql,
        params=[str(p) if isinstance(p, date) else p for p in turn.compiled.params],
        columns=columns,
        fields=fields,
        rows=rows,
        total_rows=turn.total_rows,
        chart=turn.chart,
        citations=cite(turn.plan, assistant.catalog, lang, list(turn.compiled.sources)),
        assumptions=plan_assumptions(turn.plan, lang)
        + [render(note, lang) for note in metric_notes(turn.plan, assistant.catalog)]
        + pace_rule(turn.plan, assistant.catalog, lang),
        partial_periods=partial_periods(turn.plan, fields, rows, assistant.catalog),
        pace=pace_rows(turn.plan, fields, rows, assistant.catalog),
        table=display_table(turn.plan, fields, rows, assistant.catalog, lang),
        data_as_of=turn.as_of.isoformat(),
        session_id=turn.session_id,
        role=turn.asker.role,
    )


def plan_assumptions(plan: QueryPlan, language: str) -> list[str]:
    """How the plan was read, in ``language``: its notes rendered, else its stored en/zh texts."""
    if plan.notes:
        return [render(note, language) for note in plan.notes]
    return list(plan.assumptions_zh if language == "zh" and plan.assumptions_zh else plan.assumptions)


def error_answer(assistant: Assistant, turn: Turn, error: UserFacingError) -> Answer:
    lang = turn.language
    options = getattr(error, "options", []) if isinstance(error, AmbiguousQuestionError) else []
    # a question back about words the reader could not place names them (its message has the options)
    named = error.reason in (
        RefusalReason.UNKNOWN_WORDS,
        RefusalReason.UNSUPPORTED_BREAKDOWN,
        RefusalReason.LOW_CONFIDENCE,
    )
    if options and not named:
        text = narrate_clarify(options, lang)
    else:
        text = error.message_for(lang) if options else narrate_refusal(error, lang)
    return Answer(
        question=turn.question,
        language=lang,  # type: ignore[arg-type]
        status="clarify" if isinstance(error, AmbiguousQuestionError) else "refused",
        answer=text,
        plan=turn.plan,
        options=options,
        reason=error.message_for(lang) if named or not options else None,
        reason_code=error.reason,
        suggestions=error.suggestions,
        data_as_of=turn.as_of.isoformat(),
        session_id=turn.session_id,
        role=turn.asker.role,
    )


def answer(assistant: Assistant, turn: Turn, start: str = "retrieve") -> Answer:
    """Run the stages from ``start`` on; a UserFacingError becomes a refused/clarify Answer."""
    names = [name for name, _ in STAGES]
    began = time.perf_counter()
    try:
        for name, stage in STAGES[names.index(start) :]:
            t0 = time.perf_counter()
            stage(assistant, turn)
            turn.timings_ms[name] = round((time.perf_counter() - t0) * 1000, 2)
        t0 = time.perf_counter()
        result = compose_answer(assistant, turn)
        turn.timings_ms["answer"] = round((time.perf_counter() - t0) * 1000, 2)
    except UserFacingError as exc:
        result = error_answer(assistant, turn, exc)
    turn.timings_ms["total"] = round((time.perf_counter() - began) * 1000, 2)
    result.timings_ms = dict(turn.timings_ms)
    if result.status == "answered" and result.plan is not None:
        assistant.sessions.remember(turn.session_id, result.plan)
    assistant.record(turn, result)
    return result


def resolve_as_of(settings: Settings, con: Any, catalog: Catalog) -> tuple[date, str]:
    """The date answers are "as of", and where it came from: the ``as_of`` setting, the warehouse's
    ``meta_warehouse`` table, the catalog's ``defaults.as_of``, the latest date in the data, and only
    when none of these gives one the clock (logged as a warning)."""
    if settings.as_of:
        return date.fromisoformat(settings.as_of), "setting"
    recorded = read_as_of(con)
    if recorded is not None:
        return recorded, "warehouse"
    if catalog.defaults.as_of is not None:
        return catalog.defaults.as_of, "catalog"
    today = date.today()
    latest = latest_data_date(con, [latest_date_sql(m) for m in as_of_models(catalog)], today)
    if latest is not None:
        return latest, "data"
    log.warning(
        "no as-of date in the settings, the warehouse, the catalog or the data: using today (%s)", today
    )
    return today, "clock"


class Assistant:
    """The long-lived assistant behind every surface (implements AskService)."""

    def __init__(self, settings: Settings, store: CatalogStore, warehouse: Path) -> None:
        self.settings = settings
        self.store = store
        self.warehouse = warehouse
        self._con = open_warehouse(warehouse)
        self._con_lock = threading.Lock()
        self._as_of, self.as_of_source = resolve_as_of(settings, self._con, store.current)
        data_issues = list(check_data(store.current, self._con))
        for issue in data_issues:
            log.warning("catalog vs data: %s", issue.context_str())
        if any(
            i.level == "error" for i in data_issues
        ):  # a fan-out would give wrong numbers: refuse to start
            self._con.close()
            raise CatalogError(data_issues)
        self._cursors = CursorPool(self._con, settings.warehouse_cursors, warehouse)
        self.audit = AuditLog(settings.resolved_audit_log(), max_bytes=settings.audit_max_bytes)
        self.sessions = SessionStore(settings.home / "sessions", ttl_s=settings.session_ttl_hours * 3600)
        self.sessions.prune()
        self._members: dict[str, list[Any]] | None = None
        self._member_keys: dict[str, set[str]] | None = None
        self._index: Any = None
        self._planners: dict[str, Any] = {}
        self._lazy_lock = threading.Lock()
        store.on_change(self._catalog_changed)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        warehouse = settings.resolved_warehouse()
        if not warehouse.is_file():
            raise WarehouseError(Message("error.warehouse_missing", {"path": str(warehouse)}))
        store = CatalogStore(settings.resolved_catalog(), warehouse_schema(warehouse))
        return cls(settings, store, warehouse)

    # --- long-lived parts, built lazily -------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self.store.current

    def _catalog_changed(self, _catalog: Catalog) -> None:
        with self._lazy_lock:
            self._members = None
            self._member_keys = None
            self._index = None
            self._planners = {}

    def cursor(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A cursor of the pool (``warehouse_cursors`` of them) for one query."""
        return self._cursors.borrow()

    def readiness(self) -> list[str]:
        """Why the service cannot answer now (empty: ready): the warehouse file is gone, or a one-row
        query on each model's table fails (a truncated or replaced file), or the catalog has no
        approved metric."""
        problems = []
        if not self.warehouse.is_file():
            problems.append(f"the warehouse file {self.warehouse} does not exist")
        for model in self.catalog.models.values():
            try:
                with self._con_lock:
                    self._con.execute(f"SELECT 1 FROM {exp.to_identifier(model.table).sql('duckdb')} LIMIT 1")
            except duckdb.Error as exc:
                problems.append(
                    f"model {model.id}: table {model.table} cannot be read ({exc.__class__.__name__})"
                )
        if not self.catalog.approved_metrics():
            problems.append("the catalog has no approved metric")
        return problems

    def members(self) -> dict[str, list[Any]]:
        with self._lazy_lock:
            if self._members is None:
                with self._con_lock:
                    self._members = read_members(self.catalog, self._con)
            return self._members

    def member_keys(self) -> dict[str, set[str]]:
        """Member keys per dimension, for validating filters (computed once per catalog)."""
        members = self.members()
        with self._lazy_lock:
            if self._member_keys is None:
                self._member_keys = {dim: {m.key for m in ms} for dim, ms in members.items()}
            return self._member_keys

    def index(self) -> Any:
        members = self.members()
        with self._lazy_lock:
            if self._index is None:
                index = open_index(
                    self.settings.index_dir() / index_key(self),
                    make_embedder(self.settings.embedder, threads=self.settings.embedder_blas_threads),
                )
                index.build(self.catalog, members)
                self._index = index
            return self._index

    def planner(self, name: str) -> Any:
        with self._lazy_lock:
            if name not in self._planners:
                self._planners[name] = make_planner(name, self.settings)
            return self._planners[name]

    def as_of(self) -> date:
        return self._as_of

    # --- AskService ---------------------------------------------------------------------
    def new_turn(self, question: str, asker: Asker, language: str | None = None, **kw: Any) -> Turn:
        return Turn(
            question=question,
            asker=asker,
            language=language or detect_language(question),
            as_of=kw.get("as_of") or self._as_of,
            chart_dir=Path(kw.get("chart_dir") or self.settings.resolved_chart_dir()),
            planner=kw.get("planner") or self.settings.planner,
            session_id=kw.get("session_id"),
        )

    def ask(
        self,
        question: str,
        asker: Asker,
        *,
        session_id: str | None = None,
        as_of: date | None = None,
        chart_dir: Path | None = None,
        planner: str | None = None,
    ) -> Answer:
        turn = self.new_turn(
            check_text(question),
            asker,
            session_id=session_id,
            as_of=as_of,
            chart_dir=chart_dir,
            planner=planner,
        )
        return answer(self, turn)

    def run_plan(
        self,
        plan: QueryPlan,
        asker: Asker,
        *,
        language: str = "en",
        question: str = "",
        chart_dir: Path | None = None,
    ) -> Answer:
        turn = self.new_turn(question or plan_summary(plan), asker, language=language, chart_dir=chart_dir)
        turn.plan = plan
        return answer(self, turn, start="validate")

    def list_metrics(self, asker: Asker, language: str = "en") -> list[dict[str, Any]]:
        role = self.catalog.roles.get(asker.role)
        return [
            {
                "id": m.id,
                "name": m.name.get(language),
                "description": m.description.get(language),
                "unit": m.unit.value,
                "owner": m.owner,
                "department": m.department,
                "status": m.status.value,
                "version": m.version,
            }
            for m in self.catalog.metrics.values()
            if m.status is Status.APPROVED and role is not None and role.may_see(m.id)
        ]

    def describe_metric(self, metric_id: str, asker: Asker, language: str = "en") -> dict[str, Any]:
        metric = self.catalog.metrics.get(metric_id)
        if metric is None:
            raise UnknownMetricError(Message("error.unknown_metric", {"metric": metric_id}))
        role = self.catalog.roles.get(asker.role)
        if role is None or not role.may_see(metric_id):
            raise AccessDeniedError(
                Message("error.access_denied_metric", {"role": asker.role, "metric": metric_id})
            )
        return {
            **metric.model_dump(mode="json", exclude={"source"}),
            "display_name": metric.name.get(language),
            "lineage": lineage_json(self.catalog, metric_id),
        }

    # --- audit --------------------------------------------------------------------------
    def record(self, turn: Turn, result: Answer) -> None:
        self.audit.append(
            {
                "event": "ask",
                "user": turn.asker.user,
                "role": turn.asker.role,
                "scope": turn.asker.scope,
                "session": turn.session_id,
                "question": turn.question,
                "plan": result.plan.model_dump(mode="json") if result.plan else None,
                "sql": result.sql,
                "params": result.params,
                "row_count": len(result.rows),
                "status": result.status,
                "reason": result.reason,
                "timings_ms": result.timings_ms,
            }
        )

    def close(self) -> None:
        self._cursors.close()
        self._con.close()


def plan_summary(plan: QueryPlan) -> str:
    parts = [", ".join(plan.metrics)]
    if plan.dimensions:
        parts.append("by " + ", ".join(plan.dimensions))
    parts.append(f"{plan.time.start}..{plan.time.end}")
    if plan.comparison.value != "none":
        parts.append(f"vs {plan.comparison.value}")
    return " ".join(parts)


def index_key(assistant: Assistant) -> str:
    raw = f"{assistant.store.root.resolve()}|{assistant.warehouse.resolve()}|{assistant.settings.embedder}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


__all__ = ["Assistant", "AssistantError", "STAGES", "Turn", "answer"]

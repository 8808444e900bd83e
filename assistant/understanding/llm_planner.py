"""The LLM planner: an OpenAI-compatible chat model fills a plan schema; rules are the fallback.

The schema (``plan_schema``) restricts metric and dimension ids to the retrieved candidates and
the catalog, so the model cannot name what does not exist. The returned plan is validated against
the catalog and the members; on a problem the model is re-asked once with the error text
(prompts/repair.md). If that fails too, or the endpoint errors or times out, the rule planner
answers and the plan says so in its assumptions (with the ``LLMError`` details in its evidence).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from metricqa.assistant.semantic.columns import ValueKind, derived_name, parse_name
from metricqa.assistant.semantic.plan import (
    AttributeRef,
    Comparison,
    Direction,
    Evidence,
    Filter,
    FilterOp,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)
from metricqa.assistant.understanding.choices import candidate_scores, metric_option, unsupported
from metricqa.assistant.understanding.context import Planner, PlanningContext, note_fields, plan_notes
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.assistant.understanding.shapes import period_defaulted
from metricqa.assistant.understanding.timeparse import default_range, parse_time, span_label
from metricqa.catalog.models import Catalog
from metricqa.core.errors import AmbiguousQuestionError, LLMError, RefusalReason, UnsupportedQuestionError
from metricqa.core.language import detect_language
from metricqa.core.messages import Message
from metricqa.prompts import load_prompt

if TYPE_CHECKING:
    from metricqa.core.settings import Settings

log = logging.getLogger(__name__)
TOOL_NAME = "QueryPlanDraft"
FALLBACK_NOTE = Message("note.llm_fallback")
# refusals the LLM must not second-guess: the rules refuse these whatever the candidates say
HARD_REFUSALS = frozenset(
    {
        RefusalReason.SQL,
        RefusalReason.INJECTION,
        RefusalReason.CHANGE_DATA,
        RefusalReason.TOO_LONG,
        RefusalReason.EMPTY,
    }
)


def literal(values: Iterable[str]) -> Any:
    """``Literal[...]`` of ``values`` (an enum's values, or ids), for a schema field."""
    return Literal[tuple(str(v) for v in values)]


STATUS_T: Any = Literal["plan", "refuse", "clarify"]
GRAIN_T: Any = literal(Grain)
COMPARISON_T: Any = literal(Comparison)
INTENT_T: Any = literal(Intent)
FILTER_OP_T: Any = literal(FilterOp)
THRESHOLD_OP_T: Any = literal(ThresholdOp)
DERIVED = " / ".join(derived_name("<metric>", kind) for kind in ValueKind if kind is not ValueKind.VALUE)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftFilter(_Base):
    dimension: str
    op: FILTER_OP_T = FilterOp.IN.value
    values: list[str] = Field(description="member keys")


class DraftOrder(_Base):
    by: str = Field(description=f"a metric id, or {DERIVED}")
    direction: Direction = "desc"


class DraftThreshold(_Base):
    by: str = Field(description=f"the figure compared: a metric id, or {DERIVED}")
    op: THRESHOLD_OP_T = Field(description="lt <, le <=, gt >, ge >=")
    number: float = Field(description="the threshold; a rate or a share as a fraction (40% = 0.4)")


def order_names(metric_ids: Iterable[str]) -> list[str]:
    """Every ``by`` an order may name: each metric's value and its other figures (those need a comparison)."""
    return [derived_name(m, kind) for m in metric_ids for kind in ValueKind]


def attribute_ids(catalog: Catalog) -> list[str]:
    """Every ``<dimension>:<attribute>`` a list may show (catalog ``attributes``)."""
    return [f"{d.id}:{a.id}" for d in catalog.dimensions.values() for a in d.attributes]


def plan_schema(
    metric_ids: list[str],
    dimension_ids: list[str],
    time_dimension_ids: Sequence[str] = (),
    attributes: Sequence[str] = (),
) -> type[BaseModel]:
    """A pydantic model mirroring ``QueryPlan`` with ids restricted to ``metric_ids`` / ``dimension_ids``
    (and the catalog's ``time_dimension_ids`` and ``attributes`` (``dim:attribute``), when it has any)."""
    metric_t: Any = Literal[tuple(metric_ids)]
    attribute_t: Any = Literal[tuple(attributes)] if attributes else None
    time_dim_t: Any = Literal[tuple(time_dimension_ids)] | None if time_dimension_ids else None
    dim_t: Any = Literal[tuple(dimension_ids)] if dimension_ids else str
    filt = create_model("DraftFilter", __base__=DraftFilter, dimension=(dim_t, ...))
    by_t: Any = literal(order_names(metric_ids))
    order = create_model(
        "DraftOrder", __base__=DraftOrder, by=(by_t, Field(description=f"a metric id, or {DERIVED}"))
    )
    threshold = create_model(
        "DraftThreshold",
        __base__=DraftThreshold,
        by=(by_t, Field(description=f"the figure compared: a metric id, or {DERIVED}")),
    )
    return create_model(
        TOOL_NAME,
        __base__=_Base,
        __doc__="A query plan for one metric question. Never SQL.",
        status=(STATUS_T, "plan"),
        reason=(str | None, None),
        options=(list[str], []),
        metrics=(list[metric_t], []),
        dimensions=(list[dim_t], []),
        filters=(list[filt], []),  # type: ignore[valid-type]
        start=(date | None, Field(None, description="first day, ISO date; empty when no period is named")),
        end=(date | None, Field(None, description="last day, ISO date, inclusive")),
        grain=(GRAIN_T, "none"),
        time_dimension=(
            time_dim_t,
            Field(
                None,
                description='date the facts by this time dimension ("closed in May"); empty: the default',
            ),
        ),
        comparison=(COMPARISON_T, "none"),
        baseline_start=(
            date | None,
            Field(None, description="comparison other_period only: first day of the period compared with"),
        ),
        baseline_end=(
            date | None,
            Field(None, description="comparison other_period only: last day of the period compared with"),
        ),
        order=(list[order], []),  # type: ignore[valid-type]
        having=(
            list[threshold],  # type: ignore[valid-type]
            Field([], description="keep only the rows meeting every threshold (e.g. more than 200 orders)"),
        ),
        limit=(int | None, None),
        intent=(INTENT_T, "value"),
        attributes=(
            list[attribute_t] if attributes else list[None],
            Field(
                [],
                description='intent "list" only: "<dimension>:<attribute>" shown beside each member of a '
                'listed dimension ("products with their line" → "product:line")',
            ),
        ),
        assumptions=(list[str], []),
        assumptions_zh=(list[str], []),
    )


def allowed_ids(ctx: PlanningContext) -> tuple[list[str], list[str]]:
    """Metric ids from the retrieval candidates (every catalog metric when there are none), and every dimension."""
    metrics = [m for m in candidate_scores(ctx) if m in ctx.catalog.metrics]
    for entry in ctx.candidates:  # members and dimensions point at metrics only indirectly; keep them all
        if getattr(entry, "kind", None) == "metric" and entry.entry_id not in metrics:
            metrics.append(entry.entry_id)
    return metrics or list(ctx.catalog.metrics), list(ctx.catalog.dimensions)


def describe_metrics(ctx: PlanningContext, ids: list[str]) -> str:
    lines = []
    for mid in ids:
        m = ctx.catalog.metrics[mid]
        target = "has target" if m.target else "no target"
        lines.append(
            f"- {m.id} — {m.name.en} / {m.name.get('zh')} — {m.definition.en} — {m.unit.value}, "
            f"{m.direction.value}, {target}; synonyms: {', '.join(m.synonyms.all()[:8])}"
        )
    return "\n".join(lines)


def describe_dimensions(ctx: PlanningContext, max_members: int = 30) -> str:
    lines = []
    for dim in ctx.catalog.dimensions.values():
        members = ctx.members.get(dim.id, [])[:max_members]
        shown = ", ".join(f"{m.key}={m.label_en}/{m.label_zh}" for m in members) or "(members not listed)"
        attributes = "; ".join(f"{dim.id}:{a.id} = {a.name.en}/{a.name.get('zh')}" for a in dim.attributes)
        shown += f" — attributes: {attributes}" if attributes else ""
        lines.append(f"- {dim.id} — {dim.name.en} / {dim.name.get('zh')} — {shown}")
    return "\n".join(lines)


def check_draft(draft: BaseModel, ctx: PlanningContext) -> list[str]:
    """Problems the schema cannot express: unknown members, orders on unknown columns, bad dates."""
    d: Any = draft
    problems: list[str] = []
    if d.status == "plan" and not d.metrics:
        problems.append("`metrics` is empty; name at least one metric id")
    for f in d.filters:
        keys = {m.key for m in ctx.members.get(f.dimension, [])}
        unknown = [v for v in f.values if keys and v not in keys]
        if unknown:
            problems.append(
                f"filter on `{f.dimension}`: unknown member keys {unknown}; known: {sorted(keys)[:30]}"
            )
    for o in d.order:
        metric, _ = parse_name(o.by)
        if metric not in d.metrics:
            problems.append(f"order by `{o.by}`: must be one of the plan's metrics, optionally with a suffix")
    for t in d.having:
        metric, _ = parse_name(t.by)
        if metric not in d.metrics:
            problems.append(
                f"threshold on `{t.by}`: must be one of the plan's metrics, optionally with a suffix"
            )
    for ref in getattr(d, "attributes", []) or []:
        if ref and ref.split(":", 1)[0] not in d.dimensions:
            problems.append(f"attribute `{ref}`: its dimension must be one of the plan's `dimensions`")
    problems += baseline_problems(d, ctx)
    if (d.start is None) != (d.end is None) or (d.start and d.end and d.start > d.end):
        problems.append("`start` and `end` must both be set (start <= end) or both be empty")
    if d.end is not None and d.end > ctx.as_of:
        problems.append(f"`end` is after the data's as-of date {ctx.as_of}")
    return problems


def baseline_problems(d: Any, ctx: PlanningContext) -> list[str]:
    """comparison other_period needs both baseline dates, in order, not after the as-of date."""
    if d.comparison != Comparison.OTHER_PERIOD.value:
        return []
    start, end = d.baseline_start, d.baseline_end
    if start is None or end is None or start > end:
        return ["comparison other_period needs `baseline_start` <= `baseline_end`, the period compared with"]
    if end > ctx.as_of:
        return [f"`baseline_end` is after the data's as-of date {ctx.as_of}"]
    return []


def draft_baseline(d: Any) -> TimeRange | None:
    """The period compared with under other_period (the baseline dates are ignored otherwise)."""
    if d.comparison != Comparison.OTHER_PERIOD.value or d.baseline_start is None or d.baseline_end is None:
        return None
    start, end = d.baseline_start, d.baseline_end
    label, label_zh = span_label(start, end, "en"), span_label(start, end, "zh")
    return TimeRange(start=start, end=end, grain=Grain(d.grain), label=label, label_zh=label_zh)


def draft_threshold(by: str, op: str, number: float) -> Threshold:
    metric, value = parse_name(by)
    return Threshold(metric=metric, value=value, op=ThresholdOp(op), number=number)


def draft_time(d: Any, question: str, ctx: PlanningContext) -> tuple[TimeRange, list[Message]]:
    grain = Grain(d.grain)
    if d.start is not None and d.end is not None:
        en, zh = span_label(d.start, d.end, "en"), span_label(d.start, d.end, "zh")
        return TimeRange(start=d.start, end=d.end, grain=grain, label=en, label_zh=zh), []
    found = parse_time(question, ctx.as_of)
    if found is not None:
        return found.range.model_copy(update={"grain": grain}), []
    metric = d.metrics[0] if getattr(d, "metrics", None) else ""
    default = ctx.catalog.default_period(metric)
    rng = default_range(default, ctx.as_of, grain)
    return rng, [period_defaulted(rng, default)]


def draft_notes(d: Any) -> list[Message]:
    """The model's own assumptions (free text, en and zh lists) as notes; zh falls back to en."""
    pairs = zip_longest(d.assumptions, d.assumptions_zh or d.assumptions)
    return [Message("note.text", {"text": {"en": en or zh, "zh": zh or en}}) for en, zh in pairs]


def draft_order(by: str, direction: Direction) -> OrderBy:
    metric, value = parse_name(by)
    return OrderBy(metric=metric, value=value, direction=direction)


def draft_attributes(d: Any) -> tuple[AttributeRef, ...]:
    """ "product:line" → AttributeRef(product, line)."""
    refs = [r.split(":", 1) for r in getattr(d, "attributes", []) or [] if r and ":" in r]
    return tuple(AttributeRef(dimension=dim, attribute=attr) for dim, attr in dict.fromkeys(map(tuple, refs)))


def draft_to_plan(draft: BaseModel, question: str, ctx: PlanningContext) -> QueryPlan:
    d: Any = draft
    if d.status == "refuse":
        why = Message("unsupported.llm_refused", {"reason": d.reason}) if d.reason else None
        raise unsupported(
            ctx.catalog, RefusalReason.LLM_REFUSED, why or Message("unsupported.not_metric_question")
        )
    if d.status == "clarify":
        options = list(d.options) or [metric_option(ctx.catalog.metrics[m]) for m in d.metrics]
        raise AmbiguousQuestionError(
            Message("clarify.which_did_you_mean", {"options": options}), options=options
        )
    time, notes = draft_time(d, question, ctx)
    return QueryPlan(
        metrics=tuple(dict.fromkeys(d.metrics)),
        dimensions=tuple(dict.fromkeys(d.dimensions)),
        filters=tuple(
            Filter(dimension=f.dimension, op=FilterOp(f.op), values=tuple(f.values))
            for f in d.filters
            if f.values
        ),
        time=time,
        time_dimension=getattr(d, "time_dimension", None),
        comparison=Comparison(d.comparison),
        baseline_time=draft_baseline(d),
        order=tuple(draft_order(o.by, o.direction) for o in d.order),
        having=tuple(draft_threshold(t.by, t.op, t.number) for t in d.having),
        limit=d.limit if d.limit and d.limit > 0 else None,
        intent=Intent(d.intent),
        attributes=draft_attributes(d),
        **note_fields(draft_notes(d) + notes),
        confidence=0.8,
        evidence=tuple(Evidence(text=question, entry=m, kind="metric") for m in d.metrics),
    )


class LLMPlanner:
    """Plans with an OpenAI-compatible chat model (langchain-openai), falling back to ``fallback``."""

    def __init__(
        self,
        *,
        base_url: str | None,
        model: str,
        api_key: str,
        timeout_s: float,
        fallback: Planner | None = None,
    ) -> None:
        self.base_url, self.model, self.api_key, self.timeout_s = base_url, model, api_key, timeout_s
        self.fallback = fallback or RulePlanner()
        self._chat: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, fallback: Planner | None = None) -> LLMPlanner:
        return cls(
            base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s, fallback=fallback,
        )  # fmt: skip

    def chat(self) -> Any:
        if self._chat is None:
            from langchain_openai import ChatOpenAI

            self._chat = ChatOpenAI(
                base_url=self.base_url, api_key=self.api_key, model=self.model,  # type: ignore[arg-type]
                timeout=self.timeout_s, max_retries=0, temperature=0,
            )  # fmt: skip
        return self._chat

    def messages(self, question: str, ctx: PlanningContext, metric_ids: list[str]) -> list[tuple[str, str]]:
        previous = ctx.previous.model_dump_json(exclude={"evidence", "notes"}) if ctx.previous else "(none)"
        system = load_prompt("plan_system").render(
            tool_name=TOOL_NAME, as_of=ctx.as_of.isoformat(), metrics=describe_metrics(ctx, metric_ids),
            dimensions=describe_dimensions(ctx), previous=previous,
        )  # fmt: skip
        return [("system", system), ("human", load_prompt("plan_user").render(question=question))]

    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan:
        try:
            return self.plan_with_llm(question, ctx)
        except LLMError as exc:
            log.warning("LLM planner failed after %s attempt(s): %s", exc.n_attempts, exc.detail)
            plan = self.fallback.plan(question, ctx)
            detail = Evidence(
                text=f"LLMError after {exc.n_attempts} attempt(s): {exc.detail}"[:300],
                entry=(exc.last_completion or "")[:300],
                kind="llm_error",
            )
            notes = [*plan_notes(plan), FALLBACK_NOTE]
            return plan.model_copy(update={**note_fields(notes), "evidence": plan.evidence + (detail,)})

    def plan_with_llm(self, question: str, ctx: PlanningContext) -> QueryPlan:
        """Ask, validate, re-ask once with the error; raises ``LLMError`` when no usable plan comes back."""
        if not self.base_url:
            raise LLMError("no LLM endpoint configured (llm_base_url)", n_attempts=0, last_completion=None)
        metric_ids, dim_ids = allowed_ids(ctx)
        runnable = self.chat().with_structured_output(
            plan_schema(metric_ids, dim_ids, list(ctx.catalog.time_dimensions), attribute_ids(ctx.catalog)),
            method="function_calling",
            include_raw=True,
        )
        messages: list[tuple[str, str]] = self.messages(question, ctx, metric_ids)
        completion: str | None = None
        error = ""
        for attempt in (1, 2):
            try:
                result = runnable.invoke(messages)
            except Exception as exc:  # provider / network / timeout errors, wrapped at the stage boundary
                raise LLMError(
                    f"{type(exc).__name__}: {exc}", n_attempts=attempt, last_completion=completion
                ) from exc
            completion = _raw_text(result.get("raw"))
            draft, error = _validated(result, ctx)
            if draft is not None:
                return draft_to_plan(draft, question, ctx)
            repair = load_prompt("repair").render(completion=completion, error=error, tool_name=TOOL_NAME)
            messages = messages[:2] + [("human", repair)]
        raise LLMError(f"invalid plan after 2 attempts: {error}", n_attempts=2, last_completion=completion)


def _validated(result: dict[str, Any], ctx: PlanningContext) -> tuple[BaseModel | None, str]:
    error = result.get("parsing_error")
    draft = result.get("parsed")
    if error is not None or draft is None:
        text = str(error) if error is not None else "no plan was returned; call the function"
        return None, text
    problems = check_draft(draft, ctx)
    return (None, "; ".join(problems)) if problems else (draft, "")


def _raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    calls = getattr(raw, "tool_calls", None)
    if calls:
        return json.dumps([c.get("args") for c in calls], ensure_ascii=False, default=str)
    return str(getattr(raw, "content", ""))


class HybridPlanner:
    """Rules first; the LLM when the rules are unsure (confidence below ``threshold``) or could not
    plan a question that retrieval matched to some metric."""

    def __init__(self, rules: Planner, llm: Planner, threshold: float = 0.6) -> None:
        self.rules, self.llm, self.threshold = rules, llm, threshold

    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan:
        try:
            plan = self.rules.plan(question, ctx)
        except (UnsupportedQuestionError, AmbiguousQuestionError) as exc:
            if exc.reason in HARD_REFUSALS or not candidate_scores(ctx):
                raise
            return self.llm.plan(question, ctx)
        return plan if plan.confidence >= self.threshold else self.llm.plan(question, ctx)


__all__ = ["HybridPlanner", "LLMPlanner", "ValidationError", "detect_language", "plan_schema"]

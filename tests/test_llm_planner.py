"""LLM planner against a local fake OpenAI server: good plan, repair, governance, timeout, hybrid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI
from planner_table import demo_members

from metricqa.assistant.semantic.columns import ValueKind, derived_name
from metricqa.assistant.semantic.governance import check_plan
from metricqa.assistant.semantic.plan import (
    Comparison,
    FilterOp,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
)
from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.llm_planner import FALLBACK_NOTE, HybridPlanner, LLMPlanner, plan_schema
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.catalog.loader import load_catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import RefusalReason, UnsupportedQuestionError, UserFacingError
from metricqa.core.messages import render
from metricqa.prompts import PromptTemplate, load_prompt

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"
FALLBACK_EN, FALLBACK_ZH = "LLM planner unavailable; used rules", "语言模型规划不可用,已使用规则规划"


def test_fallback_note_reads_the_same_in_both_languages() -> None:
    assert (render(FALLBACK_NOTE, "en"), render(FALLBACK_NOTE, "zh")) == (FALLBACK_EN, FALLBACK_ZH)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ctx() -> PlanningContext:
    return PlanningContext(catalog=load_catalog(DEMO), members=demo_members(), as_of=date(2026, 11, 20))


def make_llm(fake: FakeOpenAI, timeout_s: float = 5.0) -> LLMPlanner:
    fake.replies.clear()
    fake.requests.clear()
    return LLMPlanner(
        base_url=fake.base_url,
        model="fake-model",
        api_key="test",
        timeout_s=timeout_s,
        fallback=RulePlanner(),
    )


GOOD = {
    "metrics": ["revenue"], "dimensions": ["region"], "filters": [{"dimension": "channel", "values": ["ONLINE"]}],
    "start": "2026-10-01", "end": "2026-10-31", "grain": "none", "comparison": "previous_period",
    "intent": "breakdown", "assumptions": ["'sales' read as Revenue"], "assumptions_zh": ["“sales”理解为销售额"],
}  # fmt: skip


def test_good_plan(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call(GOOD)
    plan = llm.plan("online sales by region last month vs the month before", ctx)
    assert plan.metrics == ("revenue",) and plan.dimensions == ("region",)
    assert plan.filters[0].values == ("ONLINE",) and plan.comparison is Comparison.PREVIOUS_PERIOD
    assert (plan.time.start, plan.time.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert plan.intent is Intent.BREAKDOWN and FALLBACK_EN not in plan.assumptions
    assert len(fake.requests) == 1
    request = fake.requests[0]
    system = request["messages"][0]["content"]
    assert "never write SQL" in system or "never\nwrite SQL" in system or "never write" in system
    assert "2026-11-20" in system and "EAST=East/华东" in system
    schema = request["tools"][0]["function"]["parameters"]
    assert "revenue" in str(schema) and request["tool_choice"]["function"]["name"] == "QueryPlanDraft"


def test_unknown_metric_is_repaired_on_the_second_reply(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call({**GOOD, "metrics": ["total_sales"]})
    fake.enqueue_tool_call(GOOD)
    plan = llm.plan("online sales by region last month", ctx)
    assert plan.metrics == ("revenue",) and FALLBACK_EN not in plan.assumptions
    assert len(fake.requests) == 2
    repair = fake.requests[1]["messages"][-1]["content"]
    assert "total_sales" in repair and "could not be used" in repair


def test_unknown_member_is_repaired_then_falls_back(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    bad = {**GOOD, "filters": [{"dimension": "region", "values": ["ATLANTIS"]}]}
    fake.enqueue_tool_call(bad)
    fake.enqueue_tool_call(bad)
    plan = llm.plan("revenue by region last month", ctx)
    assert len(fake.requests) == 2 and "ATLANTIS" in fake.requests[1]["messages"][-1]["content"]
    assert (
        FALLBACK_EN in plan.assumptions and FALLBACK_ZH in plan.assumptions_zh and FALLBACK_NOTE in plan.notes
    )
    error = [e for e in plan.evidence if e.kind == "llm_error"][0]
    assert "2 attempt" in error.text and "ATLANTIS" in error.entry
    assert plan.metrics == ("revenue",) and plan.dimensions == ("region",)  # the rules' plan


def test_draft_metric_plan_comes_back_and_governance_refuses_it(
    fake: FakeOpenAI, ctx: PlanningContext
) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call({"metrics": ["nps"], "start": "2026-10-01", "end": "2026-10-31"})
    plan = llm.plan("customer satisfaction last month", ctx)
    assert plan.metrics == ("nps",)
    members = {dim: {m.key for m in ms} for dim, ms in ctx.members.items()}
    with pytest.raises(UserFacingError) as info:
        check_plan(plan, ctx.catalog, Asker(role="exec"), members)
    assert info.value.status == "refused"


def test_timeout_falls_back_to_rules(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake, timeout_s=0.3)
    fake.enqueue_sleep(1.0)
    plan = llm.plan("上月各区域销售额", ctx)
    assert plan.metrics == ("revenue",) and plan.dimensions == ("region",)
    assert FALLBACK_EN in plan.assumptions
    assert any(e.kind == "llm_error" and "Timeout" in e.text for e in plan.evidence)


def test_unreachable_or_unconfigured_endpoint_falls_back(ctx: PlanningContext) -> None:
    plan = LLMPlanner(base_url=None, model="m", api_key="k", timeout_s=1).plan("revenue last month", ctx)
    assert plan.metrics == ("revenue",) and FALLBACK_EN in plan.assumptions


def test_llm_refusal_is_unsupported(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call({"status": "refuse", "reason": "Not a metric question."})
    with pytest.raises(UnsupportedQuestionError) as info:
        llm.plan("write me a poem", ctx)
    assert info.value.reason is RefusalReason.LLM_REFUSED
    assert info.value.message_for("en").startswith("Not a metric question. I can answer questions")
    assert info.value.message_for("zh").startswith("Not a metric question. 我可以回答指标目录中的指标问题")


def test_schema_restricts_ids() -> None:
    schema = plan_schema(["revenue", "orders"], ["region"])
    assert schema.model_validate({"metrics": ["revenue"]})
    with pytest.raises(ValueError):
        schema.model_validate({"metrics": ["profit"]})
    with pytest.raises(ValueError):
        schema.model_validate({"metrics": ["revenue"], "dimensions": ["planet"]})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan:
        self.calls.append(question)
        return RulePlanner().plan("order count last month", ctx)


class Entry:
    def __init__(self, kind: str, entry_id: str, similarity: float) -> None:
        self.kind, self.entry_id, self.score, self.metadata = (
            kind,
            entry_id,
            similarity,
            {"similarity": similarity},
        )


def test_hybrid_uses_llm_only_when_rules_are_unsure(ctx: PlanningContext) -> None:
    from dataclasses import replace

    llm = Recorder()
    hybrid = HybridPlanner(RulePlanner(), llm, threshold=0.6)
    assert hybrid.plan("revenue last month", ctx).metrics == ("revenue",) and llm.calls == []
    with pytest.raises(UnsupportedQuestionError):  # nothing retrieved: the rules' refusal stands
        hybrid.plan("how many deals did we close successfully", ctx)
    with_hits: Any = replace(ctx, candidates=[Entry("example", "win_rate", 0.3)])
    assert hybrid.plan("how many deals did we close successfully", with_hits).metrics == ("order_count",)
    assert llm.calls == ["how many deals did we close successfully"]
    with pytest.raises(UnsupportedQuestionError):  # SQL is never handed to the LLM
        hybrid.plan("SELECT * FROM fact_order", with_hits)


def test_prompt_templates() -> None:
    for name in ("plan_system", "plan_user", "repair"):
        assert load_prompt(name).variables
    template = PromptTemplate(name="t", text="Q: $question {json: 1}")
    assert template.render(question="x") == "Q: x {json: 1}"
    with pytest.raises(ValueError):
        template.render()
    with pytest.raises(ValueError):
        PromptTemplate(name="t", text="x", extra=1)  # type: ignore[call-arg]


def test_schema_enums_are_the_plans_enums() -> None:
    schema = plan_schema(["revenue", "orders"], ["region"])
    json_schema = schema.model_json_schema()
    props, defs = json_schema["properties"], json_schema["$defs"]
    assert props["grain"]["enum"] == [g.value for g in Grain]
    assert props["comparison"]["enum"] == [c.value for c in Comparison]
    assert props["intent"]["enum"] == [i.value for i in Intent]
    assert defs["DraftFilter"]["properties"]["op"]["enum"] == [op.value for op in FilterOp]
    assert defs["DraftOrder"]["properties"]["by"]["enum"] == [
        derived_name(m, kind) for m in ("revenue", "orders") for kind in ValueKind
    ]
    assert defs["DraftOrder"]["properties"]["direction"]["enum"] == ["asc", "desc"]
    assert schema.model_validate({"metrics": ["revenue"], "order": [{"by": "revenue__attainment"}]})
    for bad in ("profit__delta", "revenue__median"):
        with pytest.raises(ValueError):
            schema.model_validate({"metrics": ["revenue"], "order": [{"by": bad}]})


def test_draft_orders_and_filter_ops_become_typed(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call(
        {
            **GOOD,
            "filters": [{"dimension": "channel", "op": "not_in", "values": ["ONLINE"]}],
            "order": [{"by": "revenue__delta", "direction": "asc"}],
            "limit": 1,
        }
    )
    plan = llm.plan("which region fell most vs last month, excluding online", ctx)
    assert plan.filters[0].op is FilterOp.NOT_IN
    assert plan.order == (OrderBy(metric="revenue", value=ValueKind.DELTA, direction="asc"),)
    assert plan.order[0].by == "revenue__delta"


def test_schema_expresses_two_periods_thresholds_and_shares() -> None:
    schema = plan_schema(["revenue", "orders"], ["region"])
    json_schema = schema.model_json_schema()
    props, defs = json_schema["properties"], json_schema["$defs"]
    assert {"baseline_start", "baseline_end", "having"} <= set(props)
    assert "other_period" in props["comparison"]["enum"] and "share" in props["intent"]["enum"]
    threshold = defs["DraftThreshold"]["properties"]
    assert threshold["op"]["enum"] == [op.value for op in ThresholdOp]
    assert threshold["by"]["enum"] == defs["DraftOrder"]["properties"]["by"]["enum"]  # the same ids only
    assert "revenue__share" in threshold["by"]["enum"]
    with pytest.raises(ValueError):
        schema.model_validate({"metrics": ["revenue"], "having": [{"by": "profit", "op": "gt", "number": 1}]})


def test_draft_two_periods_threshold_and_share_become_typed(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call(
        {
            **GOOD,
            "filters": [],
            "comparison": "other_period",
            "baseline_start": "2026-06-01",
            "baseline_end": "2026-06-30",
            "having": [{"by": "revenue__delta", "op": "lt", "number": 0}],
        }
    )
    plan = llm.plan("regions whose revenue fell in October vs June", ctx)
    assert plan.comparison is Comparison.OTHER_PERIOD and plan.baseline_time is not None
    assert (plan.baseline_time.start, plan.baseline_time.end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert plan.having == (Threshold(metric="revenue", value=ValueKind.DELTA, op=ThresholdOp.LT, number=0),)
    fake.enqueue_tool_call({**GOOD, "filters": [], "comparison": "none", "intent": "share"})
    assert llm.plan("share of revenue by region last month", ctx).intent is Intent.SHARE


def test_other_period_without_its_dates_is_repaired(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    fake.enqueue_tool_call({**GOOD, "comparison": "other_period"})
    fake.enqueue_tool_call({**GOOD, "comparison": "other_period", "baseline_start": "2026-06-01",
                            "baseline_end": "2026-06-30"})  # fmt: skip
    plan = llm.plan("online sales by region, October vs June", ctx)
    assert len(fake.requests) == 2 and "baseline_start" in fake.requests[1]["messages"][-1]["content"]
    assert plan.baseline_time is not None and plan.baseline_time.start == date(2026, 6, 1)


def test_schema_offers_the_catalogs_time_dimensions() -> None:
    schema = plan_schema(["revenue"], ["region"], ["closed"])
    assert schema.model_validate({"metrics": ["revenue"], "time_dimension": "closed"})
    with pytest.raises(ValueError):
        schema.model_validate({"metrics": ["revenue"], "time_dimension": "shipped"})
    plain = plan_schema(["revenue"], ["region"])  # a catalog without time dimensions: none can be named
    assert plain.model_validate({"metrics": ["revenue"]}).time_dimension is None  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        plain.model_validate({"metrics": ["revenue"], "time_dimension": "closed"})


def test_a_list_plan_carries_the_attributes_asked(fake: FakeOpenAI, ctx: PlanningContext) -> None:
    llm = make_llm(fake)
    lister = {**GOOD, "dimensions": ["product"], "filters": [], "comparison": "none", "intent": "list"}
    fake.enqueue_tool_call({**lister, "attributes": ["product:line"]})
    plan = llm.plan("list the products with their line and revenue last month", ctx)
    assert plan.intent is Intent.LIST and [(a.dimension, a.attribute) for a in plan.attributes] == [
        ("product", "line")
    ]
    offered = fake.requests[0]["tools"][0]["function"]["parameters"]
    assert "product:line" in str(offered) and "rep:hire_date" in str(offered)
    # an attribute of a dimension the plan does not list is sent back once with the problem
    fake.enqueue_tool_call({**lister, "dimensions": ["region"], "attributes": ["product:line"]})
    fake.enqueue_tool_call({**lister, "attributes": ["product:line"]})
    plan = llm.plan("list the products with their line", ctx)
    assert "attribute `product:line`" in fake.requests[-1]["messages"][-1]["content"]
    assert plan.dimensions == ("product",)

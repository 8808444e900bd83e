"""Rule planner: the question table (planner_cases.yaml), a second catalog, refusals and follow-ups."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from planner_table import demo_members, load_cases, mismatches, run_case

from metricqa.assistant.semantic.plan import Comparison, Intent
from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.planner import RulePlanner, plan_question
from metricqa.assistant.understanding.planners import make_planner
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Synonyms
from metricqa.core.errors import AmbiguousQuestionError, RefusalReason, UnsupportedQuestionError
from metricqa.core.language import detect_language, normalize
from metricqa.core.settings import Settings

AS_OF, CASES = load_cases()
DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"


@pytest.fixture(scope="session")
def demo_ctx() -> PlanningContext:
    return PlanningContext(catalog=load_catalog(DEMO), members=demo_members(), as_of=AS_OF)


@pytest.fixture(scope="session")
def planner() -> RulePlanner:
    return RulePlanner()


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:40] for c in CASES])
def test_question_table(planner: RulePlanner, demo_ctx: PlanningContext, case: dict[str, Any]) -> None:
    assert mismatches(run_case(planner, demo_ctx, case), case) == []


def test_table_is_big_and_bilingual() -> None:
    zh = [c for c in CASES if detect_language(c["q"]) == "zh"]
    assert len(CASES) >= 160
    assert len(zh) / len(CASES) >= 0.42


def test_language_and_normalisation() -> None:
    assert detect_language("上月销售额环比") == "zh"
    assert detect_language("revenue by region") == "en"
    assert detect_language("本月GMV是多少") == "zh"
    assert normalize("Ｒｅｖｅｎｕｅ，ＢＹ  region！") == "revenue by region"


def test_plan_carries_evidence_confidence_and_both_languages(
    planner: RulePlanner, demo_ctx: PlanningContext
) -> None:
    plan = planner.plan("what was sales by regoin", demo_ctx)
    kinds = {(e.kind, e.entry) for e in plan.evidence}
    assert ("metric", "revenue") in kinds and ("dimension", "region") in kinds
    assert plan.confidence < 0.9  # a typo and a guessed period cost confidence
    assert len(plan.assumptions) == len(plan.assumptions_zh) == 2
    assert "“sales”理解为销售额" in plan.assumptions_zh
    assert plan.time.label == "November 2026 so far (to Nov 20)"
    assert plan.time.label_zh == "2026年11月(截至11月20日)"
    assert plan.model_validate_json(plan.model_dump_json()) == plan


def test_refusal_says_what_can_be_asked(planner: RulePlanner, demo_ctx: PlanningContext) -> None:
    with pytest.raises(UnsupportedQuestionError) as info:
        planner.plan("what's the weather in Paris", demo_ctx)
    examples = [q for m in demo_ctx.catalog.approved_metrics() for q in m.examples.all()]
    assert any(q in info.value.message_for("en") for q in examples)
    assert any(q in info.value.message_for("zh") for q in examples)
    assert info.value.status == "refused"


def test_over_long_question_is_refused(demo_ctx: PlanningContext) -> None:
    with pytest.raises(UnsupportedQuestionError) as info:
        RulePlanner(max_chars=50).plan("revenue " * 20, demo_ctx)
    assert info.value.reason is RefusalReason.TOO_LONG


def test_clarify_offers_key_metrics(planner: RulePlanner, demo_ctx: PlanningContext) -> None:
    with pytest.raises(AmbiguousQuestionError) as info:
        planner.plan("how are we doing?", demo_ctx)
    assert "Revenue (销售额)" in info.value.options
    assert info.value.status == "clarify"


def test_draft_and_deprecated_metrics_are_plannable(planner: RulePlanner, demo_ctx: PlanningContext) -> None:
    assert planner.plan("NPS by region", demo_ctx).metrics == ("nps",)
    assert planner.plan("含税销售额", demo_ctx).metrics == ("gross_sales_legacy",)


@dataclass(frozen=True)
class FakeEntry:
    id: str
    kind: str
    entry_id: str
    score: float
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def test_two_metrics_sharing_a_word_clarify_unless_retrieval_breaks_the_tie(
    demo_ctx: PlanningContext,
) -> None:
    metrics = dict(demo_ctx.catalog.metrics)
    for mid in ("revenue", "payment_amount"):
        m = metrics[mid]
        metrics[mid] = m.model_copy(
            update={"synonyms": Synonyms(en=[*m.synonyms.en, "takings"], zh=m.synonyms.zh)}
        )
    ctx = replace(demo_ctx, catalog=demo_ctx.catalog.model_copy(update={"metrics": metrics}))
    with pytest.raises(AmbiguousQuestionError) as info:
        RulePlanner().plan("takings last month", ctx)
    assert info.value.options == ["Revenue (销售额)", "Payments received (回款额)"]
    hits = [FakeEntry("m1", "metric", "payment_amount", 0.9, metadata={"similarity": 0.7}),
            FakeEntry("m2", "metric", "revenue", 0.5, metadata={"similarity": 0.4})]  # fmt: skip
    plan = RulePlanner().plan("takings last month", replace(ctx, candidates=hits))
    assert plan.metrics == ("payment_amount",)


def test_retrieval_candidates_catch_paraphrases(planner: RulePlanner, demo_ctx: PlanningContext) -> None:
    with pytest.raises(UnsupportedQuestionError):
        planner.plan("how many deals did we close successfully", demo_ctx)
    hits = [FakeEntry("e1", "example", "win_rate", 0.08, metadata={"similarity": 0.62})]
    # words no catalog term explains are named, with the nearest metric as an option: never a silent guess
    with pytest.raises(AmbiguousQuestionError) as info:
        planner.plan("how many deals did we close successfully", replace(demo_ctx, candidates=hits))
    assert info.value.options == ["Win rate (赢单率)"]
    assert "deals" in info.value.message_for("en") and "deals" in info.value.message_for("zh")


def test_full_new_question_ignores_previous(planner: RulePlanner, demo_ctx: PlanningContext) -> None:
    previous = planner.plan("revenue by region last month", demo_ctx)
    plan = planner.plan("win rate this year", replace(demo_ctx, previous=previous))
    assert plan.metrics == ("win_rate",) and plan.dimensions == () and plan.time.start == date(2026, 1, 1)


def test_followup_on_lagged_plan_swaps_the_ordered_metric(
    planner: RulePlanner, demo_ctx: PlanningContext
) -> None:
    previous = planner.plan("which region lagged this month", demo_ctx)
    plan = planner.plan("那上个月呢?", replace(demo_ctx, previous=previous))
    assert plan.intent is Intent.LAGGED and plan.order == previous.order
    assert plan.time.start == date(2026, 10, 1)


def test_make_planner_and_plan_question(demo_ctx: PlanningContext) -> None:
    rules = make_planner("rules", Settings(max_question_chars=30))
    assert isinstance(rules, RulePlanner) and rules.max_chars == 30
    assert plan_question("  revenue last month  ", demo_ctx).metrics == ("revenue",)
    with pytest.raises(ValueError):
        make_planner("magic", Settings())


# ---- a second catalog of another domain: nothing in the planner is demo-specific -------------

SUB_CASES = [
    ("MRR last month", {"metrics": ["mrr"], "time": [date(2026, 10, 1), date(2026, 10, 31)]}),
    ("monthly recurring revenue by plan", {"metrics": ["mrr"], "dimensions": ["plan"]}),
    (
        "上月各套餐的月经常性收入",
        {"metrics": ["mrr"], "dimensions": ["plan"], "time": [date(2026, 10, 1), date(2026, 10, 31)]},
    ),
    (
        "churn rate for Pro in Germany",
        {"metrics": ["churn_rate"], "filters": {"plan": ["PRO"], "country": ["DE"]}},
    ),
    (
        "专业版的流失率环比",
        {"metrics": ["churn_rate"], "filters": {"plan": ["PRO"]}, "comparison": "previous_period"},
    ),
    ("活跃订阅数趋势", {"metrics": ["active_subscribers"], "grain": "month", "intent": "trend"}),
    ("subscribers by country this year", {"metrics": ["active_subscribers"], "dimensions": ["country"]}),
    (
        "which plan has the highest churn",
        {"metrics": ["churn_rate"], "dimensions": ["plan"], "order": ["churn_rate desc"]},
    ),
    (
        "which plan lagged this month",
        {"metrics": ["mrr"], "comparison": "target", "order": ["mrr__ratio asc"], "intent": "lagged"},
    ),
    (
        "哪个国家流失率拖后腿",
        {"metrics": ["churn_rate"], "order": ["churn_rate desc"], "intent": "lagged"},
    ),
    ("MRR vs target by plan", {"metrics": ["mrr"], "comparison": "target", "dimensions": ["plan"]}),
    ("churn rate by plan", {"metrics": ["churn_rate"], "dimensions": ["plan"]}),
    ("revenue by region", {"status": "refused"}),  # the demo's words mean nothing here
    ("华东销售额", {"status": "refused"}),
]


@pytest.mark.parametrize(("question", "expected"), SUB_CASES, ids=[q for q, _ in SUB_CASES])
def test_second_catalog(
    planner: RulePlanner, sub_ctx: PlanningContext, question: str, expected: dict[str, Any]
) -> None:
    assert (
        mismatches(run_case(planner, sub_ctx, {"q": question, **expected}), {"q": question, **expected}) == []
    )


def test_second_catalog_followup(planner: RulePlanner, sub_ctx: PlanningContext) -> None:
    previous = planner.plan("MRR by country last month", sub_ctx)
    plan = planner.plan("那企业版呢?", replace(sub_ctx, previous=previous))
    assert plan.metrics == ("mrr",) and plan.filters[0].values == ("ENT",)
    assert plan.comparison is Comparison.NONE

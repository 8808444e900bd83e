"""The question table (tests/planner_cases.yaml) and demo members, shared by tests and benchmarks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from metricqa.assistant.semantic.plan import FilterOp, QueryPlan
from metricqa.assistant.understanding.context import Planner, PlanningContext
from metricqa.core.errors import UserFacingError
from metricqa.retrieval.members import Member

CASES_PATH = Path(__file__).with_name("planner_cases.yaml")


def demo_members() -> dict[str, list[Member]]:
    regions = [("EAST", "East", "华东"), ("NORTH", "North", "华北"), ("SOUTH", "South", "华南"),
               ("WEST", "West", "西部"), ("CENTRAL", "Central", "华中")]  # fmt: skip
    lines = [("Hardware", "Hardware", "硬件"), ("Software", "Software", "软件"), ("Services", "Services", "服务"),
             ("Accessories", "Accessories", "配件")]  # fmt: skip
    channels = [("ONLINE", "Online", "线上"), ("DIRECT", "Direct Sales", "直销"),
                ("DISTRIBUTOR", "Distributor", "经销商"), ("RETAIL", "Retail Store", "零售门店")]  # fmt: skip
    segments = [
        ("Enterprise", "Enterprise", "大客户"),
        ("SMB", "SMB", "中小企业"),
        ("Consumer", "Consumer", "个人消费者"),
    ]
    table = {"region": regions, "product_line": lines, "channel": channels, "segment": segments}
    return {dim: [Member(*row) for row in rows] for dim, rows in table.items()}


def load_cases() -> tuple[date, list[dict[str, Any]]]:
    raw = yaml.safe_load(CASES_PATH.read_text(encoding="utf-8"))
    return raw["as_of"], raw["cases"]


def run_case(planner: Planner, ctx: PlanningContext, case: dict[str, Any]) -> QueryPlan | UserFacingError:
    if case.get("previous"):
        ctx = replace(ctx, previous=planner.plan(case["previous"], ctx))
    try:
        return planner.plan(case["q"], ctx)
    except UserFacingError as exc:
        return exc


def mismatches(result: QueryPlan | UserFacingError, case: dict[str, Any]) -> list[str]:
    """Every expected field that the result gets wrong (empty: the case passes)."""
    if isinstance(result, UserFacingError):
        got = result.status
        return (
            []
            if case.get("status") == got
            else [
                f"status: expected {case.get('status', 'answered')}, got {got} ({result.message_for('en')})"
            ]
        )
    if "status" in case:
        return [f"status: expected {case['status']}, got answered {result.metrics}"]
    plan, out = result, []
    actual: dict[str, Any] = {
        "metrics": list(plan.metrics),
        "dimensions": list(plan.dimensions),
        "filters": {f.dimension: list(f.values) for f in plan.filters if f.op is not FilterOp.NOT_IN},
        "excluded": {f.dimension: list(f.values) for f in plan.filters if f.op is FilterOp.NOT_IN},
        "time": [plan.time.start, plan.time.end],
        "grain": plan.time.grain.value,
        "partial": plan.time.partial,
        "comparison": plan.comparison.value,
        "order": [f"{o.by} {o.direction}" for o in plan.order],
        "limit": plan.limit,
        "intent": plan.intent.value,
        "baseline": [plan.baseline_time.start, plan.baseline_time.end] if plan.baseline_time else None,
        "having": [f"{h.metric} {h.value.value} {h.op.value} {h.number:g}" for h in plan.having],
    }
    for key, got in actual.items():
        if key in case and case[key] != got:
            out.append(f"{key}: expected {case[key]!r}, got {got!r}")
    if "assumption" in case and not any(case["assumption"] in a for a in plan.assumptions):
        out.append(f"assumption {case['assumption']!r} not in {plan.assumptions}")
    return out


# ---- a second catalog of another domain: nothing in the planner is demo-specific -------------

# the subscription warehouse's plans, and the start of its daily fact table (each test writes the rest)
PLAN_TABLE_SQL = """
CREATE TABLE dim_plan AS SELECT * FROM (VALUES ('BASIC', 'Basic', '基础版'), ('PRO', 'Pro', '专业版'),
    ('ENT', 'Enterprise', '企业版')) AS t(plan_id, plan_name, plan_name_zh);
"""
SUBSCRIPTION_FACT_START = """
CREATE TABLE fact_subscription AS
SELECT row_number() OVER () AS sub_id, d.day::DATE AS day, p.plan_id, c.country,
       (CASE p.plan_id WHEN 'BASIC' THEN 10 WHEN 'PRO' THEN 30 ELSE 90 END)
"""

SUBSCRIPTION_CATALOG = """
models:
  - {id: subs, table: fact_subscription, alias: s, time: s.day, dimensions: {plan: s.plan_id, country: s.country}}
measures:
  - {id: mrr_amount, model: subs, agg: sum, expr: s.mrr}
  - {id: churned, model: subs, agg: count_distinct, expr: s.sub_id, where: "s.churned"}
  - {id: active, model: subs, agg: count_distinct, expr: s.sub_id, where: "s.active"}
  - {id: mrr_goal, model: subs, agg: sum, expr: s.mrr_goal}
metrics:
  - id: mrr
    type: simple
    measure: mrr_amount
    name: {en: MRR, zh: 月经常性收入}
    synonyms: {en: [monthly recurring revenue, recurring revenue], zh: [月度经常性收入, 订阅收入]}
    description: {en: Monthly recurring revenue., zh: 月经常性收入。}
    definition: {en: Sum of MRR., zh: MRR 之和。}
    owner: Finance
    department: Finance
    target: {metric: mrr_target}
    examples: {en: [what is MRR this month], zh: [本月月经常性收入是多少]}
  - id: mrr_target
    type: simple
    measure: mrr_goal
    name: {en: MRR target, zh: MRR目标}
    description: {en: Goal., zh: 目标。}
    definition: {en: Goal., zh: 目标。}
    owner: Finance
    department: Finance
  - id: churn_rate
    type: ratio
    numerator: churned
    denominator: active
    name: {en: Churn rate, zh: 流失率}
    synonyms: {en: [churn, attrition], zh: [流失, 退订率]}
    description: {en: Share of subscribers who churned., zh: 流失的订阅占比。}
    definition: {en: Churned ÷ active., zh: 流失数 ÷ 活跃数。}
    unit: ratio
    direction: lower_is_better
    owner: Growth
    department: Growth
    examples: {en: [churn rate by plan], zh: [各套餐流失率]}
  - id: active_subscribers
    type: simple
    measure: active
    name: {en: Active subscribers, zh: 活跃订阅数}
    synonyms: {en: [subscribers, active subs], zh: [活跃用户数, 订阅用户]}
    description: {en: Active subscriptions., zh: 活跃订阅。}
    definition: {en: Count of active subscriptions., zh: 活跃订阅计数。}
    unit: count
    owner: Growth
    department: Growth
dimensions:
  - {id: plan, name: {en: Plan, zh: 套餐}, synonyms: {en: [plans, tier], zh: [订阅套餐]}, table: dim_plan, key: plan_id,
     join_key: plan_id, label: {en: plan_name, zh: plan_name_zh}}
  - {id: country, name: {en: Country, zh: 国家}, synonyms: {en: [countries, market], zh: [市场]}, table: fact_subscription,
     key: country, label: {en: country, zh: country}}
roles:
  - {id: exec, metrics: "*"}
"""


def subscription_members() -> dict[str, list[Member]]:
    return {
        "plan": [
            Member("BASIC", "Basic", "基础版"),
            Member("PRO", "Pro", "专业版"),
            Member("ENT", "Enterprise", "企业版"),
        ],
        "country": [Member("DE", "Germany", "德国"), Member("JP", "Japan", "日本")],
    }

"""The question table (tests/planner_cases.yaml) and demo members, shared by tests and benchmarks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from metricqa.assistant.semantic.plan import QueryPlan
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
        "filters": {f.dimension: list(f.values) for f in plan.filters},
        "time": [plan.time.start, plan.time.end],
        "grain": plan.time.grain.value,
        "partial": plan.time.partial,
        "comparison": plan.comparison.value,
        "order": [f"{o.by} {o.direction}" for o in plan.order],
        "limit": plan.limit,
        "intent": plan.intent.value,
    }
    for key, got in actual.items():
        if key in case and case[key] != got:
            out.append(f"{key}: expected {case[key]!r}, got {got!r}")
    if "assumption" in case and not any(case["assumption"] in a for a in plan.assumptions):
        out.append(f"assumption {case['assumption']!r} not in {plan.assumptions}")
    return out

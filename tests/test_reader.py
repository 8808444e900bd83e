"""The reader's question shapes (tests/reader_cases.yaml) on the demo catalog and on a second domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from planner_table import demo_members, mismatches, run_case

from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.catalog.loader import load_catalog
from metricqa.core.errors import UserFacingError

CASES = yaml.safe_load((Path(__file__).with_name("reader_cases.yaml")).read_text(encoding="utf-8"))
AS_OF = CASES["as_of"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def planner() -> RulePlanner:
    return RulePlanner()


@pytest.fixture(scope="module")
def demo_ctx() -> PlanningContext:
    return PlanningContext(
        catalog=load_catalog(ROOT / "catalog" / "demo"), members=demo_members(), as_of=AS_OF
    )


def _check(planner: RulePlanner, ctx: PlanningContext, case: dict[str, Any]) -> list[str]:
    result = run_case(planner, ctx, case)
    out = mismatches(result, case)
    if "names" in case and isinstance(result, UserFacingError):
        text = result.message_for("en") + " " + result.message_for("zh")
        if case["names"] not in text:
            out.append(f"the {result.status} does not name {case['names']!r}: {text}")
    return out


@pytest.mark.parametrize("case", CASES["demo"], ids=[c["q"] for c in CASES["demo"]])
def test_demo_shapes(planner: RulePlanner, demo_ctx: PlanningContext, case: dict[str, Any]) -> None:
    assert _check(planner, demo_ctx, case) == []


@pytest.mark.parametrize("case", CASES["subscription"], ids=[c["q"] for c in CASES["subscription"]])
def test_subscription_shapes(planner: RulePlanner, sub_ctx: PlanningContext, case: dict[str, Any]) -> None:
    assert _check(planner, sub_ctx, case) == []

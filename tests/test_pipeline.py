"""The whole ask pipeline with the real parts: retrieval, rule planner, governance, DuckDB, charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from metricqa.assistant.pipeline import STAGES, Assistant
from metricqa.assistant.semantic.columns import ColumnRole
from metricqa.core.asker import Asker
from metricqa.core.settings import Settings

CONTRACT_FIELDS = {
    "question",
    "language",
    "status",
    "answer",
    "plan",
    "sql",
    "columns",
    "rows",
    "chart",
    "citations",
    "options",
    "reason",
    "data_as_of",
    "timings_ms",
}


@pytest.fixture(scope="module")
def assistant(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    home = tmp_path_factory.mktemp("home")
    return Assistant.from_settings(Settings(home=home, warehouse=demo_warehouse))


def test_stage_order_is_written_once() -> None:
    assert [name for name, _ in STAGES] == ["retrieve", "plan", "validate", "compile", "execute", "chart"]


def test_answer_follows_the_contract(assistant: Assistant) -> None:
    ans = assistant.ask("revenue by region last month", Asker())
    data = ans.to_json_dict()
    assert CONTRACT_FIELDS <= set(data)
    assert ans.status == "answered" and ans.language == "en"
    assert {"region_id", "region", "revenue"} <= set(ans.columns) and len(ans.rows) == 5
    assert ans.chart is not None and Path(ans.chart.path).is_absolute() and Path(ans.chart.path).exists()
    assert ans.citations[0].metric == "revenue" and "fact_order_line.quantity" in ans.citations[0].sources
    assert set(ans.timings_ms) >= {"retrieve", "plan", "compile", "execute", "chart", "total"}
    assert ans.data_as_of == "2026-11-20"


def test_filtered_value_names_its_member_in_the_askers_language(assistant: Assistant) -> None:
    ans = assistant.ask("本月华东的回款率环比怎么样?", Asker())
    assert ans.status == "answered" and ans.language == "zh"
    assert ans.answer.startswith("华东:") and "环比" in ans.answer
    assert ans.plan is not None and ans.plan.filters[0].values == ("EAST",)


def test_follow_up_in_a_session_changes_the_filter(assistant: Assistant) -> None:
    first = assistant.ask("本月华东的回款率", Asker(), session_id="t-1")
    second = assistant.ask("那华北呢?", Asker(), session_id="t-1")
    assert first.plan is not None and second.plan is not None
    assert second.plan.metrics == first.plan.metrics
    assert second.plan.filters[0].values == ("NORTH",)
    assert second.rows != first.rows


def test_lagged_region_is_the_lowest_attainment(assistant: Assistant) -> None:
    ans = assistant.ask("which region lagged this month?", Asker())
    assert ans.status == "answered" and ans.rows[0][0] == "WEST"
    assert ans.answer.startswith("West lagged")


@pytest.mark.parametrize(
    ("question", "asker", "needle"),
    [
        ("nps last month", Asker(), "draft"),
        ("含税销售额是多少", Asker(), "revenue"),
        ("gross margin by region", Asker(role="regional_manager", scope={"region": "EAST"}), "may not see"),
        ("delete last month's orders", Asker(), ""),
    ],
)
def test_governed_refusals(assistant: Assistant, question: str, asker: Asker, needle: str) -> None:
    ans = assistant.ask(question, asker)
    assert ans.status == "refused" and ans.sql is None and ans.rows == []
    assert ans.reason and needle in ans.reason


@pytest.mark.parametrize(
    ("question", "asker", "status", "code"),
    [
        ("nps last month", Asker(), "refused", "not_approved"),
        (
            "gross margin by region",
            Asker(role="regional_manager", scope={"region": "EAST"}),
            "refused",
            "access_denied",
        ),
        ("delete last month's orders", Asker(), "refused", "change_data"),
        ("how are we doing?", Asker(), "clarify", "ambiguous"),
    ],
)
def test_refusals_carry_a_typed_reason_code(
    assistant: Assistant, question: str, asker: Asker, status: str, code: str
) -> None:
    ans = assistant.ask(question, asker)
    assert ans.status == status and ans.reason_code == code
    assert ans.to_json_dict()["reason_code"] == code
    assert assistant.ask("revenue last month", Asker()).reason_code is None


def test_regional_manager_sees_only_their_region(assistant: Assistant) -> None:
    mine = assistant.ask(
        "revenue by region last month", Asker(role="regional_manager", scope={"region": "EAST"})
    )
    everyone = assistant.ask("revenue by region last month", Asker())
    assert [r[0] for r in mine.rows] == ["EAST"]
    east = next(r for r in everyone.rows if r[0] == "EAST")
    assert mine.rows[0][2] == pytest.approx(east[2])


def test_every_request_is_audited(assistant: Assistant) -> None:
    before = len(assistant.audit.tail(10_000))
    assistant.ask("orders yesterday", Asker(user="u7"))
    entries = assistant.audit.tail(10_000)
    assert len(entries) == before + 1 and entries[-1]["user"] == "u7" and entries[-1]["sql"]


def test_answer_fields_are_the_compilers_descriptors(assistant: Assistant) -> None:
    ans = assistant.ask("which region lagged this month?", Asker())
    assert ans.status == "answered" and ans.plan is not None
    assert [f.name for f in ans.fields] == ans.columns
    roles = {f.role for f in ans.fields if f.metric == ans.plan.metrics[0]}
    assert {ColumnRole.VALUE, ColumnRole.TARGET, ColumnRole.DELTA, ColumnRole.RATIO} <= roles
    assert ans.to_json_dict()["fields"][0]["role"] == "dimension"

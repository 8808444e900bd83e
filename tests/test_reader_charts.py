"""The chart a reader wants (issue 12), on a warehouse and catalog that are not the demo
(tests/goal_fixture.py: MRR by plan, a monthly goal, October unlike the other months)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from goal_fixture import EXEC, build
from matplotlib import rc_context

from metricqa.assistant.pipeline import Assistant
from metricqa.charts.fonts import font_rc
from metricqa.charts.render import GREEN, RED, draw
from metricqa.charts.rules import ChartSpec, choose_chart, context_plan


@pytest.fixture(scope="module")
def goals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    assistant = build(tmp_path_factory.mktemp("goals"), "month")
    yield assistant
    assistant.close()


def chart_of(assistant: Assistant, question: str, language: str = "en") -> tuple[Any, ChartSpec]:
    """The answer, and the spec its chart was drawn from (the context plan's rows when there is one)."""
    ans = assistant.ask(question, EXEC)
    assert ans.status == "answered", ans.reason
    plan = context_plan(ans.plan) or ans.plan
    drawn = assistant.run_plan(plan, EXEC, language=language) if plan is not ans.plan else ans
    spec = choose_chart(plan, drawn.fields, drawn.rows, assistant.catalog, language)
    assert spec is not None and ans.chart is not None and Path(ans.chart.path).is_file()
    assert ans.chart.type == spec.type
    return ans, spec


def test_laggard_is_drawn_among_every_member_with_targets(goals: Assistant) -> None:
    ans, spec = chart_of(goals, "which plan lagged this month")
    assert len(ans.rows) == 1  # the answer names the one laggard …
    assert spec.type == "bar" and set(spec.categories) == {"Basic", "Pro", "Enterprise"}  # … the chart all
    assert spec.highlight is not None and spec.categories[spec.highlight] == "Pro"
    assert spec.highlight_kind == "worst"
    assert [v for v in spec.series[0].values] == sorted(spec.series[0].values, reverse=True)  # sorted bars
    assert dict(zip(spec.categories, spec.targets, strict=True)) == {
        "Basic": 280,
        "Pro": 1000,
        "Enterprise": 2400,
    }
    assert spec.paced_targets == pytest.approx(tuple(t * 2 / 3 for t in spec.targets if t is not None))


def test_rank_by_change_is_a_diverging_bar(goals: Assistant) -> None:
    ans, spec = chart_of(goals, "which plan's MRR fell the most vs last month")
    assert ans.answer.startswith("Basic had the largest fall in MRR")
    # Nov 1–20 against Oct 1–20: Basic 200 vs 250, Enterprise 1,800 vs 1,800, Pro 600 vs 480
    assert spec.type == "diverging_bar" and spec.categories == ("Basic", "Enterprise", "Pro")
    assert spec.series[0].values == pytest.approx((-50, 0, 120)) and spec.highlight == 0
    with rc_context(font_rc()):  # type: ignore[arg-type]
        fig = draw(spec, "t", "en")
    colours = [p.get_facecolor()[:3] for p in fig.axes[0].patches]
    assert colours[0] == pytest.approx(_rgb(RED)) and colours[2] == pytest.approx(_rgb(GREEN))
    assert fig.axes[0].patches[0].get_alpha() == 1.0 and fig.axes[0].patches[2].get_alpha() < 1.0


def test_share_bars_state_the_total(goals: Assistant) -> None:
    _, spec = chart_of(goals, "MRR share by plan this month")
    assert spec.type == "bar" and spec.categories[0] == "Enterprise"
    assert "total 2,600" in spec.notes


def test_two_units_by_member_are_two_panels(goals: Assistant) -> None:
    _, spec = chart_of(goals, "MRR and churn rate by plan last month")
    assert spec.type == "panels" and spec.expected_bars == 2 * len(spec.categories)
    with rc_context(font_rc()):  # type: ignore[arg-type]
        fig = draw(spec, "t", "en")
    assert len(fig.axes) == 2 and all(ax.get_xlim()[0] == 0 for ax in fig.axes)  # bars from zero


def test_a_breakdown_is_drawn_from_its_own_rows(goals: Assistant) -> None:
    ans = goals.ask("MRR by plan this month vs target", EXEC)
    assert ans.plan is not None and context_plan(ans.plan) is None


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


# ---- readable tables (Answer.table) ----------------------------------------------------------


def test_table_headers_and_cells_in_the_askers_language(goals: Assistant) -> None:
    en = goals.ask("MRR by plan this month vs target", EXEC)
    assert en.table is not None
    assert en.table.headers == ["Plan", "MRR", "MRR target", "Change", "Attainment"]
    assert en.table.columns == ["plan", "mrr", "mrr__baseline", "mrr__delta", "mrr__ratio"]
    basic = next(r for r in en.table.rows if r[0] == "Basic")
    assert basic == ["Basic", "200", "280", "-80", "71.4%"]
    raw = next(r for r in en.rows if r[en.columns.index("plan_id")] == "BASIC")  # ids and raw values stay
    assert raw[en.columns.index("mrr__ratio")] == pytest.approx(200 / 280)
    zh = goals.ask("本月各套餐月经常性收入环比", EXEC)
    assert zh.table is not None and zh.table.headers[:2] == ["套餐", "月经常性收入"]
    assert zh.table.headers[3:] == ["变化", "变化率"] and "基础版" in [r[0] for r in zh.table.rows]
    assert next(r for r in zh.table.rows if r[0] == "基础版")[3:] == ["-50", "-20.0%"]


def test_series_table_writes_periods_by_grain(goals: Assistant) -> None:
    ans = goals.ask("monthly MRR trend this year", EXEC)
    assert ans.table is not None and ans.table.headers == ["Period", "MRR"]
    assert ans.table.rows[-1][0] == "Nov 2026" and ans.rows[-1][0] == "2026-11-01"


def test_member_labels_from_the_catalog_in_the_askers_language(goals: Assistant) -> None:
    zh = goals.ask("本月各国家月经常性收入", EXEC)
    assert zh.status == "answered", zh.reason
    names = {r[zh.columns.index("country_id")]: r[zh.columns.index("country")] for r in zh.rows}
    assert names == {"DE": "德国"}  # the warehouse has the code only; the id column keeps it
    assert "德国" in zh.answer and zh.table is not None and "德国" in [r[0] for r in zh.table.rows]
    en = goals.ask("MRR by country this month", EXEC)
    assert {r[en.columns.index("country")] for r in en.rows} == {"Germany"}
    plans = goals.ask("MRR by plan this month", EXEC)  # a dimension without member labels is as it was
    assert {r[plans.columns.index("plan")] for r in plans.rows} == {"Basic", "Pro", "Enterprise"}


def test_chinese_options_read_chinese_first() -> None:
    from metricqa.assistant.presentation.narrative import narrate_clarify, option_words

    assert option_words("Revenue (销售额)", "zh") == "销售额(Revenue)"
    assert option_words("Revenue (销售额)", "en") == "Revenue (销售额)"
    assert option_words("MRR by plan (last month)", "zh") == "MRR by plan (last month)"
    text = narrate_clarify(["Plan (套餐)", "Country (国家)"], "zh")
    assert "套餐(Plan)" in text and "国家(Country)" in text and "Plan (套餐)" not in text


def test_many_members_are_the_top_and_others(goals: Assistant) -> None:
    from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn
    from metricqa.assistant.semantic.plan import QueryPlan
    from metricqa.charts.rules import MAX_BARS

    plan = QueryPlan.model_validate(
        {"metrics": ["mrr"], "dimensions": ["plan"], "time": {"start": "2026-10-01", "end": "2026-10-31"}}
    )
    fields = [
        ResultColumn(name="plan_id", role=ColumnRole.DIMENSION, dimension="plan"),
        ResultColumn(name="plan", role=ColumnRole.LABEL, dimension="plan"),
        ResultColumn(name="mrr", role=ColumnRole.VALUE, metric="mrr"),
    ]
    rows = [[f"P{i}", f"Plan {i}", float(100 - i)] for i in range(40)]
    spec = choose_chart(plan, fields, rows, goals.catalog, "en")
    assert spec is not None and len(spec.categories) == MAX_BARS
    assert spec.categories[-1] == "Others (16)" and spec.categories[0] == "Plan 0"
    assert spec.series[0].values[-1] == sum(100 - i for i in range(MAX_BARS - 1, 40))
    assert spec.notes[0] == "top 24 of 40, the others together; every member is in the table"
    zh = choose_chart(plan, fields, rows, goals.catalog, "zh")
    assert zh is not None and zh.categories[-1] == "其他(16个)"

"""Narratives: templates per plan shape (en+zh), number formatting, number checks and the LLM rephrase guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answer_fixtures import NOV, Case, cases, opaque_fields, rows_for
from message_catalogs import catalog_with

from metricqa.assistant.presentation.formatting import (
    format_amount,
    format_points,
    period_label,
    point_label,
    span_words,
)
from metricqa.assistant.presentation.narrative import (
    chart_title,
    check_numbers,
    narrate,
    narrate_clarify,
    narrate_refusal,
    plan_fields,
    rephrase,
)
from metricqa.assistant.presentation.progress import progress_figures
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog, Unit
from metricqa.core.errors import AccessDeniedError, MetricNotApprovedError
from metricqa.core.language import has_cjk
from metricqa.core.messages import Message

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"
CASES = {c[0]: c for c in cases()}


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEMO)


def stated_by_plan(
    plan: QueryPlan, catalog: Catalog | None = None, columns: Any = (), rows: Any = ()
) -> list[str]:
    """Numbers a narrative may state that the question gave, not the rows: its thresholds, and the
    days and paces of a period in progress (from the plan's dates)."""
    figures = progress_figures(plan, catalog, columns, rows) if catalog is not None else []
    return [repr(t.number) for t in plan.having] + [repr(f) for f in figures]


def say(catalog: Catalog, name: str, language: str) -> str:
    case = CASES[name]
    return narrate(case[1], case[2], rows_for(case, language), catalog, language)


# ---- every shape: numbers come from the rows, one to three sentences, the right language ----------


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_template_numbers_all_come_from_rows(catalog: Catalog, case: Case, language: str) -> None:
    rows = rows_for(case, language)
    text = narrate(case[1], case[2], rows, catalog, language)
    assert (
        text
        and check_numbers(text, case[2], rows, references=stated_by_plan(case[1], catalog, case[2], rows))
        == []
    )
    sentences = [s for s in text.replace("。", ".|").replace(". ", ".|").split("|") if s.strip()]
    assert 1 <= len(sentences) <= 3, text
    if language == "zh":
        assert has_cjk(text) and "None" not in text
    else:
        assert not has_cjk(text) and "None" not in text


# ---- what each template says ---------------------------------------------------------------


def test_value_with_previous_period(catalog: Catalog) -> None:
    en, zh = say(catalog, "value_mom", "en"), say(catalog, "value_mom", "zh")
    assert en.startswith("Revenue for November 2026 so far (to Nov 20) was ¥12.35M")
    assert "down 8.2% vs" in en and "(¥13.45M)" in en
    assert (
        zh.startswith("2026年11月(截至11月20日)销售额为¥1,234.6万")
        and "环比下降8.2%" in zh
        and "¥1,345万" in zh
    )


def test_rate_compares_in_points(catalog: Catalog) -> None:
    en, zh = say(catalog, "value_yoy_rate", "en"), say(catalog, "value_yoy_rate", "zh")
    assert "42.3%" in en and "up 1.2 pts" in en and "(41.1%)" in en
    assert "同比上升1.2个百分点" in zh


def test_value_against_target(catalog: Catalog) -> None:
    assert "63.4% of its ¥19.5M target" in say(catalog, "value_target", "en")
    assert "完成目标的63.4%(目标¥1,950万)" in say(catalog, "value_target", "zh")


def test_missing_baseline_is_said(catalog: Catalog) -> None:
    assert "no figure for" in say(catalog, "value_no_baseline", "en")
    assert "上期无可比数据" in say(catalog, "value_no_baseline", "zh")


def test_lagged_names_member_with_attainment_and_target(catalog: Catalog) -> None:
    en, zh = say(catalog, "lagged_target", "en"), say(catalog, "lagged_target", "zh")
    assert en.startswith("West lagged in November 2026 so far (to Nov 20): revenue ¥808,512")
    assert "38.5% of its ¥2.1M target" in en and "Best: East (104.2%)" in en
    assert (
        zh.startswith("2026年11月(截至11月20日)西部落后") and "完成目标的38.5%" in zh and "目标¥210万" in zh
    )


def test_lagged_with_limit_one_still_names_the_laggard(catalog: Catalog) -> None:
    name, plan, columns, rows, rows_zh = CASES["lagged_target"]
    limited = plan.model_copy(update={"limit": 1})
    west = [r for r in rows if r[1] == "West"]
    en = narrate(limited, columns, west, catalog, "en")
    assert en == (
        "West lagged in November 2026 so far (to Nov 20): revenue ¥808,512, 38.5% of its ¥2.1M target"
        " with 20 of 30 days gone (pace 57.8%: behind)."
    )
    zh = narrate(limited, columns, [r for r in rows_zh if r[1] == "西部"], catalog, "zh")
    assert zh.startswith("2026年11月(截至11月20日)西部落后:") and "表现最好" not in zh


def test_lagged_lower_is_better_picks_the_biggest_rise(catalog: Catalog) -> None:
    # return rate is lower-is-better; ordered by delta desc → the member whose rate rose most
    en = say(catalog, "lagged_rate_mom", "en")
    assert en.startswith("South lagged") and "up 1.2 pts" in en


def test_rank_respects_limit_and_order(catalog: Catalog) -> None:
    en = say(catalog, "rank_top3", "en")
    assert en.startswith("Top 3 on revenue") and "East ¥5.21M, North ¥3.1M and South ¥2.45M" in en
    assert "West" not in en
    assert "前3名:华东¥521万、华北¥310.4万和华南¥245万" in say(catalog, "rank_top3", "zh")


def test_breakdown_names_top_and_bottom(catalog: Catalog) -> None:
    en = say(catalog, "breakdown", "en")
    assert "East highest at ¥5.21M" in en and "West lowest at ¥808,512" in en
    assert "华东最高(¥521万)" in say(catalog, "breakdown", "zh")
    two = say(catalog, "two_units", "en")
    assert "North highest at 45.5%" in two and "South lowest at 28.7%" in two


def test_trend_first_last_change_and_peak(catalog: Catalog) -> None:
    en = say(catalog, "trend", "en")
    # November is in progress: the headline ends at the last whole month and November is said apart
    assert "from ¥1M in Nov 2025 to ¥1.55M in Oct 2026 (the last full month), up 55.0%" in en
    assert en.endswith("Nov 2026 is in progress (20 of 30 days, to Nov 20): ¥1.6M so far.")
    assert "peak was ¥2.05M in Apr 2026" in en
    zh = say(catalog, "trend_rate", "zh")
    assert "上升2.2个百分点" in zh and "2026年11月尚未结束(已过20/30天,截至11月20日),目前为42.4%" in zh
    yoy = say(catalog, "trend_yoy", "en")
    assert "Oct 2026: up 11.1% vs Oct 2025" in yoy  # the last whole month, not November so far


def test_trend_by_member_names_leader_of_latest_period(catalog: Catalog) -> None:
    en = say(catalog, "trend_by_region", "en")
    assert "in Nov 2026, South was highest at ¥412,000 and East lowest at ¥112,000" in en


def test_funnel_gives_step_conversion(catalog: Catalog) -> None:
    assert "Step conversion: orders 30.0%, new customers 25.0%" in say(catalog, "funnel", "en")


def test_empty_result_says_no_data(catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("revenue",), time=NOV)
    assert (
        narrate(plan, ["revenue"], [], catalog, "en")
        == "No data for revenue in November 2026 so far (to Nov 20)."
    )
    assert narrate(plan, ["revenue"], [[None]], catalog, "zh") == "2026年11月(截至11月20日)销售额暂无数据。"


def test_chart_title(catalog: Catalog) -> None:
    plan = CASES["two_units"][1]
    assert chart_title(plan, catalog, "en") == "Revenue and Gross margin by region"
    assert chart_title(plan, catalog, "zh") == "各区域销售额和毛利率"
    assert chart_title(CASES["trend"][1], catalog, "zh") == "销售额趋势"


# ---- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (12_345_678.9, Unit.CURRENCY, "en", "¥12.35M"),
        (12_345_678.9, Unit.CURRENCY, "zh", "¥1,234.6万"),
        (123_456_789.0, Unit.CURRENCY, "zh", "¥1.23亿"),
        (2_100_000_000.0, Unit.CURRENCY, "en", "¥2.1B"),
        (808_512.3, Unit.CURRENCY, "en", "¥808,512"),
        (80_000.0, Unit.CURRENCY, "zh", "¥80,000"),
        (950.5, Unit.CURRENCY, "en", "¥950.5"),
        (-1_500_000.0, Unit.CURRENCY, "en", "-¥1.5M"),
        (0.4234, Unit.RATIO, "en", "42.3%"),
        (0.4234, Unit.RATIO, "zh", "42.3%"),
        (1234, Unit.COUNT, "en", "1,234"),
        (12_345_678, Unit.COUNT, "zh", "1,234.6万"),
        (3.25, Unit.NUMBER, "en", "3.25"),
    ],
)
def test_format_amount(value: float, unit: Unit, language: str, expected: str) -> None:
    assert format_amount(value, unit, "CNY", language) == expected


def test_points_and_periods() -> None:
    assert format_points(-0.0123, "en") == "1.2 pts"
    assert format_points(0.0123, "zh") == "1.2个百分点"
    assert period_label(NOV, "zh") == "2026年11月(截至11月20日)"
    from datetime import date

    assert span_words(date(2026, 7, 1), date(2026, 9, 30), "en") == "Q3 2026"
    assert span_words(date(2026, 7, 1), date(2026, 9, 30), "zh") == "2026年第三季度"
    assert span_words(date(2026, 10, 1), date(2026, 10, 31), "en") == "October 2026"
    assert point_label("2026-04-01", "month", "zh") == "2026年4月"
    assert point_label("2026-04-01", "quarter", "en") == "Q2 2026"


# ---- number checks and the rephrase guard -----------------------------------------------------


def test_check_numbers_flags_invented_numbers() -> None:
    columns = ["revenue", "revenue__baseline", "revenue__delta", "revenue__ratio"]
    rows = [[12_345_678.9, 13_450_000.0, -1_104_321.1, 12_345_678.9 / 13_450_000.0]]
    ok = "Revenue for November 2026 so far (to Nov 20) was ¥12.35M, down 8.2% vs October 2026 (¥13.45M); 1,234.6万; ¥1.1M less."
    assert check_numbers(ok, columns, rows) == []
    assert check_numbers("Revenue was ¥99.9M, down 8.2%.", columns, rows) == ["¥99.9M"]
    assert check_numbers("销售额为¥1,234.6万,环比下降15.0%。", columns, rows) == ["15.0%"]
    assert check_numbers("Revenue was ¥12.5M.", columns, rows) == ["¥12.5M"]  # rounding has limits


def test_check_numbers_ignores_dates_and_periods() -> None:
    text = "2026年11月1日至11月20日, Q3 2026, Nov 3; 2025-10-01; last 12 months, 过去12个月 and week of Oct 5: 42.0%."
    assert check_numbers(text, ["x"], [[0.42]]) == []


def test_rephrase_keeps_faithful_text_and_rejects_invented_numbers() -> None:
    template = "Revenue for October 2026 was ¥12.35M, down 8.2% vs September 2026 (¥13.45M)."
    prompts: list[str] = []

    def faithful(prompt: str) -> str:
        prompts.append(prompt)
        return "In October 2026 revenue came to ¥12.35M — 8.2% below September 2026's ¥13.45M."

    assert rephrase(template, faithful).startswith("In October 2026 revenue came to")
    assert template in prompts[0]
    assert rephrase(template, lambda _p: "Revenue hit ¥15M, a record.") == template
    assert rephrase(template, lambda _p: "") == template

    def broken(_prompt: str) -> str:
        raise RuntimeError("provider down")

    assert rephrase(template, broken) == template


# ---- refusals and clarifications -----------------------------------------------------------------


def test_refusal_reads_well_in_both_languages(tmp_path: Path) -> None:
    messages = catalog_with(
        tmp_path,
        {
            "en": {"test": {"deprecated": "Gross sales (legacy) is deprecated; use Revenue", "plain": "x."}},
            "zh": {
                "test": {"deprecated": "含税销售额已停用,请使用销售额", "plain": "你的角色无权查看毛利率。"}
            },
        },
    )
    error = MetricNotApprovedError(Message("test.deprecated"), suggestions=["revenue"])
    assert (
        narrate_refusal(error, "en", messages)
        == "Gross sales (legacy) is deprecated; use Revenue. Try: revenue."
    )
    assert narrate_refusal(error, "zh", messages) == "含税销售额已停用,请使用销售额。 可以试试:revenue。"
    plain = AccessDeniedError(Message("test.plain"))
    assert narrate_refusal(plain, "zh", messages) == "你的角色无权查看毛利率。"


def test_refusal_of_a_real_error_in_both_languages() -> None:
    error = AccessDeniedError(
        Message("error.access_denied_metric", {"role": "marketing", "metric": "revenue"})
    )
    assert narrate_refusal(error, "en") == "Role `marketing` may not see `revenue`."
    assert narrate_refusal(error, "zh") == "角色 `marketing` 无权查看 `revenue`。"


def test_clarify_lists_options() -> None:
    text = narrate_clarify(["Revenue (net)", "Gross sales (legacy)"], "en")
    assert text == "Did you mean one of these? 1. Revenue (net); 2. Gross sales (legacy)."
    assert "1. Revenue (net);2. Gross sales (legacy)" in narrate_clarify(
        ["Revenue (net)", "Gross sales (legacy)"], "zh"
    )
    assert narrate_clarify([], "en")


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_columns_are_read_by_role_not_by_name(catalog: Catalog, case: Case, language: str) -> None:
    rows = rows_for(case, language)
    by_name = narrate(case[1], case[2], rows, catalog, language)
    fields = opaque_fields(case)
    assert narrate(case[1], fields, rows, catalog, language) == by_name
    assert (
        check_numbers(by_name, fields, rows, references=stated_by_plan(case[1], catalog, fields, rows)) == []
    )


# ---- the shapes of issue 10 --------------------------------------------------------------------


def test_two_periods_name_both_periods(catalog: Catalog) -> None:
    assert (
        say(catalog, "two_periods", "en")
        == "Orders was 278 in October 2026, up 4.5% vs September 2026 (266)."
    )
    assert say(catalog, "two_periods", "zh") == "2026年10月订单数为278,较2026年9月增长4.5%(2026年9月:266)。"
    breakdown = say(catalog, "two_periods_breakdown", "zh")
    assert "较2026年9月增长5.3%" in breakdown and "环比" not in breakdown


def test_share_breakdown_states_largest_smallest_and_total(catalog: Catalog) -> None:
    en = say(catalog, "share_breakdown", "en")
    assert en == (
        "East had the largest share of revenue in October 2026: 45.0% (¥5.21M of ¥11.57M); "
        "West the smallest: 7.0% (¥808,512)."
    )
    assert say(catalog, "share_breakdown", "zh").startswith(
        "2026年10月销售额占比最高的是华东:45.0%(¥1,157.3万中的¥521万)"
    )


def test_share_of_one_member(catalog: Catalog) -> None:
    assert say(catalog, "share_member", "en") == "28.4% of revenue in October 2026 (¥1.31M of ¥4.61M)."
    assert say(catalog, "share_member", "zh") == "2026年10月占销售额的28.4%(¥461.2万中的¥131万)。"


def test_a_scoped_share_says_it_is_of_the_scopes_total(catalog: Catalog) -> None:
    case = CASES["share_breakdown"]
    fields = [
        f.model_copy(update={"scoped_by": ("region",)}) if f.role.value == "total" else f
        for f in plan_fields(case[1], case[2])
    ]
    en = narrate(case[1], fields, rows_for(case, "en"), catalog, "en")
    assert "(¥5.21M of ¥11.57M, your scope's total)" in en
    assert "(您权限范围内总计¥1,157.3万中的¥521万)" in narrate(
        case[1], fields, rows_for(case, "zh"), catalog, "zh"
    )


def test_overlapping_shares_are_said_to_overlap(catalog: Catalog) -> None:
    case = CASES["share_breakdown"]
    rows = [[*r[:3], r[2], 0.6] for r in rows_for(case, "en")]  # shares adding up to 2.4: a distinct count
    text = narrate(case[1], case[2], rows, catalog, "en")
    assert "The shares overlap" in text and check_numbers(text, case[2], rows) == []
    assert "overlap" not in say(catalog, "share_breakdown", "en")


def test_threshold_lists_every_member_or_says_none(catalog: Catalog) -> None:
    assert say(catalog, "threshold", "en") == "Orders above 200 in October 2026: East (312), North (250)."
    assert say(catalog, "threshold", "zh") == "2026年10月订单数高于200的有:华东(312)、华北(250)。"
    assert say(catalog, "threshold_none", "en") == "No region had orders above 2,000 in October 2026."
    assert say(catalog, "threshold_none", "zh") == "2026年10月没有订单数高于2,000的区域。"
    missed = say(catalog, "missed_target", "en")
    assert missed.startswith("Revenue attainment below 100.0% in November 2026")
    assert "North (94.1%), West (38.5%), South (94.2%)" in missed and "East" not in missed


def test_a_long_threshold_list_says_how_many(catalog: Catalog) -> None:
    case = CASES["threshold"]
    rows = [[f"R{i:02d}", f"Rep {i}", 300 + i] for i in range(12)]
    plan = case[1].model_copy(update={"dimensions": ("rep",)})
    columns = ["rep_id", "rep", "order_count"]
    en = narrate(plan, columns, rows, catalog, "en")
    assert en.endswith("Rep 7 (307) (first 8 of 12).") and "Rep 8" not in en
    zh = narrate(plan, columns, rows, catalog, "zh")
    assert zh.endswith("(共12个,列出前8个)。")
    assert check_numbers(en, columns, rows, references=["200"]) == []


def test_rank_by_change_names_the_member_and_its_change(catalog: Catalog) -> None:
    assert say(catalog, "rank_by_change", "en") == (
        "East had the largest rise in revenue vs September 2026: up ¥1.04M (25.0%), ¥5.21M against ¥4.17M."
    )
    assert say(catalog, "rank_by_change", "zh").startswith(
        "华东的销售额较2026年9月增长最多:增长¥104.2万(25.0%)"
    )
    assert say(catalog, "rank_by_change_list", "en") == (
        "Ranked by change in revenue vs October 2025: South down ¥245,000 (9.1%), West flat, "
        "North up ¥310,450 (11.1%)."
    )
    fell = CASES["rank_by_change"]
    asc = fell[1].model_copy(update={"order": (fell[1].order[0].model_copy(update={"direction": "asc"}),)})
    text = narrate(asc, fell[2], rows_for(fell, "en"), catalog, "en")
    assert text.startswith("South had the largest fall in revenue vs September 2026: down ¥245,000 (9.1%)")
    rose = [[*r[:3], r[2] / 2, r[2] / 2, 2.0] for r in rows_for(fell, "en")]  # everyone doubled
    assert narrate(asc, fell[2], rose, catalog, "en").startswith("West had the smallest rise in revenue")
    assert narrate(asc, fell[2], rose, catalog, "zh").startswith("West的销售额较2026年9月增长最少")


def test_a_ranked_member_has_each_metrics_number(catalog: Catalog) -> None:
    assert (
        say(catalog, "rank_two_metrics", "en")
        == "East ranked highest on revenue in October 2026: ¥5.21M (orders 521)."
    )
    assert say(catalog, "rank_two_metrics", "zh").endswith("为¥521万(订单数521)。")
    several = say(catalog, "several", "en")
    assert all(word in several for word in ("revenue ¥12.35M", "orders 1,234", "¥10,005"))

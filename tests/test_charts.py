"""Charts: the rule that picks a chart, real PNGs (size, not blank, bars/points drawn), CJK text, file reuse."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from answer_fixtures import NOV, Case, cases, opaque_fields, rows_for
from matplotlib import font_manager
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from metricqa.assistant.presentation.narrative import chart_title
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.charts.fonts import cjk_font_path, ensure_cjk_font, font_rc
from metricqa.charts.render import BLUE, GREEN, RED, draw, render_chart
from metricqa.charts.rules import ChartSpec, Series, choose_chart

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"
CASES = {c[0]: c for c in cases()}
EXPECTED_TYPE = {
    "value": "kpi",
    "value_mom": "kpi",
    "several": "kpi",
    "funnel": "funnel",
    "breakdown": "bar",
    "breakdown_mom": "grouped_bar",
    "two_units": "panels",
    "two_currency": "grouped_bar",
    "lagged_target": "bar",
    "rank_top3": "bar",
    "trend": "line",
    "trend_yoy": "line",
    "trend_by_region": "line",
    "two_periods": "kpi",
    "two_periods_breakdown": "grouped_bar",
    "share_breakdown": "bar",
    "share_member": "kpi",
    "threshold": "bar",
    "missed_target": "bar",
}


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEMO)


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("charts")


def spec_for(catalog: Catalog, name: str, language: str = "en") -> ChartSpec:
    case = CASES[name]
    spec = choose_chart(case[1], case[2], rows_for(case, language), catalog, language)
    assert spec is not None
    return spec


def drawn(spec: ChartSpec, language: str = "en") -> matplotlib.figure.Figure:
    with matplotlib.rc_context(font_rc()):  # type: ignore[arg-type]
        fig = draw(spec, "title", language)
        fig.canvas.draw()
    return fig


def bar_count_of(ax: matplotlib.axes.Axes) -> int:
    return sum(isinstance(p, Rectangle) and p.get_width() != 0 for p in ax.patches)


def bar_count(fig: matplotlib.figure.Figure) -> int:
    return sum(isinstance(p, Rectangle) for p in fig.axes[0].patches)


# ---- choosing --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), list(EXPECTED_TYPE.items()))
def test_chart_type_by_rule(catalog: Catalog, name: str, kind: str) -> None:
    assert spec_for(catalog, name).type == kind


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_charts_read_columns_by_role_not_by_name(catalog: Catalog, case: Case, language: str) -> None:
    rows = rows_for(case, language)
    by_name = choose_chart(case[1], case[2], rows, catalog, language)
    assert choose_chart(case[1], opaque_fields(case), rows, catalog, language) == by_name


def test_nothing_to_draw(catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("revenue",), time=NOV)
    assert choose_chart(plan, ["revenue"], [], catalog, "en") is None
    assert choose_chart(plan, ["revenue"], [[None]], catalog, "en") is None


def test_lagged_highlights_the_worst_and_marks_targets(catalog: Catalog) -> None:
    spec = spec_for(catalog, "lagged_target")
    assert spec.highlight is not None and spec.categories[spec.highlight] == "West"
    assert spec.highlight_kind == "worst"
    assert spec.targets == (5_000_000.0, 3_300_000.0, 2_600_000.0, 2_100_000.0)  # sorted by revenue, desc
    fig = drawn(spec)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]
    assert colours.count(RED.lower()) == 1 and colours[spec.highlight] == RED.lower()
    # the target ticks, and (November is in progress: 20 of 30 days) the target to date ticks
    assert spec.paced_targets == pytest.approx(tuple((t or 0) * 20 / 30 for t in spec.targets))
    assert len(fig.axes[0].collections) == 2


def test_rank_highlights_the_best(catalog: Catalog) -> None:
    spec = spec_for(catalog, "rank_top3")
    assert spec.highlight == 0 and spec.highlight_kind == "best"
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in drawn(spec).axes[0].patches]
    assert colours[0] == GREEN.lower() and BLUE.lower() not in colours


def test_many_or_long_members_make_horizontal_bars(catalog: Catalog) -> None:
    plan = CASES["breakdown"][1]
    rows = [[f"R{i}", f"Region {i}", 1000.0 * (i + 1)] for i in range(9)]
    spec = choose_chart(plan, ["region_id", "region", "revenue"], rows, catalog, "en")
    assert spec is not None and spec.horizontal and spec.categories[0] == "Region 8"
    assert bar_count(drawn(spec)) == 9
    short = spec_for(catalog, "breakdown")
    assert not short.horizontal
    long_zh = choose_chart(
        plan,
        ["region_id", "region", "revenue"],
        [["A", "华东大区一部", 1.0], ["B", "西部", 2.0]],
        catalog,
        "zh",
    )
    assert long_zh is not None and long_zh.horizontal


def test_trend_lines_and_dashed_comparison(catalog: Catalog) -> None:
    spec = spec_for(catalog, "trend_yoy")
    assert [s.role for s in spec.series] == ["value", "baseline"] and spec.series[1].dashed
    fig = drawn(spec)
    lines = fig.axes[0].get_lines()
    named = [ln for ln in lines if not str(ln.get_label()).startswith("_")]
    assert [ln.get_linestyle() for ln in named] == ["-", "--"]
    # the last point (Nov 2026, in progress) stands apart: hollow, after a dotted segment, "to Nov 20"
    assert spec.partial_last and spec.partial_note == "to Nov 20"
    hollow = [ln for ln in lines if ln.get_markerfacecolor() == "white"]
    assert len(hollow) == 2 and [ln.get_linestyle() for ln in lines].count(":") == 2
    assert sum(len(ln.get_xdata()) for ln in named) + len(hollow) == spec.expected_points == 26
    assert fig.axes[0].get_ylim()[0] == 0  # a line of amounts starts at zero
    by_region = spec_for(catalog, "trend_by_region")
    assert len(by_region.series) == 4 and by_region.series[0].name == "South"  # largest total first
    region_lines = drawn(by_region).axes[0].get_lines()
    assert sum(len(ln.get_xdata()) for ln in region_lines if ln.get_linestyle() != ":") == 52


def test_no_font_warning_in_any_chart(catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    """No text asks for a weight the shipped CJK font lacks (matplotlib logs "findfont: …")."""
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        for case in CASES.values():
            for language in ("en", "zh"):
                spec = choose_chart(case[1], case[2], rows_for(case, language), catalog, language)
                if spec is not None:
                    drawn(spec, language)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_whole_series_has_no_partial_mark(catalog: Catalog) -> None:
    name, plan, columns, rows, _ = CASES["trend_yoy"]
    whole = plan.model_copy(update={"time": plan.time.model_copy(update={"partial": False})})
    spec = choose_chart(whole, columns, rows, catalog, "en")
    assert spec is not None and not spec.partial_last and spec.partial_note == ""


def test_two_metrics_by_dimension(catalog: Catalog) -> None:
    grouped = spec_for(catalog, "two_currency")
    assert bar_count(drawn(grouped)) == grouped.expected_bars == 8
    # two units across unordered members: two panels (one axis each), not twin axes on one panel
    panels = spec_for(catalog, "two_units")
    fig = drawn(panels)
    assert panels.type == "panels" and len(fig.axes) == 2
    assert [ax.get_shared_x_axes().get_siblings(ax) == [ax] for ax in fig.axes] == [True, True]
    assert sum(bar_count_of(ax) for ax in fig.axes) == panels.expected_bars == 8
    assert [ax.get_title(loc="left") for ax in fig.axes] == [s.name for s in panels.series]


def test_funnel_and_kpi(catalog: Catalog) -> None:
    funnel = spec_for(catalog, "funnel")
    assert funnel.categories == ("Leads", "Orders", "New customers")
    assert bar_count(drawn(funnel)) == 3
    kpi = spec_for(catalog, "value_mom")
    assert kpi.notes and kpi.notes[0].startswith("down 8.2% vs")
    texts = [t.get_text() for t in drawn(kpi).texts]
    assert "¥12.35M" in texts


# ---- rendering real PNGs ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lagged_target", "trend_by_region", "two_units", "funnel", "value_mom"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_render_png_is_sized_and_not_blank(catalog: Catalog, out_dir: Path, name: str, language: str) -> None:
    spec = spec_for(catalog, name, language)
    chart = render_chart(spec, out_dir, chart_title(CASES[name][1], catalog, language), language)
    path = Path(chart.path)
    assert path.is_absolute() and path.is_file() and chart.type == spec.type
    pixels = imread(path)
    assert pixels.shape[:2] == (900, 1600)  # 2× device pixels of the 800×450 it is shown at
    assert float(np.var(pixels[..., :3])) > 0.002  # not a blank canvas
    assert float(np.mean(pixels[..., :3] < 0.9)) > 0.01  # something is drawn
    assert (chart.width, chart.height) == (800, 450) and chart.svg_path is not None
    svg = Path(chart.svg_path).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and 'width="576pt"' in svg  # 8 in × 72 pt
    # text is drawn as glyph paths: the same on a machine without the CJK font, crisp at any size
    assert "<text" not in svg and svg.count("<path") > 20


def test_cjk_text_renders_with_a_real_font_and_no_missing_glyphs(catalog: Catalog, out_dir: Path) -> None:
    path = cjk_font_path()
    assert path is not None and "mplfonts" in str(path)  # ships with the project, not the OS
    families = ensure_cjk_font()
    assert families == ensure_cjk_font() and "CJK" in families[0]
    found = font_manager.findfont(font_manager.FontProperties(family=families[0]), fallback_to_default=False)
    assert "CJK" in Path(found).name
    spec = spec_for(catalog, "lagged_target", "zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_chart(spec, out_dir / "cjk", "哪个区域拖后腿:各区域销售额目标完成率", "zh")
    bad = [
        str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]
    assert bad == []


def test_file_names_are_deterministic_and_reused(catalog: Catalog, out_dir: Path) -> None:
    spec = spec_for(catalog, "breakdown")
    first = render_chart(spec, out_dir / "reuse", "Revenue by region", "en")
    stamp = Path(first.path).stat().st_mtime_ns
    again = render_chart(spec_for(catalog, "breakdown"), out_dir / "reuse", "Revenue by region", "en")
    assert again.path == first.path and Path(again.path).stat().st_mtime_ns == stamp
    other = render_chart(spec, out_dir / "reuse", "Revenue by region (2)", "en")
    assert other.path != first.path
    assert len(list((out_dir / "reuse").iterdir())) == 4  # each chart: a PNG and its SVG


def test_spec_without_catalog_still_draws(out_dir: Path) -> None:
    case: Case = CASES["breakdown"]
    spec = choose_chart(case[1], case[2], case[3])
    assert spec is not None and spec.type == "bar" and spec.series[0].unit == "number"
    assert Path(render_chart(spec, out_dir, "x", "en").path).is_file()


def test_series_dash_roles() -> None:
    assert Series("a", (1.0,), role="target").dashed and not Series("a", (1.0,)).dashed


# ---- the shapes of issue 10 --------------------------------------------------------------------


def test_share_is_a_sorted_bar_of_shares(catalog: Catalog, out_dir: Path) -> None:
    spec = spec_for(catalog, "share_breakdown")
    (series,) = spec.series
    assert series.unit == "ratio" and series.name == "Share of revenue"
    assert list(series.values) == sorted(series.values, reverse=True)  # type: ignore[type-var]
    assert sum(v or 0.0 for v in series.values) == pytest.approx(1.0)
    assert spec_for(catalog, "share_breakdown", "zh").series[0].name == "销售额占比"
    one = spec_for(catalog, "share_member")
    assert (
        one.type == "kpi"
        and one.series[0].unit == "ratio"
        and one.series[0].values[0] == pytest.approx(0.284, abs=1e-3)
    )
    fig = drawn(spec)
    assert bar_count(fig) == len(spec.categories)


def test_threshold_bars_name_the_threshold(catalog: Catalog) -> None:
    spec = spec_for(catalog, "threshold")
    assert spec.categories == ("East", "North") and spec.notes == ("orders above 200",)
    assert spec_for(catalog, "threshold", "zh").notes == ("订单数高于200",)
    assert choose_chart(CASES["threshold_none"][1], CASES["threshold_none"][2], [], catalog) is None


def test_two_periods_draw_like_previous_period_with_the_baseline_named(catalog: Catalog) -> None:
    spec = spec_for(catalog, "two_periods_breakdown")
    assert [s.name for s in spec.series] == ["Revenue", "September 2026"] and spec.series[1].dashed
    assert spec_for(catalog, "two_periods_breakdown", "zh").series[1].name == "2026年9月"
    kpi = spec_for(catalog, "two_periods")
    assert kpi.notes == ("up 4.5% vs September 2026 (266)",)

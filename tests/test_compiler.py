"""Golden SQL for representative plans, and the compiler's structural promises (assistant/compiler.py).

Each case in SNAPSHOT_CASES compiles to tests/snapshots/compiler/<case>.sql; run
``pytest tests/test_compiler.py --overwrite-snapshots`` to regenerate and review the diff like code.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from metricqa.assistant.semantic.columns import ColumnRole, ValueKind
from metricqa.assistant.semantic.compiler import CompiledQuery, compile_plan, other_shift, plan_columns
from metricqa.assistant.semantic.periods import Shift
from metricqa.assistant.semantic.plan import (
    AttributeRef,
    Comparison,
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
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import AccessDeniedError, InvalidPlanError, MetricNotApprovedError

SNAPSHOTS = Path(__file__).parent / "snapshots" / "compiler"
NOV_MTD = TimeRange(start=date(2026, 11, 1), end=date(2026, 11, 20), partial=True, label="this month")
OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31), label="last month")
YTD_MONTHS = TimeRange(start=date(2026, 1, 1), end=date(2026, 11, 20), grain=Grain.MONTH, partial=True)
Q3 = TimeRange(start=date(2026, 7, 1), end=date(2026, 9, 30), label="Q3")
Q3_MONTHS = TimeRange(start=date(2026, 7, 1), end=date(2026, 9, 30), grain=Grain.MONTH)
JUN = TimeRange(start=date(2026, 6, 1), end=date(2026, 6, 30), label="June")
EXEC = Asker()
EAST_MANAGER = Asker(role="regional_manager", scope={"region": "EAST"})
REP = Asker(role="sales_rep", scope={"rep": "R001"})

SNAPSHOT_CASES: dict[str, tuple[str, QueryPlan, Asker, str]] = {
    "total": ("Revenue for one month, no split.", QueryPlan(metrics=("revenue",), time=OCT), EXEC, "en"),
    "by_region": (
        "Two metrics of one model share a scan, split by region with labels.",
        QueryPlan(metrics=("revenue", "order_count"), dimensions=("region",), time=OCT),
        EXEC,
        "en",
    ),
    "by_month": (
        "A monthly series, partial last month.",
        QueryPlan(metrics=("revenue",), time=YTD_MONTHS),
        EXEC,
        "en",
    ),
    "product_line_join": (
        "product_line's key differs from its join key: the dimension table is joined; zh labels.",
        QueryPlan(metrics=("gross_profit",), dimensions=("product_line",), time=Q3),
        EXEC,
        "zh",
    ),
    "filter": (
        "Filter members are bound parameters.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("channel",),
            filters=(Filter(dimension="region", values=("EAST", "NORTH")),),
            time=OCT,
        ),
        EXEC,
        "en",
    ),
    "mom": (
        "Month to date vs the same days of last month.",
        QueryPlan(metrics=("revenue",), time=NOV_MTD, comparison=Comparison.PREVIOUS_PERIOD),
        EXEC,
        "en",
    ),
    "yoy": (
        "A quarter vs the same quarter last year, by region.",
        QueryPlan(
            metrics=("order_count",),
            dimensions=("region",),
            time=Q3,
            comparison=Comparison.SAME_PERIOD_LAST_YEAR,
        ),
        EXEC,
        "en",
    ),
    "series_mom": (
        "Each month vs the month before (baseline buckets moved forward one month).",
        QueryPlan(metrics=("revenue",), time=YTD_MONTHS, comparison=Comparison.PREVIOUS_PERIOD),
        EXEC,
        "en",
    ),
    "target": (
        "Which region lags its target this month: attainment ascending, limit 1.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=NOV_MTD,
            comparison=Comparison.TARGET,
            order=(OrderBy(by="revenue__attainment", direction="asc"),),
            limit=1,
        ),
        EXEC,
        "en",
    ),
    "ratio": (
        "A ratio across two models: ratio of sums, key spine.",
        QueryPlan(metrics=("collection_rate",), dimensions=("region",), time=OCT),
        EXEC,
        "en",
    ),
    "derived": (
        "A ratio of a derived metric: measures inlined.",
        QueryPlan(metrics=("gross_margin",), time=OCT),
        EXEC,
        "en",
    ),
    "top_n": (
        "Top 3 products by revenue.",
        QueryPlan(
            metrics=("revenue",), dimensions=("product",), time=OCT, order=(OrderBy(by="revenue"),), limit=3
        ),
        EXEC,
        "en",
    ),
    "list_attributes": (
        "A list of products with their line and list price (zh columns), capped, under a rep's row filter.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("product",),
            time=OCT,
            intent=Intent.LIST,
            limit=100,
            attributes=(
                AttributeRef(dimension="product", attribute="line"),
                AttributeRef(dimension="product", attribute="list_price"),
            ),
        ),
        REP,
        "zh",
    ),
    "regional_manager": (
        "A regional manager's row filter on every model CTE.",
        QueryPlan(metrics=("revenue", "lead_count"), dimensions=("channel",), time=NOV_MTD),
        EAST_MANAGER,
        "en",
    ),
    "sales_rep": (
        "A sales rep's row filter, with a month-over-month comparison on both branches.",
        QueryPlan(metrics=("win_rate",), time=Q3, comparison=Comparison.PREVIOUS_PERIOD),
        REP,
        "en",
    ),
    "segment_not_in": (
        "A NOT IN filter on a joined dimension, lead_source degenerate dimension.",
        QueryPlan(
            metrics=("lead_conversion_rate",),
            dimensions=("lead_source",),
            filters=(Filter(dimension="channel", op=FilterOp.NOT_IN, values=("ONLINE",)),),
            time=Q3,
        ),
        EXEC,
        "en",
    ),
    "not_in_null_safe": (
        "Excluding a member keeps the rows with no member: (key NOT IN (?) OR key IS NULL); the row filter stays key = ?.",
        QueryPlan(
            metrics=("revenue",),
            filters=(Filter(dimension="channel", op=FilterOp.NOT_IN, values=("ONLINE", "RETAIL")),),
            time=OCT,
        ),
        EAST_MANAGER,
        "en",
    ),
    "other_period": (
        "Any two periods: the baseline branch reads baseline_time (October vs June), not a shift of time.",
        QueryPlan(metrics=("order_count",), time=OCT, comparison=Comparison.OTHER_PERIOD, baseline_time=JUN),
        EXEC,
        "en",
    ),
    "other_period_series": (
        "Two years by month: each 2025 bucket moves forward 12 months onto its 2026 bucket.",
        QueryPlan(
            metrics=("revenue",),
            time=TimeRange(start=date(2026, 1, 1), end=date(2026, 6, 30), grain=Grain.MONTH),
            comparison=Comparison.OTHER_PERIOD,
            baseline_time=TimeRange(start=date(2025, 1, 1), end=date(2025, 6, 30), grain=Grain.MONTH),
        ),
        EXEC,
        "en",
    ),
    "rank_by_change": (
        "Which regions grew most vs the previous period: order by delta, NULLs last, limit 3.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=OCT,
            comparison=Comparison.PREVIOUS_PERIOD,
            order=(OrderBy(metric="revenue", value=ValueKind.DELTA, direction="desc"),),
            limit=3,
            intent=Intent.RANK,
        ),
        EXEC,
        "en",
    ),
    "share_by_channel": (
        "Share of revenue by channel: a total CTE not grouped by channel, CROSS JOINed; share = value / total.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("channel",),
            filters=(Filter(dimension="region", values=("EAST", "NORTH")),),
            time=OCT,
            intent=Intent.SHARE,
        ),
        EXEC,
        "en",
    ),
    "share_of_member": (
        "What % of revenue came from Online: the total drops the channel filter.",
        QueryPlan(
            metrics=("revenue",),
            filters=(Filter(dimension="channel", values=("ONLINE",)),),
            time=OCT,
            intent=Intent.SHARE,
        ),
        EXEC,
        "en",
    ),
    "share_scoped": (
        "A scoped asker's share: the row filter applies to the total too (their scope's total).",
        QueryPlan(metrics=("order_count",), dimensions=("channel",), time=OCT, intent=Intent.SHARE),
        EAST_MANAGER,
        "en",
    ),
    "share_series": (
        "Share by channel per month: the total is grouped by the period and joined on it.",
        QueryPlan(metrics=("revenue",), dimensions=("channel",), time=Q3_MONTHS, intent=Intent.SHARE),
        EXEC,
        "en",
    ),
    "threshold": (
        "Regions with more than 200 orders: WHERE on the figure, the number a bound parameter.",
        QueryPlan(
            metrics=("order_count",),
            dimensions=("region",),
            time=OCT,
            having=(Threshold(metric="order_count", op=ThresholdOp.GT, number=200),),
        ),
        EXEC,
        "en",
    ),
    "threshold_missed_target": (
        "Which regions missed target: comparison target, ratio < 1, no limit.",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=NOV_MTD,
            comparison=Comparison.TARGET,
            having=(Threshold(metric="revenue", value=ValueKind.RATIO, op=ThresholdOp.LT, number=1),),
        ),
        EXEC,
        "en",
    ),
    "two_models": (
        "Two metrics from two models, each its own number: order count (orders) + payment amount (payments).",
        QueryPlan(metrics=("order_count", "payment_amount"), dimensions=("channel",), time=OCT),
        EXEC,
        "en",
    ),
}


def snapshot_text(test_name: str, doc: str, compiled: CompiledQuery) -> str:
    header = [f"-- test: {test_name}", f"-- {doc}", f"-- params: {[str(p) for p in compiled.params]}"]
    header.append(f"-- columns: {list(compiled.names)}")
    return "\n".join(header) + "\n" + compiled.sql + ";\n"


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_snapshot(case: str, demo_catalog: Catalog, overwrite_snapshots: bool) -> None:
    doc, plan, asker, language = SNAPSHOT_CASES[case]
    compiled = compile_plan(plan, demo_catalog, asker, language=language)
    text = snapshot_text(f"test_snapshot[{case}]", doc, compiled)
    path = SNAPSHOTS / f"{case}.sql"
    if overwrite_snapshots:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path.name}; run pytest with --overwrite-snapshots"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_every_case_compiles_for_postgres(case: str, demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES[case]
    compiled = compile_plan(plan, demo_catalog, asker, language=language, dialect="postgres")
    tree = sqlglot.parse_one(compiled.sql, dialect="postgres")
    assert isinstance(tree, exp.Select)
    assert "?" not in compiled.sql
    assert len(list(tree.find_all(exp.Placeholder))) == len(compiled.params)


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_one_placeholder_per_param(case: str, demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES[case]
    compiled = compile_plan(plan, demo_catalog, asker, language=language)
    tree = sqlglot.parse_one(compiled.sql, dialect="duckdb")
    assert len(list(tree.find_all(exp.Placeholder))) == len(compiled.params)
    literals = {lit.this for lit in tree.find_all(exp.Literal)}
    assert not literals & {str(p) for p in compiled.params}


def test_user_values_are_params_never_sql(demo_catalog: Catalog) -> None:
    evil = "EAST' OR 1=1 --"
    plan = QueryPlan(metrics=("revenue",), filters=(Filter(dimension="region", values=(evil,)),), time=OCT)
    compiled = compile_plan(plan, demo_catalog, EXEC)
    assert evil not in compiled.sql and "1=1" not in compiled.sql
    assert compiled.params == (date(2026, 10, 1), date(2026, 11, 1), evil)  # half-open: < the day after


def test_params_follow_cte_order(demo_catalog: Catalog) -> None:
    plan = QueryPlan(
        metrics=("collection_rate",),
        filters=(Filter(dimension="channel", values=("ONLINE",)),),
        time=NOV_MTD,
        comparison=Comparison.PREVIOUS_PERIOD,
    )
    compiled = compile_plan(plan, demo_catalog, EAST_MANAGER)
    current = (date(2026, 11, 1), date(2026, 11, 21), "ONLINE", "EAST")
    baseline = (date(2026, 10, 1), date(2026, 10, 21), "ONLINE", "EAST")
    assert compiled.params == current * 2 + baseline * 2


def test_columns_metrics_and_sources(demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES["target"]
    compiled = compile_plan(plan, demo_catalog, asker, language=language)
    assert compiled.names == (
        "region_id", "region", "revenue", "revenue__baseline", "revenue__delta", "revenue__ratio",
    )  # fmt: skip
    assert compiled.metrics == ("revenue", "revenue_target")
    assert {"fact_order_line.unit_price", "fact_target.target_value", "dim_region.region_name"} <= set(
        compiled.sources
    )
    assert all("." in s for s in compiled.sources)
    with pytest.raises(FrozenInstanceError):
        compiled.sql = ""  # type: ignore[misc]


def test_series_columns_and_default_order(demo_catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("revenue", "order_count"), dimensions=("channel",), time=YTD_MONTHS)
    compiled = compile_plan(plan, demo_catalog, EXEC)
    assert compiled.names == ("period", "channel_id", "channel", "revenue", "order_count")
    order = sqlglot.parse_one(compiled.sql).args["order"].sql()
    assert order.startswith("ORDER BY period") and "channel_id" in order


def test_compile_is_pure_and_deterministic(demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES["regional_manager"]
    first = compile_plan(plan, demo_catalog, asker, language=language)
    assert compile_plan(plan, demo_catalog, asker, language=language) == first
    assert asker.scope == {"region": "EAST"}


def test_compile_refuses_what_governance_refuses(demo_catalog: Catalog) -> None:
    with pytest.raises(MetricNotApprovedError):
        compile_plan(QueryPlan(metrics=("nps",), time=OCT), demo_catalog, EXEC)
    with pytest.raises(AccessDeniedError):
        compile_plan(QueryPlan(metrics=("gross_margin",), time=OCT), demo_catalog, EAST_MANAGER)
    with pytest.raises(AccessDeniedError):
        compile_plan(QueryPlan(metrics=("revenue",), time=OCT), demo_catalog, Asker(role="regional_manager"))


def test_dimension_a_metric_cannot_be_split_by(demo_catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("payment_amount",), dimensions=("product_line",), time=OCT)
    with pytest.raises(InvalidPlanError) as info:
        compile_plan(plan, demo_catalog, EXEC)
    assert "product_line" in info.value.message_for("en")
    assert set(info.value.suggestions) == {"region", "channel", "rep", "segment"}
    assert "region" in info.value.message_for("zh")


def test_target_needs_a_target(demo_catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("order_count",), time=OCT, comparison=Comparison.TARGET)
    with pytest.raises(InvalidPlanError) as info:
        compile_plan(plan, demo_catalog, EXEC)
    assert "target" in info.value.message_for("en") and "目标" in info.value.message_for("zh")
    assert info.value.suggestions == ["revenue"]


def test_order_by_must_name_a_result_column(demo_catalog: Catalog) -> None:
    plan = QueryPlan(
        metrics=("revenue",), dimensions=("region",), time=OCT, order=(OrderBy(by="revenue__delta"),)
    )
    with pytest.raises(InvalidPlanError):
        compile_plan(plan, demo_catalog, EXEC)


def test_quotes_identifiers_that_need_it(demo_catalog: Catalog) -> None:
    from metricqa.assistant.semantic.compiler import ident

    assert ident("order").sql() == '"order"'
    assert ident("Revenue").sql() == '"Revenue"'
    assert ident("revenue_amount").sql() == "revenue_amount"


# --- result column descriptors ------------------------------------------------------------------

V, B, T, D, RA = ColumnRole.VALUE, ColumnRole.BASELINE, ColumnRole.TARGET, ColumnRole.DELTA, ColumnRole.RATIO
DESCRIPTORS: dict[str, list[tuple[str, ColumnRole, str | None, str | None]]] = {
    "total": [("revenue", V, "revenue", None)],
    "by_region": [
        ("region_id", ColumnRole.DIMENSION, None, "region"),
        ("region", ColumnRole.LABEL, None, "region"),
        ("revenue", V, "revenue", None),
        ("order_count", V, "order_count", None),
    ],
    "by_month": [("period", ColumnRole.PERIOD, None, None), ("revenue", V, "revenue", None)],
    "mom": [
        ("revenue", V, "revenue", None),
        ("revenue__baseline", B, "revenue", None),
        ("revenue__delta", D, "revenue", None),
        ("revenue__ratio", RA, "revenue", None),
    ],
    "series_mom": [
        ("period", ColumnRole.PERIOD, None, None),
        ("revenue", V, "revenue", None),
        ("revenue__baseline", B, "revenue", None),
        ("revenue__delta", D, "revenue", None),
        ("revenue__ratio", RA, "revenue", None),
    ],
    "target": [
        ("region_id", ColumnRole.DIMENSION, None, "region"),
        ("region", ColumnRole.LABEL, None, "region"),
        ("revenue", V, "revenue", None),
        ("revenue__baseline", T, "revenue", None),
        ("revenue__delta", D, "revenue", None),
        ("revenue__ratio", RA, "revenue", None),
    ],
    "list_attributes": [
        ("product_id", ColumnRole.DIMENSION, None, "product"),
        ("product", ColumnRole.LABEL, None, "product"),
        ("product__line", ColumnRole.ATTRIBUTE, None, "product"),
        ("product__list_price", ColumnRole.ATTRIBUTE, None, "product"),
        ("revenue", V, "revenue", None),
    ],
    "top_n": [
        ("product_id", ColumnRole.DIMENSION, None, "product"),
        ("product", ColumnRole.LABEL, None, "product"),
        ("revenue", V, "revenue", None),
    ],
    "share_of_member": [
        ("revenue", V, "revenue", None),
        ("revenue__total", ColumnRole.TOTAL, "revenue", None),
        ("revenue__share", ColumnRole.SHARE, "revenue", None),
    ],
    "other_period": [
        ("order_count", V, "order_count", None),
        ("order_count__baseline", B, "order_count", None),
        ("order_count__delta", D, "order_count", None),
        ("order_count__ratio", RA, "order_count", None),
    ],
}


@pytest.mark.parametrize("case", sorted(DESCRIPTORS))
def test_compiled_columns_are_described_by_role(case: str, demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES[case]
    compiled = compile_plan(plan, demo_catalog, asker, language=language)
    assert [(c.name, c.role, c.metric, c.dimension) for c in compiled.columns] == DESCRIPTORS[case]


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_descriptors_follow_the_select_list(case: str, demo_catalog: Catalog) -> None:
    _, plan, asker, language = SNAPSHOT_CASES[case]
    compiled = compile_plan(plan, demo_catalog, asker, language=language)
    final = sqlglot.parse_one(compiled.sql, dialect="duckdb")
    assert isinstance(final, exp.Select)
    assert tuple(e.alias_or_name for e in final.expressions) == compiled.names
    row_filtered = [rf.dimension for rf in demo_catalog.roles[asker.role].row_filters]
    assert compiled.columns == plan_columns(plan, row_filtered if plan.intent is Intent.SHARE else ())


def test_order_by_a_value_kind_sorts_its_column(demo_catalog: Catalog) -> None:
    def order_sql(plan: QueryPlan) -> str:
        compiled = compile_plan(plan, demo_catalog, EXEC)
        return str(sqlglot.parse_one(compiled.sql).args["order"].sql())

    _, target, _, _ = SNAPSHOT_CASES["target"]
    attainment = OrderBy(metric="revenue", value=ValueKind.ATTAINMENT, direction="asc")
    assert order_sql(target.model_copy(update={"order": (attainment,)})).startswith("ORDER BY revenue__ratio")
    baseline = OrderBy(metric="revenue", value=ValueKind.BASELINE)
    assert order_sql(target.model_copy(update={"order": (baseline,)})).startswith(
        "ORDER BY revenue__baseline DESC"
    )
    _, yoy, _, _ = SNAPSHOT_CASES["yoy"]
    delta = OrderBy.model_validate({"by": "order_count__delta", "direction": "asc"})
    assert order_sql(yoy.model_copy(update={"order": (delta,)})).startswith("ORDER BY order_count__delta")
    by_label = OrderBy(metric="region", direction="asc")
    assert order_sql(yoy.model_copy(update={"order": (by_label,)})).startswith("ORDER BY region")


# --- the shapes of issue 10 -----------------------------------------------------------------------


def test_a_scoped_askers_total_is_described_as_scoped(demo_catalog: Catalog) -> None:
    _, plan, asker, _ = SNAPSHOT_CASES["share_scoped"]
    total = compile_plan(plan, demo_catalog, asker).columns[3]
    assert (total.role, total.scoped_by) == (ColumnRole.TOTAL, ("region",))
    assert compile_plan(plan, demo_catalog, EXEC).columns[3].scoped_by == ()


def test_threshold_numbers_are_bound_last(demo_catalog: Catalog) -> None:
    _, plan, asker, _ = SNAPSHOT_CASES["threshold_missed_target"]
    two = plan.model_copy(
        update={"having": (*plan.having, Threshold(metric="revenue", op=ThresholdOp.GE, number=1234.5))}
    )
    compiled = compile_plan(two, demo_catalog, asker)
    assert compiled.params[-2:] == (1.0, 1234.5)
    assert "1234.5" not in compiled.sql
    where = sqlglot.parse_one(compiled.sql).args["where"]
    assert len(list(where.find_all(exp.Placeholder))) == 2


def test_rank_by_change_puts_nulls_last_in_every_dialect(demo_catalog: Catalog) -> None:
    _, plan, asker, _ = SNAPSHOT_CASES["rank_by_change"]
    postgres = compile_plan(plan, demo_catalog, asker, dialect="postgres").sql
    assert "revenue__delta DESC NULLS LAST" in postgres
    ascending = plan.model_copy(
        update={"order": (OrderBy(metric="revenue", value=ValueKind.RATIO, direction="asc"),)}
    )
    assert "ORDER BY\n  revenue__ratio ASC," in compile_plan(ascending, demo_catalog, asker).sql


def test_a_share_of_a_ratio_does_not_compile(demo_catalog: Catalog) -> None:
    plan = QueryPlan(metrics=("gross_margin",), dimensions=("region",), time=OCT, intent=Intent.SHARE)
    with pytest.raises(InvalidPlanError):
        compile_plan(plan, demo_catalog, EXEC)


@pytest.mark.parametrize(
    ("grain", "time_start", "baseline_start", "shift"),
    [
        (Grain.MONTH, date(2026, 1, 1), date(2025, 1, 1), Shift(months=12)),
        (Grain.QUARTER, date(2026, 7, 1), date(2026, 1, 1), Shift(months=6)),
        (Grain.DAY, date(2026, 11, 11), date(2025, 11, 11), Shift(days=365)),
        (Grain.WEEK, date(2026, 11, 16), date(2025, 11, 17), Shift(days=364)),
        (Grain.WEEK, date(2026, 11, 16), date(2025, 11, 19), Shift(days=364)),
    ],
)
def test_other_period_series_shift(
    grain: Grain, time_start: date, baseline_start: date, shift: Shift
) -> None:
    """Buckets move forward by whole months (month, quarter, year) or days; whole weeks for weeks."""
    time = TimeRange(start=time_start, end=date(2026, 11, 20), grain=grain)
    baseline = TimeRange(start=baseline_start, end=date(2025, 12, 31), grain=grain)
    assert other_shift(time, baseline) == shift


def test_unused_joins_are_pruned(demo_catalog: Catalog) -> None:
    total = compile_plan(QueryPlan(metrics=("payment_amount",), time=OCT), demo_catalog, EXEC)
    assert "JOIN" not in total.sql and not any(s.startswith("fact_order.") for s in total.sources)
    by_region = compile_plan(
        QueryPlan(metrics=("payment_amount",), dimensions=("region",), time=OCT), demo_catalog, EXEC
    )
    assert "JOIN fact_order AS o" in by_region.sql  # the region sits on the order the payment pays


def test_a_required_join_is_kept(demo_catalog: Catalog) -> None:
    model = demo_catalog.models["payments"]
    joins = [j.model_copy(update={"required": True}) for j in model.joins]
    models = {**demo_catalog.models, "payments": model.model_copy(update={"joins": joins})}
    catalog = demo_catalog.model_copy(update={"models": models})
    assert (
        "JOIN fact_order AS o"
        in compile_plan(QueryPlan(metrics=("payment_amount",), time=OCT), catalog, EXEC).sql
    )

"""Governance: what may be asked, by whom, over which rows (assistant/governance.py)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.executor import execute
from metricqa.assistant.semantic.governance import allowed_dimensions, check_plan
from metricqa.assistant.semantic.plan import Comparison, QueryPlan, TimeRange
from metricqa.catalog.models import Aggregation, Catalog, Role, RowFilter
from metricqa.core.asker import Asker
from metricqa.core.errors import (
    AccessDeniedError,
    InvalidPlanError,
    MetricNotApprovedError,
    UnknownDimensionError,
    UnknownMemberError,
    UnknownMetricError,
    UserFacingError,
)

OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31))
EXEC = Asker()
EAST = Asker(role="regional_manager", scope={"region": "EAST"})


def plan(*metrics: str, **kw: object) -> QueryPlan:
    return QueryPlan.model_validate({"metrics": metrics, "time": OCT, **kw})


def refused(
    error: type[UserFacingError],
    p: QueryPlan,
    catalog: Catalog,
    asker: Asker = EXEC,
    members: dict[str, set[str]] | None = None,
) -> UserFacingError:
    with pytest.raises(error) as info:
        check_plan(p, catalog, asker, members)
    assert (
        info.value.message_for("en")
        and info.value.message_for("zh")
        and info.value.message_for("en") != info.value.message_for("zh")
    )
    return info.value


def test_approved_metric_passes(demo_catalog: Catalog) -> None:
    check_plan(plan("revenue", dimensions=["region"]), demo_catalog, EXEC)


def test_unknown_metric_suggests_near_ids_and_names(demo_catalog: Catalog) -> None:
    err = refused(UnknownMetricError, plan("revenu"), demo_catalog)
    assert err.suggestions[0] == "revenue" and "revenue" in err.message_for("en")
    err = refused(UnknownMetricError, plan("win rat"), demo_catalog)
    assert "win_rate" in err.suggestions


def test_draft_is_refused(demo_catalog: Catalog) -> None:
    err = refused(MetricNotApprovedError, plan("nps"), demo_catalog)
    assert "draft and not approved for use" in err.message_for("en")
    assert "草稿" in err.message_for("zh") and err.details["status"] == "draft"
    assert "nps" not in err.suggestions


def test_deprecated_is_refused_naming_its_replacement(demo_catalog: Catalog) -> None:
    err = refused(MetricNotApprovedError, plan("gross_sales_legacy"), demo_catalog)
    assert "deprecated" in err.message_for("en") and "revenue" in err.message_for("en")
    assert "tax" in err.message_for("en")  # the deprecation reason
    assert (
        "已停用" in err.message_for("zh")
        and "销售额" in err.message_for("zh")
        and "含税" in err.message_for("zh")
    )
    assert err.suggestions == ["revenue"]


@pytest.mark.parametrize(
    ("asker", "metric", "allowed"),
    [
        (
            Asker(role="sales_rep", scope={"rep": "R001"}),
            "gross_margin",
            {"revenue", "win_rate", "pipeline_amount"},
        ),
        (Asker(role="marketing"), "revenue", {"lead_count", "lead_conversion_rate", "new_customers"}),
        (EAST, "gross_profit", {"revenue", "collection_rate"}),
    ],
)
def test_forbidden_metric_lists_what_the_role_may_ask(
    asker: Asker, metric: str, allowed: set[str], demo_catalog: Catalog
) -> None:
    err = refused(AccessDeniedError, plan(metric), demo_catalog, asker)
    assert allowed <= set(err.suggestions) and metric not in err.suggestions
    assert all(a in err.message_for("en") for a in allowed)
    assert err.http_status == 403


def test_unknown_role_is_denied(demo_catalog: Catalog) -> None:
    err = refused(AccessDeniedError, plan("revenue"), demo_catalog, Asker(role="ceo"))
    assert "ceo" in err.message_for("en")


def test_row_filter_needs_a_scope_value(demo_catalog: Catalog) -> None:
    refused(AccessDeniedError, plan("revenue"), demo_catalog, Asker(role="regional_manager"))
    refused(
        AccessDeniedError, plan("revenue"), demo_catalog, Asker(role="sales_rep", scope={"region": "EAST"})
    )


def test_row_filter_a_model_cannot_apply_is_denied_not_dropped(demo_catalog: Catalog) -> None:
    rep_role = Role(id="rep_all", metrics="*", row_filters=[RowFilter(dimension="rep", scope="rep")])
    catalog = demo_catalog.model_copy(update={"roles": {**demo_catalog.roles, "rep_all": rep_role}})
    rep = Asker(role="rep_all", scope={"rep": "R001"})
    check_plan(plan("payment_amount"), catalog, rep)
    err = refused(AccessDeniedError, plan("new_customers"), catalog, rep)
    assert "customers" in err.message_for("en") and err.details["dimension"] == "rep"
    err = refused(AccessDeniedError, plan("revenue", comparison=Comparison.TARGET), catalog, rep)
    assert err.details["models"] == ["targets"]
    with pytest.raises(AccessDeniedError):
        compile_plan(plan("new_customers"), catalog, rep)
    # the demo's sales_rep may not even see the target metric
    sales_rep = Asker(role="sales_rep", scope={"rep": "R001"})
    err = refused(AccessDeniedError, plan("revenue", comparison=Comparison.TARGET), demo_catalog, sales_rep)
    assert "revenue_target" in err.message_for("en")


def test_row_filtered_asker_may_not_filter_to_other_members(demo_catalog: Catalog) -> None:
    other = plan("revenue", filters=[{"dimension": "region", "values": ["NORTH"]}])
    err = refused(AccessDeniedError, other, demo_catalog, EAST)
    assert "NORTH" in err.message_for("en")
    check_plan(plan("revenue", filters=[{"dimension": "region", "values": ["EAST"]}]), demo_catalog, EAST)


def test_unknown_dimension_suggests(demo_catalog: Catalog) -> None:
    err = refused(UnknownDimensionError, plan("revenue", dimensions=["regoin"]), demo_catalog)
    assert err.suggestions[0] == "region"
    err = refused(
        UnknownDimensionError,
        plan("revenue", filters=[{"dimension": "chanel", "values": ["X"]}]),
        demo_catalog,
    )
    assert "channel" in err.suggestions


def test_unknown_member(demo_catalog: Catalog) -> None:
    members = {"region": {"EAST", "NORTH", "SOUTH", "WEST", "CENTRAL"}}
    p = plan("revenue", filters=[{"dimension": "region", "values": ["EASTT"]}])
    err = refused(UnknownMemberError, p, demo_catalog, members=members)
    assert err.suggestions[0] == "EAST"
    check_plan(
        plan("revenue", filters=[{"dimension": "region", "values": ["EAST"]}]), demo_catalog, EXEC, members
    )


def test_split_by_a_dimension_the_metric_does_not_have(demo_catalog: Catalog) -> None:
    err = refused(InvalidPlanError, plan("revenue_target", dimensions=["channel"]), demo_catalog)
    assert err.suggestions == ["region"]
    err = refused(
        InvalidPlanError,
        plan("lead_count", filters=[{"dimension": "product", "values": ["P1"]}]),
        demo_catalog,
    )
    assert set(err.suggestions) == {"region", "channel", "lead_source"}
    assert allowed_dimensions(demo_catalog, "collection_rate") == ["region", "channel", "segment", "rep"]


def test_start_after_end_is_invalid(demo_catalog: Catalog) -> None:
    backwards = QueryPlan(
        metrics=("revenue",), time=TimeRange(start=date(2026, 11, 1), end=date(2026, 10, 1))
    )
    refused(InvalidPlanError, backwards, demo_catalog)


# --- row filters, executed ------------------------------------------------------------------------


def rows(
    catalog: Catalog, con: duckdb.DuckDBPyConnection, p: QueryPlan, asker: Asker
) -> list[tuple[object, ...]]:
    return list(execute(compile_plan(p, catalog, asker), con, row_cap=10_000, timeout_s=30).rows)


@pytest.mark.parametrize(
    "metric", ["revenue", "order_count", "lead_count", "collection_rate", "target_attainment"]
)
def test_regional_manager_sees_the_execs_numbers_for_their_region(
    metric: str, demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    by_channel = "target_attainment" not in metric
    dims = ["channel"] if by_channel else []
    p = plan(metric, dimensions=dims)
    exec_view = plan(metric, dimensions=dims, filters=[{"dimension": "region", "values": ["EAST"]}])
    mine = rows(demo_catalog, demo_con, p, EAST)
    assert mine and mine == rows(demo_catalog, demo_con, exec_view, EXEC)
    everyone = rows(demo_catalog, demo_con, p, EXEC)
    assert mine != everyone


def test_sales_rep_sees_only_own_rows(demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection) -> None:
    rep = Asker(role="sales_rep", scope={"rep": "R001"})
    p = QueryPlan(
        metrics=("revenue", "order_count"),
        time=TimeRange(start=date(2026, 1, 1), end=date(2026, 10, 31)),
        dimensions=("channel",),
    )
    got = {r[0]: (r[2], r[3]) for r in rows(demo_catalog, demo_con, p, rep)}
    hand = demo_con.execute(
        """SELECT o.channel_id, SUM(l.quantity * l.unit_price - l.discount_amount), COUNT(DISTINCT o.order_id)
           FROM fact_order o JOIN fact_order_line l ON l.order_id = o.order_id
           WHERE o.status = 'completed' AND o.rep_id = ? AND o.order_date BETWEEN ? AND ?
           GROUP BY 1""",
        ["R001", date(2026, 1, 1), date(2026, 10, 31)],
    ).fetchall()
    assert len(got) == len(hand) > 0
    for channel, revenue, orders in hand:
        assert got[channel][0] == pytest.approx(float(revenue)) and got[channel][1] == orders
    total = rows(demo_catalog, demo_con, p, EXEC)
    assert sum(r[2] for r in total) > sum(v[0] for v in got.values())


def test_filter_values_are_bound_not_spliced(
    demo_catalog: Catalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    evil = "EAST' OR 1=1 --"
    p = plan("revenue", dimensions=["region"], filters=[{"dimension": "region", "values": [evil]}])
    compiled = compile_plan(p, demo_catalog, EXEC)
    assert evil in compiled.params and evil not in compiled.sql
    assert rows(demo_catalog, demo_con, p, EXEC) == []
    members = {"region": {"EAST", "NORTH", "SOUTH", "WEST", "CENTRAL"}}
    refused(UnknownMemberError, p, demo_catalog, members=members)
    scoped = Asker(role="regional_manager", scope={"region": evil})
    assert rows(demo_catalog, demo_con, plan("revenue", dimensions=["region"]), scoped) == []


# --- the shapes of issue 10: shares, thresholds, two periods -------------------------------------


def share(*metrics: str, **kw: object) -> QueryPlan:
    return plan(*metrics, intent="share", **kw)


@pytest.mark.parametrize("metric", ["revenue", "gross_profit", "order_count", "lead_count", "new_customers"])
def test_a_share_of_a_sum_or_a_count_passes(demo_catalog: Catalog, metric: str) -> None:
    """Sums, a sum's difference (gross profit = revenue − cogs) and distinct counts add up across members."""
    dims = ["region"]
    check_plan(share(metric, dimensions=dims), demo_catalog, EXEC)


@pytest.mark.parametrize(("metric", "en", "zh"), [
    ("gross_margin", "is a ratio (Gross profit ÷ Revenue)", "是比率(毛利÷销售额)"),
    ("avg_order_value", "is a ratio", "是比率"),
    ("win_rate", "is a ratio", "是比率"),
])  # fmt: skip
def test_a_share_of_a_ratio_is_refused_saying_why(
    demo_catalog: Catalog, metric: str, en: str, zh: str
) -> None:
    err = refused(InvalidPlanError, share(metric, dimensions=["region"]), demo_catalog)
    assert en in err.message_for("en") and zh in err.message_for("zh")
    assert "revenue" in err.suggestions and metric not in err.suggestions


def test_a_share_of_an_average_or_a_formula_is_refused(demo_catalog: Catalog) -> None:
    line = demo_catalog.measures["revenue_amount"]
    avg = line.model_copy(update={"id": "avg_line", "agg": Aggregation.AVG})
    revenue = demo_catalog.metrics["revenue"]
    metrics = {
        **demo_catalog.metrics,
        "avg_line_value": revenue.model_copy(update={"id": "avg_line_value", "measure": "avg_line"}),
        "squared": demo_catalog.metrics["gross_profit"].model_copy(
            update={"id": "squared", "expr": "revenue * revenue"}
        ),
        "scaled": demo_catalog.metrics["gross_profit"].model_copy(
            update={"id": "scaled", "expr": "(revenue - cogs_amount) / 2"}
        ),
    }
    catalog = demo_catalog.model_copy(
        update={"measures": {**demo_catalog.measures, "avg_line": avg}, "metrics": metrics}
    )
    err = refused(InvalidPlanError, share("avg_line_value", dimensions=["region"]), catalog)
    assert "an average" in err.message_for("en") and "平均值" in err.message_for("zh")
    err = refused(InvalidPlanError, share("squared", dimensions=["region"]), catalog)
    assert "a formula that is not a sum (revenue * revenue)" in err.message_for("en")
    check_plan(share("scaled", dimensions=["region"]), catalog, EXEC)


def test_a_share_needs_members_and_no_comparison(demo_catalog: Catalog) -> None:
    err = refused(InvalidPlanError, share("revenue"), demo_catalog)
    assert "region" in err.suggestions
    check_plan(share("revenue", filters=[{"dimension": "channel", "values": ["ONLINE"]}]), demo_catalog, EXEC)
    compared = share("revenue", dimensions=["region"], comparison="previous_period")
    refused(InvalidPlanError, compared, demo_catalog)


def test_a_scoped_askers_share_stays_inside_the_scope(demo_catalog: Catalog) -> None:
    """An East manager's share by channel is of the East's total (allowed, and the total says so); a
    share of all regions, or of the East among them, needs other regions' rows: refused."""
    check_plan(share("revenue", dimensions=["channel"]), demo_catalog, EAST)
    for p in (
        share("revenue", dimensions=["region"]),
        share("revenue", filters=[{"dimension": "region", "values": ["EAST"]}]),
    ):
        err = refused(AccessDeniedError, p, demo_catalog, EAST)
        assert err.reason.value == "out_of_scope" and "Region" in err.message_for("en")
        assert "权限范围之外" in err.message_for("zh")


def test_thresholds_read_figures_the_result_has(demo_catalog: Catalog) -> None:
    def having(value: str, **kw: object) -> QueryPlan:
        threshold = {"metric": "revenue", "value": value, "op": "lt", "number": 1}
        return plan("revenue", dimensions=["region"], having=[threshold], **kw)

    check_plan(having("value"), demo_catalog, EXEC)
    check_plan(having("ratio", comparison="target"), demo_catalog, EXEC)
    check_plan(having("delta", comparison="previous_period"), demo_catalog, EXEC)
    check_plan(having("share", intent="share"), demo_catalog, EXEC)
    for bad in (having("ratio"), having("delta"), having("baseline"), having("share"), having("total")):
        err = refused(InvalidPlanError, bad, demo_catalog)
        assert err.suggestions == ["revenue"] and bad.having[0].by in err.message_for("en")
    other = plan("revenue", having=[{"metric": "order_count", "op": "gt", "number": 200}])
    assert "order_count" in refused(InvalidPlanError, other, demo_catalog).message_for("zh")


def test_orders_by_a_share_need_a_share(demo_catalog: Catalog) -> None:
    by_share = [{"by": "revenue__share", "direction": "desc"}]
    check_plan(share("revenue", dimensions=["region"], order=by_share), demo_catalog, EXEC)
    refused(InvalidPlanError, plan("revenue", dimensions=["region"], order=by_share), demo_catalog)
    by_delta = [{"by": "revenue__delta", "direction": "desc"}]
    check_plan(plan("revenue", dimensions=["region"], comparison="same_period_last_year", order=by_delta),
               demo_catalog, EXEC)  # fmt: skip


def test_another_period_must_be_named_and_run_forwards(demo_catalog: Catalog) -> None:
    jun = TimeRange(start=date(2026, 6, 1), end=date(2026, 6, 30))
    ok = plan("revenue", comparison="other_period", baseline_time=jun)
    check_plan(ok, demo_catalog, EXEC)
    err = refused(InvalidPlanError, ok.model_copy(update={"baseline_time": None}), demo_catalog)
    assert err.reason.value == "bad_period"
    backwards = TimeRange(start=date(2026, 6, 30), end=date(2026, 6, 1))
    refused(InvalidPlanError, ok.model_copy(update={"baseline_time": backwards}), demo_catalog)

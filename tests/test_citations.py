"""Citations: one per metric used, from the catalog: 口径, formula, table.column sources, lineage chain."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metricqa.assistant.presentation.citations import cite, cited_metrics
from metricqa.assistant.semantic.plan import Comparison, Filter, QueryPlan, TimeRange
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog, Measure, Metric, SemanticModel, Text

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"
TIME = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31), label="October 2026")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEMO)


def plan(*metrics: str, **kw: object) -> QueryPlan:
    return QueryPlan(metrics=metrics, time=TIME, **kw)  # type: ignore[arg-type]


def test_simple_metric_citation(catalog: Catalog) -> None:
    [c] = cite(plan("revenue"), catalog, "en")
    assert (c.metric, c.name, c.version, c.status) == ("revenue", "Revenue", 3, "approved")
    assert c.owner == "Li Na (Sales Ops)" and c.department == "Sales Operations"
    assert c.formula == "SUM(l.quantity * l.unit_price - l.discount_amount) WHERE o.status = 'completed'"
    assert set(c.sources) == {
        "fact_order_line.quantity",
        "fact_order_line.unit_price",
        "fact_order_line.discount_amount",
        "fact_order.status",
        "fact_order.order_date",
    }
    assert c.lineage[0].startswith("ERP (SAP S/4HANA)") and "fact_order_line, fact_order" in c.lineage
    assert c.lineage[-1] == "Revenue (revenue)"


def test_ratio_and_derived_metrics_cite_their_parents(catalog: Catalog) -> None:
    [c] = cite(plan("gross_margin"), catalog, "zh")
    assert c.name == "毛利率" and c.definition.startswith("毛利 ÷ 销售额")
    assert c.formula == "gross_profit / revenue"
    assert "fact_order_line.unit_cost" in c.sources and "fact_order_line.unit_price" in c.sources
    assert c.lineage[-3:] == ["销售额 (revenue)", "毛利 (gross_profit)", "毛利率 (gross_margin)"]
    assert "Product master (PIM)" in c.lineage[0] and "dim_product" in c.lineage[1]
    [gp] = cite(plan("gross_profit"), catalog, "en")
    assert gp.formula == "revenue - cogs_amount"


def test_one_citation_per_metric_and_target_when_compared(catalog: Catalog) -> None:
    cites = cite(plan("revenue", "order_count"), catalog, "en")
    assert [c.metric for c in cites] == ["revenue", "order_count"]
    assert cited_metrics(plan("revenue", comparison=Comparison.TARGET), catalog) == [
        "revenue",
        "revenue_target",
    ]
    target = cite(plan("revenue", comparison=Comparison.TARGET), catalog, "en")[1]
    assert target.sources == ["fact_target.target_value", "fact_target.metric", "fact_target.month"]
    assert target.lineage[0] == "FP&A planning (Anaplan)"


def test_dimensions_filters_and_compiler_sources_are_added(catalog: Catalog) -> None:
    p = plan(
        "payment_amount", dimensions=("region",), filters=(Filter(dimension="channel", values=("ONLINE",)),)
    )
    [c] = cite(p, catalog, "en", ["fact_payment.amount", "fact_order.rep_id", "dim_region.region_name"])
    assert "fact_order.region_id" in c.sources and "fact_order.channel_id" in c.sources  # joined header
    assert "fact_payment.payment_date" in c.sources
    assert "fact_order.rep_id" in c.sources  # from the compiler, a table this metric reads
    assert "dim_region.region_name" not in c.sources  # not one of this metric's tables
    assert len(c.sources) == len(set(c.sources))


def test_every_catalog_metric_with_a_measure_cites_sources(catalog: Catalog) -> None:
    for metric in catalog.metrics.values():
        [c] = cite(plan(metric.id), catalog, "zh")
        assert c.lineage and c.formula is not None
        if metric.measure or metric.numerator or metric.expr:
            assert c.sources and all("." in s for s in c.sources), metric.id


def test_citations_work_on_another_catalog() -> None:
    cat = Catalog(
        root="mem",
        models={
            "visits": SemanticModel(
                id="visits", table="web_visits", alias="v", time="v.visited_at", system="Web analytics"
            )
        },
        measures={"visit_count": Measure(id="visit_count", model="visits", agg="count", expr="v.visit_id")},
        metrics={
            "visits": Metric(
                id="visits",
                type="simple",
                measure="visit_count",
                name=Text(en="Visits", zh="访问量"),
                description=Text(en="Site visits"),
                definition=Text(en="Count of visits"),
                owner="Web team",
                department="Digital",
            )
        },
        dimensions={},
        roles={},
    )
    [c] = cite(plan("visits"), cat, "zh")
    assert c.name == "访问量" and c.formula == "COUNT(v.visit_id)"
    assert c.sources == ["web_visits.visit_id", "web_visits.visited_at"]
    assert c.lineage == ["Web analytics", "web_visits", "visit_count", "访问量 (visits)"]

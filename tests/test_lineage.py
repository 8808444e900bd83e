"""Lineage: metric → parents → measures → model → tables/columns → source system; JSON and ASCII tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metricqa.assistant.presentation.lineage import (
    format_tree,
    lineage_chain,
    lineage_json,
    lineage_tree,
    walk,
)
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog, Metric, Text

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEMO)


def test_gross_margin_tree_reaches_parents_tables_and_systems(catalog: Catalog) -> None:
    tree = lineage_tree(catalog, "gross_margin")
    assert (tree.kind, tree.id) == ("metric", "gross_margin")
    assert [c.id for c in tree.children if c.kind == "metric"] == ["gross_profit", "revenue"]
    nodes = walk(tree)
    ids = {(n.kind, n.id) for n in nodes}
    assert {("measure", "revenue_amount"), ("measure", "cogs_amount"), ("model", "order_lines")} <= ids
    assert {
        ("table", "fact_order_line"),
        ("table", "fact_order"),
        ("system", "ERP (SAP S/4HANA) sales orders"),
    } <= ids
    line_table = next(
        n for n in nodes if n.kind == "table" and n.id == "fact_order_line" and "unit_cost" in n.columns
    )
    assert set(line_table.columns) == {"quantity", "unit_cost"}


def test_lineage_json(catalog: Catalog) -> None:
    data = lineage_json(catalog, "gross_margin")
    assert json.loads(json.dumps(data)) == data
    assert data["parents"] == ["gross_profit", "revenue"] and data["ancestors"] == ["revenue", "gross_profit"]
    assert data["measures"] == ["revenue_amount", "cogs_amount"]
    assert {"fact_order_line", "fact_order", "dim_product"} <= set(data["tables"])
    assert "fact_order_line.unit_cost" in data["sources"] and data["formula"] == "gross_profit / revenue"
    assert "ERP (SAP S/4HANA)" not in data["systems"]  # folded into the more specific model system
    assert data["tree"]["children"][0]["id"] == "gross_profit"


def test_format_tree_is_an_ascii_tree(catalog: Catalog) -> None:
    text = format_tree(lineage_tree(catalog, "target_attainment"), "en")
    lines = text.splitlines()
    assert lines[0] == "metric target_attainment  Target attainment  [ratio: revenue / revenue_target]"
    assert any(line.startswith("├── metric revenue ") for line in lines)
    assert any(line.startswith("├── metric revenue_target ") for line in lines)
    assert any("table fact_target: target_value, metric, month" in line for line in lines)
    assert any("system FP&A planning (Anaplan)" in line for line in lines)
    assert lines[-1].startswith("└── ")
    zh = format_tree(lineage_tree(catalog, "target_attainment"), "zh")
    assert zh.startswith("指标 target_attainment  目标完成率") and "来源系统" in zh and "│   " in zh


def test_chain_orders_ancestors_farthest_first(catalog: Catalog) -> None:
    chain = lineage_chain(catalog, "gross_margin")
    assert chain[-3:] == ["Revenue (revenue)", "Gross profit (gross_profit)", "Gross margin (gross_margin)"]


def test_unknown_metric_and_cycles(catalog: Catalog) -> None:
    with pytest.raises(KeyError):
        lineage_tree(catalog, "no_such_metric")
    loop = {
        mid: Metric(
            id=mid,
            type="derived",
            expr=expr,
            name=Text(en=mid),
            description=Text(en=mid),
            definition=Text(en=mid),
            owner="x",
            department="y",
        )
        for mid, expr in (("a", "b + 1"), ("b", "a - revenue"))
    }
    cyclic = catalog.model_copy(update={"metrics": {**catalog.metrics, **loop}})
    tree = lineage_tree(cyclic, "a")
    assert len(walk(tree)) < 100
    assert "revenue_amount" in lineage_json(cyclic, "a")["measures"]

"""Catalog loading and validation: every problem is reported with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metricqa.catalog.loader import load_catalog, parse_catalog
from metricqa.catalog.models import MetricType, Status
from metricqa.catalog.store import CatalogStore
from metricqa.core.errors import CatalogError

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"


@pytest.fixture()
def catalog_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "cat"
    shutil.copytree(DEMO, dest)
    return dest


def test_demo_catalog_loads_every_spec_metric() -> None:
    cat = load_catalog(DEMO)
    spec_ids = {
        "revenue",
        "gross_profit",
        "gross_margin",
        "order_count",
        "avg_order_value",
        "new_customers",
        "lead_count",
        "lead_conversion_rate",
        "win_rate",
        "pipeline_amount",
        "payment_amount",
        "collection_rate",
        "revenue_target",
        "target_attainment",
        "return_rate",
    }
    approved = {m.id for m in cat.approved_metrics()}
    assert spec_ids <= approved
    assert cat.metrics["nps"].status is Status.DRAFT
    assert cat.metrics["gross_sales_legacy"].status is Status.DEPRECATED
    assert cat.metrics["gross_sales_legacy"].replaced_by == "revenue"
    assert {m.type for m in cat.metrics.values()} == {MetricType.SIMPLE, MetricType.RATIO, MetricType.DERIVED}
    assert cat.metrics["revenue"].name.zh == "销售额"
    assert cat.metrics["revenue"].source is not None and cat.metrics["revenue"].source.line > 1


def test_unknown_yaml_key_names_file_line_and_field(catalog_copy: Path) -> None:
    path = catalog_copy / "metrics_pipeline.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    unit: count\n", "    unit: count\n    owner_email: x@y\n", 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    issue = next(i for i in info.value.issues if i.field == "owner_email")
    assert issue.file.endswith("metrics_pipeline.yaml")
    expected_line = text.splitlines().index("    owner_email: x@y") + 1
    assert issue.line == expected_line


def test_yaml_syntax_error_has_line(catalog_copy: Path) -> None:
    (catalog_copy / "broken.yaml").write_text("metrics:\n  - id: x\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    issue = next(i for i in info.value.issues if i.file.endswith("broken.yaml"))
    assert "YAML syntax error" in issue.message and issue.line is not None


def test_missing_ratio_part_and_unknown_measure(catalog_copy: Path) -> None:
    extra = """metrics:
  - id: broken_ratio
    type: ratio
    numerator: revenue
    name: {en: Broken}
    description: {en: d}
    definition: {en: d}
    owner: o
    department: d
  - id: broken_simple
    type: simple
    measure: no_such_measure
    name: {en: Broken simple}
    description: {en: d}
    definition: {en: d}
    owner: o
    department: d
"""
    (catalog_copy / "extra.yaml").write_text(extra, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    messages = [(i.message, i.line, i.field) for i in info.value.issues]
    assert any("missing `denominator`" in m and line == 2 and f == "denominator" for m, line, f in messages)
    assert any("unknown measure `no_such_measure`" in m and line == 10 for m, line, _ in messages)


def test_cycle_in_derived_metrics_is_reported(catalog_copy: Path) -> None:
    extra = """metrics:
  - {id: a_metric, type: derived, expr: b_metric + 1, name: {en: A}, description: {en: d}, definition: {en: d}, owner: o, department: d}
  - {id: b_metric, type: derived, expr: a_metric * 2, name: {en: B}, description: {en: d}, definition: {en: d}, owner: o, department: d}
"""
    (catalog_copy / "cycle.yaml").write_text(extra, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    assert any("cycle" in i.message and "a_metric" in i.message for i in info.value.issues)


def test_synonym_claimed_by_two_metrics_is_a_conflict(catalog_copy: Path) -> None:
    path = catalog_copy / "metrics_pipeline.yaml"
    text = path.read_text(encoding="utf-8").replace("zh: [线索量,", "zh: [营收, 线索量,", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    conflict = [i for i in info.value.issues if "口径冲突" in i.message]
    assert conflict and "revenue" in conflict[0].message and "lead_count" in conflict[0].message


def test_schema_check_names_unknown_table_and_column(catalog_copy: Path) -> None:
    schema = {
        "fact_order_line": {
            "order_id": "VARCHAR",
            "quantity": "INTEGER",
            "unit_price": "DECIMAL",
            "unit_cost": "DECIMAL",
        },
        "fact_order": {
            "order_id": "VARCHAR",
            "order_date": "DATE",
            "status": "VARCHAR",
            "region_id": "VARCHAR",
            "channel_id": "VARCHAR",
            "rep_id": "VARCHAR",
            "customer_id": "VARCHAR",
        },
    }
    _, _ = parse_catalog(catalog_copy)
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy, schema)
    msgs = [i.message for i in info.value.issues]
    assert any("column `discount_amount` does not exist in table `fact_order_line`" in m for m in msgs)
    assert any("table `fact_payment`" in m and "does not exist" in m for m in msgs)
    assert all(i.file.endswith(".yaml") for i in info.value.issues)


def test_store_keeps_old_catalog_live_when_reload_fails(catalog_copy: Path) -> None:
    store = CatalogStore(catalog_copy)
    before = store.current
    (catalog_copy / "bad.yaml").write_text("metrics:\n  - id: 1\n    nonsense: true\n", encoding="utf-8")
    issues = store.reload()
    assert issues and any(i.file.endswith("bad.yaml") and i.line is not None for i in issues)
    assert store.current is before
    (catalog_copy / "bad.yaml").unlink()
    assert store.reload() == []

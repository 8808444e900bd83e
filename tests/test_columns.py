"""Result column names and descriptors (assistant/semantic/columns.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from metricqa.assistant.semantic.columns import (
    ColumnRole,
    ResultColumn,
    ValueKind,
    column_for,
    derived_name,
    describe,
    described,
    find,
    key_column,
    key_name,
    label_column,
    metric_column,
    names_of,
    parse_column,
    parse_name,
    period_column,
    result_columns,
)

R = ColumnRole


@pytest.mark.parametrize(
    ("metric", "kind", "name"),
    [
        ("revenue", ValueKind.VALUE, "revenue"),
        ("revenue", ValueKind.BASELINE, "revenue__baseline"),
        ("revenue", ValueKind.DELTA, "revenue__delta"),
        ("revenue", ValueKind.RATIO, "revenue__ratio"),
        ("revenue", ValueKind.ATTAINMENT, "revenue__attainment"),
        ("gross__margin", ValueKind.DELTA, "gross__margin__delta"),
    ],
)
def test_derived_names_round_trip(metric: str, kind: ValueKind, name: str) -> None:
    assert derived_name(metric, kind) == name
    assert parse_name(name) == (metric, kind)


@pytest.mark.parametrize("name", ["revenue", "region_id", "period", "revenue__labels", "__ratio", "x__value"])
def test_other_names_parse_as_values(name: str) -> None:
    assert parse_name(name) == (name, ValueKind.VALUE)


def test_attainment_is_read_from_the_ratio_column() -> None:
    assert ValueKind.ATTAINMENT.column_kind is ValueKind.RATIO
    assert all(k.column_kind is k for k in ValueKind if k is not ValueKind.ATTAINMENT)


def test_descriptors_name_themselves() -> None:
    assert period_column() == ResultColumn(name="period", role=R.PERIOD)
    assert key_name("region") == "region_id"
    assert key_column("region") == ResultColumn(name="region_id", role=R.DIMENSION, dimension="region")
    assert label_column("region") == ResultColumn(name="region", role=R.LABEL, dimension="region")
    assert metric_column("revenue").name == "revenue"
    assert metric_column("revenue", R.BASELINE).name == "revenue__baseline"
    assert (
        metric_column("revenue", R.TARGET).name == "revenue__baseline"
    )  # the target sits in the baseline column
    assert metric_column("revenue", R.TARGET).kind is ValueKind.BASELINE
    assert metric_column("revenue", R.RATIO).kind is ValueKind.RATIO
    assert key_column("region").kind is None
    with pytest.raises(ValueError):
        metric_column("revenue", R.LABEL)


def test_descriptors_are_frozen_and_serialise() -> None:
    column = metric_column("revenue", R.DELTA)
    assert column.model_dump(mode="json") == {
        "name": "revenue__delta", "role": "delta", "metric": "revenue", "dimension": None,
    }  # fmt: skip
    assert ResultColumn.model_validate_json(column.model_dump_json()) == column
    with pytest.raises(ValidationError):
        column.name = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ResultColumn(name="x", role="colour")  # type: ignore[arg-type]


def test_result_columns_lay_out_keys_then_metrics() -> None:
    plain = result_columns(["revenue", "order_count"], ["region"], series=False, compared=None)
    assert names_of(plain) == ("region_id", "region", "revenue", "order_count")
    assert [c.role for c in plain] == [R.DIMENSION, R.LABEL, R.VALUE, R.VALUE]
    series = result_columns(["revenue"], [], series=True, compared=R.BASELINE)
    assert [(c.name, c.role, c.metric) for c in series] == [
        ("period", R.PERIOD, None),
        ("revenue", R.VALUE, "revenue"),
        ("revenue__baseline", R.BASELINE, "revenue"),
        ("revenue__delta", R.DELTA, "revenue"),
        ("revenue__ratio", R.RATIO, "revenue"),
    ]
    target = result_columns(["revenue"], ["region"], series=False, compared=R.TARGET)
    assert [c.role for c in target] == [R.DIMENSION, R.LABEL, R.VALUE, R.TARGET, R.DELTA, R.RATIO]
    with pytest.raises(ValueError):
        result_columns(["revenue"], [], series=False, compared=R.DELTA)


def test_find_and_column_for_go_by_role() -> None:
    cols = result_columns(["revenue", "win_rate"], ["region"], series=False, compared=R.TARGET)
    assert find(cols, R.TARGET, metric="win_rate") == metric_column("win_rate", R.TARGET)
    assert find(cols, R.BASELINE, metric="revenue") is None
    assert find(cols, R.LABEL, dimension="region") == label_column("region")
    assert find(cols, R.PERIOD) is None
    assert column_for(cols, "revenue", ValueKind.ATTAINMENT) == metric_column("revenue", R.RATIO)
    assert column_for(cols, "revenue", ValueKind.BASELINE) == metric_column("revenue", R.TARGET)
    assert column_for(cols, "revenue", ValueKind.VALUE) == metric_column("revenue")
    assert column_for(cols, "region", ValueKind.VALUE) == label_column("region")
    assert column_for(cols, "region_id", ValueKind.VALUE) == key_column("region")
    assert column_for(cols, "region", ValueKind.DELTA) is None
    assert column_for(cols, "orders", ValueKind.VALUE) is None


def test_column_for_reads_a_renamed_column_by_its_descriptor() -> None:
    cols = (metric_column("revenue"), ResultColumn(name="prior", role=R.BASELINE, metric="revenue"))
    assert column_for(cols, "revenue", ValueKind.BASELINE) == cols[1]


def test_names_without_descriptors_are_described_from_the_names() -> None:
    names = ["period", "region_id", "region", "revenue", "revenue__baseline", "revenue__ratio", "odd__labels"]
    assert [(c.role, c.metric, c.dimension) for c in describe(names)] == [
        (R.PERIOD, None, None),
        (R.DIMENSION, None, "region"),
        (R.LABEL, None, "region"),
        (R.VALUE, "revenue", None),
        (R.BASELINE, "revenue", None),
        (R.RATIO, "revenue", None),
        (R.VALUE, "odd__labels", None),
    ]
    assert parse_column("region") == ResultColumn(
        name="region", role=R.VALUE, metric="region"
    )  # no key: a value
    assert parse_column("revenue__attainment") == ResultColumn(
        name="revenue__attainment", role=R.RATIO, metric="revenue"
    )


def test_known_descriptors_win_over_the_names() -> None:
    known = result_columns(["revenue"], [], series=False, compared=R.TARGET)
    described_ = describe(["revenue", "revenue__baseline", "extra"], known)
    assert [c.role for c in described_] == [R.VALUE, R.TARGET, R.VALUE]
    assert described(known) == known
    assert described(["revenue__delta"]) == (metric_column("revenue", R.DELTA),)
    assert described([]) == ()


def test_a_share_has_a_total_and_a_share_per_metric() -> None:
    cols = result_columns(["revenue"], ["channel"], series=False, compared=None, shared=True)
    assert [(c.name, c.role) for c in cols[2:]] == [
        ("revenue", R.VALUE),
        ("revenue__total", R.TOTAL),
        ("revenue__share", R.SHARE),
    ]
    assert [c.kind for c in cols[2:]] == [ValueKind.VALUE, ValueKind.TOTAL, ValueKind.SHARE]
    assert parse_name("revenue__share") == ("revenue", ValueKind.SHARE)
    assert parse_column("revenue__total").role is R.TOTAL
    assert column_for(cols, "revenue", ValueKind.SHARE) == cols[-1]


def test_a_scoped_total_says_so_and_only_then_in_the_json() -> None:
    cols = result_columns(["revenue"], [], series=False, compared=None, shared=True, scoped_by=["region"])
    total = find(cols, R.TOTAL)
    assert total is not None and total.scoped_by == ("region",)
    assert all(c.scoped_by == () for c in cols if c.role is not R.TOTAL)
    assert total.model_dump(mode="json")["scoped_by"] == ["region"]
    assert "scoped_by" not in metric_column("revenue", R.TOTAL).model_dump(mode="json")
    assert ResultColumn.model_validate_json(total.model_dump_json()) == total

"""QueryPlan's JSON form (assistant/semantic/plan.py): OrderBy as (metric, value kind), ``by`` kept."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from metricqa.assistant.semantic.columns import ValueKind
from metricqa.assistant.semantic.plan import (
    Comparison,
    Filter,
    FilterOp,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)

OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31))


@pytest.mark.parametrize(
    ("by", "metric", "value"),
    [
        ("revenue", "revenue", ValueKind.VALUE),
        ("revenue__delta", "revenue", ValueKind.DELTA),
        ("revenue__ratio", "revenue", ValueKind.RATIO),
        ("revenue__baseline", "revenue", ValueKind.BASELINE),
        ("revenue__attainment", "revenue", ValueKind.ATTAINMENT),
        ("region_id", "region_id", ValueKind.VALUE),
        ("period", "period", ValueKind.VALUE),
    ],
)
def test_order_by_is_read_into_metric_and_value(by: str, metric: str, value: ValueKind) -> None:
    order = OrderBy.model_validate({"by": by, "direction": "asc"})
    assert (order.metric, order.value, order.direction) == (metric, value, "asc")
    assert order.by == by
    assert OrderBy(by=by, direction="asc") == order == OrderBy(metric=metric, value=value, direction="asc")


def test_order_by_round_trips_through_json() -> None:
    order = OrderBy.model_validate({"by": "revenue__delta"})
    dumped = order.model_dump(mode="json")
    assert dumped == {"metric": "revenue", "value": "delta", "direction": "desc", "by": "revenue__delta"}
    assert OrderBy.model_validate(dumped) == order
    assert OrderBy.model_validate_json(order.model_dump_json()) == order
    assert OrderBy.model_validate({"by": "revenue__delta", "direction": "desc"}).model_dump(
        mode="json", include={"by", "direction"}
    ) == {"by": "revenue__delta", "direction": "desc"}


def test_a_plan_with_spec_orders_round_trips() -> None:
    data = {
        "metrics": ["revenue"],
        "dimensions": ["region"],
        "time": {"start": "2026-10-01", "end": "2026-10-31"},
        "comparison": "target",
        "order": [{"by": "revenue__attainment", "direction": "asc"}],
        "limit": 1,
    }
    plan = QueryPlan.model_validate(data)
    assert plan.order == (OrderBy(metric="revenue", value=ValueKind.ATTAINMENT, direction="asc"),)
    assert plan.model_dump(mode="json")["order"][0]["by"] == "revenue__attainment"
    assert QueryPlan.model_validate_json(plan.model_dump_json()) == plan


def test_order_by_that_disagrees_or_is_unknown_is_refused() -> None:
    with pytest.raises(ValidationError, match="disagrees"):
        OrderBy.model_validate({"by": "revenue__delta", "metric": "orders"})
    with pytest.raises(ValidationError, match="disagrees"):
        OrderBy.model_validate({"by": "revenue__delta", "value": "ratio"})
    assert OrderBy.model_validate({"by": "revenue__delta", "metric": "revenue", "value": "delta"}).by == (
        "revenue__delta"
    )
    with pytest.raises(ValidationError):
        OrderBy.model_validate({"by": "revenue", "colour": "red"})
    with pytest.raises(ValidationError):
        OrderBy.model_validate({"metric": "revenue", "value": "median"})
    with pytest.raises(ValidationError):
        OrderBy.model_validate({"direction": "asc"})


def test_order_by_is_frozen_and_by_follows_a_copy() -> None:
    order = OrderBy(metric="revenue", value=ValueKind.RATIO)
    with pytest.raises(ValidationError):
        order.metric = "orders"  # type: ignore[misc]
    assert order.model_copy(update={"metric": "orders"}).by == "orders__ratio"
    plan = QueryPlan(metrics=("revenue",), time=OCT, order=(order,))
    assert plan.order[0].by == "revenue__ratio"


def test_other_period_needs_baseline_time_and_only_it_has_one() -> None:
    jun = TimeRange(start=date(2026, 6, 1), end=date(2026, 6, 30))
    plan = QueryPlan(metrics=("revenue",), time=OCT, comparison=Comparison.OTHER_PERIOD, baseline_time=jun)
    assert QueryPlan.model_validate_json(plan.model_dump_json()) == plan
    with pytest.raises(ValidationError, match="baseline_time"):
        QueryPlan(metrics=("revenue",), time=OCT, comparison=Comparison.OTHER_PERIOD)
    with pytest.raises(ValidationError, match="baseline_time"):
        QueryPlan(metrics=("revenue",), time=OCT, comparison=Comparison.PREVIOUS_PERIOD, baseline_time=jun)
    assert Comparison.OTHER_PERIOD.periodic and not Comparison.TARGET.periodic


def test_thresholds_round_trip_and_refuse_non_numbers() -> None:
    missed = Threshold(metric="revenue", value=ValueKind.RATIO, op=ThresholdOp.LT, number=1)
    plan = QueryPlan(metrics=("revenue",), dimensions=("region",), time=OCT, having=(missed,))
    data = plan.model_dump(mode="json")
    assert data["having"] == [{"metric": "revenue", "value": "ratio", "op": "lt", "number": 1.0}]
    assert QueryPlan.model_validate(data) == plan and missed.by == "revenue__ratio"
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValidationError):
            Threshold(metric="revenue", op=ThresholdOp.GT, number=bad)
    with pytest.raises(ValidationError):
        Threshold.model_validate({"metric": "revenue", "op": "between", "number": 1})


def test_what_a_share_is_over() -> None:
    online = Filter(dimension="channel", values=("ONLINE",))
    east = Filter(dimension="region", op=FilterOp.NOT_IN, values=("EAST",))
    assert QueryPlan(metrics=("revenue",), time=OCT, filters=(online, east)).share_dimensions == (
        "channel",
        "region",
    )
    by_segment = QueryPlan(metrics=("revenue",), dimensions=("segment",), time=OCT, filters=(online,))
    assert by_segment.share_dimensions == ("segment",)

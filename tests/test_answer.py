"""The Answer object (assistant/presentation/answer.py): column descriptors next to the column names."""

from __future__ import annotations

from datetime import date

from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn
from metricqa.assistant.semantic.plan import Comparison, QueryPlan, TimeRange

PLAN = QueryPlan(
    metrics=("revenue",),
    dimensions=("region",),
    time=TimeRange(start=date(2026, 11, 1), end=date(2026, 11, 20)),
    comparison=Comparison.TARGET,
)
COLUMNS = ["region_id", "region", "revenue", "revenue__baseline", "revenue__delta", "revenue__ratio"]


def answered(**kw: object) -> Answer:
    return Answer.model_validate({"question": "q", "status": "answered", "answer": "a", **kw})


def test_fields_travel_in_the_json_next_to_columns() -> None:
    answer = answered(plan=PLAN, columns=COLUMNS, rows=[["EAST", "East", 1.0, 2.0, -1.0, 0.5]])
    data = answer.to_json_dict()
    assert data["columns"] == COLUMNS
    assert [f["name"] for f in data["fields"]] == COLUMNS
    assert [f["role"] for f in data["fields"]] == ["dimension", "label", "value", "target", "delta", "ratio"]
    assert data["fields"][3] == {
        "name": "revenue__baseline",
        "role": "target",
        "metric": "revenue",
        "dimension": None,
    }
    assert Answer.model_validate(data) == answer


def test_an_answer_without_descriptors_gets_them_from_its_plan_or_names() -> None:
    with_plan = answered(plan=PLAN, columns=COLUMNS)
    assert with_plan.fields[3].role is ColumnRole.TARGET
    without_plan = answered(columns=COLUMNS)
    assert without_plan.fields[3].role is ColumnRole.BASELINE  # nothing says it is a target
    assert [f.name for f in without_plan.fields] == COLUMNS
    given = [ResultColumn(name="x", role=ColumnRole.VALUE, metric="revenue")]
    assert answered(columns=["x"], fields=given).fields == given
    assert answered().fields == []

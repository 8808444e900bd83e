"""`metricqa eval` scores the question files of the outside fixtures (tests/fixtures/*/questions.yaml,
gold SQL written by hand) on their warehouses: the issue's target is ≥ 90 % right and no answer with a
wrong number. Each fixture is a warehouse + catalog unlike the demo (tests/desk_fixture.py,
tests/subs_fixture.py, tests/lists_fixture.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from desk_fixture import build_desk
from lists_fixture import build_bookshop
from subs_fixture import build_subs

from metricqa.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
FLOOR = 0.9

BUILDERS: dict[str, Callable[[Path], tuple[Path, Path]]] = {
    "desk": build_desk,
    "subs": build_subs,
    "bookshop": build_bookshop,
}


@pytest.mark.parametrize("fixture", sorted(BUILDERS))
def test_the_fixtures_question_file_scores_its_floor_with_no_wrong_answer(
    fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICQA_HOME", str(tmp_path / "home"))
    catalog, warehouse = BUILDERS[fixture](tmp_path)
    out = tmp_path / "eval"
    questions = FIXTURES / fixture / "questions.yaml"
    args = ["--questions", str(questions), "--warehouse", str(warehouse), "--catalog", str(catalog)]
    assert main(["eval", *args, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cases = report["cases"]
    wrong = [f"{c['id']} {c['question']}: {c['detail']}" for c in cases if c["wrong_answer"]]
    passed = sum(c["passed"] for c in cases)
    assert len(cases) >= 24
    assert wrong == []
    assert passed / len(cases) >= FLOOR, [c["id"] for c in cases if not c["passed"]]
    assert {c["language"] for c in cases} == {"en", "zh"}

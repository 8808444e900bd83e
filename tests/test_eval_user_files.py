"""`metricqa eval` on a user's own questions, warehouse and catalog (the support desk of
desk_fixture.py), and `metricqa eval init` writing a starter file from the catalog's examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from desk_fixture import build_desk

from metricqa.cli import main

QUESTIONS = """
cases:
  - id: desk-001
    question: how many tickets
    language: en
    tags: [single_metric]
    expected_status: answered
    expected_metrics: [tickets_opened]
    gold_sql: SELECT count(*) AS tickets_opened FROM tickets
  - id: desk-002
    question: tickets closed in March 2019
    language: en
    tags: [time_dimension]
    expected_status: answered
    expected_metrics: [tickets_opened]
    gold_sql: |-
      SELECT count(*) FROM tickets
      WHERE closed_at >= DATE '2019-03-01' AND closed_at < DATE '2019-04-01'
  - id: desk-003
    question: customer churn by priority
    language: en
    tags: [unknown_metric]
    expected_status: refused
    acceptable_statuses: [clarify]
  - id: desk-004
    question: 各优先级工单数
    language: zh
    tags: [breakdown]
    expected_status: answered
    expected_metrics: [tickets_opened]
    expected_dimensions: [priority]
    gold_sql: SELECT priority, count(*) FROM tickets GROUP BY priority
"""


def run(*argv: str) -> int:
    return main(list(argv))


def test_eval_scores_a_users_questions_on_their_warehouse(tmp_path: Path) -> None:
    catalog, warehouse = build_desk(tmp_path)
    questions = tmp_path / "desk_questions.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    out = tmp_path / "out"
    args = ["eval", "--questions", str(questions), "--warehouse", str(warehouse), "--catalog", str(catalog)]
    assert run(*args, "--out", str(out)) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["overall"]["n"] == 4
    assert report["summary"]["overall"]["accuracy"] == 1.0, [c for c in report["cases"] if not c["passed"]]
    # a wrong gold answer is a failed case, not a crash: the scoring can fail
    questions.write_text(QUESTIONS.replace("count(*) AS tickets_opened", "count(*) + 1"), encoding="utf-8")
    assert run(*args, "--out", str(out), "--floor", "1.0") == 1


def test_eval_init_writes_a_starter_file_that_says_what_is_missing(tmp_path: Path) -> None:
    catalog, warehouse = build_desk(tmp_path)
    target = tmp_path / "starter.yaml"
    assert run("eval", "init", "--catalog", str(catalog), "--questions", str(target)) == 0
    cases = yaml.safe_load(target.read_text(encoding="utf-8"))["cases"]
    assert [(c["question"], c["language"], c["expected_metrics"]) for c in cases] == [
        ("how many tickets by priority", "en", ["tickets_opened"]),
        ("各优先级工单数", "zh", ["tickets_opened"]),
    ]
    assert run("eval", "init", "--catalog", str(catalog), "--questions", str(target)) == 2  # never overwrites
    out = tmp_path / "out"
    args = ["--warehouse", str(warehouse), "--catalog", str(catalog), "--out", str(out), "--floor", "0.5"]
    assert run("eval", "--questions", str(target), *args) == 1  # gold SQL not written yet: every case fails
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert all("gold SQL does not run: no SQL yet" in c["detail"] for c in report["cases"])


@pytest.mark.parametrize("bad", ["cases: nope\n", "as_of: 2019-12-31\n"])
def test_a_bad_question_file_is_a_clear_error(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, warehouse = build_desk(tmp_path)
    questions = tmp_path / "bad.yaml"
    questions.write_text(bad, encoding="utf-8")
    code = run(
        "eval", "--questions", str(questions), "--warehouse", str(warehouse), "--catalog", str(catalog)
    )
    assert code != 0 and "bad.yaml" in capsys.readouterr().err

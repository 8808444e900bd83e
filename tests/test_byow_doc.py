"""docs/bring-your-own-warehouse.md works as written: its SQL builds the warehouse, its YAML is the
catalog, its commands validate, answer (numbers checked against SQL written here) and score an eval."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import duckdb
import pytest
import yaml

from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.cli import main

DOC = (Path(__file__).resolve().parent.parent / "docs" / "bring-your-own-warehouse.md").read_text(
    encoding="utf-8"
)


def block(language: str, n: int = 0) -> str:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)[n]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("byow")
    warehouse = root / "desk.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(block("sql"))
    con.close()
    catalog = root / "desk_catalog"
    catalog.mkdir()
    (catalog / "catalog.yaml").write_text(block("yaml"), encoding="utf-8")
    return catalog, warehouse


def ask(desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str], question: str, *extra: str) -> dict:  # type: ignore[type-arg]
    catalog, warehouse = desk
    args = [
        "ask",
        question,
        "--catalog",
        str(catalog),
        "--warehouse",
        str(warehouse),
        "--format",
        "json",
        *extra,
    ]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def hand(desk: tuple[Path, Path], sql: str) -> list[tuple]:  # type: ignore[type-arg]
    con = open_warehouse(desk[1])  # the assistant's own read-only configuration
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_commands_in_the_doc_are_the_ones_tested() -> None:
    commands = block("bash", 1) + block("bash", 2)
    assert "validate --catalog desk_catalog --warehouse desk.duckdb --check-data" in commands
    for question in (
        "how many tickets by team",
        "tickets solved last month",
        "solve rate by priority this year",
    ):
        assert f'"{question}"' in commands


def test_validate_with_data_checks(desk: tuple[Path, Path]) -> None:
    catalog, warehouse = desk
    assert (
        main(
            ["catalog", "validate", "--catalog", str(catalog), "--warehouse", str(warehouse), "--check-data"]
        )
        == 0
    )


def test_answers(desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    by_team = ask(desk, capsys, "how many tickets by team")
    expected = dict(
        hand(desk, "SELECT team_id, count(*) FROM tickets GROUP BY team_id")
    )  # all time: the default
    team = by_team["columns"].index("team_id")
    assert {r[team]: r[by_team["columns"].index("tickets_opened")] for r in by_team["rows"]} == expected
    last = hand(desk, "SELECT max(opened_at)::DATE FROM tickets")[0][0]  # the as-of date: the data's latest
    assert by_team["data_as_of"] == last.isoformat()
    solved = ask(desk, capsys, "tickets solved last month")
    first = last.replace(day=1)
    prev = (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )
    count = hand(
        desk, f"SELECT count(*) FROM tickets WHERE closed_at >= DATE '{prev}' AND closed_at < DATE '{first}'"
    )
    assert solved["rows"][0][solved["columns"].index("tickets_solved")] == count[0][0]
    rate = ask(desk, capsys, "solve rate by priority this year")
    assert rate["status"] == "answered" and len(rate["rows"]) == 3
    may = ask(desk, capsys, "2024年5月关闭的工单数")
    expected_may = hand(
        desk,
        "SELECT count(*) FROM tickets WHERE closed_at >= DATE '2024-05-01' AND closed_at < DATE '2024-06-01'",
    )
    assert may["rows"][0][may["columns"].index("tickets_opened")] == expected_may[0][0]
    lead = ask(desk, capsys, "tickets by team", "--role", "team_lead", "--scope", "team=T1")
    assert {r[lead["columns"].index("team_id")] for r in lead["rows"]} == {"T1"}


def test_eval_init_and_run(desk: tuple[Path, Path], tmp_path: Path) -> None:
    catalog, warehouse = desk
    questions = tmp_path / "desk_questions.yaml"
    assert main(["eval", "init", "--catalog", str(catalog), "--questions", str(questions)]) == 0
    text = questions.read_text(encoding="utf-8").replace(
        "-- TODO: the SQL that answers this from the warehouse tables (tickets_opened)",
        "SELECT team_id, count(*) FROM tickets GROUP BY team_id",
    )
    questions.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    args = ["eval", "--questions", str(questions), "--catalog", str(catalog), "--warehouse", str(warehouse)]
    assert main([*args, "--out", str(out), "--floor", "1.0"]) == 0


def test_the_dbt_import_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The doc's dbt block on the dbt shop project: import (drafts), approve after review, validate, ask."""
    from dbt_shop_fixture import PROJECT, build_shop

    lines = [line for line in block("bash", 4).splitlines() if line.startswith("metricqa ")]
    warehouse = build_shop(tmp_path / "shop.duckdb")
    catalog = tmp_path / "shop_catalog"
    paths = {"jaffle_shop": str(PROJECT), "shop_catalog": str(catalog), "shop.duckdb": str(warehouse)}
    commands = [[paths.get(w, w) for w in shlex.split(line.split("  #")[0])][1:] for line in lines]
    assert [c[:2] for c in commands] == [
        ["catalog", "import"],
        ["catalog", "validate"],
        ["ask", "orders by channel in 2024"],
    ]
    assert main(commands[0]) == 0
    metrics = catalog / "metrics.yaml"
    assert "status: approved" not in metrics.read_text(encoding="utf-8")  # drafts until reviewed
    reviewed = yaml.safe_load(metrics.read_text(encoding="utf-8"))
    for metric in reviewed["metrics"]:  # the reviewer approves what was imported; a metric not imported stays
        if not metric["definition"]["en"].startswith("Not imported"):
            metric["status"] = "approved"
    metrics.write_text(yaml.safe_dump(reviewed, allow_unicode=True), encoding="utf-8")
    assert main(commands[1]) == 0
    broken = metrics.read_text(encoding="utf-8").replace("status: draft", "status: approved")
    metrics.write_text(broken, encoding="utf-8")  # approving one that has no formula is a catalog error
    assert main(commands[1]) == 1
    metrics.write_text(yaml.safe_dump(reviewed, allow_unicode=True), encoding="utf-8")
    capsys.readouterr()
    assert main([*commands[2], "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    expected = dict(
        hand(
            (catalog, warehouse),
            "SELECT channel, count(*) FROM orders WHERE year(ordered_at) = 2024 GROUP BY 1",
        )
    )
    key, value = answer["columns"].index("channel_id"), answer["columns"].index("orders")
    assert {r[key]: r[value] for r in answer["rows"]} == expected

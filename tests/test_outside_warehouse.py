"""A warehouse unlike the demo: a support desk's tickets, loaded once at the end of 2019 (a snapshot,
no running month), with TIMESTAMP columns and no ``meta_warehouse`` table. The catalog says its
default period is all time. Checks the as-of date comes from the data (never silently the clock),
TIMESTAMP filters keep the whole last day, and the default period and "all time" words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from desk_fixture import CATALOG, build_desk

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.datachecks import check_data
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import DefaultPeriod
from metricqa.cli import main
from metricqa.core.asker import Asker
from metricqa.core.errors import CatalogError
from metricqa.core.settings import Settings


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, duckdb.DuckDBPyConnection]]:
    root = tmp_path_factory.mktemp("desk")
    catalog, warehouse = build_desk(root)
    settings = Settings(home=root / "home", warehouse=warehouse, catalog=catalog)
    assistant = Assistant.from_settings(settings)
    check = open_warehouse(warehouse)  # the assistant's own read-only configuration
    yield assistant, check
    check.close()
    assistant.close()


EXEC = Asker(role="exec")


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def value(answer: Any, column: str) -> Any:
    assert answer.status == "answered", f"{answer.answer} {answer.reason}"
    return answer.rows[0][answer.columns.index(column)]


def test_as_of_comes_from_the_data_not_the_clock(desk: Any) -> None:
    assistant, _ = desk
    assert (assistant.as_of(), assistant.as_of_source) == (date(2019, 12, 31), "data")
    assert assistant.ask("how many tickets", EXEC).data_as_of == "2019-12-31"


def test_no_period_is_the_catalogs_default_all_time(desk: Any) -> None:
    assistant, con = desk
    ans = assistant.ask("how many tickets", EXEC)
    assert value(ans, "tickets_opened") == one(con, "SELECT count(*) FROM tickets")
    assert any("all time" in a for a in ans.assumptions)  # the default is stated
    zh = assistant.ask("工单数", EXEC)
    assert value(zh, "tickets_opened") == value(ans, "tickets_opened")


def test_a_metric_default_period_overrides_the_catalogs(desk: Any) -> None:
    assistant, con = desk
    ans = assistant.ask("hours open", EXEC)
    expected = one(
        con,
        "SELECT sum(date_diff('hour', opened_at, closed_at)) FROM tickets "
        "WHERE opened_at >= TIMESTAMP '2019-11-01' AND opened_at < TIMESTAMP '2019-12-01'",
    )
    assert value(ans, "hours_open") == expected


def test_timestamps_keep_the_whole_last_day(desk: Any) -> None:
    assistant, con = desk
    ans = assistant.ask("tickets in March 2019", EXEC)
    expected = one(
        con,
        "SELECT count(*) FROM tickets WHERE opened_at >= DATE '2019-03-01' AND opened_at < DATE '2019-04-01'",
    )
    assert value(ans, "tickets_opened") == expected
    assert (
        one(
            con,
            "SELECT count(*) FROM tickets WHERE opened_at BETWEEN DATE '2019-03-01' AND DATE '2019-03-31'",
        )
        < expected
    )
    last = assistant.ask("tickets this month", EXEC)  # December 2019: the as-of month, its last row at 23:45
    december = "opened_at >= DATE '2019-12-01' AND opened_at < DATE '2020-01-01'"
    assert value(last, "tickets_opened") == one(con, f"SELECT count(*) FROM tickets WHERE {december}")


def test_all_time_words(desk: Any) -> None:
    assistant, con = desk
    for question in ("tickets by priority of all time", "历史累计各优先级工单数"):
        ans = assistant.ask(question, EXEC)
        assert ans.status == "answered", ans.answer
        got = {r[ans.columns.index("priority")]: r[ans.columns.index("tickets_opened")] for r in ans.rows}
        expected = dict(con.execute("SELECT priority, count(*) FROM tickets GROUP BY priority").fetchall())
        assert got == expected


def test_bad_default_period_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(CATALOG.replace("all_time", "forever"), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    issue = next(i for i in info.value.issues if "defaults" in i.message)
    assert issue.line == 2 and issue.file.endswith("catalog.yaml")


def test_defaults_in_two_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("defaults: {period: this_month}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert any("more than one file" in i.message for i in info.value.issues)


@pytest.mark.parametrize("period", list(DefaultPeriod))
def test_every_default_period_is_read_by_the_time_grammar(period: DefaultPeriod) -> None:
    from metricqa.assistant.understanding.timeparse import default_range

    rng = default_range(period, date(2019, 12, 31))
    assert rng.start <= rng.end <= date(2019, 12, 31) or period is DefaultPeriod.LAST_WEEK


MARCH_CLOSED = "closed_at >= DATE '2019-03-01' AND closed_at < DATE '2019-04-01'"


def test_a_question_picks_the_time_dimension(desk: Any) -> None:
    assistant, con = desk
    for question in ("tickets closed in March 2019", "2019年3月关闭的工单数"):
        ans = assistant.ask(question, EXEC)
        assert ans.plan is not None and ans.plan.time_dimension == "closed", ans.answer
        assert value(ans, "tickets_opened") == one(con, f"SELECT count(*) FROM tickets WHERE {MARCH_CLOSED}")
        assert any("closed date" in a or "关闭日期" in a for a in ans.assumptions)
    opened = assistant.ask("tickets in March 2019", EXEC)
    assert opened.plan is not None and opened.plan.time_dimension is None
    assert value(opened, "tickets_opened") != one(con, f"SELECT count(*) FROM tickets WHERE {MARCH_CLOSED}")


def test_a_metric_dated_by_its_own_time_dimension(desk: Any) -> None:
    assistant, con = desk
    ans = assistant.ask("tickets solved in March 2019", EXEC)
    assert value(ans, "solved") == one(con, f"SELECT count(*) FROM tickets WHERE {MARCH_CLOSED}")


def test_a_time_dimension_the_facts_lack_is_refused(desk: Any) -> None:
    assistant, _ = desk
    ans = assistant.ask("surveys sent closed in June 2019", EXEC)
    assert ans.status in ("refused", "clarify") and ans.reason_code == "cannot_split", ans.answer


def _desk_with(tmp_path: Path, catalog_text: str, sql: str) -> tuple[Path, Path]:
    catalog, warehouse = build_desk(tmp_path)
    (catalog / "catalog.yaml").write_text(catalog_text, encoding="utf-8")
    con = duckdb.connect(str(warehouse))
    con.execute(sql)
    con.close()
    return catalog, warehouse


FANOUT = CATALOG.replace(
    "  - {id: surveys, table: surveys, alias: s, time: s.sent_at}",
    "  - {id: surveys, table: surveys, alias: s, time: s.sent_at,\n"
    "     joins: [{table: survey_answers, alias: a, keys: [[s.survey_id, survey_id]]}]}",
)


def test_a_fan_out_join_is_refused_at_start_and_by_check_data(tmp_path: Path) -> None:
    # two answers per survey: joining them would count every survey twice
    sql = "CREATE TABLE survey_answers AS SELECT survey_id, q FROM surveys, range(2) r(q)"
    catalog, warehouse = _desk_with(tmp_path, FANOUT, sql)
    settings = Settings(home=tmp_path / "home", warehouse=warehouse, catalog=catalog)
    with pytest.raises(CatalogError) as info:
        Assistant.from_settings(settings)
    assert any("fan-out" in i.message and i.field == "joins" for i in info.value.issues), info.value.issues
    code = main(
        ["catalog", "validate", "--check-data", "--catalog", str(catalog), "--warehouse", str(warehouse)]
    )
    assert code == 1


def test_an_all_null_time_column_is_an_error(tmp_path: Path) -> None:
    catalog, warehouse = _desk_with(tmp_path, CATALOG, "UPDATE surveys SET sent_at = NULL")
    issues = list(check_data(load_catalog(catalog), duckdb.connect(str(warehouse), read_only=True)))
    assert [(i.level, i.field) for i in issues] == [("error", "time")]


def test_a_snapshot_is_read_at_the_periods_last_date_not_summed(desk: Any) -> None:
    assistant, con = desk
    ans = assistant.ask("backlog last month", EXEC)  # November 2019: the 30th's snapshot
    assert value(ans, "backlog") == one(
        con, "SELECT sum(open_count) FROM backlog WHERE day = DATE '2019-11-30'"
    )
    by_month = assistant.ask("backlog by month in 2019", EXEC)
    assert by_month.status == "answered", by_month.answer
    got = [r[by_month.columns.index("backlog")] for r in by_month.rows]
    expected = [
        r[0]
        for r in con.execute(
            "SELECT sum(open_count) FROM backlog WHERE day IN (SELECT max(day) FROM backlog GROUP BY date_trunc('month', day)) "
            "GROUP BY day ORDER BY day"
        ).fetchall()
    ]
    assert got == expected and len(got) == 12
    by_priority = assistant.ask("open tickets by priority last month", EXEC)
    got_p = {
        r[by_priority.columns.index("priority")]: r[by_priority.columns.index("backlog")]
        for r in by_priority.rows
    }
    assert got_p == dict(
        con.execute("SELECT priority, open_count FROM backlog WHERE day = DATE '2019-11-30'").fetchall()
    )


def test_a_model_mixing_snapshot_and_flow_measures_is_an_error(tmp_path: Path) -> None:
    mixed = CATALOG.replace(
        "  - {id: sent, model: surveys, agg: count, expr: s.survey_id}",
        "  - {id: sent, model: surveys, agg: count, expr: s.survey_id}\n"
        "  - {id: pending, model: surveys, agg: count, expr: s.survey_id, snapshot: last}",
    )
    (tmp_path / "catalog.yaml").write_text(mixed, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert any("mixes snapshot and flow" in i.message for i in info.value.issues)


def test_validate_names_a_missing_default_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, warehouse = build_desk(tmp_path)
    text = (catalog / "catalog.yaml").read_text(encoding="utf-8").replace("{id: exec,", "{id: support,")
    (catalog / "catalog.yaml").write_text(text, encoding="utf-8")
    assert main(["catalog", "validate", "--catalog", str(catalog), "--warehouse", str(warehouse)]) == 1
    assert "default role `exec`" in capsys.readouterr().err


def test_readyz_touches_the_warehouse(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from metricqa.integrations.api.app import create_app

    catalog, warehouse = build_desk(tmp_path)
    settings = Settings(home=tmp_path / "home", warehouse=warehouse, catalog=catalog, demo_mode=True)
    assistant = Assistant.from_settings(settings)
    try:
        with TestClient(create_app(assistant, settings)) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["data_as_of"] == "2019-12-31"
            warehouse.unlink()  # deleted under a running server: liveness stays up, readiness says why not
            gone = client.get("/readyz")
            assert gone.status_code == 503 and "does not exist" in gone.json()["warnings"][0]
            assert client.get("/healthz").status_code == 200
    finally:
        assistant.close()


def test_two_metrics_of_one_model_are_each_dated_by_their_own_time_dimension(desk: Any) -> None:
    assistant, con = desk
    plan = QueryPlan.model_validate(
        {
            "metrics": ["tickets_opened", "solved"],
            "time": {"start": "2019-01-01", "end": "2019-12-31", "grain": "month"},
        }
    )
    compiled = compile_plan(plan, assistant.catalog, EXEC)
    rows = con.execute(compiled.sql, list(compiled.params)).fetchall()
    by_month = {
        name: dict(
            con.execute(
                f"SELECT CAST(date_trunc('month', {column}) AS DATE), count(*) FROM tickets "
                f"WHERE {column} >= DATE '2019-01-01' AND {column} < DATE '2020-01-01' GROUP BY 1"
            ).fetchall()
        )
        for name, column in (("opened", "opened_at"), ("closed", "closed_at"))
    }
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (month, by_month["opened"].get(month, 0), by_month["closed"].get(month, 0))
        for month in sorted(by_month["opened"])
    ]
    assert "dated by closed" in compiled.sql


@pytest.mark.parametrize(
    ("question", "metrics"),
    [
        ("how many tickets did we solve in 2019?", ("solved",)),  # "Tickets solved" said in two pieces
        ("tickets and tickets solved in 2019", ("tickets_opened", "solved")),  # listed: both
    ],
)
def test_a_metric_name_said_in_two_pieces_is_one_metric(
    desk: Any, question: str, metrics: tuple[str, ...]
) -> None:
    assistant, _ = desk
    answer = assistant.ask(question, EXEC)
    assert answer.status == "answered", answer.answer
    assert answer.plan is not None and answer.plan.metrics == metrics

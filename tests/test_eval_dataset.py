"""The eval dataset (evals/data/*.yaml) loads, is balanced, and its gold SQL runs on the demo warehouse."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from metricqa.demo import build_demo_warehouse
from metricqa.evals.dataset import DatasetError, EvalCase, EvalDataset, Tag, load_dataset

# Tags that need fewer cases than the rest would be listed here with their minimum; none do today.
MIN_PER_TAG: dict[Tag, int] = {}


@pytest.fixture(scope="session")
def dataset() -> EvalDataset:
    return load_dataset()


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("evalwh") / "demo.duckdb"
    build_demo_warehouse(path, 0.05, 7, progress=False)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _gold(dataset: EvalDataset) -> list[EvalCase]:
    return [c for c in dataset.cases if c.gold_sql]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall()


# ---- size and balance --------------------------------------------------------------


def test_dataset_is_large_and_mostly_answered(dataset: EvalDataset) -> None:
    assert len(dataset.cases) >= 250
    status = Counter(c.expected_status for c in dataset.cases)
    assert status["answered"] >= 200
    assert status["refused"] >= 30
    assert status["clarify"] >= 8


def test_at_least_40_percent_chinese(dataset: EvalDataset) -> None:
    zh = sum(c.language == "zh" for c in dataset.cases)
    assert zh / len(dataset.cases) >= 0.40
    pure_zh = sum(c.language == "zh" and Tag.MIXED_LANGUAGE not in c.tags for c in dataset.cases)
    assert pure_zh / len(dataset.cases) >= 0.35


def test_every_tag_has_cases(dataset: EvalDataset) -> None:
    counts = Counter(t for c in dataset.cases for t in c.tags)
    short = {t.value: counts[t] for t in Tag if counts[t] < MIN_PER_TAG.get(t, 8)}
    assert not short, f"tags with too few cases: {short}"


def test_every_tag_is_asked_in_both_languages(dataset: EvalDataset) -> None:
    langs: dict[Tag, set[str]] = {}
    for c in dataset.cases:
        for t in c.tags:
            langs.setdefault(t, set()).add(c.language)
    # a mixed-language question has Chinese in it, so it is always zh; shorthand (mtd, amt, yr) is English
    assert {t for t, seen in langs.items() if seen != {"en", "zh"}} == {Tag.MIXED_LANGUAGE, Tag.SHORTHAND}


def test_every_demo_role_is_exercised(dataset: EvalDataset) -> None:
    roles = Counter(c.role for c in dataset.cases)
    assert {"exec", "finance", "regional_manager", "sales_rep", "marketing"} <= set(roles)
    assert any(c.role == "sales_rep" and c.expected_status == "refused" for c in dataset.cases)
    assert any(c.expected_member_scope for c in dataset.cases if c.role == "regional_manager")


def test_ids_are_unique(dataset: EvalDataset) -> None:
    ids = [c.id for c in dataset.cases]
    assert len(ids) == len(set(ids))
    assert set(dataset.locations) == set(ids)


def test_has_a_long_input(dataset: EvalDataset) -> None:
    assert max(len(c.question) for c in dataset.with_tag(Tag.ADVERSARIAL)) >= 3000


# ---- gold SQL ----------------------------------------------------------------------


def test_answered_cases_have_gold_sql_and_others_none(dataset: EvalDataset) -> None:
    for case in dataset.cases:
        assert bool(case.gold_sql) == (case.expected_status == "answered"), case.id


def test_gold_sql_parses_as_one_select(dataset: EvalDataset) -> None:
    bad = []
    for case in _gold(dataset):
        assert case.gold_sql is not None
        try:
            tree = sqlglot.parse(case.gold_sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            bad.append(f"{case.id}: {exc}")
            continue
        if len(tree) != 1 or not isinstance(tree[0], exp.Query):
            bad.append(f"{case.id}: not a single query")
    assert not bad, "\n".join(bad)


def test_expected_time_appears_in_gold_sql(dataset: EvalDataset) -> None:
    bad = []
    for case in _gold(dataset):
        assert case.expected_time is not None and case.gold_sql is not None, case.id
        for day in (case.expected_time.start, case.expected_time.end):
            if f"DATE '{day.isoformat()}'" not in case.gold_sql:
                bad.append(f"{case.id}: {day}")
    assert not bad, bad


def test_ordered_cases_order_their_gold(dataset: EvalDataset) -> None:
    for case in _gold(dataset):
        assert case.gold_sql is not None
        if case.ordered:
            assert re.search(r"ORDER BY [^\n]+ (ASC|DESC)", case.gold_sql), case.id


def test_every_gold_sql_runs_on_the_demo_warehouse(
    dataset: EvalDataset, warehouse: duckdb.DuckDBPyConnection
) -> None:
    failures, empty = [], []
    for case in _gold(dataset):
        assert case.gold_sql is not None
        try:
            _, rows = _rows(warehouse, case.gold_sql)
        except duckdb.Error as exc:
            failures.append(f"{case.id}: {exc}")
            continue
        if not rows:
            empty.append(case.id)
    assert not failures, "\n".join(failures)
    # at scale 0.05 a few narrow questions (one rep, one day) may legitimately find nothing
    assert len(empty) <= len(_gold(dataset)) // 20, empty


def test_gold_sql_respects_the_member_scope(
    dataset: EvalDataset, warehouse: duckdb.DuckDBPyConnection
) -> None:
    column = {"region": "region_id", "rep": "rep_id"}
    checked = 0
    for case in _gold(dataset):
        if not case.expected_member_scope or case.gold_sql is None:
            continue
        cols, rows = _rows(warehouse, case.gold_sql)
        for dim, members in case.expected_member_scope.items():
            if column[dim] in cols:
                i = cols.index(column[dim])
                assert {r[i] for r in rows} <= set(members), case.id
                checked += 1
    assert checked >= 4


def test_lagged_gold_agrees_with_the_attainment_breakdown(
    dataset: EvalDataset, warehouse: duckdb.DuckDBPyConnection
) -> None:
    lagged, breakdown = dataset.by_id("lagged-001"), dataset.by_id("breakdown-015")
    assert lagged.gold_sql is not None and breakdown.gold_sql is not None
    assert lagged.expected_time == breakdown.expected_time
    cols, rows = _rows(warehouse, lagged.gold_sql)
    assert cols == ["region_id", "target_attainment"] and len(rows) == 1
    _, per_region = _rows(warehouse, breakdown.gold_sql)
    assert len(per_region) == 5
    assert rows[0] == min(per_region, key=lambda r: r[1])
    # the demo makes one region clearly lag its target in the as-of month
    others = sorted(r[1] for r in per_region)[1:]
    assert rows[0][1] < 0.85 * others[0]


# ---- the loader rejects bad data ---------------------------------------------------

GOOD = """\
cases:
  - id: t-001
    question: revenue last month
    language: en
    tags: [single_metric]
    expected_status: answered
    expected_metrics: [revenue]
    gold_sql: SELECT 1 AS revenue
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_reads_a_minimal_file(tmp_path: Path) -> None:
    ds = load_dataset(_write(tmp_path, GOOD))
    case = ds.by_id("t-001")
    assert case.role == "exec" and case.as_of is None  # a user's file: the assistant's as-of date
    dated = load_dataset(_write(tmp_path, "as_of: 2019-12-31\n" + GOOD)).by_id("t-001")
    assert dated.as_of is not None and dated.as_of.isoformat() == "2019-12-31"
    assert ds.locations["t-001"] == "cases.yaml:2"
    assert case.accepts("answered") and not case.accepts("refused")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("    colour: red\n", "Extra inputs are not permitted"),
        ("    turns: [revenue this month]\n", "follow_up"),
        ("    role: sales_rep\n", "scope.rep"),
        ("    acceptable_statuses: [answered]\n", "repeats expected_status"),
    ],
)
def test_loader_rejects_bad_cases_with_their_line(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(DatasetError) as info:
        load_dataset(_write(tmp_path, GOOD + change))
    assert message in str(info.value)
    assert info.value.issues[0].line == 2


def test_loader_rejects_status_and_gold_mismatch(tmp_path: Path) -> None:
    refused_with_gold = GOOD.replace("expected_status: answered", "expected_status: refused")
    no_gold = GOOD.replace("    gold_sql: SELECT 1 AS revenue\n", "")
    for text, message in ((refused_with_gold, "must not have gold_sql"), (no_gold, "needs gold_sql")):
        with pytest.raises(DatasetError, match=message):
            load_dataset(_write(tmp_path, text))


def test_loader_rejects_wrong_language_and_unknown_tag(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="language zh"):
        load_dataset(_write(tmp_path, GOOD.replace("revenue last month", "上月 revenue")))
    # a user's file may tag cases freely (the packaged demo set is held to the Tag names)
    assert load_dataset(_write(tmp_path, GOOD.replace("[single_metric]", "[sarcasm]"))).cases[0].tags == (
        "sarcasm",
    )
    assert all(c.as_of is not None for c in load_dataset().cases)


def test_loader_collects_every_problem_and_duplicate_ids(tmp_path: Path) -> None:
    bad = GOOD + GOOD.split("cases:\n", 1)[1] + GOOD.split("cases:\n", 1)[1].replace("t-001", "T1")
    with pytest.raises(DatasetError) as info:
        load_dataset(_write(tmp_path, bad))
    messages = [i.message for i in info.value.issues]
    assert len(messages) == 2
    assert any("duplicate id t-001" in m for m in messages)
    assert any("case T1" in m for m in messages)
    assert "评测数据集" in info.value.message_for("zh")

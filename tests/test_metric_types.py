"""Metric types beyond simple/ratio/derived, on a warehouse unlike the demo (tests/subs_fixture.py):
median and percentile measures, measures filtered by dimension members, cumulative metrics (running
total, year to date, trailing window), conversion metrics, every period shown (time spine), grain and
join cardinality checks, and a three-hop join that pruning keeps only when used. Each compiled answer
is compared with hand-written SQL on the same data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from fixture_files import write_fixture
from sqlglot import exp
from subs_fixture import CATALOG, WAREHOUSE, build_subs
from test_compiler import SNAPSHOTS, snapshot_text

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.datachecks import check_data
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.catalog.validation import validate_catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import CatalogError
from metricqa.core.settings import Settings

EXEC = Asker(role="exec")
SOUTH = Asker(role="south_lead", scope={"region": "S"})
YEAR = {"start": "2024-01-01", "end": "2024-12-31"}
H1_MONTHS = {"start": "2024-01-01", "end": "2024-06-30", "grain": "month"}

INVOICE_JOINS = """FROM invoices i JOIN subscriptions s USING (subscription_id)
  JOIN customers c USING (customer_id) JOIN regions r USING (region_id)"""


@pytest.fixture(scope="module")
def subs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Catalog, duckdb.DuckDBPyConnection, Path]]:
    root = tmp_path_factory.mktemp("subs")
    catalog_dir, warehouse = build_subs(root)
    con = open_warehouse(warehouse)  # the assistant's own read-only configuration
    yield load_catalog(catalog_dir), con, root
    con.close()


def run(subs: Any, plan: dict[str, Any], asker: Asker = EXEC) -> list[tuple[Any, ...]]:
    catalog, con, _ = subs
    query = compile_plan(QueryPlan.model_validate(plan), catalog, asker)
    return [tuple(r) for r in con.execute(query.sql, list(query.params)).fetchall()]


def gold(subs: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in subs[1].execute(sql).fetchall()]


def test_the_catalog_is_valid_and_its_grains_hold(subs: Any) -> None:
    catalog, con, _ = subs
    assert validate_catalog(catalog) == []
    assert [i for i in check_data(catalog, con) if i.level == "error"] == []


def test_median_percentile_and_member_filtered_measures_match_hand_written_sql(subs: Any) -> None:
    metrics = ["median_invoice", "p90_invoice", "annual_billings", "billings_outside_north"]
    plan = {
        "metrics": metrics,
        "dimensions": ["region"],
        "time": YEAR,
        "order": [{"by": "region_id", "direction": "asc"}],
    }
    got = [(key, *values) for key, _label, *values in run(subs, plan)]
    expected = gold(
        subs,
        f"""SELECT r.region_code, median(i.amount), quantile_cont(i.amount, 0.9),
                   coalesce(sum(i.amount) FILTER (WHERE s.plan = 'annual'), 0),
                   coalesce(sum(i.amount) FILTER (WHERE r.region_code <> 'N'), 0)
            {INVOICE_JOINS}
            WHERE i.issued_at >= DATE '2024-01-01' AND i.issued_at < DATE '2025-01-01'
            GROUP BY 1 ORDER BY 1""",
    )
    assert got == expected
    assert {row[0] for row in got} == {"N", "S", "W"}
    assert got[0][4] == 0  # the North has no billings outside the North


def test_a_member_filter_on_a_joined_dimension_reads_member_keys_not_join_keys(subs: Any) -> None:
    catalog, _, _ = subs
    plan = QueryPlan.model_validate({"metrics": ["billings_outside_north"], "time": YEAR})
    sql = compile_plan(plan, catalog, EXEC).sql
    lookup = " ".join(sql.split())  # the filter looks the members' join keys up in the dimension table
    assert (
        "NOT c.region_id IN ( SELECT region_id FROM regions WHERE region_code IN ('N') ) OR c.region_id IS NULL"
        in lookup
    )
    assert "regions AS region_dim" not in sql  # and joins nothing for it


def test_cumulative_metrics_per_month_match_hand_written_sql(subs: Any) -> None:
    metrics = ["billings", "cumulative_billings", "ytd_billings", "trailing_billings"]
    got = run(subs, {"metrics": metrics, "time": H1_MONTHS})
    expected = gold(
        subs,
        """WITH m AS (SELECT CAST(range AS DATE) AS month
                     FROM range(DATE '2024-01-01', DATE '2024-07-01', INTERVAL 1 MONTH))
           SELECT m.month,
             (SELECT coalesce(sum(amount), 0) FROM invoices
              WHERE issued_at >= m.month AND issued_at < m.month + INTERVAL 1 MONTH),
             (SELECT coalesce(sum(amount), 0) FROM invoices WHERE issued_at < m.month + INTERVAL 1 MONTH),
             (SELECT coalesce(sum(amount), 0) FROM invoices
              WHERE issued_at >= DATE '2024-01-01' AND issued_at < m.month + INTERVAL 1 MONTH),
             (SELECT coalesce(sum(amount), 0) FROM invoices
              WHERE issued_at >= m.month - INTERVAL 2 MONTH AND issued_at < m.month + INTERVAL 1 MONTH)
           FROM m ORDER BY 1""",
    )
    assert got == expected
    march = got[2]
    assert march[0] == date(2024, 3, 1) and march[1] == 0  # no invoices in March: a 0 row, not a gap
    assert march[2] == got[1][2]  # the running total stands still


def test_a_cumulative_metric_without_a_series_is_its_value_at_the_periods_end(subs: Any) -> None:
    (total,) = run(
        subs, {"metrics": ["cumulative_billings"], "time": {"start": "2024-04-01", "end": "2024-04-30"}}
    )[0]
    expected = gold(subs, "SELECT sum(amount) FROM invoices WHERE issued_at < DATE '2024-05-01'")[0][0]
    assert total == expected
    (window,) = run(
        subs, {"metrics": ["trailing_billings"], "time": {"start": "2024-04-01", "end": "2024-04-30"}}
    )[0]
    three = "issued_at >= DATE '2024-02-01' AND issued_at < DATE '2024-05-01'"
    assert window == gold(subs, f"SELECT sum(amount) FROM invoices WHERE {three}")[0][0]


def test_a_cumulative_metric_compares_with_the_previous_period(subs: Any) -> None:
    plan = {
        "metrics": ["ytd_billings"],
        "time": {"start": "2024-06-01", "end": "2024-06-30"},
        "comparison": "previous_period",
    }
    value, baseline, delta, _ratio = run(subs, plan)[0]
    to_june = gold(
        subs,
        "SELECT sum(amount) FROM invoices WHERE issued_at >= DATE '2024-01-01' AND issued_at < DATE '2024-07-01'",
    )
    to_may = gold(
        subs,
        "SELECT sum(amount) FROM invoices WHERE issued_at >= DATE '2024-01-01' AND issued_at < DATE '2024-06-01'",
    )
    assert (value, baseline, delta) == (to_june[0][0], to_may[0][0], to_june[0][0] - to_may[0][0])


CONVERSION_GOLD = """
SELECT r.region_code, count(DISTINCT t.customer_id),
  count(DISTINCT t.customer_id) FILTER (WHERE EXISTS (
    SELECT 1 FROM subscriptions s WHERE s.customer_id = t.customer_id
      AND s.started_on >= t.started_on AND s.started_on < t.started_on + INTERVAL 14 DAY))
FROM trials t JOIN customers c USING (customer_id) JOIN regions r USING (region_id)
WHERE t.started_on >= DATE '2024-01-01' AND t.started_on < DATE '2025-01-01' {scope}
GROUP BY 1 ORDER BY 1"""


def test_conversion_metrics_match_hand_written_sql(subs: Any) -> None:
    plan = {
        "metrics": ["trial_conversion", "trials_converted"],
        "dimensions": ["region"],
        "time": YEAR,
        "order": [{"by": "region_id", "direction": "asc"}],
    }
    got = [(key, rate, converted) for key, _label, rate, converted in run(subs, plan)]
    expected = [(k, conv / base, conv) for k, base, conv in gold(subs, CONVERSION_GOLD.format(scope=""))]
    assert got == expected
    assert all(0 < rate < 1 for _, rate, _ in got)  # some trials convert within 14 days, some later or never


def test_scoped_roles_see_their_rows_in_cumulative_and_conversion_metrics(subs: Any) -> None:
    rate, converted = run(subs, {"metrics": ["trial_conversion", "trials_converted"], "time": YEAR}, SOUTH)[0]
    ((_, base, conv),) = gold(subs, CONVERSION_GOLD.format(scope="AND r.region_code = 'S'"))
    assert (rate, converted) == (conv / base, conv)
    (running,) = run(subs, {"metrics": ["cumulative_billings"], "time": YEAR}, SOUTH)[0]
    south = gold(
        subs,
        f"SELECT sum(i.amount) {INVOICE_JOINS} WHERE r.region_code = 'S' AND i.issued_at < DATE '2025-01-01'",
    )
    assert running == south[0][0]


def test_every_period_of_a_timespine_metric_is_shown_for_every_member(subs: Any) -> None:
    rows = run(subs, {"metrics": ["billings"], "dimensions": ["plan"], "time": H1_MONTHS})
    months = sorted({r[0] for r in rows})
    assert len(months) == 6 and len(rows) == 12  # 6 months × 2 plans, March (no invoices) included
    assert {r[3] for r in rows if r[0] == date(2024, 3, 1)} == {0}


def test_three_hop_dimension_joins_and_pruning(subs: Any) -> None:
    catalog, _, _ = subs
    by_region = compile_plan(
        QueryPlan.model_validate({"metrics": ["billings"], "dimensions": ["region"], "time": YEAR}),
        catalog,
        EXEC,
    )
    by_plan = compile_plan(
        QueryPlan.model_validate({"metrics": ["billings"], "dimensions": ["plan"], "time": YEAR}),
        catalog,
        EXEC,
    )
    alone = compile_plan(QueryPlan.model_validate({"metrics": ["billings"], "time": YEAR}), catalog, EXEC)
    assert "JOIN customers AS c" in by_region.sql and "JOIN regions AS region_dim" in by_region.sql
    assert "JOIN subscriptions AS s" in by_plan.sql and "customers" not in by_plan.sql
    assert "JOIN" not in alone.sql
    region_rows = run(
        subs,
        {
            "metrics": ["billings"],
            "dimensions": ["region"],
            "time": YEAR,
            "order": [{"by": "region_id", "direction": "asc"}],
        },
    )
    expected = gold(
        subs,
        f"SELECT r.region_code, r.name, sum(i.amount) {INVOICE_JOINS} WHERE i.issued_at >= DATE '2024-01-01' AND i.issued_at < DATE '2025-01-01' GROUP BY 1, 2 ORDER BY 1",
    )
    assert region_rows == expected


def _broken(tmp_path: Path, old: str, new: str) -> list[str]:
    catalog_dir = tmp_path / "broken"
    catalog_dir.mkdir()
    assert old in CATALOG
    (catalog_dir / "catalog.yaml").write_text(CATALOG.replace(old, new, 1), encoding="utf-8")
    try:
        issues = validate_catalog(load_catalog(catalog_dir))
    except CatalogError as exc:
        issues = list(exc.issues)
    return [i.message for i in issues if i.level == "error"]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("cardinality: many_to_one", "cardinality: one_to_many", "fan-out"),
        ("percentile: 0.9, ", "", "`percentile` goes with"),
        ("entity: customer}", "entity: trial}", "does not map in `entities`"),
        (
            "grain_to_date: year",
            "grain_to_date: year\n    window: 7 days",
            "both `window` and `grain_to_date`",
        ),
        ("    join_to_timespine: true", "    join_to_timespine: true\n    window: 7 days", "`window` is for"),
        ("primary_entity: invoice", "primary_entity: order", "primary entity `order`"),
        ("dimension: plan, values", "dimension: tier, values", "filters on dimension `tier`"),
    ],
)
def test_validation_names_what_is_wrong(tmp_path: Path, old: str, new: str, says: str) -> None:
    errors = _broken(tmp_path, old, new)
    assert any(says in e for e in errors), errors


def test_a_grain_that_repeats_is_an_error_on_the_data(subs: Any, tmp_path: Path) -> None:
    catalog, _, root = subs
    copy = tmp_path / "dupes.duckdb"
    con = duckdb.connect(str(copy))
    con.execute(f"ATTACH '{root / 'subs.duckdb'}' AS src (READ_ONLY)")
    for name in ("regions", "customers", "trials", "subscriptions", "invoices"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM src.{name}")
    con.execute("INSERT INTO invoices SELECT * FROM invoices WHERE invoice_id = 1")
    errors = [i for i in check_data(catalog, con) if i.level == "error"]
    con.close()
    assert [i.field for i in errors] == ["primary_entity"]
    assert "1 values repeat" in errors[0].message


@pytest.fixture(scope="module")
def assistant(subs: Any) -> Iterator[Assistant]:
    _, _, root = subs
    settings = Settings(home=root / "home", warehouse=root / "subs.duckdb", catalog=root / "catalog")
    with_assistant = Assistant.from_settings(settings)
    yield with_assistant
    with_assistant.close()


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("median invoice by region this year", "median_invoice"),
        ("what's the trial conversion rate by region this year?", "trial_conversion"),
        ("cumulative billings by month this year", "cumulative_billings"),
        ("今年各区域的试用转化率", "trial_conversion"),
        ("年初至今开票金额", "ytd_billings"),
    ],
)
def test_questions_about_new_metric_types_are_answered(
    assistant: Assistant, question: str, metric: str
) -> None:
    answer = assistant.ask(question, EXEC)
    assert answer.status == "answered", (answer.answer, answer.reason)
    assert answer.plan is not None and answer.plan.metrics == (metric,)


def test_a_percentile_has_no_share_of_a_total(assistant: Assistant) -> None:
    answer = assistant.ask("share of median invoice by region this year", EXEC)
    assert answer.status != "answered"


SUBS_SNAPSHOTS: dict[str, tuple[str, dict[str, Any], Asker]] = {
    "subs_percentiles_and_member_filters": (
        "Median and p90 (not summed), and measures filtered by members of a plain and a joined dimension.",
        {
            "metrics": ["median_invoice", "p90_invoice", "annual_billings", "billings_outside_north"],
            "dimensions": ["region"],
            "time": YEAR,
        },
        EXEC,
    ),
    "subs_cumulative_series": (
        "A running total, year to date and a trailing window per month, each its own scan over windows.",
        {"metrics": ["cumulative_billings", "ytd_billings", "trailing_billings"], "time": H1_MONTHS},
        EXEC,
    ),
    "subs_conversion_scoped": (
        "A conversion rate by month for a scoped role: customers followed from trials to subscriptions.",
        {"metrics": ["trial_conversion"], "time": {**YEAR, "grain": "month"}},
        SOUTH,
    ),
    "subs_timespine_by_plan": (
        "Every month of the range for every plan, a month with no rows too (join_to_timespine).",
        {"metrics": ["billings"], "dimensions": ["plan"], "time": H1_MONTHS},
        EXEC,
    ),
}


@pytest.mark.parametrize("case", sorted(SUBS_SNAPSHOTS))
def test_snapshot(case: str, subs: Any, overwrite_snapshots: bool) -> None:
    doc, plan, asker = SUBS_SNAPSHOTS[case]
    compiled = compile_plan(QueryPlan.model_validate(plan), subs[0], asker)
    text = snapshot_text(f"test_snapshot[{case}]", doc, compiled)
    path = SNAPSHOTS / f"{case}.sql"
    if overwrite_snapshots:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path.name}; run pytest with --overwrite-snapshots"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(SUBS_SNAPSHOTS))
def test_new_metric_types_compile_for_postgres(case: str, subs: Any) -> None:
    _, plan, asker = SUBS_SNAPSHOTS[case]
    compiled = compile_plan(QueryPlan.model_validate(plan), subs[0], asker, dialect="postgres")
    tree = sqlglot.parse_one(compiled.sql, dialect="postgres")
    assert len(list(tree.find_all(exp.Placeholder))) == len(compiled.params)
    assert "QUANTILE" not in compiled.sql and "MEDIAN(" not in compiled.sql  # PERCENTILE_CONT … WITHIN GROUP


@pytest.mark.parametrize(
    ("question", "says"),
    [
        (
            "trailing three-month billings by month this year",
            "sums the 3-month window up to the end of each period",
        ),
        ("cumulative billings this year", "a running total: everything up to the end of each period"),
        (
            "trial conversion rate this year",
            "among customers with Trials started in the period, the share with New subscriptions within a 14-day window after it",
        ),
        ("今年的试用转化率", "此后14天内"),
        ("今年每月的年初至今开票金额", "从各年初累计至期末"),
    ],
)
def test_an_answer_says_what_a_cumulative_or_conversion_metric_counts(
    assistant: Assistant, question: str, says: str
) -> None:
    answer = assistant.ask(question, EXEC)
    assert answer.status == "answered", (answer.answer, answer.reason)
    assert any(says in a for a in answer.assumptions), answer.assumptions


def test_a_word_that_is_a_grain_and_a_member_is_the_member_only_next_to_its_dimension(
    assistant: Assistant,
) -> None:
    series = assistant.ask("monthly billings this year", EXEC)
    assert series.plan is not None and series.plan.filters == () and series.plan.grain.value == "month"
    assert any("'monthly' read as a series grain, not as plan monthly" in a for a in series.assumptions)
    member = assistant.ask("billings of monthly plans this year", EXEC)
    assert member.plan is not None and member.plan.grain.value == "none"
    assert [(f.dimension, f.values) for f in member.plan.filters] == [("plan", ("monthly",))]


def test_a_name_that_is_another_metrics_name_plus_a_share_word_is_asked_back_when_split(
    tmp_path: Path,
) -> None:
    # a catalog that calls annual billings "开票金额占比" while 开票金额 is billings: split by a dimension, the
    # words read two ways (the metric per member, or each member's share of billings): ask, never pick
    old = "    name: {en: Annual-plan billings, zh: 年付开票金额}"
    assert old in CATALOG
    catalog = CATALOG.replace(old, old + "\n    synonyms: {zh: [开票金额占比]}", 1)
    catalog_dir, warehouse = write_fixture(tmp_path, catalog, WAREHOUSE.format(scale=1), "subs")
    settings = Settings(home=tmp_path / "home", warehouse=warehouse, catalog=catalog_dir)
    assistant = Assistant.from_settings(settings)
    try:
        split = assistant.ask("今年各区域的开票金额占比", EXEC)
        alone = assistant.ask("今年的开票金额占比", EXEC)
    finally:
        assistant.close()
    assert split.status == "clarify", split.answer
    assert any("年付开票金额" in o for o in split.options) and any(
        o.startswith("开票金额") or "Billings" in o for o in split.options
    )
    assert (
        alone.status == "answered" and alone.plan is not None and alone.plan.metrics == ("annual_billings",)
    )

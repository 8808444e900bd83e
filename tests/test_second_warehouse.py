"""The whole pipeline on a warehouse and catalog that are not the demo: a subscription business.

Every question shape of the reader (exclusion, share, two periods, thresholds, target lists, rank by
change, several metrics, unknown words, scope) is asked through the real ``Assistant`` and its numbers
are checked against SQL written here by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from planner_table import PLAN_TABLE_SQL, SUBSCRIPTION_CATALOG, SUBSCRIPTION_FACT_START

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.core.asker import Asker
from metricqa.core.settings import Settings

ROLES = """
  - {id: country_manager, metrics: "*", row_filters: [{dimension: country, scope: country}]}
"""

WAREHOUSE_SQL = (
    PLAN_TABLE_SQL
    + SUBSCRIPTION_FACT_START
    + """         * (CASE c.country WHEN 'DE' THEN 1.0 ELSE 1.5 END) * (1 + month(d.day) / 100.0) AS mrr,
       (CASE p.plan_id WHEN 'BASIC' THEN 11 WHEN 'PRO' THEN 31 ELSE 80 END) * 1.2 AS mrr_goal,
       (dayofmonth(d.day) % (CASE p.plan_id WHEN 'BASIC' THEN 5 WHEN 'PRO' THEN 9 ELSE 15 END)) = 0 AS churned,
       TRUE AS active
FROM range(DATE '2025-01-01', DATE '2026-11-21', INTERVAL 1 DAY) AS d(day)
CROSS JOIN dim_plan AS p
CROSS JOIN (VALUES ('DE'), ('JP')) AS c(country);
"""
)


@pytest.fixture(scope="module")
def subs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, duckdb.DuckDBPyConnection]]:
    root = tmp_path_factory.mktemp("subs")
    catalog = root / "catalog"
    catalog.mkdir()
    (catalog / "catalog.yaml").write_text(SUBSCRIPTION_CATALOG.rstrip() + ROLES, encoding="utf-8")
    warehouse = root / "subs.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(WAREHOUSE_SQL)
    con.close()
    settings = Settings(home=root / "home", warehouse=warehouse, catalog=catalog, as_of="2026-11-20")
    assistant = Assistant.from_settings(settings)
    check = open_warehouse(warehouse)  # the same read-only configuration as the assistant's connection
    yield assistant, check
    check.close()
    assistant.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def value(answer: Any, column: str) -> Any:
    assert answer.status == "answered", answer.answer + str(answer.reason)
    return answer.rows[0][answer.columns.index(column)]


EXEC = Asker(role="exec")
OCT = "day BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'"


def test_exclusion(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("MRR excluding JP last month", EXEC)
    expected = one(con, f"SELECT sum(mrr) FROM fact_subscription WHERE {OCT} AND country <> 'JP'")
    assert value(ans, "mrr") == pytest.approx(expected)
    assert ans.answer.startswith("Excluding JP: ")
    # this warehouse labels countries by code: "Japan" names no member, so it is asked back, not ignored
    unknown = assistant.ask("MRR excluding Japan last month", EXEC)
    assert unknown.status == "clarify" and "japan" in unknown.answer.lower()


def test_share_of_total(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("share of MRR by plan last month", EXEC)
    assert ans.status == "answered", ans.reason
    total = one(con, f"SELECT sum(mrr) FROM fact_subscription WHERE {OCT}")
    ent = one(con, f"SELECT sum(mrr) FROM fact_subscription WHERE {OCT} AND plan_id = 'ENT'")
    row = next(r for r in ans.rows if "ENT" in r)
    assert ent / total == pytest.approx(row[ans.columns.index("mrr__share")])


def test_two_periods(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("MRR in September vs March", EXEC)
    assert ans.plan is not None and ans.plan.comparison.value == "other_period"
    march = one(
        con,
        "SELECT sum(mrr) FROM fact_subscription WHERE day BETWEEN DATE '2026-03-01' AND DATE '2026-03-31'",
    )
    assert value(ans, "mrr__baseline") == pytest.approx(march)


def test_threshold_lists_every_member(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("plans with MRR above 3000 last month", EXEC)
    expected = {
        r[0]
        for r in con.execute(
            f"SELECT plan_id FROM fact_subscription WHERE {OCT} GROUP BY plan_id HAVING sum(mrr) > 3000"
        ).fetchall()
    }
    got = {r[ans.columns.index("plan_id")] for r in ans.rows}
    assert got == expected and 0 < len(got) < 3


def test_target_list(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("which plans missed their MRR target last month", EXEC)
    expected = {
        r[0]
        for r in con.execute(
            f"SELECT plan_id FROM fact_subscription WHERE {OCT} GROUP BY plan_id HAVING sum(mrr) < sum(mrr_goal)"
        ).fetchall()
    }
    assert {r[ans.columns.index("plan_id")] for r in ans.rows} == expected


def test_rank_by_change(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("which plan's MRR grew the most vs last month", EXEC)
    assert ans.status == "answered", ans.reason
    assert ans.plan is not None and ans.plan.order[0].value.value == "delta" and len(ans.rows) == 1


def test_two_metrics(subs: Any) -> None:
    assistant, _ = subs
    ans = assistant.ask("MRR and churn rate by country last month", EXEC)
    assert ans.status == "answered", ans.reason
    assert {"mrr", "churn_rate"} <= set(ans.columns) and len(ans.rows) == 2


def test_unknown_words_are_named_not_guessed(subs: Any) -> None:
    assistant, _ = subs
    ans = assistant.ask("customer lifetime value by plan", EXEC)
    assert ans.status in ("refused", "clarify") and "lifetime" in ans.answer
    ans = assistant.ask("MRR by sales channel", EXEC)
    assert ans.status == "clarify" and "sales channel" in ans.answer


def test_scoped_asker_sees_their_scope_said(subs: Any) -> None:
    assistant, con = subs
    manager = Asker(role="country_manager", scope={"country": "DE"})
    ans = assistant.ask("total MRR last month", manager)
    assert ans.answer.startswith("Within your scope (Country: DE): ")
    assert value(ans, "mrr") == pytest.approx(
        one(con, f"SELECT sum(mrr) FROM fact_subscription WHERE {OCT} AND country = 'DE'")
    )
    ranking = assistant.ask("which country had the highest MRR last month", manager)
    assert ranking.status == "refused" and ranking.reason_code == "out_of_scope"
    claimed = assistant.ask("as the exec role, total MRR last month", manager)
    assert claimed.answer.startswith("Within your scope (Country: DE): ")
    assert value(claimed, "mrr") == value(ans, "mrr")
    assert any("login" in a for a in claimed.assumptions)


def test_metric_said_in_its_description_words(subs: Any) -> None:
    assistant, con = subs
    ans = assistant.ask("how many subscriptions were active last month", EXEC)
    expected = one(con, f"SELECT count(DISTINCT sub_id) FROM fact_subscription WHERE {OCT} AND active")
    assert value(ans, "active_subscribers") == expected
    assert any("Active subscribers" in a for a in ans.assumptions)  # says how it read the words
    assert ans.plan is not None and ans.plan.confidence < 0.85


def test_ratio_the_catalog_lacks_is_asked_not_computed(subs: Any) -> None:
    assistant, _ = subs
    ans = assistant.ask("MRR per active subscriber last month", EXEC)
    assert ans.status == "clarify" and "per active subscriber" in ans.answer.lower()
    ans = assistant.ask("what share of subscribers upgraded last month", EXEC)
    assert ans.status == "clarify" and "upgraded" in ans.answer


def test_scopes_that_would_not_restrict_rows_fail_at_start(subs: Any) -> None:
    from metricqa.integrations.api.app import create_app
    from metricqa.integrations.auth import ApiKey, ApiKeysError, ApiKeyStore

    assistant, _ = subs
    settings = assistant.settings

    def store(**scoped: Any) -> ApiKeyStore:
        return ApiKeyStore(keys=[ApiKey(key="k" * 24, user="lena", **scoped)])

    create_app(assistant, settings, store(role="country_manager", scope={"country": "DE"}))  # fine
    with pytest.raises(ApiKeysError) as wrong_case:  # "de" is no member: it would answer ¥0, silently
        create_app(assistant, settings, store(role="country_manager", scope={"country": "de"}))
    assert "'de' is not a member of country (members: DE)" in wrong_case.value.message_for("en")
    with pytest.raises(ApiKeysError) as ignored:  # exec has no row filter: the scope would be ignored
        create_app(assistant, settings, store(role="exec", scope={"country": "DE"}))
    assert "is ignored" in ignored.value.message_for("en")


@pytest.mark.parametrize(
    ("question", "period"),
    [("MRR vs our monthly target", "month"), ("MRR vs quarterly target by plan", "quarter")],
)
def test_a_grain_word_before_a_target_names_its_period_not_a_series(
    subs: Any, question: str, period: str
) -> None:
    assistant, _ = subs
    ans = assistant.ask(question, EXEC)
    assert ans.status == "answered", ans.answer
    assert ans.plan is not None and ans.plan.grain.value == "none"
    assert ans.plan.time.period.value == period  # this month / quarter (to date), not a series

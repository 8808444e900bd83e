"""A subscription business (tests/planner_table.py's catalog) whose MRR goal is set per month: the goal for
a whole month sits on its first day (a monthly planning table), as of 2026-11-20. ``per`` binds the target
per month in the catalog (or, None, leaves the goal read over the same days as the value). October is
unlike the other months: Basic billed 25 % more, Pro 20 % less, Enterprise the same (MRR per day: Basic 10,
Pro 30, Enterprise 90)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from planner_table import PLAN_TABLE_SQL, SUBSCRIPTION_CATALOG, SUBSCRIPTION_FACT_START

from metricqa.assistant.pipeline import Assistant
from metricqa.core.asker import Asker
from metricqa.core.settings import Settings

WAREHOUSE_SQL = (
    PLAN_TABLE_SQL
    + SUBSCRIPTION_FACT_START
    + """         * (CASE WHEN month(d.day) = 10 THEN (CASE p.plan_id WHEN 'BASIC' THEN 1.25 WHEN 'PRO' THEN 0.8 ELSE 1 END)
                 ELSE 1 END) AS mrr,
       CASE WHEN dayofmonth(d.day) = 1
            THEN (CASE p.plan_id WHEN 'BASIC' THEN 280 WHEN 'PRO' THEN 1000 ELSE 2400 END) ELSE 0 END AS mrr_goal,
       FALSE AS churned, TRUE AS active
FROM range(DATE '2026-01-01', DATE '2026-11-21', INTERVAL 1 DAY) AS d(day)
CROSS JOIN dim_plan AS p
CROSS JOIN (VALUES ('DE')) AS c(country);
"""
)
EXEC = Asker(role="exec")


def build(root: Path, per: str | None) -> Assistant:
    catalog = root / "catalog"
    catalog.mkdir(parents=True)
    text = SUBSCRIPTION_CATALOG
    if per:
        text = text.replace("target: {metric: mrr_target}", f"target: {{metric: mrr_target, per: {per}}}")
        assert f"per: {per}" in text
    country = "key: country, label: {en: country, zh: country}}"
    assert country in text  # the warehouse has only codes: the catalog names the members
    text = text.replace(country, country[:-1] + ", member_labels: {DE: {en: Germany, zh: 德国}}}")
    (catalog / "catalog.yaml").write_text(text, encoding="utf-8")
    warehouse = root / "subs.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(WAREHOUSE_SQL)
    con.close()
    settings = Settings(home=root / "home", warehouse=warehouse, catalog=catalog, as_of="2026-11-20")
    return Assistant.from_settings(settings)

"""Lists and lookups (issue 15) on a bookshop warehouse unlike the demo (tests/lists_fixture.py):
catalog attributes, the list plan and its governance, the compiled SQL (exact) and its rows, the rule
planner's reading in both languages, the row cap ("first 3 of 5"), and the governed CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from fastapi.testclient import TestClient
from lists_fixture import CATALOG, build_bookshop
from planner_table import demo_members
from sqlglot import exp
from test_compiler import SNAPSHOTS, snapshot_text

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.semantic.compiler import compile_plan
from metricqa.assistant.semantic.governance import check_plan
from metricqa.assistant.semantic.lists import cap_list
from metricqa.assistant.semantic.plan import AttributeRef, Intent, OrderBy, QueryPlan, TimeRange
from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.catalog.loader import load_catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import AccessDeniedError, AmbiguousQuestionError, CatalogError, InvalidPlanError
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app

EXEC = Asker(role="exec")
NORTH = Asker(role="shop_manager", scope={"shop": "N"})
ALL_TIME = TimeRange(start=date(2021, 1, 1), end=date(2021, 12, 31))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, Path]]:
    root = tmp_path_factory.mktemp("bookshop")
    catalog, warehouse = build_bookshop(root)
    (root / "keys.yaml").write_text(
        "keys:\n  - {key: north-key-000000001, user: nora, role: shop_manager, scope: {shop: N}}\n"
        "  - {key: clerk-key-000000002, user: carl, role: clerk}\n",
        encoding="utf-8",
    )
    settings = Settings(
        home=root / "home", warehouse=warehouse, catalog=catalog, list_row_limit=3,
        api_keys_file=root / "keys.yaml", demo_mode=False,
    )  # fmt: skip
    assistant = Assistant.from_settings(settings)
    yield assistant, warehouse
    assistant.close()


def invoice_plan(**update: Any) -> QueryPlan:
    plan = QueryPlan(
        metrics=("amount_billed",),
        dimensions=("invoice",),
        time=ALL_TIME,
        intent=Intent.LIST,
        limit=10,
        attributes=(
            AttributeRef(dimension="invoice", attribute="issued"),
            AttributeRef(dimension="invoice", attribute="customer"),
        ),
    )
    return plan.model_copy(update=update)


def test_attributes_compile_beside_the_label_exactly(shop: Any, overwrite_snapshots: bool) -> None:
    """Golden SQL: tests/snapshots/compiler/bookshop_invoice_list.sql (``--overwrite-snapshots`` rewrites it)."""
    assistant, _ = shop
    plan = invoice_plan(order=(OrderBy(metric="invoice__issued", direction="asc"),))
    compiled = compile_plan(plan, assistant.catalog, EXEC)
    doc = "Invoices with their issue date and customer (attributes of a key-labelled dimension), by date."
    text = snapshot_text("test_attributes_compile_beside_the_label_exactly", doc, compiled)
    path = SNAPSHOTS / "bookshop_invoice_list.sql"
    if overwrite_snapshots:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    postgres = compile_plan(plan, assistant.catalog, EXEC, dialect="postgres")
    assert postgres.count_sql is not None
    tree = sqlglot.parse_one(postgres.count_sql, dialect="postgres")
    assert len(list(tree.find_all(exp.Placeholder))) == len(postgres.params)
    assert [c.role.value for c in compiled.columns] == [
        "dimension",
        "label",
        "attribute",
        "attribute",
        "value",
    ]
    assert "invoice.buyer" in compiled.sources and "invoice.issued_on" in compiled.sources
    assert compiled.count_sql is not None and compiled.count_sql.count("?") == compiled.sql.count("?")


def test_list_rows_run_on_the_warehouse(shop: Any) -> None:
    assistant, warehouse = shop
    plan = invoice_plan(order=(OrderBy(metric="invoice__issued", direction="asc"),))
    compiled = compile_plan(plan, assistant.catalog, EXEC)
    with assistant.cursor() as con:  # the assistant's own read-only connection
        rows = con.execute(compiled.sql, list(compiled.params)).fetchall()
        total = con.execute(compiled.count_sql or "", list(compiled.params)).fetchall()
    assert [(r[0], r[2].isoformat(), r[3], float(r[4])) for r in rows] == [
        ("INV-1", "2021-03-01", "Ada", 33.0),
        ("INV-2", "2021-03-02", "Bo", 60.0),
        ("INV-3", "2021-03-05", "Cy", 24.0),
        ("INV-4", "2021-04-01", "Ada", 42.5),
        ("INV-5", "2021-04-09", "Di", 75.0),
    ]
    assert total == [(5,)]


def test_a_scoped_list_keeps_the_row_filter(shop: Any) -> None:
    assistant, _ = shop
    answer = assistant.run_plan(invoice_plan(), NORTH)
    assert answer.status == "answered", answer.answer
    assert sorted(r[0] for r in answer.rows) == ["INV-1", "INV-3", "INV-5"]


def test_governance_checks_attributes(shop: Any) -> None:
    catalog = shop[0].catalog
    colour = invoice_plan(attributes=(AttributeRef(dimension="invoice", attribute="colour"),))
    with pytest.raises(InvalidPlanError, match="no attribute 'colour'"):
        check_plan(colour, catalog, EXEC)
    elsewhere = invoice_plan(attributes=(AttributeRef(dimension="book", attribute="author"),))
    with pytest.raises(InvalidPlanError, match="does not list"):
        check_plan(elsewhere, catalog, EXEC)
    with pytest.raises(InvalidPlanError):
        check_plan(invoice_plan(dimensions=(), attributes=()), catalog, EXEC)
    with pytest.raises(AccessDeniedError):
        check_plan(invoice_plan(), catalog, Asker(role="clerk"))


def test_cap_list_sets_the_limit_and_says_so() -> None:
    plan = invoice_plan(limit=None)
    capped = cap_list(plan, 3)
    assert capped.limit == 3 and capped.notes[-1].id == "lists.note.capped"
    assert cap_list(invoice_plan(limit=2), 3).limit == 2
    assert cap_list(invoice_plan(limit=None, intent=Intent.BREAKDOWN), 3).limit is None


@pytest.mark.parametrize(
    ("question", "attributes", "rows"),
    [
        ("list the invoices with their date and customer and amount", ["issued", "customer"], 3),
        ("top 2 books by copies with their author", ["author"], 2),
        ("列出图书及其作者和售出册数", ["author"], 3),
        ("列出发票及其客户和金额", ["customer"], 3),
    ],
)
def test_list_questions_are_read_as_lists(shop: Any, question: str, attributes: list[str], rows: int) -> None:
    answer = shop[0].ask(question, EXEC)
    assert answer.status == "answered", answer.answer
    assert answer.plan is not None and answer.plan.intent is Intent.LIST
    assert [a.attribute for a in answer.plan.attributes] == attributes
    assert len(answer.rows) == rows and answer.chart is None


def test_a_capped_list_says_first_n_of_all(shop: Any) -> None:
    answer = shop[0].ask("list the invoices with their date and amount", EXEC)
    assert answer.total_rows == 5 and len(answer.rows) == 3
    assert "first 3 of 5" in answer.answer
    zh = shop[0].ask("列出发票及其开票日期和金额", EXEC)
    assert "显示前 3 行,共 5 行" in zh.answer and "发票" in zh.answer


@pytest.mark.parametrize(
    ("question", "status", "named"),
    [
        ("list the suppliers with their amount", "refused", "suppliers"),
        ("list the books with their colour and copies", "clarify", "colour"),
        ("列出图书及其颜色和册数", "clarify", "颜色"),
    ],
)
def test_a_list_of_what_the_catalog_lacks_is_asked_back(
    shop: Any, question: str, status: str, named: str
) -> None:
    answer = shop[0].ask(question, EXEC)
    assert answer.status == status and not answer.rows
    assert named in (answer.reason or answer.answer)


def test_attribute_validation_names_the_file_and_column(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(CATALOG.replace("column: buyer", "column: buyer_name"), "utf-8")
    catalog = load_catalog(tmp_path)
    from metricqa.catalog.validation import validate_catalog

    schema = {"invoice": {"invoice_no": "VARCHAR", "issued_on": "DATE", "buyer": "VARCHAR"}}
    issues = [i for i in validate_catalog(catalog, schema) if "buyer_name" in i.message]
    assert (
        issues
        and issues[0].field == "attributes.customer.column.en"
        and issues[0].file.endswith("catalog.yaml")
    )
    wrong = {"invoice": {**schema["invoice"], "issued_on": "VARCHAR"}}
    kinds = [
        i for i in validate_catalog(load_catalog(tmp_path), wrong) if i.field == "attributes.issued.kind"
    ]
    assert kinds and "is a date" in kinds[0].message
    (tmp_path / "catalog.yaml").write_text(CATALOG.replace("kind: date}", "kind: weekday}"), "utf-8")
    with pytest.raises(CatalogError, match="kind"):
        load_catalog(tmp_path)


def test_csv_of_a_list_is_run_for_the_caller(shop: Any) -> None:
    assistant, _ = shop
    app = create_app(assistant, assistant.settings)
    plan = invoice_plan().model_dump(mode="json")
    with TestClient(app) as client:
        resp = client.post(
            "/api/answer.csv", json={"plan": plan}, headers={"X-API-Key": "north-key-000000001"}
        )
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        lines = resp.text.strip().splitlines()
        assert lines[0] == "invoice_id,invoice,invoice__issued,invoice__customer,amount_billed"
        assert sorted(line.split(",")[0] for line in lines[1:]) == ["INV-1", "INV-3", "INV-5"]
        denied = client.post(
            "/api/answer.csv", json={"plan": plan}, headers={"X-API-Key": "clerk-key-000000002"}
        )
        assert denied.status_code == 400 and denied.json()["ok"] is False


@pytest.mark.parametrize(
    ("question", "dimension", "intent"),
    [
        ("the amount of each invoice", "invoice", Intent.LIST),
        ("每张发票的金额", "invoice", Intent.LIST),
        ("each book's copies", "book", Intent.LIST),
        ("每本书的册数", "book", Intent.LIST),
        ("copies by book", "book", Intent.BREAKDOWN),  # a breakdown stays a breakdown (a chart)
    ],
)
def test_each_x_is_a_list_of_x_never_a_total(
    shop: Any, question: str, dimension: str, intent: Intent
) -> None:
    answer = shop[0].ask(question, EXEC)
    assert answer.status == "answered" and answer.plan is not None
    assert answer.plan.dimensions == (dimension,) and answer.plan.intent is intent
    assert len(answer.rows) > 1


# ---- the demo catalog's attributes, read by the rule planner (plans only) ----------------------------

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"


@pytest.fixture(scope="module")
def demo_ctx() -> PlanningContext:
    return PlanningContext(catalog=load_catalog(DEMO), members=demo_members(), as_of=date(2026, 11, 20))


@pytest.mark.parametrize(
    ("question", "attributes", "limit"),
    [
        ("top 20 products by revenue with their line", [("product", "line")], 20),
        ("前20个产品的销售额及其产品线", [("product", "line")], 20),
        ("list the reps with their hire date and win rate this year", [("rep", "hire_date")], None),
        ("列出所有销售代表的团队和上月销售额", [("rep", "team")], None),
        ("bottom 5 products by revenue this year with their list price", [("product", "list_price")], 5),
    ],
)
def test_demo_list_questions_plan_their_attributes(
    demo_ctx: PlanningContext, question: str, attributes: list[tuple[str, str]], limit: int | None
) -> None:
    plan = RulePlanner().plan(question, demo_ctx)
    assert plan.intent is Intent.LIST and plan.limit == limit
    assert [(a.dimension, a.attribute) for a in plan.attributes] == attributes


def test_an_attribute_word_without_its_dimension_is_not_a_breakdown(demo_ctx: PlanningContext) -> None:
    """ "按销售团队": team is a rep's attribute, not a dimension; asked back as before, never grouped by."""
    with pytest.raises(AmbiguousQuestionError):
        RulePlanner().plan("按销售团队看今年的销售额", demo_ctx)


@pytest.mark.parametrize(
    ("question", "by", "first", "said"),
    [
        ("list the invoices with their customer and amount sorted by issue date", "invoice__issued", "INV-1",
         "by date, earliest first"),
        ("list the books by author with their copies", "book__author", "B2", "by author, A to Z"),
        ("按作者列出图书的册数", "book__author", "B2", "按作者升序"),
    ],
)  # fmt: skip
def test_a_list_sorted_by_an_attribute(shop: Any, question: str, by: str, first: str, said: str) -> None:
    answer = shop[0].ask(question, EXEC)
    assert answer.status == "answered" and answer.plan is not None
    assert [o.by for o in answer.plan.order] == [by] and answer.rows[0][0] == first
    assert said in answer.answer


@pytest.mark.parametrize(
    "question", ["which customers ordered more than ¥1M this year", "which suppliers billed more than 40"]
)
def test_which_x_with_no_dimension_x_is_asked_back_never_one_number(shop: Any, question: str) -> None:
    """ "which customers …" with no customer dimension: not a metric's single value read from the words."""
    answer = shop[0].ask(question, EXEC)
    assert answer.status in ("clarify", "refused") and not answer.rows
    assert question.split()[1] in (answer.reason or answer.answer)


def test_which_customers_in_the_demo_is_not_new_customers(demo_ctx: PlanningContext) -> None:
    with pytest.raises(AmbiguousQuestionError, match="customers"):
        RulePlanner().plan("which customers ordered more than ¥1M this year", demo_ctx)

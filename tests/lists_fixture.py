"""A bookshop's warehouse and catalog, unlike the demo: invoices (a dimension of their own, with their
date and customer as attributes), invoice lines of books, two shops; a role that sees one shop only.
For lists and lookups (issue 15)."""

from __future__ import annotations

from pathlib import Path

from fixture_files import write_fixture

CATALOG = """
defaults: {period: all_time}
models:
  - {id: invoice_lines, table: invoice_line, alias: il,
     joins: [{table: invoice, alias: i, keys: [[il.invoice_no, invoice_no]]}],
     time: i.issued_on, dimensions: {invoice: il.invoice_no, shop: i.shop_code, book: il.isbn}}
measures:
  - {id: billed, model: invoice_lines, agg: sum, expr: il.copies * il.price}
  - {id: copies_sold, model: invoice_lines, agg: sum, expr: il.copies}
metrics:
  - id: amount_billed
    type: simple
    measure: billed
    name: {en: Amount billed, zh: 开票金额}
    synonyms: {en: [amount, billed, takings], zh: [金额, 营业额]}
    description: {en: Money billed on invoices., zh: 发票开出的金额。}
    definition: {en: Sum of copies times price over invoice lines., zh: 发票行册数乘单价之和。}
    unit: currency
    owner: Shop Finance
    department: Finance
  - id: copies
    type: simple
    measure: copies_sold
    name: {en: Copies sold, zh: 售出册数}
    synonyms: {en: [copies], zh: [册数]}
    description: {en: Books sold., zh: 售出的书。}
    definition: {en: Sum of copies over invoice lines., zh: 发票行册数之和。}
    unit: count
    owner: Shop Finance
    department: Finance
    sensitive: false
dimensions:
  - id: invoice
    name: {en: Invoice, zh: 发票}
    synonyms: {en: [invoices]}
    table: invoice
    key: invoice_no
    join_key: invoice_no
    label: {en: invoice_no, zh: invoice_no}
    attributes:
      - {id: issued, name: {en: date, zh: 开票日期}, synonyms: {en: [issue date, dates]}, column: issued_on, kind: date}
      - {id: customer, name: {en: customer, zh: 客户}, synonyms: {en: [buyer]}, column: buyer}
  - id: shop
    name: {en: Shop, zh: 门店}
    synonyms: {en: [shops, store], zh: [书店]}
    table: shop
    key: shop_code
    join_key: shop_code
    label: {en: shop_name, zh: shop_name_zh}
  - id: book
    name: {en: Book, zh: 图书}
    synonyms: {en: [books, title, titles], zh: [书]}
    table: book
    key: isbn
    join_key: isbn
    label: {en: title, zh: title_zh}
    attributes:
      - {id: author, name: {en: author, zh: 作者}, synonyms: {en: [authors, writer]}, column: author}
      - {id: list_price, name: {en: cover price, zh: 定价}, column: cover_price, kind: currency}
roles:
  - {id: exec, metrics: "*"}
  - {id: shop_manager, metrics: [amount_billed, copies], row_filters: [{dimension: shop, scope: shop}]}
  - {id: clerk, metrics: [copies]}
"""

WAREHOUSE = """
CREATE TABLE shop (shop_code VARCHAR, shop_name VARCHAR, shop_name_zh VARCHAR);
INSERT INTO shop VALUES ('N', 'North Street', '北街店'), ('S', 'South Square', '南广场店');
CREATE TABLE book (isbn VARCHAR, title VARCHAR, title_zh VARCHAR, author VARCHAR, cover_price DECIMAL(8,2));
INSERT INTO book VALUES ('B1', 'Dune', '沙丘', 'Herbert', 12.50), ('B2', 'Emma', '爱玛', 'Austen', 8.00),
  ('B3', 'Ulysses', '尤利西斯', 'Joyce', 15.00);
CREATE TABLE invoice (invoice_no VARCHAR, issued_on DATE, buyer VARCHAR, shop_code VARCHAR);
INSERT INTO invoice VALUES ('INV-1', DATE '2021-03-01', 'Ada', 'N'), ('INV-2', DATE '2021-03-02', 'Bo', 'S'),
  ('INV-3', DATE '2021-03-05', 'Cy', 'N'), ('INV-4', DATE '2021-04-01', 'Ada', 'S'),
  ('INV-5', DATE '2021-04-09', 'Di', 'N');
CREATE TABLE invoice_line (invoice_no VARCHAR, line INT, isbn VARCHAR, copies INT, price DECIMAL(8,2));
INSERT INTO invoice_line VALUES ('INV-1', 1, 'B1', 2, 12.50), ('INV-1', 2, 'B2', 1, 8.00),
  ('INV-2', 1, 'B3', 4, 15.00), ('INV-3', 1, 'B2', 3, 8.00), ('INV-4', 1, 'B1', 1, 12.50),
  ('INV-4', 2, 'B3', 2, 15.00), ('INV-5', 1, 'B2', 10, 7.50);
"""


def build_bookshop(root: Path) -> tuple[Path, Path]:
    """Write the catalog and build the warehouse under ``root``; returns (catalog dir, warehouse file)."""
    return write_fixture(root, CATALOG, WAREHOUSE, "bookshop")

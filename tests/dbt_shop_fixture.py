"""The warehouse of the dbt shop project (tests/fixtures/dbt_shop): the tables its dbt models would build,
generated deterministically in DuckDB SQL (no seed, no clock): orders, their lines, customers, stores,
products, supplies, site visits and a daily inventory snapshot, all dated in 2024."""

from __future__ import annotations

from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parent / "fixtures" / "dbt_shop"
QUESTIONS = PROJECT / "questions.yaml"

WAREHOUSE = """
CREATE TABLE products AS SELECT * FROM (VALUES
    (1, 'Classic jaffle', 'jaffle', 8.0), (2, 'Cheese jaffle', 'jaffle', 9.5), (3, 'Veggie jaffle', 'jaffle', 10.0),
    (4, 'Coffee', 'beverage', 3.5), (5, 'Tea', 'beverage', 3.0), (6, 'Juice', 'beverage', 4.5))
    AS t(product_id, product_name, product_type, price);
CREATE TABLE stores AS SELECT * FROM (VALUES
    (1, 'Downtown', 'Philadelphia'), (2, 'Uptown', 'Philadelphia'), (3, 'Harbor', 'Brooklyn'), (4, 'Airport', 'Chicago'))
    AS t(store_id, store_name, city);
CREATE TABLE customers AS
SELECT i AS customer_id, 'Customer ' || i AS customer_name,
       CASE WHEN i % 4 = 0 THEN 'returning' ELSE 'new' END AS customer_type,
       CASE i % 3 WHEN 0 THEN 'Philadelphia' WHEN 1 THEN 'Brooklyn' ELSE 'Chicago' END AS city,
       DATE '2024-01-01' + CAST(i % 60 AS INTEGER) AS first_ordered_at
FROM range(1, 151) AS r(i);
CREATE TABLE order_items AS
SELECT o * 3 + k AS order_item_id, o AS order_id, p.product_id, 1 + (o + k) % 3 AS quantity, p.price AS unit_price,
       DATE '2024-01-01' + CAST((o * 7919) % 366 AS INTEGER) AS ordered_at
FROM range(0, 2000) AS a(o), range(0, 3) AS b(k), products AS p
WHERE k <= o % 3 AND p.product_id = 1 + (o * 7 + k * 3) % 6;
CREATE TABLE orders AS
SELECT o AS order_id, 1 + (o * 37) % 150 AS customer_id, 1 + o % 4 AS store_id,
       DATE '2024-01-01' + CAST((o * 7919) % 366 AS INTEGER) AS ordered_at,
       CASE WHEN o % 10 = 0 THEN NULL ELSE DATE '2024-01-01' + CAST((o * 7919) % 366 + o % 4 AS INTEGER) END
           AS delivered_at,
       CASE WHEN o % 5 < 2 THEN 'web' WHEN o % 5 < 4 THEN 'app' ELSE 'store' END AS channel,
       (SELECT sum(quantity * unit_price) FROM order_items AS i WHERE i.order_id = o) AS order_total,
       EXISTS (SELECT 1 FROM order_items AS i JOIN products AS p USING (product_id)
               WHERE i.order_id = o AND p.product_type = 'jaffle') AS is_food_order
FROM range(0, 2000) AS r(o);
CREATE TABLE supplies AS
SELECT i AS supply_id, 1 + i % 6 AS product_id, (i % 7) * 10 + 25.0 AS cost,
       DATE '2024-01-01' + CAST((i * 13) % 366 AS INTEGER) AS supplied_at
FROM range(0, 300) AS r(i);
CREATE TABLE visits AS
SELECT i AS visit_id, 1 + (i * 53) % 150 AS customer_id,
       DATE '2024-01-01' + CAST((i * 4177) % 366 AS INTEGER) AS visited_at
FROM range(0, 1500) AS r(i);
CREATE TABLE inventory AS
SELECT d::DATE AS snapshot_date, s AS store_id, (dayofyear(d) * 3 + s * 11) % 50 + 10 AS on_hand
FROM range(DATE '2024-01-01', DATE '2025-01-01', INTERVAL 1 DAY) AS r(d), range(1, 5) AS t(s);
"""


def build_shop(path: Path) -> Path:
    """The shop warehouse at ``path`` (a DuckDB file)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(WAREHOUSE)
    finally:
        con.close()
    return path

-- test: test_snapshot[list_attributes]
-- A list of products with their line and list price (zh columns), capped, under a rep's row filter.
-- params: ['2026-10-01', '2026-11-01', 'R001']
-- columns: ['product_id', 'product', 'product__line', 'product__list_price', 'revenue']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    l.product_id AS product_id,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed' AND o.rep_id = ?
  GROUP BY
    l.product_id
), product__labels AS (
  /* dimension product: member labels and attributes (zh) from dim_product */
  SELECT
    product_id AS member_key,
    MIN(product_name) AS label,
    MIN(product_line_zh) AS product__line,
    MIN(list_price) AS product__list_price
  FROM dim_product
  WHERE
    NOT product_id IS NULL
  GROUP BY
    product_id
), metric_values AS (
  /* metrics revenue */
  SELECT
    order_lines.product_id AS product_id,
    product__labels.label AS product,
    product__labels.product__line AS product__line,
    product__labels.product__list_price AS product__list_price,
    COALESCE(order_lines.revenue_amount, 0) AS revenue
  FROM order_lines
  LEFT JOIN product__labels
    ON product__labels.member_key = order_lines.product_id
)
SELECT
  product_id,
  product,
  product__line,
  product__list_price,
  revenue
FROM metric_values
ORDER BY
  revenue DESC,
  product_id ASC
LIMIT 100;

-- test: test_snapshot[product_line_join]
-- product_line's key differs from its join key: the dimension table is joined; zh labels.
-- params: ['2026-07-01', '2026-10-01']
-- columns: ['product_line_id', 'product_line', 'gross_profit']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount, cogs_amount */
  SELECT
    product_line_dim.product_line AS product_line_id,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount,
    SUM(l.quantity * l.unit_cost) AS cogs_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  LEFT JOIN dim_product AS product_line_dim
    ON l.product_id = product_line_dim.product_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    product_line_dim.product_line
), product_line__labels AS (
  /* dimension product_line: member labels (zh) from dim_product */
  SELECT
    product_line AS member_key,
    MIN(product_line_zh) AS label
  FROM dim_product
  WHERE
    NOT product_line IS NULL
  GROUP BY
    product_line
), metric_values AS (
  /* metrics gross_profit */
  SELECT
    order_lines.product_line_id AS product_line_id,
    product_line__labels.label AS product_line,
    (
      COALESCE(order_lines.revenue_amount, 0)
    ) - (
      COALESCE(order_lines.cogs_amount, 0)
    ) AS gross_profit
  FROM order_lines
  LEFT JOIN product_line__labels
    ON product_line__labels.member_key = order_lines.product_line_id
)
SELECT
  product_line_id,
  product_line,
  gross_profit
FROM metric_values
ORDER BY
  gross_profit DESC,
  product_line_id ASC;

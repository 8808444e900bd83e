-- test: test_snapshot[total]
-- Revenue for one month, no split.
-- params: ['2026-10-01', '2026-11-01']
-- columns: ['revenue']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
), metric_values AS (
  /* metrics revenue */
  SELECT
    COALESCE(order_lines.revenue_amount, 0) AS revenue
  FROM order_lines
)
SELECT
  revenue
FROM metric_values;

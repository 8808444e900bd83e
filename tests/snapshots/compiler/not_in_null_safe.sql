-- test: test_snapshot[not_in_null_safe]
-- Excluding a member keeps the rows with no member: (key NOT IN (?) OR key IS NULL); the row filter stays key = ?.
-- params: ['2026-10-01', '2026-11-01', 'ONLINE', 'RETAIL', 'EAST']
-- columns: ['revenue']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ?
    AND o.order_date < ?
    AND o.status = 'completed'
    AND (
      NOT o.channel_id IN (?, ?) OR o.channel_id IS NULL
    )
    AND o.region_id = ?
), metric_values AS (
  /* metrics revenue */
  SELECT
    COALESCE(order_lines.revenue_amount, 0) AS revenue
  FROM order_lines
)
SELECT
  revenue
FROM metric_values;

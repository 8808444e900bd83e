-- test: test_snapshot[share_of_member]
-- What % of revenue came from Online: the total drops the channel filter.
-- params: ['2026-10-01', '2026-11-01', 'ONLINE', '2026-10-01', '2026-11-01']
-- columns: ['revenue', 'revenue__total', 'revenue__share']
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
    AND o.channel_id IN (?)
), order_lines__total AS (
  /* model order_lines (total, table fact_order_line): measures revenue_amount */
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
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(order_lines__total.revenue_amount, 0) AS revenue__total
  FROM order_lines
  CROSS JOIN order_lines__total
)
SELECT
  revenue,
  revenue__total,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__total, 0) AS revenue__share
FROM metric_values;

-- test: test_snapshot[derived]
-- A ratio of a derived metric: measures inlined.
-- params: ['2026-10-01', '2026-11-01']
-- columns: ['gross_margin']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount, cogs_amount */
  SELECT
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount,
    SUM(l.quantity * l.unit_cost) AS cogs_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
), metric_values AS (
  /* metrics gross_margin */
  SELECT
    CAST((
      COALESCE(order_lines.revenue_amount, 0)
    ) - (
      COALESCE(order_lines.cogs_amount, 0)
    ) AS DOUBLE) / NULLIF(COALESCE(order_lines.revenue_amount, 0), 0) AS gross_margin
  FROM order_lines
)
SELECT
  gross_margin
FROM metric_values;

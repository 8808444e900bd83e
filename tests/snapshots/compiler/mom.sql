-- test: test_snapshot[mom]
-- Month to date vs the same days of last month.
-- params: ['2026-11-01', '2026-11-21', '2026-10-01', '2026-10-21']
-- columns: ['revenue', 'revenue__baseline', 'revenue__delta', 'revenue__ratio']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
), order_lines__baseline AS (
  /* model order_lines (baseline, table fact_order_line): measures revenue_amount */
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
    COALESCE(order_lines__baseline.revenue_amount, 0) AS revenue__baseline
  FROM order_lines
  CROSS JOIN order_lines__baseline
)
SELECT
  revenue,
  revenue__baseline,
  revenue - revenue__baseline AS revenue__delta,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__baseline, 0) AS revenue__ratio
FROM metric_values;

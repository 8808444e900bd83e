-- test: test_snapshot[by_month]
-- A monthly series, partial last month.
-- params: ['2026-01-01', '2026-11-21']
-- columns: ['period', 'revenue']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    CAST(DATE_TRUNC('MONTH', o.order_date) AS DATE) AS period,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', o.order_date) AS DATE)
), metric_values AS (
  /* metrics revenue */
  SELECT
    order_lines.period AS period,
    COALESCE(order_lines.revenue_amount, 0) AS revenue
  FROM order_lines
)
SELECT
  period,
  revenue
FROM metric_values
ORDER BY
  period ASC;

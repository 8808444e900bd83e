-- test: test_snapshot[other_period_series]
-- Two years by month: each 2025 bucket moves forward 12 months onto its 2026 bucket.
-- params: ['2026-01-01', '2026-07-01', '2025-01-01', '2025-07-01']
-- columns: ['period', 'revenue', 'revenue__baseline', 'revenue__delta', 'revenue__ratio']
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
), order_lines__baseline AS (
  /* model order_lines (baseline, table fact_order_line): measures revenue_amount */
  SELECT
    CAST(DATE_TRUNC('MONTH', o.order_date + INTERVAL '12' MONTH) AS DATE) AS period,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', o.order_date + INTERVAL '12' MONTH) AS DATE)
), spine AS (
  SELECT
    period
  FROM order_lines
  UNION
  SELECT
    period
  FROM order_lines__baseline
), metric_values AS (
  /* metrics revenue */
  SELECT
    spine.period AS period,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(order_lines__baseline.revenue_amount, 0) AS revenue__baseline
  FROM spine
  LEFT JOIN order_lines
    ON spine.period IS NOT DISTINCT FROM order_lines.period
  LEFT JOIN order_lines__baseline
    ON spine.period IS NOT DISTINCT FROM order_lines__baseline.period
)
SELECT
  period,
  revenue,
  revenue__baseline,
  revenue - revenue__baseline AS revenue__delta,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__baseline, 0) AS revenue__ratio
FROM metric_values
ORDER BY
  period ASC;

-- test: test_snapshot[threshold_missed_target]
-- Which regions missed target: comparison target, ratio < 1, no limit.
-- params: ['2026-11-01', '2026-11-21', '2026-11-01', '2026-11-21', '1.0']
-- columns: ['region_id', 'region', 'revenue', 'revenue__baseline', 'revenue__delta', 'revenue__ratio']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    o.region_id AS region_id,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    o.region_id
), targets AS (
  /* model targets (table fact_target): measures revenue_target_amount */
  SELECT
    t.region_id AS region_id,
    SUM(t.target_value) AS revenue_target_amount
  FROM fact_target AS t
  WHERE
    t.month >= ? AND t.month < ? AND t.metric = 'revenue'
  GROUP BY
    t.region_id
), spine AS (
  SELECT
    region_id
  FROM order_lines
  UNION
  SELECT
    region_id
  FROM targets
), region__labels AS (
  /* dimension region: member labels (en) from dim_region */
  SELECT
    region_id AS member_key,
    MIN(region_name) AS label
  FROM dim_region
  WHERE
    NOT region_id IS NULL
  GROUP BY
    region_id
), metric_values AS (
  /* metrics revenue */
  SELECT
    spine.region_id AS region_id,
    region__labels.label AS region,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(targets.revenue_target_amount, 0) AS revenue__baseline
  FROM spine
  LEFT JOIN order_lines
    ON spine.region_id IS NOT DISTINCT FROM order_lines.region_id
  LEFT JOIN targets
    ON spine.region_id IS NOT DISTINCT FROM targets.region_id
  LEFT JOIN region__labels
    ON region__labels.member_key = spine.region_id
)
SELECT
  region_id,
  region,
  revenue,
  revenue__baseline,
  revenue - revenue__baseline AS revenue__delta,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__baseline, 0) AS revenue__ratio
FROM metric_values
WHERE
  CAST(revenue AS DOUBLE) / NULLIF(revenue__baseline, 0) < ?
ORDER BY
  revenue DESC,
  region_id ASC;

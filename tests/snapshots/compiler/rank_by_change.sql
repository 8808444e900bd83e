-- test: test_snapshot[rank_by_change]
-- Which regions grew most vs the previous period: order by delta, NULLs last, limit 3.
-- params: ['2026-10-01', '2026-11-01', '2026-09-01', '2026-10-01']
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
), order_lines__baseline AS (
  /* model order_lines (baseline, table fact_order_line): measures revenue_amount */
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
), spine AS (
  SELECT
    region_id
  FROM order_lines
  UNION
  SELECT
    region_id
  FROM order_lines__baseline
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
    COALESCE(order_lines__baseline.revenue_amount, 0) AS revenue__baseline
  FROM spine
  LEFT JOIN order_lines
    ON spine.region_id IS NOT DISTINCT FROM order_lines.region_id
  LEFT JOIN order_lines__baseline
    ON spine.region_id IS NOT DISTINCT FROM order_lines__baseline.region_id
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
ORDER BY
  revenue__delta DESC,
  region_id ASC
LIMIT 3;

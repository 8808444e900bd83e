-- test: test_snapshot[yoy]
-- A quarter vs the same quarter last year, by region.
-- params: ['2026-07-01', '2026-10-01', '2025-07-01', '2025-10-01']
-- columns: ['region_id', 'region', 'order_count', 'order_count__baseline', 'order_count__delta', 'order_count__ratio']
WITH orders AS (
  /* model orders (table fact_order): measures completed_orders */
  SELECT
    o.region_id AS region_id,
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    o.region_id
), orders__baseline AS (
  /* model orders (baseline, table fact_order): measures completed_orders */
  SELECT
    o.region_id AS region_id,
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    o.region_id
), spine AS (
  SELECT
    region_id
  FROM orders
  UNION
  SELECT
    region_id
  FROM orders__baseline
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
  /* metrics order_count */
  SELECT
    spine.region_id AS region_id,
    region__labels.label AS region,
    COALESCE(orders.completed_orders, 0) AS order_count,
    COALESCE(orders__baseline.completed_orders, 0) AS order_count__baseline
  FROM spine
  LEFT JOIN orders
    ON spine.region_id IS NOT DISTINCT FROM orders.region_id
  LEFT JOIN orders__baseline
    ON spine.region_id IS NOT DISTINCT FROM orders__baseline.region_id
  LEFT JOIN region__labels
    ON region__labels.member_key = spine.region_id
)
SELECT
  region_id,
  region,
  order_count,
  order_count__baseline,
  order_count - order_count__baseline AS order_count__delta,
  CAST(order_count AS DOUBLE) / NULLIF(order_count__baseline, 0) AS order_count__ratio
FROM metric_values
ORDER BY
  order_count DESC,
  region_id ASC;

-- test: test_snapshot[threshold]
-- Regions with more than 200 orders: WHERE on the figure, the number a bound parameter.
-- params: ['2026-10-01', '2026-11-01', '200.0']
-- columns: ['region_id', 'region', 'order_count']
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
    orders.region_id AS region_id,
    region__labels.label AS region,
    COALESCE(orders.completed_orders, 0) AS order_count
  FROM orders
  LEFT JOIN region__labels
    ON region__labels.member_key = orders.region_id
)
SELECT
  region_id,
  region,
  order_count
FROM metric_values
WHERE
  order_count > ?
ORDER BY
  order_count DESC,
  region_id ASC;

-- test: test_snapshot[by_region]
-- Two metrics of one model share a scan, split by region with labels.
-- params: ['2026-10-01', '2026-11-01', '2026-10-01', '2026-11-01']
-- columns: ['region_id', 'region', 'revenue', 'order_count']
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
), orders AS (
  /* model orders (table fact_order): measures completed_orders */
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
  FROM order_lines
  UNION
  SELECT
    region_id
  FROM orders
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
  /* metrics revenue, order_count */
  SELECT
    spine.region_id AS region_id,
    region__labels.label AS region,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(orders.completed_orders, 0) AS order_count
  FROM spine
  LEFT JOIN order_lines
    ON spine.region_id IS NOT DISTINCT FROM order_lines.region_id
  LEFT JOIN orders
    ON spine.region_id IS NOT DISTINCT FROM orders.region_id
  LEFT JOIN region__labels
    ON region__labels.member_key = spine.region_id
)
SELECT
  region_id,
  region,
  revenue,
  order_count
FROM metric_values
ORDER BY
  revenue DESC,
  region_id ASC;

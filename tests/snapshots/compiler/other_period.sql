-- test: test_snapshot[other_period]
-- Any two periods: the baseline branch reads baseline_time (October vs June), not a shift of time.
-- params: ['2026-10-01', '2026-11-01', '2026-06-01', '2026-07-01']
-- columns: ['order_count', 'order_count__baseline', 'order_count__delta', 'order_count__ratio']
WITH orders AS (
  /* model orders (table fact_order): measures completed_orders */
  SELECT
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
), orders__baseline AS (
  /* model orders (baseline, table fact_order): measures completed_orders */
  SELECT
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
), metric_values AS (
  /* metrics order_count */
  SELECT
    COALESCE(orders.completed_orders, 0) AS order_count,
    COALESCE(orders__baseline.completed_orders, 0) AS order_count__baseline
  FROM orders
  CROSS JOIN orders__baseline
)
SELECT
  order_count,
  order_count__baseline,
  order_count - order_count__baseline AS order_count__delta,
  CAST(order_count AS DOUBLE) / NULLIF(order_count__baseline, 0) AS order_count__ratio
FROM metric_values;

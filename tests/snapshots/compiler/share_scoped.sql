-- test: test_snapshot[share_scoped]
-- A scoped asker's share: the row filter applies to the total too (their scope's total).
-- params: ['2026-10-01', '2026-11-01', 'EAST', '2026-10-01', '2026-11-01', 'EAST']
-- columns: ['channel_id', 'channel', 'order_count', 'order_count__total', 'order_count__share']
WITH orders AS (
  /* model orders (table fact_order): measures completed_orders */
  SELECT
    o.channel_id AS channel_id,
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ?
    AND o.order_date < ?
    AND o.status = 'completed'
    AND o.region_id = ?
  GROUP BY
    o.channel_id
), orders__total AS (
  /* model orders (total, table fact_order): measures completed_orders */
  SELECT
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ?
    AND o.order_date < ?
    AND o.status = 'completed'
    AND o.region_id = ?
), channel__labels AS (
  /* dimension channel: member labels (en) from dim_channel */
  SELECT
    channel_id AS member_key,
    MIN(channel_name) AS label
  FROM dim_channel
  WHERE
    NOT channel_id IS NULL
  GROUP BY
    channel_id
), metric_values AS (
  /* metrics order_count */
  SELECT
    orders.channel_id AS channel_id,
    channel__labels.label AS channel,
    COALESCE(orders.completed_orders, 0) AS order_count,
    COALESCE(orders__total.completed_orders, 0) AS order_count__total
  FROM orders
  CROSS JOIN orders__total
  LEFT JOIN channel__labels
    ON channel__labels.member_key = orders.channel_id
)
SELECT
  channel_id,
  channel,
  order_count,
  order_count__total,
  CAST(order_count AS DOUBLE) / NULLIF(order_count__total, 0) AS order_count__share
FROM metric_values
ORDER BY
  order_count DESC,
  channel_id ASC;

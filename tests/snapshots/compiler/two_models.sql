-- test: test_snapshot[two_models]
-- Two metrics from two models, each its own number: order count (orders) + payment amount (payments).
-- params: ['2026-10-01', '2026-11-01', '2026-10-01', '2026-11-01']
-- columns: ['channel_id', 'channel', 'order_count', 'payment_amount']
WITH orders AS (
  /* model orders (table fact_order): measures completed_orders */
  SELECT
    o.channel_id AS channel_id,
    COUNT(DISTINCT o.order_id) AS completed_orders
  FROM fact_order AS o
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    o.channel_id
), payments AS (
  /* model payments (table fact_payment): measures payments_received */
  SELECT
    o.channel_id AS channel_id,
    SUM(p.amount) AS payments_received
  FROM fact_payment AS p
  JOIN fact_order AS o
    ON p.order_id = o.order_id
  WHERE
    p.payment_date >= ? AND p.payment_date < ?
  GROUP BY
    o.channel_id
), spine AS (
  SELECT
    channel_id
  FROM orders
  UNION
  SELECT
    channel_id
  FROM payments
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
  /* metrics order_count, payment_amount */
  SELECT
    spine.channel_id AS channel_id,
    channel__labels.label AS channel,
    COALESCE(orders.completed_orders, 0) AS order_count,
    COALESCE(payments.payments_received, 0) AS payment_amount
  FROM spine
  LEFT JOIN orders
    ON spine.channel_id IS NOT DISTINCT FROM orders.channel_id
  LEFT JOIN payments
    ON spine.channel_id IS NOT DISTINCT FROM payments.channel_id
  LEFT JOIN channel__labels
    ON channel__labels.member_key = spine.channel_id
)
SELECT
  channel_id,
  channel,
  order_count,
  payment_amount
FROM metric_values
ORDER BY
  order_count DESC,
  channel_id ASC;

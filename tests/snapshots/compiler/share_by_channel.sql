-- test: test_snapshot[share_by_channel]
-- Share of revenue by channel: a total CTE not grouped by channel, CROSS JOINed; share = value / total.
-- params: ['2026-10-01', '2026-11-01', 'EAST', 'NORTH', '2026-10-01', '2026-11-01', 'EAST', 'NORTH']
-- columns: ['channel_id', 'channel', 'revenue', 'revenue__total', 'revenue__share']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    o.channel_id AS channel_id,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ?
    AND o.order_date < ?
    AND o.status = 'completed'
    AND o.region_id IN (?, ?)
  GROUP BY
    o.channel_id
), order_lines__total AS (
  /* model order_lines (total, table fact_order_line): measures revenue_amount */
  SELECT
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ?
    AND o.order_date < ?
    AND o.status = 'completed'
    AND o.region_id IN (?, ?)
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
  /* metrics revenue */
  SELECT
    order_lines.channel_id AS channel_id,
    channel__labels.label AS channel,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(order_lines__total.revenue_amount, 0) AS revenue__total
  FROM order_lines
  CROSS JOIN order_lines__total
  LEFT JOIN channel__labels
    ON channel__labels.member_key = order_lines.channel_id
)
SELECT
  channel_id,
  channel,
  revenue,
  revenue__total,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__total, 0) AS revenue__share
FROM metric_values
ORDER BY
  revenue DESC,
  channel_id ASC;

-- test: test_snapshot[share_series]
-- Share by channel per month: the total is grouped by the period and joined on it.
-- params: ['2026-07-01', '2026-10-01', '2026-07-01', '2026-10-01']
-- columns: ['period', 'channel_id', 'channel', 'revenue', 'revenue__total', 'revenue__share']
WITH order_lines AS (
  /* model order_lines (table fact_order_line): measures revenue_amount */
  SELECT
    CAST(DATE_TRUNC('MONTH', o.order_date) AS DATE) AS period,
    o.channel_id AS channel_id,
    SUM(l.quantity * l.unit_price - l.discount_amount) AS revenue_amount
  FROM fact_order_line AS l
  JOIN fact_order AS o
    ON l.order_id = o.order_id
  WHERE
    o.order_date >= ? AND o.order_date < ? AND o.status = 'completed'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', o.order_date) AS DATE),
    o.channel_id
), order_lines__total AS (
  /* model order_lines (total, table fact_order_line): measures revenue_amount */
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
    order_lines.period AS period,
    order_lines.channel_id AS channel_id,
    channel__labels.label AS channel,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(order_lines__total.revenue_amount, 0) AS revenue__total
  FROM order_lines
  LEFT JOIN order_lines__total
    ON order_lines.period IS NOT DISTINCT FROM order_lines__total.period
  LEFT JOIN channel__labels
    ON channel__labels.member_key = order_lines.channel_id
)
SELECT
  period,
  channel_id,
  channel,
  revenue,
  revenue__total,
  CAST(revenue AS DOUBLE) / NULLIF(revenue__total, 0) AS revenue__share
FROM metric_values
ORDER BY
  period ASC,
  channel_id ASC;

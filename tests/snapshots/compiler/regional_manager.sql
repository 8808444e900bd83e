-- test: test_snapshot[regional_manager]
-- A regional manager's row filter on every model CTE.
-- params: ['2026-11-01', '2026-11-21', 'EAST', '2026-11-01', '2026-11-21', 'EAST']
-- columns: ['channel_id', 'channel', 'revenue', 'lead_count']
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
    AND o.region_id = ?
  GROUP BY
    o.channel_id
), leads AS (
  /* model leads (table fact_lead): measures leads_created */
  SELECT
    ld.channel_id AS channel_id,
    COUNT(DISTINCT ld.lead_id) AS leads_created
  FROM fact_lead AS ld
  WHERE
    ld.created_date >= ? AND ld.created_date < ? AND ld.region_id = ?
  GROUP BY
    ld.channel_id
), spine AS (
  SELECT
    channel_id
  FROM order_lines
  UNION
  SELECT
    channel_id
  FROM leads
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
  /* metrics revenue, lead_count */
  SELECT
    spine.channel_id AS channel_id,
    channel__labels.label AS channel,
    COALESCE(order_lines.revenue_amount, 0) AS revenue,
    COALESCE(leads.leads_created, 0) AS lead_count
  FROM spine
  LEFT JOIN order_lines
    ON spine.channel_id IS NOT DISTINCT FROM order_lines.channel_id
  LEFT JOIN leads
    ON spine.channel_id IS NOT DISTINCT FROM leads.channel_id
  LEFT JOIN channel__labels
    ON channel__labels.member_key = spine.channel_id
)
SELECT
  channel_id,
  channel,
  revenue,
  lead_count
FROM metric_values
ORDER BY
  revenue DESC,
  channel_id ASC;

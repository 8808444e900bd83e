-- test: test_snapshot[ratio]
-- A ratio across two models: ratio of sums, key spine.
-- params: ['2026-10-01', '2026-11-01', '2026-10-01', '2026-11-01']
-- columns: ['region_id', 'region', 'collection_rate']
WITH payments AS (
  /* model payments (table fact_payment): measures payments_received */
  SELECT
    o.region_id AS region_id,
    SUM(p.amount) AS payments_received
  FROM fact_payment AS p
  JOIN fact_order AS o
    ON p.order_id = o.order_id
  WHERE
    p.payment_date >= ? AND p.payment_date < ?
  GROUP BY
    o.region_id
), order_lines AS (
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
), spine AS (
  SELECT
    region_id
  FROM payments
  UNION
  SELECT
    region_id
  FROM order_lines
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
  /* metrics collection_rate */
  SELECT
    spine.region_id AS region_id,
    region__labels.label AS region,
    CAST(COALESCE(payments.payments_received, 0) AS DOUBLE) / NULLIF(COALESCE(order_lines.revenue_amount, 0), 0) AS collection_rate
  FROM spine
  LEFT JOIN payments
    ON spine.region_id IS NOT DISTINCT FROM payments.region_id
  LEFT JOIN order_lines
    ON spine.region_id IS NOT DISTINCT FROM order_lines.region_id
  LEFT JOIN region__labels
    ON region__labels.member_key = spine.region_id
)
SELECT
  region_id,
  region,
  collection_rate
FROM metric_values
ORDER BY
  collection_rate DESC,
  region_id ASC;

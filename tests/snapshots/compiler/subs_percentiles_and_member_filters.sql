-- test: test_snapshot[subs_percentiles_and_member_filters]
-- Median and p90 (not summed), and measures filtered by members of a plain and a joined dimension.
-- params: ['2024-01-01', '2025-01-01']
-- columns: ['region_id', 'region', 'median_invoice', 'p90_invoice', 'annual_billings', 'billings_outside_north']
WITH invoices_2 AS (
  /* model invoices (table invoices): measures invoice_median, invoice_p90, annual_billed, billed_outside_north */
  SELECT
    region_dim.region_code AS region_id,
    MEDIAN(i.amount) AS invoice_median,
    QUANTILE_CONT(i.amount, 0.9) AS invoice_p90,
    SUM(i.amount) FILTER(WHERE
      s.plan IN ('annual')) AS annual_billed,
    SUM(i.amount) FILTER(WHERE
      (
        NOT c.region_id IN (
          SELECT
            region_id
          FROM regions
          WHERE
            region_code IN ('N')
        )
        OR c.region_id IS NULL
      )) AS billed_outside_north
  FROM invoices AS i
  JOIN subscriptions AS s
    ON i.subscription_id = s.subscription_id
  JOIN customers AS c
    ON s.customer_id = c.customer_id
  LEFT JOIN regions AS region_dim
    ON c.region_id = region_dim.region_id
  WHERE
    i.issued_at >= ? AND i.issued_at < ?
  GROUP BY
    region_dim.region_code
), region__labels AS (
  /* dimension region: member labels (en) from regions */
  SELECT
    region_code AS member_key,
    MIN(name) AS label
  FROM regions
  WHERE
    NOT region_code IS NULL
  GROUP BY
    region_code
), metric_values AS (
  /* metrics median_invoice, p90_invoice, annual_billings, billings_outside_north */
  SELECT
    invoices_2.region_id AS region_id,
    region__labels.label AS region,
    invoices_2.invoice_median AS median_invoice,
    invoices_2.invoice_p90 AS p90_invoice,
    COALESCE(invoices_2.annual_billed, 0) AS annual_billings,
    COALESCE(invoices_2.billed_outside_north, 0) AS billings_outside_north
  FROM invoices_2
  LEFT JOIN region__labels
    ON region__labels.member_key = invoices_2.region_id
)
SELECT
  region_id,
  region,
  median_invoice,
  p90_invoice,
  annual_billings,
  billings_outside_north
FROM metric_values
ORDER BY
  median_invoice DESC,
  region_id ASC;

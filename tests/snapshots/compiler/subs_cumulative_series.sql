-- test: test_snapshot[subs_cumulative_series]
-- A running total, year to date and a trailing window per month, each its own scan over windows.
-- params: ['2024-07-01', '2024-01-01', '2024-07-01', '2023-11-01', '2024-07-01']
-- columns: ['period', 'cumulative_billings', 'ytd_billings', 'trailing_billings']
WITH cumulative_billings AS (
  /* model invoices (cumulative metric cumulative_billings, table invoices): measures billed */
  SELECT
    span.period AS period,
    SUM(i.amount) AS cumulative_billings
  FROM invoices AS i
  JOIN (VALUES
    (CAST('2024-01-01' AS DATE), CAST('2024-02-01' AS DATE)),
    (CAST('2024-02-01' AS DATE), CAST('2024-03-01' AS DATE)),
    (CAST('2024-03-01' AS DATE), CAST('2024-04-01' AS DATE)),
    (CAST('2024-04-01' AS DATE), CAST('2024-05-01' AS DATE)),
    (CAST('2024-05-01' AS DATE), CAST('2024-06-01' AS DATE)),
    (CAST('2024-06-01' AS DATE), CAST('2024-07-01' AS DATE))) AS span(period, hi)
    ON i.issued_at < span.hi
  WHERE
    i.issued_at < ?
  GROUP BY
    span.period
), ytd_billings AS (
  /* model invoices (cumulative metric ytd_billings, table invoices): measures billed */
  SELECT
    span.period AS period,
    SUM(i.amount) AS ytd_billings
  FROM invoices AS i
  JOIN (VALUES
    (CAST('2024-01-01' AS DATE), CAST('2024-02-01' AS DATE)),
    (CAST('2024-02-01' AS DATE), CAST('2024-03-01' AS DATE)),
    (CAST('2024-03-01' AS DATE), CAST('2024-04-01' AS DATE)),
    (CAST('2024-04-01' AS DATE), CAST('2024-05-01' AS DATE)),
    (CAST('2024-05-01' AS DATE), CAST('2024-06-01' AS DATE)),
    (CAST('2024-06-01' AS DATE), CAST('2024-07-01' AS DATE))) AS span(period, hi)
    ON i.issued_at < span.hi
  WHERE
    i.issued_at >= ? AND i.issued_at < ?
  GROUP BY
    span.period
), trailing_billings AS (
  /* model invoices (cumulative metric trailing_billings, table invoices): measures billed */
  SELECT
    span.period AS period,
    SUM(i.amount) AS trailing_billings
  FROM invoices AS i
  JOIN (VALUES
    (
      CAST('2024-01-01' AS DATE),
      CAST('2023-11-01' AS DATE),
      CAST('2024-02-01' AS DATE)
    ),
    (
      CAST('2024-02-01' AS DATE),
      CAST('2023-12-01' AS DATE),
      CAST('2024-03-01' AS DATE)
    ),
    (
      CAST('2024-03-01' AS DATE),
      CAST('2024-01-01' AS DATE),
      CAST('2024-04-01' AS DATE)
    ),
    (
      CAST('2024-04-01' AS DATE),
      CAST('2024-02-01' AS DATE),
      CAST('2024-05-01' AS DATE)
    ),
    (
      CAST('2024-05-01' AS DATE),
      CAST('2024-03-01' AS DATE),
      CAST('2024-06-01' AS DATE)
    ),
    (
      CAST('2024-06-01' AS DATE),
      CAST('2024-04-01' AS DATE),
      CAST('2024-07-01' AS DATE)
    )) AS span(period, lo, hi)
    ON i.issued_at >= span.lo AND i.issued_at < span.hi
  WHERE
    i.issued_at >= ? AND i.issued_at < ?
  GROUP BY
    span.period
), spine AS (
  SELECT
    period
  FROM cumulative_billings
  UNION
  SELECT
    period
  FROM ytd_billings
  UNION
  SELECT
    period
  FROM trailing_billings
), metric_values AS (
  /* metrics cumulative_billings, ytd_billings, trailing_billings */
  SELECT
    spine.period AS period,
    COALESCE(cumulative_billings.cumulative_billings, 0) AS cumulative_billings,
    COALESCE(ytd_billings.ytd_billings, 0) AS ytd_billings,
    COALESCE(trailing_billings.trailing_billings, 0) AS trailing_billings
  FROM spine
  LEFT JOIN cumulative_billings
    ON spine.period IS NOT DISTINCT FROM cumulative_billings.period
  LEFT JOIN ytd_billings
    ON spine.period IS NOT DISTINCT FROM ytd_billings.period
  LEFT JOIN trailing_billings
    ON spine.period IS NOT DISTINCT FROM trailing_billings.period
)
SELECT
  period,
  cumulative_billings,
  ytd_billings,
  trailing_billings
FROM metric_values
ORDER BY
  period ASC;

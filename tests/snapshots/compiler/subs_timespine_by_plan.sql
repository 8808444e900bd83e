-- test: test_snapshot[subs_timespine_by_plan]
-- Every month of the range for every plan, a month with no rows too (join_to_timespine).
-- params: ['2024-01-01', '2024-07-01']
-- columns: ['period', 'plan_id', 'plan', 'billings']
WITH invoices_2 AS (
  /* model invoices (table invoices): measures billed */
  SELECT
    CAST(DATE_TRUNC('MONTH', i.issued_at) AS DATE) AS period,
    s.plan AS plan_id,
    SUM(i.amount) AS billed
  FROM invoices AS i
  JOIN subscriptions AS s
    ON i.subscription_id = s.subscription_id
  WHERE
    i.issued_at >= ? AND i.issued_at < ?
  GROUP BY
    CAST(DATE_TRUNC('MONTH', i.issued_at) AS DATE),
    s.plan
), periods AS (
  /* time spine: every period of the range */
  SELECT
    periods.period,
    members.plan_id
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE))) AS periods(period)
  CROSS JOIN (
    SELECT DISTINCT
      plan_id
    FROM invoices_2
  ) AS members
), spine AS (
  SELECT
    period,
    plan_id
  FROM invoices_2
  UNION
  SELECT
    period,
    plan_id
  FROM periods
), metric_values AS (
  /* metrics billings */
  SELECT
    spine.period AS period,
    spine.plan_id AS plan_id,
    spine.plan_id AS plan,
    COALESCE(invoices_2.billed, 0) AS billings
  FROM spine
  LEFT JOIN invoices_2
    ON spine.period IS NOT DISTINCT FROM invoices_2.period
    AND spine.plan_id IS NOT DISTINCT FROM invoices_2.plan_id
)
SELECT
  period,
  plan_id,
  plan,
  billings
FROM metric_values
ORDER BY
  period ASC,
  plan_id ASC;

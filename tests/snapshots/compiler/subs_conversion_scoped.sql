-- test: test_snapshot[subs_conversion_scoped]
-- A conversion rate by month for a scoped role: customers followed from trials to subscriptions.
-- params: ['2024-01-01', '2025-01-01', 'S']
-- columns: ['period', 'trial_conversion']
WITH trial_conversion AS (
  /* conversion metric trial_conversion: customer of trials (trial_starts), then subscriptions (new_subscriptions) */
  SELECT
    b.period AS period,
    COUNT(DISTINCT b.entity) AS __base,
    COUNT(DISTINCT CASE WHEN NOT c.entity IS NULL THEN b.entity END) AS __converted
  FROM (
    SELECT
      CAST(DATE_TRUNC('MONTH', t.started_on) AS DATE) AS period,
      t.customer_id AS entity,
      t.started_on AS "at"
    FROM trials AS t
    JOIN customers AS c
      ON t.customer_id = c.customer_id
    LEFT JOIN regions AS region_dim
      ON c.region_id = region_dim.region_id
    WHERE
      t.started_on >= ? AND t.started_on < ? AND region_dim.region_code = ?
  ) AS b
  LEFT JOIN (
    SELECT
      s.customer_id AS entity,
      s.started_on AS "at"
    FROM subscriptions AS s
  ) AS c
    ON c.entity = b.entity AND c."at" >= b."at" AND c."at" < b."at" + INTERVAL '14' DAY
  GROUP BY
    b.period
), metric_values AS (
  /* metrics trial_conversion */
  SELECT
    trial_conversion.period AS period,
    CAST(COALESCE(trial_conversion.__converted, 0) AS DOUBLE) / NULLIF(trial_conversion.__base, 0) AS trial_conversion
  FROM trial_conversion
)
SELECT
  period,
  trial_conversion
FROM metric_values
ORDER BY
  period ASC;

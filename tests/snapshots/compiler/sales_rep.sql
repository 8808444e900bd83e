-- test: test_snapshot[sales_rep]
-- A sales rep's row filter, with a month-over-month comparison on both branches.
-- params: ['2026-07-01', '2026-10-01', 'R001', '2026-04-01', '2026-07-01', 'R001']
-- columns: ['win_rate', 'win_rate__baseline', 'win_rate__delta', 'win_rate__ratio']
WITH closed_opportunities AS (
  /* model closed_opportunities (table fact_opportunity): measures won_opportunities, closed_opportunities */
  SELECT
    COUNT(DISTINCT op.opportunity_id) FILTER(WHERE
      op.stage = 'won') AS won_opportunities,
    COUNT(DISTINCT op.opportunity_id) FILTER(WHERE
      op.stage IN ('won', 'lost')) AS closed_opportunities
  FROM fact_opportunity AS op
  WHERE
    op.closed_date >= ?
    AND op.closed_date < ?
    AND (
      (
        op.stage = 'won'
      ) OR (
        op.stage IN ('won', 'lost')
      )
    )
    AND op.rep_id = ?
), closed_opportunities__baseline AS (
  /* model closed_opportunities (baseline, table fact_opportunity): measures won_opportunities, closed_opportunities */
  SELECT
    COUNT(DISTINCT op.opportunity_id) FILTER(WHERE
      op.stage = 'won') AS won_opportunities,
    COUNT(DISTINCT op.opportunity_id) FILTER(WHERE
      op.stage IN ('won', 'lost')) AS closed_opportunities
  FROM fact_opportunity AS op
  WHERE
    op.closed_date >= ?
    AND op.closed_date < ?
    AND (
      (
        op.stage = 'won'
      ) OR (
        op.stage IN ('won', 'lost')
      )
    )
    AND op.rep_id = ?
), metric_values AS (
  /* metrics win_rate */
  SELECT
    CAST(COALESCE(closed_opportunities.won_opportunities, 0) AS DOUBLE) / NULLIF(COALESCE(closed_opportunities.closed_opportunities, 0), 0) AS win_rate,
    CAST(COALESCE(closed_opportunities__baseline.won_opportunities, 0) AS DOUBLE) / NULLIF(COALESCE(closed_opportunities__baseline.closed_opportunities, 0), 0) AS win_rate__baseline
  FROM closed_opportunities
  CROSS JOIN closed_opportunities__baseline
)
SELECT
  win_rate,
  win_rate__baseline,
  win_rate - win_rate__baseline AS win_rate__delta,
  CAST(win_rate AS DOUBLE) / NULLIF(win_rate__baseline, 0) AS win_rate__ratio
FROM metric_values;

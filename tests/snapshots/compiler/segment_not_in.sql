-- test: test_snapshot[segment_not_in]
-- A NOT IN filter on a joined dimension, lead_source degenerate dimension.
-- params: ['2026-07-01', '2026-10-01', 'ONLINE']
-- columns: ['lead_source_id', 'lead_source', 'lead_conversion_rate']
WITH leads AS (
  /* model leads (table fact_lead): measures leads_converted, leads_created */
  SELECT
    ld.source AS lead_source_id,
    COUNT(DISTINCT ld.lead_id) FILTER(WHERE
      NOT ld.converted_date IS NULL) AS leads_converted,
    COUNT(DISTINCT ld.lead_id) AS leads_created
  FROM fact_lead AS ld
  WHERE
    ld.created_date >= ?
    AND ld.created_date < ?
    AND (
      NOT ld.channel_id IN (?) OR ld.channel_id IS NULL
    )
  GROUP BY
    ld.source
), metric_values AS (
  /* metrics lead_conversion_rate */
  SELECT
    leads.lead_source_id AS lead_source_id,
    leads.lead_source_id AS lead_source,
    CAST(COALESCE(leads.leads_converted, 0) AS DOUBLE) / NULLIF(COALESCE(leads.leads_created, 0), 0) AS lead_conversion_rate
  FROM leads
)
SELECT
  lead_source_id,
  lead_source,
  lead_conversion_rate
FROM metric_values
ORDER BY
  lead_conversion_rate DESC,
  lead_source_id ASC;

"""`metricqa catalog import dbt`: a dbt semantic layer (project YAML or semantic manifest) as a metricqa
catalog directory plus an import report (read → convert → write)."""

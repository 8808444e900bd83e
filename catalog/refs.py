"""How catalog entries refer to each other (shared by validation, the compiler and lineage)."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from metricqa.catalog.models import Catalog, Metric, MetricType


@lru_cache(maxsize=4096)
def parse_expr(sql: str) -> exp.Expr:
    """Parse a catalog-authored SQL expression (cached; raises sqlglot.ParseError)."""
    return sqlglot.parse_one(sql, dialect="duckdb")


def expr_names(sql: str) -> list[str]:
    """Bare identifiers used in a derived-metric expression (``revenue - cogs_amount``)."""
    return list(dict.fromkeys(c.name for c in parse_expr(sql).find_all(exp.Column)))


def qualified_columns(sql: str) -> list[tuple[str, str]]:
    """``(alias, column)`` pairs in a model/measure expression (``l.quantity`` → ``("l", "quantity")``)."""
    return [(c.table, c.name) for c in parse_expr(sql).find_all(exp.Column)]


def metric_inputs(metric: Metric) -> list[str]:
    """Ids (metric or measure) a metric is computed from."""
    if metric.type in (MetricType.SIMPLE, MetricType.CUMULATIVE):
        return [metric.measure] if metric.measure else []
    if metric.type is MetricType.RATIO:
        return [p for p in (metric.numerator, metric.denominator) if p]
    if metric.type is MetricType.CONVERSION:
        c = metric.conversion
        return [c.base_measure, c.conversion_measure] if c else []
    return expr_names(metric.expr) if metric.expr else []


def base_measures(catalog: Catalog, ref: str, _seen: frozenset[str] = frozenset()) -> list[str]:
    """Every measure id a metric (or measure) ultimately reads, in first-use order."""
    if ref in catalog.measures:
        return [ref]
    if ref in _seen or ref not in catalog.metrics:
        return []
    out: list[str] = []
    for part in metric_inputs(catalog.metrics[ref]):
        out.extend(m for m in base_measures(catalog, part, _seen | {ref}) if m not in out)
    return out


def parent_metrics(catalog: Catalog, metric_id: str) -> list[str]:
    """Metrics (not measures) a metric is computed from directly."""
    return [p for p in metric_inputs(catalog.metrics[metric_id]) if p in catalog.metrics]

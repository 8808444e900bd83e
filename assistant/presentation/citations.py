"""Cite every metric an answer used, from the catalog: who owns it, its 口径, formula, sources and lineage."""

from __future__ import annotations

from collections.abc import Sequence

from metricqa.assistant.presentation.answer import Citation
from metricqa.assistant.presentation.lineage import lineage_chain, metric_formula, metric_sources
from metricqa.assistant.semantic.plan import Comparison, QueryPlan
from metricqa.catalog.models import Catalog
from metricqa.catalog.refs import base_measures, qualified_columns
from metricqa.core.messages import PACKAGED, MessageCatalog


def cited_metrics(plan: QueryPlan, catalog: Catalog) -> list[str]:
    """The plan's metrics, plus each one's target metric when the answer compares against target."""
    out = [m for m in plan.metrics if m in catalog.metrics]
    if plan.comparison is Comparison.TARGET:
        for m in list(out):
            target = catalog.metrics[m].target
            if target is not None and target.metric in catalog.metrics and target.metric not in out:
                out.append(target.metric)
    return out


def dimension_sources(plan: QueryPlan, catalog: Catalog, metric_id: str) -> list[str]:
    """``table.column`` for the plan's dimensions and filters in the models this metric reads."""
    dims = list(dict.fromkeys([*plan.dimensions, *(f.dimension for f in plan.filters)]))
    out: list[str] = []
    for measure_id in base_measures(catalog, metric_id):
        model = catalog.models[catalog.measures[measure_id].model]
        tables = {model.alias: model.table, **{j.alias: j.table for j in model.joins}}
        for dim in dims:
            if dim in model.dimensions:
                for alias, column in qualified_columns(model.dimensions[dim]):
                    source = f"{tables.get(alias, model.table)}.{column}"
                    if source not in out:
                        out.append(source)
    return out


def _tables(catalog: Catalog, metric_id: str) -> set[str]:
    """Every table the metric's models read (base table and joins)."""
    models = [catalog.models[catalog.measures[m].model] for m in base_measures(catalog, metric_id)]
    return {t for model in models for t in (model.table, *(j.table for j in model.joins))}


def cite_metric(
    catalog: Catalog,
    metric_id: str,
    language: str,
    plan: QueryPlan | None = None,
    extra: Sequence[str] = (),
    messages: MessageCatalog = PACKAGED,
) -> Citation:
    metric = catalog.metrics[metric_id]
    sources = metric_sources(catalog, metric_id)
    if plan is not None:
        sources += [s for s in dimension_sources(plan, catalog, metric_id) if s not in sources]
    tables = _tables(catalog, metric_id)
    sources += [s for s in extra if "." in s and s.split(".", 1)[0] in tables and s not in sources]
    return Citation(
        metric=metric.id,
        name=metric.name.get(language),
        version=metric.version,
        status=metric.status.value,
        owner=metric.owner,
        department=metric.department,
        definition=metric.definition.get(language),
        formula=metric_formula(catalog, metric),
        sources=sources,
        lineage=lineage_chain(catalog, metric_id, language, messages),
    )


def cite(
    plan: QueryPlan,
    catalog: Catalog,
    language: str,
    sources: list[str] | None = None,
    messages: MessageCatalog = PACKAGED,
) -> list[Citation]:
    """One citation per metric used. ``sources`` (the compiler's ``table.column`` list) adds columns of
    each metric's own tables that the catalog walk did not find."""
    extra = sources or ()
    return [cite_metric(catalog, m, language, plan, extra, messages) for m in cited_metrics(plan, catalog)]

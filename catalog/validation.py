"""Cross-entry checks of a parsed catalog. Collect every issue; never raise (dsi validations/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlglot

from metricqa.catalog.models import (
    Aggregation,
    AttributeKind,
    Catalog,
    Dimension,
    Metric,
    MetricType,
    SemanticModel,
    Status,
)
from metricqa.catalog.refs import base_measures, expr_names, metric_inputs, qualified_columns
from metricqa.core.errors import CatalogIssue

Schema = dict[str, dict[str, str]]  # table -> column -> type


def _issue(entry: object, message: str, field: str | None = None, level: str = "error") -> CatalogIssue:
    src = getattr(entry, "source", None)
    return CatalogIssue(level, message, src.file if src else "?", src.line if src else None, field)  # type: ignore[arg-type]


def check_references(cat: Catalog) -> Iterator[CatalogIssue]:
    refs = set(cat.metrics) | set(cat.measures)
    for m in cat.measures.values():
        if m.model not in cat.models:
            yield _issue(m, f"measure `{m.id}` names unknown model `{m.model}`", "model")
    for model in cat.models.values():
        for dim in model.dimensions:
            if dim not in cat.dimensions:
                yield _issue(model, f"model `{model.id}` maps unknown dimension `{dim}`", f"dimensions.{dim}")
        for td in model.times:
            if td not in cat.time_dimensions:
                yield _issue(model, f"model `{model.id}` maps unknown time dimension `{td}`", f"times.{td}")
    yield from _check_metric_times(cat)
    yield from _check_snapshots(cat)
    for metric in cat.metrics.values():
        yield from _check_metric_parts(cat, metric, refs)
    for role in cat.roles.values():
        listed = [] if role.metrics == "*" else list(role.metrics)
        for mid in [*listed, *role.exclude_metrics]:
            if mid not in cat.metrics:
                yield _issue(role, f"role `{role.id}` names unknown metric `{mid}`", "metrics")
        for rf in role.row_filters:
            if rf.dimension not in cat.dimensions:
                yield _issue(
                    role, f"role `{role.id}` filters on unknown dimension `{rf.dimension}`", "row_filters"
                )
    for alert in cat.alerts.values():
        if alert.metric not in cat.metrics:
            yield _issue(alert, f"alert `{alert.id}` names unknown metric `{alert.metric}`", "metric")
        if alert.dimension and alert.dimension not in cat.dimensions:
            yield _issue(
                alert, f"alert `{alert.id}` names unknown dimension `{alert.dimension}`", "dimension"
            )


def _check_metric_parts(cat: Catalog, metric: Metric, refs: set[str]) -> Iterator[CatalogIssue]:
    required = {
        MetricType.SIMPLE: ("measure",),
        MetricType.RATIO: ("numerator", "denominator"),
        MetricType.DERIVED: ("expr",),
        MetricType.CUMULATIVE: ("measure",),
        MetricType.CONVERSION: ("conversion",),
    }[metric.type]
    level = "error" if metric.status is Status.APPROVED else "warning"
    for field in required:
        if not getattr(metric, field):
            yield _issue(
                metric, f"{metric.type.value} metric `{metric.id}` is missing `{field}`", field, level
            )
    if metric.type in _MEASURE_TYPES and metric.measure and metric.measure not in cat.measures:
        yield _issue(metric, f"metric `{metric.id}` names unknown measure `{metric.measure}`", "measure")
    yield from _check_type_fields(cat, metric)
    if metric.type not in _MEASURE_TYPES:
        try:
            parts = metric_inputs(metric)
        except sqlglot.ParseError as exc:
            yield _issue(metric, f"metric `{metric.id}` has an unparsable expr: {exc}", "expr")
            parts = []
        for part in parts:
            if part not in refs:
                yield _issue(
                    metric, f"metric `{metric.id}` refers to unknown metric or measure `{part}`", "expr"
                )
    if metric.status is Status.DEPRECATED:
        if not metric.replaced_by:
            yield _issue(metric, f"deprecated metric `{metric.id}` must name `replaced_by`", "replaced_by")
        elif metric.replaced_by not in cat.metrics:
            yield _issue(metric, f"`replaced_by` names unknown metric `{metric.replaced_by}`", "replaced_by")
    if metric.target and metric.target.metric not in refs:
        yield _issue(
            metric, f"target of `{metric.id}` names unknown metric `{metric.target.metric}`", "target"
        )
    for dim in metric.dimensions or []:
        if dim not in cat.dimensions:
            yield _issue(metric, f"metric `{metric.id}` lists unknown dimension `{dim}`", "dimensions")


_MEASURE_TYPES = (MetricType.SIMPLE, MetricType.CUMULATIVE)
_TYPE_FIELDS = {  # fields that mean something for these types only
    "window": (MetricType.CUMULATIVE, MetricType.CONVERSION),
    "grain_to_date": (MetricType.CUMULATIVE,),
    "conversion": (MetricType.CONVERSION,),
}


def _check_type_fields(cat: Catalog, metric: Metric) -> Iterator[CatalogIssue]:
    """Cumulative and conversion metrics: their own fields only, over measures that can carry them."""
    for field, types in _TYPE_FIELDS.items():
        if getattr(metric, field) is not None and metric.type not in types:
            allowed = " or ".join(t.value for t in types)
            yield _issue(metric, f"`{field}` is for {allowed} metrics, not {metric.type.value}", field)
    if metric.window is not None and metric.grain_to_date is not None:
        yield _issue(
            metric, f"metric `{metric.id}` has both `window` and `grain_to_date`: pick one", "window"
        )
    measure = cat.measures.get(metric.measure or "")
    if metric.type is MetricType.CUMULATIVE and measure is not None and measure.snapshot:
        yield _issue(
            metric,
            f"cumulative metric `{metric.id}` reads snapshot measure `{measure.id}`: a balance is not summed over time",
            "measure",
        )
    conv = metric.conversion
    if metric.type is not MetricType.CONVERSION or conv is None:
        return
    for field in ("base_measure", "conversion_measure"):
        measure = cat.measures.get(getattr(conv, field))
        model = cat.models.get(measure.model) if measure else None
        if measure is None:
            yield _issue(
                metric, f"conversion `{field}` `{getattr(conv, field)}` is no measure", f"conversion.{field}"
            )
        elif model is not None and conv.entity not in model.entities:
            yield _issue(
                metric,
                f"conversion metric `{metric.id}` follows entity `{conv.entity}`, which model `{model.id}` "
                f"(of measure `{measure.id}`) does not map in `entities`",
                "conversion.entity",
            )


def check_measures(cat: Catalog) -> Iterator[CatalogIssue]:
    """Percentile fields go with agg percentile; member filters name dimensions the model maps."""
    for m in cat.measures.values():
        if (m.agg is Aggregation.PERCENTILE) != (m.percentile is not None):
            yield _issue(
                m, f"measure `{m.id}`: `percentile` goes with (and only with) agg percentile", "percentile"
            )
        model = cat.models.get(m.model)
        for flt in m.filters:
            if model is not None and flt.dimension not in model.dimensions:
                yield _issue(
                    m,
                    f"measure `{m.id}` filters on dimension `{flt.dimension}`, which model `{m.model}` does not map",
                    "filters",
                )


def check_models(cat: Catalog) -> Iterator[CatalogIssue]:
    """A model's grain is one of its entities; no join may fan out its rows."""
    for model in cat.models.values():
        if model.primary_entity is not None and model.primary_entity not in model.entities:
            yield _issue(
                model,
                f"model `{model.id}`: primary entity `{model.primary_entity}` is not in its `entities`",
                "primary_entity",
            )
        for join in model.joins:
            if join.cardinality.fans_out:
                yield _issue(
                    model,
                    f"model `{model.id}` joins `{join.table}` {join.cardinality.value}: every fact would count "
                    "once per matching row (fan-out). Make that table a model of its own.",
                    "joins.cardinality",
                )


def check_cycles(cat: Catalog) -> Iterator[CatalogIssue]:
    """Derived and ratio metrics must not depend on themselves."""
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(mid: str, path: list[str]) -> list[str] | None:
        if state.get(mid) == 1:
            return [*path, mid]
        if state.get(mid) == 2 or mid not in cat.metrics:
            return None
        state[mid] = 1
        try:
            parts = metric_inputs(cat.metrics[mid])
        except sqlglot.ParseError:
            parts = []
        for part in parts:
            cycle = visit(part, [*path, mid])
            if cycle:
                return cycle
        state[mid] = 2
        return None

    for mid in cat.metrics:
        cycle = visit(mid, [])
        if cycle:
            start = cycle.index(cycle[-1])
            loop = " → ".join(cycle[start:])
            yield _issue(cat.metrics[cycle[-1]], f"metric cycle: {loop}", "expr")
            return


def check_synonyms(cat: Catalog) -> Iterator[CatalogIssue]:
    """One name or synonym may belong to one metric only (口径冲突)."""
    owner: dict[str, str] = {}
    for metric in cat.metrics.values():
        words = {metric.id, metric.name.en, metric.name.zh or "", *metric.synonyms.all()}
        for word in sorted(w.strip().lower() for w in words if w.strip()):
            other = owner.setdefault(word, metric.id)
            if other != metric.id:
                yield _issue(
                    metric,
                    f"synonym `{word}` is claimed by both `{other}` and `{metric.id}` (口径冲突)",
                    "synonyms",
                )


def _model_aliases(model: SemanticModel) -> dict[str, str]:
    return {model.alias: model.table, **{j.alias: j.table for j in model.joins}}


def _check_columns(
    entry: object, sql: str, aliases: dict[str, str], schema: Schema, field: str
) -> Iterator[CatalogIssue]:
    try:
        cols = qualified_columns(sql)
    except sqlglot.ParseError as exc:
        yield _issue(entry, f"cannot parse `{sql}`: {exc}", field)
        return
    for alias, col in cols:
        table = aliases.get(alias)
        if table is None:
            yield _issue(
                entry, f"`{alias}.{col}` uses unknown alias `{alias}` (known: {', '.join(aliases)})", field
            )
        elif table in schema and col not in schema[table]:
            yield _issue(entry, f"column `{col}` does not exist in table `{table}`", field)


def check_schema(cat: Catalog, schema: Schema) -> Iterator[CatalogIssue]:
    """Tables and columns named by the catalog exist in the warehouse."""
    for model in cat.models.values():
        aliases = _model_aliases(model)
        for alias, table in aliases.items():
            if table not in schema:
                yield _issue(
                    model, f"table `{table}` (alias `{alias}`) does not exist in the warehouse", "table"
                )
        yield from _check_columns(model, model.time, aliases, schema, "time")
        for td, column in model.times.items():
            yield from _check_columns(model, column, aliases, schema, f"times.{td}")
        for dim, col in model.dimensions.items():
            yield from _check_columns(model, col, aliases, schema, f"dimensions.{dim}")
        for entity, col in model.entities.items():
            yield from _check_columns(model, col, aliases, schema, f"entities.{entity}")
        for join in model.joins:
            for left, right in join.keys:
                yield from _check_columns(model, left, aliases, schema, "joins.keys")
                if join.table in schema and right not in schema[join.table]:
                    yield _issue(
                        model, f"column `{right}` does not exist in table `{join.table}`", "joins.keys"
                    )
    for m in cat.measures.values():
        measure_model = cat.models.get(m.model)
        if measure_model is None:
            continue
        aliases = _model_aliases(measure_model)
        yield from _check_columns(m, m.expr, aliases, schema, "expr")
        if m.where:
            yield from _check_columns(m, m.where, aliases, schema, "where")
    for d in cat.dimensions.values():
        if d.table not in schema:
            yield _issue(d, f"dimension table `{d.table}` does not exist in the warehouse", "table")
            continue
        cols = [("key", d.key), ("label.en", d.label.en), ("label.zh", d.label.zh or d.label.en)]
        if d.join_key:
            cols.append(("join_key", d.join_key))
        cols += attribute_columns(d)
        for field, col in cols:
            if col not in schema[d.table]:
                yield _issue(d, f"column `{col}` does not exist in table `{d.table}`", field)
        yield from _check_attribute_types(d, schema[d.table])


# the warehouse types an attribute of each kind may have (a text attribute may be any type)
KIND_TYPES = {
    AttributeKind.DATE: ("DATE", "TIMESTAMP"),
    AttributeKind.NUMBER: ("INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL", "HUGEINT", "BIGINT"),
}
KIND_TYPES[AttributeKind.CURRENCY] = KIND_TYPES[AttributeKind.NUMBER]


def _check_attribute_types(dim: Dimension, columns: dict[str, str]) -> Iterator[CatalogIssue]:
    """A date attribute is a DATE/TIMESTAMP column, a number or currency one a numeric column."""
    for a in dim.attributes:
        wanted = KIND_TYPES.get(a.kind)
        column_type = columns.get(a.column.en, "")
        if wanted and column_type and not any(w in column_type.upper() for w in wanted):
            yield _issue(
                dim,
                f"attribute `{a.id}` is a {a.kind.value}, but column `{a.column.en}` is {column_type}",
                f"attributes.{a.id}.kind",
            )


def attribute_columns(dim: Dimension) -> list[tuple[str, str]]:
    """(field, column) of every attribute column of ``dim``, both languages."""
    out = []
    for a in dim.attributes:
        out.append((f"attributes.{a.id}.column.en", a.column.en))
        if a.column.zh and a.column.zh != a.column.en:
            out.append((f"attributes.{a.id}.column.zh", a.column.zh))
    return out


def check_attributes(cat: Catalog) -> Iterator[CatalogIssue]:
    """An attribute id is unique within its dimension (it names the result column ``<dim>__<id>``)."""
    for dim in cat.dimensions.values():
        seen: set[str] = set()
        for a in dim.attributes:
            if a.id in seen:
                yield _issue(dim, f"dimension `{dim.id}` declares attribute `{a.id}` twice", "attributes")
            seen.add(a.id)


def check_derived_names(cat: Catalog) -> Iterator[CatalogIssue]:
    for metric in cat.metrics.values():
        if metric.type is MetricType.DERIVED and metric.expr:
            try:
                expr_names(metric.expr)
            except sqlglot.ParseError as exc:
                yield _issue(metric, f"cannot parse expr of `{metric.id}`: {exc}", "expr")


def _check_snapshots(cat: Catalog) -> Iterator[CatalogIssue]:
    """A model's measures are all snapshots (read at one date) or all flows (summed over time): one
    query reads them over the same rows."""
    for model in cat.models.values():
        kinds = {m.snapshot for m in cat.measures.values() if m.model == model.id}
        if len(kinds) > 1:
            yield _issue(
                model,
                f"model `{model.id}` mixes snapshot and flow measures: put the snapshot ones on a model of their own",
                "measures",
            )


def _check_metric_times(cat: Catalog) -> Iterator[CatalogIssue]:
    """A metric dated by a time dimension reads only models that map it."""
    for metric in cat.metrics.values():
        td = metric.time_dimension
        if td is None:
            continue
        if td not in cat.time_dimensions:
            yield _issue(
                metric, f"metric `{metric.id}` names unknown time dimension `{td}`", "time_dimension"
            )
            continue
        for measure_id in base_measures(cat, metric.id):
            model = cat.models.get(cat.measures[measure_id].model) if measure_id in cat.measures else None
            if model is not None and td not in model.times:
                yield _issue(
                    metric,
                    f"metric `{metric.id}` is dated by `{td}`, which model `{model.id}` does not map in `times`",
                    "time_dimension",
                )


CHECKS: tuple[Callable[[Catalog], Iterator[CatalogIssue]], ...] = (
    check_references,
    check_cycles,
    check_synonyms,
    check_derived_names,
    check_measures,
    check_models,
    check_attributes,
)


def validate_catalog(cat: Catalog, schema: Schema | None = None) -> list[CatalogIssue]:
    issues = [issue for check in CHECKS for issue in check(cat)]
    if schema is not None:
        issues.extend(check_schema(cat, schema))
    return issues

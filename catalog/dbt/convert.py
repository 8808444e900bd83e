"""The semantic models, measures, metrics and saved queries of a dbt manifest as metricqa catalog entries
(the rules are in ``mapping``'s docstring). Everything that cannot be expressed is reported, never guessed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from metricqa.catalog.dbt.mapping import (
    AGGREGATIONS,
    DEPARTMENT_PLACEHOLDER,
    OWNER_PLACEHOLDER,
    Graph,
    Imported,
    Unmappable,
    dimension_lookup,
    humanize,
    kept_hops,
    map_dimensions,
    member_filters,
    primary_entity,
    qualify,
    reach,
    report_natural_entities,
    short_alias,
    table_of,
    time_dimension_ids,
    where_templates,
    window_of,
)
from metricqa.catalog.dbt.read import DbtSource
from metricqa.catalog.models import (
    Aggregation,
    ConversionParams,
    Dimension,
    Join,
    Measure,
    Metric,
    MetricType,
    Role,
    SemanticModel,
    Status,
    Synonyms,
    Text,
    Unit,
)

_TYPES = {t.value: t for t in MetricType}


class _Pending(Exception):
    """An input metric not mapped yet (mapped in a later pass, or never)."""


@dataclass
class _Context:
    out: Imported
    lookup: dict[tuple[str, str], str]  # (entity, dimension) → dimension id
    approve: bool
    source: DbtSource
    models: dict[str, SemanticModel] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    measure_times: dict[str, str] = field(default_factory=dict)  # measure → its non-default time dimension
    metrics: dict[str, Metric] = field(default_factory=dict)
    new_measures: list[Measure] = field(default_factory=list)  # filtered copies of the metric being mapped
    metric_names: set[str] = field(default_factory=set)  # every dbt metric's name
    placeholders: dict[str, list[str]] = field(default_factory=dict)  # owner/department → metrics without
    not_imported: set[str] = field(default_factory=set)  # metrics written as drafts without a formula

    def measure(self, measure_id: str | None) -> Measure | None:
        """A measure mapped so far, or a filtered copy made for the metric being mapped."""
        found = self.measures.get(measure_id or "")
        return found or next((m for m in self.new_measures if m.id == measure_id), None)

    def measure_id(self, name: str) -> str:
        """A dbt measure's id here: its name, unless a metric has it (metricqa reads one id one way)."""
        return f"{name}__measure" if name in self.metric_names else name


def convert(source: DbtSource, *, approve: bool = False, schema: str | None = None) -> Imported:
    """The catalog entries for ``source`` and the report's findings."""
    manifest = source.manifest
    out = Imported()
    graph = Graph.of(manifest.semantic_models)
    report_natural_entities(graph, out)
    dims = map_dimensions(graph, schema, out)
    times = time_dimension_ids(graph, out)
    ctx = _Context(out, dimension_lookup(graph, dims), approve, source)
    extra_metrics = _measure_metrics(manifest)
    ctx.metric_names = {str(m.name) for m in [*manifest.metrics, *extra_metrics]}
    by_id = {d.id: d for d in out.dimensions}
    for sm in manifest.semantic_models:
        _semantic_model(ctx, graph, sm, dims, by_id, times, schema)
    _metrics(ctx, [*manifest.metrics, *extra_metrics])
    _examples(ctx, manifest.saved_queries)
    out.models, out.measures = list(ctx.models.values()), list(ctx.measures.values())
    out.metrics = list(ctx.metrics.values())
    _drop_unreached_dimensions(out)
    out.roles = [
        Role(id="exec", metrics="*", description="Imported from dbt: every metric. Review who may see what.")
    ]
    _summary_findings(ctx)
    return out


def _drop_unreached_dimensions(out: Imported) -> None:
    """A dimension no model reaches through its joins splits nothing: left out, and said so."""
    used = {d for model in out.models for d in model.dimensions}
    dropped = {f"dimension `{d.id}`": d for d in out.dimensions if d.id not in used}
    for entry, dim in dropped.items():
        out.unmapped(f"{entry} (table {dim.table})", "no semantic model with measures reaches it")
    out.dimensions = [d for d in out.dimensions if d.id in used]
    out.mapped = [(element, entry) for element, entry in out.mapped if entry not in dropped]


# --- semantic models → models and measures ------------------------------------------------------
def _semantic_model(
    ctx: _Context,
    graph: Graph,
    sm: Any,
    dims: dict[tuple[str, str], str],
    by_id: dict[str, Dimension],
    times: dict[tuple[str, str], str],
    schema: str | None,
) -> None:
    element = f"semantic model `{sm.name}`"
    if not sm.measures:
        ctx.out.mapped.append((element, "no measures: a table the models join for its dimensions"))
        return
    time_dims = {str(d.name): d for d in sm.dimensions if d.type.value == "time"}
    default = sm.defaults.agg_time_dimension if sm.defaults else None
    if default not in time_dims:
        ctx.out.unmapped(
            element, f"no default agg_time_dimension that is one of its time dimensions ({default})"
        )
        return
    taken: set[str] = set()
    alias = short_alias(str(sm.name), taken)
    try:
        time = qualify(time_dims[default].expr or default, alias)
        other_times = {
            times[(sm.name, n)]: qualify(d.expr or n, alias) for n, d in time_dims.items() if n != default
        }
        entities = {str(e.name): qualify(e.expr or e.name, alias) for e in sm.entities}
    except Unmappable as exc:
        ctx.out.unmapped(element, str(exc))
        return
    hops = kept_hops(graph, reach(graph, str(sm.name), alias, taken, ctx.out), dims)
    joins = [
        Join(
            table=table_of(graph.models[h.target], schema),
            alias=h.alias,
            keys=[(h.left, h.right)],
            kind="left",
            cardinality=h.cardinality,
        )
        for h in hops
    ]
    where = {str(sm.name): alias, **{h.target: h.alias for h in hops}}
    dimensions = {
        dim_id: f"{where[sm_name]}.{by_id[dim_id].key}"
        for (sm_name, _), dim_id in dims.items()
        if sm_name in where
    }
    pe = primary_entity(sm)
    model = SemanticModel(
        id=str(sm.name),
        table=table_of(sm, schema),
        alias=alias,
        joins=joins,
        time=time,
        times=other_times,
        dimensions=dimensions,
        entities=entities,
        primary_entity=pe if pe in entities else None,
        description=sm.description,
    )
    joined = (
        ", ".join(f"{h.target} as {h.alias} ({h.cardinality.value} on {h.entity})" for h in hops) or "none"
    )
    measures = []
    for m in sm.measures:
        try:
            measures.append(_measure(ctx, sm, m, model, default, times))
        except (Unmappable, ValidationError) as exc:
            ctx.out.unmapped(f"measure `{m.name}` (semantic model {sm.name})", str(exc))
    snapshots = [m for m in measures if m.snapshot]
    flows = [m for m in measures if not m.snapshot]
    ctx.models[model.id] = model
    ctx.out.mapped.append((element, f"model `{model.id}` (table {model.table}; joins: {joined})"))
    if snapshots and flows:
        # a metricqa model is all snapshots or all flows: the snapshots read the same table as a second model
        split = model.model_copy(update={"id": f"{model.id}_snapshots"})
        ctx.models[split.id] = split
        snapshots = [m.model_copy(update={"model": split.id}) for m in snapshots]
        ctx.out.review(
            element, f"its snapshot measures are on a second model `{split.id}` over the same table"
        )
    for measure in [*flows, *snapshots]:
        ctx.measures[measure.id] = measure
        ctx.out.mapped.append((f"measure `{measure.id}`", f"measure `{measure.id}` ({measure.agg.value})"))


def _measure(
    ctx: _Context, sm: Any, m: Any, model: SemanticModel, default: str, times: dict[tuple[str, str], str]
) -> Measure:
    agg_name = m.agg.value
    if agg_name not in AGGREGATIONS:
        raise Unmappable(f"agg `{agg_name}` has no metricqa aggregation")
    expr = qualify(str(m.expr if m.expr is not None else m.name), model.alias)
    if agg_name == "sum_boolean":
        expr = f"CAST({expr} AS INTEGER)"
    params = m.agg_params
    agg = AGGREGATIONS[agg_name]
    percentile = params.percentile if params is not None and agg is Aggregation.PERCENTILE else None
    if params is not None and params.use_approximate_percentile:
        ctx.out.review(
            f"measure `{m.name}`", "dbt asks for an approximate percentile: metricqa computes it exactly"
        )
    time_dim = m.agg_time_dimension or default
    if time_dim != default:
        if (sm.name, time_dim) not in times:
            raise Unmappable(f"agg_time_dimension `{time_dim}` is not a time dimension of {sm.name}")
        ctx.measure_times[ctx.measure_id(str(m.name))] = times[(sm.name, time_dim)]
    return Measure(
        id=ctx.measure_id(str(m.name)),
        model=model.id,
        agg=agg,
        expr=expr,
        snapshot=_snapshot(m, time_dim),
        percentile=percentile,
        discrete=bool(params is not None and params.use_discrete_percentile and percentile is not None),
        description=m.description,
    )


def _snapshot(m: Any, time_dim: str) -> Literal["last", "first"] | None:
    """``non_additive_dimension`` over the measure's own date, max → last, min → first."""
    nad = m.non_additive_dimension
    if nad is None:
        return None
    if nad.window_groupings:
        raise Unmappable(f"non_additive_dimension with window_groupings {list(nad.window_groupings)}")
    if nad.name != time_dim:
        raise Unmappable(
            f"non_additive_dimension `{nad.name}` is not the measure's time dimension `{time_dim}`"
        )
    choice = nad.window_choice.value
    if choice == "max":
        return "last"
    if choice == "min":
        return "first"
    raise Unmappable(f"non_additive_dimension window_choice `{choice}` is neither max nor min")


def _measure_metrics(manifest: Any) -> list[Any]:
    """dbt's ``create_metric: true`` measures, as the simple metrics dbt makes of them."""
    from dbt_semantic_interfaces.implementations.metric import PydanticMetric

    names = {m.name for m in manifest.metrics}
    return [
        PydanticMetric.parse_obj(
            {
                "name": m.name,
                "label": m.label,
                "description": m.description,
                "type": "simple",
                "type_params": {"measure": m.name},
            }
        )
        for sm in manifest.semantic_models
        for m in sm.measures
        if m.create_metric and m.name not in names
    ]


# --- metrics ------------------------------------------------------------------------------------
def _metrics(ctx: _Context, metrics: list[Any]) -> None:
    """Map every metric, in passes: ratio and derived metrics after the metrics they read."""
    pending = list(metrics)
    while pending:
        left = []
        for metric in pending:
            ctx.new_measures = []
            element = f"metric `{metric.name}` ({metric.type.value})"
            try:
                mapped = _metric(ctx, metric)
            except _Pending:
                left.append(metric)
                continue
            except (Unmappable, ValidationError) as exc:
                ctx.out.unmapped(
                    element, f"{exc} (written as a draft without a formula: asked about, it is refused)"
                )
                ctx.metrics[str(metric.name)] = _placeholder(ctx, metric, str(exc))
                continue
            for measure in ctx.new_measures:
                ctx.measures[measure.id] = measure
                filters = "; ".join(f"{f.dimension} {f.op} {f.values}" for f in measure.filters)
                ctx.out.mapped.append(
                    (f"filter of {element}", f"measure `{measure.id}` (filters: {filters})")
                )
            ctx.metrics[mapped.id] = mapped
            ctx.out.mapped.append(
                (element, f"metric `{mapped.id}` ({mapped.type.value}, {mapped.status.value})")
            )
        if len(left) == len(pending):
            for metric in left:
                reason = "it reads a metric that was not mapped"
                ctx.out.unmapped(f"metric `{metric.name}` ({metric.type.value})", reason)
                ctx.metrics[str(metric.name)] = _placeholder(ctx, metric, reason)
            return
        pending = left


def _placeholder(ctx: _Context, m: Any, reason: str) -> Metric:
    """A metric that could not be mapped, kept by name as a draft with no formula: a question about it is
    refused as not approved (with its name and why), never answered by a near metric."""
    ctx.not_imported.add(str(m.name))
    fields = _governance(ctx, m, _TYPES[m.type.value], {}) | {"status": Status.DRAFT}
    fields["definition"] = Text(en=f"Not imported from dbt: {reason}. {fields['definition'].en}")
    return Metric(id=str(m.name), type=_TYPES[m.type.value], **fields)


def _metric(ctx: _Context, m: Any) -> Metric:
    kind = _TYPES[m.type.value]
    tp = m.type_params
    fields: dict[str, Any] = {}
    if kind in (MetricType.SIMPLE, MetricType.CUMULATIVE):
        if tp.measure is None:
            raise Unmappable("no `measure` (dbt's measure-free metric spec is not read)")
        measure = ctx.measure_id(str(tp.measure.name))
        fields["measure"] = _measure_ref(ctx, measure, where_templates(m.filter, tp.measure.filter), m.name)
        fields["join_to_timespine"] = bool(tp.measure.join_to_timespine or tp.join_to_timespine)
        fill = tp.measure.fill_nulls_with if tp.measure.fill_nulls_with is not None else tp.fill_nulls_with
        fields["fill_nulls_with"] = fill
        fields["time_dimension"] = ctx.measure_times.get(fields["measure"])
    if kind is MetricType.CUMULATIVE:
        fields |= _cumulative(ctx, m)
    elif kind is MetricType.RATIO:
        fields["numerator"] = _metric_input(ctx, tp.numerator, m.filter, f"{m.name}_numerator")
        fields["denominator"] = _metric_input(ctx, tp.denominator, m.filter, f"{m.name}_denominator")
    elif kind is MetricType.DERIVED:
        fields["expr"] = _derived_expr(ctx, m)
    elif kind is MetricType.CONVERSION:
        fields |= _conversion(ctx, m)
    return Metric(id=str(m.name), type=kind, **_governance(ctx, m, kind, fields), **fields)


def _measure_ref(ctx: _Context, measure_id: str, templates: list[str], suffix: str) -> str:
    """The measure a metric reads: ``measure_id``, or a copy of it filtered by ``templates``."""
    base = ctx.measures.get(measure_id)
    if base is None:
        raise Unmappable(f"its measure `{measure_id}` was not mapped")
    if not templates:
        return measure_id
    filters = member_filters(templates, ctx.lookup)
    model = ctx.models[base.model]
    for flt in filters:
        if flt.dimension not in model.dimensions:
            raise Unmappable(f"filter on `{flt.dimension}`, which model `{model.id}` does not reach")
    copy = base.model_copy(update={"id": f"{measure_id}__{suffix}", "filters": [*base.filters, *filters]})
    if measure_id in ctx.measure_times:
        ctx.measure_times[copy.id] = ctx.measure_times[measure_id]
    ctx.new_measures.append(copy)
    return copy.id


def _metric_input(ctx: _Context, inp: Any, metric_filter: Any, suffix: str) -> str:
    """A ratio's or derived metric's input: the metric id, or a filtered measure for a filtered simple one."""
    if inp.offset_window is not None or inp.offset_to_grain:
        raise Unmappable(
            f"input `{inp.name}` has an offset (offset_window/offset_to_grain): metricqa has none"
        )
    names = {m.name for m in ctx.source.manifest.metrics} | set(ctx.metrics)
    if inp.name not in names:
        raise Unmappable(f"input metric `{inp.name}` does not exist")
    target = ctx.metrics.get(str(inp.name))
    if target is None:
        raise _Pending(inp.name)
    if target.id in ctx.not_imported:
        raise Unmappable(f"input metric `{inp.name}` was not mapped")
    templates = where_templates(metric_filter, inp.filter)
    if not templates:
        return target.id
    if target.type is not MetricType.SIMPLE or target.measure is None:
        raise Unmappable(
            f"a filter on input `{inp.name}`, a {target.type.value} metric: only simple ones map"
        )
    return _measure_ref(ctx, target.measure, templates, suffix)


def _derived_expr(ctx: _Context, m: Any) -> str:
    refs = {
        str(inp.alias or inp.name): _metric_input(ctx, inp, m.filter, f"{m.name}_{inp.alias or inp.name}")
        for inp in m.type_params.metrics or []
    }
    try:
        tree = sqlglot.parse_one(str(m.type_params.expr), dialect="duckdb")
    except sqlglot.ParseError as exc:
        raise Unmappable(f"expr `{m.type_params.expr}` does not parse: {exc}") from exc
    for column in tree.find_all(exp.Column):
        if column.name not in refs:
            raise Unmappable(f"expr names `{column.name}`, which is none of its input metrics")
        column.set("this", exp.to_identifier(refs[column.name]))
    return tree.sql(dialect="duckdb")


def _cumulative(ctx: _Context, m: Any) -> dict[str, Any]:
    tp = m.type_params
    params = tp.cumulative_type_params
    window = (params.window if params else None) or tp.window
    grain = (params.grain_to_date if params else None) or tp.grain_to_date
    period_agg = params.period_agg.value if params else "first"
    if period_agg == "average":
        raise Unmappable(
            "period_agg `average` (the mean of each day's running total): metricqa reads one day"
        )
    if period_agg == "first":
        ctx.out.review(
            f"metric `{m.name}` (cumulative)",
            "dbt's period_agg first reads each period's first day; metricqa reads the running total at each "
            "period's end (period_agg last). Check this is what the metric means.",
        )
    out: dict[str, Any] = {}
    if window is not None:
        out["window"] = window_of(window)
    if grain is not None:
        grain_name = str(getattr(grain, "value", grain)).lower()
        if grain_name not in ("day", "week", "month", "quarter", "year"):
            raise Unmappable(f"grain_to_date `{grain_name}`")
        out["grain_to_date"] = grain_name
    return out


def _conversion(ctx: _Context, m: Any) -> dict[str, Any]:
    params = m.type_params.conversion_type_params
    if params is None or params.base_measure is None or params.conversion_measure is None:
        raise Unmappable(
            "conversion without base_measure and conversion_measure (metric inputs are not read)"
        )
    if params.constant_properties:
        raise Unmappable("constant_properties (the same value on both events): metricqa has none")
    if m.filter is not None:
        raise Unmappable(
            "a metric-level filter on a conversion metric: put it on base_measure or conversion_measure"
        )
    base_in, conv_in = params.base_measure, params.conversion_measure
    base = _measure_ref(ctx, ctx.measure_id(base_in.name), where_templates(base_in.filter), f"{m.name}_base")
    conv = _measure_ref(
        ctx, ctx.measure_id(conv_in.name), where_templates(conv_in.filter), f"{m.name}_conversion"
    )
    out: dict[str, Any] = {
        "conversion": ConversionParams(
            base_measure=base,
            conversion_measure=conv,
            entity=params.entity,
            calculation=params.calculation.value,
        )
    }
    if params.window is not None:
        out["window"] = window_of(params.window)
    return out


def _governance(ctx: _Context, m: Any, kind: MetricType, fields: dict[str, Any]) -> dict[str, Any]:
    """Names, words and governance fields; what dbt does not know is a placeholder, reported for review."""
    meta = dict(m.config.meta) if m.config is not None else {}
    group = ctx.source.metric_groups.get(str(m.name))
    owner = str(meta.get("owner") or ctx.source.group_owners.get(group or "", "") or OWNER_PLACEHOLDER)
    department = str(meta.get("department") or DEPARTMENT_PLACEHOLDER)
    for word, value in (("owner", owner), ("department", department)):
        if value.startswith("REVIEW:"):
            ctx.placeholders.setdefault(word, []).append(str(m.name))
    label = str(m.label or humanize(str(m.name)).capitalize())
    description = str(m.description or label)
    return {
        "name": Text(en=label),
        "description": Text(en=description),
        "definition": Text(en=description),
        "owner": owner,
        "department": department,
        "status": Status.APPROVED if ctx.approve else Status.DRAFT,
        "unit": _unit(ctx, kind, fields),
    }


def _unit(ctx: _Context, kind: MetricType, fields: dict[str, Any]) -> Unit:
    if kind is MetricType.RATIO:  # a share when both sides count things (web orders ÷ orders), else a number
        sides = (_ref_unit(ctx, fields.get("numerator")), _ref_unit(ctx, fields.get("denominator")))
        return Unit.RATIO if sides == (Unit.COUNT, Unit.COUNT) else Unit.NUMBER
    if kind is MetricType.CONVERSION and "conversion" in fields:
        return Unit.RATIO if fields["conversion"].calculation == "conversion_rate" else Unit.COUNT
    measure = ctx.measure(fields.get("measure"))
    if measure is not None and measure.agg in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
        return Unit.COUNT
    return Unit.NUMBER


def _ref_unit(ctx: _Context, ref: str | None) -> Unit:
    """The unit of a metric, or of a measure (a count or a number)."""
    if ref is None:
        return Unit.NUMBER
    if ref in ctx.metrics:
        return ctx.metrics[ref].unit
    measure = ctx.measure(ref)
    counts = measure is not None and measure.agg in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT)
    return Unit.COUNT if counts else Unit.NUMBER


# --- saved queries → example questions ----------------------------------------------------------
def _examples(ctx: _Context, saved_queries: list[Any]) -> None:
    """Each saved query as a plain-English example question of its first mapped metric."""
    names = {d.id: d.name.en for d in ctx.out.dimensions}
    for sq in saved_queries:
        element = f"saved query `{sq.name}`"
        metrics = [ctx.metrics[n] for n in sq.query_params.metrics if n in ctx.metrics]
        if not metrics:
            ctx.out.unmapped(element, "none of its metrics was mapped")
            continue
        try:
            groups = [_group_words(g, ctx.lookup, names) for g in sq.query_params.group_by]
            filters = member_filters(where_templates(sq.query_params.where), ctx.lookup)
        except Unmappable as exc:
            ctx.out.unmapped(element, str(exc))
            continue
        text = " and ".join(m.name.en.lower() for m in metrics)
        text += "".join(f" by {g}" for g in groups if g)
        text += "".join(f" for {' or '.join(f.values)}" for f in filters if f.op == "in")
        first = metrics[0]
        ctx.metrics[first.id] = first.model_copy(
            update={"examples": Synonyms(en=[*first.examples.en, text], zh=list(first.examples.zh))}
        )
        ctx.out.mapped.append((element, f'example question of `{first.id}`: "{text}"'))


def _group_words(item: str, lookup: dict[tuple[str, str], str], names: dict[str, str]) -> str:
    """``Dimension('customer__type')`` → its name; ``TimeDimension('metric_time', 'month')`` → month."""
    inner = item.strip().removeprefix("{{").removesuffix("}}").strip()
    head, _, rest = inner.partition("(")
    args = [a.strip().strip("'\"") for a in rest.rstrip(")").split(",")]
    if head == "TimeDimension":
        return args[1] if len(args) > 1 and args[1] else ""
    parts = args[0].split("__")
    if head == "Dimension" and len(parts) >= 2 and (parts[-2], parts[-1]) in lookup:
        return names[lookup[(parts[-2], parts[-1])]].lower()
    raise Unmappable(f"group_by `{item}` is no mapped dimension")


def _summary_findings(ctx: _Context) -> None:
    out = ctx.out
    status = (
        "approved (--approve): they answer at once"
        if ctx.approve
        else ("draft: refused until a reviewer sets `status: approved` (or re-import with --approve)")
    )
    for word, metrics in ctx.placeholders.items():
        out.review(
            f"{word} of {len(metrics)} metric(s)",
            f"dbt does not say (no meta.{word}{' or group owner' if word == 'owner' else ''}), written "
            f"`REVIEW: {word}`: {', '.join(metrics)}",
        )
    if any(m.type is MetricType.CONVERSION for m in ctx.metrics.values()):
        out.review(
            "conversion metrics",
            "metricqa counts converted entities (each once) over entities with a base event; MetricFlow counts "
            "base events that convert. The two differ when an entity has several base events.",
        )
    for warning in ctx.source.warnings:
        out.review("dbt's own checks", warning)
    out.review("every metric", f"status {status}")
    out.review(
        "every metric", "definition (口径) is the dbt description: rewrite it as the rule a reader checks"
    )
    out.review(
        "every metric",
        "unit is guessed (count for counts, ratio for a count over a count or a conversion rate, else number); currency unset",
    )
    out.review("every metric and dimension", "no Chinese names (zh): answers fall back to the English ones")
    out.review("roles", "one role `exec` that sees every metric: add the roles and row filters you need")

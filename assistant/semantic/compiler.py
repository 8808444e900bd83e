"""Compile a governed QueryPlan into one parameterised SELECT (style.md §3).

``compile_plan`` is pure: no I/O, no globals. It checks the plan (``governance.check_plan``),
then builds the query with sqlglot's AST and prints it for the dialect asked:

- one CTE per semantic model the plan's metrics read, aggregating every base measure of that
  model in one scan (a measure's ``where`` becomes ``FILTER (WHERE …)``, or the CTE's WHERE when
  all its measures share it), grouped by the period bucket and each dimension's member key,
  filtered by the period, the plan's filters and the role's row filters (all bound ``?`` params);
- with a comparison, the same per-model CTEs over the baseline range (a series' baseline buckets
  are moved forward one grain or one year before bucketing), or the metric's target;
- a key spine (UNION of every CTE's keys) that each CTE is LEFT JOINed to, plus a label lookup per
  dimension; ``metric_values`` computes each metric (ratio of sums, derived expressions inlined;
  an additive measure a CTE has no row for reads as 0);
- a final SELECT of the plan's result columns (``plan_columns``: the period, each dimension's key and
  label, each metric's value and, with a comparison, its baseline or target, delta and ratio, named
  by ``columns``), ordered and limited. ``CompiledQuery.columns`` describes them, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlglot import exp
from sqlglot.tokens import Tokenizer

from metricqa.assistant.semantic.columns import (
    ColumnRole,
    ResultColumn,
    ValueKind,
    column_for,
    derived_name,
    find,
    names_of,
    result_columns,
)
from metricqa.assistant.semantic.governance import check_plan, plan_refs
from metricqa.assistant.semantic.periods import Shift, baseline_range, grain_shift, series_baseline_range
from metricqa.assistant.semantic.plan import Comparison, Filter, FilterOp, Grain, QueryPlan
from metricqa.catalog.models import Aggregation, Catalog, Dimension, Measure, MetricType, SemanticModel
from metricqa.catalog.refs import base_measures, parse_expr
from metricqa.core.asker import Asker

Param = object

_SAFE = re.compile(r"[a-z_][a-z0-9_]*")
_KEYWORDS = frozenset(word for keyword in Tokenizer.KEYWORDS for word in keyword.split())
_AGGREGATES: dict[Aggregation, type[exp.AggFunc]] = {
    Aggregation.SUM: exp.Sum,
    Aggregation.COUNT: exp.Count,
    Aggregation.AVG: exp.Avg,
    Aggregation.MIN: exp.Min,
    Aggregation.MAX: exp.Max,
}
ADDITIVE = (Aggregation.SUM, Aggregation.COUNT, Aggregation.COUNT_DISTINCT)


@dataclass(frozen=True)
class CompiledQuery:
    """One SELECT with its bound parameters (``?``, in order), its result columns and what it read."""

    sql: str
    params: tuple[Param, ...]
    columns: tuple[ResultColumn, ...]  # in output order
    sources: tuple[str, ...]  # "table.column" read
    metrics: tuple[str, ...]  # metric ids computed (the plan's, plus targets under comparison=target)

    @property
    def names(self) -> tuple[str, ...]:
        """The result column names (the SQL aliases), in order."""
        return names_of(self.columns)


@dataclass(frozen=True)
class Branch:
    """One set of model CTEs: the asked period, or the baseline period of a comparison."""

    kind: ValueKind  # value (the asked period) or baseline
    refs: tuple[str, ...]  # metrics and measures computed over this branch
    start: date
    end: date
    forward: Shift | None = None  # move each row forward by this before bucketing (series baselines)


@dataclass(frozen=True)
class Context:
    plan: QueryPlan
    catalog: Catalog
    language: str
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    row_filters: tuple[tuple[str, str], ...]  # (dimension, scope value)
    reserved: frozenset[str]  # names a CTE must not take (tables read, fixed CTE names)
    columns: tuple[ResultColumn, ...]  # the result columns, in output order

    @property
    def series(self) -> bool:
        return self.plan.grain is not Grain.NONE

    def key_names(self) -> list[str]:
        """The period and member key columns every CTE is grouped and joined by."""
        return [c.name for c in self.columns if c.role in (ColumnRole.PERIOD, ColumnRole.DIMENSION)]

    def column(self, *roles: ColumnRole, metric: str | None = None, dimension: str | None = None) -> str:
        """The name of the result column with one of ``roles`` (of ``metric`` / ``dimension``)."""
        found = find(self.columns, *roles, metric=metric, dimension=dimension)
        assert found is not None, (roles, metric, dimension)
        return found.name

    def used_dimensions(self) -> list[str]:
        """Dimensions grouped, filtered or row-filtered by, in that order."""
        filtered = [f.dimension for f in self.plan.filters]
        return list(dict.fromkeys([*self.dimensions, *filtered, *(d for d, _ in self.row_filters)]))


# --- small builders ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _needs_quotes(name: str) -> bool:
    return not _SAFE.fullmatch(name) or name.upper() in _KEYWORDS


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=_needs_quotes(name))


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def alias(expression: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=expression, alias=ident(name))


def table(name: str, alias_name: str | None = None) -> exp.Table:
    parts = name.split(".")
    return exp.Table(
        this=ident(parts[-1]),
        db=ident(parts[-2]) if len(parts) > 1 else None,
        alias=exp.TableAlias(this=ident(alias_name)) if alias_name else None,
    )


def catalog_sql(sql: str) -> exp.Expr:
    """A fresh copy of a catalog-authored expression (parsed once, cached)."""
    return parse_expr(sql).copy()


def comment(select: exp.Select, text: str) -> exp.Select:
    select.add_comments([" " + text.replace("*/", "* /") + " "])
    return select


def eq(left: exp.Expr, right: exp.Expr) -> exp.EQ:
    return exp.EQ(this=left, expression=right)


def null_safe_on(left: str, right: str, keys: Sequence[str]) -> exp.Expr:
    return exp.and_(*(exp.NullSafeEQ(this=col(k, left), expression=col(k, right)) for k in keys), copy=False)


def ratio(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """``numerator / NULLIF(denominator, 0)`` in floating point (no integer division in any dialect)."""
    return exp.Div(
        this=exp.Cast(this=numerator, to=exp.DataType.build("double")),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )


def interval(step: Shift) -> list[exp.Interval]:
    parts = [(step.months, "MONTH"), (step.days, "DAY")]
    return [exp.Interval(this=exp.Literal.string(str(n)), unit=exp.Var(this=unit)) for n, unit in parts if n]


class Names:
    """Unique CTE / alias names that avoid the reserved ones."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.taken = {n.lower() for n in reserved}

    def take(self, wanted: str) -> str:
        name, n = wanted, 1
        while name.lower() in self.taken:
            n += 1
            name = f"{wanted}_{n}"
        self.taken.add(name.lower())
        return name


# --- one model CTE --------------------------------------------------------------------------------


def model_aliases(model: SemanticModel) -> dict[str, str]:
    return {model.alias: model.table, **{j.alias: j.table for j in model.joins}}


def needs_join(dim: Dimension) -> bool:
    """A dimension whose member key is not the column the facts carry joins its table."""
    return dim.join_key is not None and dim.key != dim.join_key


def join_column(model: SemanticModel, ref: str) -> exp.Column:
    column = catalog_sql(ref)
    assert isinstance(column, exp.Column)
    if not column.table:
        column.set("table", ident(model.alias))
    return column


def model_from(select: exp.Select, model: SemanticModel) -> exp.Select:
    select = select.from_(table(model.table, model.alias), copy=False)
    for j in model.joins:
        on = exp.and_(
            *(eq(join_column(model, left), col(right, j.alias)) for left, right in j.keys), copy=False
        )
        side = "LEFT" if j.kind == "left" else None
        select = select.join(exp.Join(this=table(j.table, j.alias), on=on, side=side), copy=False)
    return select


def dimension_joins(ctx: Context, model: SemanticModel, select: exp.Select) -> dict[str, str]:
    """LEFT JOIN each needed dimension table; returns dimension id → join alias."""
    names = Names(model_aliases(model))
    out: dict[str, str] = {}
    for dim_id in ctx.used_dimensions():
        dim = ctx.catalog.dimensions[dim_id]
        if not needs_join(dim):
            continue
        out[dim_id] = names.take(f"{dim_id}_dim")
        on = eq(catalog_sql(model.dimensions[dim_id]), col(dim.join_key or dim.key, out[dim_id]))
        select.join(exp.Join(this=table(dim.table, out[dim_id]), on=on, side="LEFT"), copy=False)
    return out


def member_key(ctx: Context, model: SemanticModel, dim_id: str, joins: dict[str, str]) -> exp.Expr:
    """The expression holding a dimension's member key in a model CTE."""
    if dim_id in joins:
        return col(ctx.catalog.dimensions[dim_id].key, joins[dim_id])
    return catalog_sql(model.dimensions[dim_id])


def period_expr(model: SemanticModel, grain: Grain, forward: Shift | None) -> exp.Expr:
    moment = catalog_sql(model.time)
    for step in interval(forward) if forward else []:
        moment = exp.Add(this=moment, expression=step)
    trunc = exp.DateTrunc(this=moment, unit=exp.Literal.string(grain.value.upper()))  # type: ignore[no-untyped-call]
    return exp.Cast(this=trunc, to=exp.DataType.build("date"))


def aggregate(measure: Measure, with_filter: bool) -> exp.Expr:
    value = catalog_sql(measure.expr)
    if measure.agg is Aggregation.COUNT_DISTINCT:
        agg: exp.Expr = exp.Count(this=exp.Distinct(expressions=[value]))
    else:
        agg = _AGGREGATES[measure.agg](this=value)
    if with_filter and measure.where:
        agg = exp.Filter(this=agg, expression=exp.Where(this=catalog_sql(measure.where)))
    return agg


def filter_condition(key: exp.Expr, flt: Filter) -> tuple[exp.Expr, list[Param]]:
    values: list[Param] = list(flt.values)
    if flt.op is FilterOp.EQ and len(values) == 1:
        return eq(key, exp.Placeholder()), values
    member_in = exp.In(this=key, expressions=[exp.Placeholder() for _ in values])
    return (exp.Not(this=member_in) if flt.op is FilterOp.NOT_IN else member_in), values


def measures_where(measures: Sequence[Measure]) -> tuple[exp.Expr | None, bool]:
    """Rows any measure needs (pushed into WHERE) and whether each aggregate still needs its FILTER."""
    wheres = list(dict.fromkeys(m.where for m in measures))
    if None in wheres:
        return None, True
    conditions = [exp.Paren(this=catalog_sql(w)) for w in wheres if w]
    if len(conditions) == 1:
        return conditions[0].this, False
    return exp.or_(*conditions, copy=False), True


def model_cte(
    ctx: Context, model: SemanticModel, measures: Sequence[Measure], branch: Branch
) -> tuple[exp.Select, list[Param]]:
    select = model_from(exp.Select(), model)
    joins = dimension_joins(ctx, model, select)
    keys: list[tuple[str, exp.Expr]] = []
    if ctx.series:
        keys.append((ctx.column(ColumnRole.PERIOD), period_expr(model, ctx.plan.grain, branch.forward)))
    keys += [
        (ctx.column(ColumnRole.DIMENSION, dimension=d), member_key(ctx, model, d, joins))
        for d in ctx.dimensions
    ]
    shared_where, per_measure = measures_where(measures)
    select.select(*(alias(e, name) for name, e in keys), copy=False)
    select.select(*(alias(aggregate(m, per_measure), m.id) for m in measures), copy=False)
    time = catalog_sql(model.time)
    conditions: list[exp.Expr] = [exp.Between(this=time, low=exp.Placeholder(), high=exp.Placeholder())]
    params: list[Param] = [branch.start, branch.end]
    if shared_where is not None:
        conditions.append(shared_where)
    for flt in ctx.plan.filters:
        condition, values = filter_condition(member_key(ctx, model, flt.dimension, joins), flt)
        conditions.append(condition)
        params += values
    for dim_id, value in ctx.row_filters:
        conditions.append(eq(member_key(ctx, model, dim_id, joins), exp.Placeholder()))
        params.append(value)
    select.where(exp.and_(*conditions, copy=False), copy=False)
    if keys:
        select.group_by(*(e.copy() for _, e in keys), copy=False)
    what = "baseline, " if branch.kind is ValueKind.BASELINE else ""
    comment(
        select, f"model {model.id} ({what}table {model.table}): measures {', '.join(m.id for m in measures)}"
    )
    return select, params


# --- the whole query ----------------------------------------------------------------------------


def branch_models(ctx: Context, branch: Branch) -> dict[str, list[Measure]]:
    """Model id → the measures this branch reads from it, in first-use order."""
    out: dict[str, list[Measure]] = {}
    for ref in branch.refs:
        for measure_id in base_measures(ctx.catalog, ref):
            measure = ctx.catalog.measures[measure_id]
            bucket = out.setdefault(measure.model, [])
            if measure not in bucket:
                bucket.append(measure)
    return out


def branches(ctx: Context) -> list[Branch]:
    plan = ctx.plan
    current = Branch(ValueKind.VALUE, tuple(plan_refs(plan, ctx.catalog)), plan.time.start, plan.time.end)
    if plan.comparison in (Comparison.NONE, Comparison.TARGET):
        return [current]
    if ctx.series:
        start, end = series_baseline_range(plan.time, plan.comparison)
        forward: Shift | None = grain_shift(plan.grain, plan.comparison)
    else:
        (start, end), forward = baseline_range(plan.time, plan.comparison), None
    return [current, Branch(ValueKind.BASELINE, ctx.metrics, start, end, forward)]


def ref_sql(ctx: Context, ref: str, ctes: dict[str, str]) -> exp.Expr:
    """SQL for a metric or measure over one branch's CTEs (``ctes``: model id → CTE name)."""
    catalog = ctx.catalog
    if ref in catalog.measures:
        measure = catalog.measures[ref]
        value = col(ref, ctes[measure.model])
        if measure.agg in ADDITIVE:  # no rows in a model for a key means zero, not unknown
            return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        return value
    metric = catalog.metrics[ref]
    if metric.type is MetricType.SIMPLE:
        return ref_sql(ctx, metric.measure or "", ctes)
    if metric.type is MetricType.RATIO:
        return ratio(ref_sql(ctx, metric.numerator or "", ctes), ref_sql(ctx, metric.denominator or "", ctes))

    def inline(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Column)
            and not node.table
            and node.name in (*catalog.metrics, *catalog.measures)
        ):
            return exp.Paren(this=ref_sql(ctx, node.name, ctes))
        return node

    return catalog_sql(metric.expr or "").transform(inline, copy=False)


def labels_cte(ctx: Context, dim_id: str) -> exp.Select:
    dim = ctx.catalog.dimensions[dim_id]
    key = col(dim.key)
    select = (
        exp.Select(
            expressions=[
                alias(key, "member_key"),
                alias(exp.Min(this=col(dim.label.get(ctx.language))), "label"),
            ]
        )
        .from_(table(dim.table), copy=False)
        .where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())), copy=False)
        .group_by(key.copy(), copy=False)
    )
    return comment(select, f"dimension {dim_id}: member labels ({ctx.language}) from {dim.table}")


def spine_cte(ctx: Context, ctes: Sequence[str]) -> exp.Expr:
    keys = ctx.key_names()
    parts = [exp.Select(expressions=[col(k) for k in keys]).from_(table(name), copy=False) for name in ctes]
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=True, copy=False)
    return union


def metric_value_columns(ctx: Context, branch_ctes: dict[ValueKind, dict[str, str]]) -> list[exp.Expr]:
    """Each metric's value, and its baseline (over the baseline branch) or target, per result column."""
    current = branch_ctes[ValueKind.VALUE]
    out: list[exp.Expr] = []
    for column in ctx.columns:
        metric_id = column.metric or ""
        if column.role is ColumnRole.VALUE:
            out.append(alias(ref_sql(ctx, metric_id, current), column.name))
        elif column.role is ColumnRole.TARGET:
            target = ctx.catalog.metrics[metric_id].target
            assert target is not None
            out.append(alias(ref_sql(ctx, target.metric, current), column.name))
        elif column.role is ColumnRole.BASELINE:
            out.append(alias(ref_sql(ctx, metric_id, branch_ctes[ValueKind.BASELINE]), column.name))
    return out


def values_cte(
    ctx: Context,
    model_ctes: list[str],
    branch_ctes: dict[ValueKind, dict[str, str]],
    names: Names,
    with_: list[tuple[str, exp.Expr]],
) -> exp.Select:
    keys = ctx.key_names()
    if keys and len(model_ctes) > 1:
        base = names.take("spine")
        with_.append((base, spine_cte(ctx, model_ctes)))
    else:
        base = model_ctes[0]
    select = exp.Select(expressions=[alias(col(k, base), k) for k in keys]).from_(table(base), copy=False)
    for name in model_ctes:
        if name == base:
            continue
        on = null_safe_on(base, name, keys) if keys else None
        select.join(
            exp.Join(this=table(name), on=on, side="LEFT" if keys else None, kind=None if keys else "CROSS"),
            copy=False,
        )
    for dim_id in ctx.dimensions:
        labels = names.take(f"{dim_id}__labels")
        with_.append((labels, labels_cte(ctx, dim_id)))
        key = col(ctx.column(ColumnRole.DIMENSION, dimension=dim_id), base)
        select.join(
            exp.Join(this=table(labels), on=eq(col("member_key", labels), key), side="LEFT"), copy=False
        )
        select.select(alias(col("label", labels), ctx.column(ColumnRole.LABEL, dimension=dim_id)), copy=False)
    select.select(*metric_value_columns(ctx, branch_ctes), copy=False)
    return comment(select, f"metrics {', '.join(ctx.metrics)}")


def plan_columns(plan: QueryPlan) -> tuple[ResultColumn, ...]:
    """The result columns ``compile_plan`` gives ``plan``, in output order."""
    compared: ColumnRole | None = ColumnRole.BASELINE
    if plan.comparison is Comparison.NONE:
        compared = None
    elif plan.comparison is Comparison.TARGET:
        compared = ColumnRole.TARGET
    return result_columns(
        dict.fromkeys(plan.metrics),
        dict.fromkeys(plan.dimensions),
        series=plan.grain is not Grain.NONE,
        compared=compared,
    )


def output_expr(ctx: Context, column: ResultColumn) -> exp.Expr:
    """A final column: read from the values CTE, or a delta / ratio of a metric's value and its base."""
    if column.role not in (ColumnRole.DELTA, ColumnRole.RATIO):
        return col(column.name)
    value = col(ctx.column(ColumnRole.VALUE, metric=column.metric))
    base = col(ctx.column(ColumnRole.BASELINE, ColumnRole.TARGET, metric=column.metric))
    if column.role is ColumnRole.DELTA:
        return alias(exp.Sub(this=value, expression=base), column.name)
    return alias(ratio(value, base), column.name)


def order_terms(ctx: Context) -> list[exp.Ordered]:
    plan = ctx.plan
    terms: list[tuple[str, bool]] = []
    for order in plan.order:
        column = column_for(ctx.columns, order.metric, order.value)
        assert column is not None, order  # governance.check_order admitted it
        terms.append((column.name, order.direction == "desc"))
    if not terms and ctx.series:
        terms.append((ctx.column(ColumnRole.PERIOD), False))
    elif not terms and ctx.dimensions:
        terms.append((ctx.column(ColumnRole.VALUE, metric=ctx.metrics[0]), True))
    named = {name for name, _ in terms}
    terms += [(k, False) for k in ctx.key_names() if k not in named]  # a stable order for ties
    return [exp.Ordered(this=col(name), desc=desc, nulls_first=False) for name, desc in terms]


def build_query(ctx: Context, values_name: str, names: Names) -> tuple[exp.Select, list[Param]]:
    with_: list[tuple[str, exp.Expr]] = []
    params: list[Param] = []
    branch_ctes: dict[ValueKind, dict[str, str]] = {}
    model_ctes: list[str] = []
    for branch in branches(ctx):
        branch_ctes[branch.kind] = {}
        for model_id, measures in branch_models(ctx, branch).items():
            name = names.take(derived_name(model_id, branch.kind))  # a baseline CTE: like a baseline column
            cte, cte_params = model_cte(ctx, ctx.catalog.models[model_id], measures, branch)
            with_.append((name, cte))
            params += cte_params
            branch_ctes[branch.kind][model_id] = name
            model_ctes.append(name)
    with_.append((values_name, values_cte(ctx, model_ctes, branch_ctes, names, with_)))
    final = exp.Select(expressions=[output_expr(ctx, c) for c in ctx.columns])
    final.from_(table(values_name), copy=False)
    ordered = order_terms(ctx)
    if ordered:
        final.order_by(*ordered, copy=False)
    if ctx.plan.limit is not None:
        final.limit(exp.Literal.number(ctx.plan.limit), copy=False)
    for name, body in with_:
        final.with_(exp.TableAlias(this=ident(name)), as_=body, copy=False)
    return final, params


# --- sources ----------------------------------------------------------------------------------------


def model_sources(ctx: Context, model: SemanticModel, measures: Iterable[Measure]) -> set[str]:
    aliases = model_aliases(model)
    exprs = [model.time, *(model.dimensions[d] for d in ctx.used_dimensions() if d in model.dimensions)]
    for m in measures:
        exprs += [m.expr, *([m.where] if m.where else [])]
    out = {
        f"{aliases.get(c.table, model.table)}.{c.name}"
        for e in exprs
        for c in parse_expr(e).find_all(exp.Column)
    }
    for j in model.joins:
        for left, right in j.keys:
            column = join_column(model, left)
            out |= {f"{aliases.get(column.table, model.table)}.{column.name}", f"{j.table}.{right}"}
    return out


def sources(ctx: Context) -> tuple[str, ...]:
    out: set[str] = set()
    for branch in branches(ctx):
        for model_id, measures in branch_models(ctx, branch).items():
            out |= model_sources(ctx, ctx.catalog.models[model_id], measures)
    for dim_id in ctx.used_dimensions():
        dim = ctx.catalog.dimensions[dim_id]
        cols = [dim.key, *([dim.label.get(ctx.language)] if dim_id in ctx.dimensions else [])]
        cols += [dim.join_key] if dim.join_key and needs_join(dim) else []
        out |= {f"{dim.table}.{c}" for c in cols}
    return tuple(sorted(out))


# --- entry point ----------------------------------------------------------------------------------------


def make_context(plan: QueryPlan, catalog: Catalog, asker: Asker, language: str) -> Context:
    role = catalog.roles[asker.role]
    tables = {m.table for m in catalog.models.values()} | {
        j.table for m in catalog.models.values() for j in m.joins
    }
    tables |= {d.table for d in catalog.dimensions.values()}
    return Context(
        plan=plan,
        catalog=catalog,
        language=language,
        metrics=tuple(dict.fromkeys(plan.metrics)),
        dimensions=tuple(dict.fromkeys(plan.dimensions)),
        row_filters=tuple((rf.dimension, asker.scope[rf.scope]) for rf in role.row_filters),
        reserved=frozenset(t.split(".")[-1] for t in tables),
        columns=plan_columns(plan),
    )


def compile_plan(
    plan: QueryPlan, catalog: Catalog, asker: Asker, language: str = "en", dialect: str = "duckdb"
) -> CompiledQuery:
    """Check ``plan`` for ``asker`` and compile it to one SELECT with ``?`` parameters for ``dialect``."""
    check_plan(plan, catalog, asker)
    ctx = make_context(plan, catalog, asker, language)
    names = Names(ctx.reserved)
    values_name = names.take("metric_values")
    query, params = build_query(ctx, values_name, names)
    metrics = [r for r in plan_refs(plan, catalog) if r in catalog.metrics]
    return CompiledQuery(
        sql=query.sql(dialect=dialect, pretty=True, copy=False),
        params=tuple(params),
        columns=ctx.columns,
        sources=sources(ctx),
        metrics=tuple(metrics),
    )

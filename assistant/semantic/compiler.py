"""Compile a governed QueryPlan into one parameterised SELECT (style.md §3).

``compile_plan`` is pure: no I/O, no globals. It checks the plan (``governance.check_plan``),
then builds the query with sqlglot's AST and prints it for the dialect asked:

- one CTE per semantic model the plan's metrics read, aggregating every base measure of that
  model in one scan (a measure's ``where`` becomes ``FILTER (WHERE …)``, or the CTE's WHERE when
  all its measures share it), grouped by the period bucket and each dimension's member key,
  filtered by the period, the plan's filters and the role's row filters (all bound ``?`` params);
- with a comparison, the same per-model CTEs over the baseline range (a series' baseline buckets
  are moved forward one grain or one year before bucketing), over ``baseline_time`` for
  comparison=other_period (buckets moved forward by the distance between the two starts), or
  the metric's target;
- for a share, the same per-model CTEs for the total: grouped by the period only, with the plan's
  filters minus those on the dimensions the share is over and with every row filter (a scoped
  asker's total is their scope's total), joined to each row by the period or CROSS JOINed;
- a key spine (UNION of every CTE's keys) that each CTE is LEFT JOINed to, plus a label lookup per
  dimension; ``metric_values`` computes each metric (ratio of sums, derived expressions inlined;
  an additive measure a CTE has no row for reads as 0);
- a final SELECT of the plan's result columns (``plan_columns``: the period, each dimension's key and
  label, each metric's value and, with a comparison, its baseline or target, delta and ratio, for a
  share its total and share, named by ``columns``), filtered by the plan's thresholds (``having``:
  the figure's expression against a bound ``?``), ordered (NULLs last) and limited.
  ``CompiledQuery.columns`` describes them, in order.

A member filter keeps rows by member key; ``not_in`` is NULL-safe, ``(key NOT IN (?, …) OR key IS
NULL)``: a row with no member is not the excluded member. Row filters are always ``key = ?``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlglot import exp

from metricqa.assistant.semantic.columns import (
    ROLE_KIND,
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
from metricqa.assistant.semantic.periods import (
    Shift,
    back,
    baseline_range,
    bucket_start,
    buckets,
    forward,
    grain_shift,
    next_bucket,
    series_baseline_range,
    unit_shift,
)
from metricqa.assistant.semantic.plan import (
    Comparison,
    Filter,
    FilterOp,
    Grain,
    Intent,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)
from metricqa.assistant.semantic.sqlbuild import (
    Names,
    alias,
    catalog_sql,
    col,
    comment,
    eq,
    ident,
    interval,
    null_safe_on,
    ratio,
    table,
)
from metricqa.catalog.models import (
    Aggregation,
    Catalog,
    Dimension,
    Measure,
    MemberFilter,
    Metric,
    MetricType,
    SemanticModel,
)
from metricqa.catalog.refs import base_measures, metric_inputs, parse_expr
from metricqa.core.asker import Asker

Param = object

_AGGREGATES: dict[Aggregation, type[exp.AggFunc]] = {
    Aggregation.SUM: exp.Sum,
    Aggregation.COUNT: exp.Count,
    Aggregation.AVG: exp.Avg,
    Aggregation.MIN: exp.Min,
    Aggregation.MAX: exp.Max,
    Aggregation.MEDIAN: exp.Median,
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
    # a list with a limit: the query counting its rows without ORDER BY / LIMIT (same parameters), printed
    # only when asked (``count_sql``): most lists never hit their cap
    count_query: exp.Select | None = field(default=None, compare=False, repr=False)
    dialect: str = "duckdb"

    @property
    def names(self) -> tuple[str, ...]:
        """The result column names (the SQL aliases), in order."""
        return names_of(self.columns)

    @property
    def count_sql(self) -> str | None:
        """``SELECT COUNT(*) FROM (<the list without ORDER BY and LIMIT>)``, for a list with a limit."""
        if self.count_query is None:
            return None
        return self.count_query.sql(dialect=self.dialect, pretty=True)


@dataclass(frozen=True)
class Branch:
    """One set of model CTEs: the asked period, the baseline period of a comparison, or a share's total."""

    kind: ValueKind  # value (the asked period), baseline or total
    refs: tuple[str, ...]  # metrics and measures computed over this branch
    start: date
    end: date
    dimensions: tuple[str, ...]  # grouped by (with the period of a series)
    filters: tuple[Filter, ...]  # the plan's member filters this branch applies
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

    @property
    def timespine(self) -> bool:
        """A series of a metric that shows every period, an empty one too (``join_to_timespine``)."""
        metrics = (self.catalog.metrics.get(m) for m in self.metrics)
        return self.series and any(m is not None and m.join_to_timespine for m in metrics)

    def key_names(self, dimensions: Iterable[str] | None = None) -> list[str]:
        """The period and member key columns a CTE is grouped and joined by (of ``dimensions``, or of all)."""
        keys = [self.column(ColumnRole.PERIOD)] if self.series else []
        dims = self.dimensions if dimensions is None else tuple(dimensions)
        return keys + [self.column(ColumnRole.DIMENSION, dimension=d) for d in dims]

    def column(self, *roles: ColumnRole, metric: str | None = None, dimension: str | None = None) -> str:
        """The name of the result column with one of ``roles`` (of ``metric`` / ``dimension``)."""
        found = find(self.columns, *roles, metric=metric, dimension=dimension)
        assert found is not None, (roles, metric, dimension)
        return found.name

    def used_dimensions(self, branch: Branch | None = None) -> list[str]:
        """Dimensions grouped, filtered or row-filtered by (in ``branch``, or anywhere), in that order."""
        dims, filters = (
            (self.dimensions, self.plan.filters) if branch is None else (branch.dimensions, branch.filters)
        )
        filtered = [f.dimension for f in filters]
        return list(dict.fromkeys([*dims, *filtered, *(d for d, _ in self.row_filters)]))

    def time_column(self, model: SemanticModel, time_dimension: str | None) -> str:
        """The column dating this model's rows for ``time_dimension`` when the model maps it, else its ``time``."""
        return self.catalog.time_column(model, dated_by(model, time_dimension))

    def time_dimension(self, ref: str, inherited: str | None = None) -> str | None:
        """What dates ``ref``: the plan's time dimension, else the metric's own default, else the one of
        the metric it is part of (``inherited``); None = each model's ``time``. Two metrics of one
        question may be dated differently ("tickets opened and solved each month")."""
        if self.plan.time_dimension is not None:
            return self.plan.time_dimension
        metric = self.catalog.metrics.get(ref)
        return (metric.time_dimension if metric else None) or inherited


# --- one model CTE --------------------------------------------------------------------------------


def dated_by(model: SemanticModel, time_dimension: str | None) -> str | None:
    """``time_dimension`` when the model maps it, else None (its ``time``)."""
    return time_dimension if time_dimension in model.times else None


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


def model_exprs(
    ctx: Context,
    model: SemanticModel,
    measures: Iterable[Measure],
    time: str | None,
    branch: Branch | None = None,
) -> list[str]:
    """The catalog expressions a model CTE reads: its time column, the measures (and their row
    conditions) and the columns of the dimensions grouped, filtered or row-filtered by."""
    exprs = [ctx.time_column(model, time)]
    exprs += [model.dimensions[d] for d in ctx.used_dimensions(branch) if d in model.dimensions]
    for m in measures:
        exprs += [
            m.expr,
            *([m.where] if m.where else []),
            *(model.dimensions[f.dimension] for f in m.filters),
        ]
    return exprs


def needed_joins(model: SemanticModel, exprs: Iterable[str]) -> set[str]:
    """Join pruning: the aliases of the joins whose columns ``exprs`` use, the joins those hang from,
    and every ``required`` join (one kept as a row filter). Others are left out, as MetricFlow does:
    a declared join is many-to-one onto existing rows, so leaving it out changes no number."""
    used = {c.table or model.alias for e in exprs for c in parse_expr(e).find_all(exp.Column)}
    for j in reversed(model.joins):  # a join's left keys name the base alias or an earlier join
        if j.alias in used or j.required:
            used.add(j.alias)
            used |= {join_column(model, left).table for left, _ in j.keys}
    return used


def model_from(select: exp.Select, model: SemanticModel, needed: set[str] | None = None) -> exp.Select:
    """FROM the model's table, with its joins (only the ``needed`` ones, when given)."""
    select = select.from_(table(model.table, model.alias), copy=False)
    for j in model.joins:
        if needed is not None and j.alias not in needed:
            continue
        on = exp.and_(
            *(eq(join_column(model, left), col(right, j.alias)) for left, right in j.keys), copy=False
        )
        side = "LEFT" if j.kind == "left" else None
        select = select.join(exp.Join(this=table(j.table, j.alias), on=on, side=side), copy=False)
    return select


def dimension_joins(ctx: Context, model: SemanticModel, select: exp.Select, branch: Branch) -> dict[str, str]:
    """LEFT JOIN each dimension table the branch needs; returns dimension id → join alias."""
    names = Names(model_aliases(model))
    out: dict[str, str] = {}
    for dim_id in ctx.used_dimensions(branch):
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


def period_expr(time_column: str, grain: Grain, forward: Shift | None) -> exp.Expr:
    moment = catalog_sql(time_column)
    for step in interval(forward) if forward else []:
        moment = exp.Add(this=moment, expression=step)
    trunc = exp.DateTrunc(this=moment, unit=exp.Literal.string(grain.value.upper()))  # type: ignore[no-untyped-call]
    return exp.Cast(this=trunc, to=exp.DataType.build("date"))


def measure_condition(catalog: Catalog, model: SemanticModel, measure: Measure) -> exp.Expr | None:
    """The rows a measure reads: its ``where`` and its member filters, over the model's columns."""
    parts: list[exp.Expr] = [catalog_sql(measure.where)] if measure.where else []
    parts += [member_filter_condition(model, f, catalog.dimensions.get(f.dimension)) for f in measure.filters]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return exp.and_(*(exp.Paren(this=p) for p in parts), copy=False)


def member_filter_condition(
    model: SemanticModel, flt: MemberFilter, dimension: Dimension | None = None
) -> exp.Expr:
    """A catalog member filter as a condition on the model's column: ``col IN ('A', …)``, or, for a
    dimension whose member key lives in its table, ``col IN (SELECT join_key FROM table WHERE key IN …)``.
    ``not_in`` keeps rows with no member. The values are catalog text, written as literals."""
    column = catalog_sql(model.dimensions[flt.dimension])
    values = [exp.Literal.string(v) for v in flt.values]
    if dimension is not None and needs_join(dimension):
        lookup = (
            exp.select(col(dimension.join_key or dimension.key))
            .from_(table(dimension.table))
            .where(exp.In(this=col(dimension.key), expressions=values))
        )
        member_in = exp.In(this=column, query=lookup.subquery())
    else:
        member_in = exp.In(this=column, expressions=values)
    if flt.op == "in":
        return member_in
    no_member = exp.Is(this=column.copy(), expression=exp.Null())
    return exp.Paren(this=exp.or_(exp.Not(this=member_in), no_member, copy=False))


def aggregate(measure: Measure, condition: exp.Expr | None) -> exp.Expr:
    """``AGG(expr)``, with ``FILTER (WHERE condition)`` when the rows it reads are not the CTE's."""
    value = catalog_sql(measure.expr)
    if measure.agg is Aggregation.COUNT_DISTINCT:
        agg: exp.Expr = exp.Count(this=exp.Distinct(expressions=[value]))
    elif measure.agg is Aggregation.PERCENTILE:
        kind = exp.PercentileDisc if measure.discrete else exp.PercentileCont
        agg = kind(this=value, expression=exp.Literal.number(measure.percentile))
    else:
        agg = _AGGREGATES[measure.agg](this=value)
    if condition is not None:
        agg = exp.Filter(this=agg, expression=exp.Where(this=condition))
    return agg


def filter_condition(key: exp.Expr, flt: Filter) -> tuple[exp.Expr, list[Param]]:
    """``key IN (?, …)`` (``= ?`` for one eq); not_in is NULL-safe: ``(key NOT IN (?, …) OR key IS NULL)``."""
    values: list[Param] = list(flt.values)
    if flt.op is FilterOp.EQ and len(values) == 1:
        return eq(key, exp.Placeholder()), values
    member_in = exp.In(this=key, expressions=[exp.Placeholder() for _ in values])
    if flt.op is not FilterOp.NOT_IN:
        return member_in, values
    no_member = exp.Is(this=key.copy(), expression=exp.Null())
    return exp.Paren(this=exp.or_(exp.Not(this=member_in), no_member, copy=False)), values


def measures_where(conditions: Sequence[exp.Expr | None]) -> tuple[exp.Expr | None, bool]:
    """Rows any measure needs (pushed into WHERE) and whether each aggregate still needs its FILTER."""
    by_sql = {None if c is None else c.sql(): c for c in conditions}
    if None in by_sql:
        return None, True
    parts = [exp.Paren(this=c.copy()) for c in by_sql.values() if c is not None]
    if len(parts) == 1:
        return parts[0].this, False
    return exp.or_(*parts, copy=False), True


def snapshot_condition(
    ctx: Context, model: SemanticModel, which: str, time_dimension: str | None
) -> exp.Expr:
    """``time = (SELECT MAX(time) FROM base WHERE time in the period)`` (a series: ``time IN (… GROUP BY
    bucket)``): the last
    (``first``: earliest) snapshot date of the period, or of each bucket of a series."""
    column = ctx.time_column(model, time_dimension)
    time = catalog_sql(column)
    pick = exp.Max if which == "last" else exp.Min
    inner = exp.select(pick(this=time.copy())).from_(table(model.table, model.alias))
    inner = inner.where(
        exp.and_(
            exp.GTE(this=time.copy(), expression=exp.Placeholder()),
            exp.LT(this=time.copy(), expression=exp.Placeholder()),
        ),
        copy=False,
    )
    if not ctx.series:  # one date: a scalar comparison, which the engine plans as a filter, not a join
        return eq(time.copy(), inner.subquery())
    inner = inner.group_by(period_expr(column, ctx.plan.grain, None), copy=False)
    return exp.In(this=time.copy(), query=inner.subquery())


@dataclass(frozen=True)
class Group:
    """The measures one CTE computes: a model's plain measures, or one cumulative or conversion metric
    (each its own scan: its rows are dated by windows, or followed from one model to another)."""

    model: str
    metric: str | None = None
    time: str | None = (
        None  # the time dimension dating its rows (one the model maps), None = the model's time
    )


@dataclass(frozen=True)
class Rows:
    """A model's rows for a branch, before aggregation: FROM and joins, the keys, the WHERE, its params."""

    select: exp.Select
    keys: list[tuple[str, exp.Expr]]  # result column name → expression
    conditions: list[exp.Expr]
    params: list[Param]
    fixed: int  # conditions on the period (and snapshot date); a measure's own rows go after them

    def keep(self, condition: exp.Expr | None) -> None:
        """Also keep only rows meeting ``condition`` (catalog text: binds no parameter)."""
        if condition is not None:
            self.conditions.insert(self.fixed, condition)


def date_literal(d: date) -> exp.Expr:
    """A date computed from the plan's typed dates (never text from a question)."""
    return exp.Cast(this=exp.Literal.string(d.isoformat()), to=exp.DataType.build("date"))


@dataclass(frozen=True)
class Span:
    """Rows dated ``start`` (inclusive; None = from the first row) to ``end`` (exclusive) count towards
    the bucket ``key`` of a cumulative metric (None outside a series)."""

    key: date | None
    start: date | None
    end: date


def span_start(metric: Metric, end: date) -> date | None:
    """Where a cumulative metric's window ending before ``end`` starts."""
    if metric.window is not None:
        return back(end, end, unit_shift(metric.window.count, metric.window.unit))[0]
    if metric.grain_to_date is not None:
        return bucket_start(end - timedelta(days=1), Grain(metric.grain_to_date))
    return None


def cumulative_spans(ctx: Context, metric: Metric, branch: Branch) -> list[Span]:
    """One window per bucket of the branch (ending at the bucket's end, or the range's), or one for the range."""
    stop = branch.end + timedelta(days=1)
    if not ctx.series:
        return [Span(None, span_start(metric, stop), stop)]
    out: list[Span] = []
    for first in buckets(branch.start, branch.end, ctx.plan.grain):
        end = min(next_bucket(first, ctx.plan.grain), stop)
        key = bucket_start(forward(first, branch.forward), ctx.plan.grain) if branch.forward else first
        out.append(Span(key, span_start(metric, end), end))
    return out


def spans_join(select: exp.Select, time: exp.Expr, spans: Sequence[Span], name: str) -> exp.Expr:
    """JOIN a VALUES list of the spans (``name``(period, lo, hi)) on the row's date; returns its period."""
    # a start shared by every span (year to date within one year) is the WHERE's lower bound alone
    with_start = len({s.start for s in spans}) > 1
    rows = [
        exp.Tuple(
            expressions=[
                date_literal(s.key or s.end),
                *([date_literal(s.start)] if with_start and s.start else []),
                date_literal(s.end),
            ]
        )
        for s in spans
    ]
    names = ["period", *(["lo"] if with_start else []), "hi"]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(this=ident(name), columns=[ident(n) for n in names]),
    )
    on: list[exp.Expr] = [exp.LT(this=time.copy(), expression=col("hi", name))]
    if with_start:
        on.insert(0, exp.GTE(this=time.copy(), expression=col("lo", name)))
    select.join(exp.Join(this=values, on=exp.and_(*on, copy=False)), copy=False)
    return col("period", name)


def model_rows(
    ctx: Context,
    model: SemanticModel,
    measures: Sequence[Measure],
    branch: Branch,
    time_dimension: str | None,
    spans: Sequence[Span] = (),
) -> Rows:
    """A model's rows over the branch's period (or, for a cumulative metric, its ``spans``), dated by
    ``time_dimension``, with the branch's keys, member filters and the asker's row filters."""
    exprs = model_exprs(ctx, model, measures, time_dimension, branch)
    select = model_from(exp.Select(), model, needed_joins(model, exprs))
    column = ctx.time_column(model, time_dimension)
    time = catalog_sql(column)
    period = (
        spans_join(select, time, spans, Names(model_aliases(model)).take("span"))
        if spans and ctx.series
        else None
    )
    joins = dimension_joins(ctx, model, select, branch)
    keys: list[tuple[str, exp.Expr]] = []
    if ctx.series:
        bucket = period or period_expr(column, ctx.plan.grain, branch.forward)
        keys.append((ctx.column(ColumnRole.PERIOD), bucket))
    keys += [
        (ctx.column(ColumnRole.DIMENSION, dimension=d), member_key(ctx, model, d, joins))
        for d in branch.dimensions
    ]
    # half-open, so a TIMESTAMP column keeps the whole last day: start <= time < the day after the end
    first: date | None = branch.start
    if spans:
        starts = [s.start for s in spans]
        first = None if None in starts else min(d for d in starts if d is not None)
    conditions: list[exp.Expr] = []
    params: list[Param] = []
    if first is not None:
        conditions.append(exp.GTE(this=time, expression=exp.Placeholder()))
        params.append(first)
    conditions.append(exp.LT(this=time.copy(), expression=exp.Placeholder()))
    params.append(max(s.end for s in spans) if spans else branch.end + timedelta(days=1))
    snapshot = next((m.snapshot for m in measures if m.snapshot), None)
    if snapshot is not None:  # a balance or headcount: the rows of the period's last (first) snapshot date
        conditions.append(snapshot_condition(ctx, model, snapshot, time_dimension))
        params += [branch.start, branch.end + timedelta(days=1)]
    fixed = len(conditions)
    for flt in branch.filters:
        condition, values = filter_condition(member_key(ctx, model, flt.dimension, joins), flt)
        conditions.append(condition)
        params += values
    for dim_id, value in ctx.row_filters:
        conditions.append(eq(member_key(ctx, model, dim_id, joins), exp.Placeholder()))
        params.append(value)
    return Rows(select, keys, conditions, params, fixed)


def group_rows(select: exp.Select, rows: Rows, text: str) -> exp.Select:
    select.where(exp.and_(*rows.conditions, copy=False), copy=False)
    if rows.keys:
        select.group_by(*(e.copy() for _, e in rows.keys), copy=False)
    return comment(select, text)


def model_cte(
    ctx: Context, model: SemanticModel, measures: Sequence[Measure], branch: Branch, group: Group
) -> tuple[exp.Select, list[Param]]:
    """One scan of a model: its measures (or one cumulative metric's) per key, over the branch."""
    metric = ctx.catalog.metrics[group.metric] if group.metric else None
    spans = cumulative_spans(ctx, metric, branch) if metric else []
    rows = model_rows(ctx, model, measures, branch, group.time, spans)
    own = [measure_condition(ctx.catalog, model, m) for m in measures]
    shared_where, per_measure = measures_where(own)
    select = rows.select.select(*(alias(e, name) for name, e in rows.keys), copy=False)
    select.select(
        *(
            alias(aggregate(m, c if per_measure else None), group.metric or m.id)
            for m, c in zip(measures, own, strict=True)
        ),
        copy=False,
    )
    rows.keep(shared_where)
    what = "" if branch.kind is ValueKind.VALUE else f"{branch.kind.value}, "
    label = f"cumulative metric {metric.id}, " if metric else ""
    label += f"dated by {group.time}, " if group.time else ""
    text = (
        f"model {model.id} ({label}{what}table {model.table}): measures {', '.join(m.id for m in measures)}"
    )
    return group_rows(select, rows, text), rows.params


CONVERTED, CONVERTING = "__converted", "__base"


def conversion_cte(ctx: Context, metric: Metric, branch: Branch) -> tuple[exp.Select, list[Param]]:
    """Of the entities with a base row in the branch's period (per key), how many have a conversion row at
    or after it (within the metric's window): ``COUNT(DISTINCT …)`` of both, over a LEFT JOIN on the entity."""
    conv = metric.conversion
    assert conv is not None  # validation: a conversion metric has its params
    catalog = ctx.catalog
    base_measure, conv_measure = (
        catalog.measures[conv.base_measure],
        catalog.measures[conv.conversion_measure],
    )
    base_model, conv_model = catalog.models[base_measure.model], catalog.models[conv_measure.model]
    dated = dated_by(base_model, ctx.time_dimension(metric.id))
    rows = model_rows(ctx, base_model, [base_measure], branch, dated)
    rows.keep(measure_condition(catalog, base_model, base_measure))
    entity = catalog_sql(base_model.entities[conv.entity])
    base = rows.select.select(
        *(alias(e, name) for name, e in rows.keys),
        alias(entity, "entity"),
        alias(catalog_sql(ctx.time_column(base_model, dated)), "at"),
        copy=False,
    ).where(exp.and_(*rows.conditions, copy=False), copy=False)
    conv_exprs = [
        conv_model.entities[conv.entity],
        conv_model.time,
        conv_measure.expr,
        *([conv_measure.where] if conv_measure.where else []),
    ]
    later = model_from(exp.Select(), conv_model, needed_joins(conv_model, conv_exprs)).select(
        alias(catalog_sql(conv_model.entities[conv.entity]), "entity"),
        alias(catalog_sql(conv_model.time), "at"),
        copy=False,
    )
    later_condition = measure_condition(catalog, conv_model, conv_measure)
    if later_condition is not None:
        later.where(later_condition, copy=False)
    on: list[exp.Expr] = [
        eq(col("entity", "c"), col("entity", "b")),
        exp.GTE(this=col("at", "c"), expression=col("at", "b")),
    ]
    if metric.window is not None:
        limit: exp.Expr = col("at", "b")
        for step in interval(unit_shift(metric.window.count, metric.window.unit)):
            limit = exp.Add(this=limit, expression=step)
        on.append(exp.LT(this=col("at", "c"), expression=limit))
    converted = exp.Count(
        this=exp.Distinct(
            expressions=[
                exp.Case(
                    ifs=[
                        exp.If(
                            this=exp.Not(this=exp.Is(this=col("entity", "c"), expression=exp.Null())),
                            true=col("entity", "b"),
                        )
                    ]
                )
            ]
        )
    )
    keys = [col(name, "b") for name, _ in rows.keys]
    select = (
        exp.Select(expressions=[alias(k, k.name) for k in keys])
        .select(
            alias(exp.Count(this=exp.Distinct(expressions=[col("entity", "b")])), CONVERTING),
            alias(converted, CONVERTED),
            copy=False,
        )
        .from_(exp.Subquery(this=base, alias=exp.TableAlias(this=ident("b"))), copy=False)
        .join(
            exp.Join(
                this=exp.Subquery(this=later, alias=exp.TableAlias(this=ident("c"))),
                on=exp.and_(*on, copy=False),
                side="LEFT",
            ),
            copy=False,
        )
    )
    if keys:
        select.group_by(*(k.copy() for k in keys), copy=False)
    what = "" if branch.kind is ValueKind.VALUE else f" ({branch.kind.value})"
    text = (
        f"conversion metric {metric.id}{what}: {conv.entity} of {base_model.id} ({base_measure.id}), "
        f"then {conv_model.id} ({conv_measure.id})"
    )
    return comment(select, text), rows.params


# --- the whole query ----------------------------------------------------------------------------


def measure_groups(
    ctx: Context, ref: str, inherited: str | None = None, _seen: frozenset[str] = frozenset()
) -> list[tuple[Group, Measure]]:
    """The measures a metric (or measure) reads, each with the CTE that computes it: its model's (per
    time dimension dating it), or a cumulative or conversion metric's own."""
    catalog = ctx.catalog
    td = ctx.time_dimension(ref, inherited)
    if ref in catalog.measures:
        measure = catalog.measures[ref]
        return [(Group(measure.model, time=dated_by(catalog.models[measure.model], td)), measure)]
    metric = catalog.metrics.get(ref)
    if metric is None or ref in _seen:
        return []
    own = own_measure(catalog, metric)
    if own is not None:
        return [(Group(own.model, ref, dated_by(catalog.models[own.model], td)), own)]
    return [g for part in metric_inputs(metric) for g in measure_groups(ctx, part, td, _seen | {ref})]


def own_measure(catalog: Catalog, metric: Metric) -> Measure | None:
    """The measure a cumulative metric sums, or a conversion metric's base measure (None for the others)."""
    if metric.type is MetricType.CUMULATIVE:
        return catalog.measures[metric.measure or ""]
    if metric.type is MetricType.CONVERSION and metric.conversion is not None:
        return catalog.measures[metric.conversion.base_measure]
    return None


def branch_groups(ctx: Context, branch: Branch) -> dict[Group, list[Measure]]:
    """Each CTE of the branch → the measures it reads, in first-use order."""
    out: dict[Group, list[Measure]] = {}
    for ref in branch.refs:
        for group, measure in measure_groups(ctx, ref):
            bucket = out.setdefault(group, [])
            if measure not in bucket:
                bucket.append(measure)
    return out


def other_shift(time: TimeRange, baseline: TimeRange) -> Shift:
    """How far forward a series' baseline buckets move onto the asked ones (comparison=other_period):
    whole months between the two starts for month, quarter and year buckets, else days (whole weeks
    for week buckets, so weeks stay aligned on their first weekday). The baseline series is the asked
    range moved back that far, so every bucket has its own baseline bucket and no other."""
    if time.grain in (Grain.MONTH, Grain.QUARTER, Grain.YEAR):
        a, b = time.start, baseline.start
        return Shift(months=(a.year - b.year) * 12 + a.month - b.month)
    days = (time.start - baseline.start).days
    return Shift(days=7 * round(days / 7) if time.grain is Grain.WEEK else days)


def baseline_branch(ctx: Context) -> Branch:
    """The metrics over the period compared with: ``baseline_time``, or the period before / a year before."""
    plan = ctx.plan
    forward: Shift | None = None
    if plan.comparison is Comparison.OTHER_PERIOD:
        assert plan.baseline_time is not None  # governance.check_periods admitted it
        start, end = plan.baseline_time.start, plan.baseline_time.end
        if ctx.series:  # each bucket against the bucket as far back as the baseline starts
            forward = other_shift(plan.time, plan.baseline_time)
            start, end = back(plan.time.start, plan.time.end, forward)
    elif ctx.series:
        start, end = series_baseline_range(plan.time, plan.comparison)
        forward = grain_shift(plan.grain, plan.comparison)
    else:
        start, end = baseline_range(plan.time, plan.comparison)
    return Branch(ValueKind.BASELINE, ctx.metrics, start, end, ctx.dimensions, plan.filters, forward)


def total_branch(ctx: Context) -> Branch:
    """A share's total: the metrics over the same period, not split by (nor filtered on) the
    dimensions the share is over; every other filter and every row filter still applies."""
    plan = ctx.plan
    over = set(plan.share_dimensions)
    dims = tuple(d for d in ctx.dimensions if d not in over)
    filters = tuple(f for f in plan.filters if f.dimension not in over)
    return Branch(ValueKind.TOTAL, ctx.metrics, plan.time.start, plan.time.end, dims, filters)


def branches(ctx: Context) -> list[Branch]:
    plan = ctx.plan
    refs = tuple(plan_refs(plan, ctx.catalog))
    out = [Branch(ValueKind.VALUE, refs, plan.time.start, plan.time.end, ctx.dimensions, plan.filters)]
    if plan.comparison.periodic:
        out.append(baseline_branch(ctx))
    if plan.intent is Intent.SHARE:
        out.append(total_branch(ctx))
    return out


def zero_if_missing(value: exp.Expr, measure: Measure) -> exp.Expr:
    """An additive measure a CTE has no row for (a key with no rows) is zero, not unknown."""
    if measure.agg in ADDITIVE:
        return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    return value


def ref_sql(ctx: Context, ref: str, ctes: dict[Group, str], inherited: str | None = None) -> exp.Expr:
    """SQL for a metric or measure over one branch's CTEs (``ctes``: group → CTE name), read from the CTE
    of the time dimension dating it; a metric with ``fill_nulls_with`` reads that where it has no value."""
    catalog = ctx.catalog
    td = ctx.time_dimension(ref, inherited)
    if ref in catalog.measures:
        measure = catalog.measures[ref]
        group = Group(measure.model, time=dated_by(catalog.models[measure.model], td))
        return zero_if_missing(col(ref, ctes[group]), measure)
    metric = catalog.metrics[ref]
    value = metric_sql(ctx, metric, ctes, td)
    if metric.fill_nulls_with is None:
        return value
    return exp.Coalesce(this=value, expressions=[exp.Literal.number(metric.fill_nulls_with)])


def metric_sql(ctx: Context, metric: Metric, ctes: dict[Group, str], td: str | None) -> exp.Expr:
    catalog = ctx.catalog
    own = own_measure(catalog, metric)
    if own is not None:
        cte = ctes[Group(own.model, metric.id, dated_by(catalog.models[own.model], td))]
        if metric.type is MetricType.CUMULATIVE:
            return zero_if_missing(col(metric.id, cte), own)
        assert metric.conversion is not None
        converted = exp.Coalesce(this=col(CONVERTED, cte), expressions=[exp.Literal.number(0)])
        if metric.conversion.calculation == "conversions":
            return converted
        return ratio(converted, col(CONVERTING, cte))

    def part(ref: str) -> exp.Expr:
        return ref_sql(ctx, ref, ctes, td)

    if metric.type is MetricType.SIMPLE:
        return part(metric.measure or "")
    if metric.type is MetricType.RATIO:
        return ratio(part(metric.numerator or ""), part(metric.denominator or ""))

    def inline(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Column)
            and not node.table
            and node.name in (*catalog.metrics, *catalog.measures)
        ):
            return exp.Paren(this=part(node.name))
        return node

    return catalog_sql(metric.expr or "").transform(inline, copy=False)


def dimension_attributes(ctx: Context, dim_id: str) -> list[ResultColumn]:
    """The attribute columns the plan shows beside ``dim_id``'s members, in output order."""
    return [c for c in ctx.columns if c.role is ColumnRole.ATTRIBUTE and c.dimension == dim_id]


def attribute_expr(ctx: Context, dim: Dimension, column: ResultColumn) -> exp.Expr:
    """An attribute's column (in the asker's language) of the member row, one value per member key."""
    attribute = dim.attribute(column.attribute or "")
    assert attribute is not None, column  # governance.check_attributes admitted it
    return alias(exp.Min(this=col(attribute.column.get(ctx.language))), column.name)


def labels_cte(ctx: Context, dim_id: str) -> exp.Select:
    """Each member key's label and the attributes the plan shows, from the dimension's table."""
    dim = ctx.catalog.dimensions[dim_id]
    key = col(dim.key)
    attributes = [attribute_expr(ctx, dim, c) for c in dimension_attributes(ctx, dim_id)]
    select = (
        exp.Select(
            expressions=[
                alias(key, "member_key"),
                alias(exp.Min(this=col(dim.label.get(ctx.language))), "label"),
                *attributes,
            ]
        )
        .from_(table(dim.table), copy=False)
        .where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())), copy=False)
        .group_by(key.copy(), copy=False)
    )
    shown = "labels and attributes" if attributes else "labels"
    return comment(select, f"dimension {dim_id}: member {shown} ({ctx.language}) from {dim.table}")


def timespine_cte(ctx: Context, ctes: Sequence[str]) -> exp.Select:
    """Every bucket of the asked range (a metric with ``join_to_timespine``), for every member
    combination the model CTEs have: a period with no rows still gets its row."""
    period = ctx.column(ColumnRole.PERIOD)
    plan = ctx.plan
    rows = [
        exp.Tuple(expressions=[date_literal(b)]) for b in buckets(plan.time.start, plan.time.end, plan.grain)
    ]
    values = exp.Values(
        expressions=rows, alias=exp.TableAlias(this=ident("periods"), columns=[ident(period)])
    )
    select = exp.Select(expressions=[col(period, "periods")]).from_(values, copy=False)
    members = ctx.key_names()[1:]
    if members:
        union = keys_union(members, ctes, distinct=True)
        select.select(*(col(k, "members") for k in members), copy=False)
        select.join(
            exp.Join(
                this=exp.Subquery(this=union, alias=exp.TableAlias(this=ident("members"))), kind="CROSS"
            ),
            copy=False,
        )
    return comment(select, "time spine: every period of the range")


def keys_union(keys: Sequence[str], ctes: Sequence[str], distinct: bool = False) -> exp.Expr:
    """``SELECT keys FROM cte UNION SELECT keys FROM …``: each key combination of the CTEs once (one CTE
    alone is read as it is, or ``DISTINCT`` when its rows may repeat the keys)."""
    parts = [exp.Select(expressions=[col(k) for k in keys]).from_(table(name), copy=False) for name in ctes]
    union: exp.Expr = parts[0].distinct(copy=False) if distinct else parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=True, copy=False)
    return union


def spine_cte(ctx: Context, ctes: Sequence[str]) -> exp.Expr:
    return keys_union(ctx.key_names(), ctes)


def metric_value_columns(ctx: Context, branch_ctes: dict[ValueKind, dict[Group, str]]) -> list[exp.Expr]:
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
        elif column.role in (ColumnRole.BASELINE, ColumnRole.TOTAL):
            over = branch_ctes[ROLE_KIND[column.role]]
            out.append(alias(ref_sql(ctx, metric_id, over), column.name))
    return out


def join_totals(ctx: Context, select: exp.Select, base: str, totals: Sequence[str]) -> None:
    """Join a share's total CTEs to every row: by the keys they keep (a series' period), else CROSS."""
    keys = ctx.key_names(total_branch(ctx).dimensions)
    for name in totals:
        on = null_safe_on(base, name, keys) if keys else None
        select.join(
            exp.Join(this=table(name), on=on, side="LEFT" if keys else None, kind=None if keys else "CROSS"),
            copy=False,
        )


def values_cte(
    ctx: Context,
    branch_ctes: dict[ValueKind, dict[Group, str]],
    names: Names,
    with_: list[tuple[str, exp.Expr]],
) -> exp.Select:
    """Every row's keys (from a spine of the value and baseline CTEs), labels and metric figures."""
    model_ctes = [
        n for kind, ctes in branch_ctes.items() if kind is not ValueKind.TOTAL for n in ctes.values()
    ]
    keys = ctx.key_names()
    if ctx.timespine:
        periods = names.take("periods")
        with_.append((periods, timespine_cte(ctx, model_ctes)))
        model_ctes_and_spine = [*model_ctes, periods]
    else:
        model_ctes_and_spine = model_ctes
    if keys and len(model_ctes_and_spine) > 1:
        base = names.take("spine")
        with_.append((base, spine_cte(ctx, model_ctes_and_spine)))
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
    join_totals(ctx, select, base, list(branch_ctes.get(ValueKind.TOTAL, {}).values()))
    for dim_id in ctx.dimensions:
        key = col(ctx.column(ColumnRole.DIMENSION, dimension=dim_id), base)
        dim = ctx.catalog.dimensions[dim_id]
        # the key is its own label and no attribute is shown: no lookup scan
        if dim.label.get(ctx.language) == dim.key and not dimension_attributes(ctx, dim_id):
            select.select(alias(key, ctx.column(ColumnRole.LABEL, dimension=dim_id)), copy=False)
            continue
        labels = names.take(f"{dim_id}__labels")
        with_.append((labels, labels_cte(ctx, dim_id)))
        select.join(
            exp.Join(this=table(labels), on=eq(col("member_key", labels), key), side="LEFT"), copy=False
        )
        select.select(alias(col("label", labels), ctx.column(ColumnRole.LABEL, dimension=dim_id)), copy=False)
        for column in dimension_attributes(ctx, dim_id):
            select.select(alias(col(column.name, labels), column.name), copy=False)
    select.select(*metric_value_columns(ctx, branch_ctes), copy=False)
    return comment(select, f"metrics {', '.join(ctx.metrics)}")


def plan_columns(plan: QueryPlan, scoped_by: Iterable[str] = ()) -> tuple[ResultColumn, ...]:
    """The result columns ``compile_plan`` gives ``plan``, in output order (``scoped_by``: the
    dimensions the asker's row filters restrict, which a share's total is restricted to)."""
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
        shared=plan.intent is Intent.SHARE,
        scoped_by=scoped_by,
        attributes=[(a.dimension, a.attribute) for a in plan.attributes],
    )


def figure_expr(ctx: Context, column: ResultColumn) -> exp.Expr:
    """A final column's expression over the values CTE: its own column, or a delta / ratio of a
    metric's value and its base, or a share (value ÷ total)."""
    value = col(ctx.column(ColumnRole.VALUE, metric=column.metric))
    if column.role is ColumnRole.SHARE:
        return ratio(value, col(ctx.column(ColumnRole.TOTAL, metric=column.metric)))
    if column.role not in (ColumnRole.DELTA, ColumnRole.RATIO):
        return col(column.name)
    base = col(ctx.column(ColumnRole.BASELINE, ColumnRole.TARGET, metric=column.metric))
    if column.role is ColumnRole.DELTA:
        return exp.Sub(this=value, expression=base)
    return ratio(value, base)


def output_expr(ctx: Context, column: ResultColumn) -> exp.Expr:
    """A final column, named (``AS``) when it is computed."""
    figure = figure_expr(ctx, column)
    return figure if isinstance(figure, exp.Column) else alias(figure, column.name)


_COMPARATORS: dict[ThresholdOp, type[exp.Binary]] = {
    ThresholdOp.LT: exp.LT,
    ThresholdOp.LE: exp.LTE,
    ThresholdOp.GT: exp.GT,
    ThresholdOp.GE: exp.GTE,
}


def having_condition(ctx: Context, threshold: Threshold) -> exp.Expr:
    """``<figure> <op> ?``: the figure's expression (the final SELECT's aliases cannot be read in its
    WHERE), the number a bound parameter."""
    column = column_for(ctx.columns, threshold.metric, threshold.value)
    assert column is not None, threshold  # governance.check_having admitted it
    return _COMPARATORS[threshold.op](this=figure_expr(ctx, column), expression=exp.Placeholder())


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
    branch_ctes: dict[ValueKind, dict[Group, str]] = {}
    for branch in branches(ctx):
        branch_ctes[branch.kind] = {}
        for group, measures in branch_groups(ctx, branch).items():
            # a baseline CTE is named like a baseline column
            name = names.take(derived_name(group.metric or group.model, branch.kind))
            metric = ctx.catalog.metrics.get(group.metric or "")
            if metric is not None and metric.type is MetricType.CONVERSION:
                cte, cte_params = conversion_cte(ctx, metric, branch)
            else:
                cte, cte_params = model_cte(ctx, ctx.catalog.models[group.model], measures, branch, group)
            with_.append((name, cte))
            params += cte_params
            branch_ctes[branch.kind][group] = name
    with_.append((values_name, values_cte(ctx, branch_ctes, names, with_)))
    final = exp.Select(expressions=[output_expr(ctx, c) for c in ctx.columns])
    final.from_(table(values_name), copy=False)
    if ctx.plan.having:  # after every CTE's placeholders, so the numbers bind last
        final.where(exp.and_(*(having_condition(ctx, t) for t in ctx.plan.having), copy=False), copy=False)
        params += [t.number for t in ctx.plan.having]
    ordered = order_terms(ctx)
    if ordered:
        final.order_by(*ordered, copy=False)
    if ctx.plan.limit is not None:
        final.limit(exp.Literal.number(ctx.plan.limit), copy=False)
    for name, body in with_:
        final.with_(exp.TableAlias(this=ident(name)), as_=body, copy=False)
    return final, params


# --- sources ----------------------------------------------------------------------------------------


def model_sources(
    ctx: Context, model: SemanticModel, measures: Iterable[Measure], time_dimension: str | None
) -> set[str]:
    aliases = model_aliases(model)
    exprs = model_exprs(ctx, model, measures, time_dimension)
    needed = needed_joins(model, exprs)
    out = {
        f"{aliases.get(c.table, model.table)}.{c.name}"
        for e in exprs
        for c in parse_expr(e).find_all(exp.Column)
    }
    for j in (j for j in model.joins if j.alias in needed):
        for left, right in j.keys:
            column = join_column(model, left)
            out |= {f"{aliases.get(column.table, model.table)}.{column.name}", f"{j.table}.{right}"}
    return out


def sources(ctx: Context) -> tuple[str, ...]:
    out: set[str] = set()
    for branch in branches(ctx):
        for group, measures in branch_groups(ctx, branch).items():
            out |= model_sources(ctx, ctx.catalog.models[group.model], measures, group.time)
            metric = ctx.catalog.metrics.get(group.metric or "")
            if metric is not None and metric.conversion is not None:
                later = ctx.catalog.measures[metric.conversion.conversion_measure]
                out |= model_sources(ctx, ctx.catalog.models[later.model], [later], None)
    for dim_id in ctx.used_dimensions():
        dim = ctx.catalog.dimensions[dim_id]
        cols = [dim.key, *([dim.label.get(ctx.language)] if dim_id in ctx.dimensions else [])]
        cols += [dim.join_key] if dim.join_key and needs_join(dim) else []
        cols += [
            a.column.get(ctx.language)
            for a in dim.attributes
            if any(r.dimension == dim_id and r.attribute == a.id for r in ctx.plan.attributes)
        ]
        out |= {f"{dim.table}.{c}" for c in cols}
    return tuple(sorted(out))


# --- entry point ----------------------------------------------------------------------------------------


def make_context(plan: QueryPlan, catalog: Catalog, asker: Asker, language: str) -> Context:
    role = catalog.roles[asker.role]
    scoped_by = [rf.dimension for rf in role.row_filters] if plan.intent is Intent.SHARE else []
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
        columns=plan_columns(plan, scoped_by),
    )


def count_query(query: exp.Select) -> exp.Select:
    """``SELECT COUNT(*) FROM (<query> without ORDER BY and LIMIT)``: the rows a capped list has in all.
    Takes ``query`` (printed already; nothing else reads it) apart rather than copying it."""
    query.set("order", None)
    query.set("limit", None)
    count = exp.Select(expressions=[alias(exp.Count(this=exp.Star()), "row_count")])
    return count.from_(query.subquery("listed", copy=False), copy=False)


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
    sql = query.sql(dialect=dialect, pretty=True, copy=False)
    listed = plan.intent is Intent.LIST and plan.limit is not None
    return CompiledQuery(
        count_query=count_query(query) if listed else None,
        dialect=dialect,
        sql=sql,
        params=tuple(params),
        columns=ctx.columns,
        sources=sources(ctx),
        metrics=tuple(metrics),
    )


# --- the data's latest date (the as-of date when nothing else gives one) -----------------------------


def as_of_models(catalog: Catalog) -> list[SemanticModel]:
    """The models whose dates say how far the data goes: those feeding an approved metric that is not
    another metric's target (targets are planned ahead and would put the as-of date in the future)."""
    targets = {m.target.metric for m in catalog.metrics.values() if m.target is not None}
    ids: list[str] = []
    for metric in catalog.approved_metrics():
        if metric.id in targets:
            continue
        for measure_id in base_measures(catalog, metric.id):
            model = catalog.measures[measure_id].model
            if model not in ids:
                ids.append(model)
    return [catalog.models[i] for i in ids if i in catalog.models]


def latest_date_sql(model: SemanticModel) -> str:
    """``SELECT MAX(CAST(<time> AS DATE))`` over the model's table (and its joins)."""
    select = model_from(exp.Select(), model)
    latest = exp.Max(this=exp.Cast(this=catalog_sql(model.time), to=exp.DataType.build("DATE")))
    return select.select(latest, copy=False).sql(dialect="duckdb")

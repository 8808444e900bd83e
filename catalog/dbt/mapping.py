"""Map a dbt semantic manifest (dsi's objects) onto a metricqa catalog, and say what could not be mapped.

- A semantic model with measures → a model: its relation is the ``table``, its entities ``entities`` (the
  primary one ``primary_entity``), its ``defaults.agg_time_dimension`` the ``time``, its other time dimensions
  ``times``. Measures that are snapshots (``non_additive_dimension``) go on a model of their own when the
  semantic model also has flows.
- Joins follow the entity graph as MetricFlow does: from a model, each foreign (or primary/unique) entity joins
  the semantic model where that entity is primary or unique, breadth first, up to ``MAX_HOPS`` hops; a join is
  written when the table it reaches (or one beyond it) has dimensions.
- Each dbt categorical dimension → one global dimension, degenerate (the joined table's column is the member
  key), named by the dimension, qualified by its entity (``customer__name``) when two semantic models share the
  name. A dimension whose ``expr`` is SQL, not a column, is not mapped (no member table to list).
- Metrics: simple, ratio, derived, cumulative, conversion. A metric (or input) ``filter`` on dimensions
  (``{{ Dimension('order__channel') }} = 'web'``, ``IN (…)``, ``!=``, ``NOT IN``) becomes a filtered copy of its
  measure; anything else in a filter, derived offsets and constant properties are reported, never guessed.
- Governance dbt does not know (owner, department, approval, units) is marked for review: metrics are
  ``draft`` unless ``approve`` is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from metricqa.catalog.models import (
    Aggregation,
    Cardinality,
    Dimension,
    Measure,
    MemberFilter,
    Metric,
    Role,
    SemanticModel,
    Synonyms,
    Text,
    TimeDimension,
    Window,
)

MAX_HOPS = 3  # MetricFlow joins dimensions up to this many entity hops away
OWNER_PLACEHOLDER = "REVIEW: owner"
DEPARTMENT_PLACEHOLDER = "REVIEW: department"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPLATE = re.compile(r"\{\{\s*(\w+)\(\s*['\"]([^'\"]+)['\"]([^)]*)\)\s*((?:\.\s*\w+\([^)]*\)\s*)*)\}\}")
_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
AGGREGATIONS = {
    "sum": Aggregation.SUM,
    "sum_boolean": Aggregation.SUM,
    "count": Aggregation.COUNT,
    "count_distinct": Aggregation.COUNT_DISTINCT,
    "average": Aggregation.AVG,
    "min": Aggregation.MIN,
    "max": Aggregation.MAX,
    "median": Aggregation.MEDIAN,
    "percentile": Aggregation.PERCENTILE,
}


class Unmappable(Exception):
    """One dbt element metricqa cannot express; the message says why (it goes to the report)."""


@dataclass(frozen=True)
class Finding:
    """A line of the import report: an element not mapped, or mapped and to be reviewed."""

    kind: Literal["unmapped", "review"]
    element: str
    reason: str


@dataclass
class Imported:
    """The catalog entries written, and what the report says about them."""

    models: list[SemanticModel] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    time_dimensions: list[TimeDimension] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (dbt element, metricqa entry)
    findings: list[Finding] = field(default_factory=list)

    def unmapped(self, element: str, reason: str) -> None:
        self.findings.append(Finding("unmapped", element, reason))

    def review(self, element: str, reason: str) -> None:
        self.findings.append(Finding("review", element, reason))


# --- names and SQL ------------------------------------------------------------------------------
def humanize(name: str) -> str:
    """``order_total`` → ``order total``; ``customer__name`` → ``customer name``."""
    return re.sub(r"_+", " ", name).strip()


def bare_column(expr: str | None, name: str) -> str | None:
    """The column an element reads (its ``expr``, else its name), None when ``expr`` is SQL."""
    text = (expr or name).strip()
    return text if _IDENT.match(text) else None


def qualify(sql: str, alias: str) -> str:
    """``sql`` with every unqualified column read from ``alias`` (raises Unmappable when it does not parse)."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.ParseError as exc:
        raise Unmappable(f"cannot parse `{sql}` as SQL: {exc}") from exc
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(alias))
    return tree.sql(dialect="duckdb")


def short_alias(name: str, taken: set[str]) -> str:
    """Initials of the words (``order_items`` → ``oi``), numbered when taken; recorded in ``taken``."""
    base = "".join(part[0] for part in name.split("_") if part) or "t"
    alias, n = base, 1
    while alias in taken:
        n += 1
        alias = f"{base}{n}"
    taken.add(alias)
    return alias


def window_of(window: Any) -> Window:
    """dsi's ``{count, granularity}`` → a metricqa window (``7 days``)."""
    unit = _UNITS.get(str(window.granularity).lower().removesuffix("s"))
    if unit is None:
        raise Unmappable(
            f"window granularity `{window.granularity}` is not day, week, month, quarter or year"
        )
    return Window(count=window.count, unit=unit)  # type: ignore[arg-type]


# --- the entity graph ---------------------------------------------------------------------------
def primary_entity(sm: Any) -> str | None:
    if sm.primary_entity:
        return str(sm.primary_entity)
    return next((str(e.name) for e in sm.entities if e.type.value == "primary"), None)


@dataclass(frozen=True)
class Hop:
    """One join from a model: ``target`` (a semantic model) as ``alias``, on ``left`` = ``alias.right``."""

    target: str
    alias: str
    parent: str  # the alias it hangs from
    left: str  # "parent_alias.column"
    right: str
    cardinality: Cardinality
    entity: str


@dataclass(frozen=True)
class Graph:
    """Semantic models by name; for each entity, the semantic models where it is primary or unique."""

    models: dict[str, Any]
    owners: dict[str, list[str]]

    @classmethod
    def of(cls, semantic_models: Sequence[Any]) -> Graph:
        owners: dict[str, list[str]] = {}
        for sm in semantic_models:
            for entity in sm.entities:
                if entity.type.value in ("primary", "unique"):
                    owners.setdefault(str(entity.name), []).append(str(sm.name))
        return cls({str(sm.name): sm for sm in semantic_models}, owners)


def reach(graph: Graph, start: str, base_alias: str, taken: set[str], out: Imported) -> list[Hop]:
    """Breadth first over entities from ``start``: every semantic model reachable in ``MAX_HOPS`` joins."""
    hops: list[Hop] = []
    seen = {start}
    queue: list[tuple[str, str, int]] = [(start, base_alias, 0)]
    while queue:
        name, alias, depth = queue.pop(0)
        if depth == MAX_HOPS:
            continue
        for entity in graph.models[name].entities:
            kind = entity.type.value
            if kind not in ("foreign", "primary", "unique"):
                continue
            for target in graph.owners.get(str(entity.name), []):
                if target in seen:
                    continue
                there = next(e for e in graph.models[target].entities if e.name == entity.name)
                left, right = bare_column(entity.expr, entity.name), bare_column(there.expr, there.name)
                if left is None or right is None:
                    out.unmapped(
                        f"join {name} → {target} on entity `{entity.name}`",
                        "the entity's expr is SQL, not a column: a join needs columns",
                    )
                    continue
                seen.add(target)
                card = Cardinality.MANY_TO_ONE if kind == "foreign" else Cardinality.ONE_TO_ONE
                hop = Hop(
                    target, short_alias(target, taken), alias, f"{alias}.{left}", right, card, entity.name
                )
                hops.append(hop)
                queue.append((target, hop.alias, depth + 1))
    return hops


def report_natural_entities(graph: Graph, out: Imported) -> None:
    """Natural entities (a key over validity dates: SCD type 2) join nothing here; say so."""
    for sm in graph.models.values():
        for entity in sm.entities:
            if entity.type.value == "natural":
                out.unmapped(
                    f"entity `{entity.name}` (semantic model {sm.name}, natural)",
                    "joins on a natural key over validity dates (SCD type 2) are not mapped",
                )


def kept_hops(graph: Graph, hops: list[Hop], dims: dict[tuple[str, str], str]) -> list[Hop]:
    """The hops that reach a semantic model with mapped dimensions, and those they hang from (in order)."""
    with_dims = {sm for sm, _ in dims}
    keep = {h.alias for h in hops if h.target in with_dims}
    for hop in reversed(hops):
        if hop.alias in keep:
            keep.add(hop.parent)
    return [h for h in hops if h.alias in keep]


# --- dimensions ---------------------------------------------------------------------------------
def table_of(sm: Any, schema: str | None) -> str:
    """The warehouse table a semantic model reads: its relation's alias, under ``schema`` when given."""
    alias = str(sm.node_relation.alias)
    return f"{schema}.{alias}" if schema else alias


def names_the_entity(entity: str, dimension: str) -> list[str]:
    """A dimension that names its entity's members (``store_name`` or ``name`` of entity ``store``) is
    what people call the entity: "top stores by orders" splits by it."""
    return [humanize(entity)] if dimension in ("name", f"{entity}_name") else []


def map_dimensions(graph: Graph, schema: str | None, out: Imported) -> dict[tuple[str, str], str]:
    """One global dimension per categorical dbt dimension; returns (semantic model, dimension) → id."""
    names: dict[str, int] = {}
    for sm in graph.models.values():
        for dim in sm.dimensions:
            if dim.type.value == "categorical":
                names[dim.name] = names.get(dim.name, 0) + 1
    ids: dict[tuple[str, str], str] = {}
    for sm in graph.models.values():
        entity = primary_entity(sm) or sm.name
        for dim in sm.dimensions:
            if dim.type.value != "categorical":
                continue
            element = f"dimension `{entity}__{dim.name}` (semantic model {sm.name})"
            column = bare_column(dim.expr, dim.name)
            if column is None:
                out.unmapped(element, f"its expr `{dim.expr}` is SQL, not a column: no member table to list")
                continue
            dim_id = f"{entity}__{dim.name}" if names[dim.name] > 1 else str(dim.name)
            label = dim.label or humanize(dim_id)
            out.dimensions.append(
                Dimension(
                    id=dim_id,
                    name=Text(en=label),
                    table=table_of(sm, schema),
                    key=column,
                    label=Text(en=column),
                    synonyms=Synonyms(en=names_the_entity(str(entity), str(dim.name))),
                    description=Text(en=dim.description) if dim.description else None,
                )
            )
            ids[(str(sm.name), str(dim.name))] = dim_id
            out.mapped.append((element, f"dimension `{dim_id}`"))
    return ids


def dimension_lookup(graph: Graph, ids: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """(entity, dimension name) → dimension id: how dbt filters and saved queries name a dimension."""
    out: dict[tuple[str, str], str] = {}
    for (sm_name, dim_name), dim_id in ids.items():
        sm = graph.models[sm_name]
        for entity in sm.entities:
            if entity.type.value in ("primary", "unique") or entity.name == primary_entity(sm):
                out[(str(entity.name), dim_name)] = dim_id
    return out


def time_dimension_ids(graph: Graph, out: Imported) -> dict[tuple[str, str], str]:
    """(semantic model, time dimension) → time dimension id (one per name: ``ordered_at`` means one date)."""
    ids: dict[tuple[str, str], str] = {}
    written: set[str] = set()
    for sm in graph.models.values():
        if not sm.measures:
            for dim in sm.dimensions:
                if dim.type.value == "time":
                    out.unmapped(
                        f"time dimension `{primary_entity(sm) or sm.name}__{dim.name}` (semantic model {sm.name})",
                        "a date of a semantic model without measures: metricqa dates facts by their own columns",
                    )
            continue
        for dim in sm.dimensions:
            if dim.type.value != "time":
                continue
            ids[(str(sm.name), str(dim.name))] = str(dim.name)
            if dim.name not in written:
                written.add(dim.name)
                out.time_dimensions.append(
                    TimeDimension(
                        id=dim.name,
                        name=Text(en=dim.label or humanize(dim.name)),
                        description=Text(en=dim.description) if dim.description else None,
                    )
                )
    return ids


# --- filters ------------------------------------------------------------------------------------
def member_filters(templates: Iterable[str], lookup: dict[tuple[str, str], str]) -> list[MemberFilter]:
    """dbt ``where`` templates → member filters (``{{ Dimension('order__channel') }} IN ('web')``)."""
    out: list[MemberFilter] = []
    for template in templates:
        sql, names = _dimension_placeholders(template, lookup)
        try:
            tree = sqlglot.parse_one(sql, dialect="duckdb")
        except sqlglot.ParseError as exc:
            raise Unmappable(f"filter `{template}` does not parse: {exc}") from exc
        parts = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
        out += [_one_filter(part, names, template) for part in parts]
    return out


def _dimension_placeholders(template: str, lookup: dict[tuple[str, str], str]) -> tuple[str, dict[str, str]]:
    """The template as SQL, each ``{{ Dimension('entity__name') }}`` a placeholder column (→ dimension id)."""
    names: dict[str, str] = {}

    def placeholder(found: re.Match[str]) -> str:
        kind, name, rest, calls = found.groups()
        if kind != "Dimension" or rest.strip() or calls.strip():
            raise Unmappable(f"filter `{found.group(0)}`: only plain Dimension('entity__name') filters map")
        parts = name.split("__")
        dim_id = lookup.get((parts[-2], parts[-1])) if len(parts) >= 2 else None
        if dim_id is None:
            raise Unmappable(f"filter on `{name}`: no mapped dimension has that name")
        key = f"__dim{len(names)}"
        names[key] = dim_id
        return key

    return _TEMPLATE.sub(placeholder, template), names


def _literal(node: exp.Expr, template: str) -> str:
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    if isinstance(node, exp.Literal):
        return str(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    raise Unmappable(f"filter `{template}`: `{node.sql()}` is not a literal value")


def _one_filter(node: exp.Expr, names: dict[str, str], template: str) -> MemberFilter:
    negated = isinstance(node, exp.Not)
    inner = node.this if negated else node
    if isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.EQ | exp.NEQ) and isinstance(inner.this, exp.Column):
        op = "not_in" if isinstance(inner, exp.NEQ) != negated else "in"
        column, values = inner.this, [_literal(inner.expression, template)]
    elif isinstance(inner, exp.In) and isinstance(inner.this, exp.Column) and not inner.args.get("query"):
        op = "not_in" if negated else "in"
        column, values = inner.this, [_literal(v, template) for v in inner.expressions]
    else:
        raise Unmappable(f"filter `{template}`: only =, !=, IN and NOT IN on a dimension (joined by AND) map")
    if column.name not in names:
        raise Unmappable(f"filter `{template}`: `{column.sql()}` is not a Dimension(...)")
    return MemberFilter(dimension=names[column.name], op=op, values=values)  # type: ignore[arg-type]


def where_templates(*filters: Any) -> list[str]:
    """The where templates of dsi filter intersections (None skipped)."""
    return [w.where_sql_template for f in filters if f is not None for w in f.where_filters]

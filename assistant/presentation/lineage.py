"""Where a metric comes from: metric → parent metrics → measures → model → tables/columns → source system.

Built from the catalog alone (``catalog.refs``): ``lineage_tree`` returns a ``LineageNode`` tree,
``lineage_json`` a JSON-ready dict, ``format_tree`` an ASCII tree like ``tree``, and
``lineage_chain`` the flat upstream chain citations carry (systems → tables → measures → metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metricqa.catalog.models import Aggregation, Catalog, Measure, Metric, MetricType
from metricqa.catalog.refs import base_measures, metric_inputs, parent_metrics, qualified_columns
from metricqa.core.messages import PACKAGED, MessageCatalog

AGG_SQL = {
    Aggregation.SUM: "SUM({})",
    Aggregation.COUNT: "COUNT({})",
    Aggregation.COUNT_DISTINCT: "COUNT(DISTINCT {})",
    Aggregation.AVG: "AVG({})",
    Aggregation.MIN: "MIN({})",
    Aggregation.MAX: "MAX({})",
    Aggregation.MEDIAN: "MEDIAN({})",
    Aggregation.PERCENTILE: "PERCENTILE({})",
}


@dataclass(frozen=True)
class LineageNode:
    kind: str  # metric | measure | model | table | system | declared
    id: str
    label: str = ""
    label_zh: str = ""
    detail: str = ""
    columns: tuple[str, ...] = ()
    children: tuple[LineageNode, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id}
        for key in ("label", "label_zh", "detail"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.columns:
            out["columns"] = list(self.columns)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


# ---- formulas and columns -------------------------------------------------------------------


def measure_formula(measure: Measure) -> str:
    """``SUM(l.quantity * l.unit_price) WHERE o.status = 'completed'``."""
    text = AGG_SQL[measure.agg].format(measure.expr)
    if measure.agg is Aggregation.PERCENTILE:
        text = f"PERCENTILE({measure.expr}, {measure.percentile})"
    conditions = [measure.where] if measure.where else []
    conditions += [
        f"{f.dimension} {'NOT IN' if f.op == 'not_in' else 'IN'} ({', '.join(f.values)})"
        for f in measure.filters
    ]
    return f"{text} WHERE {' AND '.join(conditions)}" if conditions else text


def metric_formula(catalog: Catalog, metric: Metric) -> str:
    """A simple metric's measure formula, a ratio's ``numerator / denominator``, a derived expr."""
    if metric.type in (MetricType.SIMPLE, MetricType.CUMULATIVE):
        measure = catalog.measures.get(metric.measure or "")
        formula = measure_formula(measure) if measure else (metric.measure or "")
        if metric.type is MetricType.CUMULATIVE:
            span = (
                metric.window.phrase()
                if metric.window
                else f"{metric.grain_to_date} to date"
                if metric.grain_to_date
                else "all time"
            )
            formula = f"cumulative {formula} over {span}"
        return formula
    if metric.type is MetricType.RATIO:
        return f"{metric.numerator} / {metric.denominator}"
    if metric.type is MetricType.CONVERSION and metric.conversion is not None:
        c = metric.conversion
        within = f" within {metric.window.phrase()}" if metric.window else ""
        return f"{c.calculation}: {c.entity} with {c.base_measure}, then {c.conversion_measure}{within}"
    return metric.expr or ""


def measure_columns(catalog: Catalog, measure_id: str) -> list[tuple[str, str]]:
    """``(table, column)`` pairs a measure reads: its expression, filter and the model's time column."""
    measure = catalog.measures[measure_id]
    model = catalog.models[measure.model]
    tables = {model.alias: model.table, **{j.alias: j.table for j in model.joins}}
    out: list[tuple[str, str]] = []
    for sql in (measure.expr, measure.where, model.time):
        for alias, column in qualified_columns(sql) if sql else []:
            pair = (tables.get(alias, alias or model.table), column)
            if pair not in out:
                out.append(pair)
    return out


def metric_sources(catalog: Catalog, metric_id: str) -> list[str]:
    """Every ``table.column`` a metric reads, through its parents and measures."""
    out: list[str] = []
    for measure_id in base_measures(catalog, metric_id):
        out.extend(s for t, c in measure_columns(catalog, measure_id) if (s := f"{t}.{c}") not in out)
    return out


# ---- the tree -------------------------------------------------------------------------------


def lineage_tree(catalog: Catalog, metric_id: str) -> LineageNode:
    """The metric's full upstream tree (raises KeyError for an unknown metric)."""
    return _metric_node(catalog, catalog.metrics[metric_id], frozenset())


def _metric_node(catalog: Catalog, metric: Metric, seen: frozenset[str]) -> LineageNode:
    children: list[LineageNode] = []
    for ref in metric_inputs(metric):
        if ref in catalog.metrics and ref not in seen:
            children.append(_metric_node(catalog, catalog.metrics[ref], seen | {metric.id}))
        elif ref in catalog.measures:
            children.append(_measure_node(catalog, ref))
    children.extend(
        LineageNode("declared", step.system, step.system, detail=step.note or "", columns=tuple(step.tables))
        for step in metric.lineage
    )
    detail = f"{metric.type.value}: {metric_formula(catalog, metric)}"
    return LineageNode(
        "metric", metric.id, metric.name.en, metric.name.zh or "", detail, children=tuple(children)
    )


def _measure_node(catalog: Catalog, measure_id: str) -> LineageNode:
    measure = catalog.measures[measure_id]
    model = catalog.models[measure.model]
    columns = measure_columns(catalog, measure_id)
    order = [model.table, *[j.table for j in model.joins]]
    tables = [t for t in order if any(tt == t for tt, _ in columns)] or [model.table]
    table_nodes = [
        LineageNode("table", t, columns=tuple(c for tt, c in columns if tt == t))
        for t in dict.fromkeys(tables)
    ]
    if model.system:
        table_nodes.append(LineageNode("system", model.system, model.system))
    model_node = LineageNode(
        "model", model.id, model.description or "", detail=model.table, children=tuple(table_nodes)
    )
    return LineageNode(
        "measure",
        measure.id,
        measure.description or "",
        detail=measure_formula(measure),
        children=(model_node,),
    )


def walk(node: LineageNode) -> list[LineageNode]:
    """The node and every descendant, depth first."""
    out = [node]
    for child in node.children:
        out.extend(walk(child))
    return out


def upstream(catalog: Catalog, metric_id: str) -> dict[str, list[str]]:
    """Systems, tables, measures and ancestor metrics (nearest last) a metric depends on."""
    nodes = walk(lineage_tree(catalog, metric_id))

    def pick(kind: str) -> list[str]:
        return list(dict.fromkeys(n.id for n in nodes if n.kind == kind))

    declared = [n for n in nodes if n.kind == "declared"]
    systems = _specific(list(dict.fromkeys([*pick("system"), *(n.id for n in declared)])))
    tables = list(dict.fromkeys([*pick("table"), *(t for n in declared for t in n.columns)]))
    return {
        "systems": systems,
        "tables": tables,
        "measures": pick("measure"),
        "metrics": metric_layers(catalog, metric_id),
    }


def _specific(names: list[str]) -> list[str]:
    """Drop a name another name extends ("ERP (SAP)" when "ERP (SAP) sales orders" is listed)."""
    return [n for n in names if not any(o != n and o.startswith(n) for o in names)]


def metric_layers(catalog: Catalog, metric_id: str) -> list[str]:
    """Ancestor metrics, farthest first (by longest path), excluding the metric itself."""
    depth: dict[str, int] = {}

    def visit(mid: str, d: int, seen: frozenset[str]) -> None:
        for parent in parent_metrics(catalog, mid):
            if parent not in seen:
                depth[parent] = max(depth.get(parent, 0), d)
                visit(parent, d + 1, seen | {parent})

    visit(metric_id, 1, frozenset({metric_id}))
    return sorted(depth, key=lambda m: -depth[m])


def lineage_chain(
    catalog: Catalog, metric_id: str, language: str = "en", messages: MessageCatalog = PACKAGED
) -> list[str]:
    """The flat upstream chain: ["ERP …; PIM", "fact_order_line, fact_order", "revenue_amount", …, "Gross margin (gross_margin)"]."""
    up = upstream(catalog, metric_id)
    chain = ["; ".join(up["systems"]), ", ".join(up["tables"]), ", ".join(up["measures"])]
    for ancestor in [*up["metrics"], metric_id]:
        name = catalog.metrics[ancestor].name
        chain.append(messages.render("citation.metric_ref", language, name=name, metric=ancestor))
    return [step for step in chain if step]


def lineage_json(catalog: Catalog, metric_id: str, language: str = "en") -> dict[str, Any]:
    """JSON-ready lineage: the tree plus flat lists (for `metricqa catalog lineage --format json`)."""
    metric = catalog.metrics[metric_id]
    up = upstream(catalog, metric_id)
    return {
        "metric": metric_id,
        "name": metric.name.get(language),
        "version": metric.version,
        "status": metric.status.value,
        "formula": metric_formula(catalog, metric),
        "parents": parent_metrics(catalog, metric_id),
        "ancestors": up["metrics"],
        "measures": up["measures"],
        "tables": up["tables"],
        "systems": up["systems"],
        "sources": metric_sources(catalog, metric_id),
        "chain": lineage_chain(catalog, metric_id, language),
        "tree": lineage_tree(catalog, metric_id).to_dict(),
    }


# ---- text ---------------------------------------------------------------------------------


def kind_word(kind: str, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """A node kind in words (``lineage.kind.<kind>``); a kind the catalog does not name as it is."""
    message_id = f"lineage.kind.{kind}"
    return kind if messages.optional(message_id, language) is None else messages.render(message_id, language)


def node_line(node: LineageNode, language: str, messages: MessageCatalog = PACKAGED) -> str:
    kind = kind_word(node.kind, language, messages)
    label = (node.label_zh or node.label) if language == "zh" else node.label
    text = f"{kind} {node.id}"
    if node.kind == "metric":
        text += f"  {label}  [{node.detail}]"
    elif node.kind == "measure":
        text += f"  {node.detail}"
    elif node.kind == "model":
        text += f"  ({node.detail})"
    elif node.kind == "table" and node.columns:
        text += ": " + ", ".join(node.columns)
    elif node.kind == "declared":
        text = f"{kind}: {node.id} → {', '.join(node.columns) or '-'}" + (
            f"  ({node.detail})" if node.detail else ""
        )
    return text


def format_tree(node: LineageNode, language: str = "en", messages: MessageCatalog = PACKAGED) -> str:
    """An ASCII tree of the lineage, one node a line (├── / └── / │)."""
    lines = [node_line(node, language, messages)]
    _branches(node, "", language, messages, lines)
    return "\n".join(lines)


def _branches(
    node: LineageNode, prefix: str, language: str, messages: MessageCatalog, lines: list[str]
) -> None:
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        lines.append(prefix + ("└── " if last else "├── ") + node_line(child, language, messages))
        _branches(child, prefix + ("    " if last else "│   "), language, messages, lines)

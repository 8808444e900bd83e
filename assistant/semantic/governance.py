"""Validate a QueryPlan against the catalog and the asker's role before anything compiles.

``check_plan`` raises a typed ``UserFacingError`` (a ``Message`` and a ``RefusalReason``, with
suggestions) for:
unknown metrics, draft or deprecated metrics, metrics the role may not see, unknown roles, row
filters the asker has no scope for or that a metric's models cannot apply, unknown dimensions or
members, dimensions a metric cannot be split by, a target comparison without a target, an
order by something the result will not have, a comparison with another period that does not say
which, a share of a metric that does not add up (or whose total lies outside the asker's scope),
and a threshold on a figure the result will not have. ``compile_plan`` calls it, so nothing
unapproved or unscoped can compile.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from sqlglot import exp

from metricqa.assistant.semantic.columns import PERIOD, ValueKind, attribute_name, derived_name, key_name
from metricqa.assistant.semantic.plan import Comparison, Intent, OrderBy, QueryPlan
from metricqa.catalog.models import Aggregation, Catalog, Metric, MetricType, Role, Status
from metricqa.catalog.refs import base_measures, metric_inputs, parse_expr
from metricqa.core.asker import Asker
from metricqa.core.errors import (
    AccessDeniedError,
    InvalidPlanError,
    MetricNotApprovedError,
    RefusalReason,
    UnknownDimensionError,
    UnknownMemberError,
    UnknownMetricError,
)
from metricqa.core.messages import Message


def close_matches(word: str, names: dict[str, str], n: int = 3) -> list[str]:
    """Ids whose id or any name (``names``: name → id) is close to ``word``, best first."""
    lowered = {name.lower(): entry for name, entry in names.items() if name}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n * 3, cutoff=0.6)
    return list(dict.fromkeys(lowered[h] for h in hits))[:n]


def metric_names(metrics: Iterable[Metric]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in metrics:
        for name in (m.id, m.name.en, m.name.zh or "", *m.synonyms.all()):
            out.setdefault(name, m.id)
    return out


def named(metric: Metric) -> dict[str, object]:
    """The ``{name}`` (per language) and ``{metric}`` (id) parameters of a message about ``metric``."""
    return {"name": metric.name, "metric": metric.id}


NONE = Message("word.none")


# --- what a plan reads -----------------------------------------------------------------------


def ref_models(catalog: Catalog, ref: str) -> list[str]:
    """Semantic models a metric or measure reads, in first-use order."""
    return list(dict.fromkeys(catalog.measures[m].model for m in base_measures(catalog, ref)))


def ref_restrictions(catalog: Catalog, ref: str, _seen: frozenset[str] = frozenset()) -> list[list[str]]:
    """Every ``dimensions`` restriction on a metric and the metrics it is computed from."""
    metric = catalog.metrics.get(ref)
    if metric is None or ref in _seen:
        return []
    own = [list(metric.dimensions)] if metric.dimensions is not None else []
    return own + [r for part in metric_inputs(metric) for r in ref_restrictions(catalog, part, _seen | {ref})]


def allowed_dimensions(catalog: Catalog, ref: str) -> list[str]:
    """Dimensions a metric (or measure) can be split or filtered by: mapped by all its models, not restricted."""
    models = [catalog.models[m] for m in ref_models(catalog, ref)]
    allowed = [d for d in catalog.dimensions if all(d in model.dimensions for model in models)]
    for restriction in ref_restrictions(catalog, ref):
        allowed = [d for d in allowed if d in restriction]
    return allowed


def target_ref(catalog: Catalog, metric_id: str) -> str:
    """The metric (or measure) holding a metric's target; InvalidPlanError when it has none."""
    metric = catalog.metrics[metric_id]
    if metric.target is None:
        with_target = [m.id for m in catalog.approved_metrics() if m.target is not None]
        raise InvalidPlanError(
            Message("error.no_target", named(metric)),
            reason=RefusalReason.NO_TARGET,
            suggestions=with_target,
            details={"metric": metric_id},
        )
    return metric.target.metric


def plan_refs(plan: QueryPlan, catalog: Catalog) -> list[str]:
    """Every metric or measure the plan computes: its metrics, plus their targets under comparison=target."""
    refs = list(plan.metrics)
    if plan.comparison is Comparison.TARGET:
        refs += [target_ref(catalog, m) for m in plan.metrics]
    return list(dict.fromkeys(refs))


def plan_models(plan: QueryPlan, catalog: Catalog) -> list[str]:
    return list(dict.fromkeys(m for ref in plan_refs(plan, catalog) for m in ref_models(catalog, ref)))


# --- checks --------------------------------------------------------------------------------------


def check_role(catalog: Catalog, asker: Asker) -> Role:
    role = catalog.roles.get(asker.role)
    if role is None:
        raise AccessDeniedError(
            Message("error.unknown_role", {"role": asker.role, "roles": list(catalog.roles)}),
            reason=RefusalReason.UNKNOWN_ROLE,
            suggestions=close_matches(asker.role, {r: r for r in catalog.roles}),
            details={"role": asker.role},
        )
    return role


def visible_metrics(catalog: Catalog, role: Role) -> list[str]:
    return [m.id for m in catalog.approved_metrics() if role.may_see(m.id)]


def check_metric_known(catalog: Catalog, metric_id: str) -> Metric:
    metric = catalog.metrics.get(metric_id)
    if metric is None:
        near = close_matches(metric_id, metric_names(catalog.approved_metrics()))
        hint = Message("hint.metric_near", {"names": near}) if near else None
        raise UnknownMetricError(
            Message("error.unknown_metric_near", {"metric": metric_id, "hint": hint}),
            suggestions=near,
            details={"metric": metric_id},
        )
    return metric


def check_approved(catalog: Catalog, metric: Metric, role: Role) -> None:
    if metric.status is Status.APPROVED:
        return
    if metric.status is Status.DRAFT:
        names = metric_names(m for m in catalog.approved_metrics() if role.may_see(m.id))
        near = close_matches(metric.name.en, names) + close_matches(metric.id, names)
        raise MetricNotApprovedError(
            Message("error.metric_draft", named(metric)),
            suggestions=list(dict.fromkeys(near)),
            details={"metric": metric.id, "status": metric.status.value},
        )
    replacement = catalog.metrics.get(metric.replaced_by or "")
    why = metric.deprecation_reason
    message = Message(
        "error.metric_deprecated",
        {
            **named(metric),
            "why": Message("hint.deprecation_reason", {"reason": why}) if why else None,
            "instead": Message("hint.use_instead", named(replacement)) if replacement else None,
        },
    )
    raise MetricNotApprovedError(
        message,
        suggestions=[replacement.id] if replacement else [],
        details={"metric": metric.id, "status": metric.status.value, "replaced_by": metric.replaced_by},
    )


def check_visible(catalog: Catalog, metric: Metric, role: Role) -> None:
    if role.may_see(metric.id):
        return
    allowed = visible_metrics(catalog, role)
    raise AccessDeniedError(
        Message("error.metric_not_visible", {**named(metric), "role": role.id, "allowed": allowed or NONE}),
        suggestions=allowed,
        details={"metric": metric.id, "role": role.id},
    )


def check_metrics(plan: QueryPlan, catalog: Catalog, role: Role) -> None:
    for metric_id in plan.metrics:
        metric = check_metric_known(catalog, metric_id)
        check_approved(catalog, metric, role)
        check_visible(catalog, metric, role)
    if plan.comparison is Comparison.TARGET:
        for metric_id in plan.metrics:
            target = target_ref(catalog, metric_id)
            if target in catalog.metrics:
                check_approved(catalog, catalog.metrics[target], role)
                check_visible(catalog, catalog.metrics[target], role)


def check_dimension_known(catalog: Catalog, dim_id: str) -> None:
    if dim_id in catalog.dimensions:
        return
    names = {
        name: d.id
        for d in catalog.dimensions.values()
        for name in (d.id, d.name.en, d.name.zh or "", *d.synonyms.all())
    }
    near = close_matches(dim_id, names)
    hint = Message("hint.dimension_near", {"names": near}) if near else None
    raise UnknownDimensionError(
        Message("error.unknown_dimension", {"dimension": dim_id, "hint": hint}),
        suggestions=near or list(catalog.dimensions),
        details={"dimension": dim_id},
    )


def check_members(plan: QueryPlan, catalog: Catalog, members: dict[str, set[str]]) -> None:
    for flt in plan.filters:
        known = members.get(flt.dimension)
        if known is None:
            continue
        for value in flt.values:
            if value not in known:
                dim = catalog.dimensions[flt.dimension]
                near = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
                raise UnknownMemberError(
                    Message("error.unknown_member", {"dimension": dim.name, "value": value}),
                    suggestions=near,
                    details={"dimension": flt.dimension, "value": value},
                )


def check_split(plan: QueryPlan, catalog: Catalog) -> None:
    """Every grouped or filtered dimension must be one each metric (and its target) can be split by."""
    used = list(dict.fromkeys([*plan.dimensions, *(f.dimension for f in plan.filters)]))
    for ref in plan_refs(plan, catalog):
        allowed = allowed_dimensions(catalog, ref)
        bad = [d for d in used if d not in allowed]
        if bad:
            nothing = Message("word.nothing")
            raise InvalidPlanError(
                Message(
                    "error.cannot_split", {"metric": ref, "dimensions": bad, "allowed": allowed or nothing}
                ),
                reason=RefusalReason.CANNOT_SPLIT,
                suggestions=allowed,
                details={"metric": ref, "dimensions": bad, "allowed": allowed},
            )


def check_time_dimension(plan: QueryPlan, catalog: Catalog) -> None:
    """A plan dated by a time dimension ("closed") reads only models that map it."""
    td = plan.time_dimension
    if td is None:
        return
    if td not in catalog.time_dimensions:
        raise InvalidPlanError(
            Message("error.unknown_time_dimension", {"name": td, "known": list(catalog.time_dimensions)}),
            reason=RefusalReason.INVALID_PLAN,
        )
    for ref in plan_refs(plan, catalog):
        lacking = [m for m in ref_models(catalog, ref) if td not in catalog.models[m].times]
        if lacking:
            name = catalog.time_dimensions[td].name.by_language()
            raise InvalidPlanError(
                Message("error.cannot_date", {"metric": ref, "name": name}),
                reason=RefusalReason.CANNOT_SPLIT,
                details={"metric": ref, "time_dimension": td, "models": lacking},
            )


def check_row_filters(plan: QueryPlan, catalog: Catalog, role: Role, asker: Asker) -> None:
    """The asker must have a scope value for each row filter, and every model read must apply it."""
    models = plan_models(plan, catalog)
    for rf in role.row_filters:
        if not asker.scope.get(rf.scope):
            raise AccessDeniedError(
                Message("error.scope_missing", {"role": role.id, "scope": rf.scope}),
                reason=RefusalReason.NO_SCOPE,
                details={"role": role.id, "scope": rf.scope},
            )
        unmapped = [m for m in models if rf.dimension not in catalog.models[m].dimensions]
        if unmapped:
            raise AccessDeniedError(
                Message(
                    "error.scope_unfilterable",
                    {"role": role.id, "dimension": rf.dimension, "models": unmapped},
                ),
                reason=RefusalReason.OUT_OF_SCOPE,
                details={"role": role.id, "dimension": rf.dimension, "models": unmapped},
            )
        scope_value = asker.scope[rf.scope]
        for flt in plan.filters:
            outside = [v for v in flt.values if v != scope_value] if flt.dimension == rf.dimension else []
            if outside and flt.op.value != "not_in":
                scoped = {
                    "role": role.id,
                    "dimension": rf.dimension,
                    "value": scope_value,
                    "outside": outside,
                }
                raise AccessDeniedError(
                    Message("error.scope_outside", scoped),
                    reason=RefusalReason.OUT_OF_SCOPE,
                    suggestions=[scope_value],
                    details={"role": role.id, "dimension": rf.dimension, "values": outside},
                )


def order_keys(plan: QueryPlan) -> set[str]:
    """Key columns a plan may be ordered by (value kind ``value``): ``period`` and the dimensions."""
    keys = set(plan.dimensions) | {key_name(d) for d in plan.dimensions}
    keys |= {attribute_name(a.dimension, a.attribute) for a in plan.attributes}
    return keys | ({PERIOD} if plan.grain.value != "none" else set())


SHARE_KINDS = (ValueKind.TOTAL, ValueKind.SHARE)


def plan_kinds(plan: QueryPlan) -> list[ValueKind]:
    """The figures the result has of each metric: its value, with a comparison its baseline (or
    target), delta and ratio (attainment), and for a share its total and share."""
    kinds = [ValueKind.VALUE]
    if plan.comparison is not Comparison.NONE:
        kinds += [k for k in ValueKind if k is not ValueKind.VALUE and k not in SHARE_KINDS]
    if plan.intent is Intent.SHARE:
        kinds += SHARE_KINDS
    return kinds


def figure_allowed(plan: QueryPlan, metric: str, kind: ValueKind) -> bool:
    """Whether the result will have ``kind`` of ``metric`` (an order or a threshold may read it)."""
    return metric in plan.metrics and kind in plan_kinds(plan)


def figure_columns(plan: QueryPlan) -> list[str]:
    """The names of every figure of every metric the result will have."""
    return [derived_name(m, kind) for m in dict.fromkeys(plan.metrics) for kind in plan_kinds(plan)]


def order_allowed(plan: QueryPlan, order: OrderBy) -> bool:
    """A metric's value, a key column, or (with a comparison or a share) another figure of a metric."""
    if order.value is ValueKind.VALUE and order.metric in order_keys(plan):
        return True
    return figure_allowed(plan, order.metric, order.value)


def order_columns(plan: QueryPlan) -> set[str]:
    """Names ``OrderBy.by`` may spell: metrics, their other figures, ``period`` and the dimensions."""
    return order_keys(plan) | set(figure_columns(plan))


def check_order(plan: QueryPlan) -> None:
    allowed = order_columns(plan)
    for order in plan.order:
        if not order_allowed(plan, order):
            raise InvalidPlanError(
                Message("error.bad_order", {"order": order.by, "allowed": sorted(allowed)}),
                reason=RefusalReason.BAD_ORDER,
                suggestions=sorted(allowed),
                details={"order": order.by},
            )


def check_periods(plan: QueryPlan) -> None:
    """Both periods run forwards, and a comparison with another period says which (``baseline_time``)."""
    if plan.comparison is Comparison.OTHER_PERIOD and plan.baseline_time is None:
        raise InvalidPlanError(
            Message("narrative_shapes.error.no_baseline_time"), reason=RefusalReason.BAD_PERIOD
        )
    for span in (plan.time, plan.baseline_time):
        if span is not None and span.start > span.end:
            raise InvalidPlanError(
                Message("error.bad_period", {"start": span.start, "end": span.end}),
                reason=RefusalReason.BAD_PERIOD,
            )


# --- shares -------------------------------------------------------------------------------------

_AGGREGATION_KINDS = {
    Aggregation.AVG: "average",
    Aggregation.MIN: "minimum",
    Aggregation.MAX: "maximum",
    Aggregation.MEDIAN: "median",
    Aggregation.PERCENTILE: "percentile",
}


def linear(node: exp.Expr) -> bool:
    """A sum or difference of ids, each maybe scaled by a number (``revenue - cogs_amount``)."""
    if isinstance(node, exp.Column | exp.Literal):
        return True
    if isinstance(node, exp.Paren | exp.Neg):
        return linear(node.this)
    if isinstance(node, exp.Add | exp.Sub):
        return linear(node.this) and linear(node.expression)
    if isinstance(node, exp.Mul):
        sides = (node.this, node.expression)
        return any(isinstance(x, exp.Literal) for x in sides) and all(linear(x) for x in sides)
    if isinstance(node, exp.Div):
        return isinstance(node.expression, exp.Literal) and linear(node.this)
    return False


def _ref_name(catalog: Catalog, ref: str) -> object:
    return catalog.metrics[ref].name if ref in catalog.metrics else ref


def non_additive(catalog: Catalog, ref: str, _seen: frozenset[str] = frozenset()) -> Message | None:
    """Why a metric (or measure) does not add up across members, or None when it does: a sum, a
    count, a distinct count (value and total then count distinct entities over the same rows, so a
    share is the exact fraction of them in the member), or a sum or difference of such."""
    if ref in catalog.measures:
        kind = _AGGREGATION_KINDS.get(catalog.measures[ref].agg)
        return Message(f"narrative_shapes.kind.{kind}") if kind else None
    metric = catalog.metrics.get(ref)
    if metric is None or ref in _seen:
        return None
    if metric.type is MetricType.RATIO:
        parts = {
            "numerator": _ref_name(catalog, metric.numerator or ""),
            "denominator": _ref_name(catalog, metric.denominator or ""),
        }
        return Message("narrative_shapes.kind.ratio", parts)
    if metric.type is MetricType.CONVERSION and metric.conversion is not None:
        if metric.conversion.calculation == "conversion_rate":
            steps = {
                "base": metric.conversion.base_measure,
                "conversion": metric.conversion.conversion_measure,
            }
            return Message("narrative_shapes.kind.conversion", steps)
        return None  # a count of converted entities adds up like a distinct count
    if metric.type is MetricType.DERIVED:
        if not linear(parse_expr(metric.expr or "")):
            return Message("narrative_shapes.kind.formula", {"expr": metric.expr})
    for part in metric_inputs(metric):
        reason = non_additive(catalog, part, _seen | {ref})
        if reason is not None:
            return reason
    return None


RANKING_INTENTS = (Intent.RANK, Intent.LAGGED)


def check_ranking_scope(plan: QueryPlan, catalog: Catalog, role: Role) -> None:
    """A ranking across the members of a dimension a row filter fixes ("which region is highest" for a
    regional manager, "where do I rank among reps") compares with rows the asker may not see: refused,
    never answered as if the asker's one member were the whole field."""
    if plan.intent in RANKING_INTENTS or plan.having:
        refuse_across_scope(catalog, role, plan.dimensions, "error.rank_outside_scope")


def refuse_across_scope(catalog: Catalog, role: Role, dimensions: Sequence[str], message_id: str) -> None:
    """Refuse an answer that compares across members of a dimension the role's row filter fixes."""
    scoped = [rf.dimension for rf in role.row_filters if rf.dimension in dimensions]
    if scoped:
        dims = [catalog.dimensions[d].name for d in scoped]
        raise AccessDeniedError(
            Message(message_id, {"role": role.id, "dimensions": dims}),
            reason=RefusalReason.OUT_OF_SCOPE,
            details={"role": role.id, "dimensions": scoped},
        )


def check_share(plan: QueryPlan, catalog: Catalog, role: Role) -> None:
    """A share needs members to divide, a metric that adds up across them, no comparison, and a
    total inside the asker's scope (a share over the dimension a row filter fixes is refused)."""
    if plan.intent is not Intent.SHARE:
        return
    for metric_id in plan.metrics:
        reason = non_additive(catalog, metric_id)
        if reason is not None:
            additive = [m for m in visible_metrics(catalog, role) if non_additive(catalog, m) is None]
            raise InvalidPlanError(
                Message(
                    "narrative_shapes.error.share_not_additive",
                    {**named(catalog.metrics[metric_id]), "kind": reason},
                ),
                suggestions=additive,
                details={"metric": metric_id},
            )
    over = plan.share_dimensions
    if not over:
        raise InvalidPlanError(
            Message(
                "narrative_shapes.error.share_needs_members",
                {"names": [catalog.metrics[m].name for m in plan.metrics]},
            ),
            suggestions=[d for m in plan.metrics[:1] for d in allowed_dimensions(catalog, m)],
        )
    if plan.comparison is not Comparison.NONE:
        raise InvalidPlanError(Message("narrative_shapes.error.share_compared"))
    refuse_across_scope(catalog, role, over, "narrative_shapes.error.share_outside_scope")


def check_having(plan: QueryPlan) -> None:
    """Each threshold reads a figure the result will have: a metric of the plan, and a baseline,
    delta or ratio only with a comparison, a total or share only for a share."""
    for threshold in plan.having:
        if not figure_allowed(plan, threshold.metric, threshold.value):
            allowed = figure_columns(plan)
            raise InvalidPlanError(
                Message("narrative_shapes.error.bad_threshold", {"by": threshold.by, "allowed": allowed}),
                suggestions=allowed,
                details={"threshold": threshold.by},
            )


def check_attributes(plan: QueryPlan, catalog: Catalog) -> None:
    """Each attribute shown is one its dimension declares, of a dimension the plan lists; a list is of
    at least one dimension's members."""
    if plan.intent is Intent.LIST and not plan.dimensions:
        raise InvalidPlanError(
            Message(
                "lists.error.list_needs_dimension", {"known": [d.name for d in catalog.dimensions.values()]}
            ),
            suggestions=list(catalog.dimensions),
        )
    for ref in plan.attributes:
        check_dimension_known(catalog, ref.dimension)
        dim = catalog.dimensions[ref.dimension]
        known = [a.id for a in dim.attributes]
        if ref.attribute not in known:
            names = {n: a.id for a in dim.attributes for n in (a.id, a.name.en, a.name.zh or "")}
            near = close_matches(ref.attribute, names) or known
            raise InvalidPlanError(
                Message(
                    "lists.error.unknown_attribute",
                    {"dimension": dim.name, "attribute": ref.attribute, "known": near or NONE},
                ),
                reason=RefusalReason.UNKNOWN_DIMENSION,
                suggestions=near,
                details={"dimension": ref.dimension, "attribute": ref.attribute},
            )
        if ref.dimension not in plan.dimensions:
            raise InvalidPlanError(
                Message(
                    "lists.error.attribute_not_listed", {"dimension": dim.name, "attribute": ref.attribute}
                ),
                suggestions=[ref.dimension],
                details={"dimension": ref.dimension, "attribute": ref.attribute},
            )


def check_plan(
    plan: QueryPlan, catalog: Catalog, asker: Asker, members: dict[str, set[str]] | None = None
) -> None:
    """Raise the first governance or validity problem of ``plan`` for ``asker``; return None when it may run."""
    role = check_role(catalog, asker)
    check_metrics(plan, catalog, role)
    for dim_id in [*plan.dimensions, *(f.dimension for f in plan.filters)]:
        check_dimension_known(catalog, dim_id)
    if members is not None:
        check_members(plan, catalog, members)
    check_row_filters(plan, catalog, role, asker)
    check_split(plan, catalog)
    check_attributes(plan, catalog)
    check_time_dimension(plan, catalog)
    check_share(plan, catalog, role)
    check_ranking_scope(plan, catalog, role)
    check_order(plan)
    check_having(plan)
    check_periods(plan)


def scope_problems(catalog: Catalog, asker: Asker, members: dict[str, set[str]] | None = None) -> list[str]:
    """What is wrong with a configured asker's scope (an API key, a Slack user), checked at start so it
    fails loudly instead of answering ¥0: a scope its role has no row filter for (it would be ignored),
    and, given the warehouse's members, a value that is no member ("east" for EAST)."""
    role = catalog.roles.get(asker.role)
    if role is None:
        return []  # unknown roles are reported on their own
    by_scope = {rf.scope: rf.dimension for rf in role.row_filters}
    out = []
    for name, value in asker.scope.items():
        if name not in by_scope:
            out.append(f"{asker.user}: scope {name!r} is ignored, role {role.id!r} has no row filter for it")
            continue
        keys = (members or {}).get(by_scope[name])
        if keys is not None and value not in keys:
            near = ", ".join(sorted(k for k in keys if k.lower() == str(value).lower())) or ", ".join(
                sorted(keys)[:8]
            )
            out.append(
                f"{asker.user}: {name}={value!r} is not a member of {by_scope[name]} (members: {near})"
            )
    return out

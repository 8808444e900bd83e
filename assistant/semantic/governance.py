"""Validate a QueryPlan against the catalog and the asker's role before anything compiles.

``check_plan`` raises a typed ``UserFacingError`` (message in en and zh, with suggestions) for:
unknown metrics, draft or deprecated metrics, metrics the role may not see, unknown roles, row
filters the asker has no scope for or that a metric's models cannot apply, unknown dimensions or
members, dimensions a metric cannot be split by, a target comparison without a target, and an
order by something the result will not have. ``compile_plan`` calls it, so nothing unapproved or
unscoped can compile.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from metricqa.assistant.semantic.plan import Comparison, QueryPlan
from metricqa.catalog.models import Catalog, Metric, Role, Status
from metricqa.catalog.refs import base_measures, metric_inputs
from metricqa.core.asker import Asker
from metricqa.core.errors import (
    AccessDeniedError,
    InvalidPlanError,
    MetricNotApprovedError,
    UnknownDimensionError,
    UnknownMemberError,
    UnknownMetricError,
)

COMPARISON_SUFFIXES = ("__baseline", "__delta", "__ratio")
ORDER_ALIASES = {"__attainment": "__ratio"}  # an alias accepted in ``OrderBy.by`` under comparison=target


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


def label(metric: Metric, language: str) -> str:
    return f"{metric.name.get(language)} ({metric.id})"


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
            f"Metric {label(metric, 'en')} has no target to compare with.",
            f"指标 {label(metric, 'zh')} 没有可对比的目标。",
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
            f"Unknown role {asker.role!r}; known roles: {', '.join(catalog.roles)}.",
            f"未知角色 {asker.role!r};已知角色:{'、'.join(catalog.roles)}。",
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
        hint_en = f" Did you mean: {', '.join(near)}?" if near else ""
        hint_zh = f" 您是不是想问:{'、'.join(near)}?" if near else ""
        raise UnknownMetricError(
            f"Unknown metric {metric_id!r}.{hint_en}",
            f"未知指标 {metric_id!r}。{hint_zh}",
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
            f"Metric {label(metric, 'en')} is a draft and not approved for use.",
            f"指标 {label(metric, 'zh')} 仍是草稿,尚未批准使用。",
            suggestions=list(dict.fromkeys(near)),
            details={"metric": metric.id, "status": metric.status.value},
        )
    replacement = catalog.metrics.get(metric.replaced_by or "")
    reason_en = f" {metric.deprecation_reason.en}" if metric.deprecation_reason else ""
    reason_zh = metric.deprecation_reason.get("zh") if metric.deprecation_reason else ""
    use_en = f" Use {label(replacement, 'en')} instead." if replacement else ""
    use_zh = f"请改用 {label(replacement, 'zh')}。" if replacement else ""
    raise MetricNotApprovedError(
        f"Metric {label(metric, 'en')} is deprecated and not approved for use.{reason_en}{use_en}",
        f"指标 {label(metric, 'zh')} 已停用,不再批准使用。{reason_zh}{use_zh}",
        suggestions=[replacement.id] if replacement else [],
        details={"metric": metric.id, "status": metric.status.value, "replaced_by": metric.replaced_by},
    )


def check_visible(catalog: Catalog, metric: Metric, role: Role) -> None:
    if role.may_see(metric.id):
        return
    allowed = visible_metrics(catalog, role)
    raise AccessDeniedError(
        f"Role {role.id!r} may not see metric {label(metric, 'en')}. "
        f"Metrics this role may ask about: {', '.join(allowed) or 'none'}.",
        f"角色 {role.id!r} 无权查看指标 {label(metric, 'zh')}。该角色可查询的指标:{'、'.join(allowed) or '无'}。",
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
    hint_en = f" Did you mean: {', '.join(near)}?" if near else ""
    hint_zh = f" 您是不是想按:{'、'.join(near)}?" if near else ""
    raise UnknownDimensionError(
        f"Unknown dimension {dim_id!r}.{hint_en}",
        f"未知维度 {dim_id!r}。{hint_zh}",
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
                    f"{dim.name.en} has no member {value!r}.",
                    f"{dim.name.get('zh')}中没有成员 {value!r}。",
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
            raise InvalidPlanError(
                f"{ref!r} cannot be split or filtered by {', '.join(bad)}; "
                f"it can be split by: {', '.join(allowed) or 'nothing'}.",
                f"{ref!r} 不能按 {'、'.join(bad)} 拆分或筛选;可拆分的维度:{'、'.join(allowed) or '无'}。",
                suggestions=allowed,
                details={"metric": ref, "dimensions": bad, "allowed": allowed},
            )


def check_row_filters(plan: QueryPlan, catalog: Catalog, role: Role, asker: Asker) -> None:
    """The asker must have a scope value for each row filter, and every model read must apply it."""
    models = plan_models(plan, catalog)
    for rf in role.row_filters:
        if not asker.scope.get(rf.scope):
            raise AccessDeniedError(
                f"Role {role.id!r} sees only rows of its own {rf.scope}, but no {rf.scope} was given for this asker.",
                f"角色 {role.id!r} 只能查看本人所属{rf.scope}的数据,但未提供该{rf.scope}。",
                details={"role": role.id, "scope": rf.scope},
            )
        unmapped = [m for m in models if rf.dimension not in catalog.models[m].dimensions]
        if unmapped:
            raise AccessDeniedError(
                f"Role {role.id!r} sees only rows filtered by {rf.dimension}, and model(s) "
                f"{', '.join(unmapped)} cannot be filtered by it, so this question cannot be answered for this role.",
                f"角色 {role.id!r} 只能查看按 {rf.dimension} 过滤后的数据,而模型 {'、'.join(unmapped)} "
                f"无法按其过滤,因此不能为该角色回答此问题。",
                details={"role": role.id, "dimension": rf.dimension, "models": unmapped},
            )
        scope_value = asker.scope[rf.scope]
        for flt in plan.filters:
            outside = [v for v in flt.values if v != scope_value] if flt.dimension == rf.dimension else []
            if outside and flt.op.value != "not_in":
                raise AccessDeniedError(
                    f"Role {role.id!r} may only see {rf.dimension} {scope_value!r}, not {', '.join(outside)}.",
                    f"角色 {role.id!r} 只能查看 {rf.dimension} {scope_value!r} 的数据,不能查看 {'、'.join(outside)}。",
                    suggestions=[scope_value],
                    details={"role": role.id, "dimension": rf.dimension, "values": outside},
                )


def order_columns(plan: QueryPlan) -> set[str]:
    """Names ``OrderBy.by`` may use: metrics, their comparison columns, ``period`` and the dimensions."""
    names = set(plan.metrics) | set(plan.dimensions) | {f"{d}_id" for d in plan.dimensions}
    if plan.grain.value != "none":
        names.add("period")
    if plan.comparison is not Comparison.NONE:
        names |= {m + s for m in plan.metrics for s in (*COMPARISON_SUFFIXES, *ORDER_ALIASES)}
    return names


def check_order(plan: QueryPlan) -> None:
    allowed = order_columns(plan)
    for order in plan.order:
        if order.by not in allowed:
            raise InvalidPlanError(
                f"Cannot order by {order.by!r}; the result has: {', '.join(sorted(allowed))}.",
                f"无法按 {order.by!r} 排序;结果中可排序的列:{'、'.join(sorted(allowed))}。",
                suggestions=sorted(allowed),
                details={"order": order.by},
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
    check_order(plan)
    if plan.time.start > plan.time.end:
        raise InvalidPlanError(
            f"The period starts ({plan.time.start}) after it ends ({plan.time.end}).",
            f"时间范围的开始({plan.time.start})晚于结束({plan.time.end})。",
        )

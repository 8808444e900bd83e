"""Alert rules: evaluate the catalog's ``alerts:`` on the latest period and post firings to Slack.

For each ``AlertRule`` a governed ``QueryPlan`` is built (never SQL) and run through
``AskService.run_plan`` as the rule's role; the condition is checked on the returned rows:

- ``below`` / ``above``: the metric's value in the latest period (the partial period up to
  ``as_of``) is below / above ``threshold``;
- ``attainment_below``: value ÷ target (the metric's ``target`` binding, comparison=target) is
  below ``threshold`` (0.8 = 80 %);
- ``change_sigma``: the latest complete period deviates from the mean of the ``trailing_periods``
  before it by more than ``threshold`` standard deviations.

Each is evaluated per member of ``dimension`` (optionally only ``members``). Result columns are
read by their descriptors (``Answer.fields``, roles of ``semantic.columns``): the metric's value,
its target and value ÷ target (ratio) under comparison=target, the dimension's member key and
label, and the period start of a series.

Firings are recorded in a JSON-lines state file (append + fsync) keyed by (rule, member, period),
so one alert fires once per period however often the job runs. A firing says what happened as a
``Message`` (``alert.*`` in the message catalog), rendered where it is shown.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.semantic.columns import COMPARED_ROLES, ColumnRole, find
from metricqa.assistant.semantic.plan import Comparison, Filter, FilterOp, Grain, Intent, QueryPlan, TimeRange
from metricqa.assistant.service import AskService
from metricqa.assistant.understanding.context import note_fields
from metricqa.catalog.models import AlertRule, Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import InvalidPlanError, UserFacingError
from metricqa.core.messages import DEFAULT_LANGUAGE, PACKAGED, Message, MessageCatalog, render
from metricqa.core.settings import Settings
from metricqa.integrations.slack_app import _default_service, post_answer
from metricqa.integrations.slack_blocks import alert_header, metric_units

STATE_FILE = "alerts_state.jsonl"
LANGUAGE = DEFAULT_LANGUAGE  # rules are asked, answered, posted and reported in English


@dataclass(frozen=True)
class AlertFiring:
    """One rule firing for one member in one period."""

    rule_id: str
    metric: str
    kind: str
    channel: str
    period: str  # "2026-11", "2026-W47" or "2026-11-20"
    member: str | None
    member_label: str | None
    value: float | None  # the metric's value in the period
    observed: float  # what the condition compared: the value, the attainment ratio, or the z-score
    threshold: float
    partial: bool
    message: Message  # the firing in words: alert.<condition> with its numbers
    fired_at: str = ""

    def key(self) -> tuple[str, str, str]:
        return (self.rule_id, self.member or "", self.period)

    def text(self, language: str = LANGUAGE, messages: MessageCatalog = PACKAGED) -> str:
        return messages.render(self.message, language)

    def to_json(self) -> dict[str, Any]:
        """The state file's line: every field (the message as id and params) and its English text."""
        return {**asdict(self), "text": self.text()}


PostFn = Callable[[str, Answer, AlertFiring], None]


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


def period_bounds(day: date, grain: str) -> tuple[date, date]:
    """The whole period of ``grain`` that contains ``day``."""
    if grain == "day":
        return day, day
    if grain == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def previous_period_start(start: date, grain: str) -> date:
    if grain == "day":
        return start - timedelta(days=1)
    if grain == "week":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def period_label(start: date, grain: str) -> str:
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def latest_complete_period(as_of: date, grain: str) -> tuple[date, date]:
    """The period containing ``as_of`` when it ends on ``as_of``, else the one before it."""
    start, end = period_bounds(as_of, grain)
    if end <= as_of:
        return start, end
    return period_bounds(start - timedelta(days=1), grain)


# ---------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------


def _member_filters(rule: AlertRule) -> tuple[Filter, ...]:
    if rule.dimension and rule.members:
        return (Filter(dimension=rule.dimension, op=FilterOp.IN, values=tuple(rule.members)),)
    return ()


def latest_plan(rule: AlertRule, as_of: date) -> QueryPlan:
    """The metric in the period containing ``as_of`` (partial up to ``as_of``), per member."""
    start, end = period_bounds(as_of, rule.grain)
    label = Message("alert.period_to", {"period": period_label(start, rule.grain), "as_of": as_of})
    comparison = Comparison.TARGET if rule.condition.kind == "attainment_below" else Comparison.NONE
    return QueryPlan(
        metrics=(rule.metric,),
        dimensions=(rule.dimension,) if rule.dimension else (),
        filters=_member_filters(rule),
        time=TimeRange(
            start=start,
            end=min(end, as_of),
            label=render(label, "en"),
            label_zh=render(label, "zh"),
            partial=end > as_of,
        ),
        comparison=comparison,
        intent=Intent.BREAKDOWN if rule.dimension else Intent.VALUE,
        **_rule_note(rule),
    )


def _rule_note(rule: AlertRule) -> dict[str, Any]:
    """The plan's notes (and their en/zh assumptions): which alert rule asked."""
    return note_fields([Message("alert.rule_note", {"rule": rule.id})])


def series_plan(rule: AlertRule, as_of: date) -> QueryPlan:
    """The latest complete period and the ``trailing_periods`` before it, as a series per member."""
    start, end = latest_complete_period(as_of, rule.grain)
    first = start
    for _ in range(rule.condition.trailing_periods):
        first = previous_period_start(first, rule.grain)
    label = f"{period_label(first, rule.grain)}..{period_label(start, rule.grain)}"
    return QueryPlan(
        metrics=(rule.metric,),
        dimensions=(rule.dimension,) if rule.dimension else (),
        filters=_member_filters(rule),
        time=TimeRange(start=first, end=end, grain=Grain(rule.grain), label=label, label_zh=label),
        intent=Intent.TREND,
        **_rule_note(rule),
    )


def plan_for(rule: AlertRule, catalog: Catalog, as_of: date) -> QueryPlan:
    metric = catalog.metrics.get(rule.metric)
    if metric is None:
        raise InvalidPlanError(
            Message("error.alert_unknown_metric", {"rule": rule.id, "metric": rule.metric})
        )
    if rule.condition.kind == "attainment_below" and metric.target is None:
        raise InvalidPlanError(Message("error.alert_needs_target", {"rule": rule.id, "metric": rule.metric}))
    return series_plan(rule, as_of) if rule.condition.kind == "change_sigma" else latest_plan(rule, as_of)


# ---------------------------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One row of a rule's result: member, period and the numbers a condition needs."""

    member: str | None
    label: str | None
    period: date | None
    value: float | None
    baseline: float | None
    ratio: float | None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])


def read_points(answer: Answer, rule: AlertRule) -> list[Point]:
    """Rows → points, by the columns' descriptors (see the module docstring)."""
    col = {name: i for i, name in enumerate(answer.columns)}

    def position(*roles: ColumnRole, metric: str | None = None, dimension: str | None = None) -> int | None:
        found = find(answer.fields, *roles, metric=metric, dimension=dimension)
        return None if found is None else col.get(found.name)

    value_col = position(ColumnRole.VALUE, metric=rule.metric)
    if value_col is None:
        no_column = {"rule": rule.id, "metric": rule.metric, "columns": str(answer.columns)}
        raise InvalidPlanError(Message("error.alert_no_column", no_column))
    dim = rule.dimension
    label_col = position(ColumnRole.LABEL, dimension=dim) if dim else None
    key_col = position(ColumnRole.DIMENSION, dimension=dim) if dim else None
    key_col = label_col if key_col is None else key_col
    period_col = position(ColumnRole.PERIOD)
    period_col = col.get(rule.grain) if period_col is None else period_col
    baseline_col = position(*COMPARED_ROLES, metric=rule.metric)
    ratio_col = position(ColumnRole.RATIO, metric=rule.metric)

    def get(row: Sequence[Any], index: int | None) -> Any:
        return None if index is None else row[index]

    return [
        Point(
            member=None if get(row, key_col) is None else str(get(row, key_col)),
            label=None if get(row, label_col) is None else str(get(row, label_col)),
            period=_as_date(get(row, period_col)),
            value=_num(row[value_col]),
            baseline=_num(get(row, baseline_col)),
            ratio=_num(get(row, ratio_col)),
        )
        for row in answer.rows
    ]


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A point that met its rule's condition; ``observed`` is the number compared to the threshold."""

    point: Point
    observed: float
    mean: float | None = None


def _attainment(point: Point) -> float | None:
    if point.ratio is not None:
        return point.ratio
    if point.value is None or not point.baseline:
        return None
    return point.value / point.baseline


def threshold_hits(rule: AlertRule, points: Iterable[Point]) -> list[Hit]:
    """below / above / attainment_below on the latest (single-period) rows."""
    kind, threshold = rule.condition.kind, rule.condition.threshold
    hits = []
    for point in points:
        observed = _attainment(point) if kind == "attainment_below" else point.value
        if observed is None:
            continue
        if (kind == "above" and observed > threshold) or (kind != "above" and observed < threshold):
            hits.append(Hit(point, observed))
    return hits


def sigma_hits(rule: AlertRule, points: Iterable[Point], latest: date) -> list[Hit]:
    """change_sigma: |latest − mean(trailing)| > k·stdev(trailing), per member.

    Needs at least two trailing values; a member whose trailing values do not vary never fires.
    """
    by_member: dict[str | None, dict[date, Point]] = {}
    for point in points:
        if point.period is not None and point.value is not None:
            by_member.setdefault(point.member, {})[point.period] = point
    hits = []
    for by_period in by_member.values():
        current = by_period.get(latest)
        earlier = sorted(d for d in by_period if d < latest)[-rule.condition.trailing_periods :]
        values = [v for v in (by_period[d].value for d in earlier) if v is not None]
        if current is None or current.value is None or len(values) < 2:
            continue
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        z = (current.value - mean) / sd if sd > 0 else 0.0
        if abs(z) > rule.condition.threshold:
            hits.append(Hit(current, z, mean))
    return hits


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if unit == "ratio" else f"{value:,.2f}".rstrip("0").rstrip(".")


def describe_hit(rule: AlertRule, hit: Hit, period: str, unit: str) -> Message:
    """The firing in words: ``alert.<condition>`` with the member, the period and the numbers."""
    member = hit.point.label or hit.point.member
    who = (
        Message("alert.who_member", {"metric": rule.metric, "dimension": rule.dimension, "member": member})
        if rule.dimension
        else Message("alert.who", {"metric": rule.metric})
    )
    k, t = rule.condition.kind, rule.condition.threshold
    if k == "attainment_below":
        numbers: dict[str, Any] = {"observed": hit.observed, "threshold": t}
        return Message("alert.attainment_below", {"who": who, "period": period, **numbers})
    if k == "change_sigma":
        numbers = {
            "value": _fmt(hit.point.value, unit),
            "sigma": abs(hit.observed),
            "periods": rule.condition.trailing_periods,
            "mean": _fmt(hit.mean, unit),
            "limit": t,
        }
        sigma_id = "alert.sigma_above" if hit.observed > 0 else "alert.sigma_below"
        return Message(sigma_id, {"who": who, "period": period, **numbers})
    numbers = {"observed": _fmt(hit.observed, unit), "threshold": _fmt(t, unit)}
    return Message(
        "alert.above" if k == "above" else "alert.below", {"who": who, "period": period, **numbers}
    )


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _question(rule: AlertRule) -> str:
    if rule.description:
        return rule.description.get(LANGUAGE)
    return render("alert.question", LANGUAGE, rule=rule.id, metric=rule.metric)


def evaluate_rule(
    service: AskService, catalog: Catalog, rule: AlertRule, as_of: date, chart_dir: Path | None = None
) -> tuple[Answer, list[AlertFiring]]:
    """Run one rule's plan as its role and return the answer with every firing (state not consulted)."""
    plan = plan_for(rule, catalog, as_of)
    asker = Asker(role=rule.role, user=f"alert:{rule.id}")
    answer = service.run_plan(plan, asker, language=LANGUAGE, question=_question(rule), chart_dir=chart_dir)
    if answer.status != "answered":
        not_answered = {"rule": rule.id, "status": answer.status, "reason": answer.reason or answer.answer}
        raise InvalidPlanError(Message("error.alert_not_answered", not_answered))
    points = read_points(answer, rule)
    if rule.condition.kind == "change_sigma":
        start = period_bounds(plan.time.end, rule.grain)[0]
        hits, partial = sigma_hits(rule, points, start), False
    else:
        start, partial = plan.time.start, plan.time.partial
        hits = threshold_hits(rule, points)
    if rule.members:
        hits = [h for h in hits if h.point.member in rule.members or h.point.label in rule.members]
    period = period_label(start, rule.grain)
    unit = catalog.metrics[rule.metric].unit.value
    firings = []
    for hit in hits:
        firings.append(
            AlertFiring(
                rule_id=rule.id,
                metric=rule.metric,
                kind=rule.condition.kind,
                channel=rule.channel,
                period=period,
                member=hit.point.member,
                member_label=hit.point.label,
                value=hit.point.value,
                observed=hit.observed,
                threshold=rule.condition.threshold,
                partial=partial,
                message=describe_hit(rule, hit, period, unit),
            )
        )
    return answer, firings


class AlertState:
    """Firings already posted, in a JSON-lines file: read once, appended (and fsynced) per firing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys = set(self._load(path))

    @staticmethod
    def _load(path: Path) -> Iterable[tuple[str, str, str]]:
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                yield (str(entry["rule_id"]), str(entry.get("member") or ""), str(entry["period"]))
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash: that firing was not recorded

    def seen(self, firing: AlertFiring) -> bool:
        return firing.key() in self._keys

    def record(self, firing: AlertFiring) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(firing.to_json(), ensure_ascii=False, sort_keys=True)
        with self.path.open("ab") as fh:
            if fh.tell() > 0 and not self._ends_with_newline():
                fh.write(b"\n")
            fh.write(line.encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._keys.add(firing.key())

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"


def state_path(settings: Settings) -> Path:
    return settings.home / STATE_FILE


def run_alerts(
    service: AskService,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    post: PostFn,
    *,
    record: bool = True,
    report: Callable[[str], None] | None = None,
) -> list[AlertFiring]:
    """Evaluate every rule for the period at ``as_of``; post and record each new firing; return them.

    A rule that cannot be evaluated (unknown metric, refused, no target) is reported and skipped.
    A firing whose post fails is reported and not recorded, so the next run tries again.
    ``record=False`` (dry run) reads the state but writes nothing.
    """
    say = report or (lambda _msg: None)
    state = AlertState(state_path(settings))
    fired: list[AlertFiring] = []
    for rule in catalog.alerts.values():
        try:
            answer, firings = evaluate_rule(service, catalog, rule, as_of, settings.resolved_chart_dir())
        except UserFacingError as exc:
            say(render("alert.skipped", LANGUAGE, rule=rule.id, reason=exc.message))
            continue
        for firing in firings:
            if state.seen(firing):
                continue
            firing = _stamped(firing)
            try:
                post(rule.channel, answer, firing)
            except Exception as exc:  # noqa: BLE001 - one failed post must not stop the other alerts
                say(render("alert.post_failed", LANGUAGE, rule=rule.id, channel=rule.channel, error=exc))
                continue
            if record:
                state.record(firing)
            fired.append(firing)
    return fired


def _stamped(firing: AlertFiring) -> AlertFiring:
    return replace(firing, fired_at=datetime.now().astimezone().isoformat(timespec="seconds"))


# ---------------------------------------------------------------------------------------------
# Posting and the CLI entry point
# ---------------------------------------------------------------------------------------------


def slack_poster(client: Any, units: Mapping[str, str] | None = None) -> PostFn:
    """Post a firing to its channel through the one Slack formatter: header, narrative, table, citations, chart."""

    def post(channel: str, answer: Answer, firing: AlertFiring) -> None:
        header = alert_header(
            render("alert.title", answer.language, rule=firing.rule_id, message=firing.message)
        )
        post_answer(client, channel, answer, units=units, header=header)

    return post


def print_poster(channel: str, answer: Answer, firing: AlertFiring) -> None:
    print(render("alert.dry_run", LANGUAGE, channel=channel, message=firing.message))


def alerts_cli(
    settings: Settings, as_of: date | None, dry_run: bool, service: AskService | None = None
) -> int:
    """``metricqa alerts run [--as-of] [--dry-run]``: 0 when every rule ran, 1 when one was skipped, 2 on set-up errors."""
    if not dry_run and not settings.slack_bot_token:
        print(render("alert.no_token", LANGUAGE), file=sys.stderr)
        return 2

    service = service or _default_service(settings)
    problems: list[str] = []

    def report(message: str) -> None:
        problems.append(message)
        print(message, file=sys.stderr)

    post: PostFn = print_poster
    if not dry_run:
        from slack_sdk import WebClient

        client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        post = slack_poster(client, metric_units(service.catalog))
    day = as_of or service.as_of()
    firings = run_alerts(service, service.catalog, settings, day, post, record=not dry_run, report=report)
    for f in firings:
        print(f"{f.rule_id}\t{f.member or '-'}\t{f.period}\t{f.text()}")
    rules = len(service.catalog.alerts)
    print(render("alert.summary", LANGUAGE, fired=len(firings), day=day, rules=rules))
    return 1 if problems else 0

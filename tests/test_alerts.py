"""Alert rules against a fake service returning crafted rows (compiler column conventions)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from slack_sdk import WebClient

from metricqa.assistant.presentation.answer import Answer, Chart, Citation
from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn, key_column, label_column
from metricqa.assistant.semantic.plan import Comparison, FilterOp, Grain, QueryPlan
from metricqa.catalog.models import AlertRule, Catalog, Metric, Role
from metricqa.core.asker import Asker
from metricqa.core.errors import InvalidPlanError
from metricqa.core.settings import Settings
from metricqa.integrations import alerts
from metricqa.integrations.alerts import AlertFiring, run_alerts

AS_OF = date(2026, 11, 20)


def metric(mid: str, unit: str = "currency", target: str | None = None) -> Metric:
    return Metric.model_validate(
        {
            "id": mid,
            "type": "simple",
            "measure": mid,
            "name": {"en": mid},
            "description": {"en": mid},
            "definition": {"en": mid},
            "unit": unit,
            "owner": "BI",
            "department": "Finance",
            **({"target": {"metric": target}} if target else {}),
        }
    )


def rule(rid: str, kind: str, threshold: float, metric_id: str = "revenue", **kw: Any) -> AlertRule:
    return AlertRule.model_validate(
        {
            "id": rid,
            "metric": metric_id,
            "dimension": "region",
            "grain": "month",
            "condition": {"kind": kind, "threshold": threshold, **kw.pop("condition", {})},
            "channel": "#sales-alerts",
            **kw,
        }
    )


def catalog(*rules: AlertRule) -> Catalog:
    return Catalog(
        root="<test>",
        models={},
        measures={},
        dimensions={},
        roles={"exec": Role(id="exec")},
        metrics={
            "revenue": metric("revenue", target="revenue_target"),
            "return_rate": metric("return_rate", "ratio"),
            "orders": metric("orders", "count"),
        },
        alerts={r.id: r for r in rules},
    )


CITATION = Citation(
    metric="revenue",
    name="Revenue",
    version=2,
    status="approved",
    owner="BI",
    definition="d",
    formula="f",
    sources=["fact_order_line.quantity"],
    lineage=["ERP"],
)

LATEST = [["EAST", "East", 90.0], ["NORTH", "North", 150.0], ["SOUTH", "South", None]]
ATTAINMENT = [["EAST", "East", 70.0, 100.0, 0.7], ["NORTH", "North", 95.0, 100.0, 0.95]]
SERIES = {  # six trailing months then October (the latest complete month at AS_OF)
    "EAST": [100, 102, 98, 101, 99, 100, 130],  # spikes up: fires
    "NORTH": [100, 102, 98, 101, 99, 100, 101],  # normal: quiet
    "SOUTH": [100, 102, 98, 101, 99, 100, 80],  # drops: fires (below)
    "WEST": [100, 100, 100, 100, 100, 100, 150],  # no variation: never fires
}


def series_rows(start: date) -> list[list[Any]]:
    """Seven monthly rows per member from ``start`` (the plan's first period)."""
    months = []
    for _ in range(7):
        months.append(start.isoformat())
        start = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [
        [p, key, key.title(), float(v)]
        for key, vals in SERIES.items()
        for p, v in zip(months, vals, strict=True)
    ]


class FakeService:
    """run_plan answers crafted rows shaped like the compiler's output for the plan it gets."""

    def __init__(self, chart: Path | None = None) -> None:
        self.plans: list[tuple[QueryPlan, Asker]] = []
        self.chart = chart
        self.refuse: set[str] = set()
        self.ratio_column = True
        self._catalog = catalog()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def run_plan(
        self,
        plan: QueryPlan,
        asker: Asker,
        *,
        language: str = "en",
        question: str = "",
        chart_dir: Path | None = None,
    ) -> Answer:
        self.plans.append((plan, asker))
        m = plan.metrics[0]
        if m in self.refuse:
            return Answer(
                question=question, status="refused", answer="", reason=f"{m} is not allowed for this role"
            )
        if plan.time.grain is not Grain.NONE:
            columns, rows = ["period", "region_id", "region", m], series_rows(plan.time.start)
        elif plan.comparison is Comparison.TARGET:
            columns = ["region_id", "region", m, f"{m}__baseline"] + (
                [f"{m}__ratio"] if self.ratio_column else []
            )
            rows = [r if self.ratio_column else r[:4] for r in ATTAINMENT]
        else:
            columns, rows = ["region_id", "region", m], [list(r) for r in LATEST]
        return Answer(
            question=question,
            status="answered",
            answer=f"{m} by region for {plan.time.label}.",
            columns=columns,
            rows=rows,
            citations=[CITATION],
            data_as_of=AS_OF.isoformat(),
            chart=Chart(type="bar", path=str(self.chart)) if self.chart else None,
        )

    def ask(self, *a: Any, **kw: Any) -> Answer:
        raise NotImplementedError

    def list_metrics(self, asker: Asker, language: str = "en") -> list[dict[str, Any]]:
        return []

    def describe_metric(self, metric_id: str, asker: Asker, language: str = "en") -> dict[str, Any]:
        return {}

    def as_of(self) -> date:
        return AS_OF


Posted = list[tuple[str, Answer, AlertFiring]]


def collector() -> tuple[Posted, Callable[[str, Answer, AlertFiring], None]]:
    posted: Posted = []
    return posted, lambda channel, answer, firing: posted.append((channel, answer, firing))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


# ---------------------------------------------------------------------------------------------
# Periods and plans
# ---------------------------------------------------------------------------------------------


def test_periods() -> None:
    assert alerts.period_bounds(AS_OF, "month") == (date(2026, 11, 1), date(2026, 11, 30))
    assert alerts.period_bounds(AS_OF, "week") == (date(2026, 11, 16), date(2026, 11, 22))
    assert alerts.period_bounds(AS_OF, "day") == (AS_OF, AS_OF)
    assert alerts.latest_complete_period(AS_OF, "month") == (date(2026, 10, 1), date(2026, 10, 31))
    assert alerts.latest_complete_period(date(2026, 10, 31), "month") == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    assert alerts.latest_complete_period(AS_OF, "week") == (date(2026, 11, 9), date(2026, 11, 15))
    assert alerts.period_label(date(2026, 11, 16), "week") == "2026-W47"
    assert alerts.previous_period_start(date(2026, 1, 1), "month") == date(2025, 12, 1)


def test_latest_plan_is_the_partial_period_per_member() -> None:
    r = rule("att", "attainment_below", 0.8, members=["EAST", "NORTH"], role="finance")
    plan = alerts.plan_for(r, catalog(r), AS_OF)
    assert plan.metrics == ("revenue",) and plan.dimensions == ("region",)
    assert (plan.time.start, plan.time.end, plan.time.partial) == (date(2026, 11, 1), AS_OF, True)
    assert plan.comparison is Comparison.TARGET and plan.time.grain is Grain.NONE
    assert plan.filters[0].op is FilterOp.IN and plan.filters[0].values == ("EAST", "NORTH")
    below = alerts.plan_for(rule("b", "below", 1), catalog(), date(2026, 11, 30))
    assert below.comparison is Comparison.NONE and not below.time.partial and below.filters == ()


def test_series_plan_covers_trailing_periods() -> None:
    r = rule("sig", "change_sigma", 2, condition={"trailing_periods": 6})
    plan = alerts.plan_for(r, catalog(r), AS_OF)
    assert (plan.time.start, plan.time.end, plan.time.grain) == (
        date(2026, 4, 1),
        date(2026, 10, 31),
        Grain.MONTH,
    )
    assert QueryPlan.model_validate_json(plan.model_dump_json()) == plan


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "ratio_column", "expected"),
    [
        (rule("low", "below", 100), True, {"EAST"}),
        (rule("high", "above", 100), True, {"NORTH"}),
        (rule("nobody", "below", 50), True, set()),
        (rule("att", "attainment_below", 0.8), True, {"EAST"}),
        (
            rule("att_baseline", "attainment_below", 0.8),
            False,
            {"EAST"},
        ),  # value / __baseline when no __ratio
        (rule("att_all", "attainment_below", 0.99), True, {"EAST", "NORTH"}),
        (rule("sig", "change_sigma", 2.0), True, {"EAST", "SOUTH"}),
        (rule("sig_loose", "change_sigma", 25.0), True, set()),
        (rule("members", "below", 1000, members=["NORTH"]), True, {"NORTH"}),
    ],
    ids=lambda v: v.id if isinstance(v, AlertRule) else None,
)
def test_conditions(r: AlertRule, ratio_column: bool, expected: set[str], settings: Settings) -> None:
    service = FakeService()
    service.ratio_column = ratio_column
    posted, post = collector()
    fired = run_alerts(service, catalog(r), settings, AS_OF, post)
    assert {f.member for f in fired} == expected
    assert [p[2] for p in posted] == fired
    assert service.plans[0][1].role == r.role == "exec" and service.plans[0][1].user == f"alert:{r.id}"


def test_firing_details() -> None:
    r = rule("sig", "change_sigma", 2.0)
    _, firings = alerts.evaluate_rule(FakeService(), catalog(r), r, AS_OF)
    east = next(f for f in firings if f.member == "EAST")
    assert east.period == "2026-10" and not east.partial and east.value == 130.0 and east.observed > 2
    assert "above its trailing 6-period mean 100" in east.text() and "高于" in east.text("zh")
    assert east.message.id == "alert.sigma_above"
    south = next(f for f in firings if f.member == "SOUTH")
    assert south.observed < -2 and "below" in south.text()
    a = rule("att", "attainment_below", 0.8)
    (firing,) = alerts.evaluate_rule(FakeService(), catalog(a), a, AS_OF)[1]
    assert (firing.period, firing.partial, firing.observed, firing.member_label) == (
        "2026-11",
        True,
        0.7,
        "East",
    )
    assert firing.text() == "revenue for region=East: target attainment 70.0% is below 80% in 2026-11"
    assert firing.text("zh") == "revenue(region=East):2026-11 目标完成率 70.0%,低于 80%"
    rr = rule("rr", "above", 0.05, metric_id="return_rate")
    msgs = [f.text() for f in alerts.evaluate_rule(FakeService(), catalog(rr), rr, AS_OF)[1]]
    assert "9000.0% is above 5.0%" in msgs[0]  # ratio metrics are shown as percentages


# ---------------------------------------------------------------------------------------------
# State, dedup and failures
# ---------------------------------------------------------------------------------------------


def test_dedup_across_runs_and_new_period_fires_again(settings: Settings) -> None:
    rules = catalog(rule("att", "attainment_below", 0.8), rule("sig", "change_sigma", 2.0))
    posted, post = collector()
    first = run_alerts(FakeService(), rules, settings, AS_OF, post)
    assert sorted((f.rule_id, f.member) for f in first) == [
        ("att", "EAST"),
        ("sig", "EAST"),
        ("sig", "SOUTH"),
    ]
    assert run_alerts(FakeService(), rules, settings, date(2026, 11, 25), post) == []  # same periods
    assert len(posted) == 3
    lines = (settings.home / "alerts_state.jsonl").read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["fired_at"]
    recorded = json.loads(lines[0])  # the message as id + params, and its English text
    assert recorded["message"]["id"] == "alert.attainment_below" and recorded["text"] == first[0].text()
    december = run_alerts(FakeService(), rules, settings, date(2026, 12, 2), post)
    assert {(f.rule_id, f.period) for f in december} == {("att", "2026-12"), ("sig", "2026-11")}


def test_dry_run_records_nothing_and_torn_lines_are_skipped(settings: Settings) -> None:
    rules = catalog(rule("low", "below", 100))
    _, post = collector()
    assert len(run_alerts(FakeService(), rules, settings, AS_OF, post, record=False)) == 1
    assert not (settings.home / "alerts_state.jsonl").exists()
    settings.home.mkdir(parents=True)
    (settings.home / "alerts_state.jsonl").write_text(
        '{"rule_id": "low", "member": "EAST", "per'
    )  # torn by a crash
    assert len(run_alerts(FakeService(), rules, settings, AS_OF, post)) == 1
    lines = (settings.home / "alerts_state.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["member"] == "EAST"
    assert run_alerts(FakeService(), rules, settings, AS_OF, post) == []


def test_failed_post_is_retried_next_run(settings: Settings) -> None:
    rules = catalog(rule("low", "below", 100))
    problems: list[str] = []

    def broken(channel: str, answer: Answer, firing: AlertFiring) -> None:
        raise ConnectionError("slack down")

    assert run_alerts(FakeService(), rules, settings, AS_OF, broken, report=problems.append) == []
    assert problems == ["low: posting to #sales-alerts failed: slack down"]
    _, post = collector()
    assert [f.member for f in run_alerts(FakeService(), rules, settings, AS_OF, post)] == ["EAST"]


def test_unusable_rules_are_reported_and_skipped(settings: Settings) -> None:
    service = FakeService()
    service.refuse.add("orders")
    rules = catalog(
        rule("refused", "below", 1, metric_id="orders"),
        rule("no_target", "attainment_below", 0.8, metric_id="return_rate"),
        rule("unknown", "below", 1, metric_id="nope"),
        rule("ok", "below", 100),
    )
    problems: list[str] = []
    _, post = collector()
    fired = run_alerts(service, rules, settings, AS_OF, post, report=problems.append)
    assert [f.rule_id for f in fired] == ["ok"]
    assert [p.split(":")[0] for p in problems] == ["refused", "no_target", "unknown"]
    assert "not allowed" in problems[0] and "target" in problems[1]


# ---------------------------------------------------------------------------------------------
# Posting to (fake) Slack, and the CLI entry point
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def chart_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5))
    fig.subplots().plot([1, 2, 3], [3, 1, 2])
    path = tmp_path_factory.mktemp("alert_charts") / "attainment.png"
    fig.savefig(path, dpi=40)
    return path


def test_firings_post_to_slack_with_chart(fake_slack: FakeSlack, chart_png: Path, settings: Settings) -> None:
    fake_slack.reset()
    rules = catalog(rule("att", "attainment_below", 0.8))
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    (firing,) = run_alerts(FakeService(chart_png), rules, settings, AS_OF, alerts.slack_poster(client))
    complete = fake_slack.wait_for("files.completeUploadExternal")[0].params
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == "#sales-alerts" and "thread_ts" not in post.params
    text = json.dumps(post.params["blocks"], ensure_ascii=False)
    assert post.params["blocks"][0]["text"]["text"] == f":rotating_light: *att: {firing.text()}*"
    assert "revenue by region" in text and "Revenue" in text and "Data as of: 2026-11-20" in text
    assert complete["channel_id"] == "SALES-ALERTS" and complete["thread_ts"].startswith("1700000")
    assert fake_slack.calls_to("upload")[0].body == chart_png.read_bytes()


def test_alerts_cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = FakeService()
    service._catalog = catalog(rule("low", "below", 100))
    assert alerts.alerts_cli(settings, None, dry_run=False, service=service) == 2  # no bot token
    assert alerts.alerts_cli(settings, None, dry_run=True, service=service) == 0
    out = capsys.readouterr().out
    assert "[dry run] would post to #sales-alerts: revenue for region=East: 90 is below 100 in 2026-11" in out
    assert "1 alert(s) fired for 2026-11-20 across 1 rule(s)." in out
    assert not (settings.home / "alerts_state.jsonl").exists()


def test_demo_catalog_rules_build_plans() -> None:
    from metricqa.catalog.loader import load_catalog
    from metricqa.core.settings import DEMO_CATALOG

    demo = load_catalog(DEMO_CATALOG)
    assert demo.alerts
    for r in demo.alerts.values():
        plan = alerts.plan_for(r, demo, AS_OF)
        assert plan.metrics == (r.metric,) and plan.time.end <= AS_OF
        assert (plan.time.grain is Grain.NONE) == (r.condition.kind != "change_sigma")


def test_points_are_read_by_descriptor_not_by_name() -> None:
    fields = [
        key_column("region"),
        label_column("region"),
        ResultColumn(name="net", role=ColumnRole.VALUE, metric="revenue"),
        ResultColumn(name="goal", role=ColumnRole.TARGET, metric="revenue"),
        ResultColumn(name="share", role=ColumnRole.RATIO, metric="revenue"),
    ]
    answer = Answer(
        question="q", status="answered", answer="", columns=[f.name for f in fields], fields=fields,
        rows=[list(r) for r in ATTAINMENT],
    )  # fmt: skip
    points = alerts.read_points(answer, rule("att", "attainment_below", 0.8))
    assert [(p.member, p.label, p.value, p.baseline, p.ratio) for p in points] == [
        ("EAST", "East", 70.0, 100.0, 0.7),
        ("NORTH", "North", 95.0, 100.0, 0.95),
    ]
    without = Answer(question="q", status="answered", answer="", columns=["region_id", "region"], rows=[])
    with pytest.raises(InvalidPlanError):
        alerts.read_points(without, rule("att", "attainment_below", 0.8))

"""The Slack app end to end over HTTP: signed requests in, Web API calls to a local fake out.

Bolt's HTTP endpoint runs under uvicorn on 127.0.0.1; the Web API is tests/fake_slack.py.
Events are answered asynchronously (ack first), so each test waits on the fake's recorded
calls with a bounded poll.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.presentation.answer import Answer, Chart, Citation
from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn, key_column, label_column
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.catalog.models import Catalog, Metric, Role, RowFilter
from metricqa.core.asker import Asker
from metricqa.core.errors import AccessDeniedError, UnknownMetricError
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.demo import build_demo_warehouse
from metricqa.integrations import slack_blocks
from metricqa.integrations.slack_app import SlackConfigError, create_http_app, create_slack_app, strip_mention
from metricqa.integrations.slack_users import (
    SlackAccessError,
    SlackUsersError,
    load_slack_users,
    parse_slack_users,
)

SECRET = "test-signing-secret"


# ---------------------------------------------------------------------------------------------
# A fake AskService with realistic answers
# ---------------------------------------------------------------------------------------------


def small_catalog() -> Catalog:
    def metric(mid: str, name: str, unit: str) -> Metric:
        return Metric.model_validate(
            {
                "id": mid,
                "type": "simple",
                "measure": mid,
                "name": {"en": name},
                "description": {"en": name},
                "definition": {"en": name},
                "unit": unit,
                "owner": "Finance BI",
                "department": "Finance",
            }
        )

    return Catalog(
        root="<test>",
        models={},
        measures={},
        dimensions={},
        metrics={
            "revenue": metric("revenue", "Revenue", "currency"),
            "win_rate": metric("win_rate", "Win rate", "ratio"),
        },
        roles={
            "exec": Role(id="exec"),
            "marketing": Role(id="marketing", metrics=["lead_count"]),
            "regional_manager": Role(
                id="regional_manager", row_filters=[RowFilter(dimension="region", scope="region")]
            ),
        },
    )


CITATION = Citation(
    metric="revenue",
    name="Revenue",
    version=3,
    status="approved",
    owner="Finance BI",
    department="Finance",
    definition="Net line amount of completed orders",
    formula="sum(quantity*unit_price-discount)",
    sources=["fact_order_line.quantity", "fact_order_line.unit_price", "fact_order.status"],
    lineage=["ERP"],
)


def answered(question: str, chart: Path | None) -> Answer:
    rows: list[list[Any]] = [[f"R{i:02d}", f"Region {i}", 1000.0 * (i + 1), 0.5 + i / 100] for i in range(12)]
    return Answer(
        question=question,
        status="answered",
        answer="Revenue last month was ¥78,000 across 12 regions.",
        columns=["region_id", "region", "revenue", "revenue__ratio"],
        rows=rows,
        chart=Chart(type="bar", path=str(chart)) if chart else None,
        citations=[CITATION],
        assumptions=["period defaulted to last month"],
        data_as_of="2026-11-20",
    )


def clarify(question: str) -> Answer:
    return Answer(
        question=question,
        status="clarify",
        answer="Did you mean revenue or gross sales?",
        options=["revenue last month", "gross sales last month"],
        data_as_of="2026-11-20",
    )


def refused(question: str) -> Answer:
    return Answer(
        question=question,
        status="refused",
        answer="",
        reason="nps is a draft metric, not approved yet.",
        suggestions=["revenue"],
        data_as_of="2026-11-20",
    )


@dataclass
class AskCall:
    question: str
    asker: Asker
    session_id: str | None


class FakeService:
    def __init__(self, chart: Path) -> None:
        self.chart = chart
        self.calls: list[AskCall] = []
        self._catalog = small_catalog()
        self.responses: dict[str, Callable[[str], Answer]] = {}

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def ask(
        self,
        question: str,
        asker: Asker,
        *,
        session_id: str | None = None,
        as_of: date | None = None,
        chart_dir: Path | None = None,
        planner: str | None = None,
    ) -> Answer:
        self.calls.append(AskCall(question, asker, session_id))
        respond = self.responses.get(question)
        answer = respond(question) if respond else answered(question, self.chart)
        return answer.model_copy(update={"session_id": session_id, "role": asker.role})

    def run_plan(
        self,
        plan: QueryPlan,
        asker: Asker,
        *,
        language: str = "en",
        question: str = "",
        chart_dir: Path | None = None,
    ) -> Answer:
        raise NotImplementedError

    def list_metrics(self, asker: Asker, language: str = "en") -> list[dict[str, Any]]:
        return [{"id": m.id, "name": m.name.get(language)} for m in self._catalog.metrics.values()]

    def describe_metric(self, metric_id: str, asker: Asker, language: str = "en") -> dict[str, Any]:
        raise NotImplementedError

    def as_of(self) -> date:
        return date(2026, 11, 20)


def _raise(exc: Exception) -> Callable[[str], Answer]:
    def respond(question: str) -> Answer:
        raise exc

    return respond


# ---------------------------------------------------------------------------------------------
# Fixtures: fake Slack, the Bolt app under uvicorn, signed requests
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chart_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5))
    fig.subplots().bar(["East", "North"], [3, 2])
    path = tmp_path_factory.mktemp("charts") / "revenue_by_region.png"
    fig.savefig(path, dpi=40)
    return path


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


class ServerThread:
    """uvicorn serving an ASGI app on a free 127.0.0.1 port, in a daemon thread."""

    def __init__(self, asgi_app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(asgi_app, log_level="warning", lifespan="off", ws="none", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


@dataclass
class Harness:
    url: str
    fake: FakeSlack
    service: FakeService
    http: httpx.Client

    def post(
        self, body: bytes, content_type: str, *, ts: int | None = None, secret: str = SECRET
    ) -> httpx.Response:
        timestamp = str(ts if ts is not None else int(time.time()))
        base = b"v0:" + timestamp.encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        return self.http.post(self.url + "/slack/events", content=body, headers=headers)

    def event(self, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> httpx.Response:
        payload = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return self.post(json.dumps(payload).encode(), "application/json", **kw)

    def form(self, fields: dict[str, str], **kw: Any) -> httpx.Response:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kw)


USERS = {
    "users": {"UEAST": {"role": "regional_manager", "scope": {"region": "EAST"}}},
    "default": {"role": "exec"},
}


@pytest.fixture(scope="module")
def server(
    fake_slack: FakeSlack, chart_png: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    service = FakeService(chart_png)
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.api_url,
        default_role="exec",
    )
    app = create_slack_app(service, settings, parse_slack_users(USERS))
    with ServerThread(create_http_app(app)) as srv, httpx.Client(trust_env=False, timeout=5) as http:
        yield Harness(srv.url, fake_slack, service, http)


@pytest.fixture
def h(server: Harness) -> Harness:
    server.fake.reset()
    server.service.calls.clear()
    server.service.responses.clear()
    return server


def mention(
    text: str, ts: str, *, thread_ts: str | None = None, user: str = "U0001", channel: str = "C0001"
) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# The app over HTTP
# ---------------------------------------------------------------------------------------------


def test_app_mention_replies_in_thread_with_blocks_and_chart(h: Harness, chart_png: Path) -> None:
    resp = h.event(mention(f"<@{BOT_USER_ID}> revenue by region last month", "1700000000.000100"))
    assert resp.status_code == 200
    complete = h.fake.wait_for("files.completeUploadExternal")[0]

    post = h.fake.calls_to("chat.postMessage")[0].params
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000100"
    blocks = post["blocks"]
    assert blocks[0]["text"]["text"] == "Revenue last month was ¥78,000 across 12 regions."
    table = blocks[1]["text"]["text"]
    assert (
        table.startswith("```")
        and "Region 11" not in table
        and "Region 9" in table
        and "2 more rows" in table
    )
    assert "region_id" not in table and "50.0%" in table and "1,000" in table
    context = all_text([b for b in blocks if b["type"] == "context"])
    for needle in (
        "Revenue",
        "`revenue`",
        "v3",
        "Finance BI",
        "fact_order_line.quantity",
        "Data as of: 2026-11-20",
    ):
        assert needle in context

    upload_url_call = h.fake.calls_to("files.getUploadURLExternal")[0].params
    assert upload_url_call["filename"] == "revenue_by_region.png"
    assert int(upload_url_call["length"]) == chart_png.stat().st_size
    upload = h.fake.calls_to("upload")[0]
    assert upload.body == chart_png.read_bytes() and upload.body.startswith(b"\x89PNG")
    assert complete.params["channel_id"] == "C0001" and complete.params["thread_ts"] == "1700000000.000100"
    assert json.loads(complete.params["files"])[0]["id"] == upload.params["file_id"]

    (call,) = h.service.calls
    assert call.question == "revenue by region last month"
    assert call.session_id == "slack:C0001:1700000000.000100"
    assert call.asker.role == "exec" and call.asker.user == "slack:U0001"


def test_direct_message_is_answered_in_its_thread(h: Harness) -> None:
    h.service.responses["what is nps"] = refused
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "U0001",
        "text": "what is nps",
        "ts": "1700000001.000200",
        "channel": "D0001",
        "event_ts": "1700000001.000200",
    }
    assert h.event(dm).status_code == 200
    post = h.fake.wait_for("chat.postMessage")[0].params
    assert post["channel"] == "D0001" and post["thread_ts"] == "1700000001.000200"
    assert "nps is a draft metric" in post["blocks"][0]["text"]["text"]
    assert "revenue" in all_text(post["blocks"][1:])
    assert h.service.calls[0].session_id == "slack:D0001:1700000001.000200"
    assert h.fake.calls_to("files.getUploadURLExternal") == []  # a refusal has no chart


def test_bot_and_channel_messages_are_ignored(h: Harness) -> None:
    ignored = [
        {
            "type": "message",
            "channel_type": "im",
            "bot_id": "B9",
            "text": "revenue",
            "ts": "1.1",
            "channel": "D1",
        },
        {"type": "message", "channel_type": "im", "subtype": "message_changed", "ts": "1.2", "channel": "D1"},
        {
            "type": "message",
            "channel_type": "channel",
            "user": "U0001",
            "text": "revenue",
            "ts": "1.3",
            "channel": "C1",
        },
    ]
    for event in ignored:
        assert h.event(event).status_code == 200
    assert h.event(mention(f"<@{BOT_USER_ID}> revenue", "1.4")).status_code == 200  # a marker to wait for
    h.fake.wait_for("files.completeUploadExternal")
    assert [c.question for c in h.service.calls] == ["revenue"]


def test_slash_command_acks_fast_then_answers_in_a_thread(h: Harness) -> None:
    started = time.monotonic()
    resp = h.form(
        {
            "command": "/metric",
            "text": "revenue last month",
            "channel_id": "C0002",
            "user_id": "U0001",
            "team_id": TEAM_ID,
            "response_url": h.fake.base_url + "/response/1",
            "trigger_id": "t1",
        }
    )
    assert resp.status_code == 200 and time.monotonic() - started < 2.5
    assert "revenue last month" in resp.text
    h.fake.wait_for("files.completeUploadExternal")
    anchor, reply = h.fake.calls_to("chat.postMessage")[:2]
    assert anchor.params["channel"] == "C0002" and "thread_ts" not in anchor.params
    assert "<@U0001>" in all_text(anchor.params["blocks"])
    anchor_ts = reply.params["thread_ts"]
    assert anchor_ts and h.fake.calls_to("files.completeUploadExternal")[0].params["thread_ts"] == anchor_ts
    assert h.service.calls[0].session_id == f"slack:C0002:{anchor_ts}"


def test_slash_command_where_the_bot_cannot_post_answers_privately(h: Harness) -> None:
    h.fake.not_in_channel.add("C0404")
    resp = h.form(
        {
            "command": "/metric",
            "text": "revenue",
            "channel_id": "C0404",
            "user_id": "U0001",
            "team_id": TEAM_ID,
            "response_url": h.fake.base_url + "/response/2",
            "trigger_id": "t2",
        }
    )
    assert resp.status_code == 200
    private = h.fake.wait_for("response")[0].params
    assert private["response_type"] == "ephemeral"
    assert private["blocks"][0]["text"]["text"].startswith("Revenue last month")


def test_empty_slash_command_shows_help(h: Harness) -> None:
    resp = h.form(
        {
            "command": "/metric",
            "text": "  ",
            "channel_id": "C0002",
            "user_id": "U0001",
            "team_id": TEAM_ID,
            "response_url": h.fake.base_url + "/response/3",
            "trigger_id": "t3",
        }
    )
    assert resp.status_code == 200 and "Win rate" in resp.text
    assert h.service.calls == []


def test_follow_up_in_the_thread_reuses_the_session(h: Harness) -> None:
    h.event(mention(f"<@{BOT_USER_ID}> revenue by region last month", "1700000005.000100"))
    h.fake.wait_for("files.completeUploadExternal", 1)
    h.event(
        mention(f"<@{BOT_USER_ID}> and the month before?", "1700000006.000100", thread_ts="1700000005.000100")
    )
    h.fake.wait_for("files.completeUploadExternal", 2)
    first, second = h.service.calls
    assert second.question == "and the month before?"
    assert first.session_id == second.session_id == "slack:C0001:1700000005.000100"
    assert [c.params["thread_ts"] for c in h.fake.calls_to("chat.postMessage")] == ["1700000005.000100"] * 2


def test_clarify_renders_buttons_and_a_click_asks_the_option_in_the_thread(h: Harness) -> None:
    h.service.responses["sales"] = clarify
    h.event(mention(f"<@{BOT_USER_ID}> sales", "1700000007.000100"))
    post = h.fake.wait_for("chat.postMessage")[0].params
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    values = [e["value"] for e in actions["elements"]]
    assert values == ["revenue last month", "gross sales last month"]
    assert len({e["action_id"] for e in actions["elements"]}) == 2

    payload = {
        "type": "block_actions",
        "user": {"id": "U0001"},
        "team": {"id": TEAM_ID},
        "api_app_id": "A0001",
        "trigger_id": "t",
        "response_url": h.fake.base_url + "/response/4",
        "container": {"type": "message", "message_ts": "1700000900.000100", "channel_id": "C0001"},
        "channel": {"id": "C0001"},
        "message": {"ts": "1700000900.000100", "thread_ts": "1700000007.000100", "blocks": post["blocks"]},
        "actions": [dict(actions["elements"][0], block_id="metricqa_clarify", action_ts="1")],
    }
    assert h.form({"payload": json.dumps(payload)}).status_code == 200
    h.fake.wait_for("files.completeUploadExternal")
    first, second = h.service.calls
    assert second.question == "revenue last month"
    assert second.session_id == first.session_id == "slack:C0001:1700000007.000100"
    update = h.fake.calls_to("chat.update")[0].params
    assert update["ts"] == "1700000900.000100"
    assert all(b["type"] != "actions" for b in update["blocks"]) and "revenue last month" in all_text(
        update["blocks"]
    )
    assert h.fake.calls_to("chat.postMessage")[1].params["thread_ts"] == "1700000007.000100"


def test_redelivered_event_is_answered_once(h: Harness) -> None:
    event = mention(f"<@{BOT_USER_ID}> revenue", "1700000014.000100")
    assert h.event(event, event_id="EvSame").status_code == 200
    assert h.event(event, event_id="EvSame").status_code == 200  # Slack's retry of the same event
    h.event(mention(f"<@{BOT_USER_ID}> win rate", "1700000015.000100"))  # a marker to wait for
    h.fake.wait_for("files.completeUploadExternal", 2)
    assert sorted(c.question for c in h.service.calls) == ["revenue", "win rate"]


def test_mapped_user_gets_role_and_scope(h: Harness) -> None:
    h.event(mention(f"<@{BOT_USER_ID}> revenue", "1700000008.000100", user="UEAST"))
    h.fake.wait_for("chat.postMessage")
    asker = h.service.calls[0].asker
    assert (asker.role, asker.scope, asker.user) == ("regional_manager", {"region": "EAST"}, "slack:UEAST")


def test_bad_signature_is_rejected_without_asking(h: Harness) -> None:
    resp = h.event(mention(f"<@{BOT_USER_ID}> revenue", "1700000009.000100"), secret="wrong-secret")
    assert resp.status_code == 401
    h.event(mention(f"<@{BOT_USER_ID}> win rate", "1700000010.000100"))  # a good one, to wait for
    h.fake.wait_for("chat.postMessage")
    assert [c.question for c in h.service.calls] == ["win rate"]


def test_stale_timestamp_is_rejected(h: Harness) -> None:
    resp = h.event(mention(f"<@{BOT_USER_ID}> revenue", "1700000011.000100"), ts=int(time.time()) - 600)
    assert resp.status_code == 401
    cmd = h.form(
        {
            "command": "/metric",
            "text": "revenue",
            "channel_id": "C1",
            "user_id": "U1",
            "team_id": TEAM_ID,
            "response_url": "x",
            "trigger_id": "t",
        },
        ts=int(time.time()) - 600,
    )
    assert cmd.status_code == 401
    assert h.service.calls == []


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            UnknownMetricError(
                Message("error.unknown_metric_near", {"metric": "profitz", "hint": None}),
                suggestions=["gross_profit"],
            ),
            "Unknown metric 'profitz'.",
        ),
        (
            AccessDeniedError(
                Message("error.access_denied_metric", {"role": "finance", "metric": "gross_profit"})
            ),
            "Role `finance` may not see `gross_profit`.",
        ),
        (RuntimeError("duckdb exploded at /secret/path"), "Something went wrong on our side"),
    ],
)
def test_errors_go_through_the_one_formatter(h: Harness, error: Exception, expected: str) -> None:
    h.service.responses["boom"] = _raise(error)
    h.event(mention(f"<@{BOT_USER_ID}> boom", "1700000012.000100"))
    post = h.fake.wait_for("chat.postMessage")[0].params
    text = all_text(post["blocks"])
    assert expected in text and "/secret/path" not in text
    assert post["thread_ts"] == "1700000012.000100"


def test_empty_mention_shows_help(h: Harness) -> None:
    h.event(mention(f"<@{BOT_USER_ID}>", "1700000013.000100"))
    post = h.fake.wait_for("chat.postMessage")[0].params
    assert "Revenue" in all_text(post["blocks"]) and "Win rate" in all_text(post["blocks"])
    assert h.service.calls == []


# ---------------------------------------------------------------------------------------------
# Set-up errors, users file, formatter units
# ---------------------------------------------------------------------------------------------


def test_config_errors(fake_slack: FakeSlack, chart_png: Path, tmp_path: Path) -> None:
    service = FakeService(chart_png)
    users = parse_slack_users({"default": {"role": "exec"}})
    base = {"home": tmp_path, "slack_api_url": fake_slack.api_url}
    with pytest.raises(SlackConfigError, match="METRICQA_SLACK_BOT_TOKEN"):
        create_slack_app(service, Settings(**base), users)
    with pytest.raises(SlackConfigError, match="SIGNING_SECRET"):
        create_slack_app(service, Settings(slack_bot_token="xoxb-t", **base), users)
    create_slack_app(service, Settings(slack_bot_token="xoxb-t", **base), users, socket_mode=True)
    with pytest.raises(SlackConfigError, match="U9: ceo"):
        create_slack_app(
            service,
            Settings(slack_bot_token="xoxb-t", slack_signing_secret="s", **base),
            parse_slack_users({"users": {"U9": {"role": "ceo"}}}),
        )


def test_users_file(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        "default: {role: marketing}\nusers:\n  U1: {role: regional_manager, scope: {region: NORTH}}\n"
    )
    users = load_slack_users(path)
    assert users.asker_for("U1").scope == {"region": "NORTH"}
    assert users.asker_for("U404").role == "marketing"  # the file names a default role explicitly
    # least privilege: no file, or a file without `default`, maps nobody else; no user id is nobody
    for unmapped in (load_slack_users(None), parse_slack_users({"users": {"U1": {"role": "exec"}}})):
        with pytest.raises(SlackAccessError) as info:
            unmapped.asker_for("U2")
        assert "U2" in info.value.message_for("en") and "METRICQA_SLACK_USERS_FILE" in info.value.message_for(
            "en"
        )
    with pytest.raises(SlackAccessError):
        users.asker_for("")
    path.write_text("users:\n  U1: {role: exec, scopes: {region: EAST}}\n")  # typo: scopes
    with pytest.raises(SlackUsersError, match="scopes"):
        load_slack_users(path)
    with pytest.raises(SlackUsersError, match="Cannot read"):
        load_slack_users(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<@{BOT_USER_ID}> revenue   last month", "revenue last month"),
        (f"<@{BOT_USER_ID}|metricqa> 上月销售额", "上月销售额"),
        (f"how about <@{BOT_USER_ID}> gross margin &amp; revenue", "how about gross margin & revenue"),
        ("<@U777> revenue", "<@U777> revenue"),
    ],
)
def test_strip_mention(text: str, expected: str) -> None:
    assert strip_mention(text, BOT_USER_ID) == expected


def test_formatter_zh_labels_and_limits() -> None:
    answer = answered("上月各区域销售额", None).model_copy(
        update={"language": "zh", "answer": "上月销售额为 ¥78,000。", "options": ["x" * 100] * 7}
    )
    message = slack_blocks.answer_message(answer, {"revenue": "currency"})
    text = all_text(message.blocks)
    assert "数据截至: 2026-11-20" in text and "负责人" in text and "2 行未显示" in text
    buttons = slack_blocks.answer_message(answer.model_copy(update={"status": "clarify"})).blocks[1][
        "elements"
    ]
    assert len(buttons) == slack_blocks.MAX_OPTIONS and all(len(b["text"]["text"]) <= 75 for b in buttons)
    alert = slack_blocks.answer_message(answer, header=slack_blocks.alert_header("East < 80%"))
    assert alert.blocks[0]["text"]["text"] == ":rotating_light: *East &lt; 80%*"


def test_table_widths_and_formats() -> None:
    table = slack_blocks.table_text(
        ["region_id", "region", "win_rate", "orders"],
        [["E", "华东", 0.4213, 12345], ["N", "North", None, 7]],
        {"win_rate": "ratio"},
    )
    assert table is not None
    lines = table.strip("`\n").splitlines()
    assert lines[1].startswith("华东 ") and "42.1%" in lines[1] and "12,345" in lines[1]
    assert "–" in lines[2]
    assert (
        len({slack_blocks.display_width(line) for line in lines}) == 1
    )  # columns line up, CJK counted double
    assert slack_blocks.table_text([], [], {}) is None


def test_table_reads_column_roles() -> None:
    fields = [
        key_column("region"),
        label_column("region"),
        ResultColumn(name="share", role=ColumnRole.RATIO, metric="revenue"),
        ResultColumn(name="margin", role=ColumnRole.VALUE, metric="gross_margin"),
    ]
    table = slack_blocks.table_text(fields, [["E", "East", 0.5, 0.25]], {"gross_margin": "ratio"})
    assert table is not None
    header, row = table.strip("`\n").splitlines()
    assert header.split() == ["region", "share", "margin"]
    assert row.split() == ["East", "50.0%", "25.0%"]
    assert slack_blocks.display_columns(fields) == [1, 2, 3]
    assert slack_blocks.display_columns(["region_id", "region", "revenue"]) == [1, 2]
    assert slack_blocks.display_columns(["region_id", "revenue"]) == [0, 1]  # a key without its label shows


def test_manifest_declares_what_the_app_uses() -> None:
    import yaml

    manifest = yaml.safe_load((Path(__file__).parent.parent / "slack" / "manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "files:write", "im:history", "im:read", "commands"} <= scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/metric"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert manifest["settings"]["interactivity"]["is_enabled"] and manifest["settings"]["socket_mode_enabled"]


# ---------------------------------------------------------------------------------------------
# With the real pipeline (skipped until the compiler, warehouse and demo generator are in place)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("real_home")
    build_demo_warehouse(home / "demo.duckdb", scale=0.05, seed=42)
    settings = Settings(
        home=home,
        warehouse=home / "demo.duckdb",
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        default_role="exec",
    )
    service = Assistant.from_settings(settings)
    yield service, settings
    service.close()


def test_real_pipeline_answers_a_mention_and_runs_demo_alerts(
    real_service: Any, fake_slack: FakeSlack
) -> None:
    from metricqa.integrations.alerts import run_alerts

    service, settings = real_service
    settings = settings.model_copy(update={"slack_api_url": fake_slack.api_url})
    fake_slack.reset()
    app = create_slack_app(service, settings, parse_slack_users({"default": {"role": "exec"}}))
    with ServerThread(create_http_app(app)) as srv, httpx.Client(trust_env=False, timeout=30) as http:
        harness = Harness(srv.url, fake_slack, service, http)
        assert (
            harness.event(
                mention(f"<@{BOT_USER_ID}> revenue by region last month", "1700000100.000100")
            ).status_code
            == 200
        )
        post = fake_slack.wait_for("chat.postMessage", timeout=60)[0].params
    assert post["thread_ts"] == "1700000100.000100"
    assert "`revenue`" in all_text(post["blocks"]) and "Data as of" in all_text(post["blocks"])

    problems: list[str] = []
    fired = run_alerts(
        service, service.catalog, settings, service.as_of(), lambda *a: None, report=problems.append
    )
    assert problems == []  # every demo rule ran and its rows had the columns the evaluator reads
    assert run_alerts(service, service.catalog, settings, service.as_of(), lambda *a: None) == []
    assert all(f.period for f in fired)


def test_an_unmapped_user_is_refused_with_how_to_get_access(
    fake_slack: FakeSlack, chart_png: Path, tmp_path: Path
) -> None:
    service = FakeService(chart_png)
    settings = Settings(
        home=tmp_path,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.api_url,
    )
    app = create_slack_app(service, settings, parse_slack_users({"users": {"UEAST": {"role": "exec"}}}))
    fake_slack.reset()
    with ServerThread(create_http_app(app)) as srv, httpx.Client(trust_env=False, timeout=10) as http:
        harness = Harness(srv.url, fake_slack, service, http)
        event = mention(f"<@{BOT_USER_ID}> revenue last month", "1700000200.000100", user="U404")
        assert harness.event(event).status_code == 200
        post = fake_slack.wait_for("chat.postMessage", timeout=20)[0].params
    text = all_text(post["blocks"]) if post.get("blocks") else post.get("text", "")
    assert "U404" in text and "not set up" in text
    assert service.calls == []  # the question never reached the assistant

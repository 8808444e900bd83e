"""Slack replay protection across restarts and the Slack audit trail, over HTTP against tests/fake_slack.py.

A signed request sent again, byte for byte (a replay inside Bolt's 5-minute window, or Slack's own
retry with ``X-Slack-Retry-Num``), is acknowledged but not answered twice, even after the app restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack
from test_slack import SECRET, FakeService, ServerThread, chart_png, mention  # noqa: F401 - chart_png: fixture

from metricqa.assistant.audit import AuditLog, verify_chain
from metricqa.core.settings import Settings
from metricqa.integrations.slack_app import create_http_app, create_slack_app
from metricqa.integrations.slack_guard import SeenDeliveries, delivery_of
from metricqa.integrations.slack_users import parse_slack_users

USERS = {"users": {"UEAST": {"role": "exec"}, "U0001": {"role": "exec"}}}


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def signed(body: bytes, content_type: str, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
    }


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    payload = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    return json.dumps(payload).encode()


class Slack:
    """One run of the Slack HTTP app on ``home`` (a restart is a new ``Slack`` on the same home)."""

    def __init__(self, home: Path, fake: FakeSlack, service: FakeService) -> None:
        settings = Settings(
            home=home, slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=fake.api_url
        )
        app = create_slack_app(service, settings, parse_slack_users(USERS))
        self.server = ServerThread(create_http_app(app, audit=AuditLog(settings.resolved_audit_log())))
        self.http = httpx.Client(trust_env=False, timeout=10)

    def __enter__(self) -> Slack:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        self.server.__exit__()

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(self.server.url + "/slack/events", content=body, headers=headers)

    def event(self, text: str, ts: str, event_id: str, user: str = "U0001", **headers: str) -> httpx.Response:
        body = event_body(mention(f"<@{BOT_USER_ID}> {text}", ts, user=user), event_id)
        return self.post(body, signed(body, "application/json") | headers)


@dataclass
class Run:
    """The fake Web API, one fake service and one home, for starting the app (again)."""

    fake: FakeSlack
    service: FakeService
    home: Path

    def start(self) -> Slack:
        return Slack(self.home, self.fake, self.service)

    def answered(self, slack: Slack, marker: str) -> list[str]:
        """Questions answered so far, after a marker event proves earlier deliveries were handled."""
        before = len(self.fake.calls_to("chat.postMessage"))
        assert slack.event(marker, f"{time.time():.6f}", f"Ev{time.monotonic_ns()}").status_code == 200
        self.fake.wait_for("chat.postMessage", before + 1)
        deadline = time.monotonic() + 5
        while marker not in [c.question for c in self.service.calls] and time.monotonic() < deadline:
            time.sleep(0.01)
        return [c.question for c in self.service.calls if not c.question.startswith("marker")]


@pytest.fixture
def run(tmp_path: Path, fake_slack: FakeSlack, chart_png: Path) -> Run:  # noqa: F811 - the imported fixture
    fake_slack.reset()
    return Run(fake_slack, FakeService(chart_png), tmp_path)


def test_a_replay_after_a_restart_is_not_answered_twice(run: Run) -> None:
    body = event_body(mention(f"<@{BOT_USER_ID}> revenue", "1700000300.000100"), "EvReplay1")
    headers = signed(body, "application/json")
    with run.start() as first:
        assert first.post(body, headers).status_code == 200
        assert run.answered(first, "marker one") == ["revenue"]
    with run.start() as second:  # restarted: memory is gone, the file is not
        replay = second.post(body, headers)
        assert replay.status_code == 200 and replay.headers["x-slack-no-retry"] == "1"
        retry = second.post(
            body, headers | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        assert retry.status_code == 200 and retry.headers["x-slack-no-retry"] == "1"
        assert run.answered(second, "marker two") == ["revenue"]


def test_a_retry_of_a_delivery_never_handled_is_answered(run: Run) -> None:
    with run.start() as slack:
        resp = slack.event("win rate", "1700000301.000100", "EvLost1", **{"X-Slack-Retry-Num": "2"})
        assert resp.status_code == 200 and "x-slack-no-retry" not in resp.headers
        assert run.answered(slack, "marker") == ["win rate"]


def test_a_replayed_slash_command_is_answered_once(run: Run) -> None:
    fields = {
        "command": "/metric",
        "text": "revenue by region",
        "user_id": "U0001",
        "channel_id": "C0001",
        "team_id": TEAM_ID,
        "trigger_id": "1337.42.abcdef",
        "response_url": run.fake.base_url + "/response/1",
    }
    body = urlencode(fields).encode()
    headers = signed(body, "application/x-www-form-urlencoded")
    with run.start() as slack:
        assert slack.post(body, headers).status_code == 200
        assert slack.post(body, headers).status_code == 200  # the same signed bytes again
        assert run.answered(slack, "marker") == ["revenue by region"]


def test_every_slack_request_is_audited_refused_ones_too(run: Run) -> None:
    good = event_body(mention(f"<@{BOT_USER_ID}> revenue", "1700000302.000100"), "EvAudit1")
    log = run.home / "audit.jsonl"
    with run.start() as slack:
        slack.post(good, signed(good, "application/json"))
        slack.post(good, signed(good, "application/json") | {"X-Slack-Retry-Num": "1"})
        slack.post(good, signed(good, "application/json", secret="forged"))
        slack.post(good, signed(good, "application/json", ts=int(time.time()) - 600))
        slack.event("revenue", "1700000303.000100", "EvAudit2", user="U404")  # not in the users file
        run.fake.wait_for("chat.postMessage", 2)
        deadline = time.monotonic() + 5
        while "slack_refused" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    requests = [
        (e["status"], e["outcome"], e["user"], e["retry_num"]) for e in entries if e["event"] == "slack"
    ]
    assert requests == [
        (200, "handled", "slack:U0001", None),
        (200, "duplicate", "slack:U0001", 1),
        (401, "refused", "anonymous", None),  # bad signature: nothing in it is trusted
        (401, "refused", "anonymous", None),  # older than 5 minutes
        (200, "handled", "slack:U404", None),
    ]
    assert [(e["user"], e["error"]) for e in entries if e["event"] == "slack_refused"] == [
        ("slack:U404", "slack_access")
    ]
    text = log.read_text()
    assert "v0=" not in text and SECRET not in text and "x-slack-signature" not in text.lower()
    assert verify_chain(log).ok


def test_seen_deliveries_expire_are_bounded_and_shared(tmp_path: Path) -> None:
    now = [1000.0]
    seen = SeenDeliveries(tmp_path / "seen.sqlite", ttl_s=600, max_ids=3, clock=lambda: now[0])
    assert seen.first("a") and not seen.first("a")
    assert not SeenDeliveries(tmp_path / "seen.sqlite", 600, 3, clock=lambda: now[0]).first("a")  # one file
    now[0] += 601
    assert seen.first("a")  # expired, so new again
    for key in "bcde":
        now[0] += 1
        seen.first(key)
    seen.prune()
    assert len(seen) == 3 and seen.first("e") is False and seen.first("a")  # the oldest went first


def test_one_delivery_is_first_exactly_once_across_threads(tmp_path: Path) -> None:
    seen = SeenDeliveries(tmp_path / "seen.sqlite", ttl_s=600, max_ids=100)
    results: list[bool] = []
    lock = threading.Lock()

    def claim() -> None:
        ok = SeenDeliveries(tmp_path / "seen.sqlite", ttl_s=600, max_ids=100).first("EvRace")
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True] and not seen.first("EvRace")


@pytest.mark.parametrize(
    "body,headers,key,kind",
    [
        ({"event_id": "Ev1", "event": {"type": "app_mention", "user": "U1"}}, {}, "Ev1", "app_mention"),
        ({"command": "/metric", "trigger_id": "T.1", "user_id": "U2"}, {}, "T.1", "/metric"),
        (
            {"type": "block_actions", "user": {"id": "U3"}},
            {"x-slack-signature": ["v0=ab"]},
            "sig:v0=ab",
            "block_actions",
        ),
        ({}, {}, None, "unknown"),
    ],
)
def test_delivery_keys(
    body: dict[str, Any], headers: dict[str, list[str]], key: str | None, kind: str
) -> None:
    delivery = delivery_of(body, headers)
    assert (delivery.key, delivery.kind) == (key, kind)


def test_socket_mode_deliveries_are_deduplicated_and_audited(run: Run) -> None:
    from slack_bolt import BoltRequest

    settings = Settings(home=run.home, slack_bot_token="xoxb-test", slack_api_url=run.fake.api_url)
    app = create_slack_app(run.service, settings, parse_slack_users(USERS), socket_mode=True)
    body = event_body(mention(f"<@{BOT_USER_ID}> revenue", "1700000304.000100"), "EvSocket1")
    first = app.dispatch(BoltRequest(body=body.decode(), mode="socket_mode"))
    again = app.dispatch(
        BoltRequest(body=body.decode(), mode="socket_mode", headers={"x-slack-retry-num": ["1"]})
    )
    assert first.status == 200 and again.status == 200
    assert again.headers.get("x-slack-no-retry") == ["1"]
    run.fake.wait_for("chat.postMessage")
    entries = [json.loads(line) for line in (run.home / "audit.jsonl").read_text().splitlines()]
    assert [(e["outcome"], e["event_id"], e["retry_num"]) for e in entries if e["event"] == "slack"] == [
        ("handled", "EvSocket1", None),
        ("duplicate", "EvSocket1", 1),
    ]

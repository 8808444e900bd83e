"""The Slack surface: a Bolt app that asks the AskService and answers in the thread.

Thin by design (style.md §1): parse the Slack input, call ``service.ask``, render with the one
formatter (integrations/slack_blocks.py), post. Handles ``app_mention``, direct messages
(``message`` events in an ``im`` channel), the ``/metric`` slash command and clicks on clarify
buttons. Each Slack thread is one assistant session (``slack:{channel}:{thread_ts}``), so a
follow-up in the thread modifies the previous question.

Run it with ``run_slack(settings, mode="socket" | "http", port=3000)``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from slack_bolt import App, BoltContext
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from metricqa.assistant.audit import AuditLog
from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.service import AskService, configured_scope_problems
from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.integrations.reload_triggers import install_sighup, start_watcher
from metricqa.integrations.serving import LiveState, ServingState, build_state, reloader
from metricqa.integrations.slack_blocks import (
    CLARIFY_ACTION_PREFIX,
    SlackMessage,
    answer_message,
    chosen_text,
    error_message,
    escape,
    guess_language,
    help_message,
    metric_units,
    working_text,
)
from metricqa.integrations.slack_guard import (
    SeenDeliveries,
    append_entry,
    audit_dispatch,
    guard_middleware,
    refusal_entry,
)
from metricqa.integrations.slack_users import SlackUserMap, load_slack_users

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"


class SlackConfigError(UserFacingError):
    """A setting the Slack app needs is missing."""

    kind = "slack_config"
    reason = RefusalReason.INVALID_CONFIG


def session_id_for(channel: str, thread_ts: str) -> str:
    return f"slack:{channel}:{thread_ts}"


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """Drop the bot's own ``<@U…>`` mention and undo Slack's &amp;/&lt;/&gt; escaping."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def post_message(client: WebClient, channel: str, message: SlackMessage, thread_ts: str | None = None) -> str:
    """Post a formatted message; returns its ts."""
    resp = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks
    )
    return str(resp["ts"])


def upload_chart(client: WebClient, channel_id: str, thread_ts: str, answer: Answer) -> bool:
    """Upload the answer's chart PNG into the thread (files_upload_v2); False when there is none or it failed."""
    if answer.chart is None or not Path(answer.chart.path).is_file():
        return False
    path = Path(answer.chart.path)
    try:
        client.files_upload_v2(
            channel=channel_id,
            thread_ts=thread_ts,
            file=str(path),
            filename=path.name,
            title=answer.question[:200],
        )
    except SlackApiError as exc:
        log.warning("chart upload to %s failed: %s", channel_id, exc.response.get("error"))
        return False
    return True


def post_answer(
    client: WebClient,
    channel: str,
    answer: Answer,
    *,
    thread_ts: str | None = None,
    units: Mapping[str, str] | None = None,
    header: str | None = None,
) -> str:
    """Post an Answer (blocks) and its chart into ``thread_ts`` (or the thread of the new message).

    Returns the thread ts. ``channel`` may be a name; the upload uses the id Slack answers with.
    """
    message = answer_message(answer, units, header=header)
    resp = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks
    )
    thread = thread_ts or str(resp["ts"])
    upload_chart(client, str(resp.get("channel") or channel), thread, answer)
    return thread


class SlackResponder:
    """Asks the service for one Slack question and posts the reply; shared by every listener.

    Each reply leases the serving state once (service + Slack users, swapped by a reload) and
    finishes on it."""

    def __init__(
        self,
        service: AskService,
        settings: Settings,
        users: SlackUserMap,
        audit: AuditLog | None = None,
        live: LiveState | None = None,
    ) -> None:
        self.settings = settings
        self.audit = audit
        self.live = live or LiveState(ServingState(service=service, slack_users=users))
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()

    def first_delivery(self, event_id: str | None) -> bool:
        """False for an event Slack delivers again (a retry after a slow ack); remembers the last 1000 ids."""
        if not event_id:
            return True
        with self._seen_lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            while len(self._seen) > 1000:
                self._seen.popitem(last=False)
        return True

    def ask(self, question: str, user_id: str, session_id: str, state: ServingState | None = None) -> Answer:
        state = state or self.live.current
        asker = state.slack_users.asker_for(user_id)
        return state.service.ask(
            question, asker, session_id=session_id, chart_dir=self.settings.resolved_chart_dir()
        )

    def help(self, user_id: str, language: str, state: ServingState | None = None) -> SlackMessage:
        state = state or self.live.current
        try:
            metrics = state.service.list_metrics(state.slack_users.asker_for(user_id), language)
        except Exception:  # noqa: BLE001 - help must not fail
            log.exception("list_metrics failed")
            metrics = []
        return help_message([str(m.get("name") or m.get("id")) for m in metrics], language)

    def reply(
        self, client: WebClient, channel: str, thread_ts: str, question: str, user_id: str
    ) -> Answer | None:
        """Answer ``question`` in the thread; errors go through the one formatter."""
        with self.live.lease() as state:
            return self._reply(state, client, channel, thread_ts, question, user_id)

    def _reply(
        self,
        state: ServingState,
        client: WebClient,
        channel: str,
        thread_ts: str,
        question: str,
        user_id: str,
    ) -> Answer | None:
        language = guess_language(question)
        if not question:
            post_message(client, channel, self.help(user_id, language, state), thread_ts)
            return None
        try:
            answer = self.ask(question, user_id, session_id_for(channel, thread_ts), state)
        except Exception as exc:  # noqa: BLE001 - every failure is shown through error_message
            log.exception("answering %r failed", question)
            if self.audit is not None:
                append_entry(self.audit, refusal_entry(user_id, exc))
            post_message(client, channel, error_message(exc, language), thread_ts)
            return None
        try:
            post_answer(
                client, channel, answer, thread_ts=thread_ts, units=metric_units(state.service.catalog)
            )
        except SlackApiError as exc:  # e.g. invalid_blocks: still say the answer, as plain text
            log.warning("posting blocks failed (%s); posting text", exc.response.get("error"))
            post_message(client, channel, SlackMessage(text=answer_message(answer).text), thread_ts)
        return answer


def _clarify_chosen_blocks(body: Mapping[str, Any], choice: str, user_id: str) -> list[dict[str, Any]]:
    """The clarify message without its buttons, saying who chose what."""
    blocks = [b for b in body.get("message", {}).get("blocks", []) if b.get("type") != "actions"]
    chosen = chosen_text(choice, user_id, guess_language(choice))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": chosen}]})
    return blocks


def _register(app: App, responder: SlackResponder) -> None:
    @app.event("app_mention")
    def on_mention(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if not responder.first_delivery(body.get("event_id")):
            return
        question = strip_mention(event.get("text", ""), context.bot_user_id)
        thread_ts = event.get("thread_ts") or event["ts"]
        responder.reply(client, event["channel"], thread_ts, question, event.get("user", ""))

    @app.event("message")
    def on_message(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if not responder.first_delivery(body.get("event_id")):
            return
        question = strip_mention(event.get("text", ""), context.bot_user_id)
        thread_ts = event.get("thread_ts") or event["ts"]
        responder.reply(client, event["channel"], thread_ts, question, event.get("user", ""))

    @app.command("/metric")
    def on_command(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        question = " ".join(str(command.get("text", "")).split())
        user_id, channel = command["user_id"], command["channel_id"]
        language = guess_language(question)
        if not question:
            message = responder.help(user_id, language)
            ack(text=message.text, blocks=message.blocks)
            return
        ack(text=working_text(question, language))
        _answer_command(responder, client, respond, channel, user_id, question)

    @app.action(re.compile(f"^{CLARIFY_ACTION_PREFIX}"))
    def on_clarify(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts") or body["container"]["message_ts"]
        user_id = body["user"]["id"]
        choice = str(action.get("value", ""))
        try:
            blocks = _clarify_chosen_blocks(body, choice, user_id)
            client.chat_update(channel=channel, ts=str(message.get("ts")), text=choice, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update the clarify message: %s", exc.response.get("error"))
        responder.reply(client, channel, thread_ts, choice, user_id)


def _answer_command(
    responder: SlackResponder, client: WebClient, respond: Any, channel: str, user_id: str, question: str
) -> None:
    """A slash command starts a thread: post the question, then answer in its thread.

    When the bot may not post in the channel, answer privately through the command's response_url.
    """
    anchor = SlackMessage(
        text=question,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"<@{user_id}>: {escape(question)}"}}],
    )
    try:
        thread_ts = post_message(client, channel, anchor)
    except SlackApiError as exc:
        log.info("cannot post in %s (%s); answering through response_url", channel, exc.response.get("error"))
        try:
            with responder.live.lease() as state:
                answer = responder.ask(question, user_id, session_id_for(channel, f"cmd-{user_id}"), state)
                message = answer_message(answer, metric_units(state.service.catalog))
        except Exception as err:  # noqa: BLE001 - every failure is shown through error_message
            log.exception("answering %r failed", question)
            if responder.audit is not None:
                append_entry(responder.audit, refusal_entry(user_id, err))
            message = error_message(err, guess_language(question))
        respond(text=message.text, blocks=message.blocks, response_type="ephemeral")
        return
    responder.reply(client, channel, thread_ts, question, user_id)


def create_slack_app(
    service: AskService,
    settings: Settings,
    users: SlackUserMap,
    *,
    socket_mode: bool = False,
    live: LiveState | None = None,
) -> App:
    """A Bolt app answering mentions, DMs, ``/metric`` and clarify clicks through ``service``.

    HTTP mode needs ``slack_signing_secret`` (Bolt verifies every request's signature and
    timestamp with it and answers 401 otherwise); Socket Mode needs ``slack_app_token`` at start.
    """
    if not settings.slack_bot_token:
        raise SlackConfigError(Message("error.slack_bot_token"))
    if not socket_mode and not settings.slack_signing_secret:
        raise SlackConfigError(Message("error.slack_signing_secret"))
    bad_roles = users.unknown_roles(service.catalog)
    if bad_roles:
        raise SlackConfigError(Message("error.slack_users_unknown_roles", {"roles": ", ".join(bad_roles)}))
    bad_scopes = configured_scope_problems(service, users.configured_askers())
    if bad_scopes:
        raise SlackConfigError(
            Message("error.askers_bad_scopes", {"origin": "the Slack users file", "problems": bad_scopes})
        )
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=settings.slack_signing_secret or "", name="metricqa")
    # after Bolt's signature and timestamp checks: a delivery seen before (even before a restart) is not answered
    app.use(
        guard_middleware(
            SeenDeliveries.from_settings(settings), slack_audit(settings) if socket_mode else None
        )
    )
    _register(app, SlackResponder(service, settings, users, slack_audit(settings), live))
    return app


def slack_audit(settings: Settings) -> AuditLog:
    return AuditLog(settings.resolved_audit_log(), settings.audit_max_bytes)


def create_http_app(app: App, path: str = SLACK_EVENTS_PATH, audit: AuditLog | None = None) -> Starlette:
    """Serve the Bolt app over HTTP: events, slash commands and interactivity all POST to ``path``.

    With ``audit``, every request is audited, refused ones (bad signature, stale timestamp) too.
    """

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(audit_dispatch, app, to_bolt_request(request, body), audit)
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, slack_events, methods=["POST"]), Route("/healthz", healthz)])


def run_slack(
    settings: Settings,
    mode: Literal["socket", "http"] = "socket",
    port: int = 3000,
    *,
    host: str = "0.0.0.0",
    service: AskService | None = None,
) -> None:
    """Run the Slack app until interrupted: Socket Mode (app token, no public URL) or HTTP mode."""
    if mode == "socket" and not settings.slack_app_token:
        raise SlackConfigError(Message("error.slack_app_token"))
    live = None
    if service is None:  # the real assistant: reloadable on SIGHUP and (reload_watch_s) file changes
        live = LiveState(build_state(settings), rebuild=reloader(settings))
        install_sighup(live)
        start_watcher(live, settings)
        service = live.current.service
    users = live.current.slack_users if live else load_slack_users(settings.slack_users_file)
    if not users.users and users.default is None:
        log.warning("no Slack users file (METRICQA_SLACK_USERS_FILE): every Slack question will be refused")
    app = create_slack_app(service, settings, users, socket_mode=mode == "socket", live=live)
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        return
    import uvicorn

    uvicorn.run(create_http_app(app, audit=slack_audit(settings)), host=host, port=port, log_level="info")


def _default_service(settings: Settings) -> AskService:
    """The real assistant (alerts post through Slack with it)."""
    service: AskService = Assistant.from_settings(settings)
    return service

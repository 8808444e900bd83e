"""Slack replay protection and audit: each signed delivery is answered once, and every request is audited.

- Bolt refuses a request whose ``X-Slack-Request-Timestamp`` is more than 5 minutes off, or whose
  signature does not match (slack_sdk ``SignatureVerifier.is_valid``), with a 401.
- ``SeenDeliveries`` remembers what was delivered (the event id; for slash commands and clicks the
  ``trigger_id``, else the signature) in ``home``/slack_seen.sqlite: across restarts and workers,
  for ``slack_replay_ttl_s``, at most ``slack_replay_max_ids`` of them.
- ``guard_middleware`` (a Bolt middleware: it runs after signature checks) acks a delivery seen
  before without running any listener, answering a retry (``X-Slack-Retry-Num``) with
  ``X-Slack-No-Retry: 1``.
- ``slack_entry`` is the audit entry of one request: who, what kind, event id, retry number,
  outcome; never the signature, the timestamp header or the body.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from metricqa.assistant.audit import AuditLog
from metricqa.core.settings import Settings

log = logging.getLogger(__name__)

SEEN_FILE = "slack_seen.sqlite"
PRUNE_EVERY = 256
DELIVERY_KEY = "metricqa_delivery"


class SeenDeliveries:
    """Delivery keys already handled, in SQLite: ``first(key)`` is True once per key within the TTL."""

    def __init__(
        self, path: Path, ttl_s: float, max_ids: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.path, self.ttl_s, self.max_ids, self.clock = path, ttl_s, max_ids, clock
        self._inserts = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS seen_at ON seen (seen_at)")
        self.prune()

    @classmethod
    def from_settings(cls, settings: Settings) -> SeenDeliveries:
        return cls(settings.home / SEEN_FILE, settings.slack_replay_ttl_s, settings.slack_replay_max_ids)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def first(self, key: str) -> bool:
        """Record ``key``; False when it was recorded before and has not expired."""
        now = self.clock()
        with self._connect() as con:
            con.execute("DELETE FROM seen WHERE key = ? AND seen_at < ?", (key, now - self.ttl_s))
            inserted = con.execute(
                "INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)", (key, now)
            ).rowcount
        self._inserts += 1
        if self._inserts % PRUNE_EVERY == 0:
            self.prune()
        return inserted == 1

    def prune(self) -> None:
        """Forget keys past the TTL, then the oldest beyond ``max_ids``."""
        with self._connect() as con:
            con.execute("DELETE FROM seen WHERE seen_at < ?", (self.clock() - self.ttl_s,))
            con.execute(
                "DELETE FROM seen WHERE key IN (SELECT key FROM seen ORDER BY seen_at DESC LIMIT -1 OFFSET ?)",
                (self.max_ids,),
            )

    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT count(*) FROM seen").fetchone()[0])


@dataclass(frozen=True)
class Delivery:
    """What the audit and the replay check need to know about one Slack request."""

    key: str | None
    kind: str
    event_id: str | None
    user: str | None
    retry_num: int | None


def first_header(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name) or []
    return values[0] if values else None


def delivery_of(body: Mapping[str, Any], headers: Mapping[str, Sequence[str]]) -> Delivery:
    """The delivery a (verified) Slack request is: events by event id, others by trigger or signature."""
    raw_event, raw_user = body.get("event"), body.get("user")
    event: Mapping[str, Any] = raw_event if isinstance(raw_event, dict) else {}
    clicker: Mapping[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    user = event.get("user") or body.get("user_id") or clicker.get("id")
    kind = str(event.get("type") or body.get("command") or body.get("type") or "unknown")
    event_id = body.get("event_id")
    signature = first_header(headers, "x-slack-signature")
    key = event_id or body.get("trigger_id") or (f"sig:{signature}" if signature else None)
    retry = first_header(headers, "x-slack-retry-num")
    return Delivery(
        key=str(key) if key else None,
        kind=kind,
        event_id=str(event_id) if event_id else None,
        user=str(user) if user else None,
        retry_num=int(retry) if retry and retry.isdigit() else None,
    )


def guard_middleware(
    seen: SeenDeliveries, audit: AuditLog | None = None
) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware: a delivery seen before is acked (200) and goes no further.

    With ``audit`` (Socket Mode, where no HTTP layer sees the request) it audits each delivery itself.
    """

    def guard(req: BoltRequest, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        delivery = delivery_of(body, req.headers)
        duplicate = delivery.key is not None and not seen.first(delivery.key)
        req.context[DELIVERY_KEY] = (delivery, "duplicate" if duplicate else "handled")
        if audit is not None:
            append_entry(audit, slack_entry(req, 200, 0.0))
        if duplicate:
            log.info(
                "Slack delivery %s seen before (retry %s): not answered again",
                delivery.key,
                delivery.retry_num,
            )
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        next()
        return None

    return guard


def slack_entry(req: BoltRequest, status: int, duration_ms: float) -> dict[str, Any]:
    """The audit entry of one Slack request; one that never got past verification is ``refused``."""
    found = req.context.get(DELIVERY_KEY)
    delivery, outcome = found if found else (None, "refused" if status >= 400 else "acknowledged")
    return {
        "event": "slack",
        "method": "POST",
        "path": "/slack/events",
        "status": status,
        "user": f"slack:{delivery.user}" if delivery and delivery.user else "anonymous",
        "kind": delivery.kind if delivery else None,
        "event_id": delivery.event_id if delivery else None,
        "retry_num": delivery.retry_num if delivery else None,
        "outcome": outcome,
        "duration_ms": round(duration_ms, 2),
        "error": "invalid_signature" if status == 401 else (f"http_{status}" if status >= 400 else None),
    }


def audit_dispatch(app: Any, req: BoltRequest, audit: AuditLog | None) -> BoltResponse:
    """``app.dispatch(req)``, with the request audited before the response goes back to Slack."""
    started = time.perf_counter()
    resp: BoltResponse = app.dispatch(req)
    if audit is not None:
        append_entry(audit, slack_entry(req, resp.status, (time.perf_counter() - started) * 1000))
    return resp


def append_entry(audit: AuditLog, entry: dict[str, Any]) -> None:
    try:
        audit.append(entry)
    except OSError:
        log.exception("could not write the audit entry for a Slack request")


def refusal_entry(user_id: str, exc: Exception) -> dict[str, Any]:
    """A Slack question that got an error instead of an answer (an unmapped user, a refusal, a failure)."""
    return {
        "event": "slack_refused",
        "user": f"slack:{user_id}" if user_id else "anonymous",
        "error": str(getattr(exc, "kind", "internal_error")),
        "reason": str(getattr(exc, "reason", "") or "") or None,
    }

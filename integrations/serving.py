"""The serving state: catalog + index + assistant + API keys + Slack users + warehouse connection, one
immutable value behind one reference that a reload swaps atomically.

    live = LiveState(build_state(settings), rebuild=lambda gen, old: build_state(settings, gen, old))
    with live.lease() as state:            # a request takes the reference once, at its start
        state.service.ask(...)              # ... and finishes on it, even if a reload swaps meanwhile
    outcome = live.reload()                 # SIGHUP, POST /api/admin/reload, the file watcher

A reload builds a new state and runs every start-up check on it (catalog validation, data checks,
readiness, roles and scopes of API keys and Slack users against the warehouse's members); only when all
pass does it swap. Otherwise it logs each problem (file, line, field) and the old state goes on serving.
A retired state is closed when its last lease ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.service import AskService, configured_scope_problems
from metricqa.core.errors import CatalogError, UserFacingError
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.integrations.auth import ApiKeysError, ApiKeyStore, load_api_keys
from metricqa.integrations.slack_users import SlackUserMap, SlackUsersError, load_slack_users

log = logging.getLogger("metricqa.reload")


@dataclass(frozen=True)
class ServingState:
    """Everything one request reads, built and checked together."""

    service: AskService
    keys: ApiKeyStore = field(default_factory=ApiKeyStore)
    slack_users: SlackUserMap = field(default_factory=SlackUserMap)
    generation: int = 1


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: ``ok`` and the generation now serving, or the problems that kept the old one."""

    ok: bool
    generation: int
    took_ms: float
    problems: tuple[str, ...] = ()


Rebuild = Callable[[int, ServingState], ServingState]


def check_askers(service: AskService, keys: ApiKeyStore, users: SlackUserMap) -> None:
    """Every API key's and Slack user's role exists and its scope values are warehouse members."""
    unknown = keys.unknown_roles(service.catalog)
    if unknown:
        raise ApiKeysError(Message("error.api_keys_unknown_roles", {"roles": ", ".join(unknown)}))
    for origin, askers, error in (
        ("the API keys file", [k.asker() for k in keys.keys], ApiKeysError),
        ("the Slack users file", users.configured_askers(), SlackUsersError),
    ):
        problems = configured_scope_problems(service, askers)
        if problems:
            raise error(Message("error.askers_bad_scopes", {"origin": origin, "problems": problems}))
    bad_users = users.unknown_roles(service.catalog)
    if bad_users:
        raise SlackUsersError(Message("error.slack_users_unknown_roles", {"roles": ", ".join(bad_users)}))


def build_state(
    settings: Settings, generation: int = 1, previous: ServingState | None = None
) -> ServingState:
    """A fully checked state from ``settings`` (the files as they are now); raises on any problem.

    The audit log and the session store carry over from ``previous`` (one writer per file)."""
    service = Assistant.from_settings(settings)
    try:
        keys = load_api_keys(settings.api_keys_file)
        users = load_slack_users(settings.slack_users_file)
        check_askers(service, keys, users)
        not_ready = service.readiness()
        if not_ready:
            raise ReloadCheckError(not_ready)
        service.index()  # warm: the first ask after the swap does not build it
    except BaseException:
        service.close()
        raise
    if previous is not None and isinstance(previous.service, Assistant):
        service.audit, service.sessions = previous.service.audit, previous.service.sessions
    return ServingState(service=service, keys=keys, slack_users=users, generation=generation)


class ReloadCheckError(Exception):
    """A new state built but failed a readiness check (a table cannot be read, no approved metric)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def problem_lines(exc: BaseException) -> list[str]:
    """Why a reload failed, one line each: a catalog issue names its file, line and field."""
    if isinstance(exc, CatalogError):
        return [issue.context_str() for issue in exc.issues if issue.level == "error"]
    if isinstance(exc, ReloadCheckError):
        return list(exc.problems)
    if isinstance(exc, UserFacingError):
        return [line for line in str(exc).splitlines() if line.strip()]
    return [f"{type(exc).__name__}: {exc}"]


def close_state(state: ServingState) -> None:
    close = getattr(state.service, "close", None)
    if callable(close):
        close()


class LiveState:
    """The one reference to the serving state; ``rebuild`` None means the state never reloads."""

    def __init__(self, initial: ServingState, rebuild: Rebuild | None = None) -> None:
        self._current = initial
        self._rebuild = rebuild
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._leases: dict[int, int] = {}
        self._retired: dict[int, ServingState] = {}
        self.last: ReloadOutcome | None = None

    @property
    def current(self) -> ServingState:
        return self._current

    @property
    def reloadable(self) -> bool:
        return self._rebuild is not None

    @contextmanager
    def lease(self) -> Iterator[ServingState]:
        """The current state, kept open until the block ends (a swap meanwhile does not close it)."""
        with self._lock:
            state = self._current
            self._leases[state.generation] = self._leases.get(state.generation, 0) + 1
        try:
            yield state
        finally:
            self._release(state)

    def _release(self, state: ServingState) -> None:
        with self._lock:
            left = self._leases[state.generation] - 1
            self._leases[state.generation] = left
            done = left == 0 and self._retired.pop(state.generation, None) is not None
        if done:
            close_state(state)

    def swap(self, fresh: ServingState) -> ServingState:
        """Serve ``fresh`` from now on; the old state closes once no request holds it."""
        with self._lock:
            old, self._current = self._current, fresh
            idle = self._leases.get(old.generation, 0) == 0
            if not idle:
                self._retired[old.generation] = old
        if idle:
            close_state(old)
        return old

    def reload(self) -> ReloadOutcome:
        """Build and check a new state; swap only if every check passes. One reload at a time."""
        started = time.perf_counter()
        with self._reload_lock:
            old = self._current
            if self._rebuild is None:
                return self._done(False, old.generation, started, ["this server was started without reload"])
            try:
                fresh = self._rebuild(old.generation + 1, old)
            except Exception as exc:  # noqa: BLE001 - any failure keeps the old state serving
                problems = problem_lines(exc)
                for line in problems:
                    log.error("reload failed, generation %d goes on serving: %s", old.generation, line)
                return self._done(False, old.generation, started, problems)
            self.swap(fresh)
        outcome = self._done(True, fresh.generation, started, [])
        log.info("reloaded: generation %d serves now (%.0f ms)", fresh.generation, outcome.took_ms)
        return outcome

    def _done(self, ok: bool, generation: int, started: float, problems: list[str]) -> ReloadOutcome:
        took = round((time.perf_counter() - started) * 1000, 1)
        self.last = ReloadOutcome(ok=ok, generation=generation, took_ms=took, problems=tuple(problems))
        return self.last


def reloader(settings: Settings) -> Rebuild:
    """The rebuild function of a server started from ``settings``."""

    def rebuild(generation: int, previous: ServingState) -> ServingState:
        return build_state(settings, generation, previous)

    return rebuild

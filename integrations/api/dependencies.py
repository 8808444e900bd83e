"""What route handlers get injected: settings, the service, the asker, a checked ask request.

They are ``async def``: each does a few dictionary reads, and a sync dependency would cost a hop to the
thread pool and back (waiting for the GIL each way under load). ``create_app`` puts the settings and the live serving state (service + key store, swapped by a reload)
on ``app.state``; a request leases the state once (``get_state``) and both the service and the keys
come from that one lease. Tests can swap any of them with ``app.dependency_overrides``
(FastAPI docs_src/settings/app02).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import Depends, Header, Query, Request

from metricqa.assistant.service import AskService
from metricqa.core.asker import Asker
from metricqa.core.errors import RefusalReason
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.integrations.api.errors import ApiError
from metricqa.integrations.api.schemas import AskRequest
from metricqa.integrations.auth import ApiKeyStore
from metricqa.integrations.serving import LiveState, ServingState

CJK = re.compile(r"[\u3400-\u9fff]")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_live(request: Request) -> LiveState:
    live: LiveState = request.app.state.live
    return live


async def get_state(live: Annotated[LiveState, Depends(get_live)]) -> AsyncIterator[ServingState]:
    """The serving state this request runs on, taken once; a reload meanwhile does not change it."""
    with live.lease() as state:
        yield state


async def get_service(state: Annotated[ServingState, Depends(get_state)]) -> AskService:
    return state.service


async def get_key_store(state: Annotated[ServingState, Depends(get_state)]) -> ApiKeyStore:
    return state.keys


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key from ``X-API-Key`` or ``Authorization: Bearer``; None when neither is sent."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


async def get_asker(
    settings: Annotated[Settings, Depends(get_settings)],
    store: Annotated[ApiKeyStore, Depends(get_key_store)],
    x_api_key: Annotated[str | None, Header(description="API key (or send `Authorization: Bearer`).")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Asker:
    """The caller's role and scope. A key that is sent must be valid, even in demo mode."""
    key = presented_key(x_api_key, authorization)
    if key is None:
        if settings.demo_mode:
            return Asker(role=settings.default_role, user="api:demo")
        raise ApiError(
            Message("error.api_key_required"),
            http_status=401,
            kind="unauthorized",
            reason=RefusalReason.UNAUTHORIZED,
        )
    asker = store.asker_for(key)
    if asker is None:
        raise ApiError(
            Message("error.api_key_invalid"),
            http_status=401,
            kind="unauthorized",
            reason=RefusalReason.UNAUTHORIZED,
        )
    return asker


async def checked_ask(
    body: AskRequest, request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> AskRequest:
    """The ask body, its question no longer than ``max_question_chars``; records the message language."""
    request.state.language = body.language or ("zh" if CJK.search(body.question) else "en")
    limit = settings.max_question_chars
    if len(body.question) > limit:
        raise ApiError(
            Message("error.question_too_long", {"length": len(body.question), "limit": limit}),
            http_status=422,
            kind="question_too_long",
            reason=RefusalReason.TOO_LONG,
        )
    return body


async def get_language(
    request: Request,
    language: Annotated[
        Literal["en", "zh"] | None, Query(description="en or zh; default: Accept-Language.")
    ] = None,
) -> str:
    """``?language=en|zh``, else Accept-Language; also used for error messages."""
    chosen = language or (
        "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"
    )
    request.state.language = chosen
    return chosen


ServiceDep = Annotated[AskService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AskerDep = Annotated[Asker, Depends(get_asker)]
LanguageDep = Annotated[str, Depends(get_language)]

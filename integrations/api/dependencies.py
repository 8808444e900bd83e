"""What route handlers get injected: settings, the service, the asker, a checked ask request.

``create_app`` puts the service, settings and key store on ``app.state``; these functions read
them, so tests can swap any of them with ``app.dependency_overrides`` (FastAPI docs_src/settings/app02).
"""

from __future__ import annotations

import re
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

CJK = re.compile(r"[\u3400-\u9fff]")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> AskService:
    service: AskService = request.app.state.service
    return service


def get_key_store(request: Request) -> ApiKeyStore:
    store: ApiKeyStore = request.app.state.key_store
    return store


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key from ``X-API-Key`` or ``Authorization: Bearer``; None when neither is sent."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def get_asker(
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


def checked_ask(
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


def get_language(
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

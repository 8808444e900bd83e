"""POST /api/admin/reload: rebuild the serving state from the files as they are now (admin keys only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from metricqa.core.errors import RefusalReason
from metricqa.core.messages import Message, render
from metricqa.integrations.api.dependencies import LanguageDep, get_key_store, get_live, presented_key
from metricqa.integrations.api.errors import ApiError, error_body
from metricqa.integrations.api.schemas import ErrorOut
from metricqa.integrations.auth import ApiKeyStore
from metricqa.integrations.serving import LiveState

router = APIRouter(prefix="/api/admin", tags=["admin"])

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}


async def require_admin(
    store: Annotated[ApiKeyStore, Depends(get_key_store)],
    x_api_key: Annotated[str | None, Header(description="An API key with `admin: true`.")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """The admin key's user; 401 without a valid key (demo mode grants nothing here), 403 for a non-admin."""
    key = presented_key(x_api_key, authorization)
    entry = store.entry_for(key) if key is not None else None
    if entry is None:
        message_id = "error.api_key_required" if key is None else "error.api_key_invalid"
        raise ApiError(
            Message(message_id), http_status=401, kind="unauthorized", reason=RefusalReason.UNAUTHORIZED
        )
    if not entry.admin:
        raise ApiError(
            Message("error.admin_required"),
            http_status=403,
            kind="forbidden",
            reason=RefusalReason.UNAUTHORIZED,
        )
    return entry.user


@router.post("/reload", response_model=None, responses=ERRORS)
def reload(
    admin: Annotated[str, Depends(require_admin)],
    live: Annotated[LiveState, Depends(get_live)],
    language: LanguageDep,
) -> Any:
    """Reload the catalog, API keys, Slack users and warehouse. 200 when the new state serves; 422 with
    the problems (file, line, field) when a check failed, and the previous state goes on serving."""
    outcome = live.reload()
    if not outcome.ok:
        problems = list(outcome.problems)
        message = render("error.reload_failed", language, problems="\n".join(problems))
        return JSONResponse(error_body(message, 422, problems, "reload_failed"), status_code=422)
    message = render("api.reloaded", language, generation=outcome.generation, took_ms=outcome.took_ms)
    return {"ok": True, "generation": outcome.generation, "took_ms": outcome.took_ms, "message": message}

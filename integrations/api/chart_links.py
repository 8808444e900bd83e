"""Chart URLs bound to their asker: ``/api/charts/{name}?exp=…&sig=…``, signed and expiring.

The signature is an HMAC-SHA256, with a server secret, over the chart name, the asker (user, role
and scope) and the expiry. ``GET /api/charts/{name}`` still needs an API key, and the key's asker
must be the one the link was made for: a link that leaks into a log or a shared message is of no
use to anyone else, nor to its own asker after ``chart_url_ttl_s``.

    signer = ChartSigner.from_settings(settings)
    exp, sig = signer.sign("chart-3f2a.png", asker, now=time.time())
    signer.check("chart-3f2a.png", asker, exp, sig, now=time.time())   # raises ChartLinkError
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request

from metricqa.core.asker import Asker
from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message
from metricqa.core.settings import Settings
from metricqa.integrations.api.errors import ApiError

SECRET_FILE = "chart_url_secret"


class ChartLinkError(ApiError):
    """A chart link that is expired, forged, or made for another asker (403)."""

    def __init__(self, message_id: str) -> None:
        super().__init__(
            Message(message_id), http_status=403, kind="chart_link", reason=RefusalReason.UNAUTHORIZED
        )


class ChartSecretError(UserFacingError):
    """The persisted chart URL secret is not what this module writes (edited or truncated)."""

    kind = "chart_secret"
    reason = RefusalReason.INVALID_CONFIG


def asker_identity(asker: Asker) -> str:
    """What a link is bound to: the user, the role and the scope, in one canonical string."""
    return json.dumps([asker.user, asker.role, sorted(asker.scope.items())], ensure_ascii=True)


def persisted_secret(home: Path) -> bytes:
    """The secret kept in ``home``; made once (O_EXCL, mode 0600), so workers on one home agree."""
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
        out.flush()
        os.fsync(out.fileno())
    return read_secret(path)


def read_secret(path: Path) -> bytes:
    """The secret in ``path``; a file another worker is still writing is read again until complete."""
    for _ in range(100):
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
            return text.encode()
        os.sched_yield()
    raise ChartSecretError(Message("error.chart_secret_bad", {"path": str(path)}))


@dataclass(frozen=True)
class ChartSigner:
    secret: bytes
    ttl_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ChartSigner:
        configured = settings.chart_url_secret
        secret = configured.get_secret_value().encode() if configured else persisted_secret(settings.home)
        return cls(secret=secret, ttl_s=settings.chart_url_ttl_s)

    def signature(self, name: str, asker: Asker, expires: int) -> str:
        text = f"{name}\n{asker_identity(asker)}\n{expires}".encode()
        return hmac.new(self.secret, text, hashlib.sha256).hexdigest()

    def sign(self, name: str, asker: Asker, now: float) -> tuple[int, str]:
        """(expiry as Unix seconds, signature) for a link to ``name`` usable by ``asker`` only."""
        expires = int(now) + self.ttl_s
        return expires, self.signature(name, asker, expires)

    def check(self, name: str, asker: Asker, expires: int | None, signature: str | None, now: float) -> None:
        """Raise ``ChartLinkError`` unless the link was signed here, for ``asker``, and has not expired."""
        if expires is None or not signature:
            raise ChartLinkError("error.chart_link_invalid")
        if not hmac.compare_digest(self.signature(name, asker, expires), signature):
            raise ChartLinkError("error.chart_link_invalid")
        if now > expires:
            raise ChartLinkError("error.chart_link_expired")


def get_chart_signer(request: Request) -> ChartSigner:
    signer: ChartSigner = request.app.state.chart_signer
    return signer


ChartSignerDep = Annotated[ChartSigner, Depends(get_chart_signer)]


def signed_url(url: str, signer: ChartSigner, name: str, asker: Asker) -> str:
    """``url`` with ``exp`` and ``sig`` query parameters for ``asker``, valid ``ttl_s`` from now."""
    expires, signature = signer.sign(name, asker, time.time())
    return f"{url}?{urlencode({'exp': expires, 'sig': signature})}"

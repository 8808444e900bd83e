"""Who an HTTP caller is: a YAML file maps API keys (or bearer tokens) to users, roles and scopes.

    # api_keys.yaml (Settings.api_keys_file / METRICQA_API_KEYS_FILE)
    keys:
      - {key: "change-me-east", user: li.lei, role: regional_manager, scope: {region: EAST}}
      # store a hash instead of the key: python -c "import hashlib;print(hashlib.sha256(b'KEY').hexdigest())"
      - {key_sha256: "9f86d081884c7d65...", user: ceo, role: exec}
      # admin: true also lets the key call POST /api/admin/reload (any role; asks keep the role's rights)
      - {key: "change-me-ops-0001", user: ops, role: exec, admin: true}

A caller sends the key as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.
Keys are compared with ``hmac.compare_digest`` against every entry (no early exit), so the time a
lookup takes does not depend on which key matched. The file is parsed and validated here, nothing
more; the service enforces what a role may see.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message

MIN_KEY_CHARS = 16


class ApiKeysError(UserFacingError):
    """The API keys file cannot be read, is malformed, or names roles the catalog does not have."""

    kind = "api_keys_invalid"
    reason = RefusalReason.INVALID_CONFIG


class ApiKey(BaseModel):
    """One caller: exactly one of ``key`` (plain) or ``key_sha256`` (hex digest of the key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str | None = Field(default=None, min_length=MIN_KEY_CHARS)
    key_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    user: str = Field(min_length=1)
    role: str = Field(min_length=1)
    scope: dict[str, str] = Field(default_factory=dict)
    admin: bool = False

    @model_validator(mode="after")
    def _one_secret(self) -> ApiKey:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of `key` or `key_sha256`")
        return self

    def digest(self) -> bytes:
        """The sha256 digest this entry is matched against."""
        if self.key_sha256 is not None:
            return bytes.fromhex(self.key_sha256)
        return hash_key(self.key or "")

    def asker(self) -> Asker:
        return Asker(role=self.role, scope=dict(self.scope), user=f"api:{self.user}")


class ApiKeyStore(BaseModel):
    """Every configured key; ``asker_for`` answers who a presented key belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: list[ApiKey] = Field(default_factory=list)

    def entry_for(self, presented: str) -> ApiKey | None:
        """The entry of ``presented``, or None. Compares against every entry in constant time."""
        digest = hash_key(presented)
        found: ApiKey | None = None
        for entry in self.keys:
            if hmac.compare_digest(digest, entry.digest()) and found is None:
                found = entry
        return found

    def asker_for(self, presented: str) -> Asker | None:
        """The asker owning ``presented``, or None."""
        found = self.entry_for(presented)
        return found.asker() if found else None

    def unknown_roles(self, catalog: Catalog) -> list[str]:
        """Entries whose role the catalog does not define, as ``"<user>: <role>"``."""
        return [f"{k.user}: {k.role}" for k in self.keys if k.role not in catalog.roles]


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def load_api_keys(path: Path | None) -> ApiKeyStore:
    """Read the keys file; with no file there are no keys (only demo mode can then answer)."""
    if path is None:
        return ApiKeyStore()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ApiKeysError(
            Message("error.api_keys_unreadable", {"path": str(path), "error": str(exc)})
        ) from exc
    return parse_api_keys(raw, str(path))


def parse_api_keys(raw: object, origin: str = "<api keys>") -> ApiKeyStore:
    if not isinstance(raw, dict):
        raise ApiKeysError(Message("error.config_not_mapping", {"origin": origin, "key": "keys"}))
    try:
        store = ApiKeyStore.model_validate({"keys": raw.get("keys") or [], **_rest(raw)})
    except ValidationError as exc:
        # never echo the input: it holds secrets
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ApiKeysError(
            Message("error.config_invalid", {"origin": origin, "problems": problems})
        ) from None
    _check_unique(store, origin)
    return store


def _rest(raw: dict[object, object]) -> dict[str, object]:
    """Keys other than ``keys``: passed through so that ``extra="forbid"`` reports typos."""
    return {str(k): v for k, v in raw.items() if k != "keys"}


def _check_unique(store: ApiKeyStore, origin: str) -> None:
    digests = [k.digest() for k in store.keys]
    if len(set(digests)) != len(digests):
        raise ApiKeysError(Message("error.api_keys_duplicate", {"origin": origin}))

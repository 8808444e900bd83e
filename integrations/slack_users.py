"""Who a Slack user is to the assistant: a YAML file maps Slack user ids to roles and scopes.

    # slack_users.yaml (Settings.slack_users_file / METRICQA_SLACK_USERS_FILE)
    default: {role: marketing}            # optional; without it a Slack user not listed is refused
    users:
      U0123ABCD: {role: regional_manager, scope: {region: EAST}, name: Li Lei}
      U0456EFGH: {role: finance}

The file is parsed and validated here, nothing more; the service enforces what a role may see.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message


class SlackUsersError(UserFacingError):
    """The Slack users file cannot be read or names roles the catalog does not have."""

    kind = "slack_users_invalid"
    reason = RefusalReason.INVALID_CONFIG


class SlackAccessError(UserFacingError):
    """A Slack user the users file does not list (and no ``default`` role): least privilege, no answer."""

    kind = "slack_access"
    reason = RefusalReason.UNAUTHORIZED


class SlackUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str
    scope: dict[str, str] = Field(default_factory=dict)
    name: str | None = None

    def asker(self, slack_user_id: str) -> Asker:
        return Asker(role=self.role, scope=dict(self.scope), user=f"slack:{slack_user_id}")


class SlackUserMap(BaseModel):
    """Slack user id → role and scope. A user not listed gets ``default`` only when the file names one;
    otherwise (and for an event without a user id) the question is refused: least privilege."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: dict[str, SlackUser] = Field(default_factory=dict)
    default: SlackUser | None = None

    def user_for(self, slack_user_id: str) -> SlackUser | None:
        if not slack_user_id:
            return None
        return self.users.get(slack_user_id, self.default)

    def asker_for(self, slack_user_id: str) -> Asker:
        user = self.user_for(slack_user_id)
        if user is None:
            raise SlackAccessError(Message("error.slack_not_mapped", {"user": slack_user_id or "?"}))
        return user.asker(slack_user_id)

    def configured_askers(self) -> list[Asker]:
        """The asker of every listed user, and of ``default`` when the file names one."""
        entries = [*self.users.items(), *([("default", self.default)] if self.default else [])]
        return [user.asker(uid) for uid, user in entries]

    def unknown_roles(self, catalog: Catalog) -> list[str]:
        """Entries whose role the catalog does not define, as ``"<user id>: <role>"``."""
        entries = [*([("default", self.default)] if self.default else []), *self.users.items()]
        return [f"{uid}: {u.role}" for uid, u in entries if u.role not in catalog.roles]


def load_slack_users(path: Path | None) -> SlackUserMap:
    """Read the users file; with no file nobody is mapped, so every question is refused with how to get
    access (a users file with ``default: {role: …}`` opens the app to every workspace member)."""
    if path is None:
        return SlackUserMap()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SlackUsersError(
            Message("error.slack_users_unreadable", {"path": str(path), "error": str(exc)})
        ) from exc
    return parse_slack_users(raw, str(path))


def parse_slack_users(raw: object, origin: str = "<slack users>") -> SlackUserMap:
    if not isinstance(raw, dict):
        raise SlackUsersError(Message("error.config_not_mapping", {"origin": origin, "key": "users"}))
    data = dict(raw)
    data["users"] = {str(k): v for k, v in (data.get("users") or {}).items()}
    try:
        return SlackUserMap.model_validate(data)
    except ValidationError as exc:
        raise SlackUsersError(
            Message("error.config_invalid", {"origin": origin, "problems": str(exc)})
        ) from exc

"""Typed errors. Every error a person can see carries its message in both languages.

One root, two branches (style.md §4): ``UserFacingError`` for what the asker can act on,
``InternalError`` for bugs. Errors carry data, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "zh"]


class AssistantError(Exception):
    """Root of every metricqa error."""


class InternalError(AssistantError):
    """A bug or an unexpected engine failure; the asker sees a generic message."""


class UserFacingError(AssistantError):
    """An error whose message is meant for the asker, in their language.

    ``kind`` is a stable machine-readable code (e.g. ``metric_not_approved``);
    ``status`` is the answer status it maps to (``refused`` or ``clarify``) and
    ``http_status`` the HTTP code a surface should use.
    """

    kind: str = "user_error"
    status: str = "refused"
    http_status: int = 400

    def __init__(
        self,
        message: str,
        message_zh: str | None = None,
        *,
        suggestions: list[str] | None = None,
        kind: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message
        self.suggestions = list(suggestions or [])
        if kind:
            self.kind = kind
        self.details = dict(details or {})

    def message_for(self, language: str) -> str:
        return self.message_zh if language == "zh" else self.message

    def to_dict(self, language: str = "en") -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.message_for(language),
            "suggestions": self.suggestions,
            "details": self.details,
        }


class UnknownMetricError(UserFacingError):
    kind = "unknown_metric"


class UnknownDimensionError(UserFacingError):
    kind = "unknown_dimension"


class UnknownMemberError(UserFacingError):
    kind = "unknown_member"


class MetricNotApprovedError(UserFacingError):
    """Draft or deprecated metric: refused, naming the replacement when there is one."""

    kind = "metric_not_approved"


class AccessDeniedError(UserFacingError):
    """The asker's role may not see this metric (or this scope)."""

    kind = "access_denied"
    http_status = 403


class UnsupportedQuestionError(UserFacingError):
    """Not a metric question, a request to change data, or a request to run SQL."""

    kind = "unsupported_question"


class AmbiguousQuestionError(UserFacingError):
    """Two readings are close; ``options`` are the candidate interpretations."""

    kind = "ambiguous"
    status = "clarify"

    def __init__(
        self, message: str, message_zh: str | None = None, *, options: list[str], **kw: object
    ) -> None:
        super().__init__(message, message_zh, **kw)  # type: ignore[arg-type]
        self.options = options


class InvalidPlanError(UserFacingError):
    """The plan does not fit the catalog (e.g. a dimension a metric cannot be split by)."""

    kind = "invalid_plan"


class WarehouseError(UserFacingError):
    """The warehouse is missing or cannot be opened."""

    kind = "warehouse_unavailable"
    http_status = 503


class QueryTimeoutError(UserFacingError):
    kind = "timeout"
    http_status = 504


class RowCapError(UserFacingError):
    kind = "row_cap"


class LLMError(UserFacingError):
    """The LLM planner failed; keeps the attempt count and the last raw output."""

    kind = "llm_error"
    http_status = 502

    def __init__(self, message: str, *, n_attempts: int, last_completion: str | None) -> None:
        super().__init__(message, "语言模型规划失败:" + message)
        self.n_attempts = n_attempts
        self.last_completion = last_completion


@dataclass(frozen=True)
class CatalogIssue:
    """One problem found while loading or validating a catalog."""

    level: Literal["error", "warning"]
    message: str
    file: str
    line: int | None = None
    field: str | None = None

    def context_str(self) -> str:
        where = f"in file `{self.file}`"
        if self.line is not None:
            where += f" on line #{self.line}"
        if self.field:
            where += f", field `{self.field}`"
        return f"{self.level.upper()}: {self.message} ({where})"


class CatalogError(UserFacingError):
    """A catalog failed to load; every issue is collected before raising."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = issues
        lines = [i.context_str() for i in issues]
        msg = f"The catalog has {sum(i.level == 'error' for i in issues)} error(s):\n" + "\n".join(lines)
        UserFacingError.__init__(self, msg, "指标目录校验失败:\n" + "\n".join(lines), kind="catalog_invalid")

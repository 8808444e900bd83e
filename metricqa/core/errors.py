"""Typed errors. Every error a person can see carries a ``Message`` (id + parameters), not text.

One root, two branches (style.md §4): ``UserFacingError`` for what the asker can act on,
``InternalError`` for bugs. Errors carry data, never markup: the message id and its parameters,
a typed ``RefusalReason``, suggestions and details. A surface renders the message in the asker's
language (``message_for``) through the message catalog (``metricqa.core.messages``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from metricqa.core.messages import DEFAULT_LANGUAGE, PACKAGED, Message, MessageCatalog, MessageCatalogError

Language = Literal["en", "zh"]


class RefusalReason(StrEnum):
    """Why a question was refused (or sent back for clarification): a stable code for machines."""

    # the question itself (planner input checks)
    TOO_LONG = "too_long"
    SQL = "sql"
    INJECTION = "injection"
    OFF_TOPIC = "off_topic"
    CHANGE_DATA = "change_data"
    EMPTY = "empty"
    NO_METRIC = "no_metric"
    UNKNOWN_WORDS = "unknown_words"  # a word that looks like a metric but names none in the catalog
    UNSUPPORTED_BREAKDOWN = "unsupported_breakdown"  # "by <something that is not a dimension>"
    LLM_REFUSED = "llm_refused"
    UNSUPPORTED = "unsupported"
    AMBIGUOUS = "ambiguous"
    LOW_CONFIDENCE = "low_confidence"  # the reading is too unsure to answer: asked back with it
    # governance: the catalog and the asker's role
    UNKNOWN_METRIC = "unknown_metric"
    UNKNOWN_DIMENSION = "unknown_dimension"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_ROLE = "unknown_role"
    NOT_APPROVED = "not_approved"
    ACCESS_DENIED = "access_denied"
    NO_SCOPE = "no_scope"
    OUT_OF_SCOPE = "out_of_scope"
    # the plan does not fit the catalog
    INVALID_PLAN = "invalid_plan"
    NO_TARGET = "no_target"
    CANNOT_SPLIT = "cannot_split"
    BAD_ORDER = "bad_order"
    BAD_PERIOD = "bad_period"
    # running it
    TIMEOUT = "timeout"
    ROW_CAP = "row_cap"
    WAREHOUSE_UNAVAILABLE = "warehouse_unavailable"
    LLM_ERROR = "llm_error"
    # configuration and requests (surfaces, CLI)
    CATALOG_INVALID = "catalog_invalid"
    INVALID_CONFIG = "invalid_config"
    INVALID_REQUEST = "invalid_request"
    INVALID_ARGUMENT = "invalid_argument"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"


class AssistantError(Exception):
    """Root of every metricqa error."""


class InternalError(AssistantError):
    """A bug or an unexpected engine failure; the asker sees a generic message."""


class UserFacingError(AssistantError):
    """An error whose message is meant for the asker, rendered in their language.

    ``kind`` is a stable machine-readable code of the error class (e.g. ``metric_not_approved``);
    ``reason`` the typed reason a refusal reports (finer: ``sql``, ``too_long``, …);
    ``status`` is the answer status it maps to (``refused`` or ``clarify``) and
    ``http_status`` the HTTP code a surface should use. ``str()`` is the English text (for logs).
    """

    kind: str = "user_error"
    reason: RefusalReason = RefusalReason.UNSUPPORTED
    status: str = "refused"
    http_status: int = 400

    def __init__(
        self,
        message: Message,
        *,
        suggestions: list[str] | None = None,
        kind: str | None = None,
        reason: RefusalReason | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions or [])
        if kind:
            self.kind = kind
        if reason is not None:
            self.reason = reason
        self.details = dict(details or {})

    def message_for(self, language: str, messages: MessageCatalog = PACKAGED) -> str:
        """The message in ``language``, from ``messages`` (the packaged catalog unless one is passed)."""
        return messages.render(self.message, language)

    def __str__(self) -> str:
        try:
            return self.message_for(DEFAULT_LANGUAGE)
        except MessageCatalogError:  # a traceback must not fail on a message another catalog defines
            return f"{self.message.id} {dict(self.message.params)}"

    def to_dict(self, language: str = "en") -> dict[str, object]:
        return {
            "kind": self.kind,
            "reason": self.reason.value,
            "message": self.message_for(language),
            "suggestions": self.suggestions,
            "details": self.details,
        }


class InvalidTextError(UserFacingError):
    """Text that is not valid Unicode (a lone surrogate: "\\ud800 revenue", undecodable bytes on a
    command line): a clear 400, never a 500 or a traceback further down."""

    kind = "invalid_text"
    reason = RefusalReason.INVALID_REQUEST


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str) -> str:
    """``text`` when it is valid Unicode; else ``InvalidTextError`` naming the position."""
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise InvalidTextError(Message("error.invalid_text", {"position": bad.start() + 1}))
    return text


class UnknownMetricError(UserFacingError):
    kind = "unknown_metric"
    reason = RefusalReason.UNKNOWN_METRIC


class UnknownDimensionError(UserFacingError):
    kind = "unknown_dimension"
    reason = RefusalReason.UNKNOWN_DIMENSION


class UnknownMemberError(UserFacingError):
    kind = "unknown_member"
    reason = RefusalReason.UNKNOWN_MEMBER


class MetricNotApprovedError(UserFacingError):
    """Draft or deprecated metric: refused, naming the replacement when there is one."""

    kind = "metric_not_approved"
    reason = RefusalReason.NOT_APPROVED


class AccessDeniedError(UserFacingError):
    """The asker's role may not see this metric (or this scope)."""

    kind = "access_denied"
    reason = RefusalReason.ACCESS_DENIED
    http_status = 403


class UnsupportedQuestionError(UserFacingError):
    """Not a metric question, a request to change data, or a request to run SQL."""

    kind = "unsupported_question"
    reason = RefusalReason.UNSUPPORTED


class AmbiguousQuestionError(UserFacingError):
    """Two readings are close; ``options`` are the candidate interpretations."""

    kind = "ambiguous"
    reason = RefusalReason.AMBIGUOUS
    status = "clarify"

    def __init__(
        self,
        message: Message,
        *,
        options: list[str],
        suggestions: list[str] | None = None,
        details: dict[str, object] | None = None,
        reason: RefusalReason | None = None,
    ) -> None:
        super().__init__(message, suggestions=suggestions, details=details, reason=reason)
        self.options = options


class InvalidPlanError(UserFacingError):
    """The plan does not fit the catalog (e.g. a dimension a metric cannot be split by)."""

    kind = "invalid_plan"
    reason = RefusalReason.INVALID_PLAN


class WarehouseError(UserFacingError):
    """The warehouse is missing or cannot be opened."""

    kind = "warehouse_unavailable"
    reason = RefusalReason.WAREHOUSE_UNAVAILABLE
    http_status = 503


class QueryTimeoutError(UserFacingError):
    kind = "timeout"
    reason = RefusalReason.TIMEOUT
    http_status = 504


class RowCapError(UserFacingError):
    kind = "row_cap"
    reason = RefusalReason.ROW_CAP


class LLMError(UserFacingError):
    """The LLM planner failed; keeps the attempt count, the last raw output and the (English,
    technical) ``detail``."""

    kind = "llm_error"
    reason = RefusalReason.LLM_ERROR
    http_status = 502

    def __init__(self, detail: str, *, n_attempts: int, last_completion: str | None) -> None:
        super().__init__(Message("error.llm_failed", {"detail": detail}))
        self.detail = detail
        self.n_attempts = n_attempts
        self.last_completion = last_completion


@dataclass(frozen=True)
class CatalogIssue:
    """One problem found while loading or validating a catalog.

    ``message`` is for catalog authors and stays English (like a compiler's diagnostics); the
    error that carries the issues is rendered per language.
    """

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
        errors = sum(i.level == "error" for i in issues)
        lines = "\n".join(i.context_str() for i in issues)
        super().__init__(
            Message("error.catalog_invalid", {"errors": errors, "issues": lines}),
            kind="catalog_invalid",
            reason=RefusalReason.CATALOG_INVALID,
        )


class DbtImportError(UserFacingError):
    """`metricqa catalog import dbt`: the dbt project or manifest cannot be read, fails dbt's own checks, or the
    importer is not installed (the ``metricqa[dbt]`` extra)."""

    kind = "dbt_import"
    reason = RefusalReason.INVALID_ARGUMENT

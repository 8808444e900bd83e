"""The seam every surface (CLI, HTTP, Slack, alerts, evals) talks to.

``Assistant`` in assistant/pipeline.py implements it; tests of a surface may pass a fake.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.semantic.governance import scope_problems
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker


class AskService(Protocol):
    @property
    def catalog(self) -> Catalog: ...

    def ask(
        self,
        question: str,
        asker: Asker,
        *,
        session_id: str | None = None,
        as_of: date | None = None,
        chart_dir: Path | None = None,
        planner: str | None = None,
    ) -> Answer:
        """Answer a question end to end. Never raises UserFacingError: refusals come back as an Answer."""
        ...

    def run_plan(
        self,
        plan: QueryPlan,
        asker: Asker,
        *,
        language: str = "en",
        question: str = "",
        chart_dir: Path | None = None,
    ) -> Answer:
        """Validate, compile, execute, chart and narrate a ready plan (used by `metricqa query` and alerts)."""
        ...

    def list_metrics(self, asker: Asker, language: str = "en") -> list[dict[str, Any]]:
        """Approved metrics the asker may see: id, name, description, unit, owner, status, version."""
        ...

    def describe_metric(self, metric_id: str, asker: Asker, language: str = "en") -> dict[str, Any]:
        """Definition, versions/changelog, lineage tree, sources of one metric (raises UnknownMetricError/AccessDeniedError)."""
        ...

    def as_of(self) -> date:
        """The warehouse's as-of date."""
        ...


def configured_scope_problems(service: AskService, askers: Iterable[Asker]) -> list[str]:
    """``governance.scope_problems`` of every configured asker (API keys, Slack users), checked against the
    warehouse's members when the service can list them (a fake service of a surface's tests may not)."""
    members = service.member_keys() if hasattr(service, "member_keys") else None
    return [p for asker in askers for p in scope_problems(service.catalog, asker, members)]

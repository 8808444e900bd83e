"""What the planners share: the planning context, the ``Planner`` protocol and a ``Reading``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from metricqa.assistant.semantic.plan import Comparison, Evidence, Grain, QueryPlan
from metricqa.assistant.understanding.timeparse import TimeMatch
from metricqa.catalog.models import Catalog, Role
from metricqa.core.errors import Language


@dataclass(frozen=True)
class PlanningContext:
    catalog: Catalog
    members: dict[str, list[Any]]  # dimension id → retrieval.members.Member
    as_of: date
    candidates: list[Any] = field(default_factory=list)  # retrieval.index.Entry
    previous: QueryPlan | None = None
    role: Role | None = None


class Planner(Protocol):
    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan: ...


@dataclass
class Reading:
    """What the rules understood from one question, before it becomes a plan."""

    language: Language
    metrics: list[str] = field(default_factory=list)
    ambiguous: list[list[str]] = field(default_factory=list)  # spans naming several metrics
    dimensions: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    time: TimeMatch | None = None
    comparison: Comparison | None = None
    grain: Grain | None = None
    trend: bool = False
    rank: str | None = None  # desc | asc | best | worst | rank
    limit: int | None = None
    lagged: bool = False
    vague: bool = False
    followup: bool = False
    leftover: str = ""  # words no pass recognised (decides clarify vs refuse for vague questions)
    fuzzy: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    assumptions: list[tuple[str, str]] = field(default_factory=list)
    confidence: float = 0.95

    def changes_something(self) -> bool:
        return bool(
            self.metrics or self.dimensions or self.filters or self.time or self.comparison or self.grain
            or self.trend or self.rank or self.lagged
        )  # fmt: skip

    def note(self, en: str, zh: str) -> None:
        if (en, zh) not in self.assumptions:
            self.assumptions.append((en, zh))

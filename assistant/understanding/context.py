"""What the planners share: the planning context, the ``Planner`` protocol, a ``Reading`` and the
plan notes (how a question was read, as ``Message``s rendered per language)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from metricqa.assistant.semantic.plan import Comparison, Evidence, Grain, QueryPlan
from metricqa.assistant.understanding.grammar import Change, ThresholdPhrase, Word
from metricqa.assistant.understanding.timeparse import TimeMatch
from metricqa.catalog.models import Catalog, Role
from metricqa.core.errors import Language
from metricqa.core.messages import Message, render


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
    question: str = ""
    metrics: list[str] = field(default_factory=list)
    ambiguous: list[list[str]] = field(default_factory=list)  # spans naming several metrics
    dimensions: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    time: TimeMatch | None = None
    comparison: Comparison | None = None
    grain: Grain | None = None
    time_dimension: str | None = None  # "closed in May": the facts dated by this time dimension
    trend: bool = False
    rank: str | None = None  # desc | asc | best | worst | rank
    limit: int | None = None
    lagged: bool = False
    followup: bool = False
    fuzzy: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)  # how the question was read (plan assumptions)
    confidence: float = 0.95
    # question shapes (grammar.read_shape)
    baseline: TimeMatch | None = None  # the second period of "A vs B"
    excluded: dict[str, list[str]] = field(default_factory=dict)  # dimension → member keys (NOT IN)
    share: bool = False
    change: Change | None = None  # rank by the change, not the level
    thresholds: list[ThresholdPhrase] = field(default_factory=list)
    target_list: Literal["missed", "met"] | None = None  # every member below / above target
    plural: bool = False  # "which regions", "哪些": every member that fits, not only the first
    unaccounted: list[Word] = field(default_factory=list)  # content words no token consumed
    metric_named: bool = False  # a metric was named in the question (not guessed from examples/retrieval)
    guess_support: float = 0.0  # for a guessed metric: the example overlap or retrieval similarity
    described: bool = False  # the metric was read from its description, not its name (paraphrase.py)
    # lists (lists.py): "list the products with their line"
    listing: bool = False
    attributes: list[tuple[str, str]] = field(default_factory=list)  # (dimension, attribute) asked
    sort: tuple[str, str] | None = None  # "by date": the (dimension, attribute) the list is sorted by
    which: str | None = None  # "which customers …": the word whose members are asked for

    def changes_something(self) -> bool:
        return bool(
            self.metrics or self.dimensions or self.filters or self.time or self.comparison or self.grain
            or self.trend or self.rank or self.lagged
        )  # fmt: skip

    def note(self, message_id: str, **params: Any) -> None:
        """Record an assumption as a message (``note.*`` in the message catalog), once."""
        message = Message(message_id, params)
        if message not in self.notes:
            self.notes.append(message)


def note_fields(notes: Sequence[Message]) -> dict[str, Any]:
    """The plan fields for ``notes``: the messages, and the spec's ``assumptions`` / ``assumptions_zh``
    rendered from them."""
    return {
        "notes": tuple(notes),
        "assumptions": tuple(render(n, "en") for n in notes),
        "assumptions_zh": tuple(render(n, "zh") for n in notes),
    }


def plan_notes(plan: QueryPlan) -> list[Message]:
    """A plan's notes; for a plan stored without them (an older session), its en/zh texts as notes."""
    if plan.notes or not plan.assumptions:
        return list(plan.notes)
    zh = list(plan.assumptions_zh) + list(plan.assumptions[len(plan.assumptions_zh) :])
    return [
        Message("note.text", {"text": {"en": en, "zh": z}})
        for en, z in zip(plan.assumptions, zh, strict=True)
    ]

"""Helpers the planner's stages share: the catalog's example questions, a refusal with them, metric
options and the retrieval candidates' scores."""

from __future__ import annotations

from collections.abc import Sequence

from metricqa.assistant.understanding.context import PlanningContext
from metricqa.catalog.models import Catalog, Dimension, Metric
from metricqa.core.errors import RefusalReason, UnsupportedQuestionError
from metricqa.core.messages import Listing, Message

EXAMPLE_MIN_OVERLAP = 0.6
CANDIDATE_MIN_SIMILARITY = 0.45
CANDIDATE_MARGIN = 0.03
RANK_ONLY = {"rank", "ranking", "ranked", "排名", "排行"}


def catalog_examples(catalog: Catalog, language: str, n: int = 3) -> list[str]:
    examples = [m.examples.zh if language == "zh" else m.examples.en for m in catalog.approved_metrics()]
    return [ex[0] for ex in examples if ex][:n]


def unsupported(catalog: Catalog, reason: RefusalReason, why: Message | None = None) -> Exception:
    """Refuse with ``why`` (default: the ``unsupported.<reason>`` message) and the catalog's example
    questions (each language's own examples)."""
    en, zh = catalog_examples(catalog, "en"), catalog_examples(catalog, "zh")
    examples = {"en": Listing(en, "examples"), "zh": Listing(zh, "examples")}
    message = Message(
        "error.unsupported", {"reason": why or Message(f"unsupported.{reason}"), "examples": examples}
    )
    return UnsupportedQuestionError(message, suggestions=en + zh, reason=reason)


def metric_option(entry: Metric | Dimension) -> str:
    """A metric or dimension as an option to pick: "Revenue (销售额)"."""
    zh = entry.name.zh
    return f"{entry.name.en} ({zh})" if zh and zh != entry.name.en else entry.name.en


def key_metrics(catalog: Catalog, n: int = 4) -> list[Metric]:
    approved = catalog.approved_metrics()
    with_target = [m for m in approved if m.target is not None]
    return (with_target + [m for m in approved if m.target is None])[:n]


def candidate_scores(ctx: PlanningContext) -> dict[str, float]:
    """Best retrieval score per metric id (metric and example entries), similarity preferred."""
    scores: dict[str, float] = {}
    for entry in ctx.candidates:
        if getattr(entry, "kind", None) not in ("metric", "example"):
            continue
        meta = getattr(entry, "metadata", {}) or {}
        score = float(meta.get("similarity", entry.score))
        if entry.entry_id in ctx.catalog.metrics:
            scores[entry.entry_id] = max(scores.get(entry.entry_id, 0.0), score)
    return scores


def nearest_options(ctx: PlanningContext, read: Sequence[str], n: int = 3) -> list[str]:
    """The options of a question back: the metrics ``read`` from the question first, then those retrieval
    ranks at least ``CANDIDATE_MIN_SIMILARITY``, ``n`` at most."""
    ranked = sorted(candidate_scores(ctx).items(), key=lambda kv: -kv[1])
    ids = dict.fromkeys([*read, *(i for i, s in ranked if s >= CANDIDATE_MIN_SIMILARITY)])
    return [metric_option(ctx.catalog.metrics[i]) for i in list(ids)[:n]]

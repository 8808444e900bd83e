"""The planners by name: ``rules`` (the default, no LLM), ``llm`` and ``hybrid``."""

from __future__ import annotations

from metricqa.assistant.understanding.context import Planner
from metricqa.assistant.understanding.llm_planner import HybridPlanner, LLMPlanner
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.core.settings import Settings

PLANNERS = ("rules", "llm", "hybrid")


def make_planner(name: str, settings: Settings) -> Planner:
    """``rules`` | ``llm`` | ``hybrid``, configured from ``settings``."""
    rules = RulePlanner(max_chars=settings.max_question_chars, min_confidence=settings.min_answer_confidence)
    if name == "rules":
        return rules
    llm = LLMPlanner.from_settings(settings, fallback=rules)
    if name == "llm":
        return llm
    if name == "hybrid":
        return HybridPlanner(rules, llm, threshold=settings.hybrid_threshold)
    raise ValueError(f"unknown planner {name!r} (known: rules, llm, hybrid)")

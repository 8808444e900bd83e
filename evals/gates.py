"""Eval gates: what CI holds the eval to (evals/gates.yaml).

An overall accuracy floor, a floor per category, and ceilings on answered-with-wrong-numbers and
leaks. The gates are set at what the code reaches and raised as it improves; a regression fails CI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Gates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    overall_floor: float = Field(ge=0.0, le=1.0)
    category_floors: dict[str, float] = Field(default_factory=dict)
    language_floors: dict[str, float] = Field(default_factory=dict)
    max_wrong_answers: int = Field(ge=0)
    max_leaks: int = Field(default=0, ge=0)


def load_gates(path: Path) -> Gates:
    return Gates.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _floor(name: str, part: Mapping[str, Any] | None, floor: float) -> list[str]:
    if part is None:
        return [f"{name}: no cases (gate {100 * floor:.1f}%)"]
    if part["accuracy"] < floor:
        return [f"{name} accuracy {100 * part['accuracy']:.1f}% is below its gate {100 * floor:.1f}%"]
    return []


def check_gates(summary: Mapping[str, Any], gates: Gates) -> list[str]:
    """Every gate the summary fails, in words (empty when all hold)."""
    overall = summary["overall"]
    failures = _floor("overall", overall, gates.overall_floor)
    for kind, floors in (("by_category", gates.category_floors), ("by_language", gates.language_floors)):
        for name, floor in sorted(floors.items()):
            failures += _floor(f"{kind.removeprefix('by_')} {name}", summary[kind].get(name), floor)
    if overall["wrong_answers"] > gates.max_wrong_answers:
        failures.append(
            f"answered with wrong numbers: {overall['wrong_answers']} > gate {gates.max_wrong_answers}"
        )
    if overall["leaks"] > gates.max_leaks:
        failures.append(f"leaks: {overall['leaks']} > gate {gates.max_leaks}")
    return failures

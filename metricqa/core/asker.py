"""Who is asking: a role and the scope values its row filters need."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Asker:
    role: str = "exec"
    scope: dict[str, str] = field(default_factory=dict)  # e.g. {"region": "EAST"} or {"rep": "R0001"}
    user: str = "cli"

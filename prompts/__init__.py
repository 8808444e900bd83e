"""Prompt templates live here as files; this module only loads and fills them.

A template is a Markdown file with ``$name`` placeholders (``string.Template``), so JSON examples
in a prompt need no escaping. Filling a template with a missing or unknown variable is an error.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict

PROMPTS_DIR = Path(str(resources.files(__name__)))
_PLACEHOLDER = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class PromptTemplate(BaseModel):
    """One prompt file: its name, text and the variables it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    text: str

    @property
    def variables(self) -> set[str]:
        return {a or b for a, b in _PLACEHOLDER.findall(self.text)}

    def render(self, **values: object) -> str:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ValueError(f"prompt {self.name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return Template(self.text).substitute({k: str(v) for k, v in values.items()})


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptTemplate:
    """``load_prompt("plan_system")`` reads ``prompts/plan_system.md``."""
    path = directory / f"{name}.md"
    return PromptTemplate(name=name, text=path.read_text(encoding="utf-8"))

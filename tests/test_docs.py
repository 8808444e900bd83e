"""Every setting and every catalog YAML field is documented (Datasette's test_settings_are_documented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from metricqa.catalog.loader import SECTIONS
from metricqa.core.settings import Settings

DOC = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert Settings.model_fields[name].description
    assert re.search(rf"^\| `{name}` \|", DOC, re.M), f"setting {name} missing from docs/configuration.md"


@pytest.mark.parametrize(
    ("section", "field"),
    [(s, f) for s, model in SECTIONS.items() for f in model.model_fields if f != "source"],
)
def test_catalog_field_is_documented(section: str, field: str) -> None:
    model: type[BaseModel] = SECTIONS[section]
    assert field in model.model_fields
    part = DOC.split(f"### `{section}`", 1)[1].split("###", 1)[0]
    assert f"| `{field}` |" in part, f"{section}.{field} missing from docs/configuration.md"

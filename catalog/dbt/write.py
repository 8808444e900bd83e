"""Write an imported catalog: YAML files ``metricqa catalog validate`` reads, and ``import-report.md``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from metricqa.catalog.dbt.convert import convert
from metricqa.catalog.dbt.mapping import Imported
from metricqa.catalog.dbt.read import DbtSource, read_dbt
from metricqa.catalog.loader import catalog_files, load_catalog
from metricqa.catalog.models import Catalog, Metric, SemanticModel
from metricqa.core.errors import DbtImportError
from metricqa.core.messages import Message

REPORT_NAME = "import-report.md"
FILES = {  # file → the sections it holds
    "models.yaml": ("time_dimensions", "models", "measures"),
    "dimensions.yaml": ("dimensions",),
    "metrics.yaml": ("metrics",),
    "roles.yaml": ("roles",),
}
HEADER = "# Imported from dbt ({origin}: {path}) by `metricqa catalog import dbt`. See import-report.md.\n"


@dataclass(frozen=True)
class ImportResult:
    catalog: Catalog
    imported: Imported
    report: str
    out: Path


def import_dbt(
    path: Path, out: Path, *, approve: bool = False, schema: str | None = None, force: bool = False
) -> ImportResult:
    """Read the dbt project or manifest at ``path``, write the catalog and report to ``out``, load it back."""
    source = read_dbt(path, schema)
    if out.is_dir() and catalog_files(out) and not force:
        raise DbtImportError(Message("error.dbt_out_not_empty", {"path": str(out)}))
    imported = convert(source, approve=approve, schema=schema)
    out.mkdir(parents=True, exist_ok=True)
    for name, sections in FILES.items():
        body = {s: [_entry(e) for e in getattr(imported, s)] for s in sections if getattr(imported, s)}
        text = HEADER.format(origin=source.origin, path=source.path) + yaml.safe_dump(
            body, sort_keys=False, allow_unicode=True, width=110
        )
        (out / name).write_text(text, encoding="utf-8")
    report = render_report(source, imported)
    (out / REPORT_NAME).write_text(report, encoding="utf-8")
    return ImportResult(load_catalog(out), imported, report, out)


def _entry(entry: BaseModel) -> dict[str, Any]:
    """An entry as YAML data: defaults left out, except what a reviewer must see (status, join cardinality)."""
    data: dict[str, Any] = entry.model_dump(mode="json", exclude_defaults=True, exclude={"source"})
    if isinstance(entry, Metric):
        data["status"] = entry.status.value
    if isinstance(entry, SemanticModel):
        for join, written in zip(entry.joins, data.get("joins", []), strict=True):
            written["cardinality"] = join.cardinality.value
    return data


def _lines(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return [f"- {a}: {b}" for a, b in pairs]


def render_report(source: DbtSource, imported: Imported) -> str:
    """What was mapped, what to review, what was not mapped (markdown, also printed)."""
    sizes = ", ".join(
        f"{len(getattr(imported, s))} {s.replace('_', ' ')}"
        for s in ("models", "measures", "metrics", "dimensions", "time_dimensions", "roles")
    )
    review = [(f.element, f.reason) for f in imported.findings if f.kind == "review"]
    unmapped = [(f.element, f.reason) for f in imported.findings if f.kind == "unmapped"]
    parts = [
        "# dbt import report",
        "",
        f"From the {source.origin} at `{source.path}`: {sizes}.",
        "",
        f"## Not mapped ({len(unmapped)})",
        "",
        *(_lines(unmapped) or ["- nothing"]),
        "",
        f"## To review ({len(review)})",
        "",
        *_lines(review),
        "",
        f"## Mapped ({len(imported.mapped)})",
        "",
        *_lines(imported.mapped),
        "",
    ]
    return "\n".join(parts)

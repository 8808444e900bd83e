"""Parse a catalog directory of YAML files into a typed ``Catalog``.

Parsing only: every entry keeps its file and line; pydantic errors are turned into
``CatalogIssue``s that name the file, line and field. Cross-entry checks live in
``catalog.validation``. ``load_catalog`` runs both and raises one ``CatalogError`` with every issue.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from metricqa.catalog.models import (
    AlertRule,
    Catalog,
    CatalogDefaults,
    Dimension,
    Measure,
    Metric,
    Role,
    SemanticModel,
    SourceLocation,
    TimeDimension,
)
from metricqa.catalog.validation import validate_catalog
from metricqa.core.errors import CatalogError, CatalogIssue

SECTIONS: dict[str, type[BaseModel]] = {
    "models": SemanticModel,
    "measures": Measure,
    "metrics": Metric,
    "dimensions": Dimension,
    "roles": Role,
    "alerts": AlertRule,
    "time_dimensions": TimeDimension,
}

LINES_KEY = "__lines__"


class _LineLoader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that records, for every mapping, the line of each key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    lines: dict[str, int] = {"": node.start_mark.line + 1}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[str(key)] = key_node.start_mark.line + 1
    mapping[LINES_KEY] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def strip_lines(value: Any) -> Any:
    """Remove the recorded line maps from parsed YAML."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINES_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def line_of(raw: Any, loc: tuple[Any, ...]) -> int | None:
    """Best line for a pydantic error location inside ``raw``."""
    line: int | None = raw.get(LINES_KEY, {}).get("") if isinstance(raw, dict) else None
    node = raw
    for part in loc:
        if isinstance(node, dict):
            line = node.get(LINES_KEY, {}).get(str(part), line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict):
                line = node.get(LINES_KEY, {}).get("", line)
        else:
            break
    return line


def read_yaml(path: Path) -> tuple[Any, list[CatalogIssue]]:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader), []  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [
            CatalogIssue("error", f"YAML syntax error: {getattr(exc, 'problem', exc)}", str(path), line)
        ]


def parse_entry(section: str, raw: Any, path: Path) -> tuple[BaseModel | None, list[CatalogIssue]]:
    """Validate one YAML mapping into its model, attaching its source location."""
    if not isinstance(raw, dict):
        return None, [CatalogIssue("error", f"each entry of `{section}` must be a mapping", str(path))]
    line = raw.get(LINES_KEY, {}).get("", 0)
    data = strip_lines(raw)
    data["source"] = {"file": str(path), "line": line}
    try:
        return SECTIONS[section].model_validate(data), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or None
            entry = data.get("id", "?")
            issues.append(
                CatalogIssue(
                    "error", f"{section} `{entry}`: {err['msg']}", str(path), line_of(raw, loc) or line, field
                )
            )
        return None, issues


DEFAULTS_KEY = "defaults"


def parse_defaults(
    raw: Any, path: Path, line: int | None
) -> tuple[CatalogDefaults | None, list[CatalogIssue]]:
    """The ``defaults:`` mapping (period, as_of) of one catalog file."""
    if not isinstance(raw, dict):
        return None, [CatalogIssue("error", "`defaults` must be a mapping", str(path), line, DEFAULTS_KEY)]
    data = strip_lines(raw)
    data["source"] = {"file": str(path), "line": line or 0}
    try:
        return CatalogDefaults.model_validate(data), []
    except ValidationError as exc:
        return None, [
            CatalogIssue(
                "error",
                f"defaults: {err['msg']}",
                str(path),
                line_of(raw, tuple(err["loc"])) or line,
                ".".join(str(p) for p in err["loc"]) or None,
            )
            for err in exc.errors()
        ]


def parse_file(path: Path) -> tuple[dict[str, list[BaseModel]], list[CatalogIssue]]:
    raw, issues = read_yaml(path)
    found: dict[str, list[BaseModel]] = {s: [] for s in SECTIONS}
    found[DEFAULTS_KEY] = []
    if raw is None:
        return found, issues
    if not isinstance(raw, dict):
        return found, [CatalogIssue("error", "a catalog file must be a mapping of sections", str(path), 1)]
    for key, entries in raw.items():
        if key == LINES_KEY:
            continue
        line = raw[LINES_KEY].get(str(key))
        if key == DEFAULTS_KEY:
            defaults, default_issues = parse_defaults(entries, path, line)
            issues.extend(default_issues)
            found[DEFAULTS_KEY] += [defaults] if defaults is not None else []
            continue
        if key not in SECTIONS:
            known = ", ".join([*SECTIONS, DEFAULTS_KEY])
            issues.append(
                CatalogIssue("error", f"unknown section `{key}` (known: {known})", str(path), line, key)
            )
            continue
        if not isinstance(entries, list):
            issues.append(CatalogIssue("error", f"section `{key}` must be a list", str(path), line, key))
            continue
        for raw_entry in entries:
            entry, entry_issues = parse_entry(key, raw_entry, path)
            issues.extend(entry_issues)
            if entry is not None:
                found[key].append(entry)
    return found, issues


def _index(section: str, entries: list[BaseModel], issues: list[CatalogIssue]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in entries:
        entry_id = entry.id  # type: ignore[attr-defined]
        src: SourceLocation | None = entry.source  # type: ignore[attr-defined]
        if entry_id in out:
            first = out[entry_id].source
            issues.append(
                CatalogIssue(
                    "error",
                    f"{section} id `{entry_id}` is defined twice (first {first.context_str() if first else ''})",
                    src.file if src else "?",
                    src.line if src else None,
                    "id",
                )
            )
            continue
        out[entry_id] = entry
    return out


def catalog_files(root: Path) -> list[Path]:
    return sorted([*root.glob("*.yaml"), *root.glob("*.yml")])


def content_hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def parse_catalog(root: Path) -> tuple[Catalog | None, list[CatalogIssue]]:
    """Parse every YAML file under ``root``; returns the catalog (None if unusable) and all issues."""
    if not root.is_dir():
        return None, [CatalogIssue("error", "catalog directory does not exist", str(root))]
    files = catalog_files(root)
    if not files:
        return None, [CatalogIssue("error", "catalog directory has no .yaml files", str(root))]
    issues: list[CatalogIssue] = []
    collected: dict[str, list[BaseModel]] = {s: [] for s in [*SECTIONS, DEFAULTS_KEY]}
    for path in files:
        found, file_issues = parse_file(path)
        issues.extend(file_issues)
        for section, entries in found.items():
            collected[section].extend(entries)
    defaults = [d for d in collected.pop(DEFAULTS_KEY) if isinstance(d, CatalogDefaults)]
    if len(defaults) > 1:
        src = defaults[1].source
        where = (src.file, src.line) if src else (str(root), None)
        issues.append(CatalogIssue("error", "`defaults` is given in more than one file", *where))
    indexed = {section: _index(section, entries, issues) for section, entries in collected.items()}
    catalog = Catalog(
        root=str(root),
        content_hash=content_hash(files),
        defaults=defaults[0] if defaults else CatalogDefaults(),
        **indexed,
    )
    return catalog, issues


def load_catalog(root: Path, schema: dict[str, dict[str, str]] | None = None) -> Catalog:
    """Parse and validate a catalog. ``schema`` (table → column → type) enables warehouse checks.

    Raises ``CatalogError`` listing every error (warnings alone do not fail).
    """
    catalog, issues = parse_catalog(Path(root))
    if catalog is not None:
        issues.extend(validate_catalog(catalog, schema))
    if catalog is None or any(i.level == "error" for i in issues):
        raise CatalogError(issues)
    return catalog

"""Read a dbt semantic layer: a dbt project's YAML, or the ``target/semantic_manifest.json`` that ``dbt parse``
writes, checked against dbt-semantic-interfaces' pydantic models (the ones dbt itself builds).

dsi's own directory parser expects a whole dbt project context (one ``semantic_model:`` per document, node
relations resolved), so the project's YAML is read here: ``semantic_models``, ``metrics``, ``saved_queries`` and
``groups`` from every YAML file under the project's model paths, ``model: ref('x')`` resolved to table ``x``.
No dbt run is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from metricqa.core.errors import DbtImportError
from metricqa.core.messages import Message

if TYPE_CHECKING:
    from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest

MANIFEST_NAME = "semantic_manifest.json"
PROJECT_FILE = "dbt_project.yml"
_REF = re.compile(r"""^\s*ref\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]\s*(?:,[^)]*)?\)\s*$""")


@dataclass(frozen=True)
class DbtSource:
    """What was read: the manifest (dsi's typed objects), where from, and the group owners dbt keeps outside it."""

    manifest: PydanticSemanticManifest
    origin: str  # "project YAML" or "semantic manifest"
    path: Path
    warnings: tuple[str, ...] = ()  # dbt's own checks (dsi's validator) that warn
    group_owners: dict[str, str] = field(default_factory=dict)  # dbt group → its owner's name or email
    metric_groups: dict[str, str] = field(default_factory=dict)  # metric → its dbt group


def _dsi() -> Any:
    """dbt-semantic-interfaces, or a clear error naming the extra to install."""
    try:
        from dbt_semantic_interfaces.implementations import semantic_manifest
    except ImportError as exc:
        raise DbtImportError(Message("error.dbt_not_installed", {"error": str(exc)})) from exc
    return semantic_manifest


def read_dbt(path: Path, schema: str | None = None) -> DbtSource:
    """A dbt project directory (its YAML) or a ``semantic_manifest.json`` file, as a checked dsi manifest.

    ``schema`` prefixes every table the project's ``ref()``s name (``analytics`` → ``analytics.orders``).
    """
    if not path.exists():
        raise DbtImportError(Message("error.dbt_path_missing", {"path": str(path)}))
    if path.is_file() and path.suffix == ".json":
        return _read_manifest(path)
    if path.is_dir() and (path / PROJECT_FILE).is_file():
        return _read_project(path, schema)
    raise DbtImportError(Message("error.dbt_not_a_project", {"path": str(path)}))


def _read_manifest(path: Path) -> DbtSource:
    module = _dsi()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DbtImportError(Message("error.dbt_unreadable", {"path": str(path), "error": str(exc)})) from exc
    manifest = _checked(module.PydanticSemanticManifest, raw, str(path))
    return DbtSource(
        manifest=manifest, origin="semantic manifest", path=path, warnings=_dbt_checks(manifest, str(path))
    )


def _yaml_files(project: Path) -> Iterator[Path]:
    config = _load_yaml(project / PROJECT_FILE)
    dirs = config.get("model-paths", ["models"]) if isinstance(config, dict) else ["models"]
    for folder in dirs:
        yield from sorted([*(project / folder).rglob("*.yml"), *(project / folder).rglob("*.yaml")])


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DbtImportError(Message("error.dbt_unreadable", {"path": str(path), "error": str(exc)})) from exc


def _table(model: Any, schema: str | None, where: str) -> dict[str, str]:
    """``ref('orders')`` → the node relation dsi expects (alias ``orders``, schema ``schema`` or main)."""
    found = _REF.match(model) if isinstance(model, str) else None
    if found is None:
        problem = f"{where}: `model` must be ref('a_model'), not {model!r}"
        raise DbtImportError(Message("error.dbt_invalid", {"count": 1, "problems": problem}))
    return {"alias": found.group(1), "schema_name": schema or "main"}


def _with_meta(entry: dict[str, Any]) -> dict[str, Any]:
    """dbt allows ``meta:`` beside ``config:``; dsi keeps ``config.meta`` only."""
    out = dict(entry)
    meta = out.pop("meta", None)
    if isinstance(meta, dict):
        config = dict(out.get("config") or {})
        config["meta"] = {**meta, **(config.get("meta") or {})}
        out["config"] = config
    return out


def _read_project(project: Path, schema: str | None) -> DbtSource:
    module = _dsi()
    sections: dict[str, list[Any]] = {"semantic_models": [], "metrics": [], "saved_queries": [], "groups": []}
    for path in _yaml_files(project):
        raw = _load_yaml(path)
        if not isinstance(raw, dict):
            continue
        for key, entries in sections.items():
            found = raw.get(key) or []
            if not isinstance(found, list):
                problem = f"{path}: `{key}` must be a list"
                raise DbtImportError(Message("error.dbt_invalid", {"count": 1, "problems": problem}))
            entries += [(e, path) for e in found]
    models = []
    for entry, path in sections["semantic_models"]:
        if not isinstance(entry, dict):
            continue
        model = _with_meta({k: v for k, v in entry.items() if k != "model"})
        model["node_relation"] = _table(
            entry.get("model"), schema, f"{path} semantic model {entry.get('name')}"
        )
        models.append(model)
    metrics = [_metric_inputs(_with_meta(e)) for e, _ in sections["metrics"] if isinstance(e, dict)]
    raw_manifest = {
        "semantic_models": models,
        "metrics": metrics,
        "saved_queries": [e for e, _ in sections["saved_queries"]],
        "project_configuration": {"time_spine_table_configurations": []},
    }
    manifest = _checked(module.PydanticSemanticManifest, raw_manifest, str(project))
    groups = [g for g, _ in sections["groups"] if isinstance(g, dict) and "name" in g]
    return DbtSource(
        manifest=manifest,
        origin="project YAML",
        path=project,
        warnings=_dbt_checks(manifest, str(project)),
        group_owners={g["name"]: _owner_name(g.get("owner")) for g in groups if _owner_name(g.get("owner"))},
        metric_groups={
            m["name"]: str(m.get("group") or (m.get("config") or {}).get("group"))
            for m in metrics
            if "name" in m and (m.get("group") or (m.get("config") or {}).get("group"))
        },
    )


def _metric_inputs(metric: dict[str, Any]) -> dict[str, Any]:
    """dbt's YAML names a ratio's or derived metric's input metric by its name alone; dsi wants ``{name: …}``."""
    params = metric.get("type_params")
    if not isinstance(params, dict):
        return metric
    params = dict(params)
    for key in ("numerator", "denominator"):
        if isinstance(params.get(key), str):
            params[key] = {"name": params[key]}
    if isinstance(params.get("metrics"), list):
        params["metrics"] = [{"name": m} if isinstance(m, str) else m for m in params["metrics"]]
    return {**metric, "type_params": params}


def _owner_name(owner: Any) -> str:
    if isinstance(owner, dict):
        return str(owner.get("name") or owner.get("email") or "")
    return str(owner or "")


def _checked(model: Any, raw: Any, where: str) -> Any:
    """``raw`` parsed by a dsi pydantic model; its validation errors are one clear error."""
    from dbt_semantic_interfaces.errors import ParsingException

    try:
        return model.parse_obj(raw)
    except (ValueError, TypeError, ParsingException) as exc:
        errors = exc.errors() if hasattr(exc, "errors") else [{"loc": (), "msg": str(exc)}]
        problems = "\n".join(
            f"{where}: {_place(raw, tuple(e.get('loc', ())))}: {e.get('msg')}" for e in errors
        )
        raise DbtImportError(
            Message("error.dbt_invalid", {"count": len(errors), "problems": problems})
        ) from exc


def _dbt_checks(manifest: PydanticSemanticManifest, where: str) -> tuple[str, ...]:
    """dbt's own semantic checks (dsi's ``SemanticManifestValidator``, as ``dbt parse`` runs them): an error
    stops the import, as it stops dbt; warnings go to the report."""
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
    from dbt_semantic_interfaces.validations.validator_helpers import ValidationIssueLevel

    if not manifest.semantic_models:
        raise DbtImportError(Message("error.dbt_nothing", {"path": where}))

    issues = SemanticManifestValidator[Any]().validate_semantic_manifest(manifest)
    errors = [i.as_readable_str() for i in issues.all_issues if i.level is ValidationIssueLevel.ERROR]
    if errors:
        problems = "\n".join(errors)
        raise DbtImportError(Message("error.dbt_invalid", {"count": len(errors), "problems": problems}))
    return tuple(i.as_readable_str() for i in issues.all_issues if i.level is not ValidationIssueLevel.ERROR)


def _place(raw: Any, loc: tuple[Any, ...]) -> str:
    """A pydantic error location with list indexes named by the entry's name (``metrics[revenue]``)."""
    out: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            name = node.get("name") if isinstance(node, dict) else None
            out[-1:] = [f"{out[-1] if out else ''}[{name or part}]"]
            continue
        node = node.get(part) if isinstance(node, dict) else None
        out.append(str(part))
    return ".".join(out)

"""Message catalogs for tests: the packaged files plus extra messages or languages, in a folder the
test owns (passed in, never patched into the package)."""

from __future__ import annotations

from pathlib import Path

import yaml

from metricqa.core.messages import PACKAGED, MessageCatalog


def catalog_with(folder: Path, extra: dict[str, dict[str, object]]) -> MessageCatalog:
    """The packaged languages plus ``extra`` (language → nested messages, merged at the top level,
    e.g. ``{"fr": {"error": {...}}}`` adds a French file)."""
    folder.mkdir(parents=True, exist_ok=True)
    for language in {*PACKAGED.languages(), *extra}:
        packaged = PACKAGED.folder.joinpath(f"{language}.yaml")
        data = yaml.safe_load(packaged.read_text(encoding="utf-8")) if packaged.is_file() else {}
        for key, value in extra.get(language, {}).items():
            merged = {**data.get(key, {}), **value} if isinstance(value, dict) else value
            data[key] = merged
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{language}.yaml").write_text(text, encoding="utf-8")
    return MessageCatalog(folder)

"""User-facing text, one catalog per language, keyed by message id (style.md §9 "Messages by id").

Stages return data: an error or a refusal carries a ``Message(id, params)``; a surface renders it in the
asker's language with ``render``. The text lives in ``messages/<language>.yaml`` (package data); adding a
language is adding a file. A message id missing from a language falls back to English, and a test
checks that every language has every id with the same parameters.

    >>> render(Message("error.unknown_metric", {"metric": "churn"}), "zh")
    '未知指标 `churn`。'
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

DEFAULT_LANGUAGE = "en"


class MessageCatalogError(LookupError):
    """A message id that no language defines, or a parameter a template needs but was not given."""


@dataclass(frozen=True)
class Message:
    """A message id and its parameters: what stages return instead of text."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        return render(self, language)


@cache
def catalog(language: str) -> Mapping[str, str]:
    """The messages of one language (empty for a language without a file)."""
    path = resources.files(__package__ or "metricqa.core").joinpath("messages", f"{language}.yaml")
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _flatten(data)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def languages() -> tuple[str, ...]:
    """Languages that have a message file."""
    folder = resources.files(__package__ or "metricqa.core").joinpath("messages")
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")))


def template(message_id: str, language: str) -> str:
    text = catalog(language).get(message_id) or catalog(DEFAULT_LANGUAGE).get(message_id)
    if text is None:
        raise MessageCatalogError(f"no message {message_id!r} in {language!r} or {DEFAULT_LANGUAGE!r}")
    return text


def parameters(text: str) -> set[str]:
    """The ``{name}`` fields a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(message: Message | str, language: str, /, **params: Any) -> str:
    """The text of ``message`` (a ``Message`` or an id with ``params``) in ``language``."""
    if isinstance(message, str):
        message = Message(message, params)
    text = template(message.id, language)
    try:
        return text.format(**message.params)
    except KeyError as exc:
        raise MessageCatalogError(f"message {message.id!r} needs parameter {exc.args[0]!r}") from exc

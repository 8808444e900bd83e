"""User-facing text, one catalog per language, keyed by message id (style.md §9 "Messages by id").

Stages return data: an error, a refusal or a plan note carries a ``Message(id, params)``; a surface
renders it in the asker's language with ``render``. The text lives in ``messages/<language>.yaml``
(package data); adding a language is adding a file. A message id missing from a language falls back
to English, and a test checks that every language has every id with the same parameters.

    >>> render(Message("error.unknown_metric", {"metric": "churn"}), "zh")
    '未知指标 `churn`。'

A parameter is rendered for the language before it is put into the template:

- a ``Message`` renders itself (an optional clause: pass ``None`` to leave it out);
- ``None`` renders as nothing;
- a ``Listing`` (or a plain list or tuple) is joined the way ``format.<style>`` says in that
  language (``"a, b"`` / ``"a、b"``; ``"a, b and c"`` / ``"a、b和c"`` with the ``words`` style);
- a text per language (a mapping such as ``{"en": "Revenue", "zh": "销售额"}``, or anything with
  ``get(language)`` like a catalog ``Text``) gives that language's text, else the English one;
- anything else goes in as it is, so ``{n:g}`` or ``{name!r}`` in a template work as in ``str.format``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

DEFAULT_LANGUAGE = "en"


class MessageCatalogError(LookupError):
    """A message id that no language defines, or a parameter a template needs but was not given."""


@dataclass(frozen=True)
class Message:
    """A message id and its parameters: what stages return instead of text.

    ``str()`` gives the English text, for logs and tracebacks; surfaces render with a language.
    """

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        return render(self, language)

    def __str__(self) -> str:
        return render(self, DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class Listing:
    """A list parameter, joined per language by ``format.<style>``: ``separator``, ``item`` (with
    ``{item}`` and its 1-based ``{n}``), ``empty`` (the text of an empty list) and, if the style
    has one, ``last`` (what goes before the last of two or more items instead of ``separator``)."""

    items: Sequence[Any]
    style: str = "list"


@runtime_checkable
class Localized(Protocol):
    """A text per language: a mapping language → text, or a catalog ``Text``."""

    def get(self, language: str, /) -> Any: ...


class MessageCatalog:
    """The message files of one folder, ``<folder>/<language>.yaml``, each read once."""

    def __init__(self, folder: Traversable | Path) -> None:
        self.folder = folder
        self._loaded: dict[str, Mapping[str, str]] = {}

    def messages(self, language: str) -> Mapping[str, str]:
        """The messages of one language, flattened to dotted ids (empty for a language without a file)."""
        if language not in self._loaded:
            path = self.folder.joinpath(f"{language}.yaml")
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
            self._loaded[language] = _flatten(data or {})
        return self._loaded[language]

    def languages(self) -> tuple[str, ...]:
        """Languages that have a message file."""
        names = (p.name for p in self.folder.iterdir() if p.is_file())
        return tuple(sorted(n.removesuffix(".yaml") for n in names if n.endswith(".yaml")))

    def template(self, message_id: str, language: str) -> str:
        text = self.optional(message_id, language)
        if text is None:
            raise MessageCatalogError(f"no message {message_id!r} in {language!r} or {DEFAULT_LANGUAGE!r}")
        return text

    def render(self, message: Message | str, language: str, /, **params: Any) -> str:
        """The text of ``message`` (a ``Message`` or an id with ``params``) in ``language``."""
        if isinstance(message, str):
            message = Message(message, params)
        text = self.template(message.id, language)
        values = {name: self.value(v, language) for name, v in message.params.items()}
        try:
            return text.format(**values)
        except KeyError as exc:
            raise MessageCatalogError(f"message {message.id!r} needs parameter {exc.args[0]!r}") from exc

    def value(self, value: Any, language: str) -> Any:
        """One parameter, made ready for a template in ``language`` (see the module docstring)."""
        if value is None:
            return ""
        if isinstance(value, Message):
            return self.render(value, language)
        if isinstance(value, list | tuple):
            value = Listing(value)
        if isinstance(value, Listing):
            return self.join(value, language)
        if isinstance(value, Localized) and not isinstance(value, str):
            picked = value.get(language)
            return self.value(value.get(DEFAULT_LANGUAGE) if picked is None else picked, language)
        return value

    def join(self, listing: Listing, language: str) -> str:
        style = f"format.{listing.style}"
        if not listing.items:
            return self.template(f"{style}.empty", language)
        item = self.template(f"{style}.item", language)
        items = [item.format(item=self.value(v, language), n=n) for n, v in enumerate(listing.items, 1)]
        separator = self.template(f"{style}.separator", language)
        last = self.optional(f"{style}.last", language)
        if last is None or len(items) < 2:
            return separator.join(items)
        return separator.join(items[:-1]) + last + items[-1]

    def optional(self, message_id: str, language: str) -> str | None:
        """The template of ``message_id`` (English when ``language`` lacks it), None when no language has it."""
        text = self.messages(language).get(message_id)
        return self.messages(DEFAULT_LANGUAGE).get(message_id) if text is None else text


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


PACKAGED = MessageCatalog(resources.files(__package__ or "metricqa.core").joinpath("messages"))


def catalog(language: str) -> Mapping[str, str]:
    """The packaged messages of one language (empty for a language without a file)."""
    return PACKAGED.messages(language)


def languages() -> tuple[str, ...]:
    """Languages that ship a message file."""
    return PACKAGED.languages()


def template(message_id: str, language: str) -> str:
    return PACKAGED.template(message_id, language)


def parameters(text: str) -> set[str]:
    """The ``{name}`` fields a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(message: Message | str, language: str, /, **params: Any) -> str:
    """The text of ``message`` (a ``Message`` or an id with ``params``) in ``language``, from the
    packaged catalog."""
    return PACKAGED.render(message, language, **params)

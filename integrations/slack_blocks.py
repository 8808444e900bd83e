"""The one Slack formatter: Answer (or error) → Block Kit message. Pure functions, no I/O.

Everything Slack shows comes from here: answers, clarify buttons, refusals, errors, alerts and
help. Its words are the message catalog's ``slack.*`` and ``citation.*`` (metricqa/core/messages/);
the Slack markup stays here. Limits respected: section text ≤ 3000 chars, ≤ 10 context elements,
button text ≤ 75 chars, button value ≤ 2000 chars, ≤ 10 table rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metricqa.assistant.presentation.answer import Answer, Citation
from metricqa.assistant.presentation.formatting import display_width
from metricqa.assistant.semantic.columns import ColumnRole, Columns, ResultColumn, described, find
from metricqa.catalog.models import Catalog
from metricqa.core.errors import UserFacingError
from metricqa.core.messages import PACKAGED, MessageCatalog

CLARIFY_ACTION_PREFIX = "metricqa_clarify_"
MAX_TABLE_ROWS = 10
MAX_OPTIONS = 5
_SECTION_LIMIT = 2900

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage needs: fallback ``text`` (notifications) and ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def guess_language(text: str) -> str:
    """``zh`` when the text contains CJK ideographs, else ``en``."""
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def metric_units(catalog: Catalog) -> dict[str, str]:
    """Metric id → unit (``ratio`` values are shown as percentages)."""
    return {m.id: m.unit.value for m in catalog.metrics.values()}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, _SECTION_LIMIT)}}


def _context(texts: Sequence[str]) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(t, 2900)} for t in texts[:10]]}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_rate(column: ResultColumn, units: Mapping[str, str]) -> bool:
    """A ratio column (value ÷ baseline or target), or the value of a metric whose unit is ``ratio``."""
    if column.role is ColumnRole.RATIO:
        return True
    return column.role is ColumnRole.VALUE and units.get(column.metric or "") == "ratio"


def format_value(value: Any, column: ResultColumn, units: Mapping[str, str]) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if is_rate(column, units):
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def display_columns(columns: Columns) -> list[int]:
    """Indexes of the columns to show: a dimension's member key is hidden when its label is there."""
    fields = described(columns)
    return [
        i
        for i, c in enumerate(fields)
        if not (c.role is ColumnRole.DIMENSION and find(fields, ColumnRole.LABEL, dimension=c.dimension))
    ]


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def table_text(
    columns: Columns,
    rows: Sequence[Sequence[Any]],
    units: Mapping[str, str],
    language: str = "en",
    messages: MessageCatalog = PACKAGED,
) -> str | None:
    """A monospace table of at most MAX_TABLE_ROWS rows, in a code block; None when there is nothing to show."""
    if not columns or not rows:
        return None
    fields = described(columns)
    keep = display_columns(fields)
    header = [fields[i].name for i in keep]
    body = [[format_value(row[i], fields[i], units) for i in keep] for row in rows[:MAX_TABLE_ROWS]]
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in rows[:MAX_TABLE_ROWS]) for i in keep
    ]
    widths = [max(display_width(x) for x in col) for col in zip(header, *body, strict=True)]
    lines = [
        "  ".join(_pad(c, w, n) for c, w, n in zip(line, widths, numeric, strict=True))
        for line in [header, *body]
    ]
    if len(rows) > MAX_TABLE_ROWS:
        lines.append(messages.render("slack.more_rows", language, n=len(rows) - MAX_TABLE_ROWS))
    return "```\n" + _clip(escape("\n".join(lines)), _SECTION_LIMIT - 8) + "\n```"


def citation_text(citation: Citation, language: str, messages: MessageCatalog = PACKAGED) -> str:
    sources = ", ".join(citation.sources[:6]) + (" …" if len(citation.sources) > 6 else "")
    status = (
        ""
        if citation.status == "approved"
        else f" ({messages.render(f'status.{citation.status}', language)})"
    )
    version = messages.render("citation.version", language, version=citation.version)
    return " · ".join(
        [
            f"*{escape(citation.name)}* `{citation.metric}` {version}{status}",
            messages.render("citation.owner", language, owner=escape(citation.owner)),
            messages.render("citation.sources", language, sources=escape(sources)),
        ]
    )


def _footer(answer: Answer, messages: MessageCatalog) -> Block | None:
    lang = answer.language
    texts = [citation_text(c, lang, messages) for c in answer.citations[:9]]
    if answer.data_as_of:
        texts.append(messages.render("slack.as_of", lang, date=answer.data_as_of))
    return _context(texts) if texts else None


def _clarify_actions(answer: Answer) -> Block:
    buttons = [
        {
            "type": "button",
            "action_id": f"{CLARIFY_ACTION_PREFIX}{i}",
            "text": {"type": "plain_text", "text": _clip(option, 75)},
            "value": _clip(option, 2000),
        }
        for i, option in enumerate(answer.options[:MAX_OPTIONS])
    ]
    return {"type": "actions", "block_id": "metricqa_clarify", "elements": buttons}


def _answered_blocks(answer: Answer, units: Mapping[str, str], messages: MessageCatalog) -> list[Block]:
    blocks = [_section(escape(answer.answer))]
    table = table_text(answer.fields or answer.columns, answer.rows, units, answer.language, messages)
    if table:
        blocks.append(_section(table))
    if answer.assumptions:
        assumed = escape("; ".join(answer.assumptions))
        blocks.append(_context([messages.render("slack.assumed", answer.language, assumptions=assumed)]))
    return blocks


def _try_block(suggestions: Sequence[str], language: str, messages: MessageCatalog) -> Block:
    return _context([messages.render("slack.try", language, suggestions=escape(", ".join(suggestions)))])


def _refused_blocks(answer: Answer, messages: MessageCatalog) -> list[Block]:
    reason = answer.reason or answer.answer
    refused = messages.render("slack.refused", answer.language)
    blocks = [_section(f":no_entry_sign: *{refused}*: {escape(reason)}")]
    if answer.suggestions:
        blocks.append(_try_block(answer.suggestions, answer.language, messages))
    return blocks


def _clarify_blocks(answer: Answer, messages: MessageCatalog) -> list[Block]:
    text = answer.answer or messages.render("slack.clarify", answer.language)
    blocks = [_section(f":thinking_face: {escape(text)}")]
    if answer.options:
        blocks.append(_clarify_actions(answer))
    return blocks


def answer_message(
    answer: Answer,
    units: Mapping[str, str] | None = None,
    header: str | None = None,
    messages: MessageCatalog = PACKAGED,
) -> SlackMessage:
    """Render an Answer: narrative, table, citations and as-of; clarify buttons; refusal reason."""
    if answer.status == "refused":
        blocks = _refused_blocks(answer, messages)
    elif answer.status == "clarify":
        blocks = _clarify_blocks(answer, messages)
    else:
        blocks = _answered_blocks(answer, units or {}, messages)
    footer = _footer(answer, messages)
    if footer and answer.status != "refused":
        blocks.append(footer)
    text = answer.answer if answer.status != "refused" else (answer.reason or answer.answer)
    if header:
        blocks.insert(0, _section(header))
        text = f"{header}\n{text}"
    return SlackMessage(text=_clip(text, 3000), blocks=blocks)


def error_message(
    error: BaseException, language: str = "en", messages: MessageCatalog = PACKAGED
) -> SlackMessage:
    """The one place an exception becomes a Slack message; internal errors never leak details."""
    if isinstance(error, UserFacingError):
        text = error.message_for(language, messages)
        blocks = [_section(f":warning: {escape(text)}")]
        if error.suggestions:
            blocks.append(_try_block(error.suggestions, language, messages))
        return SlackMessage(text=_clip(text, 3000), blocks=blocks)
    text = messages.render("slack.error", language)
    return SlackMessage(text=text, blocks=[_section(f":warning: {text}")])


def help_message(
    metric_names: Sequence[str], language: str = "en", messages: MessageCatalog = PACKAGED
) -> SlackMessage:
    text = messages.render("slack.help", language)
    names = ", ".join(metric_names[:40]) or "–"
    return SlackMessage(text=text, blocks=[_section(text), _context([escape(names)])])


def working_text(question: str, language: str, messages: MessageCatalog = PACKAGED) -> str:
    return messages.render("slack.working", language, question=_clip(question, 200))


def chosen_text(choice: str, user_id: str, language: str, messages: MessageCatalog = PACKAGED) -> str:
    """Under a clarify message once an option was clicked: who chose what."""
    return messages.render("slack.chosen", language, choice=escape(choice), user=f"<@{user_id}>")


def alert_header(title: str) -> str:
    return f":rotating_light: *{escape(title)}*"

"""Lists and lookups in a question (issue 15): "list the products with their line", "top 20 reps by
revenue with their team", "列出销售代表及其团队", "前20个产品……及其产品线".

Read as a kind of question, not as sentences: a list word (``list`` in lexicon.yaml: "list", "show
all", "列出", "清单") or an attribute asked for makes a list; an attribute word ("line", "团队",
catalog ``attributes``) counts only beside a dimension the question names (its members are listed),
otherwise it is left out of the reading as if the catalog did not know it. Words the catalog cannot
place right after a list word ("list the invoices") or an attribute cue ("with their colour", "及其颜色")
are asked back, naming them: a list of something the catalog has no dimension or attribute for is never
answered with a total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from metricqa.assistant.semantic.columns import attribute_name
from metricqa.assistant.semantic.plan import AttributeRef, Intent, OrderBy
from metricqa.assistant.understanding.choices import metric_option, unsupported
from metricqa.assistant.understanding.context import PlanningContext, Reading
from metricqa.assistant.understanding.grammar import WORD_OR_RUN, Word
from metricqa.assistant.understanding.vocabulary import Match, Vocabulary
from metricqa.catalog.models import Catalog
from metricqa.core.errors import AmbiguousQuestionError, RefusalReason
from metricqa.core.messages import Message

ATTRIBUTE = frozenset({"attribute"})
LISTED_INTENTS = (Intent.BREAKDOWN, Intent.RANK, Intent.VALUE)
# what may stand between a list word or an attribute cue and the word it introduces
GAP_RE = re.compile(r"(?:\s|\b(?:the|all|of|my|our|each|every|and)\b|的|所有|全部|各)*")


def named_dimensions(matches: Sequence[Match]) -> set[str]:
    return {t.entry for m in matches for t in m.of("dimension")}


def attribute_of(match: Match, others: set[str]) -> str | None:
    """The ``dim:attribute`` entry of an attribute match whose dimension another match names."""
    own = {t.entry for t in match.of("dimension")}
    return next((t.entry for t in match.of("attribute") if t.entry.split(":", 1)[0] in others - own), None)


def read_attributes(reading: Reading, matches: list[Match], text: str, vocab: Vocabulary) -> list[Match]:
    """Attributes beside a named dimension go into ``reading.attributes`` (their matches keep only the
    attribute term, so "product line" is not also a dimension); any other attribute word is read as if
    the catalog did not know it (matched again without attribute terms)."""
    found = []
    for m in matches:
        if not m.of("attribute"):
            continue
        others = named_dimensions([o for o in matches if o is not m])
        entry = attribute_of(m, others)
        if entry is None:
            return vocab.match(text, drop=ATTRIBUTE)
        found.append((m, entry))
    out = list(matches)
    for m, entry in found:
        dim, attribute = entry.split(":", 1)
        if (dim, attribute) not in reading.attributes:
            reading.attributes.append((dim, attribute))
        if sorted_by(m, matches, text) and reading.sort is None:
            reading.sort = (dim, attribute)
        out[out.index(m)] = Match(m.start, m.end, m.text, tuple(m.of("attribute")), m.fuzzy)
    return out


SORT_GAP_RE = re.compile(r"(?:\s|\b(?:the|their|its)\b)*")


def sorted_by(match: Match, matches: Sequence[Match], text: str) -> bool:
    """ "list the invoices by date", "sorted by hire date", "按入职日期": a sort or grouping word right before
    an attribute sorts the list by it (an attribute is never grouped by)."""
    return any(
        (m.of("sort") or m.of("group"))
        and m.end <= match.start
        and SORT_GAP_RE.fullmatch(text[m.end : match.start])
        for m in matches
    )


POSSESSIVE_RE = re.compile(r"\s*(?:s\b|的)")
OF_RE = re.compile(r"\bof\s*$")


def each_possessive(matches: Sequence[Match], text: str) -> bool:
    """ "each product's revenue", "每个产品的销售额", "the amount of each invoice": an each-word and a
    dimension right after it, followed by 's / 的 or preceded by "of"."""
    ordered = sorted(matches, key=lambda m: m.start)
    for m, nxt in zip(ordered, ordered[1:], strict=False):
        if m.of("list_each") and nxt.of("dimension") and not text[m.end : nxt.start].strip():
            if POSSESSIVE_RE.match(text, nxt.end) or OF_RE.search(text, 0, m.start):
                return True
    return False


def read_listing(reading: Reading, matches: Sequence[Match], text: str) -> None:
    """A list word, an attribute asked for, or "each X's" / "每个X的" makes the question a list; the word
    after "which" / "哪些" is kept (``reading.which``): it names what the members are of."""
    listed = any(m.of("list") for m in matches) or each_possessive(matches, text)
    reading.listing = reading.listing or bool(reading.attributes) or listed
    which = next((m for m in matches if m.of("which_entity")), None)
    if which is not None:
        after = WORD_OR_RUN.search(text, which.end)
        reading.which = after.group() if after else None


def check_which(reading: Reading, ctx: PlanningContext, intent: Intent, dimensions: Sequence[str]) -> None:
    """ "which customers ordered more than ¥1M": members asked for, but no dimension names them and the
    plan would be one number (a metric read from the words instead): asked back naming the word."""
    if reading.which is None or dimensions or intent is not Intent.VALUE:
        return
    options = listable(ctx.catalog)
    raise AmbiguousQuestionError(
        Message("lists.error.which_what", {"words": reading.which, "known": options}),
        options=options,
        reason=RefusalReason.UNSUPPORTED_BREAKDOWN,
    )


def follows(text: str, word: Word, matches: Sequence[Match], kind: str) -> bool:
    """The word comes right after a match of ``kind`` (only articles, "all", "的" between)."""
    return any(
        m.of(kind) and m.end <= word.start and GAP_RE.fullmatch(text[m.end : word.start]) for m in matches
    )


def listable(catalog: Catalog) -> list[str]:
    return [metric_option(d) for d in catalog.dimensions.values()][:8]


def check_list_words(reading: Reading, matches: Sequence[Match], text: str, ctx: PlanningContext) -> None:
    """ "list the invoices", "with their colour", "及其颜色": the catalog has no such dimension or attribute,
    so ask back naming the words (never a total of something else)."""
    for word in reading.unaccounted:
        if follows(text, word, matches, "attribute_cue") and reading.dimensions:
            dim = ctx.catalog.dimensions[reading.dimensions[0]]
            shown: list[object] = [a.name for a in dim.attributes] or [Message("word.none")]
            raise AmbiguousQuestionError(
                Message(
                    "lists.error.no_such_attribute",
                    {"dimension": dim.name, "words": word.text, "known": shown},
                ),
                options=[a.name.get(reading.language) for a in dim.attributes],
                reason=RefusalReason.UNKNOWN_WORDS,
            )
        if follows(text, word, matches, "list"):  # refused: nothing in the catalog lists these
            message = Message(
                "lists.error.no_such_entity", {"words": word.text, "known": listable(ctx.catalog)}
            )
            raise unsupported(ctx.catalog, RefusalReason.UNSUPPORTED_BREAKDOWN, message)


def list_intent(reading: Reading, intent: Intent, dimensions: Sequence[str]) -> Intent:
    """A breakdown or ranking asked as a list ("list …", "with their …") is a list."""
    if reading.listing and dimensions and intent in LISTED_INTENTS:
        return Intent.LIST
    return intent


def attribute_order(reading: Reading, dimensions: Sequence[str]) -> tuple[OrderBy, ...]:
    """The list sorted by the attribute the question sorts by (earliest / lowest / A first)."""
    if reading.sort is None or reading.sort[0] not in dimensions:
        return ()
    return (OrderBy(metric=attribute_name(*reading.sort), direction="asc"),)


def plan_attributes(reading: Reading, dimensions: Sequence[str]) -> tuple[AttributeRef, ...]:
    """The attributes asked of the plan's dimensions."""
    return tuple(AttributeRef(dimension=d, attribute=a) for d, a in reading.attributes if d in dimensions)

"""One metric divided by another, said in words: "gross profit as a share of revenue", "revenue per
order", "毛利占销售额的比例", "平均每笔订单的销售额". The catalog's ratio metrics say which numerator and
denominator they divide; a question naming both (the denominator by a metric's name or a word its names
spell) is that ratio metric. Pure functions over the catalog, the question's matches and its text."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from metricqa.assistant.understanding.paraphrase import Related
from metricqa.assistant.understanding.vocabulary import Match
from metricqa.catalog.models import Catalog, Metric, MetricType, Status
from metricqa.core.language import has_cjk


@dataclass(frozen=True)
class RatioPhrase:
    """ "A per B": the numerator's metric, the denominator (a metric match or the words after the
    connector) and the span the phrase covers."""

    numerator: str
    denominator: Match | None
    words: str  # the denominator when no metric name matched it ("order" in "revenue per order")
    start: int
    end: int


def _metric_of(match: Match) -> str | None:
    ids = {t.entry for t in match.of("metric")}
    return next(iter(ids)) if len(ids) == 1 else None


def _connector_at(text: str, at: int, related: Related) -> int | None:
    """The end of a ratio connector starting at ``at`` (after spaces and 的), if one does."""
    rest = text[at:]
    stripped = rest.lstrip(" 的")
    offset = at + len(rest) - len(stripped)
    en, zh = related.ratio_of
    for phrase in en:
        if re.match(rf"{re.escape(phrase)}(?![a-z0-9])", stripped):
            return offset + len(phrase)
    for phrase in zh:
        if stripped.startswith(phrase):
            return offset + len(phrase)
    return None


_NEXT_WORD = re.compile(r"\s*(?:the\s+|a\s+|an\s+)?([a-z0-9]+|[\u3400-\u9fff]+)")


def _next_words(text: str, at: int, until: int | None = None) -> tuple[str, int]:
    """The word (English) or Chinese run right after ``at``, cut at 的 or at ``until``."""
    m = _NEXT_WORD.match(text[:until] if until is not None else text, at)
    if not m:
        return "", at
    word = m.group(1)
    if has_cjk(word) and "的" in word:
        word = word.split("的", 1)[0]
        return word, m.start(1) + len(word)
    return word, m.end()


def _drop_classifier(word: str, related: Related) -> str:
    for c in related.classifiers_zh:
        if word.startswith(c) and len(word) > len(c):
            return word[len(c) :]
    return word


def ratio_phrases(matches: Sequence[Match], text: str, related: Related) -> list[RatioPhrase]:
    """Every "A <connector> B" and "每 B 的 A" in the question."""
    metric_matches = sorted((m for m in matches if _metric_of(m)), key=lambda m: m.start)
    out = [p for a in metric_matches if (p := _connected(a, metric_matches, text, related))]
    for each in related.ratio_each_zh:
        for m in re.finditer(re.escape(each), text):
            if not any(p.start <= m.start() < p.end for p in out):
                found = _each(m.start(), m.end(), metric_matches, text, related)
                out += [found] if found else []
    return out


def _follows(text: str, end: int, matches: Sequence[Match]) -> Match | None:
    """The metric match right after ``end`` (nothing but spaces or 的 between)."""
    return next((m for m in matches if m.start >= end and not text[end : m.start].strip(" 的")), None)


def _connected(a: Match, matches: Sequence[Match], text: str, related: Related) -> RatioPhrase | None:
    """ "A per B", "A as a share of B", "A占B": B a metric, or the word after the connector."""
    end = _connector_at(text, a.end, related)
    if end is None:
        return None
    b = _follows(text, end, matches)
    if b is not None:
        return RatioPhrase(_metric_of(a) or "", b, "", a.start, b.end)
    word, word_end = _next_words(text, end)
    return RatioPhrase(_metric_of(a) or "", None, word, a.start, word_end) if word else None


def _each(start: int, end: int, matches: Sequence[Match], text: str, related: Related) -> RatioPhrase | None:
    """ "(平均)每笔订单的销售额": 每, the denominator (a metric or a word), then the numerator."""
    first = next((x for x in matches if x.start > end), None)
    if first is None:
        return None
    if _drop_classifier(text[end : first.start].strip(), related) in ("", *related.classifiers_zh):
        numerator = _follows(text, first.end, matches)
        if numerator is None:
            return None
        return RatioPhrase(_metric_of(numerator) or "", first, "", start, numerator.end)
    word, word_end = _next_words(text, end, first.start)
    word = _drop_classifier(word, related)
    if word and has_cjk(word) and not text[word_end : first.start].strip(" 的"):
        return RatioPhrase(_metric_of(first) or "", None, word, start, first.end)
    return None


def metric_refs(catalog: Catalog, ref: str | None) -> set[str]:
    """The metrics a ratio's numerator or denominator stands for: the metric of that id, or the simple
    metrics over that measure."""
    if ref is None:
        return set()
    if ref in catalog.metrics:
        return {ref}
    return {m.id for m in catalog.metrics.values() if m.type is MetricType.SIMPLE and m.measure == ref}


def ratio_metrics(catalog: Catalog, numerator: str, denominator: Callable[[Metric], bool]) -> list[Metric]:
    """The ratio metrics (not deprecated) dividing ``numerator`` by a metric that ``denominator`` accepts."""
    found = []
    for metric in catalog.metrics.values():
        if metric.type is not MetricType.RATIO or metric.status is Status.DEPRECATED:
            continue
        if numerator not in metric_refs(catalog, metric.numerator):
            continue
        dens = [catalog.metrics[d] for d in metric_refs(catalog, metric.denominator)]
        if any(denominator(d) for d in dens):
            found.append(metric)
    return found

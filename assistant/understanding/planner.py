"""Question → ``QueryPlan``. ``RulePlanner`` is the default (no LLM, English + Simplified Chinese).

The rules read a question in passes: safety checks (data-changing verbs, SQL, prompt injection,
length), the period (``timeparse``), then catalog and lexicon terms (``vocabulary``), longest
match first. ``read_question`` turns that into a ``Reading``; ``build_plan`` turns a reading into a
plan; ``followup.apply_followup`` turns it into a change of the previous plan. Governance (approved
metric, role) is not checked here: the validator does that.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from metricqa.assistant.semantic.columns import ValueKind
from metricqa.assistant.semantic.periods import baseline_range
from metricqa.assistant.semantic.plan import (
    Comparison,
    Evidence,
    Filter,
    FilterOp,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)
from metricqa.assistant.understanding.context import Planner, PlanningContext, Reading, note_fields
from metricqa.assistant.understanding.followup import apply_followup, carry_into, is_followup
from metricqa.assistant.understanding.grammar import (
    Shape,
    Word,
    adjacent,
    after_group_word,
    covers,
    explains,
    read_shape,
    unaccounted,
)
from metricqa.assistant.understanding.timeparse import (
    EN_NUMBERS,
    read_periods,
    span_label,
    this_month,
    trend_window,
    zh_number,
)
from metricqa.assistant.understanding.vocabulary import (
    Match,
    MemberLike,
    Vocabulary,
    build_vocabulary,
    clean,
    example_questions,
    tokens,
)
from metricqa.catalog.models import Catalog, Dimension, Direction, Metric
from metricqa.core.errors import AmbiguousQuestionError, RefusalReason, UnsupportedQuestionError
from metricqa.core.language import detect_language, fold, has_cjk
from metricqa.core.messages import Listing, Message

EXAMPLE_MIN_OVERLAP = 0.6
CANDIDATE_MIN_SIMILARITY = 0.45
CANDIDATE_MARGIN = 0.03
RANK_ONLY = {"rank", "ranking", "ranked", "排名", "排行"}


# ---- safety --------------------------------------------------------------------------------


def catalog_examples(catalog: Catalog, language: str, n: int = 3) -> list[str]:
    examples = [m.examples.zh if language == "zh" else m.examples.en for m in catalog.approved_metrics()]
    return [ex[0] for ex in examples if ex][:n]


def unsupported(catalog: Catalog, reason: RefusalReason, why: Message | None = None) -> Exception:
    """Refuse with ``why`` (default: the ``unsupported.<reason>`` message) and the catalog's example
    questions (each language's own examples)."""
    en, zh = catalog_examples(catalog, "en"), catalog_examples(catalog, "zh")
    examples = {"en": Listing(en, "examples"), "zh": Listing(zh, "examples")}
    message = Message(
        "error.unsupported", {"reason": why or Message(f"unsupported.{reason}"), "examples": examples}
    )
    return UnsupportedQuestionError(message, suggestions=en + zh, reason=reason)


def check_input(question: str, vocab: Vocabulary, catalog: Catalog, max_chars: int) -> None:
    """Refuse over-long input, SQL, prompt injection and requests to change data."""
    if len(question) > max_chars:
        too_long = Message("unsupported.too_long", {"length": len(question), "max_chars": max_chars})
        raise unsupported(catalog, RefusalReason.TOO_LONG, too_long)
    folded = fold(question)
    if any(p.search(folded) for p in vocab.lexicon.patterns["sql"]):
        raise unsupported(catalog, RefusalReason.SQL)
    cleaned = " ".join(clean(question).split())
    if any(phrase in cleaned for phrase in vocab.lexicon.phrases["injection"]["injection"]):
        raise unsupported(catalog, RefusalReason.INJECTION)
    if any(phrase in cleaned for phrase in vocab.lexicon.phrases["off_topic"]["off_topic"]):
        raise unsupported(catalog, RefusalReason.OFF_TOPIC)
    if any(p.search(folded) for p in vocab.lexicon.patterns["change_data"]):
        raise unsupported(catalog, RefusalReason.CHANGE_DATA)
    if not cleaned.strip():
        raise unsupported(catalog, RefusalReason.EMPTY)


# ---- reading a question --------------------------------------------------------------------


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _read_time(
    question: str, folded: str, reading: Reading, ctx: PlanningContext, vocab: Vocabulary
) -> tuple[str, list[Match]]:
    """The periods (``timeparse.read_periods``), masked out of the text the vocabulary reads. A second
    period that a comparison word already names ("vs last month", "同比") stays that comparison;
    any other second period ("Q2 vs Q1", "5月和4月对比") is the baseline of a two-period comparison."""
    periods = read_periods(question, ctx.as_of, reading.language)
    reading.time = periods.primary
    if reading.time:
        reading.evidence.append(Evidence(text=reading.time.text, entry=reading.time.range.label, kind="time"))
    base = periods.baseline
    if base is not None:
        masked = _mask(folded, [(reading.time.start, reading.time.end)] if reading.time else [])
        matches = _resolve_target_words(vocab.match(masked), ctx.catalog)
        span = (base.start, base.end)
        if any(m.of("comparison") and _overlaps((m.start, m.end), span) for m in matches):
            return masked, matches  # "vs last month", "去年同期": the comparison phrase holds the period
        near = (base.start - 1, base.end + 1)  # "环比上季度": a comparison word right next to the period
        if any(m.of("comparison") and _overlaps((m.start, m.end), near) for m in matches):
            masked = _mask(masked, [span])
            return masked, _resolve_target_words(vocab.match(masked), ctx.catalog)
        reading.baseline = base
        reading.evidence.append(Evidence(text=base.text, entry=base.range.label, kind="time"))
    masked = _mask(folded, list(periods.spans))
    return masked, _resolve_target_words(vocab.match(masked), ctx.catalog)


def _metric_ids(match: Match) -> list[str]:
    return list(dict.fromkeys(t.entry for t in match.of("metric")))


def _resolve_target_words(matches: list[Match], catalog: Catalog) -> list[Match]:
    """A word that names both a metric and the target comparison ("目标", "完成率") is the
    comparison when another named metric has a target, otherwise the metric."""
    others = {mid for m in matches if not m.of("comparison") for mid in _metric_ids(m)}
    has_target = any(catalog.metrics[mid].target is not None for mid in others if mid in catalog.metrics)
    out = []
    for m in matches:
        if m.of("metric") and m.of("comparison"):
            keep = "comparison" if has_target else "metric"
            m = Match(m.start, m.end, m.text, tuple(t for t in m.terms if t.kind == keep), m.fuzzy)
        out.append(m)
    return out


def _attached(text: str, a: Match, b: Match) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    return text[first.end : second.start].strip() in ("", "的", "the")


def _members_and_dims(reading: Reading, matches: list[Match], text: str) -> None:
    dim_matches = [m for m in matches if m.of("dimension")]
    member_matches = [m for m in matches if m.of("member")]
    named_dims = {t.entry for m in dim_matches for t in m.of("dimension")}
    absorbed: set[int] = set()
    for m in member_matches:
        options = list(dict.fromkeys(t.entry for t in m.of("member")))
        preferred = [o for o in options if o.split(":", 1)[0] in named_dims] or options
        dim, key = preferred[0].split(":", 1)
        if len({o.split(":", 1)[0] for o in options}) > 1:
            reading.note("note.member_read_as", text=m.text, dimension=dim, member=key)
        reading.filters.setdefault(dim, [])
        if key not in reading.filters[dim]:
            reading.filters[dim].append(key)
        reading.evidence.append(Evidence(text=m.text, entry=f"{dim}:{key}", kind="member"))
        for d in dim_matches:
            if any(t.entry == dim for t in d.of("dimension")) and _attached(text, m, d):
                absorbed.add(id(d))
    for d in dim_matches:
        if id(d) in absorbed:
            continue
        dim = d.of("dimension")[0].entry
        if dim not in reading.dimensions:
            reading.dimensions.append(dim)
        reading.evidence.append(Evidence(text=d.text, entry=dim, kind="dimension"))


def _shared_word_note(
    reading: Reading, match: Match, metric_id: str, vocab: Vocabulary, catalog: Catalog
) -> None:
    """ "sales" also appears in other metrics' names ("gross sales", "sales target"): say how it was read."""
    term = next(t for t in match.of("metric") if t.entry == metric_id)
    if term.source not in ("synonym",):
        return
    phrase = match.text if not match.fuzzy else term.text
    padded = f" {phrase} "
    for words, terms in vocab.english.items():
        if (
            any(t.kind == "metric" and t.entry != metric_id for t in terms)
            and padded in f" {' '.join(words)} "
        ):
            break
    else:
        if not any(
            phrase in text and any(t.kind == "metric" and t.entry != metric_id for t in terms)
            for text, terms in vocab.chinese.items()
            if text != phrase
        ):
            return
    reading.note("note.phrase_read_as", phrase=phrase, name=catalog.metrics[metric_id].name.by_language())


def _rank_from_patterns(reading: Reading, text: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    """Top/bottom N; returns the span it consumed."""
    for kind, direction in (("top_n", "desc"), ("bottom_n", "asc")):
        for pattern in vocab.lexicon.patterns[kind]:
            m = pattern.search(text)
            if m:
                raw = m.group("n")
                n = int(raw) if raw.isdigit() else (zh_number(raw) or _en_small(raw))
                if n:
                    reading.rank = reading.rank if reading.rank in ("best", "worst") else direction
                    reading.limit = n
                    reading.evidence.append(Evidence(text=m.group(), entry=f"{direction}:{n}", kind="order"))
                    return [m.span()]
    return []


def _en_small(word: str) -> int:
    return EN_NUMBERS.get(word, 0)


def _lexicon_match(reading: Reading, m: Match) -> None:
    for term in m.terms:
        kind = term.kind
        if kind == "comparison":
            reading.comparison = Comparison(term.entry)
            reading.evidence.append(Evidence(text=m.text, entry=term.entry, kind="comparison"))
        elif kind == "rank" and not reading.limit:
            reading.rank = "rank" if term.text in RANK_ONLY and reading.rank is None else term.entry
            reading.evidence.append(Evidence(text=m.text, entry=term.entry, kind="order"))
        elif kind == "lagged":
            reading.lagged = True
            reading.evidence.append(Evidence(text=m.text, entry="lagged", kind="order"))
        elif kind == "grain":
            reading.grain = Grain(term.entry)
            reading.evidence.append(Evidence(text=m.text, entry=term.entry, kind="time"))
        elif kind == "trend":
            reading.trend = True
        elif kind == "vague":
            reading.vague = True
        elif kind == "followup":
            reading.followup = True
        else:
            continue
        return


def leftover(text: str, matches: list[Match], vocab: Vocabulary) -> str:
    """What is left of the question once every match, stopword and Chinese filler is removed."""
    for m in sorted(matches, key=lambda m: -m.start):
        text = text[: m.start] + " " + text[m.end :]
    for filler in vocab.lexicon.filler_zh:
        text = text.replace(filler, " ")
    words = [w for w in text.split() if w not in vocab.lexicon.stopwords and not w.isdigit()]
    return " ".join(words)


def read_question(question: str, ctx: PlanningContext, vocab: Vocabulary) -> Reading:
    language = detect_language(question)
    reading = Reading(language=language)
    folded = fold(question)
    masked, matches = _read_time(question, folded, reading, ctx, vocab)
    for m in matches:
        ids = _metric_ids(m)
        if len(ids) == 1:
            if ids[0] not in reading.metrics:
                reading.metrics.append(ids[0])
            reading.evidence.append(Evidence(text=m.text, entry=ids[0], kind="metric"))
            _shared_word_note(reading, m, ids[0], vocab, ctx.catalog)
        elif ids:
            reading.ambiguous.append(ids)
        reading.fuzzy += int(m.fuzzy)
        _lexicon_match(reading, m)
    text = clean(masked)
    shape, consumed = read_shape(matches, text, masked, vocab)
    _members_and_dims(reading, [m for m in matches if id(m) not in consumed], text)
    rank_spans = _rank_from_patterns(reading, text, vocab)
    _apply_shape(reading, shape)
    reading.leftover = leftover(text, matches, vocab)
    reading.unaccounted = unaccounted(text, matches, shape.spans + rank_spans, vocab)
    _chinese_typos(reading, vocab, ctx.catalog)
    reading.metric_named = bool(reading.metrics or reading.ambiguous)
    _check_words(reading, matches, text, ctx, vocab)
    reading.confidence = confidence(reading)
    return reading


def _compound_typo(reading: Reading, phrase: str, match: Match, vocab: Vocabulary, catalog: Catalog) -> bool:
    """A metric word plus one stray character that together are one character off a metric name: ask
    which (several) or read it as that metric (one); False when no name is that close."""
    metrics = [f for f in vocab.correct_chinese(phrase) if f[2][0].kind == "metric"]
    if len(metrics) > 1:
        options = [metric_option(catalog.metrics[f[2][0].entry]) for f in metrics]
        raise AmbiguousQuestionError(
            Message("clarify.unknown_words", {"words": phrase, "options": options}),
            options=options,
            reason=RefusalReason.UNKNOWN_WORDS,
        )
    if not metrics:
        return False
    entry = metrics[0][2][0].entry
    named = [t.entry for t in match.of("metric")]
    reading.metrics = [entry if mid in named else mid for mid in reading.metrics]
    reading.note("note.phrase_read_as", phrase=phrase, name=catalog.metrics[entry].name.by_language())
    reading.fuzzy += 1
    reading.unaccounted = []
    return True


def _chinese_typos(reading: Reading, vocab: Vocabulary, catalog: Catalog) -> None:
    """An unplaced Chinese run one character away from a metric or dimension name is that name, read
    with a note ("销售颔" → 销售额)."""
    for word in list(reading.unaccounted):
        found = vocab.correct_chinese(word.text) if has_cjk(word.text) else []
        metrics = [f for f in found if f[2][0].kind == "metric"]
        if len(metrics) > 1:  # "回款律": 回款率 or 回款额 — ask, naming both
            options = [metric_option(catalog.metrics[f[2][0].entry]) for f in metrics]
            raise AmbiguousQuestionError(
                Message("clarify.unknown_words", {"words": word.text, "options": options}),
                options=options,
                reason=RefusalReason.UNKNOWN_WORDS,
            )
        fixed = metrics or (found if len(found) == 1 else [])
        if not fixed:
            continue
        start, end, terms = fixed[0]
        term = terms[0]
        target = reading.metrics if term.kind == "metric" else reading.dimensions
        if term.entry not in target:
            target.append(term.entry)
        entry = catalog.metrics.get(term.entry) or catalog.dimensions.get(term.entry)
        if entry is not None:
            reading.note("note.phrase_read_as", phrase=word.text[start:end], name=entry.name.by_language())
        reading.fuzzy += 1
        reading.evidence.append(Evidence(text=word.text[start:end], entry=term.entry, kind=term.kind))
        reading.unaccounted.remove(word)
        rest = word.text[:start] + word.text[end:]
        if len(rest) > 1:
            reading.unaccounted.append(Word(rest, word.start, word.end))


def _apply_shape(reading: Reading, shape: Shape) -> None:
    reading.excluded = shape.excluded
    for dim, keys in shape.excluded.items():
        reading.evidence += [Evidence(text=key, entry=f"{dim}:{key}", kind="exclusion") for key in keys]
    reading.share, reading.change, reading.plural = shape.share, shape.change, shape.plural
    reading.thresholds, reading.target_list = shape.thresholds, shape.target_list


def confidence(reading: Reading) -> float:
    """From coverage and ambiguity: each word no token consumed, each typo fix and each assumption lowers it."""
    penalty = 0.15 * len(reading.unaccounted) + 0.1 * reading.fuzzy + 0.05 * len(reading.notes)
    return max(0.3, 0.95 - penalty)


def _check_words(
    reading: Reading, matches: list[Match], text: str, ctx: PlanningContext, vocab: Vocabulary
) -> None:
    """Words the reader could not place: a breakdown by something that is not a dimension is asked back;
    a word that qualifies a metric ("customer churn", "净利润") is a metric the catalog lacks; other
    words are named in the assumptions."""
    if not reading.unaccounted:
        return
    metric_matches = [m for m in matches if m.of("metric")]
    for word in list(reading.unaccounted):
        if reading.metric_named and after_group_word(text, word, matches):
            dim = dimension_by_prefix(word.text, ctx.catalog)
            if dim is None:
                raise bad_breakdown(phrase_from(word, reading.unaccounted, text), reading, ctx)
            reading.unaccounted.remove(word)
            reading.dimensions.append(dim.id)
            reading.note("note.phrase_read_as", phrase=word.text, name=dim.name.by_language())
    if not reading.unaccounted:
        return
    _explained_by_neighbours(reading, matches, text, ctx.catalog)
    if not reading.unaccounted:
        return
    negations = [m for m in matches if m.of("negation")]
    for word in reading.unaccounted:  # "excluding Japan" where no member is called Japan: never ignored
        if any(n.end <= word.start and not text[n.end : word.start].strip(" the") for n in negations):
            raise AmbiguousQuestionError(
                Message("clarify.unknown_member", {"word": word.text}),
                options=[],
                reason=RefusalReason.UNKNOWN_WORDS,
            )
    compound = [
        (w, m)
        for w in reading.unaccounted
        for m in metric_matches
        if adjacent(text, w, m)
        and (w.start < m.start or (has_cjk(w.text) and len(w.text) == 1))
        and not explains(w.text, entry_names(m, ctx.catalog))
    ]
    if compound:
        w, m = compound[0]
        phrase = f"{w.text} {m.text}" if w.start < m.start else f"{m.text} {w.text}"
        if has_cjk(phrase):
            phrase = phrase.replace(" ", "")
            if _compound_typo(reading, phrase, m, vocab, ctx.catalog):  # "回款律": 回款率 or 回款额?
                return
        raise unsupported(
            ctx.catalog, RefusalReason.UNKNOWN_WORDS, Message("unsupported.unknown_words", {"words": phrase})
        )
    if reading.metric_named and len(reading.unaccounted) >= LOW_COVERAGE_WORDS:
        raise low_coverage(reading, ctx)
    if reading.metric_named and _second_part(reading, metric_matches, text):
        raise low_coverage(reading, ctx)
    if reading.metric_named:
        reading.note("note.ignored_words", words=", ".join(w.text for w in reading.unaccounted))


LOW_COVERAGE_WORDS = 2  # this many words the reader cannot place: ask back rather than answer
CONJUNCTION = re.compile(r"\b(?:and|plus|as well as|also)\b|和|以及|还有|另外|并且|同时")


def _second_part(reading: Reading, metric_matches: list[Match], text: str) -> bool:
    """ "how many orders and how many were returned": an unplaced word after a conjunction that follows
    the named metric is a second thing asked for, which one number would silently drop."""
    ends = [m.end for m in metric_matches]
    return any(
        CONJUNCTION.search(text[end : w.start]) for w in reading.unaccounted for end in ends if end <= w.start
    )


def low_coverage(reading: Reading, ctx: PlanningContext) -> AmbiguousQuestionError:
    """Too much of the question is unexplained to trust a number: name the words, offer what was read
    and the nearest metrics."""
    words = " ".join(w.text for w in reading.unaccounted)
    ranked = sorted(candidate_scores(ctx).items(), key=lambda kv: -kv[1])
    ids = list(
        dict.fromkeys([*reading.metrics[:1], *(i for i, s in ranked if s >= CANDIDATE_MIN_SIMILARITY)])
    )
    options = [metric_option(ctx.catalog.metrics[i]) for i in ids[:3]]
    return AmbiguousQuestionError(
        Message("clarify.low_coverage", {"words": words, "options": options}),
        options=options,
        reason=RefusalReason.UNKNOWN_WORDS,
    )


EXAMPLE_SUPPORT = 0.8  # a guessed metric with unplaced words stands only on an example question this close


def check_guess(reading: Reading, ctx: PlanningContext) -> None:
    """No metric was named and words were left over: answer only when an example question of the
    catalog says the same thing; otherwise name the words instead of guessing the nearest metric."""
    if reading.metric_named or reading.guess_support >= 1.0:
        return
    if not reading.unaccounted:  # nothing in the question names a metric ("show me the numbers for East")
        if reading.guess_support >= EXAMPLE_SUPPORT:
            return
        options = [metric_option(m) for m in key_metrics(ctx.catalog)]
        raise AmbiguousQuestionError(Message("clarify.which_metric", {"options": options}), options=options)
    words = " ".join(w.text for w in reading.unaccounted)
    guessed = ctx.catalog.metrics[reading.metrics[0]]
    if covers(
        [w.text for w in reading.unaccounted], metric_names(guessed), frozenset()
    ):  # "win rat", "客护数"
        reading.note("note.phrase_read_as", phrase=words, name=guessed.name.by_language())
        return
    if reading.guess_support >= EXAMPLE_SUPPORT:
        reading.note("note.ignored_words", words=words)
        return
    ranked = sorted(candidate_scores(ctx).items(), key=lambda kv: -kv[1])
    options = [metric_option(ctx.catalog.metrics[i]) for i, s in ranked[:3] if s >= CANDIDATE_MIN_SIMILARITY]
    if options:  # a question back that names the words, with the nearest metrics as options
        raise AmbiguousQuestionError(
            Message("clarify.unknown_words", {"words": words, "options": options}),
            options=options,
            reason=RefusalReason.UNKNOWN_WORDS,
        )
    raise unsupported(
        ctx.catalog, RefusalReason.UNKNOWN_WORDS, Message("unsupported.unknown_words", {"words": words})
    )


def entry_names(match: Match, catalog: Catalog) -> list[str]:
    """Every name and synonym of the catalog entries a match stands for (a member: its dimension's)."""
    names: list[str] = []
    for term in match.terms:
        entry = term.entry.split(":", 1)[0] if term.kind == "member" else term.entry
        item = catalog.metrics.get(entry) if term.kind == "metric" else catalog.dimensions.get(entry)
        if item is not None:
            names += [item.name.en, item.name.get("zh"), *item.synonyms.all()]
    return names


def metric_names(metric: Metric) -> list[str]:
    return [metric.name.en, metric.name.get("zh"), metric.id.replace("_", " "), *metric.synonyms.all()]


def _explained_by_neighbours(reading: Reading, matches: list[Match], text: str, catalog: Catalog) -> None:
    """A word next to a catalog term that spells part of that term's own names is explained by it
    ("average basket size" next to "basket size", "中小企业客户" next to a customer segment)."""
    reading.unaccounted = [
        w
        for w in reading.unaccounted
        if not any(adjacent(text, w, m) and explains(w.text, entry_names(m, catalog)) for m in matches)
    ]


def _shares_start(word: str, name: str) -> bool:
    """English: ``word`` starts ``name`` ("cust" → "customer segment"); Chinese (no word breaks): they
    start with the same characters, two or more and at least two thirds of the word."""
    if has_cjk(word):  # most of the word: "销售里" ~ "销售代表", but not "销售团队"
        return len(os.path.commonprefix([word, name])) >= max(2, -(-2 * len(word) // 3))
    return name.startswith(word)


def dimension_by_prefix(word: str, catalog: Catalog) -> Dimension | None:
    """The one dimension whose name or synonym starts with ``word`` ("各销售" → 销售代表), if exactly one."""
    if len(word) < (2 if has_cjk(word) else 4):
        return None
    for names in (lambda d: (d.name.en, d.name.zh), lambda d: d.synonyms.all()):
        found = {
            d.id: d
            for d in catalog.dimensions.values()
            for name in names(d)
            if name and fold(name) != word and _shares_start(word, fold(name))
        }
        if found:
            return next(iter(found.values())) if len(found) == 1 else None
    return None


def phrase_from(first: Word, words: list[Word], text: str) -> str:
    """``first`` and the unplaced words right after it ("by sales rep" → "sales rep")."""
    phrase, end = [first.text], first.end
    for w in words:
        if w.start > end and not text[end : w.start].strip():
            phrase.append(w.text)
            end = w.end
    return " ".join(phrase)


def bad_breakdown(word: str, reading: Reading, ctx: PlanningContext) -> AmbiguousQuestionError:
    """ "revenue by color": say so, and list the dimensions that work for the metric asked about."""
    metric = ctx.catalog.metrics.get(reading.metrics[0]) if reading.metrics else None
    dims = [
        ctx.catalog.dimensions[d]
        for d in (metric.dimensions if metric and metric.dimensions else ctx.catalog.dimensions)
        if d in ctx.catalog.dimensions
    ]
    options = [
        f"{d.name.en} ({d.name.zh})" if d.name.zh and d.name.zh != d.name.en else d.name.en for d in dims
    ][:8]
    name = metric.name.by_language() if metric else {"en": "the metric", "zh": "该指标"}
    return AmbiguousQuestionError(
        Message("clarify.bad_breakdown", {"metric": name, "word": word, "options": options}),
        options=options,
        reason=RefusalReason.UNSUPPORTED_BREAKDOWN,
    )


# ---- choosing metrics when the words alone don't -------------------------------------------


def metric_option(metric: Metric) -> str:
    zh = metric.name.zh
    return f"{metric.name.en} ({zh})" if zh and zh != metric.name.en else metric.name.en


def key_metrics(catalog: Catalog, n: int = 4) -> list[Metric]:
    approved = catalog.approved_metrics()
    with_target = [m for m in approved if m.target is not None]
    return (with_target + [m for m in approved if m.target is None])[:n]


def candidate_scores(ctx: PlanningContext) -> dict[str, float]:
    """Best retrieval score per metric id (metric and example entries), similarity preferred."""
    scores: dict[str, float] = {}
    for entry in ctx.candidates:
        if getattr(entry, "kind", None) not in ("metric", "example"):
            continue
        meta = getattr(entry, "metadata", {}) or {}
        score = float(meta.get("similarity", entry.score))
        if entry.entry_id in ctx.catalog.metrics:
            scores[entry.entry_id] = max(scores.get(entry.entry_id, 0.0), score)
    return scores


def from_examples(question: str, ctx: PlanningContext, vocab: Vocabulary) -> tuple[str, float, float] | None:
    """The metric whose example question overlaps the question most, if the overlap is high: (metric,
    overlap, coverage), coverage being the share of the example's words the question says."""
    asked = tokens(question, vocab.lexicon.stopwords)
    if not asked:
        return None
    best: tuple[str, float, float] | None = None
    for metric_id, example in example_questions(ctx.catalog):
        ex = tokens(example, vocab.lexicon.stopwords)
        if not ex:
            continue
        shared = len(asked & ex)
        overlap = shared / min(len(asked), len(ex))
        if overlap >= EXAMPLE_MIN_OVERLAP and (best is None or overlap > best[1]):
            best = (metric_id, overlap, shared / len(ex))
    return best


def settle_ambiguous(reading: Reading, ctx: PlanningContext) -> None:
    """A word naming several metrics: retrieval candidates break the tie, else ask."""
    scores = candidate_scores(ctx)
    for ids in reading.ambiguous:
        if any(i in reading.metrics for i in ids):
            continue
        ranked = sorted(ids, key=lambda i: -scores.get(i, 0.0))
        if scores and scores.get(ranked[0], 0) - scores.get(ranked[1], 0) > CANDIDATE_MARGIN:
            reading.metrics.append(ranked[0])
            reading.confidence = min(reading.confidence, 0.7)
            continue
        options = [metric_option(ctx.catalog.metrics[i]) for i in ids]
        raise AmbiguousQuestionError(
            Message("clarify.several_metrics", {"options": options}), options=options
        )


def target_metric(reading: Reading, ctx: PlanningContext) -> bool:
    """The approved metric with a target that retrieval ranks highest, else the first one."""
    targets = [m for m in ctx.catalog.approved_metrics() if m.target is not None]
    if not targets:
        return False
    scores = candidate_scores(ctx)
    metric = max(targets, key=lambda m: scores.get(m.id, 0.0)) if scores else targets[0]
    reading.metrics.append(metric.id)
    reading.guess_support = (
        1.0  # the documented rule (performance = a metric against its target), not a guess
    )
    reading.note("note.target_performance", name=metric.name.by_language())
    return True


def choose_metric(question: str, reading: Reading, ctx: PlanningContext, vocab: Vocabulary) -> None:
    """No metric named: (for lagged / vs target) a metric with a target, an example question, or the
    retrieval candidates."""
    found = from_examples(question, ctx, vocab)
    near_example = found is not None and found[1] >= 0.9 and not reading.lagged
    wants_target = reading.lagged or reading.target_list or reading.comparison is Comparison.TARGET
    if wants_target and not near_example:
        if target_metric(reading, ctx):
            return
    if found:
        reading.metrics.append(found[0])
        reading.evidence.append(Evidence(text=question, entry=found[0], kind="metric"))
        reading.confidence = min(reading.confidence, 0.55 + 0.2 * found[1])
        reading.guess_support = found[2]
        return
    scores = candidate_scores(ctx)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= CANDIDATE_MIN_SIMILARITY:
        tie = len(ranked) > 1 and ranked[0][1] - ranked[1][1] <= CANDIDATE_MARGIN
        if tie and not reading.lagged and not reading.unaccounted:
            options = [metric_option(ctx.catalog.metrics[i]) for i, _ in ranked[:3]]
            raise AmbiguousQuestionError(
                Message("clarify.which_of_metrics", {"options": options}), options=options
            )
        reading.metrics.append(ranked[0][0])
        reading.evidence.append(Evidence(text=question, entry=ranked[0][0], kind="metric"))
        reading.confidence = min(reading.confidence, 0.5)
        return
    if reading.vague and not reading.leftover:
        options = [metric_option(m) for m in key_metrics(ctx.catalog)]
        raise AmbiguousQuestionError(Message("clarify.which_metric", {"options": options}), options=options)
    if reading.unaccounted:  # name the words instead of "no metric"
        words = " ".join(w.text for w in reading.unaccounted)
        raise unsupported(
            ctx.catalog, RefusalReason.UNKNOWN_WORDS, Message("unsupported.unknown_words", {"words": words})
        )
    raise unsupported(ctx.catalog, RefusalReason.NO_METRIC)


# ---- building the plan ---------------------------------------------------------------------


def plan_time(reading: Reading, as_of: date) -> tuple[TimeRange, Message | None]:
    grain = reading.grain
    if reading.time is not None:
        rng = reading.time.range
        if grain is None and reading.trend:
            grain = Grain.DAY if (rng.end - rng.start).days <= 31 else Grain.MONTH
        return rng.model_copy(update={"grain": grain or Grain.NONE}), None
    if grain is not None or reading.trend:
        window = trend_window(as_of, grain or Grain.MONTH)
        return window, Message(
            "note.series_defaulted", {"label": {"en": window.label, "zh": window.label_zh}}
        )
    rng = this_month(as_of)
    return rng, period_defaulted(rng)


def period_defaulted(rng: TimeRange) -> Message:
    """The note for a question that named no period (the span in words is per language: issue 10)."""
    span = {language: span_label(rng.start, rng.end, language) for language in ("en", "zh")}
    return Message("note.period_defaulted", {"span": span})


def default_dimension(metric: Metric, ctx: PlanningContext, what: Message) -> str:
    if metric.dimensions:
        return metric.dimensions[0]
    options = [
        f"{d.name.en} ({d.name.zh})" if d.name.zh else d.name.en for d in ctx.catalog.dimensions.values()
    ]
    shown = options[:6]
    raise AmbiguousQuestionError(
        Message("clarify.which_dimension", {"what": what, "options": shown}), options=shown
    )


def target_splits(catalog: Catalog, metric: Metric, dims: list[str]) -> bool:
    """Whether the metric's target can be split by every requested dimension."""
    if metric.target is None:
        return False
    target = catalog.metrics.get(metric.target.metric)
    allowed = target.dimensions if target is not None else None
    return allowed is None or all(d in allowed for d in dims)


def target_owner(catalog: Catalog, metric_id: str) -> Metric | None:
    """The approved metric whose target is ``metric_id`` ("behind target" means that metric)."""
    return next((m for m in catalog.approved_metrics() if m.target and m.target.metric == metric_id), None)


def lagged_order(
    metric: Metric, reading: Reading, catalog: Catalog, dims: list[str]
) -> tuple[Comparison, OrderBy]:
    """Worst member: lowest attainment when the metric has a target, else the worst change."""
    if target_splits(catalog, metric, dims):
        return Comparison.TARGET, OrderBy(metric=metric.id, value=ValueKind.RATIO, direction="asc")
    reading.note("note.no_target_at_level", name=metric.name.by_language())
    direction: Literal["asc", "desc"] = "desc" if metric.direction is Direction.LOWER_IS_BETTER else "asc"
    return Comparison.PREVIOUS_PERIOD, OrderBy(metric=metric.id, value=ValueKind.DELTA, direction=direction)


CHANGE_COMPARISONS = (Comparison.PREVIOUS_PERIOD, Comparison.SAME_PERIOD_LAST_YEAR, Comparison.OTHER_PERIOD)
OPS = {"lt": ThresholdOp.LT, "le": ThresholdOp.LE, "gt": ThresholdOp.GT, "ge": ThresholdOp.GE}


def plan_thresholds(reading: Reading, metric: Metric) -> tuple[Threshold, ...]:
    """ "more than 200 orders", "margin below 40%", "under 70% of target" → row filters on the result."""
    out = []
    for phrase in reading.thresholds:
        metric_id = phrase.metric if phrase.metric in reading.metrics else metric.id
        value = ValueKind.RATIO if phrase.of_target else ValueKind.VALUE
        if phrase.of_target:
            reading.comparison = Comparison.TARGET
        out.append(Threshold(metric=metric_id, value=value, op=OPS[phrase.op], number=phrase.number.value))
    return tuple(out)


def two_periods(
    time: TimeRange, baseline: TimeRange, reading: Reading
) -> tuple[Comparison, TimeRange | None]:
    """ "A vs B": the comparison with B. When B is the period before A (or A a year back) it is that
    comparison, like-for-like when A is still running ("this year so far vs last year" compares
    the same days); otherwise any two periods (other_period)."""
    for kind in (Comparison.SAME_PERIOD_LAST_YEAR, Comparison.PREVIOUS_PERIOD):
        start, end = baseline_range(time, kind)
        if start == baseline.start and end <= baseline.end:
            if end < baseline.end:
                span = {lang: span_label(start, end, lang) for lang in ("en", "zh")}
                reading.note("note.like_for_like", span=span)
            return kind, None
    return Comparison.OTHER_PERIOD, baseline.model_copy(update={"grain": Grain.NONE})


def change_order(
    metric: Metric, reading: Reading, comparison: Comparison
) -> tuple[Comparison, OrderBy, int | None]:
    """ "grew the most" / "降得最多": rank by the change against the comparison period (the previous
    period unless the question names another), largest rise or largest fall first."""
    if comparison not in CHANGE_COMPARISONS:
        comparison = Comparison.PREVIOUS_PERIOD
    direction: Literal["asc", "desc"] = "asc" if reading.change == "down" else "desc"
    reading.note("note.ranked_by_change")
    limit = reading.limit or (None if reading.rank == "rank" else 1)
    return comparison, OrderBy(metric=metric.id, value=ValueKind.DELTA, direction=direction), limit


def rank_order(metric: Metric, reading: Reading) -> tuple[OrderBy, int | None]:
    kind = reading.rank or "desc"
    lower_better = metric.direction is Direction.LOWER_IS_BETTER
    if kind == "best":
        direction = "asc" if lower_better else "desc"
    elif kind == "worst":
        direction = "desc" if lower_better else "asc"
    else:
        direction = "asc" if kind == "asc" else "desc"
    limit = reading.limit or (None if kind == "rank" else 1)
    return OrderBy(metric=metric.id, direction=direction), limit  # type: ignore[arg-type]


def plan_filters(reading: Reading) -> tuple[Filter, ...]:
    """Members named (IN) and members excluded ("excluding East", "除了华东": NOT IN)."""
    named = [Filter(dimension=d, values=tuple(v)) for d, v in reading.filters.items()]
    excluded = [Filter(dimension=d, op=FilterOp.NOT_IN, values=tuple(v)) for d, v in reading.excluded.items()]
    return tuple(named + excluded)


@dataclass
class Slots:
    """The plan's shape slots as the question shapes fill them (``build_plan``)."""

    comparison: Comparison
    dims: list[str]
    order: tuple[OrderBy, ...] = ()
    limit: int | None = None
    intent: Intent = Intent.VALUE
    having: tuple[Threshold, ...] = ()


def _target_list(reading: Reading, metric: Metric, ctx: PlanningContext, slots: Slots) -> bool:
    """ "which regions missed target": every member below (or at/above) its target, not only the worst."""
    first_dim = slots.dims or list(metric.dimensions or [])[:1]
    if not (reading.target_list and reading.plural and target_splits(ctx.catalog, metric, first_dim)):
        return False
    slots.dims = slots.dims or [default_dimension(metric, ctx, Message("clarify.lagging"))]
    slots.comparison, slots.intent = Comparison.TARGET, Intent.BREAKDOWN
    op = ThresholdOp.LT if reading.target_list == "missed" else ThresholdOp.GE
    slots.having += (Threshold(metric=metric.id, value=ValueKind.RATIO, op=op, number=1.0),)
    slots.order = (OrderBy(metric=metric.id, value=ValueKind.RATIO, direction="asc"),)
    reading.note("note.every_member")
    return True


def _ranking(reading: Reading, metric: Metric, ctx: PlanningContext, slots: Slots) -> bool:
    """Lagged (the worst member), rank by change ("grew the most") or rank by level ("top 3")."""
    if not (reading.lagged or reading.change is not None or reading.rank):
        return False
    what = Message("clarify.lagging" if reading.lagged else "clarify.rank")
    slots.dims = slots.dims or [default_dimension(metric, ctx, what)]
    if reading.lagged:
        slots.comparison, by = lagged_order(metric, reading, ctx.catalog, slots.dims)
        slots.limit, slots.intent = reading.limit or 1, Intent.LAGGED
    elif reading.change is not None:
        slots.comparison, by, slots.limit = change_order(metric, reading, slots.comparison)
        slots.intent = Intent.RANK
    else:
        by, slots.limit = rank_order(metric, reading)
        slots.intent = Intent.RANK
    slots.order = (by,)
    return True


def _listing(reading: Reading, metric: Metric, ctx: PlanningContext, time: TimeRange, slots: Slots) -> None:
    """Share of total, a series, or a breakdown (several members of one dimension are shown each)."""
    if reading.share:
        if not slots.dims and not reading.filters:
            slots.dims = [default_dimension(metric, ctx, Message("clarify.rank"))]
        slots.intent = Intent.SHARE
        return
    if time.grain is not Grain.NONE:
        slots.intent = Intent.TREND
        return
    several = [d for d, keys in reading.filters.items() if len(keys) > 1 and d not in slots.dims]
    slots.dims += several if not slots.dims else []
    slots.intent = Intent.BREAKDOWN if slots.dims else Intent.VALUE


SHAPES = (_target_list, _ranking)  # tried in order; the first that fits fills the slots


def build_plan(reading: Reading, ctx: PlanningContext) -> QueryPlan:
    catalog = ctx.catalog
    metric = catalog.metrics[reading.metrics[0]]
    against_target = reading.lagged or reading.target_list or any(t.of_target for t in reading.thresholds)
    owner = target_owner(catalog, metric.id) if against_target else None
    if owner is not None:
        reading.note("note.behind_target", owner=owner.name.by_language(), name=metric.name.by_language())
        reading.metrics[0] = owner.id
        metric = owner
    time, default_note = plan_time(reading, ctx.as_of)
    if default_note and default_note not in reading.notes:
        reading.notes.append(default_note)
    having = plan_thresholds(reading, metric)
    comparison = reading.comparison or Comparison.NONE
    if comparison is Comparison.TARGET and metric.target is None and not reading.lagged:
        comparison = Comparison.NONE
        reading.note("note.no_target", name=metric.name.by_language())
    baseline_time = None
    if reading.baseline is not None and reading.time is not None:
        comparison, baseline_time = two_periods(time, reading.baseline.range, reading)
    slots = Slots(comparison=comparison, dims=list(reading.dimensions), having=having)
    if not any(shape(reading, metric, ctx, slots) for shape in SHAPES):
        _listing(reading, metric, ctx, time, slots)
    return QueryPlan(
        metrics=tuple(reading.metrics),
        dimensions=tuple(slots.dims),
        filters=plan_filters(reading),
        time=time,
        comparison=slots.comparison,
        order=slots.order,
        limit=slots.limit,
        intent=slots.intent,
        baseline_time=baseline_time,
        having=slots.having,
        **note_fields(reading.notes),
        confidence=round(reading.confidence, 2),
        evidence=tuple(reading.evidence),
    )


# ---- planners ------------------------------------------------------------------------------


class RulePlanner:
    """The deterministic planner: catalog vocabulary + generic lexicon, no LLM."""

    def __init__(self, max_chars: int = 1000) -> None:
        self.max_chars = max_chars
        self._cache: dict[tuple[int, int], tuple[Catalog, Any, Vocabulary]] = {}

    def vocabulary(self, ctx: PlanningContext) -> Vocabulary:
        key = (id(ctx.catalog), id(ctx.members))
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > 8:
                self._cache.clear()
            cached = (ctx.catalog, ctx.members, build_vocabulary(ctx.catalog, _members(ctx.members)))
            self._cache[key] = cached
        return cached[2]

    def plan(self, question: str, ctx: PlanningContext) -> QueryPlan:
        vocab = self.vocabulary(ctx)
        check_input(question, vocab, ctx.catalog, self.max_chars)
        reading = self.read(question, ctx)
        if ctx.previous is not None and is_followup(reading):
            if reading.rank or reading.lagged:  # a new ranking question over the previous metric
                return build_plan(carry_into(ctx.previous, reading), ctx)
            return apply_followup(ctx.previous, reading, ctx)
        if not reading.metrics:
            choose_metric(question, reading, ctx, vocab)
            check_guess(reading, ctx)
        return build_plan(reading, ctx)

    def read(self, question: str, ctx: PlanningContext) -> Reading:
        vocab = self.vocabulary(ctx)
        reading = read_question(question, ctx, vocab)
        settle_ambiguous(reading, ctx)
        return reading


def _members(members: dict[str, list[Any]]) -> dict[str, list[MemberLike]]:
    return members


def plan_question(question: str, ctx: PlanningContext, planner: Planner | None = None) -> QueryPlan:
    """The plan stage: ask ``planner`` (the rule planner by default)."""
    return (planner or RulePlanner()).plan(question.strip(), ctx)


__all__ = [
    "PlanningContext",
    "Planner",
    "RulePlanner",
    "Reading",
    "build_plan",
    "plan_question",
    "read_question",
]

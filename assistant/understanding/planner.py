"""Question → ``QueryPlan``. ``RulePlanner`` is the default (no LLM, English + Simplified Chinese).

The rules read a question in passes: safety checks (data-changing verbs, SQL, prompt injection,
length), the period (``timeparse``), then catalog and lexicon terms (``vocabulary``), longest
match first, and the question grammar (``grammar.read_shape``). ``read_question`` turns that into a
``Reading``; ``coverage`` accounts for every word; ``shapes.build_plan`` turns a reading into a plan;
``followup.apply_followup`` turns it into a change of the previous plan. Governance (approved metric,
role) is not checked here: the validator does that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from metricqa.assistant.semantic.plan import (
    Comparison,
    Evidence,
    Grain,
    QueryPlan,
)
from metricqa.assistant.understanding.choices import (
    CANDIDATE_MARGIN,
    CANDIDATE_MIN_SIMILARITY,
    EXAMPLE_MIN_OVERLAP,
    RANK_ONLY,
    candidate_scores,
    key_metrics,
    metric_option,
    nearest_options,
    unsupported,
)
from metricqa.assistant.understanding.context import Planner, PlanningContext, Reading, plan_notes
from metricqa.assistant.understanding.coverage import (
    apply_shape,
    check_guess,
    check_words,
    chinese_typos,
    confidence,
    read_description,
    read_ratio,
)
from metricqa.assistant.understanding.followup import apply_followup, carry_into, is_followup
from metricqa.assistant.understanding.grammar import (
    read_shape,
    unaccounted,
)
from metricqa.assistant.understanding.lists import read_attributes, read_listing
from metricqa.assistant.understanding.paraphrase import base, same_stem
from metricqa.assistant.understanding.shapes import build_plan
from metricqa.assistant.understanding.timeparse import (
    EN_NUMBERS,
    has_time_words,
    read_periods,
    zh_number,
)
from metricqa.assistant.understanding.vocabulary import (
    Match,
    MemberLike,
    Term,
    Vocabulary,
    build_vocabulary,
    clean,
    example_questions,
    tokens,
)
from metricqa.catalog.models import Catalog
from metricqa.core.errors import AmbiguousQuestionError, RefusalReason
from metricqa.core.language import detect_language, fold, has_cjk
from metricqa.core.messages import Message

# ---- safety --------------------------------------------------------------------------------


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


def named_spans(folded: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    """Where the question says a metric's name that holds time words ("cumulative billings",
    "年初至今开票金额"): those words name the metric, they are no period of their own. (No such name in the
    catalog: nothing to look for.)"""
    if not vocab.timed_names:
        return []
    return [(m.start, m.end) for m in vocab.match(folded) if m.of("metric") and has_time_words(m.text)]


def _read_time(
    question: str, folded: str, reading: Reading, ctx: PlanningContext, vocab: Vocabulary
) -> tuple[str, list[Match]]:
    """The periods (``timeparse.read_periods``), masked out of the text the vocabulary reads. A second
    period that a comparison word already names ("vs last month", "同比") stays that comparison;
    any other second period ("Q2 vs Q1", "5月和4月对比") is the baseline of a two-period comparison."""
    periods = read_periods(_mask(question, named_spans(folded, vocab)), ctx.as_of, reading.language)
    reading.time = periods.primary
    if reading.time:
        reading.evidence.append(Evidence(text=reading.time.text, entry=reading.time.range.label, kind="time"))
    base = periods.baseline
    if base is not None:
        masked = _mask(folded, [(reading.time.start, reading.time.end)] if reading.time else [])
        matches = _resolve_target_words(vocab.match(masked), ctx.catalog, masked)
        span = (base.start, base.end)
        if any(m.of("comparison") and _overlaps((m.start, m.end), span) for m in matches):
            return masked, matches  # "vs last month", "去年同期": the comparison phrase holds the period
        near = (base.start - 1, base.end + 1)  # "环比上季度": a comparison word right next to the period
        if any(m.of("comparison") and _overlaps((m.start, m.end), near) for m in matches):
            masked = _mask(masked, [span])
            return masked, _resolve_target_words(vocab.match(masked), ctx.catalog, masked)
        reading.baseline = base
        reading.evidence.append(Evidence(text=base.text, entry=base.range.label, kind="time"))
    masked = _mask(folded, list(periods.spans))
    return masked, _resolve_target_words(vocab.match(masked), ctx.catalog, masked)


def _metric_ids(match: Match) -> list[str]:
    return list(dict.fromkeys(t.entry for t in match.of("metric")))


LISTED = re.compile(r"\s*(?:和|及|与|以及|、|,|,|and|plus|as well as)\s*")


def _listed(m: Match, matches: list[Match], text: str) -> bool:
    """ "销售额、销售目标和完成率", "revenue and attainment": a term joined to another metric by a
    conjunction is one more metric asked for, not a comparison."""
    return any(
        o is not m and o.of("metric") and LISTED.fullmatch(text[min(o.end, m.end) : max(o.start, m.start)])
        for o in matches
    )


def _resolve_target_words(matches: list[Match], catalog: Catalog, text: str) -> list[Match]:
    """A word that names both a metric and the target comparison ("目标", "完成率") is the
    comparison when another named metric has a target, otherwise (or when it is listed with the
    other metrics) the metric."""
    others = {mid for m in matches if not m.of("comparison") for mid in _metric_ids(m)}
    has_target = any(catalog.metrics[mid].target is not None for mid in others if mid in catalog.metrics)
    out = []
    for m in matches:
        if m.of("metric") and m.of("comparison"):
            keep = "comparison" if has_target and not _listed(m, matches, text) else "metric"
            m = Match(m.start, m.end, m.text, tuple(t for t in m.terms if t.kind == keep), m.fuzzy)
        out.append(m)
    return out


def _attached(text: str, a: Match, b: Match) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    return text[first.end : second.start].strip() in ("", "的", "the")


def _member_or_grain(reading: Reading, m: Match, matches: list[Match], text: str) -> Match:
    """A word that names a series grain or a dimension and also a member of another dimension ("monthly":
    by month, or the Monthly plan; "stores": the store dimension, or the Store channel) is the member only
    next to its dimension's name ("monthly plan", "store channel"); else the grain or dimension, and the
    answer says so."""
    members = m.of("member")
    dims = {t.entry.split(":", 1)[0] for t in members}
    other = [t for t in m.terms if t.kind == "grain" or (t.kind == "dimension" and t.entry not in dims)]
    if not other or not members:
        return m
    named = [d for d in matches if d is not m and dims & {t.entry for t in d.of("dimension")}]
    if any(_attached(text, m, d) for d in named):
        return replace(m, terms=tuple(t for t in m.terms if t not in other))
    dim, key = members[0].entry.split(":", 1)
    note = "note.grain_not_member" if other[0].kind == "grain" else "note.dimension_not_member"
    reading.note(note, text=m.text, dimension=dim, member=key)
    return replace(m, terms=tuple(t for t in m.terms if t.kind != "member"))


def _target_period(
    reading: Reading, m: Match, matches: list[Match], text: str, ctx: PlanningContext
) -> Match:
    """A grain word before a target's name ("our monthly goal", "quarterly quota", "年度目标") says which
    period the target is for, not a series: with no period named, the question is about this one."""
    grains = m.of("grain")
    follows = any(n.of("target_noun") and _near(text, m, n) for n in matches if n.start >= m.end)
    if not grains or not follows:
        return m
    if reading.time is None:
        current = read_periods(f"this {grains[0].entry}", ctx.as_of, "en").primary
        if current is not None:
            reading.time = replace(current, text=m.text)
            reading.evidence.append(Evidence(text=m.text, entry=current.range.label, kind="time"))
    return replace(m, terms=tuple(t for t in m.terms if t.kind != "grain"))


def _near(text: str, a: Match, b: Match) -> bool:
    """``b`` follows ``a`` with at most one word between ("monthly sales target")."""
    return len(text[a.end : b.start].split()) <= 1


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


LIST_WORDS = re.compile(r"\band\b|\bor\b|\bplus\b|&|,|、|和|及|与|以及|还有")


def _share_of_or_ratio(reading: Reading, matches: list[Match], vocab: Vocabulary, catalog: Catalog) -> None:
    """A name that is another metric's name plus a share word ("毛利占比" named for gross margin, while
    毛利 is gross profit) split by a dimension reads two ways: that ratio metric per member, or each
    member's share of the other metric. Ask which, never pick one."""
    if not reading.dimensions:
        return
    share_words = [tuple(w.split()) for w in vocab.lexicon.phrases["share"]["share"]]
    for m in matches:
        ids = _metric_ids(m)
        if len(ids) != 1 or ids[0] not in reading.metrics:
            continue
        other = {t.entry for t in _before_share_word(m.text, share_words, vocab) if t.kind == "metric"}
        other.discard(ids[0])
        if len(other) == 1:
            options = [metric_option(catalog.metrics[i]) for i in (ids[0], *other)]
            raise AmbiguousQuestionError(
                Message("clarify.several_metrics", {"options": options}), options=options
            )


def _before_share_word(said: str, share_words: Sequence[tuple[str, ...]], vocab: Vocabulary) -> list[Term]:
    """The terms of what ``said`` names before a share word it ends with ("毛利占比" → 毛利, "revenue share" →
    revenue); none when it ends with no share word."""
    words = tuple(said.split())
    for share in sorted(share_words, key=len, reverse=True):
        if has_cjk(said):
            joined, tail = "".join(words), "".join(share)
            if joined.endswith(tail) and len(joined) > len(tail):
                return vocab.chinese.get(joined[: -len(tail)], [])
        elif len(words) > len(share) and words[-len(share) :] == share:
            return vocab.english.get(words[: -len(share)], [])
    return []


def _pieces_of_one_name(reading: Reading, matches: list[Match], text: str, vocab: Vocabulary) -> None:
    """A metric's name said in two pieces ("how many *tickets* did we *solve*" for "Tickets solved"): the
    first piece alone names another metric ("tickets" = Tickets opened), but together they spell the
    second one's name, so the question asks for that one only. (Not when the second piece already says
    the first, or the two are listed: "tickets and tickets solved", "leads and conversion rate" ask for both.)"""
    single = [(m, ids[0]) for m in matches if len(ids := _metric_ids(m)) == 1]
    for a, x in single:
        for b, y in single:
            if x == y or x not in reading.metrics:
                continue
            if LIST_WORDS.search(text[min(a.end, b.end) : max(a.start, b.start)]):
                continue
            if not _spell(a.text, b.text, vocab.phrases_of(y), vocab):
                continue
            reading.metrics.remove(x)
            reading.evidence = [e for e in reading.evidence if not (e.kind == "metric" and e.entry == x)]
            reading.notes = [n for n in reading.notes if n.params.get("phrase") != a.text]
            break


def _spell(first: str, second: str, names: Sequence[str], vocab: Vocabulary) -> bool:
    """``first`` and ``second`` together (and neither alone) make up one of ``names``."""
    a, b = first.split(), second.split()
    if set(a) & set(b) or first in second or second in first:
        return False
    for name in names:
        if " " in name or name.isascii():
            words = [base(w, vocab.related) for w in name.split()]
            pieces = [base(w, vocab.related) for w in (*a, *b)]
            if len(words) <= len(pieces) and all(any(same_stem(p, w) for w in words) for p in pieces):
                return True
        elif first in name and second in name and len(name) <= len(first) + len(second) + 1:
            return True
    return False


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
        elif kind == "time_dimension":
            reading.time_dimension = term.entry
            reading.evidence.append(Evidence(text=m.text, entry=term.entry, kind="time"))
        elif kind == "trend":
            reading.trend = True
        elif kind == "followup":
            reading.followup = True
        else:
            continue
        return


def read_question(question: str, ctx: PlanningContext, vocab: Vocabulary) -> Reading:
    language = detect_language(question)
    reading = Reading(language=language, question=question)
    folded = fold(question)
    masked, matches = _read_time(question, folded, reading, ctx, vocab)
    text = clean(masked)
    matches = read_attributes(reading, matches, masked, vocab)
    matches = [_member_or_grain(reading, m, matches, text) for m in matches]
    matches = [_target_period(reading, m, matches, text, ctx) for m in matches]
    matches = [m for m in matches if m.kinds != {"target_noun"}]  # said only to place a grain word
    read_listing(reading, matches, text)
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
    _pieces_of_one_name(reading, matches, text, vocab)
    shape, consumed = read_shape(matches, text, masked, vocab)
    _members_and_dims(reading, [m for m in matches if id(m) not in consumed], text)
    _share_of_or_ratio(reading, matches, vocab, ctx.catalog)
    rank_spans = _rank_from_patterns(reading, text, vocab)
    apply_shape(reading, shape)
    reading.unaccounted = unaccounted(text, matches, shape.spans + rank_spans, vocab)
    read_ratio(reading, matches, text, ctx, vocab)
    chinese_typos(reading, vocab, ctx.catalog, text)
    reading.metric_named = bool(reading.metrics or reading.ambiguous)
    check_words(reading, matches, text, ctx, vocab)
    reading.confidence = confidence(reading)
    return reading


# ---- choosing metrics when the words alone don't -------------------------------------------


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
    if not near_example and read_description(reading, [], ctx, vocab):
        reading.guess_support = 1.0  # every unplaced word is in the metric's own description
        return
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
    if not reading.unaccounted:
        # nothing names a metric and nothing is left unexplained ("how are we doing", "compare the
        # regions", "给我看看数据"): ask which metric
        options = [metric_option(m) for m in key_metrics(ctx.catalog)]
        raise AmbiguousQuestionError(Message("clarify.which_metric", {"options": options}), options=options)
    if reading.unaccounted:  # name the words instead of "no metric"
        words = " ".join(w.text for w in reading.unaccounted)
        raise unsupported(
            ctx.catalog, RefusalReason.UNKNOWN_WORDS, Message("unsupported.unknown_words", {"words": words})
        )
    raise unsupported(ctx.catalog, RefusalReason.NO_METRIC)


# ---- planners ------------------------------------------------------------------------------


class RulePlanner:
    """The deterministic planner: catalog vocabulary + generic lexicon, no LLM."""

    def __init__(self, max_chars: int = 1000, min_confidence: float = 0.7) -> None:
        self.max_chars = max_chars
        self.min_confidence = min_confidence
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
            check_guess(reading, ctx, vocab)
        return self.confident(build_plan(reading, ctx), ctx)

    def confident(self, plan: QueryPlan, ctx: PlanningContext) -> QueryPlan:
        """A plan too unsure to answer is asked back: how it was read, that reading first among the
        options (``min_confidence``; the eval's calibration table shows why)."""
        if plan.confidence >= self.min_confidence:
            return plan
        options = nearest_options(ctx, plan.metrics)
        raise AmbiguousQuestionError(
            Message("clarify.unsure", {"metric": options[0], "notes": plan_notes(plan), "options": options}),
            options=options,
            reason=RefusalReason.LOW_CONFIDENCE,
        )

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

"""Every content word accounted for: typos read as the catalog names they misspell, words next to a
catalog term that its names explain, and what to do with the rest — a breakdown by something that is
not a dimension is asked back, a word that qualifies a metric or a guess with unplaced words is
refused or asked back (never the nearest metric), a few unplaced words are named in the assumptions;
confidence comes from coverage."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

from metricqa.assistant.semantic.plan import (
    Evidence,
)
from metricqa.assistant.understanding.choices import (
    key_metrics,
    metric_option,
    nearest_options,
    unsupported,
)
from metricqa.assistant.understanding.context import PlanningContext, Reading
from metricqa.assistant.understanding.grammar import (
    Shape,
    Word,
    adjacent,
    after_group_word,
    covers,
    explains,
)
from metricqa.assistant.understanding.lists import check_list_words
from metricqa.assistant.understanding.paraphrase import Related, cue_units, describe, word_explained
from metricqa.assistant.understanding.ratios import RatioPhrase, ratio_metrics, ratio_phrases
from metricqa.assistant.understanding.vocabulary import Match, Term, Vocabulary, load_lexicon, sound
from metricqa.catalog.models import Catalog, Dimension, Metric, Unit
from metricqa.core.errors import AmbiguousQuestionError, RefusalReason
from metricqa.core.language import fold, has_cjk
from metricqa.core.messages import Message


def typo_metric(text: str, found: list[Term], catalog: Catalog) -> Term | None:
    """The one metric a Chinese typo stands for: of several one character off, the one that sounds the
    same ("回款律" is 回款率, not 回款额, by toneless pinyin); still several: ask, naming them."""
    metrics = [t for t in found if t.kind == "metric"]
    if len(metrics) > 1:
        metrics = [t for t in metrics if sound(t.text.replace(" ", "")) == sound(text)] or metrics
    if len(metrics) > 1:
        options = [metric_option(catalog.metrics[t.entry]) for t in metrics]
        raise AmbiguousQuestionError(
            Message("clarify.unknown_words", {"words": text, "options": options}),
            options=options,
            reason=RefusalReason.UNKNOWN_WORDS,
        )
    return metrics[0] if metrics else None


def _compound_typo(reading: Reading, phrase: str, match: Match, vocab: Vocabulary, catalog: Catalog) -> bool:
    """A metric word plus one stray character that together are one character off a metric name: read
    it as that metric (or ask which); False when no name is that close."""
    term = typo_metric(phrase, vocab.correct_chinese(phrase), catalog)
    if term is None:
        return False
    entry = term.entry
    named = [t.entry for t in match.of("metric")]
    reading.metrics = [entry if mid in named else mid for mid in reading.metrics]
    reading.note("note.phrase_read_as", phrase=phrase, name=catalog.metrics[entry].name.by_language())
    reading.fuzzy += 1
    reading.unaccounted = []
    return True


def _with_filler(word: Word, text: str, vocab: Vocabulary) -> list[Term]:
    """The typo fix of ``word``, or of it with a filler word right before or after it in the question
    ("新增" is filler, yet "新增客护数" is 新增客户数)."""
    found = vocab.correct_chinese(word.text)
    if found or len(word.text) < 2:
        return found
    for filler in vocab.lexicon.filler_zh:
        if len(filler) > 1 and text[max(0, word.start - len(filler)) : word.start] == filler:
            found = found or vocab.correct_chinese(filler + word.text)
        if len(filler) > 1 and text[word.end : word.end + len(filler)] == filler:
            found = found or vocab.correct_chinese(word.text + filler)
    return found


def chinese_typos(reading: Reading, vocab: Vocabulary, catalog: Catalog, text: str) -> None:
    """An unplaced Chinese run one character away from a metric or dimension name is that name, read
    with a note ("销售颔" → 销售额)."""
    for word in list(reading.unaccounted):
        found = _with_filler(word, text, vocab) if has_cjk(word.text) else []
        term = typo_metric(word.text, found, catalog) or (found[0] if len(found) == 1 else None)
        if term is None:
            continue
        target = reading.metrics if term.kind == "metric" else reading.dimensions
        if term.entry not in target:
            target.append(term.entry)
        entry = catalog.metrics.get(term.entry) or catalog.dimensions.get(term.entry)
        if entry is not None:
            reading.note("note.phrase_read_as", phrase=word.text, name=entry.name.by_language())
        reading.fuzzy += 1
        reading.evidence.append(Evidence(text=word.text, entry=term.entry, kind=term.kind))
        reading.unaccounted.remove(word)


def apply_shape(reading: Reading, shape: Shape) -> None:
    reading.excluded = shape.excluded
    for dim, keys in shape.excluded.items():
        reading.evidence += [Evidence(text=key, entry=f"{dim}:{key}", kind="exclusion") for key in keys]
    reading.share, reading.change, reading.plural = shape.share, shape.change, shape.plural
    reading.thresholds, reading.target_list = shape.thresholds, shape.target_list
    if shape.access_claim:
        reading.note("note.access_from_login")


def confidence(reading: Reading) -> float:
    """From coverage and ambiguity: each word no token consumed, each typo fix and each assumption lowers it."""
    penalty = 0.15 * len(reading.unaccounted) + 0.1 * reading.fuzzy + 0.05 * len(reading.notes)
    penalty += 0.15 * reading.described
    return max(0.3, 0.95 - penalty)


def check_words(
    reading: Reading, matches: list[Match], text: str, ctx: PlanningContext, vocab: Vocabulary
) -> None:
    """Words the reader could not place: a breakdown by something that is not a dimension is asked back;
    a word that qualifies a metric ("customer churn", "净利润") is a metric the catalog lacks; other
    words are named in the assumptions."""
    if not reading.unaccounted:
        return
    check_list_words(reading, matches, text, ctx)
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
    _defined_by_metric(reading, metric_matches, text, vocab)
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
    if not _second_part(reading, metric_matches, text) and read_description(
        reading, metric_matches, ctx, vocab
    ):
        return
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
    if reading.metric_named and reading.share and not (reading.dimensions or reading.filters):
        raise low_coverage(reading, ctx)  # "what share of subscribers upgraded": the word is the part
    if reading.metric_named and _qualified(reading, metric_matches, text):
        raise low_coverage(reading, ctx)
    if reading.metric_named:
        reading.note("note.ignored_words", words=", ".join(w.text for w in reading.unaccounted))


def read_description(
    reading: Reading, metric_matches: Sequence[Match], ctx: PlanningContext, vocab: Vocabulary
) -> bool:
    """The unplaced words (with the words of the one metric named, if any) describe one metric in its
    own description's words ("what fraction of orders got returned" → return rate): read it so, with a
    note and lower confidence. False when no single metric explains them all."""
    named = {t.entry for m in metric_matches for t in m.of("metric")}
    if len(named) > 1 or not reading.unaccounted:
        return False
    stop = vocab.lexicon.stopwords
    words = [w for m in metric_matches for w in _words(m.text) if w not in stop]
    words += [w.text for w in reading.unaccounted]
    found = describe(words, reading.question, vocab.descriptions.values(), vocab.related)
    if found.metric is None:
        return False
    metric = ctx.catalog.metrics[found.metric]
    phrase = " ".join(w.text for w in reading.unaccounted)
    reading.metrics = [found.metric, *(m for m in reading.metrics if m not in named and m != found.metric)]
    reading.evidence.append(Evidence(text=phrase, entry=found.metric, kind="metric"))
    reading.note("note.phrase_read_as", phrase=phrase, name=metric.name.by_language())
    reading.unaccounted = []
    reading.described = True
    reading.metric_named = True
    if metric.unit is Unit.RATIO:  # "what share of deals we won": the share word named the ratio
        reading.share = False
    return True


def _words(text: str) -> list[str]:
    return [text] if has_cjk(text) else text.split()


def described_options(reading: Reading, vocab: Vocabulary) -> list[str]:
    """The metrics whose descriptions explain at least half of the unplaced words (the options of a
    question back); none: the words name a metric the catalog does not have."""
    words = [w.text for w in reading.unaccounted]
    return list(describe(words, reading.question, vocab.descriptions.values(), vocab.related).options)


def read_ratio(
    reading: Reading, matches: Sequence[Match], text: str, ctx: PlanningContext, vocab: Vocabulary
) -> None:
    """ "gross profit as a share of revenue", "revenue per order", "毛利占销售额的比例": the ratio metric
    of the catalog that divides the one by the other. Both named as metrics and no metric divides
    them: ask, rather than answer two numbers for one."""
    for phrase in ratio_phrases(matches, text, vocab.related):
        dens = {t.entry for t in phrase.denominator.of("metric")} if phrase.denominator else set()
        found = ratio_metrics(ctx.catalog, phrase.numerator, _denominator_test(phrase, dens))
        if len(found) == 1:
            _read_as_ratio(reading, found[0], phrase, dens, text, vocab.related)
        elif phrase.denominator is not None:
            names = [ctx.catalog.metrics[m] for m in [phrase.numerator, *dens] if m in ctx.catalog.metrics]
            options = [metric_option(m) for m in [*found, *names]]
            raise AmbiguousQuestionError(
                Message("clarify.no_ratio", {"phrase": text[phrase.start : phrase.end], "options": options}),
                options=options,
                reason=RefusalReason.UNKNOWN_WORDS,
            )


def _denominator_test(phrase: RatioPhrase, dens: set[str]) -> Callable[[Metric], bool]:
    """The denominator named as a metric, or a word its names spell ("order" for Orders)."""
    if phrase.denominator is not None:
        return lambda d: d.id in dens
    return lambda d: explains(phrase.words, names_of(d))


def _read_as_ratio(
    reading: Reading, metric: Metric, phrase: RatioPhrase, dens: set[str], text: str, related: Related
) -> None:
    said = " ".join(text[phrase.start : phrase.end].split())
    kept = [m for m in reading.metrics if m not in dens and m != phrase.numerator]
    reading.metrics = [metric.id, *kept]
    reading.unaccounted = [  # the phrase's words, and a ratio word after it ("占销售额的比例")
        w
        for w in reading.unaccounted
        if not phrase.start <= w.start < phrase.end and "ratio" not in cue_units(w.text, related)
    ]
    reading.share = False  # "as a share of": the ratio, not a share of the total
    reading.evidence.append(Evidence(text=said, entry=metric.id, kind="metric"))
    reading.note("note.phrase_read_as", phrase=said, name=metric.name.by_language())


LOW_COVERAGE_WORDS = 2  # this many words the reader cannot place: ask back rather than answer
CONJUNCTION = re.compile(r"\b(?:and|plus|as well as|also)\b|和|以及|还有|另外|并且|同时")


def _second_part(reading: Reading, metric_matches: list[Match], text: str) -> bool:
    """ "how many orders and how many were returned": an unplaced word after a conjunction that follows
    the named metric is a second thing asked for, which one number would silently drop."""
    ends = [m.end for m in metric_matches]
    return any(
        CONJUNCTION.search(text[end : w.start]) for w in reading.unaccounted for end in ends if end <= w.start
    )


def _qualified(reading: Reading, metric_matches: list[Match], text: str) -> bool:
    """ "tickets closed in 2019", "orders shipped last week": a participle right after the metric
    (one its definition does not say: ``_defined_by_metric`` ran first) says which rows to count, or
    by which date, so ignoring it would change the number."""
    return any(
        w.text.endswith("ed") and len(w.text) > 4 and m.end <= w.start and adjacent(text, w, m)
        for w in reading.unaccounted
        for m in metric_matches
    )


def _defined_by_metric(reading: Reading, metric_matches: list[Match], text: str, vocab: Vocabulary) -> None:
    """A word right after a metric that the metric's own definition says is accounted for ("orders
    completed": the metric counts completed orders)."""
    texts = vocab.descriptions

    def said(w: Word, m: Match) -> bool:
        ids = [t.entry for t in m.of("metric") if t.entry in texts]
        after = m.end <= w.start and adjacent(text, w, m)
        return after and any(word_explained(w.text, texts[i], vocab.related) for i in ids)

    reading.unaccounted = [w for w in reading.unaccounted if not any(said(w, m) for m in metric_matches)]


def low_coverage(reading: Reading, ctx: PlanningContext) -> AmbiguousQuestionError:
    """Too much of the question is unexplained to trust a number: name the words, offer what was read
    and the nearest metrics."""
    words = " ".join(w.text for w in reading.unaccounted)
    options = nearest_options(ctx, reading.metrics[:1])
    return AmbiguousQuestionError(
        Message("clarify.low_coverage", {"words": words, "options": options}),
        options=options,
        reason=RefusalReason.UNKNOWN_WORDS,
    )


EXAMPLE_SUPPORT = 0.8  # a guessed metric with unplaced words stands only on an example question this close


def check_guess(reading: Reading, ctx: PlanningContext, vocab: Vocabulary) -> None:
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
    ):  # "win rat", "客护数" (a guess the words spell: still a guess, its confidence stays low)
        reading.note("note.phrase_read_as", phrase=words, name=guessed.name.by_language())
        return
    if reading.guess_support >= EXAMPLE_SUPPORT:
        reading.note("note.ignored_words", words=words)
        return
    options = [metric_option(ctx.catalog.metrics[i]) for i in described_options(reading, vocab)[:6]]
    if options:  # a question back that names the words, with the metrics that explain most of them
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
            names += names_of(item)
    return names


def names_of(item: Metric | Dimension) -> list[str]:
    """A catalog entry's names (both languages) and synonyms."""
    return [item.name.en, item.name.get("zh"), *item.synonyms.all()]


def metric_names(metric: Metric) -> list[str]:
    """A metric's names, synonyms and its id in words (what a guessed metric may be called)."""
    return [*names_of(metric), metric.id.replace("_", " ")]


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
    """The one dimension whose name or synonym starts with ``word`` ("各销售" → 销售代表), if exactly one;
    one Chinese character after a group word: the one dimension whose Chinese name ends with it
    ("各组" → 小组)."""
    if has_cjk(word) and len(word) == 1:
        ends = {
            d.id: d
            for d in catalog.dimensions.values()
            for n in (d.name.zh or "", *d.synonyms.zh)
            if n.endswith(word)
        }
        return next(iter(ends.values())) if len(ends) == 1 else None
    if len(word) < (2 if has_cjk(word) else 4):
        return None
    for names in (lambda d: (d.name.en, d.name.zh), lambda d: d.synonyms.all()):
        found = {
            d.id: d
            for d in catalog.dimensions.values()
            for name in names(d)
            if name
            and fold(name) != word
            and _shares_start(word, fold(name))
            and not classifies(word, fold(name))
        }
        if found:
            return next(iter(found.values())) if len(found) == 1 else None
    return None


def classifies(word: str, name: str) -> bool:
    """ "客户类型" after "每个客户": the name is a classification of the word (its type, segment,
    category: ``classifier`` in lexicon.yaml), not the word itself, so the word does not read as it."""
    rest = name[len(word) :].strip() if name.startswith(word) else ""
    return rest in load_lexicon().classifiers


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
    options = [metric_option(d) for d in dims][:8]
    name = metric.name.by_language() if metric else Message("word.the_metric")
    return AmbiguousQuestionError(
        Message("clarify.bad_breakdown", {"metric": name, "word": word, "options": options}),
        options=options,
        reason=RefusalReason.UNSUPPORTED_BREAKDOWN,
    )

"""The words a question can use, built from the catalog and the warehouse's members.

Nothing here knows any particular catalog: metric ids, names and synonyms, dimension names and
synonyms, member labels and keys (both languages) and example questions become ``Term``s; generic
words (time, comparison, ranking, grouping) come from ``lexicon.yaml``. ``Vocabulary.match`` finds
them in a question, longest match first: Chinese by substring, English by whole words with an
edit distance of one allowed for words of five letters or more ("revnue", "regoin").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from metricqa.assistant.understanding.paraphrase import MetricText, Related, load_related, metric_texts
from metricqa.assistant.understanding.timeparse import has_time_words
from metricqa.catalog.models import Catalog, Dimension, Metric, TimeDimension
from metricqa.core.language import fold, has_cjk

LEXICON_PATH = Path(str(resources.files(__package__ or __name__).joinpath("lexicon.yaml")))
WORD_RE = re.compile(r"[a-z0-9]+")
_NON_WORD = re.compile(r"[^\w\u3400-\u4dbf\u4e00-\u9fff]|_")
FUZZY_MIN = 5


class MemberLike(Protocol):
    """``retrieval.members.Member``: a dimension value with its key and labels."""

    @property
    def key(self) -> str: ...
    @property
    def label_en(self) -> str: ...
    @property
    def label_zh(self) -> str: ...


@dataclass(frozen=True)
class Term:
    """One way of saying something. ``entry``: metric/dimension id, ``dim:key`` for a member,
    or the lexicon value (``previous_period``, ``desc``, ``month``…)."""

    text: str
    kind: str  # metric | dimension | member | comparison | rank | lagged | grain | trend | group | vague | followup
    entry: str
    source: str  # id | name | synonym | label | key | lexicon


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    terms: tuple[Term, ...]
    fuzzy: bool = False

    @property
    def kinds(self) -> set[str]:
        return {t.kind for t in self.terms}

    def of(self, kind: str) -> list[Term]:
        return [t for t in self.terms if t.kind == kind]


@dataclass(frozen=True)
class Lexicon:
    phrases: dict[str, dict[str, list[str]]]  # kind → value → phrases
    patterns: dict[str, list[re.Pattern[str]]]  # top_n, bottom_n, change_data, sql
    stopwords: frozenset[str]
    filler_zh: tuple[str, ...] = ()
    shorthand: Mapping[str, str] = field(default_factory=dict)  # English word → the word it stands for
    classifiers: frozenset[str] = frozenset()  # "type", "类型": a name ending so classifies, is not, its head


# token kinds whose phrases are one list (the kind is the value), and kinds with values (kind → value → list)
FLAT_KINDS = (
    "lagged", "trend", "group", "vague", "followup", "injection", "off_topic", "negation", "negation_close",
    "share", "change_up", "change_down", "change", "target_missed", "target_met", "plural_which",
    "access_claim", "target_noun", "list", "attribute_cue", "list_each", "sort", "which_entity",
)  # fmt: skip
VALUED_KINDS = ("comparison", "rank", "grain", "threshold")


@lru_cache(maxsize=4096)
def sound(text: str) -> tuple[str, ...]:
    """Toneless pinyin of Chinese text (pypinyin, imported on first use: it loads a dictionary)."""
    from pypinyin import lazy_pinyin  # optional heavy data, only needed for Chinese typos

    return tuple(lazy_pinyin(text))


def clean(text: str) -> str:
    """Fold and turn punctuation into spaces, keeping every index (spans stay valid)."""
    return _NON_WORD.sub(" ", fold(text))


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    phrases: dict[str, dict[str, list[str]]] = {}
    for kind in VALUED_KINDS:
        phrases[kind] = {k: v for k, v in raw[kind].items() if k not in ("top_n", "bottom_n")}
    for kind in FLAT_KINDS:
        phrases[kind] = {kind: list(raw[kind])}
    patterns = {
        "top_n": raw["rank"]["top_n"],
        "bottom_n": raw["rank"]["bottom_n"],
        "change_data": raw["change_data"],
        "sql": raw["sql"],
    }
    compiled = {k: [re.compile(p) for p in v] for k, v in patterns.items()}
    filler = tuple(sorted(raw.get("filler_zh", []), key=len, reverse=True))
    shorthand = {str(k): str(v) for k, v in (raw.get("shorthand") or {}).items()}
    classifiers = frozenset(str(w) for w in raw.get("classifier", []))
    return Lexicon(phrases, compiled, frozenset(raw["stopwords"]), filler, shorthand, classifiers)


def osa_distance(a: str, b: str, cap: int = 2) -> int:
    """Optimal string alignment distance (a transposition counts once), stopping early past ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass
class Vocabulary:
    """Terms indexed for matching: English as word tuples, Chinese as substrings."""

    lexicon: Lexicon
    english: dict[tuple[str, ...], list[Term]] = field(default_factory=dict)
    chinese: dict[str, list[Term]] = field(default_factory=dict)
    catalog_words: set[str] = field(default_factory=set)
    known_words: set[str] = field(default_factory=set)
    max_words: int = 1
    related: Related = field(default_factory=load_related)  # generic word knowledge (paraphrase.yaml)
    descriptions: dict[str, MetricText] = field(default_factory=dict)  # metric id → its words (paraphrases)

    @cached_property
    def metric_phrases(self) -> dict[str, list[str]]:
        """Metric id → the names and synonyms it is matched by (English words joined by spaces, Chinese
        as is). Read once, after the vocabulary is built."""
        out: dict[str, list[str]] = {}
        phrases = [
            *((" ".join(words), terms) for words, terms in self.english.items()),
            *self.chinese.items(),
        ]
        for phrase, terms in phrases:
            for metric in dict.fromkeys(t.entry for t in terms if t.kind == "metric"):
                out.setdefault(metric, []).append(phrase)
        return out

    @cached_property
    def timed_names(self) -> tuple[str, ...]:
        """The metric names and synonyms that hold time words ("cumulative billings", "年初至今开票金额")."""
        phrases = dict.fromkeys(p for names in self.metric_phrases.values() for p in names)
        return tuple(p for p in phrases if has_time_words(p))

    def phrases_of(self, metric_id: str) -> list[str]:
        return self.metric_phrases.get(metric_id, [])

    def add(self, text: str, kind: str, entry: str, source: str) -> None:
        norm = " ".join(clean(text).split())
        if not norm:
            return
        term = Term(norm, kind, entry, source)
        if has_cjk(norm):
            bucket = self.chinese.setdefault(norm.replace(" ", ""), [])
        else:
            words = tuple(WORD_RE.findall(norm))
            if not words:
                return
            bucket = self.english.setdefault(words, [])
            self.max_words = max(self.max_words, len(words))
            (
                self.catalog_words
                if kind in ("metric", "dimension", "member", "time_dimension", "attribute")
                else self.known_words
            ).update(words)
        if term not in bucket:
            bucket.append(term)

    def correct(self, word: str) -> str | None:
        """The catalog word (≥ 5 letters) within edit distance one of ``word`` (≥ 4 letters: "ordr"), if
        exactly one is closest."""
        if len(word) < FUZZY_MIN - 1 or word in self.catalog_words or word in self.known_words:
            return None
        if word in self.lexicon.stopwords or word.isdigit():
            return None
        if word.endswith("s") and word[:-1] in self.catalog_words:  # a plural: "calls" → "call"
            return word[:-1]
        near = [w for w in self.catalog_words if len(w) >= FUZZY_MIN and osa_distance(word, w, 1) <= 1]
        near = [w for w in near if w.rstrip("s") != word.rstrip("s") or w == word] or near
        return near[0] if len(near) == 1 else None

    def match(
        self, text: str, kinds: set[str] | None = None, drop: frozenset[str] = frozenset()
    ) -> list[Match]:
        """Every term found in ``text`` (spans index ``text``), longest first, without overlaps; terms of
        the kinds in ``drop`` are left out before overlaps are resolved (as if not in the vocabulary)."""
        cleaned = clean(text)
        found = self._english(cleaned) + self._chinese(cleaned)
        if drop:
            found = [without(m, drop) for m in found if m.kinds - drop]
        if kinds is not None:
            found = [m for m in found if m.kinds & kinds]
        return resolve_overlaps(found)

    def _english(self, text: str) -> list[Match]:
        short = self.lexicon.shorthand
        tokens = [  # shorthand may stand for several words ("gp" → gross profit), all on its span
            (m.start(), m.end(), word)
            for m in WORD_RE.finditer(text)
            for word in short.get(m.group(), m.group()).split()
        ]
        fixed = [(s, e, w, self.correct(w)) for s, e, w in tokens]
        found: list[Match] = []
        for i in range(len(fixed)):
            for n in range(1, min(self.max_words, len(fixed) - i) + 1):
                window = fixed[i : i + n]
                exact = tuple(w for _, _, w, _ in window)
                terms = self.english.get(exact)
                fuzzy = False
                if terms is None and any(c for *_, c in window):
                    terms = self.english.get(tuple(c or w for _, _, w, c in window))
                    terms = [t for t in terms or [] if t.kind in ("metric", "dimension", "member")] or None
                    fuzzy = True
                if terms:
                    start, end = window[0][0], window[-1][1]
                    found.append(Match(start, end, text[start:end], tuple(terms), fuzzy))
        return found

    def correct_chinese(self, run: str) -> list[Term]:
        """Typos in a Chinese catalog name ("销售颔" for 销售额, "毛力率" for 毛利率): one term per metric
        or dimension whose name of three or more characters is the whole ``run`` but for one character
        that is not the first (a leading character is a modifier: 净利润 ≠ 毛利润)."""
        found: dict[str, Term] = {}
        for phrase, terms in self.chinese.items():
            keep = [t for t in terms if t.kind in ("metric", "dimension")]
            if len(phrase) < 3 or len(run) != len(phrase) or not keep:
                continue
            diff = [i for i, (a, b) in enumerate(zip(run, phrase, strict=True)) if a != b]
            if len(diff) == 1 and diff[0] > 0:
                found.setdefault(keep[0].entry, keep[0])
        return list(found.values())

    def _chinese(self, text: str) -> list[Match]:
        found: list[Match] = []
        for phrase, terms in self.chinese.items():
            start = text.find(phrase)
            while start >= 0:
                found.append(Match(start, start + len(phrase), phrase, tuple(terms)))
                start = text.find(phrase, start + 1)
        return found


def without(match: Match, kinds: frozenset[str]) -> Match:
    """``match`` without its terms of ``kinds``."""
    return Match(
        match.start, match.end, match.text, tuple(t for t in match.terms if t.kind not in kinds), match.fuzzy
    )


def resolve_overlaps(found: Sequence[Match]) -> list[Match]:
    """Longest match first (exact before fuzzy); overlapping shorter matches are dropped."""
    chosen: list[Match] = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), m.fuzzy, m.start)):
        if all(m.end <= c.start or m.start >= c.end for c in chosen):
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)


def _entry_terms(vocab: Vocabulary, entries: Iterable[Metric | Dimension | TimeDimension], kind: str) -> None:
    """A metric's or dimension's id, names and synonyms."""
    for entry in entries:
        vocab.add(entry.id.replace("_", " "), kind, entry.id, "id")
        for text in filter(None, (entry.name.en, entry.name.zh)):
            vocab.add(text, kind, entry.id, "name")
        for text in entry.synonyms.all():
            vocab.add(text, kind, entry.id, "synonym")


def _stem_terms(vocab: Vocabulary, catalog: Catalog) -> None:
    """ "订单数" is also asked as "订单": a Chinese count name without its 数/量 suffix, when that
    stem names nothing else."""
    for metric in catalog.metrics.values():
        for text in filter(None, [metric.name.zh, *metric.synonyms.zh]):
            for suffix in ("数量", "数", "量"):
                stem = text[: -len(suffix)]
                if text.endswith(suffix) and len(stem) >= 2 and stem not in vocab.chinese:
                    vocab.add(stem, "metric", metric.id, "stem")


def _member_terms(vocab: Vocabulary, members: Mapping[str, Iterable[MemberLike]]) -> None:
    for dim_id, items in members.items():
        for member in items:
            entry = f"{dim_id}:{member.key}"
            vocab.add(member.label_en, "member", entry, "label")
            vocab.add(member.label_zh, "member", entry, "label")
            key = member.key.strip()
            if len(key) >= 2 and not key.isdigit():
                vocab.add(key.replace("_", " "), "member", entry, "key")


def _attribute_terms(vocab: Vocabulary, catalog: Catalog) -> None:
    """A dimension's attributes ("line", "产品线"), as ``dim:attribute`` terms."""
    for dim in catalog.dimensions.values():
        for a in dim.attributes:
            entry = f"{dim.id}:{a.id}"
            for text in filter(None, (a.id.replace("_", " "), a.name.en, a.name.zh, *a.synonyms.all())):
                vocab.add(text, "attribute", entry, "name")


def _lexicon_terms(vocab: Vocabulary, lexicon: Lexicon) -> None:
    for kind, values in lexicon.phrases.items():
        for value, phrases in values.items():
            for phrase in phrases:
                vocab.add(phrase, kind, value, "lexicon")


def build_vocabulary(
    catalog: Catalog, members: Mapping[str, Iterable[MemberLike]], lexicon: Lexicon | None = None
) -> Vocabulary:
    """Every matchable term of this catalog and its members, plus the generic lexicon."""
    vocab = Vocabulary(lexicon or load_lexicon())
    _entry_terms(vocab, catalog.metrics.values(), "metric")
    _entry_terms(vocab, catalog.dimensions.values(), "dimension")
    _entry_terms(vocab, catalog.time_dimensions.values(), "time_dimension")
    _stem_terms(vocab, catalog)
    _member_terms(vocab, members)
    _attribute_terms(vocab, catalog)
    _lexicon_terms(vocab, vocab.lexicon)
    vocab.known_words.update(vocab.lexicon.stopwords)
    vocab.descriptions = {t.metric: t for t in metric_texts(catalog, vocab.related)}
    return vocab


def example_questions(catalog: Catalog) -> list[tuple[str, str]]:
    """(metric id, example question) for every example in the catalog, both languages."""
    return [(m.id, q) for m in catalog.metrics.values() for q in m.examples.all()]


def tokens(text: str, stopwords: frozenset[str] = frozenset()) -> set[str]:
    """Words (English) and character bigrams (Chinese) for overlap scoring."""
    cleaned = clean(text)
    words = {w for w in WORD_RE.findall(cleaned) if w not in stopwords and len(w) > 1}
    for chunk in re.findall(r"[\u3400-\u9fff]+", cleaned):
        words.update(chunk[i : i + 2] for i in range(max(1, len(chunk) - 1)))
    return words

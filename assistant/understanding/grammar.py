"""The question grammar: what a combination of typed tokens means.

The vocabulary turns a question into typed tokens (``Match`` with kinds: metric, dimension, member,
negation, share, change_up/down, threshold, target_missed/met, plural_which, …; time is read by
``timeparse``). ``read_shape`` fills the slots the plan needs from their order and adjacency:

- exclusion: members named after a negation word, up to the next content word ("revenue excluding East",
  "除了华东、华北以外");
- share of total: a share word ("share", "% of", "占比");
- rank by change: a change word with a ranking word or "which <dimension>" ("grew the most", "降得最多");
- thresholds: a comparator next to a number ("more than 200", "below 40%", "100万以上");
- every member above / below target: a target word with a plural question ("which regions missed target");
- the words no token consumed (``unaccounted``), which lower confidence and are named to the asker.

Nothing here knows a catalog: words come from ``lexicon.yaml`` and the catalog's own names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from metricqa.assistant.understanding.vocabulary import WORD_RE, Match, Vocabulary, osa_distance
from metricqa.core.language import fold, has_cjk

ThresholdOp = Literal["lt", "le", "gt", "ge"]
Change = Literal["up", "down", "any"]

# a number with an optional scale or percent sign, on folded text (digits, "40.5", "1,200", "100万", "2.5m")
NUMBER_RE = re.compile(
    r"(?<![a-z0-9.])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|percent\b|pct\b|百分点|bn\b|billion\b|mm\b|m\b|million\b|k\b|thousand\b|千万|百万|万|亿|千)?"
)
ZH_PERCENT_RE = re.compile(r"百分之\s*(?P<num>\d+(?:\.\d+)?)")
SCALES = {
    "%": 0.01, "percent": 0.01, "pct": 0.01, "百分点": 0.01, "k": 1e3, "thousand": 1e3, "千": 1e3,
    "m": 1e6, "mm": 1e6, "million": 1e6, "百万": 1e6, "万": 1e4, "千万": 1e7, "亿": 1e8, "bn": 1e9,
    "billion": 1e9,
}  # fmt: skip
GAP_WORDS_ZH = set("和及与或跟、的")
# "% of revenue", "what % …" is a share; "% of target" is attainment, not a share
SHARE_RE = re.compile(
    r"%\s*of\b(?!\s*(?:the\s+|their\s+|its\s+|our\s+)?(?:\w+\s+)?(?:target|goal|plan|quota))|\bwhat\s*%"
)
MAX_THRESHOLD_GAP = 12  # characters between a comparator and its number


@dataclass(frozen=True)
class Number:
    value: float
    percent: bool
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ThresholdPhrase:
    op: ThresholdOp
    number: Number
    metric: str | None  # the metric named nearest before the comparator, if any
    of_target: bool  # "under 70% of target": the attainment ratio, not the value


@dataclass
class Shape:
    """The slots ``read_shape`` found; spans are what it consumed (for the unaccounted words)."""

    excluded: dict[str, list[str]] = field(default_factory=dict)  # dimension → member keys
    share: bool = False
    change: Change | None = None
    thresholds: list[ThresholdPhrase] = field(default_factory=list)
    target_list: Literal["missed", "met"] | None = None
    plural: bool = False
    access_claim: bool = False  # "as the exec role": access comes from the login, not the question
    spans: list[tuple[int, int]] = field(default_factory=list)


def numbers(folded: str) -> list[Number]:
    """Numbers in the question with their scale ("40%" → 0.4, "100万" → 1,000,000)."""
    found = []
    for m in NUMBER_RE.finditer(folded):
        unit = (m["unit"] or "").strip()
        value = float(m["num"].replace(",", "")) * SCALES.get(unit, 1.0)
        found.append(Number(value, unit in ("%", "percent", "pct", "百分点"), m.start(), m.end(), m.group()))
    for m in ZH_PERCENT_RE.finditer(folded):
        found.append(Number(float(m["num"]) / 100, True, m.start(), m.end(), m.group()))
    return found


def _member_entries(m: Match) -> list[tuple[str, str]]:
    return [tuple(t.entry.split(":", 1)) for t in m.of("member")]  # type: ignore[misc]


def _gap_is_glue(text: str, vocab: Vocabulary) -> bool:
    """Between two items of one list: nothing but separators, stopwords and Chinese glue characters."""
    words = text.split()
    return all(w in vocab.lexicon.stopwords or set(w) <= GAP_WORDS_ZH for w in words)


def _exclusions(matches: Sequence[Match], text: str, vocab: Vocabulary, shape: Shape) -> set[int]:
    """Members listed right after a negation word are excluded; returns the ids of the matches consumed
    (those members, and a dimension word naming them)."""
    excluded: set[int] = set()
    ordered = sorted(matches, key=lambda m: m.start)
    for i, neg in enumerate(ordered):
        if not neg.of("negation"):
            continue
        last_end = neg.end
        for m in ordered[i + 1 :]:
            if not _gap_is_glue(text[last_end : m.start], vocab):
                break
            if m.of("negation_close"):
                shape.spans.append((m.start, m.end))
                break
            if not m.of("member"):
                if m.of("dimension") and shape.excluded:  # "不含经销商渠道": the dimension word after it
                    excluded.add(id(m))
                    last_end = m.end
                    continue
                break
            dim, key = _member_entries(m)[0]
            shape.excluded.setdefault(dim, [])
            if key not in shape.excluded[dim]:
                shape.excluded[dim].append(key)
            excluded.add(id(m))
            last_end = m.end
        if shape.excluded:
            shape.spans.append((neg.start, neg.end))
    for i, close in enumerate(ordered):  # "华东、华北之外": members right before a closing word
        if not close.of("negation_close") or any(m.of("negation") for m in ordered[:i]):
            continue
        first = close.start
        for m in reversed(ordered[:i]):
            if not m.of("member") or not _gap_is_glue(text[m.end : first], vocab):
                break
            dim, key = _member_entries(m)[0]
            shape.excluded.setdefault(dim, []).append(key)
            excluded.add(id(m))
            first = m.start
        if first < close.start:
            shape.spans.append((close.start, close.end))
    return excluded


def _nearest_metric(matches: Sequence[Match], at: int) -> str | None:
    """The metric named closest to ``at`` (before it first: "revenue above 1M", then "more than 200 orders")."""
    before = [m for m in matches if m.of("metric") and m.end <= at]
    after = [m for m in matches if m.of("metric") and m.start >= at]
    named = before[-1:] or after[:1]
    return named[0].of("metric")[0].entry if named else None


def _thresholds(matches: Sequence[Match], folded: str, shape: Shape) -> None:
    comparators = [m for m in matches if m.of("threshold")]
    for number in numbers(folded):
        best: tuple[int, Match] | None = None
        for c in comparators:
            gap = number.start - c.end if c.end <= number.start else c.start - number.end
            if 0 <= gap <= MAX_THRESHOLD_GAP and (best is None or gap < best[0]):
                best = (gap, c)
        if best is None:
            continue
        comparator = best[1]
        op: ThresholdOp = comparator.of("threshold")[0].entry  # type: ignore[assignment]
        tail = folded[number.end : number.end + 16]
        of_target = bool(
            re.match(r"\s*(?:of\s+(?:the\s+|their\s+|its\s+)?(?:target|goal|plan|quota)|的?目标)", tail)
        )
        metric = _nearest_metric(matches, min(comparator.start, number.start))
        shape.thresholds.append(ThresholdPhrase(op, number, metric, of_target))
        shape.spans += [(comparator.start, comparator.end), (number.start, number.end)]


CHANGES: tuple[tuple[str, Change], ...] = (("change_down", "down"), ("change_up", "up"), ("change", "any"))


def _change(matches: Sequence[Match], vocab: Vocabulary) -> Change | None:
    """A change word, alone or inside a comparison phrase ("同比增长", "环比下降")."""
    kinds = {k for m in matches for k in m.kinds}
    for kind, change in CHANGES:
        if kind in kinds:
            return change
    for m in matches:
        if m.of("comparison"):
            for kind, change in CHANGES:
                if any(p in m.text for p in vocab.lexicon.phrases[kind][kind] if has_cjk(p) or " " in p):
                    return change
    return None


def _plural(matches: Sequence[Match]) -> bool:
    """A question about several members: "哪些" / "all" / "list", or a plural dimension word
    ("which regions", "regions that…", not "which region")."""
    for m in matches:
        if m.of("plural_which") and (has_cjk(m.text) or m.text in ("all", "list", "any")):
            return True
    return any(m.of("dimension") and m.text.endswith("s") and not m.text.endswith("ss") for m in matches)


def read_shape(matches: Sequence[Match], text: str, folded: str, vocab: Vocabulary) -> tuple[Shape, set[int]]:
    """The shape slots of a question; also the ids of member matches that are exclusions, not filters.

    ``text`` is the cleaned question with time expressions masked, ``folded`` the same before cleaning
    (same indices: numbers, percent signs)."""
    shape = Shape()
    excluded = _exclusions(matches, text, vocab, shape)
    kinds = {k for m in matches for k in m.kinds}
    if "share" in kinds or SHARE_RE.search(folded):
        shape.share = True
    ranked = "rank" in kinds or "plural_which" in kinds
    if ranked:
        shape.change = _change(matches, vocab)
    shape.plural = _plural(matches)
    shape.access_claim = "access_claim" in kinds
    if "target_missed" in kinds:
        shape.target_list = "missed"
    elif "target_met" in kinds:
        shape.target_list = "met"
    _thresholds(matches, folded, shape)
    return shape, excluded


@dataclass(frozen=True)
class Word:
    """A content word no token consumed, with its span in the cleaned question."""

    text: str
    start: int
    end: int


WORD_OR_RUN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]+")


def unaccounted(
    text: str, matches: Sequence[Match], spans: Sequence[tuple[int, int]], vocab: Vocabulary
) -> list[Word]:
    """Content words no token consumed: English words that are not stopwords, Chinese runs that are
    not filler (runs of two characters or more)."""
    chars = list(text)
    for start, end in [(m.start, m.end) for m in matches] + list(spans):
        chars[start:end] = " " * (end - start)
    rest = "".join(chars)
    for filler in vocab.lexicon.filler_zh:
        rest = rest.replace(filler, " " * len(filler))
    metric_starts = {m.start for m in matches if m.of("metric")}
    metric_ends = {m.end for m in matches if m.of("metric")}
    out = []
    for m in WORD_OR_RUN.finditer(rest):
        word = m.group()
        # one Chinese character counts only next to a metric: a modifier ("净利润") or a changed
        # suffix ("回款律" is not 回款)
        touches = m.end() in metric_starts or m.start() in metric_ends
        single = len(word) == 1 and not (has_cjk(word) and touches)
        if word.isdigit() or single:
            continue
        if vocab.lexicon.shorthand.get(word, word) in vocab.lexicon.stopwords:
            continue
        out.append(Word(word, m.start(), m.end()))
    return out


def adjacent(text: str, word: Word, match: Match) -> bool:
    """The word touches the match (only spaces or 的 between): "customer churn", "inventory turnover"."""
    gap = text[word.end : match.start] if word.end <= match.start else text[match.end : word.start]
    return gap.strip() in ("", "的")


def after_group_word(text: str, word: Word, matches: Sequence[Match]) -> bool:
    """The word follows a grouping word ("by color", "按颜色", "各城市"): asked as a breakdown."""
    return any(
        m.of("group") and m.end <= word.start and text[m.end : word.start].strip() == "" for m in matches
    )


def explains(word: str, names: Sequence[str]) -> bool:
    """Whether ``word`` is a spelling of part of one of ``names``: a typo or inflection of one of its
    English words ("rat" ~ "rate", "custs" ~ "customers"), or most characters of a Chinese name
    ("客护数" ~ "客户数", "收回来" ~ "回款")."""
    if has_cjk(word):
        need = max(2, -(-2 * len(word) // 3))
        return any(len(set(word) & set(name)) >= need for name in names if has_cjk(name))
    if len(word) < 3:
        return False
    for name in names:
        for w in WORD_RE.findall(fold(name)):
            if len(w) >= 3 and (osa_distance(word, w, 1) <= 1 or w.startswith(word) or word.startswith(w)):
                return True
    return False


def covers(words: Sequence[str], names: Sequence[str], stopwords: frozenset[str]) -> bool:
    """Whether the question's leftover ``words`` say one of ``names`` whole, allowing typos: every word
    of the name is spelled by a question word and every question word spells a word of the name
    ("win rat" ~ "win rate", not "customers" ~ "new customers"); Chinese: most characters both ways
    ("新增客护数" ~ "新增客户数")."""
    text = "".join(words)
    for name in names:
        if not name:
            continue
        if has_cjk(name) or has_cjk(text):
            shared = len(set(text) & set(name))
            if shared >= max(2, -(-2 * len(name) // 3)) and shared >= -(-2 * len(text) // 3):
                return True
            continue
        parts = [w for w in WORD_RE.findall(fold(name)) if w not in stopwords]
        if parts and all(explains(p, list(words)) for p in parts) and all(explains(w, [name]) for w in words):
            return True
    return False

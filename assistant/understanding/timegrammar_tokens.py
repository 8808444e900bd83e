"""The time tokenizer: folded question text → typed time tokens with spans.

Every word comes from the ``time.<language>.yaml`` files (``timegrammar_words``); this module holds
only the token types and the shapes numbers take (``2025``, ``2025-03-01``, ``3月1日``, ``q3``,
``last 3 months``). All languages are read at once, so mixed questions work. Candidates from every
rule compete for the text: the longest wins, then the earlier rule. Words within one edit of a long
enough word (``fuzzy_min_length``) are read as that word ("Agust" → August).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from metricqa.assistant.understanding.timegrammar_words import TimeWords, TimeWordsError, load_words


class T(Enum):
    """Token types. Values are what the token carries (see ``Token``)."""

    YEAR = "year"  # n = year: 2025, 2025年, '25
    MONTH = "month"  # n = month, year if written (2025-03)
    DAY = "day"  # month (0: of the month next to it), n = day, year if written: 2025-03-01, 3月1日, 双十一
    QUARTER = "quarter"  # n: q3, 第三季度
    HALF = "half"  # n: h1, first half, 上半年
    ORD = "ordinal"  # n (-1 = last): third (quarter), 最后一个 (月)
    UNIT = "unit"  # unit: month, 季度
    REL = "relative"  # n = offset, units it goes with: last, next, 上, 去
    PERIOD = "period"  # unit, n = offset: today, ytd, 年初
    LAST_N = "last_n"  # unit, n: last 3 months, 近7天
    NEXT_N = "next_n"  # unit, n: next 2 weeks, 未来3个月
    FIRST_N = "first_n"  # unit, n (weak: the word also means "last N"): first 3 months, 前三季度
    TO_NOW = "to_now"  # so far, to date, 以来, 至今
    NOW = "now"  # now, 现在
    SINCE = "since"  # since, 自从
    FROM = "from"  # from, 从
    BETWEEN = "between"  # between
    SEP = "range_sep"  # to, thru, -, 到, 至
    START_OF = "start_of"  # the start of
    CMP = "comparator"  # vs, than, compared with, 比, 对比, 相比
    CMP_LEAD = "leading_comparator"  # 同比, 环比 (right before a period)
    CMP_VERB = "compare_verb"  # compare
    JOIN = "join"  # and, with, 和, 跟, 与
    SAME = "same_period"  # same period (last year), (去年)同期
    BEFORE = "before"  # (the week) before
    BEFORE_LAST = "before_last"  # (the month) before last
    PREP = "preposition"  # in, for, 在 (also: "in May" makes "may" a month)
    ARTICLE = "article"  # the
    FILLER = "filler"  # 当天, 全年 (after a period)
    BLOCK = "not_time"  # 占比, 成本: hides the time word inside


@dataclass(frozen=True, slots=True)
class Token:
    kind: T
    start: int
    end: int
    n: int = 0
    unit: str = ""
    year: int | None = None
    month: int = 0
    units: frozenset[str] | None = None
    weak: bool = False
    fuzzy: bool = False

    def at(self, start: int, end: int, fuzzy: bool = False) -> Token:
        """This token's template placed at ``start``..``end`` (faster than ``dataclasses.replace``)."""
        return Token(
            self.kind, start, end, self.n, self.unit, self.year, self.month, self.units, self.weak, fuzzy
        )


WORD_CLASSES: dict[str, T] = {
    "to_now": T.TO_NOW, "now": T.NOW, "since": T.SINCE, "from_": T.FROM, "between": T.BETWEEN,
    "range_separators": T.SEP, "start_of": T.START_OF, "comparators": T.CMP,
    "leading_comparators": T.CMP_LEAD, "compare_verbs": T.CMP_VERB, "joins": T.JOIN,
    "same_period": T.SAME, "before": T.BEFORE, "before_last": T.BEFORE_LAST, "prepositions": T.PREP, "articles": T.ARTICLE,
    "fillers_after": T.FILLER, "not_time": T.BLOCK,
}  # fmt: skip
SPACE = "\x00"  # a space inside a phrase: any run of spaces or hyphens
LATIN = re.compile(r"[a-z0-9]")
LATIN_WORD = re.compile(r"[a-z]+")


# ---- regex building -------------------------------------------------------------------------------


def _key(word: str) -> str:
    return SPACE.join(word.lower().split())


def _trie(words: Iterable[str]) -> str:
    """One regex alternation for many literal words, as a trie (fast to match, longest first)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_rx(root)


def _node_rx(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [
        (r"[\s\-]+" if ch == SPACE else re.escape(ch)) + _node_rx(child)
        for ch, child in sorted(node.items(), reverse=True)
        if ch
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
    return body + "?" if ends else body


def words_rx(words: Iterable[str], left: bool = True, right: bool = True) -> str:
    """Alternation of ``words``; words that start (end) with a Latin letter or digit match whole on
    the ``left`` (``right``)."""
    keys = {_key(w) for w in words if w.strip()}
    latin = sorted(k for k in keys if LATIN.match(k[0]) or LATIN.match(k[-1]))
    other = sorted(keys - set(latin))
    parts = []
    if latin:
        before, after = r"(?<![a-z0-9])" if left else "", r"(?![a-z0-9])" if right else ""
        parts.append(before + "(?:" + _trie(latin) + ")" + after)
    if other:
        parts.append("(?:" + _trie(other) + ")")
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


def affix_rx(words: Iterable[str]) -> str:
    """Alternation of prefixes or suffixes that touch a number ("q3", "1st", "3月")."""
    return words_rx(words, left=False, right=False)


def _normal(text: str) -> str:
    return SPACE.join(re.split(r"[\s\-]+", text.strip())) if text.strip("-") else text


# ---- the compiled lexicon -------------------------------------------------------------------------

Maker = Callable[[re.Match[str]], "list[Token] | None"]


@dataclass
class Lexicon:
    """Every language's words, as token templates keyed by word and as compiled rules."""

    words: dict[str, Token] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    tens: set[str] = field(default_factory=set)
    units: dict[str, str] = field(default_factory=dict)
    counted: dict[str, tuple[str, int]] = field(default_factory=dict)
    year_glue: set[str] = field(default_factory=set)
    preps: set[str] = field(default_factory=set)
    rules: list[tuple[re.Pattern[str], Maker]] = field(default_factory=list)
    word_rx: re.Pattern[str] = re.compile("(?!)")
    fuzzy: dict[str, Token | None] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)

    def add(self, word: str, token: Token, language: str) -> None:
        key = _key(word)
        old = self.words.get(key)
        if old is not None and old != token:
            self.issues.append(
                f"in file `time.{language}.yaml`: '{word}' is both {old.kind.value} and {token.kind.value}"
            )
        self.words[key] = token

    def number(self, text: str) -> int:
        """Digits, a number word ("three") or a Chinese number ("十二", "两")."""
        text = text.strip()
        if text.isdigit():
            return int(text)
        if text in self.numbers:
            return self.numbers[text]
        ten = next((t for t in self.tens if t in text), None)
        if ten is None:
            return 0
        tens, _, ones = text.partition(ten)
        return (self.numbers.get(tens, 0) if tens else 1) * 10 + (self.numbers.get(ones, 0) if ones else 0)


def _word_tokens(lex: Lexicon, w: TimeWords) -> None:
    lang = w.language
    for word, month in w.months.items():
        lex.add(word, Token(T.MONTH, 0, 0, n=month, weak=word in w.weak_months), lang)
    for unit, words in w.units.items():
        for word in words:
            lex.add(word, Token(T.UNIT, 0, 0, unit=unit), lang)
    for word, n in w.ordinals.items():
        lex.add(word, Token(T.ORD, 0, 0, n=n), lang)
    for word, n in w.halves.items():
        lex.add(word, Token(T.HALF, 0, 0, n=n), lang)
    for rel in w.relative:
        units = frozenset(rel.units) if rel.units is not None else None
        for word in rel.words:
            lex.add(word, Token(T.REL, 0, 0, n=rel.offset, units=units), lang)
    for word, (unit, offset) in w.periods.items():
        lex.add(word, Token(T.PERIOD, 0, 0, n=offset, unit=unit), lang)
    for word, (month, day) in w.holidays.items():
        lex.add(word, Token(T.DAY, 0, 0, n=day, month=month), lang)
    for name, kind in WORD_CLASSES.items():
        for word in getattr(w, name):
            lex.add(word, Token(kind, 0, 0), lang)


def _fuzzy_index(lex: Lexicon, w: TimeWords) -> None:
    """Words within one edit of a long word (deletion neighbourhoods, as SymSpell does)."""
    if not w.fuzzy_min_length:
        return
    kinds = (T.MONTH, T.UNIT, T.REL, T.PERIOD)
    for key, token in list(lex.words.items()):
        if token.kind in kinds and len(key) >= w.fuzzy_min_length and LATIN_WORD.fullmatch(key):
            for variant in {key, *_deletes(key)}:
                # two different words this close to one spelling: guess neither
                lex.fuzzy[variant] = token if lex.fuzzy.get(variant, token) == token else None


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def build_lexicon(files: tuple[TimeWords, ...]) -> Lexicon:
    """Compile every language's words into token templates and rules; a word that two token
    classes claim is an error."""
    lex = Lexicon()
    for w in files:
        lex.numbers.update(w.numbers)
        lex.tens.update(w.tens)
        lex.year_glue.update(_key(g) for g in w.year_joiners)
        lex.preps.update(_key(p) for p in [*w.prepositions, *w.articles])
        for unit, words in w.units.items():
            lex.units.update({_key(word): unit for word in words})
        lex.counted.update({_key(word): value for word, value in w.counted_units.items()})
        _word_tokens(lex, w)
    if lex.issues:
        raise TimeWordsError(lex.issues)
    lex.rules = _shared_rules(lex, files)
    for w in files:
        _fuzzy_index(lex, w)
        lex.rules += _rules(lex, w)
    lex.word_rx = re.compile(words_rx(lex.words))
    return lex


@cache
def lexicon() -> Lexicon:
    """The packaged languages' lexicon, compiled once."""
    return build_lexicon(load_words())


# ---- rules for numbers and dates ------------------------------------------------------------------


def _shared_rules(lex: Lexicon, files: tuple[TimeWords, ...]) -> list[tuple[re.Pattern[str], Maker]]:
    """Years and numeric dates, the same in every language (with every language's year suffixes)."""
    ys = affix_rx(s for w in files for s in w.year_suffixes)
    rules: list[tuple[str, Maker]] = [
        (rf"(?<!\d)((?:19|20)\d{{2}})(?!\d)(?:\s*{ys})?", lambda m: [_tok(T.YEAR, m, n=int(m[1]))]),
        (r"(?<![a-z'’])['’](\d{2})(?!\d)", lambda m: [_tok(T.YEAR, m, n=2000 + int(m[1]))]),
        (r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", lambda m: _day(lex, m, m[1], m[2], m[3])),
        (r"(?<!\d)(\d{4})[-/](\d{1,2})(?![-/.\d])", lambda m: _month(lex, m, m[2], int(m[1]))),
    ]
    return [(re.compile(rx), make) for rx, make in rules]


def _rules(lex: Lexicon, w: TimeWords) -> list[tuple[re.Pattern[str], Maker]]:
    """The shapes of dates and counted periods in one language, with that language's words."""
    zh_chars = "".join(sorted({*(k for k in w.numbers if len(k) == 1 and not k.isascii()), *w.tens}))
    spelled = [k for k in w.numbers if k.isascii()]
    num = (
        r"\d{1,3}"
        + (f"|[{zh_chars}]{{1,3}}" if zh_chars else "")
        + (f"|{words_rx(spelled)}" if spelled else "")
    )
    day_num = r"\d{1,2}" + (f"|[{zh_chars}]{{1,3}}" if zh_chars else "")
    no_num = rf"(?<![\d{zh_chars}])"
    ys, ms, ds = affix_rx(w.year_suffixes), affix_rx(w.month_suffixes), affix_rx(w.day_suffixes)
    units = words_rx((k for ws in w.units.values() for k in ws), left=False)
    seps = words_rx(w.range_separators)
    months = words_rx(w.months)
    rules: list[tuple[str, Maker]] = []
    if w.month_suffixes:
        rules += [
            (rf"(?<!\d)(\d{{4}})\s*{ys}\s*({day_num})\s*{ms}\s*({day_num})\s*{ds}", lambda m: _day(lex, m, m[1], m[2], m[3])),
            (rf"{no_num}({day_num})\s*{ms}\s*({day_num})\s*{ds}", lambda m: _day(lex, m, None, m[1], m[2])),
            (rf"{no_num}({day_num})\s*({seps})\s*({day_num})\s*{ms}", lambda m: _pair(lex, m, T.MONTH, 12)),
            (rf"{no_num}({day_num})\s*{ms}", lambda m: _month(lex, m, m[1], None)),
        ]  # fmt: skip
    if w.months:
        joiners = words_rx(w.day_month_joiners)
        rules += [
            (rf"({months})\.?\s*(\d{{1,2}})(?:{ds})?(?![\d:a-z])", lambda m: _en_day(lex, m, m[1], m[2])),
            (rf"(?<!\d)(\d{{1,2}})(?:{ds})?\s+(?:{joiners}\s+)?({months})", lambda m: _en_day(lex, m, m[2], m[1])),
        ]  # fmt: skip
    if w.quarter_suffixes:
        qp, qs = affix_rx(w.quarter_prefixes), affix_rx(w.quarter_suffixes)
        rules += [
            (rf"(?:{qp}\s*)?{no_num}({day_num})\s*({seps})\s*(?:{qp}\s*)?({day_num})\s*{qs}", lambda m: _pair(lex, m, T.QUARTER, 4)),
            (rf"(?:{qp}\s*)?{no_num}({day_num})\s*{qs}", lambda m: _numbered(lex, m, T.QUARTER, 4)),
        ]  # fmt: skip
    elif w.quarter_prefixes:
        rules.append(
            (
                rf"(?<![a-z])(?:{affix_rx(w.quarter_prefixes)})([1-4])(?![a-z0-9])",
                lambda m: _numbered(lex, m, T.QUARTER, 4),
            )
        )
    if w.half_prefixes:
        rules.append(
            (
                rf"(?<![a-z])(?:{affix_rx(w.half_prefixes)})([12])(?![a-z0-9])",
                lambda m: _numbered(lex, m, T.HALF, 2),
            )
        )
    measure = rf"(?:{affix_rx(w.measure_words)})?" if w.measure_words else ""
    counted = words_rx(w.counted_units, left=False) if w.counted_units else "(?!)"
    body = rf"(?:(?P<n>{num})\s*{measure}\s*(?P<unit>{units})|(?P<counted>{counted}))"
    last_only = [x for x in w.last_n if x not in w.first_n]
    for words, kind in ((last_only, T.LAST_N), (w.first_n, T.FIRST_N), (w.next_n, T.NEXT_N)):
        if words:
            rules.append((rf"(?P<lead>{words_rx(words)})\s*{body}", _counter(lex, kind, set(w.last_n))))
    if w.ago:
        ago = words_rx(w.ago, left=False)
        rules.append((rf"(?<!\d)(?P<n>{num})\s*{measure}\s*(?P<unit>{units})\s*{ago}", _ago(lex)))
    if w.day_of_month_suffixes:
        dom = affix_rx(w.day_of_month_suffixes)
        rules.append((rf"{no_num}({day_num})\s*{dom}", lambda m: _day_of_month(lex, m)))
    return [(re.compile(rx), make) for rx, make in rules]


def _tok(kind: T, m: re.Match[str], n: int) -> Token:
    return Token(kind, m.start(), m.end(), n=n)


def _month(lex: Lexicon, m: re.Match[str], raw: str, year: int | None) -> list[Token] | None:
    month = lex.number(raw)
    return [Token(T.MONTH, m.start(), m.end(), n=month, year=year)] if 1 <= month <= 12 else None


def _day(lex: Lexicon, m: re.Match[str], year: str | None, month: str, day: str) -> list[Token] | None:
    mo, d = lex.number(month), lex.number(day)
    try:
        date(int(year) if year else 2024, mo, d)  # 2024: a leap year, so Feb 29 passes without a year
    except ValueError:
        return None
    return [Token(T.DAY, m.start(), m.end(), n=d, month=mo, year=int(year) if year else None)]


def _en_day(lex: Lexicon, m: re.Match[str], month_word: str, day: str) -> list[Token] | None:
    token = lex.words.get(_key(month_word.rstrip(".")))
    if token is None or not 1 <= int(day) <= 31:
        return None
    return [Token(T.DAY, m.start(), m.end(), n=int(day), month=token.n)]


def _numbered(lex: Lexicon, m: re.Match[str], kind: T, top: int) -> list[Token] | None:
    n = lex.number(m[1])
    return [Token(kind, m.start(), m.end(), n=n)] if 1 <= n <= top else None


def _pair(lex: Lexicon, m: re.Match[str], kind: T, top: int) -> list[Token] | None:
    """ "3-5月", "一到三季度": two numbered periods with a range separator between them."""
    a, b = lex.number(m[1]), lex.number(m[3])
    if not (1 <= a <= top and 1 <= b <= top):
        return None
    return [
        Token(kind, m.start(1), m.end(1), n=a),
        Token(T.SEP, m.start(2), m.end(2)),
        Token(kind, m.start(3), m.end(), n=b),
    ]


def _counter(lex: Lexicon, kind: T, also_last: set[str]) -> Maker:
    def make(m: re.Match[str]) -> list[Token] | None:
        if m["counted"]:
            unit, n = lex.counted[_normal(m["counted"])]
        else:
            unit, n = lex.units[_normal(m["unit"])], lex.number(m["n"])
        weak = kind is T.FIRST_N and _normal(m["lead"]) in also_last
        return [Token(kind, m.start(), m.end(), n=n, unit=unit, weak=weak)] if 1 <= n <= 400 else None

    return make


def _ago(lex: Lexicon) -> Maker:
    """ "three months ago", "两年前": the period that many periods back."""

    def make(m: re.Match[str]) -> list[Token] | None:
        n = lex.number(m["n"])
        return [Token(T.PERIOD, m.start(), m.end(), n=-n, unit=lex.units[_normal(m["unit"])])] if n else None

    return make


def _day_of_month(lex: Lexicon, m: re.Match[str]) -> list[Token] | None:
    day = lex.number(m[1])
    return [Token(T.DAY, m.start(), m.end(), n=day, weak=True)] if 1 <= day <= 31 else None


# ---- tokenizing -----------------------------------------------------------------------------------


def _candidates(text: str, lex: Lexicon) -> Iterator[tuple[int, list[Token]]]:
    for m in lex.word_rx.finditer(text):
        template = lex.words.get(_normal(m[0]))
        if template is not None:
            yield 100, [template.at(m.start(), m.end())]
    for priority, (pattern, make) in enumerate(lex.rules):
        for m in pattern.finditer(text):
            made = make(m)
            if made:
                yield priority, made


def _fuzzy(text: str, lex: Lexicon, taken: bytearray) -> Iterator[tuple[int, list[Token]]]:
    if not lex.fuzzy:
        return
    for m in LATIN_WORD.finditer(text):
        word = m[0]
        if len(word) < 5 or any(taken[m.start() : m.end()]) or word in lex.words:
            continue
        guesses = {lex.fuzzy.get(v, None) for v in (word, *_deletes(word)) if v in lex.fuzzy}
        if len(guesses) == 1:
            guess = guesses.pop()
            if guess is not None:
                yield 200, [guess.at(m.start(), m.end(), fuzzy=True)]


def _choose(found: Iterable[tuple[int, list[Token]]], taken: bytearray) -> list[Token]:
    """Longest candidates first (then the earlier rule), never two on the same character."""
    chosen: list[Token] = []
    for _, tokens in sorted(found, key=lambda c: (c[1][0].start - c[1][-1].end, c[0], c[1][0].start)):
        start, end = tokens[0].start, tokens[-1].end
        if not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            chosen += tokens
    return chosen


def tokenize(text: str, lex: Lexicon | None = None) -> list[Token]:
    """Time tokens in folded ``text``, in text order (``BLOCK`` tokens already dropped)."""
    lex = lex or lexicon()
    taken = bytearray(len(text))
    chosen = _choose(_candidates(text, lex), taken)
    chosen += _choose(_fuzzy(text, lex, taken), taken)
    return _resplit(text, sorted((t for t in chosen if t.kind is not T.BLOCK), key=lambda t: t.start), lex)


def _resplit(text: str, tokens: list[Token], lex: Lexicon) -> list[Token]:
    """A word that swallowed the relative word of the next unit ("至今|年" = "至|今年") is split."""
    out: list[Token] = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.kind is T.UNIT and nxt.start == tok.end and tok.kind is not T.REL:
            split = _split(text, tok, nxt.unit, lex)
            if split:
                out += split
                continue
        out.append(tok)
    return out


def _split(text: str, tok: Token, unit: str, lex: Lexicon) -> list[Token] | None:
    for cut in range(tok.start + 1, tok.end):
        head, tail = (
            lex.words.get(_normal(text[tok.start : cut])),
            lex.words.get(_normal(text[cut : tok.end])),
        )
        if (
            head is not None
            and tail is not None
            and tail.kind is T.REL
            and (tail.units is None or unit in tail.units)
        ):
            return [replace(head, start=tok.start, end=cut), replace(tail, start=cut, end=tok.end)]
    return None

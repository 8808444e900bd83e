"""Lexical retrieval: BM25 over the index documents, plus exact name/synonym matching.

Tokens: English words lowercased and lightly stemmed; Chinese runs cut with jieba plus
character bigrams (so "华东" matches inside "华东区域" whatever jieba decides).
Exact matching works on a finer token stream (one token per CJK character) so that a name
matches anywhere in a question; a match inside a longer match is dropped, which makes
"毛利率" win over its prefix "毛利".
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECES = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
# Words that say how or when to ask, not what: they only add noise to BM25 (the planner reads them).
_STOPWORDS = frozenset(
    "a about all an and any are as at be been by can could did do does each every for from get give had has "
    "have how i in into is it its list me much many of on or our over per please show so tell than that the "
    "their there this to us versus vs was we were what when where which who why with would you "
    "day week month quarter year today yesterday last next previous current ytd mtd qtd ago since far "
    "trend top bottom highest lowest rank compared compare".split()
)
_STOPWORDS_ZH = frozenset(
    "的 了 是 吗 呢 吧 啊 呀 和 与 及 或 在 把 被 给 我 我们 你 你们 请 帮 帮我 看 看看 一下 多少 什么 怎么 怎样 "
    "如何 哪 哪个 哪些 几 各 每 每个 个 这 那 这个 那个 有 有没有 情况 显示 查询 查 告诉 今年 去年 明年 本月 上月 "
    "上个月 下个月 这个月 本季度 上季度 这个季度 本周 上周 这周 今天 昨天 目前 现在 最近 同期 去年同期 月 年 季度 "
    "周 日 天 趋势 最高 最低 排名 排行 对比 比较 按 分".split()
)


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """Import and initialise jieba once, quietly (it logs and loads a dictionary on first use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def stem(word: str) -> str:
    """A light English stemmer: plurals, -ing, -ed. Enough for metric vocabulary."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    for suffix, repl, min_len in (("ies", "y", 5), ("sses", "ss", 5), ("ing", "", 6), ("ed", "", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _pieces(text: str) -> Iterable[tuple[str, bool]]:
    """(piece, is_cjk) for each CJK run and each other word."""
    for match in _PIECES.finditer(_normalize(text)):
        yield (match.group(1), True) if match.group(1) else (match.group(2), False)


def _cjk_tokens(run: str) -> list[str]:
    """jieba words (no stopwords), plus bigrams across each stretch of consecutive kept words."""
    words: list[str] = []
    stretches: list[str] = [""]
    for word in _jieba().lcut(run):
        if word in _STOPWORDS_ZH or not word.strip():
            stretches.append("")
            continue
        words.append(word)
        stretches[-1] += word
    known = set(words)
    return words + [b for s in stretches for i in range(len(s) - 1) if (b := s[i : i + 2]) not in known]


def tokenize(text: str) -> list[str]:
    """BM25 tokens: stemmed English words (no stopwords), jieba words and bigrams for Chinese."""
    tokens: list[str] = []
    for piece, is_cjk in _pieces(text):
        if is_cjk:
            tokens.extend(_cjk_tokens(piece))
        elif piece not in _STOPWORDS and (word := stem(piece)) not in _STOPWORDS:
            tokens.append(word)
    return tokens


def match_tokens(text: str) -> tuple[str, ...]:
    """Tokens for exact matching: one per CJK character, one per stemmed English word."""
    tokens: list[str] = []
    for piece, is_cjk in _pieces(text):
        if is_cjk:
            tokens.extend(piece)
        else:
            tokens.append(stem(piece))
    return tuple(tokens)


def _weight(tokens: tuple[str, ...]) -> int:
    """Length of a phrase in CJK-character units (an English word counts as two)."""
    return sum(1 if len(t) == 1 and not t.isascii() else 2 for t in tokens)


@dataclass(frozen=True)
class PhraseMatch:
    doc_id: str
    phrase: str
    start: int
    end: int
    weight: int


class PhraseMatcher:
    """Finds catalog names/synonyms occurring verbatim (token for token) in a question."""

    def __init__(self, phrases: dict[str, tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        for doc_id, doc_phrases in phrases.items():
            for phrase in doc_phrases:
                toks = match_tokens(phrase)
                if toks:
                    self._by_first[toks[0]].append((toks, phrase, doc_id))

    def matches(self, question: str) -> list[PhraseMatch]:
        """Every match not strictly inside a longer match's span."""
        q = match_tokens(question)
        found: list[PhraseMatch] = []
        for i, tok in enumerate(q):
            for toks, phrase, doc_id in self._by_first.get(tok, ()):
                if q[i : i + len(toks)] == toks:
                    found.append(PhraseMatch(doc_id, phrase, i, i + len(toks), _weight(toks)))
        return [m for m in found if not any(_inside(m, o) for o in found)]

    def best(self, question: str) -> dict[str, PhraseMatch]:
        """The heaviest surviving match per document."""
        best: dict[str, PhraseMatch] = {}
        for m in self.matches(question):
            if m.doc_id not in best or m.weight > best[m.doc_id].weight:
                best[m.doc_id] = m
        return best


def _inside(m: PhraseMatch, other: PhraseMatch) -> bool:
    return other.start <= m.start and m.end <= other.end and (other.end - other.start) > (m.end - m.start)


class LexicalIndex:
    """BM25 over document texts plus a phrase matcher over their names and synonyms."""

    def __init__(self, texts: dict[str, str], phrases: dict[str, tuple[str, ...]]) -> None:
        self.ids = list(texts)
        corpus = [tokenize(texts[i]) for i in self.ids]
        self._bm25 = BM25Okapi(corpus) if self.ids and any(corpus) else None
        self.matcher = PhraseMatcher(phrases)

    def rank(
        self, question: str, allowed: set[str] | None = None, limit: int = 50
    ) -> list[tuple[str, float]]:
        """Documents with a positive BM25 score, best first (optionally only ``allowed`` ids)."""
        tokens = tokenize(question)
        if self._bm25 is None or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")
        ranked: list[tuple[str, float]] = []
        for i in order:
            if scores[i] <= 0 or len(ranked) >= limit:
                break
            if allowed is None or self.ids[i] in allowed:
                ranked.append((self.ids[i], float(scores[i])))
        return ranked

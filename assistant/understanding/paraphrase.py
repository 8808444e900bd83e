"""The description reader: a metric described in the asker's own words instead of its catalog name.

"how much money did customers pay us" names no metric, but every content word is in the description of
one ("Cash received from customers, by payment date"). A word is explained by a metric when its base
form, or a word related to it (``paraphrase.yaml``), is in that metric's names, synonyms, description or
definition; a Chinese run when most of its characters are. The reader answers with a metric only when
one explains every unplaced word, the question says enough (two English words, three Chinese
characters) and the unit fits ("what share of …" is a ratio); metrics explaining half the words are the
options of a question back; none: the words name a metric the catalog does not have.

Pure functions over the catalog and the question's words; the planner decides what to do with them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from metricqa.catalog.models import Catalog, Metric, Status
from metricqa.core.language import fold, has_cjk

PARAPHRASE_PATH = Path(str(resources.files(__package__ or __name__).joinpath("paraphrase.yaml")))
_EN_WORD = re.compile(r"[a-z0-9]+")
_ZH_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_ZH_FILLER = set("的了是在有和与及或被把对为")

MIN_EN_WORDS = 2  # English: this many content words explained before a description names the metric
MIN_ZH_CHARS = 3  # Chinese: this many characters
OPTION_SHARE = 0.5  # a metric explaining at least this share of the words is an option to ask about
MARGIN = 1.15  # the best metric's weight must beat the next one's by this factor


@dataclass(frozen=True)
class Related:
    """Generic word knowledge: irregular forms, related words (English groups, Chinese expansions) and
    the words that say which unit is asked for."""

    irregular: Mapping[str, str]
    related_en: Mapping[str, frozenset[str]]  # base form → the base forms of its group
    related_zh: Mapping[str, tuple[str, ...]]
    unit_cues: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]  # unit → (English, Chinese)
    empty: frozenset[str] = frozenset()  # words that describe nothing ("first-time": "time")
    ratio_of: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # "per", "as a share of", "占"
    ratio_each_zh: tuple[str, ...] = ()  # "每" before the denominator
    classifiers_zh: tuple[str, ...] = ()  # "笔" in "每笔订单"


@lru_cache(maxsize=2)
def load_related(path: Path = PARAPHRASE_PATH) -> Related:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    irregular = {str(k): str(v) for k, v in raw["irregular"].items()}
    groups: dict[str, set[str]] = {}
    for group in raw["related_en"]:
        bases = {_base(str(w), irregular) for w in group}
        for b in bases:
            groups.setdefault(b, set()).update(bases)
    zh = {str(k): tuple(str(v) for v in vs) for k, vs in raw["related_zh"].items()}
    cues = {
        unit: (tuple(str(w) for w in v.get("en", [])), tuple(str(w) for w in v.get("zh", [])))
        for unit, v in raw["unit_cues"].items()
    }
    empty = frozenset(str(w) for w in raw.get("empty", []))
    ratio = raw.get("ratio_of", {})
    return Related(
        irregular,
        {k: frozenset(v) for k, v in groups.items()},
        zh,
        cues,
        empty,
        (_longest_first(ratio.get("en", [])), _longest_first(ratio.get("zh", []))),
        _longest_first(raw.get("ratio_each_zh", [])),
        _longest_first(raw.get("classifiers_zh", [])),
    )


def _longest_first(words: Sequence[Any]) -> tuple[str, ...]:
    return tuple(sorted((str(w) for w in words), key=len, reverse=True))


def _base(word: str, irregular: Mapping[str, str]) -> str:
    """A crude base form, the same for the question and the catalog: irregular forms, then plural and
    past/progressive endings ("customers" → "customer", "returned" → "return")."""
    if word in irregular:
        return irregular[word]
    for suffix, repl, min_len in (("ies", "y", 5), ("sses", "ss", 5), ("ing", "", 6), ("ed", "", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def base(word: str, related: Related) -> str:
    return _base(fold(word), related.irregular)


def same_stem(a: str, b: str) -> bool:
    """Base forms of one word: equal, or one starts the other ("pay" / "payment", "attain" /
    "attainment"), or they share five leading letters ("converted" / "conversion")."""
    if a == b:
        return True
    short = min(len(a), len(b))
    if short >= 3 and (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 5:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5


@dataclass(frozen=True)
class MetricText:
    """One metric's words: English base forms and Chinese characters of its names and 口径 text."""

    metric: str
    unit: str
    words: frozenset[str]
    chars: frozenset[str]


def metric_texts(catalog: Catalog, related: Related) -> list[MetricText]:
    """The text of every metric that is not deprecated (a deprecated metric is only found by name)."""
    return [_text(m, related) for m in catalog.metrics.values() if m.status is not Status.DEPRECATED]


def _text(metric: Metric, related: Related) -> MetricText:
    texts = (metric.name, metric.description, metric.definition)
    parts = [metric.id.replace("_", " "), *metric.synonyms.all()]
    parts += [s for t in texts for s in (t.en, t.zh) if s]
    text = fold(" ".join(parts))
    words = frozenset(base(w, related) for w in _EN_WORD.findall(text) if len(w) > 1)
    chars = frozenset(c for run in _ZH_RUN.findall(text) for c in run if c not in _ZH_FILLER)
    return MetricText(metric.id, str(metric.unit), words, chars)


# ---- one word against one metric ---------------------------------------------------------------


def _en_forms(word: str, related: Related) -> frozenset[str]:
    b = base(word, related)
    return related.related_en.get(b, frozenset()) | {b}


def _zh_variants(run: str, related: Related) -> list[str]:
    """The run and the run with each related phrase written the catalog's way ("单子" → "订单")."""
    out = [run]
    for phrase, alternatives in related.related_zh.items():
        if phrase in run:
            out += [run.replace(phrase, alt) for alt in alternatives]
    return out


def _zh_hits(run: str, text: MetricText, related: Related) -> tuple[str, set[str]]:
    """The variant of the run that the metric's text spells best, and the characters it has."""
    best: tuple[str, set[str]] = (run, set())
    for variant in _zh_variants(run, related):
        hits = {c for c in variant if c in text.chars}
        if len(hits) > len(best[1]):
            best = (variant, hits)
    return best


def _zh_explains(run: str, hits: set[str]) -> bool:
    chars = {c for c in run if c not in _ZH_FILLER}
    return bool(chars) and len(hits) >= max(1, -(-2 * len(chars) // 3))


def _explain(word: str, text: MetricText, related: Related) -> tuple[bool, set[str], str]:
    """Whether the metric's text says ``word``; the evidence it counts ("en:<base>" or "zh:<char>"
    each) and, for Chinese, the variant of the word it spells."""
    if has_cjk(word):
        variant, hits = _zh_hits(word, text, related)
        ok = _zh_explains(word, hits)
        return ok, ({f"zh:{c}" for c in hits} if ok else set()), variant
    ok = _en_explains(word, text, related)
    return ok, ({f"en:{base(word, related)}"} if ok else set()), ""


def word_explained(word: str, text: MetricText, related: Related) -> bool:
    """Whether one metric's names, description or definition say ``word`` (or a related word)."""
    return _explain(word, text, related)[0]


def _en_explains(word: str, text: MetricText, related: Related) -> bool:
    forms = _en_forms(word, related)
    return any(same_stem(f, w) for f in forms for w in text.words)


# ---- the reader ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    """What the descriptions say about the words: the metric (one explains all), else the options."""

    metric: str | None
    options: tuple[str, ...]
    explained: float  # the best share of the words any metric explains


NOTHING = Described(None, (), 0.0)


def cue_units(question: str, related: Related) -> set[str]:
    """The units the question's words ask for ("what share of" → ratio, "多少钱" → currency)."""
    folded = fold(question)
    padded = f" {' '.join(re.findall(r'[a-z0-9%#]+', folded))} "
    found = set()
    for unit, (en, zh) in related.unit_cues.items():
        if any(f" {w} " in padded for w in en) or any(w in folded for w in zh):
            found.add(unit)
    return found


def _is_cue(word: str, related: Related) -> bool:
    """A ratio word ("share", "percent") says which kind of metric, not which one: every ratio
    metric's description has it. Money and count words ("cash") stay words."""
    en, _ = related.unit_cues.get("ratio", ((), ()))
    return word in en


def describe(
    words: Sequence[str], question: str, texts: Collection[MetricText], related: Related
) -> Described:
    """Which metric the words describe. ``words`` are the question's content words no catalog name
    consumed (and, to re-read a named metric, the words of that name)."""
    words = [w for w in words if has_cjk(w) or not (_is_cue(fold(w), related) or fold(w) in related.empty)]
    if not texts:
        return NOTHING
    if not words:  # only a unit was said ("what's the rate?"): which metric of that unit
        units = cue_units(question, related)
        return Described(None, tuple(t.metric for t in texts if t.unit in units), 0.0)
    # per metric: which words it explains, and (Chinese) which characters
    explained: dict[str, list[bool]] = {}
    evidence: dict[str, set[str]] = {}
    readings: dict[str, tuple[str, ...]] = {}  # the variant of each word the metric explains
    for text in texts:
        steps = [_explain(w, text, related) for w in words]
        explained[text.metric] = [ok for ok, _, _ in steps]
        evidence[text.metric] = {e for _, found, _ in steps for e in found}
        readings[text.metric] = tuple(variant for _, _, variant in steps)
    weight = _weights(evidence, len(texts))
    score = {m: sum(weight[e] for e in ev) for m, ev in evidence.items()}
    share = {m: sum(f) / len(f) for m, f in explained.items()}
    full = [t for t in texts if share[t.metric] == 1.0 and _enough(evidence[t.metric])]
    full = _fit_units(full, cue_units(question, related))
    ranked = sorted(full, key=lambda t: -score[t.metric])
    options = tuple(
        m for m in sorted(share, key=lambda m: (-share[m], -score[m])) if share[m] >= OPTION_SHARE
    )
    best_share = max(share.values())
    if ranked and (len(ranked) == 1 or _clear_winner(ranked[0].metric, ranked[1].metric, score, readings)):
        return Described(ranked[0].metric, options, best_share)
    if ranked:
        return Described(None, tuple(t.metric for t in ranked[:3]), best_share)
    return Described(None, options[:3], best_share)


def _clear_winner(
    first: str, second: str, score: Mapping[str, float], readings: Mapping[str, tuple[str, ...]]
) -> bool:
    """The best metric wins by a margin, and not through another meaning of a word than the runner-up
    ("流水": sales or cash received, each explained in full, is a question)."""
    return score[first] > MARGIN * score[second] and readings[first] == readings[second]


def _weights(evidence: Mapping[str, set[str]], n: int) -> dict[str, float]:
    """Rarer evidence weighs more: a word that half the metrics explain says little about which."""
    df: dict[str, int] = {}
    for ev in evidence.values():
        for e in ev:
            df[e] = df.get(e, 0) + 1
    return {e: math.log(1 + n / d) for e, d in df.items()}


def _enough(evidence: set[str]) -> bool:
    en = sum(1 for e in evidence if e.startswith("en:"))
    zh = sum(1 for e in evidence if e.startswith("zh:"))
    return en >= MIN_EN_WORDS or zh >= MIN_ZH_CHARS or (en >= 1 and zh >= 2)


def _fit_units(texts: list[MetricText], units: set[str]) -> list[MetricText]:
    """A ratio or count word keeps only metrics of that unit ("how many leads converted" is not the
    conversion rate); a money word prefers metrics of that unit ("how much" also asks about rates)."""
    for unit in ("ratio", "count"):
        if unit in units:
            return [t for t in texts if t.unit == unit]
    for unit in ("currency",):
        if unit in units and any(t.unit == unit for t in texts):
            texts = [t for t in texts if t.unit == unit]
    return texts

"""Language detection and text normalisation shared by the planners.

``fold`` keeps every character (NFKC: full-width → half-width, lowercase) so that spans found
in folded text map back to the question; ``normalize`` also strips punctuation for matching.
"""

from __future__ import annotations

import re
import unicodedata

from metricqa.core.errors import Language

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[a-z]+")
_PUNCT_RE = re.compile(r"[^\w\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|_")
_SPACE_RE = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC (full-width → half-width) and lowercase; the length-preserving part of normalisation.

    NFKC can change lengths for a few ligatures; those are replaced one character at a time
    so that an index into the folded text is an index into the question.
    """
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded if len(folded) == 1 else ch.lower())
    return "".join(out).replace("\u3000", " ")


def normalize(text: str) -> str:
    """Fold, replace punctuation with spaces and collapse whitespace."""
    return _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", fold(text))).strip()


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def detect_language(text: str) -> Language:
    """``zh`` when the question has Chinese characters at least as often as English words (or any CJK
    and few words), else ``en``."""
    cjk = len(CJK_RE.findall(text))
    if cjk == 0:
        return "en"
    words = len(LATIN_WORD_RE.findall(fold(text)))
    return "zh" if cjk >= 2 or words <= 2 else ("zh" if cjk * 2 >= words else "en")

"""A real Simplified-Chinese font for charts, installed with the project (no system fonts needed).

``mplfonts`` (a dependency) ships Noto Sans CJK SC (SIL Open Font License). ``ensure_cjk_font``
registers it with matplotlib's font manager once, on first use, never at import, and returns the
font family list charts should use (CJK first, DejaVu Sans as the per-glyph fallback).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

CJK_FILES = ("NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf")
FALLBACK = "DejaVu Sans"
_lock = threading.Lock()
_family: list[str] = []


def cjk_font_path() -> Path | None:
    """The CJK font file that ships with mplfonts (located without importing the package)."""
    spec = importlib.util.find_spec("mplfonts")
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    for root in roots:
        for name in CJK_FILES:
            if (root / "fonts" / name).is_file():
                return root / "fonts" / name
    return None


def ensure_cjk_font() -> list[str]:
    """Register the CJK font (idempotent, thread-safe); return the family list for ``font.family``."""
    with _lock:
        if _family:
            return list(_family)
        from matplotlib import font_manager

        path = cjk_font_path()
        families = [FALLBACK]
        if path is not None:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
            families = [name, FALLBACK]
        _family.extend(families)
        return list(_family)


def font_rc() -> dict[str, object]:
    """rcParams for one chart (used with ``matplotlib.rc_context``, never set globally)."""
    # an SVG draws its text as paths: it looks the same on a machine without the CJK font
    return {"font.family": ensure_cjk_font(), "axes.unicode_minus": False, "svg.fonttype": "path"}

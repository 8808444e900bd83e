"""metricqa: governed natural-language metric Q&A (指标中心)."""

from __future__ import annotations

__version__ = "0.2.0"

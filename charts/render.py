"""Draw a ChartSpec to a PNG with matplotlib (Agg, no pyplot, no global rcParams changes).

No text asks for a bold weight: the CJK font that ships (charts/fonts.py) has only its regular face,
and asking for bold makes matplotlib print a findfont warning; emphasis is size and colour.

800×450 CSS px (an SVG, and a PNG at 2× device pixels: 1600×900): a title, the period as subtitle, units on the value axis (¥ / % / count),
tidy tick labels (¥1.2M / ¥120万 / 42%). The file name is a hash of what is drawn, so the same
answer reuses the same file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, PercentFormatter

from metricqa.assistant.presentation.answer import Chart
from metricqa.assistant.presentation.formatting import axis_label, format_amount, unit_word
from metricqa.catalog.models import Unit
from metricqa.charts.fonts import font_rc
from metricqa.charts.rules import ChartSpec, Series

RENDER_VERSION = "7"
SIZE_IN = (8.0, 4.5)
DPI = 100  # CSS pixels per inch: the chart is 800×450 CSS px
PIXEL_RATIO = 2  # the PNG has 2 device pixels per CSS pixel (1600×900), crisp on high-density screens
BLUE, GREY, RED, GREEN, ORANGE, INK = "#4C78A8", "#BAB0AC", "#E45756", "#54A24B", "#F58518", "#333333"
PALETTE = (BLUE, ORANGE, GREEN, RED, "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D")
_draw_lock = threading.Lock()  # rc_context touches matplotlib's global rcParams


def chart_path(spec: ChartSpec, out_dir: Path, title: str, language: str) -> Path:
    """Deterministic, content-addressed file name for this chart."""
    key = hashlib.sha256(f"{RENDER_VERSION}|{language}|{title}|{spec.to_json()}".encode()).hexdigest()[:16]
    return Path(out_dir).resolve() / f"chart-{spec.type}-{key}.png"


def render_chart(spec: ChartSpec, out_dir: Path, title: str, language: str) -> Chart:
    """Write the chart under ``out_dir`` (reused when already drawn) as an SVG, for surfaces that show
    one, and a PNG at ``PIXEL_RATIO`` device pixels per CSS pixel as the fallback; return its Chart."""
    path = chart_path(spec, out_dir, title, language)
    svg = path.with_suffix(".svg")
    if not (path.is_file() and svg.is_file()):
        path.parent.mkdir(parents=True, exist_ok=True)
        with _draw_lock, matplotlib.rc_context(font_rc()):  # type: ignore[arg-type]
            fig = draw(spec, title, language)
            for target, fmt, dpi in ((path, "png", DPI * PIXEL_RATIO), (svg, "svg", DPI)):
                tmp = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.{fmt}")
                fig.savefig(tmp, dpi=dpi, format=fmt)
                os.replace(tmp, target)
    width, height = (round(side * DPI) for side in SIZE_IN)
    return Chart(type=spec.type, path=str(path), svg_path=str(svg), width=width, height=height)


def draw(spec: ChartSpec, title: str, language: str) -> Figure:
    """The Figure for a spec (call inside ``rc_context(font_rc())`` so CJK text has a font)."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    fig.suptitle(title, x=0.02, y=0.97, ha="left", fontsize=14, color=INK)
    subtitle = " · ".join(t for t in (spec.subtitle, *(() if spec.type == "kpi" else spec.notes)) if t)
    if subtitle:
        fig.text(0.02, 0.885, subtitle, ha="left", fontsize=9, color="#666666")
    DRAWERS[spec.type](fig, spec, language)
    return fig


def _axes(fig: Figure) -> Axes:
    ax = fig.add_axes((0.1, 0.14, 0.86, 0.69))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)
    return ax


def _value_axis(ax: Axes, series: Series, language: str, horizontal: bool = False) -> None:
    unit, currency = Unit(series.unit), series.currency
    formatter: Formatter = (
        PercentFormatter(xmax=1.0)
        if unit is Unit.RATIO
        else FuncFormatter(lambda v, _pos: axis_label(v, unit, currency, language))
    )
    axis = ax.xaxis if horizontal else ax.yaxis
    axis.set_major_formatter(formatter)
    word = unit_word(unit, currency, language)
    if word and horizontal:
        ax.set_xlabel(word, fontsize=9, color="#666666")
    elif word:
        ax.set_ylabel(word, fontsize=9, color="#666666", rotation=0, ha="center", va="bottom")
        ax.yaxis.set_label_coords(0.0 if ax.yaxis.get_ticks_position() != "right" else 1.0, 1.02)
    ax.grid(axis="x" if horizontal else "y", color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)


def _label(series: Series, value: float | None, language: str) -> str:
    if value is None:
        return ""
    return format_amount(value, Unit(series.unit), series.currency, language)


def _tick_every(n: int, room: int = 12) -> int:
    return max(1, -(-n // room))


# ---- kinds -----------------------------------------------------------------------------------


def draw_line(fig: Figure, spec: ChartSpec, language: str) -> None:
    ax = _axes(fig)
    right = ax.twinx() if any(s.axis == 1 for s in spec.series) else None
    x = list(range(len(spec.categories)))
    for i, s in enumerate(spec.series):
        target = right if (s.axis == 1 and right is not None) else ax
        color = GREY if s.dashed else PALETTE[i % len(PALETTE)]
        _plot_series(target, spec, s, color, len(x) <= 24)
    _from_zero(ax, [s for s in spec.series if s.axis == 0])
    if right is not None:
        _from_zero(right, [s for s in spec.series if s.axis == 1])
    _value_axis(ax, spec.series[0], language)
    if right is not None:
        _value_axis(right, next(s for s in spec.series if s.axis == 1), language)
        right.grid(False)
    step = _tick_every(len(x))
    ax.set_xticks(x[::step], [spec.categories[i] for i in x[::step]], rotation=0 if len(x) <= 8 else 30)
    if len(spec.series) > 1:
        handles = ax.get_legend_handles_labels()
        if right is not None:
            extra = right.get_legend_handles_labels()
            handles = (handles[0] + extra[0], handles[1] + extra[1])
        ax.legend(*handles, fontsize=8, frameon=False, loc="best")


def _plot_series(ax: Axes, spec: ChartSpec, s: Series, color: str, markers: bool) -> None:
    """One line; a last point in progress is hollow, reached by a dotted segment and labelled."""
    pts = [(xi, v) for xi, v in enumerate(s.values) if v is not None]
    partial = spec.partial_last and bool(pts) and pts[-1][0] == len(spec.categories) - 1
    whole = pts[:-1] if partial else pts
    style: dict[str, Any] = {
        "markersize": 3.5,
        "linewidth": 1.8,
        "color": color,
        "marker": "o" if markers else None,
    }
    ax.plot([p[0] for p in whole], [p[1] for p in whole], linestyle="--" if s.dashed else "-",
            label=s.name, **style)  # fmt: skip
    if not partial:
        return
    tail = pts[-2:]
    ax.plot([p[0] for p in tail], [p[1] for p in tail], linestyle=":", **{**style, "marker": None})
    ax.plot([pts[-1][0]], [pts[-1][1]], marker="o", markersize=6, markerfacecolor="white",
            markeredgecolor=color, markeredgewidth=1.6, linestyle="none")  # fmt: skip
    if not s.dashed:
        ax.annotate(spec.partial_note, (pts[-1][0], pts[-1][1]), textcoords="offset points", xytext=(0, 8),
                    ha="center", fontsize=8, color="#555555")  # fmt: skip


def _from_zero(ax: Axes, series: list[Series], horizontal: bool = False) -> None:
    """A value axis of figures that are never negative starts at zero."""
    values = [v for s in series for v in s.values if v is not None]
    if not values or min(values) < 0:
        return
    top = max(values) * 1.1 or 1.0
    if horizontal:
        ax.set_xlim(left=0, right=top)
    else:
        ax.set_ylim(bottom=0, top=top)


def _bar_colors(spec: ChartSpec) -> list[str]:
    colors = [BLUE] * len(spec.categories)
    if spec.highlight is not None and spec.highlight < len(colors):
        colors[spec.highlight] = RED if spec.highlight_kind == "worst" else GREEN
        colors = [GREY if i != spec.highlight else c for i, c in enumerate(colors)]
    return colors


def draw_bar(fig: Figure, spec: ChartSpec, language: str) -> None:
    ax = _axes(fig)
    s = spec.series[0]
    n = len(spec.categories)
    pos = list(range(n))
    values = [v or 0.0 for v in s.values]
    if spec.horizontal:
        fig.axes[0].set_position((0.2, 0.12, 0.74, 0.71))
        bars = ax.barh(pos, values, color=_bar_colors(spec), height=0.7)
        ax.set_yticks(pos, list(spec.categories))
        ax.invert_yaxis()  # largest on top
    else:
        bars = ax.bar(pos, values, color=_bar_colors(spec), width=0.7)
        ax.set_xticks(pos, list(spec.categories), rotation=0 if n <= 6 else 30)
    _value_axis(ax, s, language, spec.horizontal)
    if n <= 15:
        labels = [_label(s, v, language) for v in s.values]
        if spec.targets:
            labels = [
                _with_attainment(text, v, t)
                for text, v, t in zip(labels, s.values, spec.targets, strict=False)
            ]
        if spec.targets:  # keep the labels clear of the target ticks
            ax.bar_label(bars, labels=labels, fontsize=8, label_type="center", color="white")
        else:
            ax.bar_label(bars, labels=labels, fontsize=8, padding=3)
    if spec.targets:
        _target_markers(ax, spec, pos)


def _with_attainment(text: str, value: float | None, target: float | None) -> str:
    return f"{text} ({value / target * 100:.1f}%)" if value is not None and target else text


def _target_markers(ax: Axes, spec: ChartSpec, pos: list[int]) -> None:
    pts = [(p, t) for p, t in zip(pos, spec.targets, strict=False) if t is not None]
    if not pts:
        return
    xs, ts = [p[0] for p in pts], [p[1] for p in pts]
    if spec.horizontal:
        ax.scatter(ts, xs, marker="|", s=500, linewidths=2.5, color=INK, zorder=3, label=spec.target_label)
    else:
        ax.scatter(xs, ts, marker="_", s=700, linewidths=2.5, color=INK, zorder=3, label=spec.target_label)
    paced = [(p, t) for p, t in zip(pos, spec.paced_targets, strict=False) if t is not None]
    if paced:
        px: list[float] = [float(p[0]) for p in paced]
        pt: list[float] = [p[1] for p in paced]
        hx, hy = (pt, px) if spec.horizontal else (px, pt)
        ax.scatter(hx, hy, marker="|" if spec.horizontal else "_", s=500, linewidths=2.0, color=ORANGE,
                   zorder=3, label=spec.paced_label)  # fmt: skip
    ax.legend(fontsize=8, frameon=False, loc="best")


def draw_grouped(fig: Figure, spec: ChartSpec, language: str) -> None:
    ax = _axes(fig)
    groups = [s for s in spec.series if s.axis == 0]
    n, k = len(spec.categories), len(groups)
    width = 0.8 / k
    for j, s in enumerate(groups):
        offsets = [i - 0.4 + width * (j + 0.5) for i in range(n)]
        color = GREY if s.role != "value" else PALETTE[j % len(PALETTE)]
        values = [v or 0.0 for v in s.values]
        hatch = "//" if s.role != "value" else None
        if spec.horizontal:
            ax.barh(offsets, values, height=width, color=color, label=s.name, hatch=hatch)
        else:
            ax.bar(offsets, values, width=width, color=color, label=s.name, hatch=hatch)
    if spec.horizontal:
        fig.axes[0].set_position((0.2, 0.12, 0.74, 0.71))
        ax.set_yticks(range(n), list(spec.categories))
        ax.invert_yaxis()
    else:
        ax.set_xticks(range(n), list(spec.categories), rotation=0 if n <= 6 else 30)
    _value_axis(ax, groups[0], language, spec.horizontal)
    _mark_tick(ax, spec)
    ax.legend(fontsize=8, frameon=False, loc="best")


def _mark_tick(ax: Axes, spec: ChartSpec) -> None:
    """Colour the highlighted member's tick label (grouped bars have no single bar to colour)."""
    if spec.highlight is None:
        return
    ticks = ax.get_yticklabels() if spec.horizontal else ax.get_xticklabels()
    if spec.highlight < len(ticks):
        ticks[spec.highlight].set_color(RED if spec.highlight_kind == "worst" else GREEN)


def draw_twin(fig: Figure, spec: ChartSpec, language: str) -> None:
    ax = _axes(fig)
    fig.axes[0].set_position((0.1, 0.16, 0.8, 0.67))
    first, second = spec.series[0], spec.series[1]
    n = len(spec.categories)
    ax.bar(range(n), [v or 0.0 for v in first.values], color=_bar_colors(spec), width=0.6, label=first.name)
    ax.set_xticks(range(n), list(spec.categories), rotation=0 if n <= 6 else 30)
    _value_axis(ax, first, language)
    right = ax.twinx()
    pts = [(i, v) for i, v in enumerate(second.values) if v is not None]
    right.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=ORANGE, linewidth=1.5, label=second.name)
    _value_axis(right, second, language)
    right.grid(False)
    right.spines["top"].set_visible(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, frameon=False, loc="upper right")


def draw_funnel(fig: Figure, spec: ChartSpec, language: str) -> None:
    ax = _axes(fig)
    ax.set_position((0.05, 0.06, 0.9, 0.77))
    s = spec.series[0]
    values = [v or 0.0 for v in s.values]
    top = max(values) or 1.0
    n = len(values)
    ax.barh(
        range(n),
        values,
        left=[(top - v) / 2 for v in values],
        color=PALETTE[:n] or BLUE,
        height=0.75,
        alpha=0.45,
    )
    for i, (name, v) in enumerate(zip(spec.categories, values, strict=False)):
        text = f"{name}  {_label(s, v, language)}"
        if i and values[i - 1]:
            text += f"  ({v / values[i - 1] * 100:.1f}%)"
        ax.text(top / 2, i, text, ha="center", va="center", fontsize=10, color=INK)
    ax.invert_yaxis()
    ax.axis("off")


def draw_kpi(fig: Figure, spec: ChartSpec, language: str) -> None:
    k = max(1, len(spec.series))
    for i, (name, s) in enumerate(zip(spec.categories, spec.series, strict=False)):
        x = (i + 0.5) / k
        fig.text(x, 0.66, name, ha="center", fontsize=12, color="#666666")
        fig.text(x, 0.45, _label(s, s.values[0], language) or "—", ha="center", fontsize=30 if k < 3 else 22,
                 color=INK)  # fmt: skip
        note = spec.notes[i] if i < len(spec.notes) else ""
        if note:
            fig.text(x, 0.3, note, ha="center", fontsize=9 if k < 3 else 8, color="#555555", wrap=True)


def draw_panels(fig: Figure, spec: ChartSpec, language: str) -> None:
    """Two metrics of different units: one panel of horizontal bars each, the members in one order."""
    k = len(spec.series)
    n = len(spec.categories)
    for j, s in enumerate(spec.series):
        ax = fig.add_axes((0.16 + j * 0.84 / k, 0.1, 0.84 / k - 0.06, 0.72))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=9)
        colors = _bar_colors(spec) if j == 0 else [PALETTE[1]] * n
        bars = ax.barh(range(n), [v or 0.0 for v in s.values], color=colors, height=0.7)
        ax.set_yticks(range(n), list(spec.categories) if j == 0 else [""] * n)
        ax.invert_yaxis()
        _value_axis(ax, s, language, horizontal=True)
        _from_zero(ax, [s], horizontal=True)
        ax.set_title(s.name, fontsize=10, color=INK, loc="left")
        if n <= 15:
            ax.bar_label(bars, labels=[_label(s, v, language) for v in s.values], fontsize=8, padding=3)


def draw_diverging(fig: Figure, spec: ChartSpec, language: str) -> None:
    """Each member's change from zero: rises green, falls red, the named member full colour."""
    ax = _axes(fig)
    ax.set_position((0.2, 0.12, 0.74, 0.71))
    s = spec.series[0]
    n = len(spec.categories)
    values = [v or 0.0 for v in s.values]
    colors = [GREEN if v >= 0 else RED for v in values]
    alphas = [1.0 if spec.highlight in (None, i) else 0.45 for i in range(n)]
    bars = ax.barh(range(n), values, color=colors, height=0.7)
    for bar, alpha in zip(bars, alphas, strict=False):
        bar.set_alpha(alpha)
    ax.set_yticks(range(n), list(spec.categories))
    ax.invert_yaxis()
    ax.axvline(0, color=INK, linewidth=0.8)
    _value_axis(ax, s, language, horizontal=True)
    ax.set_title(s.name, fontsize=10, color=INK, loc="left")
    if n <= 15:
        ax.bar_label(bars, labels=[_signed(s, v, language) for v in s.values], fontsize=8, padding=3)
    _mark_tick(ax, spec)


def _signed(series: Series, value: float | None, language: str) -> str:
    text = _label(series, value, language)
    return "+" + text if value is not None and value > 0 else text


DRAWERS: dict[str, Callable[[Figure, ChartSpec, str], None]] = {
    "line": draw_line,
    "bar": draw_bar,
    "grouped_bar": draw_grouped,
    "twin_bar": draw_twin,
    "panels": draw_panels,
    "diverging_bar": draw_diverging,
    "funnel": draw_funnel,
    "kpi": draw_kpi,
}

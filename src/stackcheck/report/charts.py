"""Inline SVG charts for ``index.html``: labelled axes, a threshold line where a promise sets one, and a
legend for every chart. Pure functions of numbers and labels; every label is escaped. No script, no font
or image fetched: the page stays one self-contained file that prints as it shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Threshold", "bar_chart", "legend", "nice_top", "stacked_bars", "ticks"]

_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 16, 12, 44
_AXIS = "#555"
_THRESHOLD = "#c62828"


@dataclass(frozen=True)
class Threshold:
    """A promised limit drawn across a chart: ``value`` on the chart's value axis, ``label`` in words."""

    value: float
    label: str


def legend(items: Sequence[tuple[str, str]], *, dashed: Sequence[str] = ()) -> str:
    """A legend row: a swatch (or a dashed line for the names in ``dashed``) and its name."""
    parts = []
    for name, color in items:
        swatch = (
            f'<span class="swatch line" style="border-top-color:{color}"></span>'
            if name in dashed
            else f'<span class="swatch" style="background:{color}"></span>'
        )
        parts.append(f'<span class="key">{swatch}{escape(name)}</span>')
    return f'<p class="legend">{"".join(parts)}</p>'


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (an axis' upper end)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return float(step * power)
    return float(10 * power)


def ticks(top: float) -> list[float]:
    """Round tick values from 0 to ``top`` (a :func:`nice_top`): steps of 1, 2 or 5 times a power of ten."""
    lead = round(top / 10 ** math.floor(math.log10(top)), 6) if top > 0 else 1.0
    count = 4 if lead == 2 else 5
    return [top * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _axes(top: float, x_labels: Sequence[str], x_title: str, y_title: str) -> str:
    """Both axes: four value ticks with grid lines, up to three category labels, the axis titles."""
    plot_h, plot_w = _H - _TOP - _BOTTOM, _W - _LEFT - _RIGHT
    base = _TOP + plot_h
    out = [
        f'<line x1="{_LEFT}" y1="{base}" x2="{_W - _RIGHT}" y2="{base}" stroke="{_AXIS}"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base}" stroke="{_AXIS}"/>',
    ]
    for value in ticks(top):
        y = base - plot_h * value / top
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        out.append(
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(value)}</text>'
        )
    if x_labels:
        n = len(x_labels)
        picks = sorted({0, n // 2, n - 1})
        for i in picks:
            x = _LEFT + plot_w * (i + 0.5) / n
            out.append(
                f'<text x="{x:.1f}" y="{base + 14}" font-size="10" text-anchor="middle">'
                f"{escape(x_labels[i])}</text>"
            )
    out.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_H - 6}" font-size="11" text-anchor="middle">'
        f"{escape(x_title)}</text>"
    )
    out.append(
        f'<text x="12" y="{_TOP + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})">{escape(y_title)}</text>'
    )
    return "".join(out)


def _svg(label: str, body: str) -> str:
    return (
        f'<svg role="img" aria-label="{escape(label)}" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def bar_chart(
    values: Sequence[float],
    x_labels: Sequence[str],
    *,
    title: str,
    x_title: str,
    y_title: str,
    series: str,
    color: str = "#1565c0",
    threshold: Threshold | None = None,
    over_color: str | None = None,
    over_from: int | None = None,
    over_label: str = "beyond the limit",
) -> str:
    """Bars on labelled axes in a figure with its legend. ``threshold`` draws a dashed horizontal line at
    its value; ``over_from`` colours the bars from that index on with ``over_color`` (a vertical limit,
    e.g. histogram buckets slower than an SLO)."""
    if not values:
        return ""
    peak = max(max(values), threshold.value if threshold else 0.0)
    top = nice_top(peak * (1.08 if threshold else 1.0))
    plot_h, plot_w = _H - _TOP - _BOTTOM, _W - _LEFT - _RIGHT
    base = _TOP + plot_h
    bar = plot_w / len(values)
    rects = []
    for i, (value, label) in enumerate(zip(values, x_labels, strict=True)):
        h = plot_h * value / top
        fill = over_color if over_color and over_from is not None and i >= over_from else color
        rects.append(
            f'<rect x="{_LEFT + i * bar + 0.5:.1f}" y="{base - h:.1f}" width="{max(bar - 1, 0.8):.1f}" '
            f'height="{h:.1f}" fill="{fill}"><title>{escape(label)}: {value:g}</title></rect>'
        )
    keys = [(series, color)]
    dashed: list[str] = []
    if over_color and over_from is not None and over_from < len(values):
        x = _LEFT + over_from * bar
        rects.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{base}" stroke="{_THRESHOLD}" '
            'stroke-dasharray="5 3" stroke-width="1.5"/>'
        )
    if threshold is not None:
        y = base - plot_h * threshold.value / top
        rects.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="{_THRESHOLD}" '
            f'stroke-dasharray="5 3" stroke-width="1.5"/><text x="{_LEFT + 4}" y="{y - 4:.1f}" '
            f'font-size="11" fill="{_THRESHOLD}" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{escape(threshold.label)}</text>"
        )
        keys.append((threshold.label, _THRESHOLD))
        dashed.append(threshold.label)
    if over_color and over_from is not None:
        keys.append((over_label, over_color))
    body = _axes(top, x_labels, x_title, y_title) + "".join(rects)
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>{_svg(title, body)}"
        f"{legend(keys, dashed=dashed)}</figure>"
    )


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int]]],
    parts: Sequence[tuple[str, str]],
    *,
    title: str,
    unit: str,
) -> str:
    """Horizontal stacked bars, one per row (``rows``: label and one count per part of ``parts``), on a
    labelled count axis, with the legend of the parts."""
    if not rows:
        return ""
    left, right, row_h, head = 150, 24, 22, 8
    height = head + row_h * len(rows) + 34
    plot_w = _W - left - right
    top = nice_top(max(sum(counts) for _, counts in rows) or 1)
    out = []
    for value in ticks(top):
        x = left + plot_w * value / top
        out.append(f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{height - 30}" stroke="#e0e0e0"/>')
        tick = _fmt(value)
        out.append(f'<text x="{x:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">{tick}</text>')
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">'
        f"{escape(unit)}</text>"
    )
    for r, (label, counts) in enumerate(rows):
        y = head + r * row_h
        out.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="11" text-anchor="end">{escape(label)}</text>'
        )
        x = float(left)
        for (name, color), count in zip(parts, counts, strict=True):
            if not count:
                continue
            w = plot_w * count / top
            out.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}">'
                f"<title>{escape(label)}: {count} {escape(name)}</title></rect>"
            )
            x += w
    out.append(f'<line x1="{left}" y1="{head}" x2="{left}" y2="{height - 30}" stroke="{_AXIS}"/>')
    svg = (
        f'<svg role="img" aria-label="{escape(title)}" width="{_W}" height="{height}" '
        f'viewBox="0 0 {_W} {height}" xmlns="http://www.w3.org/2000/svg">{"".join(out)}</svg>'
    )
    return f"<figure><figcaption>{escape(title)}</figcaption>{svg}{legend(parts)}</figure>"

"""The dashboard's charts, drawn on the server as SVG: no script, no library, no CDN, no style attributes (the
Content-Security-Policy allows none); shapes take their colours from classes in static/css/app.css. Every bar or
point is a link to the list it counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Point:
    label: str  # axis label
    value: Decimal | int
    href: str = ""
    title: str = ""  # tooltip: defaults to "label: value"


def _scale(values: Sequence[Decimal | int]) -> Decimal:
    """The top of the axis: the largest value, made even for counts (so that the middle grid line is whole)."""
    top = max([Decimal(v) for v in values] or [Decimal(0)])
    if top <= 0:
        return Decimal(2)
    if all(isinstance(v, int) for v in values) and top % 2:
        return top + 1
    return top


def _link(href: str, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _open(width: int, height: int, label: str, css: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>')


def _nice(value: Decimal | int) -> str:
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def column_chart(points: Sequence[Point], *, label: str, width: int = 720, height: int = 220,
                 every: int = 1) -> SafeString:
    """Vertical bars, one per point (orders per day); an axis label under every `every`-th bar."""
    left, bottom, top = 44, 30, 14
    plot_w, plot_h = width - left - 8, height - bottom - top
    scale = _scale([p.value for p in points])
    step = plot_w / max(1, len(points))
    parts = [_open(width, height, label, "chart-columns")]
    parts += _axis(left, top, plot_w, plot_h, scale)
    for i, p in enumerate(points):
        h = float(Decimal(p.value) / scale) * plot_h
        x = left + i * step + step * 0.15
        bar = (f'<rect class="chart-bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
               f'height="{max(h, 0.0):.1f}"><title>{escape(p.title or f"{p.label}: {_nice(p.value)}")}</title>'
               f"</rect>")
        parts.append(_link(p.href, bar))
        if i % every == 0 or i == len(points) - 1:
            parts.append(f'<text class="chart-label" x="{x + step * 0.35:.1f}" y="{height - 10}" '
                         f'text-anchor="middle">{escape(p.label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def bar_chart(points: Sequence[Point], *, label: str, width: int = 720, unit: str = "") -> SafeString:
    """Horizontal bars with their label and value (seats per product family)."""
    label_w, row_h, value_w = 180, 30, 90
    height = max(1, len(points)) * row_h + 8
    plot_w = width - label_w - value_w
    scale = _scale([p.value for p in points])
    parts = [_open(width, height, label, "chart-bars")]
    if not points:
        parts.append('<text class="chart-label" x="0" y="20">Nothing to show yet.</text>')
    for i, p in enumerate(points):
        y = 4 + i * row_h
        w = max(1.0, float(Decimal(p.value) / scale) * plot_w) if p.value else 0.0
        name = p.label if len(p.label) <= 26 else p.label[:25] + "…"
        bar = (f'<text class="chart-label" x="0" y="{y + 18}">{escape(name)}</text>'
               f'<rect class="chart-bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18">'
               f'<title>{escape(p.title or f"{p.label}: {_nice(p.value)} {unit}".strip())}</title></rect>'
               f'<text class="chart-value" x="{label_w + w + 6:.1f}" y="{y + 18}">{_nice(p.value)}</text>')
        parts.append(_link(p.href, bar))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def line_chart(points: Sequence[Point], *, label: str, width: int = 720, height: int = 220) -> SafeString:
    """A line through the points with a dot on each (monthly recurring revenue by month)."""
    left, bottom, top = 70, 30, 14
    plot_w, plot_h = width - left - 20, height - bottom - top
    scale = _scale([p.value for p in points])
    step = plot_w / max(1, len(points) - 1)
    coords = [(left + i * step, top + plot_h - float(Decimal(p.value) / scale) * plot_h) for i, p in enumerate(points)]
    parts = [_open(width, height, label, "chart-line")]
    parts += _axis(left, top, plot_w, plot_h, scale)
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="chart-stroke" points="{path}"/>')
    for (x, y), p in zip(coords, points, strict=True):
        dot = (f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="4">'
               f'<title>{escape(p.title or f"{p.label}: {_nice(p.value)}")}</title></circle>')
        parts.append(_link(p.href, dot))
        parts.append(f'<text class="chart-label" x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
                     f"{escape(p.label)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def _axis(left: int, top: int, plot_w: float, plot_h: float, scale: Decimal) -> list[str]:
    """A baseline and three grid lines with their values."""
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        value = scale * Decimal(str(fraction))
        parts.append(f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{_nice(value)}</text>")
    return parts

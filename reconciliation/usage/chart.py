"""The usage-by-day chart, drawn on the server as SVG (no script, no style attribute: the colours come from the
`svg.chart` classes of static/css/app.css). Here, below both doors, so the workspace and the back office draw the
same chart from a selector's series without importing each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def usage_day_chart(series: Sequence[tuple[dt.date, Decimal]], *, currency: str, label: str,
                    forecast_per_day: Decimal | None = None, width: int = 720, height: int = 220) -> SafeString:
    """One column per day (spend of that day); an optional dashed line at the forecast's daily average."""
    left, bottom, top = 56, 30, 14
    plot_w, plot_h = width - left - 8, height - bottom - top
    values = [v for _, v in series] + ([forecast_per_day] if forecast_per_day else [])
    scale = max(values or [Decimal(0)])
    if scale <= 0:
        scale = Decimal(1)
    step = plot_w / max(1, len(series))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-columns usage-chart" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>']
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = top + plot_h - float(fraction) * plot_h
        parts.append(f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{_money(scale * fraction)}</text>")
    for i, (day, value) in enumerate(series):
        h = float(value / scale) * plot_h
        x = left + i * step + step * 0.15
        title = f"{day.isoformat()}: {_money(value)} {currency}"
        parts.append(f'<rect class="chart-bar" data-day="{day.isoformat()}" data-amount="{value}" x="{x:.1f}" '
                     f'y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{max(h, 0.0):.1f}">'
                     f"<title>{escape(title)}</title></rect>")
        if i % 5 == 0 or i == len(series) - 1:
            parts.append(f'<text class="chart-label" x="{x + step * 0.35:.1f}" y="{height - 10}" '
                         f'text-anchor="middle">{day.day}</text>')
    if forecast_per_day:
        y = top + plot_h - float(forecast_per_day / scale) * plot_h
        note = escape(f"Forecast average per day: {_money(forecast_per_day)} {currency}")
        parts.append(f'<line class="chart-stroke usage-forecast" stroke-dasharray="6 4" x1="{left}" y1="{y:.1f}" '
                     f'x2="{left + plot_w:.1f}" y2="{y:.1f}"><title>{note}</title></line>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above

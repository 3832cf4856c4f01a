"""The margin report's chart, drawn on the server as SVG (no script, no CDN, no style attributes: colours come from
classes styled by the page's nonced <style> block)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from billing.reports import MarginRow

LABEL_WIDTH = 220
BAR_AREA = 480
ROW_HEIGHT = 34
TOP = 28


def _width(value: Decimal, scale: Decimal) -> int:
    if scale <= 0 or value <= 0:
        return 0
    return max(1, int(value * BAR_AREA / scale))


def margin_chart(rows: Sequence[MarginRow], *, limit: int = 15) -> SafeString:
    """Revenue and cost bars per row (the first `limit` rows), the margin written at the end of each pair."""
    rows = list(rows)[:limit]
    scale = max([max(r.revenue, r.cost) for r in rows] or [Decimal(0)])
    height = TOP + ROW_HEIGHT * len(rows) + 10
    width = LABEL_WIDTH + BAR_AREA + 160
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="margin-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Revenue, cost and margin">',
        '<rect class="legend-revenue" x="0" y="4" width="12" height="12"/>'
        '<text class="chart-label" x="16" y="14">Revenue</text>',
        '<rect class="legend-cost" x="90" y="4" width="12" height="12"/>'
        '<text class="chart-label" x="106" y="14">Cost</text>',
    ]
    for index, row in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        label = escape(row.key[:34] + ("…" if len(row.key) > 34 else ""))
        parts.append(f'<text class="chart-label" x="0" y="{y + 18}">{label}</text>')
        parts.append(f'<rect class="bar-revenue" x="{LABEL_WIDTH}" y="{y + 4}" '
                     f'width="{_width(row.revenue, scale)}" height="12"><title>Revenue {row.revenue} '
                     f'{escape(row.currency)}</title></rect>')
        parts.append(f'<rect class="bar-cost" x="{LABEL_WIDTH}" y="{y + 17}" '
                     f'width="{_width(row.cost, scale)}" height="12"><title>Cost {row.cost} '
                     f'{escape(row.currency)}</title></rect>')
        tone = "margin-negative" if row.margin < 0 else "margin-positive"
        percent = f" ({row.margin_percent} %)" if row.margin_percent is not None else ""
        parts.append(f'<text class="chart-value {tone}" x="{LABEL_WIDTH + BAR_AREA + 8}" y="{y + 20}">'
                     f'{row.margin} {escape(row.currency)}{percent}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above

"""The owner's 12-month trend as a server-drawn SVG bar chart (the numbers are in the table that
sits beside it; the SVG carries a title and a one-sentence summary). Pure and escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 14, 34
BAR = "#1f4e79"
TEXT = "#1a1a1a"
GRID = "#d0d0d0"


def bar_chart(*, title: str, labels: Sequence[str], values: Sequence[int],
              summary: str) -> SafeString:
    """One bar per label; the y axis from 0 to a round maximum, with three grid lines."""
    top_value = max([*values, 1])
    step = max(1, -(-top_value // 4))
    scale_max = step * 4
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    parts = [f'<svg class="bar-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="bc-title bc-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="bc-title">{escape(title)}</title>',
             f'<desc id="bc-desc">{escape(summary)}</desc>']
    for tick in range(5):
        value = step * tick
        y = TOP + plot_h - value / scale_max * plot_h
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{TEXT}">{value}</text>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = value / scale_max * plot_h
        x = LEFT + index * slot + slot * 0.18
        parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot * 0.64:.1f}" '
                     f'height="{height:.1f}" fill="{BAR}" rx="2"/>')
        parts.append(f'<text x="{LEFT + index * slot + slot / 2:.1f}" y="{HEIGHT - 12}" '
                     f'text-anchor="middle" font-size="11" fill="{TEXT}">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped

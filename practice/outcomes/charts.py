"""Report charts drawn on the server: a horizontal bar per outcome rate of one instrument, each
bar labelled with its count and denominator. Pure; every text is escaped. A rate whose
denominator is below the small-cell threshold gets no bar (the table beside it says why)."""

from __future__ import annotations

import hashlib
from html import escape

from django.utils.safestring import mark_safe

from practice.outcomes.maths import Rate, Summary

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT = "#1a1a1a"
TRACK = "#e6e9ee"
FILLS = {
    "reliable_recovery": "#1b6e35",
    "recovery": "#3d8b56",
    "reliable_improvement": "#1f4e79",
    "no_reliable_change": "#6b6f76",
    "reliable_deterioration": "#a4161a",
    "completeness": "#5a4a8a",
}


def rate_rows(summary: Summary) -> list[tuple[str, str, Rate]]:
    """(key, label, rate) in the order the report shows them."""
    rows = [("completeness", "Paired scores (data completeness)", summary.completeness)]
    if summary.has_threshold:
        rows += [
            ("reliable_improvement", "Reliable improvement", summary.reliable_improvement),
            ("no_reliable_change", "No reliable change", summary.no_reliable_change),
            ("reliable_deterioration", "Reliable deterioration",
             summary.reliable_deterioration),
        ]
        if summary.has_cutoff:
            rows += [("recovery", "Recovery (at caseness at baseline)", summary.recovery),
                     ("reliable_recovery", "Reliable recovery", summary.reliable_recovery)]
    elif summary.has_cutoff:
        rows.append(("recovery", "Recovery (at caseness at baseline)", summary.recovery))
    return rows


def rates_svg(*, title: str, summary: Summary, width: int = 640) -> str:
    rows = rate_rows(summary)
    row_height, label_width, right_room = 30, 250, 150
    height = row_height * len(rows) + 16
    plot = width - label_width - right_room
    chart_id = "rates-" + hashlib.sha256(title.encode()).hexdigest()[:10]
    shown = [f"{label}: {rate.display()}" for _key, label, rate in rows]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(shown))}</desc>',
    ]
    for index, (key, label, rate) in enumerate(rows):
        top = 8 + index * row_height
        middle = top + row_height / 2 + 4
        parts.append(f'<text x="0" y="{middle:.1f}" font-size="13" fill="{TEXT}">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{top + 6}" width="{plot}" height="16" '
                     f'fill="{TRACK}"/>')
        if rate.percent is not None:
            bar = plot * rate.percent / 100
            parts.append(f'<rect x="{label_width}" y="{top + 6}" width="{bar:.1f}" '
                         f'height="16" fill="{FILLS[key]}"/>')
        parts.append(f'<text x="{label_width + plot + 8}" y="{middle:.1f}" font-size="13" '
                     f'fill="{TEXT}">{escape(_short(rate))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def _short(rate: Rate) -> str:
    if rate.denominator == 0:
        return "no episodes"
    if rate.percent is None:
        return f"{rate.count} of {rate.denominator}, too few"
    return f"{round(rate.percent)}% ({rate.count} of {rate.denominator})"

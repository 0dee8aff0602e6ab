"""The owner's comparison: the default expected path of a band beside the practice's own, drawn
on the server for a typical baseline (the middle of the band), with the numbers in a table."""

from __future__ import annotations

import hashlib
from html import escape

from django.utils.safestring import mark_safe

from practice.expected.policies import PathModel, Stratum, expected_at

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
DEFAULT_COLOUR = "#6b6f76"
PRACTICE_COLOUR = "#1f4e79"
WEEKS = tuple(range(0, 17, 2))


def typical_baseline(model: PathModel, stratum: Stratum) -> float:
    upper = stratum.upper if stratum.upper != float("inf") else max(model.best, model.worst)
    return round((stratum.lower + upper) / 2)


def curve_rows(model: PathModel, default: Stratum, practice: Stratum | None,
               baseline: float) -> list[dict[str, object]]:
    rows = []
    for weeks in WEEKS:
        base = expected_at(model, default, baseline, weeks)
        own = expected_at(model, practice, baseline, weeks) if practice else None
        rows.append({"weeks": weeks, "default": round(base.expected, 1),
                     "default_range": f"{base.lower:.1f}–{base.upper:.1f}",
                     "practice": round(own.expected, 1) if own else None,
                     "practice_range": f"{own.lower:.1f}–{own.upper:.1f}" if own else ""})
    return rows


def comparison_svg(*, model: PathModel, default: Stratum, practice: Stratum | None,
                   baseline: float, title: str, width: int = 480, height: int = 200) -> str:
    left, right, top, bottom = 36, width - 12, 10, height - 28
    low, high = sorted((model.best, model.worst))

    def x(weeks: float) -> float:
        return left + weeks / WEEKS[-1] * (right - left)

    def y(value: float) -> float:
        return bottom - (value - low) / ((high - low) or 1) * (bottom - top)

    def line(stratum: Stratum, colour: str, css: str, dash: str) -> str:
        points = " ".join(f"{x(w):.1f},{y(expected_at(model, stratum, baseline, w).expected):.1f}"
                          for w in range(WEEKS[-1] + 1))
        return (f'<polyline class="{css}" points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>')

    chart_id = "path-" + hashlib.sha256(title.encode()).hexdigest()[:10]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT}" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#1a1a1a"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#1a1a1a"/>',
    ]
    for weeks in WEEKS:
        parts.append(f'<text x="{x(weeks):.1f}" y="{bottom + 16}" font-size="11" '
                     f'text-anchor="middle" fill="#1a1a1a">{weeks}</text>')
    for value in (low, (low + high) / 2, high):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#1a1a1a">{value:g}</text>')
    parts.append(line(default, DEFAULT_COLOUR, "default-path", ' stroke-dasharray="6 4"'))
    if practice is not None:
        parts.append(line(practice, PRACTICE_COLOUR, "practice-path", ""))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above

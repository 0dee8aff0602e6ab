"""Colour parsing and WCAG 2.2 contrast checks for a practice's palette.

Pure functions: no database, no Django. The formulas are WCAG 2.x's own (relative luminance
with the sRGB 0.04045 linearisation threshold, contrast = (L1 + 0.05) / (L2 + 0.05)).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "AA_NON_TEXT",
    "AA_NORMAL_TEXT",
    "DARK_TEXT",
    "LIGHT_TEXT",
    "PAGE_BACKGROUND",
    "ColorError",
    "ContrastProblem",
    "check_palette",
    "contrast_ratio",
    "display_ratio",
    "normalize_hex",
    "parse_hex",
    "readable_text_on",
    "relative_luminance",
]

RGB = tuple[int, int, int]

AA_NORMAL_TEXT = 4.5  # WCAG 2.2 SC 1.4.3, normal-size text
AA_NON_TEXT = 3.0  # WCAG 2.2 SC 1.4.11, user-interface components and graphics
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111111"
PAGE_BACKGROUND = "#ffffff"

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_FORMAT_HELP = "Enter a colour as #RRGGBB, e.g. #1f5f8b."


class ColorError(ValueError):
    """A colour value the product cannot use; `message` is fit to show to the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_hex(value: str) -> RGB:
    """`#rgb` or `#rrggbb` (any case, surrounding whitespace ignored) as an (r, g, b) tuple."""
    if not isinstance(value, str):
        raise ColorError(_FORMAT_HELP)
    text = value.strip()
    if not text:
        raise ColorError(f"Enter a colour. {_FORMAT_HELP}")
    if _HEX.fullmatch(text) is None:
        raise ColorError(f"{text[:20]!r} is not a colour. {_FORMAT_HELP}")
    digits = text[1:]
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def normalize_hex(value: str) -> str:
    """The canonical spelling stored and shown everywhere: lowercase `#rrggbb`."""
    red, green, blue = parse_hex(value)
    return f"#{red:02x}{green:02x}{blue:02x}"


def _linearize(channel: int) -> float:
    srgb = channel / 255
    if srgb <= 0.04045:
        return srgb / 12.92
    return float(((srgb + 0.055) / 1.055) ** 2.4)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance, 0.0 (black) to 1.0 (white)."""
    red, green, blue = rgb
    for channel in rgb:
        if not 0 <= channel <= 255:
            raise ColorError(f"Colour channel {channel} is outside 0-255.")
    return 0.2126 * _linearize(red) + 0.7152 * _linearize(green) + 0.0722 * _linearize(blue)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two hex colours, from 1.0 to 21.0; order does not matter."""
    first = relative_luminance(parse_hex(a))
    second = relative_luminance(parse_hex(b))
    lighter, darker = max(first, second), min(first, second)
    return (lighter + 0.05) / (darker + 0.05)


def display_ratio(ratio: float) -> float:
    """A ratio rounded DOWN to one decimal, so a failing pair can never be shown as passing
    (4.499 shows as 4.4, not 4.5)."""
    return math.floor(ratio * 10) / 10


def readable_text_on(background: str) -> str:
    """The text colour (white or near-black) with the higher contrast on `background`."""
    on_light = contrast_ratio(LIGHT_TEXT, background)
    on_dark = contrast_ratio(DARK_TEXT, background)
    return LIGHT_TEXT if on_light >= on_dark else DARK_TEXT


@dataclass(frozen=True)
class ContrastProblem:
    """One pair of colours the product would show together that fails WCAG 2.2 AA."""

    pair: str
    ratio: float
    required: float
    message: str

    @property
    def shown_ratio(self) -> float:
        return display_ratio(self.ratio)

    @property
    def shortfall(self) -> float:
        """How far the shown ratio is below the requirement, to one decimal (at least 0.1)."""
        return round(self.required - self.shown_ratio, 1)


# Names of the pairs check_palette judges; forms map them to the field to highlight.
PAIR_TEXT_ON_PRIMARY = "text-on-primary"
PAIR_TEXT_ON_ACCENT = "text-on-accent"
PAIR_PRIMARY_ON_WHITE = "primary-on-white"
PAIR_ACCENT_ON_WHITE = "accent-on-white"


def _problem(
    *,
    pair: str,
    ratio: float,
    required: float,
    subject: str,
    verb: str = "have",
    standard: str = "",
    advice: str,
) -> ContrastProblem:
    shown = display_ratio(ratio)
    shortfall = round(required - shown, 1)
    message = (
        f"{subject} {verb} a contrast of {shown:.1f}:1; WCAG 2.2 AA needs {required:g}:1"
        f"{standard} ({shortfall:.1f} short). {advice}"
    )
    return ContrastProblem(pair=pair, ratio=ratio, required=required, message=message)


def _text_on_problem(*, pair: str, role: str, background: str) -> ContrastProblem | None:
    text = readable_text_on(background)
    ratio = contrast_ratio(text, background)
    if ratio >= AA_NORMAL_TEXT:
        return None
    text_name = "white" if text == LIGHT_TEXT else "dark"
    direction = "darker" if text == LIGHT_TEXT else "lighter"
    return _problem(
        pair=pair,
        ratio=ratio,
        required=AA_NORMAL_TEXT,
        subject=f"The {text_name} text ({text}) on the {role} colour {background}",
        verb="has",
        advice=f"Choose a {direction} {role} colour.",
    )


def check_palette(primary: str, accent: str) -> list[ContrastProblem]:
    """Every pair of the palette that fails WCAG 2.2 AA, in a fixed order; empty if it passes.

    The pairs are the ones the product actually renders: readable text on the primary colour
    (header, buttons), readable text on the accent colour, the primary colour as link text on
    the white page, and the accent colour as a non-text component (focus ring, badge border)
    on the white page.
    """
    primary = normalize_hex(primary)
    accent = normalize_hex(accent)
    problems: list[ContrastProblem] = []

    on_primary = _text_on_problem(pair=PAIR_TEXT_ON_PRIMARY, role="primary", background=primary)
    if on_primary is not None:
        problems.append(on_primary)
    on_accent = _text_on_problem(pair=PAIR_TEXT_ON_ACCENT, role="accent", background=accent)
    if on_accent is not None:
        problems.append(on_accent)

    links = contrast_ratio(primary, PAGE_BACKGROUND)
    if links < AA_NORMAL_TEXT:
        problems.append(
            _problem(
                pair=PAIR_PRIMARY_ON_WHITE,
                ratio=links,
                required=AA_NORMAL_TEXT,
                subject=f"Links in the primary colour {primary} on white",
                advice="Choose a darker primary colour.",
            )
        )
    focus = contrast_ratio(accent, PAGE_BACKGROUND)
    if focus < AA_NON_TEXT:
        problems.append(
            _problem(
                pair=PAIR_ACCENT_ON_WHITE,
                ratio=focus,
                required=AA_NON_TEXT,
                subject=f"Focus rings and badge borders in the accent colour {accent} on white",
                standard=" for interface components",
                advice="Choose a darker accent colour.",
            )
        )
    return problems

"""The drawn part of a signature: a PNG data URL from the signing page's canvas, checked by its
content and re-encoded from its pixels (nothing but the picture is kept)."""

from __future__ import annotations

import base64
import binascii
import io

from django.utils.translation import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

PREFIX = "data:image/png;base64,"
MAX_ENCODED = 400_000  # characters of the data URL; a signature canvas gives far less
MAX_SIDE = 2000
MIN_SIDE = 20


class DrawingError(ValueError):
    """A drawing we refuse, with a message for the client."""


def png_from_data_url(data_url: str) -> bytes | None:
    """The drawing as clean PNG bytes; None when nothing was drawn (an empty value)."""
    text = (data_url or "").strip()
    if not text:
        return None
    if len(text) > MAX_ENCODED:
        raise DrawingError(_("The drawn signature is too large. Clear it and draw it again."))
    if not text.startswith(PREFIX):
        raise DrawingError(_("The drawn signature could not be read. Clear it and draw it "
                             "again, or sign with your typed name alone."))
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG":
                raise UnidentifiedImageError
            width, height = image.size
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                raise DrawingError(_("The drawn signature has an odd size. Clear it and draw "
                                     "it again."))
            pixels = image.convert("LA")
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as error:
        if isinstance(error, DrawingError):
            raise
        raise DrawingError(_("The drawn signature could not be read. Clear it and draw it "
                             "again, or sign with your typed name alone.")) from None
    # Ink is any pixel both visible and darker than near-white.
    luminance, alpha = pixels.split()
    ink = Image.eval(alpha, lambda value: 255 if value > 32 else 0)
    dark = Image.eval(luminance, lambda value: 255 if value < 200 else 0)
    if ImageChops.multiply(ink, dark).getbbox() is None:
        raise DrawingError(_("The drawing area is empty. Draw your signature, or clear it "
                             "and sign with your typed name alone."))
    out = io.BytesIO()
    pixels.save(out, format="PNG")
    return out.getvalue()

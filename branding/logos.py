"""Logo uploads: recognise, sanitise and resize a practice's logo; initials for practices without.

Pure functions: bytes in, bytes out, no database and no Django. The type is decided by the
content, never by the file name. SVG is parsed with defusedxml (entity declarations refused) and
rebuilt from an allow-list of elements and attributes, so scripts, event handlers,
foreignObject, external references and unsafe CSS cannot survive; the PNG variants are drawn
from the sanitised SVG by resvg (bundled in the resvg-py wheel, no system library). Rasters are
re-encoded from their pixels alone, so EXIF, ICC, text chunks and other metadata are dropped.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import resvg_py
from defusedxml import DefusedXmlException
from PIL import Image, ImageCms, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from branding.colors import RGB, parse_hex

__all__ = [
    "MAX_BYTES",
    "MAX_SIDE",
    "VARIANT_SIZES",
    "LogoError",
    "ProcessedLogo",
    "initials",
    "initials_icon",
    "process_logo",
    "sanitize_svg",
]

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000
ORIGINAL_MAX_SIDE = 1024  # the stored original never needs more: the largest variant is 512
RENDER_BOX = 1024  # SVGs are drawn once at this size, then scaled down like a raster
ICON_FILL = 0.8  # "any" icons: the logo fits a box of 80% of the side, padded on the background
MASKABLE_SAFE = 0.8  # maskable icons: the logo fits the centred circle of 80% diameter
EMAIL_BOX = (320, 120)
VARIANT_SIZES: dict[str, tuple[int, int]] = {
    "icon-192": (192, 192),
    "icon-512": (512, 512),
    "maskable-512": (512, 512),
    "favicon-32": (32, 32),
    "apple-touch-180": (180, 180),
    "email": EMAIL_BOX,  # the most it can be; the aspect ratio is kept
}

NOT_SUPPORTED = "The logo must be a PNG, JPEG or SVG file."
TOO_LARGE = "The logo is larger than 2 MB."
EMPTY_FILE = "The logo file is empty."
TOO_MANY_PIXELS = f"The logo is larger than {MAX_SIDE} by {MAX_SIDE} pixels."
DAMAGED = "The logo file is damaged and could not be read."
NOTHING_VISIBLE = "The logo has nothing visible in it."
SVG_MALFORMED = "The SVG logo could not be read: it is not well-formed XML."
SVG_ENTITIES = (
    "The SVG logo declares XML entities, which are not allowed. Save it again as plain SVG."
)
SVG_TOO_COMPLEX = "The SVG logo is too complex. Simplify it or upload a PNG instead."
SVG_UNRENDERABLE = "The SVG logo could not be drawn. Save it again as plain SVG or upload a PNG."

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_MAX_DEPTH = 48
_MAX_SVG_COST = 50_000
_TEXT_FONT = "DejaVu Sans"  # elements drawn, counting each <use> expansion

_ALLOWED_ELEMENTS = frozenset(
    """svg g defs symbol use title desc path rect circle ellipse line polyline polygon
    text tspan textPath linearGradient radialGradient stop pattern clipPath mask marker image
    style filter feBlend feColorMatrix feComponentTransfer feFuncR feFuncG feFuncB feFuncA
    feComposite feConvolveMatrix feDiffuseLighting feDisplacementMap feDistantLight fePointLight
    feSpotLight feDropShadow feFlood feGaussianBlur feMerge feMergeNode feMorphology feOffset
    feSpecularLighting feTile feTurbulence""".split()
)
_ALLOWED_ATTRIBUTES = frozenset(
    """id class style lang x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points
    pathLength transform viewBox preserveAspectRatio version dx dy rotate textLength lengthAdjust
    startOffset method spacing side fill fill-opacity fill-rule stroke stroke-width
    stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset
    stroke-opacity opacity color display visibility clip-path clip-rule clipPathUnits mask
    maskUnits maskContentUnits filter filterUnits primitiveUnits font-family font-size
    font-weight font-style font-variant font-stretch text-anchor dominant-baseline
    alignment-baseline baseline-shift letter-spacing word-spacing text-decoration writing-mode
    stop-color stop-opacity offset gradientUnits gradientTransform spreadMethod patternUnits
    patternContentUnits patternTransform marker-start marker-mid marker-end markerWidth
    markerHeight markerUnits refX refY orient overflow paint-order vector-effect shape-rendering
    text-rendering image-rendering color-interpolation color-interpolation-filters
    mix-blend-mode isolation flood-color flood-opacity lighting-color in in2 result
    stdDeviation mode operator k1 k2 k3 k4 type values tableValues slope intercept amplitude
    exponent edgeMode order kernelMatrix kernelUnitLength divisor bias targetX targetY
    preserveAlpha radius scale xChannelSelector yChannelSelector baseFrequency numOctaves seed
    stitchTiles surfaceScale diffuseConstant specularConstant specularExponent azimuth
    elevation z pointsAtX pointsAtY pointsAtZ limitingConeAngle""".split()
)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")]*)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg);base64,([A-Za-z0-9+/=\s]+)", re.IGNORECASE)


class LogoError(ValueError):
    """An upload the product refuses; `message` is fit to show to the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedLogo:
    original: bytes  # the sanitised SVG, or the raster re-encoded as PNG without metadata
    content_type: str  # of `original`: "image/svg+xml" or "image/png"
    variants: dict[str, bytes]  # name (see VARIANT_SIZES) -> PNG
    source_type: str  # what the upload turned out to be: image/png, image/jpeg, image/svg+xml

    @property
    def extension(self) -> str:
        return "svg" if self.content_type == "image/svg+xml" else "png"


def process_logo(data: bytes, filename: str, *, background: str = "#ffffff") -> ProcessedLogo:
    """Check, clean and resize an uploaded logo. `filename` is informational only: the type
    comes from the bytes. `background` fills the opaque square icons (usually the practice's
    primary colour or white). Raises LogoError with a message for the owner."""
    fill = parse_hex(background)
    if not data:
        raise LogoError(EMPTY_FILE)
    if len(data) > MAX_BYTES:
        raise LogoError(TOO_LARGE)
    opened = _open_raster(data)
    if opened is not None:
        raster, source_type = opened
        # Every variant is drawn from this bounded copy: cheaper than from 4000 px, same result.
        original = _fit(raster, ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE, upscale=False)
        return ProcessedLogo(
            original=_png(original),
            content_type="image/png",
            variants=_variants(original, fill),
            source_type=source_type,
        )
    sanitised = sanitize_svg(data)
    return ProcessedLogo(
        original=sanitised,
        content_type="image/svg+xml",
        variants=_variants(_render_svg(sanitised), fill),
        source_type="image/svg+xml",
    )


# --- rasters ----------------------------------------------------------------------------------


def _open_raster(data: bytes) -> tuple[Image.Image, str] | None:
    """The decoded PNG/JPEG as clean RGBA with its MIME type, or None when the bytes are no PNG
    or JPEG at all."""
    try:
        # Only the two decoders we accept are tried: no GIF, EPS, PSD... parser is ever reached.
        image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
    except Image.DecompressionBombError as error:
        raise LogoError(TOO_MANY_PIXELS) from error
    except UnidentifiedImageError:
        return None
    # Checked on the header, before a single pixel is decoded, whatever MAX_IMAGE_PIXELS says.
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LogoError(TOO_MANY_PIXELS)
    if width < 1 or height < 1:
        raise LogoError(DAMAGED)
    try:
        if image.format == "JPEG":
            # Let the decoder scale down by a power of two while decoding; never below 1024 px.
            image.draft(None, (ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE))
        source_type = "image/png" if image.format == "PNG" else "image/jpeg"  # JPEG or MPO
        image.load()
        upright: Image.Image = ImageOps.exif_transpose(image) or image
        return _clean_rgba(upright), source_type
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise LogoError(DAMAGED) from error


def _clean_rgba(image: Image.Image) -> Image.Image:
    """sRGB RGBA pixels in a new image: nothing of the file (EXIF, ICC, text) is carried over."""
    icc_profile = image.info.get("icc_profile")
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: use the pixels as they are
    rgba = image.convert("RGBA")
    return Image.frombytes("RGBA", rgba.size, rgba.tobytes())


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _fit(image: Image.Image, max_width: float, max_height: float, *, upscale: bool) -> Image.Image:
    scale = min(max_width / image.width, max_height / image.height)
    if not upscale:
        scale = min(scale, 1.0)
    size = (
        max(1, min(math.floor(max_width), round(image.width * scale))),
        max(1, min(math.floor(max_height), round(image.height * scale))),
    )
    if size == image.size:
        return image.copy()
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _on_square(
    logo: Image.Image, side: int, fill: tuple[int, int, int, int], box: float
) -> Image.Image:
    canvas = Image.new("RGBA", (side, side), fill)
    fitted = _fit(logo, box, box, upscale=True)
    canvas.alpha_composite(fitted, ((side - fitted.width) // 2, (side - fitted.height) // 2))
    return canvas


def _variants(logo: Image.Image, background: RGB) -> dict[str, bytes]:
    alpha_box = logo.getchannel("A").getbbox()
    if alpha_box is None:
        raise LogoError(NOTHING_VISIBLE)
    trimmed = logo.crop(alpha_box)  # transparent margins would only shrink the logo
    opaque = (*background, 255)
    # The circle of the maskable safe zone holds the logo's box when its diagonal fits it.
    diagonal = math.hypot(trimmed.width, trimmed.height)
    maskable_scale = MASKABLE_SAFE * 512 / diagonal
    maskable_box = max(trimmed.width, trimmed.height) * maskable_scale
    return {
        "icon-192": _png(_on_square(trimmed, 192, opaque, 192 * ICON_FILL).convert("RGB")),
        "icon-512": _png(_on_square(trimmed, 512, opaque, 512 * ICON_FILL).convert("RGB")),
        "maskable-512": _png(_on_square(trimmed, 512, opaque, maskable_box).convert("RGB")),
        "favicon-32": _png(_on_square(trimmed, 32, (0, 0, 0, 0), 32)),
        "apple-touch-180": _png(
            _on_square(trimmed, 180, opaque, 180 * ICON_FILL).convert("RGB")
        ),
        "email": _png(_fit(trimmed, *EMAIL_BOX, upscale=False)),
    }


# --- SVG --------------------------------------------------------------------------------------


def _split(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _parse_svg(data: bytes) -> ET.Element:
    try:
        # A bare DOCTYPE (as Illustrator writes) is tolerated and dropped; entities never are.
        root = SafeET.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise LogoError(SVG_ENTITIES) from error
    except (ET.ParseError, ValueError) as error:
        if b"<svg" in data[:4096].lower():
            raise LogoError(SVG_MALFORMED) from error
        raise LogoError(NOT_SUPPORTED) from error
    namespace, local = _split(root.tag)
    if local != "svg" or namespace not in ("", SVG_NS):
        raise LogoError(NOT_SUPPORTED)
    return root


def sanitize_svg(data: bytes) -> bytes:
    """The SVG rebuilt from allowed elements and attributes only, as UTF-8 bytes.

    Raises LogoError when the bytes are no SVG, declare entities, or are too deep or costly to
    draw (nested <use> can multiply the work exponentially).
    """
    root = _parse_svg(data)
    clean = _clean_element(root, depth=0)
    assert clean is not None  # the root is an <svg>, which is allowed
    _check_cost(clean)
    # Elements are built unqualified and the SVG namespace declared once on the root, so the
    # output reads like a hand-written SVG (ElementTree would otherwise invent ns0: prefixes).
    clean.set("xmlns", SVG_NS)
    body = ET.tostring(clean, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _clean_element(source: ET.Element, *, depth: int) -> ET.Element | None:
    if depth > _MAX_DEPTH:
        raise LogoError(SVG_TOO_COMPLEX)
    if not isinstance(source.tag, str):
        return None
    namespace, name = _split(source.tag)
    if name == "a" and namespace in ("", SVG_NS):
        name = "g"  # a link in a logo goes nowhere we allow; what it wraps is still drawn
    if namespace not in ("", SVG_NS) or name not in _ALLOWED_ELEMENTS:
        return None
    if name == "style" and not _css_is_safe(source.text or "", stylesheet=True):
        return None
    element = ET.Element(name)
    for key, value in source.attrib.items():
        kept = _clean_attribute(name, key, value)
        if kept is not None:
            element.set(*kept)
    if name in ("use", "image") and "href" not in element.attrib:
        return None  # its reference was unsafe: nothing left to draw
    element.text = source.text
    for child in source:
        kept_child = _clean_element(child, depth=depth + 1)
        if kept_child is not None:
            kept_child.tail = child.tail
            element.append(kept_child)
        elif child.tail:  # keep the text that followed a removed element inside <text>
            if len(element):
                element[-1].tail = (element[-1].tail or "") + child.tail
            else:
                element.text = (element.text or "") + child.tail
    return element


def _clean_attribute(element: str, key: str, value: str) -> tuple[str, str] | None:
    namespace, name = _split(key)
    if name == "href" and namespace in ("", XLINK_NS):
        # Written as plain SVG 2 `href`, which every current browser and resvg understand.
        return ("href", value) if _href_is_safe(element, value) else None
    if namespace == XML_NS and name in ("space", "lang"):
        return key, value
    if namespace or name.lower().startswith("on") or name not in _ALLOWED_ATTRIBUTES:
        return None
    return (name, value) if _css_is_safe(value, stylesheet=False) else None


def _css_is_safe(text: str, *, stylesheet: bool) -> bool:
    """No way to fetch or run anything: url() only to a fragment of this document, no CSS
    escapes (which could spell url or @import), no @import, image-set(), expression()."""
    lowered = text.lower()
    if "\\" in text or any(
        word in lowered for word in ("image-set", "expression(", "javascript:", "@import")
    ):
        return False
    if stylesheet and "@" in lowered.replace("@media", "").replace("@font-face", ""):
        return False
    return all(match.group(1).strip().startswith("#") for match in _CSS_URL.finditer(text))


def _href_is_safe(element: str, value: str) -> bool:
    reference = value.strip()
    if reference.startswith("#"):
        return True
    embedded = _DATA_IMAGE.fullmatch(reference)
    return element == "image" and embedded is not None and _embedded_raster_ok(embedded[1])


def _embedded_raster_ok(encoded: str) -> bool:
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            return image.width <= MAX_SIDE and image.height <= MAX_SIDE
    except (binascii.Error, OSError, ValueError, Image.DecompressionBombError):
        return False


def _check_cost(root: ET.Element) -> None:
    """Refuse SVGs whose drawing, with every <use> expanded, exceeds _MAX_SVG_COST elements."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    costs: dict[int, int] = {}
    in_progress: set[int] = set()

    def cost(element: ET.Element, depth: int) -> int:
        key = id(element)
        if key in costs:
            return costs[key]
        if key in in_progress or depth > 4 * _MAX_DEPTH:
            raise LogoError(SVG_TOO_COMPLEX)  # a reference cycle, or a chain of references
        in_progress.add(key)
        total = 1 + sum(cost(child, depth + 1) for child in element)
        href = element.get("href", "")
        target = by_id.get(href[1:]) if href.startswith("#") else None
        if _split(element.tag)[1] == "use" and target is not None:
            total += cost(target, depth + 1)
        in_progress.discard(key)
        if total > _MAX_SVG_COST:
            raise LogoError(SVG_TOO_COMPLEX)
        costs[key] = total
        return total

    cost(root, 0)


def _render_svg(sanitised: bytes) -> Image.Image:
    try:
        png = resvg_py.svg_to_bytes(
            svg_string=sanitised.decode("utf-8"),
            width=RENDER_BOX,
            height=RENDER_BOX,
            # resvg's defaults name Times New Roman; point the generic families at DejaVu
            # (Debian's fonts-dejavu-core, in the base image) so logo text is drawn when the
            # machine has it. Logos usually carry their text as outlines anyway.
            font_family=_TEXT_FONT,
            serif_family="DejaVu Serif",
            sans_serif_family=_TEXT_FONT,
            monospace_family="DejaVu Sans Mono",
        )
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            return _clean_rgba(image)
    except (ValueError, OSError) as error:
        raise LogoError(SVG_UNRENDERABLE) from error


# --- initials ---------------------------------------------------------------------------------

_MINOR_WORDS = frozenset({"the", "and", "of", "for", "a", "an", "at", "in"})
_MISSING_GLYPH = "\uffff"  # a noncharacter: every font draws its "missing" box for it


def initials(name: str) -> str:
    """Up to two capital letters from the name's words ("The Harbour Practice" -> "HP"),
    accents removed so the built-in font can draw them; "" when there is no letter at all."""
    words = re.findall(r"[^\W\d_]+", name)
    significant = [word for word in words if word.lower() not in _MINOR_WORDS] or words
    letters = []
    for word in significant:
        base = unicodedata.normalize("NFKD", word[0])[0].upper()[0]
        letters.append(base)
        if len(letters) == 2:
            break
    return "".join(letters)


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(1, round(size)))


def _drawable(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    missing = font.getmask(_MISSING_GLYPH)
    missing_pixels = (bytes(missing), missing.size)
    kept = []
    for letter in text:
        mask = font.getmask(letter)
        if (bytes(mask), mask.size) != missing_pixels:
            kept.append(letter)
    return "".join(kept)


def _ink(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Image.Image:
    """The text as an 8-bit coverage mask cropped to its drawn pixels."""
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox(
        (0, 0), text, font=font
    )
    mask = Image.new("L", (math.ceil(right - left) + 2, math.ceil(bottom - top) + 2), 0)
    ImageDraw.Draw(mask).text((1 - left, 1 - top), text, font=font, fill=255)
    return mask.crop(mask.getbbox() or (0, 0, 1, 1))


def initials_icon(name: str, background: str, foreground: str, size: int) -> bytes:
    """A square PNG of `size` pixels: the practice's initials in `foreground`, centred on
    `background`, small enough to sit inside a maskable icon's safe zone. Letters the built-in
    font cannot draw are left out (a name with none gives a plain tile)."""
    if not 16 <= size <= 1024:
        raise ValueError(f"An initials icon is 16 to 1024 pixels, not {size}.")
    fill = parse_hex(background)
    ink = parse_hex(foreground)
    canvas = Image.new("RGB", (size, size), fill)
    font = _font(size * 0.5)
    text = _drawable(initials(name), font)
    if text:
        glyphs = _ink(text, font)
        # The letters' diagonal fits 80% of the side, so they sit inside the maskable circle.
        shrink = 0.8 * size / math.hypot(*glyphs.size)
        if shrink < 1.0:
            glyphs = _ink(text, _font(size * 0.5 * shrink))
        # Centred on the ink itself: the font's box includes bearings that would shift it.
        left, top = (size - glyphs.width) // 2, (size - glyphs.height) // 2
        canvas.paste(ink, (left, top, left + glyphs.width, top + glyphs.height), glyphs)
    return _png(canvas)

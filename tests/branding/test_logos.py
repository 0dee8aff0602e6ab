"""Logo uploads: detection by content, limits, SVG sanitising, variants, metadata, initials.

Pure functions: no database. Every image is drawn here with Pillow; no binary fixtures.
"""

from __future__ import annotations

import base64
import io
import math
import struct
import zlib
from xml.etree import ElementTree as ET

import pytest
from PIL import Image, ImageDraw

from branding.logos import (
    MAX_BYTES,
    MAX_SIDE,
    VARIANT_SIZES,
    LogoError,
    ProcessedLogo,
    initials,
    initials_icon,
    process_logo,
    sanitize_svg,
)

SQUARE_VARIANTS = {
    "icon-192": 192,
    "icon-512": 512,
    "maskable-512": 512,
    "favicon-32": 32,
    "apple-touch-180": 180,
}
SVG_NS = "http://www.w3.org/2000/svg"


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def banner(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """An opaque two-colour logo, edge to edge, so its size after fitting is predictable."""
    fill = (31, 95, 139, 255) if mode == "RGBA" else (31, 95, 139)
    image = Image.new(mode, (width, height), fill)
    ImageDraw.Draw(image).rectangle((0, 0, width // 2, height), fill="#b3261e")
    return image


def disc(side: int) -> Image.Image:
    """A round logo on a transparent square: its corners stay transparent."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, side - 1, side - 1), fill=(179, 38, 30, 255))
    return image


def pixel(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    value = image.getpixel((x, y))
    assert isinstance(value, tuple)
    return value


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over one row of real data: a pixel bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def assert_variant_sizes(logo: ProcessedLogo, email_size: tuple[int, int]) -> None:
    assert set(logo.variants) == set(VARIANT_SIZES)
    for name, side in SQUARE_VARIANTS.items():
        assert decode(logo.variants[name]).size == (side, side), name
    assert decode(logo.variants["email"]).size == email_size
    for name, data in logo.variants.items():
        assert decode(data).format == "PNG", name


# --- accepted types and exact sizes -----------------------------------------------------------


def test_png_is_accepted_and_every_variant_has_its_exact_size() -> None:
    logo = process_logo(encode(banner(600, 200, "RGBA"), "PNG"), "logo.png")
    assert logo.source_type == "image/png"
    assert logo.content_type == "image/png"
    assert logo.extension == "png"
    assert decode(logo.original).size == (600, 200)
    # 600x200 into 320x120 keeps 3:1: limited by the width.
    assert_variant_sizes(logo, email_size=(320, 107))


def test_jpeg_is_accepted_and_every_variant_has_its_exact_size() -> None:
    logo = process_logo(encode(banner(800, 400), "JPEG", quality=90), "logo.jpg")
    assert logo.source_type == "image/jpeg"
    assert logo.content_type == "image/png"  # the original is re-encoded without metadata
    assert decode(logo.original).size == (800, 400)
    assert_variant_sizes(logo, email_size=(240, 120))


def test_svg_is_accepted_and_every_variant_has_its_exact_size() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
        b'<rect width="200" height="100" fill="#1f5f8b"/></svg>'
    )
    logo = process_logo(svg, "logo.svg")
    assert logo.source_type == "image/svg+xml"
    assert logo.content_type == "image/svg+xml"
    assert logo.extension == "svg"
    assert logo.original.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    assert_variant_sizes(logo, email_size=(240, 120))
    assert decode(logo.variants["icon-512"]).getpixel((256, 256)) == (31, 95, 139)


def test_a_large_raster_is_stored_at_1024_pixels_at_most() -> None:
    logo = process_logo(encode(banner(3000, 1500), "JPEG", quality=50), "big.jpg")
    assert decode(logo.original).size == (1024, 512)
    assert_variant_sizes(logo, email_size=(240, 120))


def test_a_small_logo_is_not_blown_up_for_email() -> None:
    logo = process_logo(encode(banner(100, 40), "PNG"), "small.png")
    assert decode(logo.variants["email"]).size == (100, 40)
    assert decode(logo.variants["icon-512"]).size == (512, 512)


def test_icons_are_opaque_on_the_chosen_background_and_padded() -> None:
    logo = process_logo(encode(disc(400), "PNG"), "disc.png", background="#102030")
    for name in ("icon-192", "icon-512", "maskable-512", "apple-touch-180"):
        icon = decode(logo.variants[name])
        assert icon.mode == "RGB", name
        assert icon.getpixel((0, 0)) == (16, 32, 48), name
        assert icon.getpixel((icon.width // 2, icon.height // 2)) == (179, 38, 30), name
    icon = decode(logo.variants["icon-512"])
    # The logo fills 80% of the side: 51 pixels of padding on each side, at the middle row.
    row = [icon.getpixel((x, 256)) for x in range(512)]
    assert row[50] == (16, 32, 48)
    assert row[60] == (179, 38, 30)
    assert row[461] == (16, 32, 48)


def test_favicon_and_email_keep_transparency() -> None:
    logo = process_logo(encode(disc(400), "PNG"), "disc.png", background="#102030")
    favicon = decode(logo.variants["favicon-32"])
    email = decode(logo.variants["email"])
    assert favicon.mode == "RGBA"
    assert email.mode == "RGBA"
    assert email.size == (120, 120)
    assert pixel(favicon, 0, 0)[3] == 0
    assert pixel(email, 0, 0)[3] == 0
    assert email.getpixel((60, 60)) == (179, 38, 30, 255)


def test_transparent_margins_are_trimmed_before_resizing() -> None:
    canvas = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
    canvas.paste(banner(300, 100, "RGBA"), (350, 450))
    logo = process_logo(encode(canvas, "PNG"), "margins.png")
    assert decode(logo.variants["email"]).size == (300, 100)


def test_maskable_icon_keeps_the_logo_inside_the_safe_circle() -> None:
    logo = process_logo(encode(banner(900, 300), "PNG"), "wide.png", background="#ffffff")
    icon = decode(logo.variants["maskable-512"])
    left, top, right, bottom = Image.eval(icon.convert("L"), lambda v: 255 - v).getbbox() or (
        0,
        0,
        0,
        0,
    )
    radius = 0.4 * 512
    for x, y in ((left, top), (right, top), (left, bottom), (right, bottom)):
        assert math.hypot(x - 256, y - 256) <= radius + 1.5
    # and it is no smaller than it needs to be: the corners touch the circle
    assert math.hypot(right - 256, bottom - 256) >= radius - 2


def test_a_background_that_is_no_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="#RRGGBB"):
        process_logo(encode(banner(10, 10), "PNG"), "logo.png", background="white")


# --- detection by content, never by name ------------------------------------------------------


def test_a_jpeg_named_png_is_detected_as_jpeg() -> None:
    logo = process_logo(encode(banner(300, 100), "JPEG"), "logo.png")
    assert logo.source_type == "image/jpeg"


def test_a_png_named_svg_is_detected_as_png() -> None:
    logo = process_logo(encode(banner(300, 100), "PNG"), "logo.svg")
    assert logo.source_type == "image/png"
    assert logo.content_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        b"Our logo is attached separately.\n",
        b"<html><body><svg></svg></body></html>",
        b'<?xml version="1.0"?><logo/>',
        b"%PDF-1.7\n",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
)
def test_anything_else_named_logo_png_is_refused(data: bytes) -> None:
    with pytest.raises(LogoError) as caught:
        process_logo(data, "logo.png")
    assert caught.value.message == "The logo must be a PNG, JPEG or SVG file."


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "WEBP", "TIFF"])
def test_other_image_formats_are_refused(image_format: str) -> None:
    with pytest.raises(LogoError) as caught:
        process_logo(encode(banner(50, 50), image_format), "logo.png")
    assert caught.value.message == "The logo must be a PNG, JPEG or SVG file."


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(LogoError) as caught:
        process_logo(b"", "logo.png")
    assert caught.value.message == "The logo file is empty."


def test_a_truncated_png_is_refused_as_damaged() -> None:
    data = encode(Image.effect_noise((200, 200), 50), "PNG")
    with pytest.raises(LogoError) as caught:
        process_logo(data[: len(data) // 2], "logo.png")
    assert caught.value.message == "The logo file is damaged and could not be read."


# --- limits -----------------------------------------------------------------------------------


def test_a_file_of_exactly_2_mb_is_accepted_and_one_byte_more_is_refused() -> None:
    png = encode(banner(40, 20), "PNG")
    # Bytes after IEND are ignored by decoders: the file is a valid PNG of the chosen length.
    exactly = png + b"\x00" * (MAX_BYTES - len(png))
    assert process_logo(exactly, "logo.png").source_type == "image/png"
    with pytest.raises(LogoError) as caught:
        process_logo(exactly + b"\x00", "logo.png")
    assert caught.value.message == "The logo is larger than 2 MB."


def test_4000_pixels_is_accepted_and_4001_refused() -> None:
    assert process_logo(encode(banner(MAX_SIDE, 8), "PNG"), "wide.png").source_type == "image/png"
    for size in ((MAX_SIDE + 1, 8), (8, MAX_SIDE + 1)):
        with pytest.raises(LogoError) as caught:
            process_logo(encode(banner(*size), "PNG"), "wide.png")
        assert caught.value.message == "The logo is larger than 4000 by 4000 pixels."


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [12_000, 60_000])
def test_a_pixel_bomb_is_refused_before_it_is_decoded(side: int) -> None:
    # 144 million pixels warns in Pillow, 3.6 billion raises DecompressionBombError; both are
    # refused with the same message, and neither is decoded.
    data = png_header(side, side)
    assert len(data) < 1000
    with pytest.raises(LogoError) as caught:
        process_logo(data, "bomb.png")
    assert caught.value.message == "The logo is larger than 4000 by 4000 pixels."


def test_the_pixel_limit_holds_even_with_pillows_guard_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(LogoError) as caught:
        process_logo(png_header(60_000, 60_000), "bomb.png")
    assert caught.value.message == "The logo is larger than 4000 by 4000 pixels."


# --- metadata ---------------------------------------------------------------------------------


def jpeg_with_exif(width: int, height: int, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x013B] = "Dr. Jane Example"  # Artist
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x9286] = "session notes"  # UserComment (Exif IFD tag, set at top level here)
    image = banner(width, height)
    return encode(image, "JPEG", exif=exif.tobytes(), quality=90)


def test_exif_is_gone_from_every_output() -> None:
    data = jpeg_with_exif(400, 200, orientation=1)
    assert decode(data).getexif()[0x013B] == "Dr. Jane Example"
    logo = process_logo(data, "photo.jpg")
    for name, output in {"original": logo.original, **logo.variants}.items():
        image = decode(output)
        assert "exif" not in image.info, name
        assert dict(image.getexif()) == {}, name
        assert b"Dr. Jane Example" not in output, name
        assert b"PhoneMaker" not in output, name


def test_png_text_chunks_and_icc_profiles_are_gone() -> None:
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr. Jane Example")
    info.add_itxt("Comment", "client list attached", zip=True)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(banner(300, 100, "RGBA"), "PNG", pnginfo=info, icc_profile=srgb)
    assert decode(data).info["Author"] == "Dr. Jane Example"
    logo = process_logo(data, "logo.png")
    for name, output in {"original": logo.original, **logo.variants}.items():
        image = decode(output)
        assert set(image.info) == set(), name
        assert b"Dr. Jane Example" not in output, name


def test_exif_orientation_is_honoured() -> None:
    # Stored 400x200 with "rotate 90 degrees clockwise to display": it shows as 200x400.
    logo = process_logo(jpeg_with_exif(400, 200, orientation=6), "photo.jpg")
    assert decode(logo.original).size == (200, 400)
    assert decode(logo.variants["email"]).size == (60, 120)
    # The red left half of the stored image is on top once rotated.
    upright = decode(logo.original).convert("RGB")
    top_red, _, _ = pixel(upright, 100, 20)
    bottom_red, _, _ = pixel(upright, 100, 380)
    assert top_red > 150
    assert bottom_red < 60


# --- SVG sanitising ---------------------------------------------------------------------------

MALICIOUS_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet href="https://evil.example/x.css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 100 100" onload="alert('onload')">
  <script>alert('script')</script>
  <script xlink:href="https://evil.example/x.js"/>
  <style>@import url("https://evil.example/import.css"); .a { fill: red }</style>
  <style>.b { background: url(https://evil.example/bg.png) }</style>
  <style>.c { fill: u\\72l(https://evil.example/escaped) }</style>
  <style>.d { fill: #1f5f8b }</style>
  <foreignObject width="100" height="100">
    <iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example/frame"/>
  </foreignObject>
  <defs><rect id="shape" width="50" height="50" fill="#1f5f8b"/></defs>
  <use xlink:href="#shape"/>
  <use xlink:href="https://evil.example/sprite.svg#shape"/>
  <image href="https://evil.example/tracker.png" width="1" height="1"/>
  <image href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+"/>
  <a href="javascript:alert('a')"><rect class="d" x="50" width="50" height="50"/></a>
  <rect x="50" y="50" width="50" height="50" fill="#b3261e" onclick="alert('click')"
        onmouseover="alert('over')" style="fill: url('https://evil.example/paint')"/>
  <animate attributeName="href" to="javascript:alert('animate')"/>
  <set attributeName="onload" to="alert('set')"/>
  <handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">alert('h')</handler>
  <text x="5" y="95" font-size="8">Harbour<script>alert('inner')</script> Practice</text>
</svg>"""

FORBIDDEN_IN_OUTPUT = [
    b"script",
    b"alert",
    b"onload",
    b"onclick",
    b"onmouseover",
    b"foreignobject",
    b"iframe",
    b"evil.example",
    b"javascript:",
    b"@import",
    b"xml-stylesheet",
    b"svg+xml",
    b"animate",
    b"<set",
    b"handler",
    b"<a ",
]


def test_a_malicious_svg_comes_out_with_none_of_its_payloads() -> None:
    logo = process_logo(MALICIOUS_SVG, "logo.svg")
    lowered = logo.original.lower()
    for payload in FORBIDDEN_IN_OUTPUT:
        assert payload not in lowered, payload


def test_the_sanitised_svg_keeps_the_drawing() -> None:
    cleaned = sanitize_svg(MALICIOUS_SVG)
    root = ET.fromstring(cleaned)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("viewBox") == "0 0 100 100"
    names = [element.tag.removeprefix(f"{{{SVG_NS}}}") for element in root.iter()]
    # <a> is unwrapped into <g>; <use> and <image> whose reference was unsafe are gone.
    assert names == ["svg", "style", "defs", "rect", "use", "g", "rect", "rect", "text"]
    assert root.find(f"{{{SVG_NS}}}use").attrib == {"href": "#shape"}  # type: ignore[union-attr]
    assert root.find(f"{{{SVG_NS}}}g").attrib == {}  # type: ignore[union-attr]
    assert root.find(f"{{{SVG_NS}}}style").text == ".d { fill: #1f5f8b }"  # type: ignore[union-attr]
    text = root.find(f"{{{SVG_NS}}}text")
    assert text is not None
    assert "".join(text.itertext()) == "Harbour Practice"
    red = root.findall(f"{{{SVG_NS}}}rect")[-1]
    assert red.attrib == {"x": "50", "y": "50", "width": "50", "height": "50", "fill": "#b3261e"}


def test_the_variants_are_drawn_from_the_sanitised_svg() -> None:
    only_unsafe = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">'
        b"Hi</div></foreignObject>"
        b'<image href="https://evil.example/logo.png" width="10" height="10"/></svg>'
    )
    with pytest.raises(LogoError) as caught:
        process_logo(only_unsafe, "logo.svg")
    assert caught.value.message == "The logo has nothing visible in it."


def test_an_svg_with_an_xxe_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text y="10">&secret;</text></svg>'
    )
    with pytest.raises(LogoError) as caught:
        process_logo(xxe, "logo.svg")
    assert caught.value.message == (
        "The SVG logo declares XML entities, which are not allowed. Save it again as plain SVG."
    )


def test_an_svg_with_a_billion_laughs_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;">]>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text y="10">&c;</text></svg>'
    )
    with pytest.raises(LogoError, match="entities"):
        process_logo(laughs, "logo.svg")


def test_a_plain_doctype_is_tolerated_and_dropped() -> None:
    exported = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<circle cx="5" cy="5" r="5" fill="#1f5f8b"/></svg>'
    )
    logo = process_logo(exported, "logo.svg")
    assert b"DOCTYPE" not in logo.original
    assert b"w3.org/Graphics" not in logo.original
    assert b'<circle cx="5" cy="5" r="5" fill="#1f5f8b" />' in logo.original


def test_fragment_references_and_embedded_rasters_are_kept() -> None:
    tiny_png = base64.b64encode(encode(banner(4, 4), "PNG")).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<linearGradient id="g"><stop offset="0" stop-color="#1f5f8b"/></linearGradient>'
        '<rect width="10" height="5" fill="url(#g)" style="stroke: url( \'#g\' )"/>'
        f'<image y="5" width="4" height="4" href="data:image/png;base64,{tiny_png}"/></svg>'
    ).encode()
    root = ET.fromstring(sanitize_svg(svg))
    rect = root.find(f"{{{SVG_NS}}}rect")
    image = root.find(f"{{{SVG_NS}}}image")
    assert rect is not None and image is not None
    assert rect.get("fill") == "url(#g)"
    assert rect.get("style") == "stroke: url( '#g' )"
    assert image.get("href") == f"data:image/png;base64,{tiny_png}"


def test_an_embedded_raster_that_is_too_large_or_not_an_image_is_dropped() -> None:
    bomb = base64.b64encode(png_header(60_000, 60_000)).decode()
    junk = base64.b64encode(b"not a picture").decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        f'<image href="data:image/png;base64,{bomb}"/>'
        f'<image href="data:image/jpeg;base64,{junk}"/></svg>'
    ).encode()
    root = ET.fromstring(sanitize_svg(svg))
    assert list(root.iter(f"{{{SVG_NS}}}image")) == []


def test_an_svg_without_a_namespace_comes_out_with_one() -> None:
    logo = process_logo(b'<svg viewBox="0 0 4 4"><rect width="4" height="4"/></svg>', "x.svg")
    assert ET.fromstring(logo.original).tag == f"{{{SVG_NS}}}svg"


def test_exponential_use_references_are_refused() -> None:
    levels = ['<rect id="l0" width="1" height="1"/>']
    for level in range(1, 9):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(10))
        levels.append(f'<g id="l{level}">{uses}</g>')
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs>'
        + "".join(levels)
        + '</defs><use href="#l8"/></svg>'
    ).encode()
    with pytest.raises(LogoError) as caught:
        process_logo(svg, "logo.svg")
    assert caught.value.message == (
        "The SVG logo is too complex. Simplify it or upload a PNG instead."
    )


def test_a_use_that_refers_to_its_own_group_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>'
    with pytest.raises(LogoError, match="too complex"):
        process_logo(svg, "logo.svg")


def test_deeply_nested_svg_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 5000 + b"</g>" * 5000 + b"</svg>"
    with pytest.raises(LogoError, match="too complex"):
        process_logo(svg, "logo.svg")


def test_broken_svg_is_refused_with_its_own_message() -> None:
    with pytest.raises(LogoError) as caught:
        process_logo(b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', "logo.svg")
    assert caught.value.message == "The SVG logo could not be read: it is not well-formed XML."


# --- initials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Harbour Counselling", "HC"),
        ("The Harbour Practice", "HP"),
        ("Mindspace", "M"),
        ("Émile & Zoë Therapy", "EZ"),
        ("dr. smith and partners", "DS"),
        ("42 Wellbeing", "W"),
        ("The", "T"),
        ("1234 !!", ""),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


@pytest.mark.parametrize("size", [16, 32, 120, 180, 192, 512])
def test_initials_icon_has_the_exact_size(size: int) -> None:
    icon = decode(initials_icon("Harbour Counselling", "#1f5f8b", "#ffffff", size))
    assert icon.format == "PNG"
    assert icon.size == (size, size)


def test_initials_icon_draws_the_letters_in_the_middle_on_the_background() -> None:
    icon = decode(initials_icon("Harbour Counselling", "#1f5f8b", "#ffffff", 192)).convert("RGB")
    assert icon.getpixel((0, 0)) == (31, 95, 139)
    assert icon.getpixel((191, 191)) == (31, 95, 139)
    ink = Image.eval(icon.convert("L"), lambda value: 255 if value > 200 else 0).getbbox()
    assert ink is not None
    left, top, right, bottom = ink
    # Centred, and inside the maskable safe circle (radius 40% of the side).
    assert abs((left + right) / 2 - 96) <= 2
    assert abs((top + bottom) / 2 - 96) <= 2
    for x, y in ((left, top), (right, bottom)):
        assert math.hypot(x - 96, y - 96) <= 0.4 * 192


def test_initials_icon_without_drawable_letters_is_a_plain_tile() -> None:
    for name in ("1234", "Σύμβουλοι Υγείας"):
        icon = decode(initials_icon(name, "#1f5f8b", "#ffffff", 64)).convert("RGB")
        assert icon.getcolors() == [(64 * 64, (31, 95, 139))], name


def test_initials_icon_refuses_silly_sizes_and_bad_colours() -> None:
    with pytest.raises(ValueError):
        initials_icon("Harbour", "#1f5f8b", "#ffffff", 8)
    with pytest.raises(ValueError):
        initials_icon("Harbour", "#1f5f8b", "#ffffff", 4096)
    with pytest.raises(ValueError, match="#RRGGBB"):
        initials_icon("Harbour", "blue", "#ffffff", 64)

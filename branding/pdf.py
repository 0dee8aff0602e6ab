"""Branded PDF documents (signed forms, invoices) drawn with fpdf2 from the frozen `Branding`.

Every page carries the practice's header (its logo image when it has one, its name on a band of
its primary colour, in the readable text colour `Branding.on_primary` already guarantees) and a
footer with its contact details and the page number. Callers add content through a few plain
helpers (headings, paragraphs, label and value pairs, tables, images) and get bytes back.

Output is deterministic: the caller gives the document's own date (a form's signing time, an
invoice's issue date), which becomes the creation date and, with the content, the file's /ID, so
the same record always gives the same bytes and tests can compare them.

Text is drawn in DejaVu Sans when the system has it (any script, e.g. Spanish names with
accents, Greek or Cyrillic); otherwise in the PDF core font Helvetica, which covers Latin-1 only:
characters outside it are shown as "?" rather than failing the export.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from django.core.files.storage import default_storage
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from branding.colors import parse_hex
from branding.values import Branding

__all__ = ["BrandedPdf", "Column", "logo_png_for"]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
FONT_FAMILY = "DejaVu"
CORE_FAMILY = "Helvetica"
PRODUCER = "Tandem"
TEXT = (33, 37, 41)
MUTED = (96, 103, 112)
RULE = (206, 212, 218)
LOGO_HEIGHT_MM = 12.0
BAND_HEIGHT_MM = 18.0

# fontTools logs the glyph names of every subset at INFO: the characters of a document's text.
# Nothing of a document belongs in logs.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _font_files() -> tuple[Path, Path] | None:
    for directory in FONT_DIRS:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def logo_png_for(branding: Branding) -> bytes | None:
    """The practice's logo as the small PNG made for emails (at most 320 by 120 pixels), or None
    without a logo. Read from the storage of the practice whose schema is active."""
    if not branding.has_logo:
        return None
    # branding.services names the path; imported here so this module stays a leaf for callers.
    from branding.services import logo_storage_path

    path = logo_storage_path(branding.logo_version, "email.png")
    try:
        with default_storage.open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


@dataclass(frozen=True)
class Column:
    heading: str
    width: float  # share of the text width, 0..1
    align: str = "L"  # "L" or "R"


class BrandedPdf(FPDF):
    """An A4 document in the practice's colours. Build, then call `to_bytes()`."""

    def __init__(self, *, branding: Branding, title: str, created_at: datetime,
                 logo_png: bytes | None = None, language: str = "en") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.branding = branding
        self.document_title = title
        self.logo_png = logo_png
        fonts = _font_files()
        self.unicode = fonts is not None
        if fonts is not None:
            self.add_font(FONT_FAMILY, "", str(fonts[0]))
            self.add_font(FONT_FAMILY, "B", str(fonts[1]))
        self.family = FONT_FAMILY if self.unicode else CORE_FAMILY
        self.set_creation_date(created_at if created_at.tzinfo else created_at.replace(
            tzinfo=UTC))
        self.set_title(self.clean(title))
        self.set_author(self.clean(branding.display_name))
        self.set_creator(PRODUCER)
        self.set_producer(PRODUCER)
        self.set_lang(language)
        self.set_margins(18, 14, 18)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages()
        self.add_page()

    # --- text ---------------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        """Text the current font can draw: everything with DejaVu; Latin-1 with Helvetica."""
        text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
        if self.unicode:
            return text
        return text.encode("latin-1", errors="replace").decode("latin-1")

    def _font(self, size: float, *, bold: bool = False,
              color: tuple[int, int, int] = TEXT) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    @property
    def text_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    # --- page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        red, green, blue = parse_hex(self.branding.primary_color)
        self.set_fill_color(red, green, blue)
        self.rect(0, 0, self.w, BAND_HEIGHT_MM, style="F")
        x = self.l_margin
        if self.logo_png:
            # The email variant is at most 320 by 120 px; placed on a white tile so any logo
            # stays visible on any primary colour.
            self.set_fill_color(255, 255, 255)
            self.rect(x - 1.5, 2.5, LOGO_HEIGHT_MM * 8 / 3 + 3, LOGO_HEIGHT_MM + 1, style="F")
            info = self.image(io.BytesIO(self.logo_png), x=x, y=3, h=LOGO_HEIGHT_MM,
                              keep_aspect_ratio=True, w=LOGO_HEIGHT_MM * 8 / 3)
            x += float(getattr(info, "rendered_width", LOGO_HEIGHT_MM * 8 / 3)) + 4
        on_red, on_green, on_blue = parse_hex(self.branding.on_primary)
        self.set_xy(x, 5)
        self._font(14, bold=True, color=(on_red, on_green, on_blue))
        self.cell(0, 8, self.clean(self.branding.display_name), new_x=XPos.LMARGIN,
                  new_y=YPos.NEXT)
        self.set_y(BAND_HEIGHT_MM + 6)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self._font(8, color=MUTED)
        contact = " · ".join(part for part in (
            self.branding.display_name, self.branding.address, self.branding.contact_phone,
            self.branding.contact_email, self.branding.website) if part)
        self.set_y(-14)
        contact, room = self.clean(contact), self.text_width * 0.8
        while contact and self.get_string_width(contact) > room:
            contact = contact[:-2].rstrip() + "…" if self.unicode else contact[:-4] + "..."
        self.cell(room, 5, contact)
        self.cell(self.text_width * 0.2, 5, f"{self.page_no()} / {{nb}}", align="R")

    def _line_count(self, width: float, text: str) -> int:
        """How many 5 mm lines `text` takes in a column of `width` (measured, not drawn)."""
        lines = self.multi_cell(width, 5, text, dry_run=True, output="LINES")
        return len(cast(list[str], lines))  # output="LINES": the lines

    # --- content ------------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self._font(17, bold=True)
        self.multi_cell(0, 8, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self._font(10, color=MUTED)
            self.multi_cell(0, 5, self.clean(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def heading(self, text: str) -> None:
        if self.will_page_break(18):
            self.add_page()
        self.ln(2)
        red, green, blue = parse_hex(self.branding.primary_color)
        self.set_draw_color(red, green, blue)
        self._font(12.5, bold=True)
        self.multi_cell(0, 6.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(self.l_margin, self.get_y() + 0.5, self.w - self.r_margin, self.get_y() + 0.5)
        self.ln(2.5)

    def paragraph(self, text: str, *, muted: bool = False, size: float = 10) -> None:
        self._font(size, color=MUTED if muted else TEXT)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def label_value(self, label: str, value: str) -> None:
        """A question and its answer (or a label and a fact), kept together on a page."""
        self._font(9.5, bold=True)
        lines = self._line_count(0, self.clean(label))
        if self.will_page_break(5 * lines + 6):
            self.add_page()
        self.multi_cell(0, 5, self.clean(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font(10)
        self.multi_cell(0, 5, self.clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def facts(self, pairs: Sequence[tuple[str, str]], *, label_width: float = 0.32) -> None:
        """Short label and value pairs side by side (dates, numbers, record details)."""
        label_w = self.text_width * label_width
        value_w = self.text_width - label_w
        for label, value in pairs:
            label, value = self.clean(label), self.clean(value)
            self._font(9.5, bold=True)
            lines = self._line_count(label_w, label)
            self._font(9.5)
            lines = max(lines, self._line_count(value_w, value))
            if self.will_page_break(5 * lines):
                self.add_page()
            top = self.get_y()
            self._font(9.5, bold=True)
            self.multi_cell(label_w, 5, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
            self._font(9.5)
            self.multi_cell(value_w, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_y(top + 5 * lines)
        self.ln(2)

    def table(  # type: ignore[override]  # our ruled table, not fpdf2's context manager
            self, columns: Sequence[Column], rows: Sequence[Sequence[str]],
              *, footer_rows: Sequence[Sequence[str]] = ()) -> None:
        """A simple ruled table; rows that wrap grow; the header repeats on a new page."""
        width = self.text_width

        def draw_row(cells: Sequence[str], *, bold: bool, fill: bool) -> None:
            self._font(9.5, bold=bold)
            heights = [self._line_count(width * column.width, self.clean(cell))
                       for column, cell in zip(columns, cells, strict=True)]
            height = 5 * max(heights) + 2
            if self.will_page_break(height):
                self.add_page()
                if not fill:
                    draw_row([column.heading for column in columns], bold=True, fill=True)
                    self._font(9.5, bold=bold)
            top = self.get_y()
            if fill:
                self.set_fill_color(241, 243, 245)
                self.rect(self.l_margin, top, width, height, style="F")
            x = self.l_margin
            for column, cell in zip(columns, cells, strict=True):
                self.set_xy(x, top + 1)
                self.multi_cell(width * column.width, 5, self.clean(cell), align=column.align)
                x += width * column.width
            self.set_xy(self.l_margin, top + height)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, top + height, self.l_margin + width, top + height)

        draw_row([column.heading for column in columns], bold=True, fill=True)
        for row in rows:
            draw_row(row, bold=False, fill=False)
        for row in footer_rows:
            draw_row(row, bold=True, fill=False)
        self.ln(3)

    def png(self, data: bytes, *, width: float, height: float) -> None:
        """An image (a drawn signature) fitted in a box, on a light frame."""
        if self.will_page_break(height + 4):
            self.add_page()
        top = self.get_y()
        self.set_draw_color(*RULE)
        self.rect(self.l_margin, top, width, height)
        self.image(io.BytesIO(data), x=self.l_margin + 1, y=top + 1, w=width - 2,
                   h=height - 2, keep_aspect_ratio=True)
        self.set_y(top + height + 2)

    def attach(self, name: str, data: bytes, *, description: str, mime_type: str) -> None:
        """A file inside the PDF (e.g. the exact content a signature seals), dated like the
        document so the output stays deterministic."""
        self.embed_file(bytes=data, basename=name, desc=description, mime_type=mime_type,
                        creation_date=self.creation_date, modification_date=self.creation_date)

    def to_bytes(self) -> bytes:
        return bytes(self.output())

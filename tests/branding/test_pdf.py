"""Branded PDFs (branding.pdf): the practice's name, colours, logo and contact details on every
page, deterministic bytes for the same content and date, and text in any script (or, without
the DejaVu fonts, Latin-1 with a visible "?" for the rest)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

from PIL import Image
from pypdf import PdfReader

from branding import pdf as branded
from branding.pdf import BrandedPdf, Column, logo_png_for
from branding.values import Branding

BRANDING = Branding(
    practice_id=1, base_url="https://riverside.tandem.test", display_name="Riverside Counseling",
    short_name="Riverside", primary_color="#1d5c63", on_primary="#ffffff",
    accent_color="#8a4b08", on_accent="#ffffff", contact_phone="(555) 010-2030",
    contact_email="hello@riverside.example", address="120 River Street", website="",
    crisis_line="", email_sender_name="", welcome_text="", logo_version=3, has_logo=False)
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 120), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def build(logo: bytes | None = None, text: str = "Zoë Núñez · Ωμέγα") -> bytes:
    document = BrandedPdf(branding=BRANDING, title="Statement", created_at=WHEN, logo_png=logo)
    document.title_block("Statement", "For the record")
    document.heading("Details")
    document.label_value("Name", text)
    document.facts([("Seal", "ab" * 32)])
    document.table([Column("Item", 0.7), Column("Amount", 0.3, "R")],
                   [[f"Session {number}", "USD 160.00"] for number in range(80)],
                   footer_rows=[["Total", "USD 9,600.00"]])
    return document.to_bytes()


def test_branded_deterministic_and_readable() -> None:
    first, second = build(_logo()), build(_logo())
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    assert len(reader.pages) == 3
    page_one = reader.pages[0].extract_text()
    for expected in ("Riverside Counseling", "Statement", "Zoë Núñez · Ωμέγα",
                     "120 River Street", "(555) 010-2030", "hello@riverside.example", "1 / 3"):
        assert expected in page_one, expected
    assert "Item" in reader.pages[1].extract_text()  # the table's header repeats
    assert "Total" in reader.pages[2].extract_text()
    assert reader.metadata.title == "Statement"
    assert reader.metadata.author == "Riverside Counseling"
    assert reader.metadata.creation_date == WHEN
    assert len(reader.pages[0].images) == 1  # the logo
    assert build() != first and len(PdfReader(io.BytesIO(build())).pages[0].images) == 0
    assert build(text="Other") != build()


def test_without_the_unicode_font_text_falls_back_to_latin1(monkeypatch) -> None:
    monkeypatch.setattr(branded, "FONT_DIRS", ())
    text = PdfReader(io.BytesIO(build())).pages[0].extract_text()
    assert "Zoë Núñez · ?????" in text


def test_no_logo_no_read() -> None:
    assert logo_png_for(replace(BRANDING, has_logo=False)) is None

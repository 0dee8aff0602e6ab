"""The upload policy on its own (no database, no storage): each refusal and its wording, names
sanitised, the type decided by content, uploads on or off for clients."""

from __future__ import annotations

import io

import pytest

from practice.documents.policies import (
    HEIC,
    JPEG,
    NAME_MAX_LENGTH,
    PDF,
    PNG,
    UploadPolicy,
    UploadRefused,
    sanitise_name,
)
from tests.documents.conftest import pdf_bytes, png_bytes


def check(name: str, content: bytes, policy: UploadPolicy | None = None):
    return (policy or UploadPolicy()).check(name=name, size=len(content),
                                            stream=io.BytesIO(content))


def refusal(name: str, content: bytes, policy: UploadPolicy | None = None) -> tuple[str, str]:
    with pytest.raises(UploadRefused) as caught:
        check(name, content, policy)
    return caught.value.code, caught.value.message


def heic_bytes() -> bytes:
    box = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return (len(box) + 4).to_bytes(4, "big") + box + b"\x00" * 64


def test_each_refusal() -> None:
    small = UploadPolicy(max_bytes=1024)
    assert refusal("a.pdf", pdf_bytes() + b"0" * 1024, small) == (
        "too_large", "The file is too large: files can be up to 0 MB.")
    assert refusal("a.pdf", b"") == ("empty", "The file is empty.")
    assert refusal("page.html", b"<html><script>alert(1)</script></html>") == (
        "type_not_allowed", "This kind of file can't be uploaded. Upload a PDF or an image "
                            "(PNG, JPEG, HEIC or WebP).")
    assert refusal("archive.zip", b"PK\x03\x04" + b"\x00" * 60)[0] == "type_not_allowed"
    assert refusal("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60) == (
        "disguised", "The file is named like a PDF but its content is not a PDF.")
    assert refusal("photo.JPG ", b"<svg xmlns='http://www.w3.org/2000/svg'/>")[0] == "disguised"
    assert refusal("scan.pdf", png_bytes()) == (
        "disguised", "The file's name says PDF but its content is PNG. Rename it or upload "
                     "the right file.")
    assert refusal("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 60) == (
        "damaged", "The file looks like a PNG but cannot be read. It may be damaged.")
    assert refusal("cut.pdf", b"%PDF-1.7\n1 0 obj")[0] == "damaged"


def test_the_content_decides_the_type_and_the_name_only_shows() -> None:
    assert check("scan.png", png_bytes()).file_type is PNG
    assert check("letter", pdf_bytes()).file_type is PDF
    assert check("letter", pdf_bytes()).display_name == "letter.pdf"
    assert check("IMG_0001.HEIF", heic_bytes()).file_type is HEIC
    assert check("IMG_0001.HEIF", heic_bytes()).display_name == "IMG_0001.heif"
    assert check("report.exe", pdf_bytes()).display_name == "report.exe.pdf"
    assert check("a.pdf", pdf_bytes(), UploadPolicy(max_bytes=len(pdf_bytes()))).size == len(
        pdf_bytes())


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\sam\\Desktop\\Referral letter.pdf", "Referral letter.pdf"),
    ("invoice\u202efdp.exe.pdf", "invoice fdp.exe.pdf"),  # right-to-left override removed
    ("line\r\nbreak\x00.pdf", "line break.pdf"),
    ('what?<is>:"this"|*.pdf', "what__is___this___.pdf"),
    ("   ...   .pdf", "document.pdf"),
    ("", "document.pdf"),
    ("Café résumé.pdf", "Café résumé.pdf"),
    ("x" * 500 + ".pdf", "x" * (NAME_MAX_LENGTH - 4) + ".pdf"),
])
def test_names_are_sanitised(raw, expected) -> None:
    assert sanitise_name(raw, PDF) == expected
    assert len(sanitise_name(raw, PDF)) <= NAME_MAX_LENGTH


def test_jpeg_names_keep_their_own_spelling() -> None:
    assert sanitise_name("photo.jpeg", JPEG) == "photo.jpeg"
    assert sanitise_name("photo", JPEG) == "photo.jpg"


def test_client_uploads_on_or_off() -> None:
    assert UploadPolicy().may_upload(is_client=True) is True
    closed = UploadPolicy(client_uploads_enabled=False)
    assert closed.may_upload(is_client=True) is False
    assert closed.may_upload(is_client=False) is True
    assert UploadPolicy().max_megabytes == 20

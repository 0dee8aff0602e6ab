"""What an upload must be before anything is stored: the practice's rules as a small, pure
strategy object (no database, no storage), so every refusal is testable on its own.

The type is decided by the content (its magic bytes, then a structural check), never by the
name; a name that claims one allowed type while the content is another is refused as disguised.
Names are kept only for display, sanitised: no path parts, no control or direction-override
characters, length-capped, and ending in the extension of what the content really is."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import IO

import filetype
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MEGABYTE = 1024 * 1024
DEFAULT_MAX_MB = 20
# The proxy in front of the app refuses request bodies over 25 MB (infra/Caddyfile).
HIGHEST_MAX_MB = 25
NAME_MAX_LENGTH = 120
_SNIFF_BYTES = 8192
_PDF_TAIL_BYTES = 2048


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str
    label: str
    # Extensions people give files of this type (a name with one of these claims the type).
    known_extensions: frozenset[str]


PDF = FileType("application/pdf", "pdf", "PDF", frozenset({"pdf"}))
PNG = FileType("image/png", "png", "PNG", frozenset({"png"}))
JPEG = FileType("image/jpeg", "jpg", "JPEG", frozenset({"jpg", "jpeg", "jpe", "jfif"}))
HEIC = FileType("image/heic", "heic", "HEIC", frozenset({"heic", "heif"}))
WEBP = FileType("image/webp", "webp", "WebP", frozenset({"webp"}))
ALLOWED_TYPES: tuple[FileType, ...] = (PDF, PNG, JPEG, HEIC, WEBP)
_BY_MIME = {kind.mime: kind for kind in ALLOWED_TYPES}
# What a browser's file picker should offer (a hint only: the content decides).
ACCEPT_ATTRIBUTE = ",".join(
    sorted({f".{ext}" for kind in ALLOWED_TYPES for ext in kind.known_extensions}
           | {kind.mime for kind in ALLOWED_TYPES}))


class UploadRefused(Exception):
    """An upload that is not stored; `message` says why, fit to show to whoever sent it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check: what to store and how to show it."""

    file_type: FileType
    display_name: str
    size: int


# --- names -----------------------------------------------------------------------------------

_RESERVED = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def _extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def sanitise_name(raw: str, file_type: FileType) -> str:
    """The name to show and to offer on download: the last path part only, without control,
    format (e.g. right-to-left override) or reserved characters, at most NAME_MAX_LENGTH long,
    ending in an extension of the type the content really is."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(char).startswith(("C", "Z")) else char
                   for char in name)
    name = _SPACES.sub(" ", _RESERVED.sub("_", name)).strip()
    stem, dot, extension = name.rpartition(".")
    if not (dot and extension.lower() in file_type.known_extensions):
        stem, extension = name, file_type.extension
    # No leading dots (a hidden file) and no trailing dots or spaces (Windows drops them).
    stem, extension = stem.strip(" ."), extension.lower()
    suffix = f".{extension}"
    stem = stem[: NAME_MAX_LENGTH - len(suffix)].rstrip(" .")
    return (stem or "document") + suffix


def _claimed_type(name: str) -> FileType | None:
    """The allowed type the name's extension claims, if any."""
    extension = _extension_of(unicodedata.normalize("NFC", name or "").strip().rstrip(". "))
    return next((kind for kind in ALLOWED_TYPES if extension in kind.known_extensions), None)


# --- content -----------------------------------------------------------------------------------

def _read_head_and_tail(stream: IO[bytes], size: int) -> tuple[bytes, bytes]:
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    stream.seek(max(0, size - _PDF_TAIL_BYTES))
    tail = stream.read(_PDF_TAIL_BYTES)
    stream.seek(0)
    return head, tail


def _structure_is_sound(file_type: FileType, stream: IO[bytes], tail: bytes) -> bool:
    """Beyond the magic bytes: a PDF ends with its end-of-file marker (a truncated or forged
    one does not); a PNG, JPEG or WebP opens and passes Pillow's verify (which reads the
    structure without decoding every pixel). HEIC has no decoder here: its ISO-BMFF brand is
    the check."""
    if file_type is PDF:
        return b"%%EOF" in tail
    if file_type is HEIC:
        return True
    stream.seek(0)
    try:
        # A stream passed in is left open by Pillow.
        with Image.open(stream, formats=[file_type.label.upper()]) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return False
    finally:
        stream.seek(0)
    return True


@dataclass(frozen=True)
class UploadPolicy:
    """The practice's rules for files: who may upload and how large a file may be."""

    max_bytes: int = DEFAULT_MAX_MB * MEGABYTE
    client_uploads_enabled: bool = True

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // MEGABYTE

    def may_upload(self, *, is_client: bool) -> bool:
        return self.client_uploads_enabled or not is_client

    def check(self, *, name: str, size: int, stream: IO[bytes]) -> CheckedUpload:
        """The upload as it will be stored, or UploadRefused saying why."""
        if size <= 0:
            raise UploadRefused("empty", _("The file is empty."))
        if size > self.max_bytes:
            raise UploadRefused("too_large", _(
                "The file is too large: files can be up to %(limit)s MB."
            ) % {"limit": self.max_megabytes})
        head, tail = _read_head_and_tail(stream, size)
        guessed = filetype.guess(head)
        file_type = _BY_MIME.get(guessed.mime) if guessed is not None else None
        claimed = _claimed_type(name)
        if file_type is None and claimed is not None:
            raise UploadRefused("disguised", _(
                "The file is named like a %(claimed)s but its content is not a %(claimed)s."
            ) % {"claimed": claimed.label})
        if file_type is None:
            raise UploadRefused("type_not_allowed", _(
                "This kind of file can't be uploaded. Upload a PDF or an image (PNG, JPEG, "
                "HEIC or WebP)."))
        if claimed is not None and claimed is not file_type:
            raise UploadRefused("disguised", _(
                "The file's name says %(claimed)s but its content is %(actual)s. Rename it "
                "or upload the right file."
            ) % {"claimed": claimed.label, "actual": file_type.label})
        if not _structure_is_sound(file_type, stream, tail):
            raise UploadRefused("damaged", _(
                "The file looks like a %(type)s but cannot be read. It may be damaged."
            ) % {"type": file_type.label})
        return CheckedUpload(file_type=file_type, display_name=sanitise_name(name, file_type),
                             size=size)

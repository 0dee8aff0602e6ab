"""Documents on both storages: a real S3 API (moto's server mode, started once for the session;
a fresh bucket per test, so "nothing is stored" is checked against an empty bucket) and the
local filesystem (a fresh MEDIA_ROOT). A practice ready for documents has the client on the
clinician's care team, a second clinician who is not, and consent given."""

from __future__ import annotations

import html
import io
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer
from PIL import Image

from practice.documents.models import Document
from tests.care.helpers import CareWorld, page_text, prepare

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test")


@dataclass
class Store:
    """The storage a test runs on, and a way to list everything in it."""

    kind: str
    endpoint: str = ""
    bucket: str = ""
    root: Path | None = None

    def keys(self) -> list[str]:
        """Every stored object: `<schema>/<name>` on S3, the same relative path on disk."""
        if self.kind == "s3":
            listing = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket)
            return sorted(item["Key"] for item in listing.get("Contents", []))
        assert self.root is not None
        return sorted(str(path.relative_to(self.root)) for path in self.root.rglob("*")
                      if path.is_file())


def use_s3(settings: Any, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    bucket = f"tandem-docs-{secrets.token_hex(4)}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    # As production configures it (config/settings/production.py).
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "config.storage.TenantS3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": endpoint, "region_name": REGION,
                    "querystring_expire": 300,
                    "object_parameters": {"ServerSideEncryption": "aws:kms"}}}}
    return Store("s3", endpoint=endpoint, bucket=bucket)


@pytest.fixture
def s3_store(settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    return use_s3(settings, s3_endpoint, monkeypatch)


@pytest.fixture
def local_store(settings: Any, media_root: Path) -> Store:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"}}
    return Store("local", root=media_root)


@pytest.fixture(params=["s3", "local"])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(f"{request.param}_store")


# --- files --------------------------------------------------------------------------------------

def pdf_bytes(text: str = "letter") -> bytes:
    return (f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n"
            "%%EOF\n").encode()


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf"
           ) -> SimpleUploadedFile:
    """What a browser sends; its content type is the browser's claim, which counts for nothing."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def text(response: Any) -> str:
    """The page's text with entities decoded (so "can't" reads as written)."""
    return html.unescape(page_text(response))


# --- practices ------------------------------------------------------------------------------------

def documents_of(world: CareWorld) -> list[tuple[str, str, str, int]]:
    """(source, display name, content type, size) of every document of the practice."""
    with schema_context(world.schema):
        rows = list(Document.objects.order_by("pk").values_list(
            "source", "display_name", "content_type", "size"))
    connection.set_schema_to_public()
    return rows


@pytest.fixture
def docs(alpha: Any) -> CareWorld:
    return prepare(alpha)


@pytest.fixture
def other_docs(beta: Any) -> CareWorld:
    return prepare(beta)

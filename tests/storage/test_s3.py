"""Uploads on a real S3 API (moto's server mode, started here): a prefix per practice, private,
encrypted, reachable only through short-lived presigned URLs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer

from config.storage import TenantS3Storage

BUCKET = "tandem-uploads-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test").create_bucket(
        Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def storage(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> TenantS3Storage:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return TenantS3Storage(bucket_name=BUCKET, endpoint_url=s3_endpoint,
                           region_name="us-east-1", querystring_expire=300,
                           object_parameters={"ServerSideEncryption": "aws:kms"})


def test_each_practice_writes_under_its_own_prefix(alpha, beta, storage, s3_endpoint) -> None:
    with schema_context(alpha.practice.schema_name):
        name = storage.save("uploads/letter.pdf", ContentFile(b"%PDF-alpha"))
    with schema_context(beta.practice.schema_name):
        assert storage.exists(name) is False
        beta_name = storage.save("uploads/letter.pdf", ContentFile(b"%PDF-beta"))
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    keys = sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted([f"{alpha.practice.schema_name}/{name}",
                           f"{beta.practice.schema_name}/{beta_name}"])
    head = client.head_object(Bucket=BUCKET, Key=f"{alpha.practice.schema_name}/{name}")
    assert head["ServerSideEncryption"] == "aws:kms"
    acl = client.get_object_acl(Bucket=BUCKET, Key=f"{alpha.practice.schema_name}/{name}")
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]


def test_downloads_are_short_lived_presigned_urls(alpha, storage) -> None:
    with schema_context(alpha.practice.schema_name):
        name = storage.save("uploads/scan.png", ContentFile(b"png-bytes"))
        url = storage.url(name)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert urlsplit(url).path.endswith(f"/{alpha.practice.schema_name}/{name}")
    assert requests.get(url, timeout=10).content == b"png-bytes"
    unsigned = url.split("?")[0]
    assert requests.get(unsigned, timeout=10).status_code == 403


def test_production_settings_store_uploads_on_s3_when_a_bucket_is_set() -> None:
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50), AWS_STORAGE_BUCKET_NAME="uploads",
               STRIPE_SECRET_KEY="sk_test_storage", STRIPE_WEBHOOK_SECRET="whsec_storage",
               WEBPUSH_VAPID_PRIVATE_KEY=settings.WEBPUSH_VAPID_PRIVATE_KEY,
               WEBPUSH_VAPID_PUBLIC_KEY=settings.WEBPUSH_VAPID_PUBLIC_KEY,
               WEBPUSH_VAPID_SUBJECT="mailto:ops@tandem.example",
               AWS_S3_KMS_KEY_ID="alias/tandem")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " d = settings.STORAGES['default']; print(d['BACKEND']);"
         " print(d['OPTIONS']['object_parameters'])"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "config.storage.TenantS3Storage",
        "{'ServerSideEncryption': 'aws:kms', 'SSEKMSKeyId': 'alias/tandem'}",
    ]

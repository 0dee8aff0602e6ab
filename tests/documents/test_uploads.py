"""Uploads end to end on a real S3 API and on the local filesystem: what is stored and where,
each refusal (too large, wrong type by content, a disguised name, damaged, empty, client
uploads off) saying why and
leaving nothing in storage or the database, and nothing half-written when the database refuses
the row after the bytes were stored."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from practice.documents.models import Document, DocumentSettings
from practice.notifications.models import Notification
from tests.documents.conftest import (
    documents_of,
    pdf_bytes,
    png_bytes,
    s3_client,
    text,
    upload,
)

MB = 1024 * 1024


def _stored(world, document_pk: int) -> str:
    with schema_context(world.schema):
        name = Document.objects.get(pk=document_pk).file.name
    connection.set_schema_to_public()
    return name


def _last_pk(world) -> int:
    with schema_context(world.schema):
        pk = Document.objects.order_by("-pk").values_list("pk", flat=True).first()
    connection.set_schema_to_public()
    return pk


def test_staff_share_and_client_upload_are_stored_privately_under_the_practice(
        docs, store) -> None:
    schema = docs.schema
    staff = docs.http(docs.world.front_desk)
    response = staff.post(f"/documents/files/clients/{docs.world.client.pk}/",
                          {"file": upload("../../etc/Intake form.pdf", pdf_bytes()),
                           "note": "Please read before Tuesday"})
    assert response.status_code == 302
    shared = _last_pk(docs)
    client = docs.http(docs.world.client)
    response = client.post("/portal/documents/files/",
                           {"file": upload("insurance card", png_bytes(), "application/pdf")})
    assert response.status_code == 302
    uploaded = _last_pk(docs)
    assert documents_of(docs) == [
        ("staff", "Intake form.pdf", "application/pdf", len(pdf_bytes())),
        ("client", "insurance card.png", "image/png", len(png_bytes())),
    ]
    shared_key, uploaded_key = _stored(docs, shared), _stored(docs, uploaded)
    # Random keys: neither the name given nor anything about the client.
    assert shared_key.startswith("documents/") and shared_key.endswith(".pdf")
    assert len(shared_key) == len("documents/") + 32 + len(".pdf")
    assert "Intake" not in shared_key and "insurance" not in uploaded_key
    assert store.keys() == sorted([f"{schema}/{shared_key}", f"{schema}/{uploaded_key}"])
    if store.kind == "s3":
        s3 = s3_client(store.endpoint)
        head = s3.head_object(Bucket=store.bucket, Key=f"{schema}/{shared_key}")
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["ContentType"] == "application/pdf"
        assert head["ContentDisposition"] == 'attachment; filename="Intake form.pdf"'
        # The browser said PDF; the content is a PNG, and that is what is stored.
        head = s3.head_object(Bucket=store.bucket, Key=f"{schema}/{uploaded_key}")
        assert head["ContentType"] == "image/png"
        acl = s3.get_object_acl(Bucket=store.bucket, Key=f"{schema}/{uploaded_key}")
        assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
    else:
        assert (store.root / schema / shared_key).read_bytes() == pdf_bytes()

    # The owner turns client uploads off: the form goes, an upload is refused, nothing stored.
    before = store.keys()
    owner = docs.http(docs.world.owner)
    assert owner.post("/documents/files/settings/", {"max_upload_mb": 20}).status_code == 302
    page = text(client.get("/portal/documents/files/"))
    assert 'enctype="multipart/form-data"' not in page
    assert "uploads through the portal are turned off" in page
    response = client.post("/portal/documents/files/", {"file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 403
    assert "Your practice does not take uploads through the portal." in text(response)
    api = client.post(f"/api/v1/clients/{docs.world.client.pk}/files",
                      {"file": upload("a.pdf", pdf_bytes())})
    assert (api.status_code, api.json()["code"]) == (403, "uploads_off")
    assert len(documents_of(docs)) == 2
    assert store.keys() == before


REFUSALS = [
    ("too large", "big.pdf", pdf_bytes() + b"0" * (2 * MB),
     "The file is too large: files can be up to 2 MB."),
    ("wrong type by content", "notes.txt", b"just some text, not a document",
     "This kind of file can't be uploaded. Upload a PDF or an image (PNG, JPEG, HEIC or "
     "WebP)."),
    ("a program named .pdf", "invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200,
     "The file is named like a PDF but its content is not a PDF."),
    ("an image named .pdf", "scan.pdf", png_bytes(),
     "The file's name says PDF but its content is PNG. Rename it or upload the right "
     "file."),
    ("a PDF that is not whole", "cut.pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>",
     "The file looks like a PDF but cannot be read. It may be damaged."),
    ("empty", "empty.pdf", b"", "The file is empty."),
]


def test_each_refusal_says_why_and_stores_nothing(docs, store) -> None:
    with schema_context(docs.schema):
        DocumentSettings.objects.create(pk=1, max_upload_mb=2)
    connection.set_schema_to_public()
    senders = [(docs.http(docs.world.clinician),
                f"/documents/files/clients/{docs.world.client.pk}/"),
               (docs.http(docs.world.client), "/portal/documents/files/")]
    for http, path in senders:
        for reason, name, content, message in REFUSALS:
            response = http.post(path, {"file": upload(name, content)})
            assert response.status_code == 400, (path, reason)
            assert message in text(response), (path, reason)
    response = docs.http(docs.world.client).post(
        f"/api/v1/clients/{docs.world.client.pk}/files", {"file": upload("scan.pdf", png_bytes())})
    assert response.status_code == 400
    assert response.json() == {"code": "disguised", "detail": REFUSALS[3][3]}
    assert documents_of(docs) == []
    assert store.keys() == []
    with schema_context(docs.schema):
        assert Notification.objects.count() == 0
    connection.set_schema_to_public()

    # The bytes were stored and then the database refused the row: the object goes again.
    with schema_context(docs.schema), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE documents_document ADD CONSTRAINT refuse_all "
                       "CHECK (false) NOT VALID")
    connection.set_schema_to_public()
    with pytest.raises(Exception, match="refuse_all"):
        docs.http(docs.world.owner).post(f"/documents/files/clients/{docs.world.client.pk}/",
                                         {"file": upload("a.pdf", pdf_bytes())})
    connection.set_schema_to_public()
    assert store.keys() == []

"""Downloads only through a view that checks permission first: on S3 a redirect to a presigned
URL valid for five minutes (the object itself private, under the practice's own prefix); on the
local filesystem the bytes, streamed. Nobody refused ever sees a storage URL.

(moto does not verify signatures, so that a URL signed for one key opens no other is S3's
SigV4 guarantee, not something this suite can show.)"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from tests.documents.conftest import pdf_bytes, png_bytes, text, upload
from tests.documents.world import MARKER, fill


def test_s3_presigned_url_only_after_the_permission_check(docs, other_docs, s3_store) -> None:
    ids, beta_ids = fill(docs), fill(other_docs)
    outsider = docs.http(docs.outsider)
    refused = outsider.get(f"/documents/files/{ids.shared}/download/")
    assert refused.status_code == 404
    assert "Location" not in refused and s3_store.endpoint not in text(refused)
    anonymous = docs.http().get(f"/portal/documents/files/{ids.shared}/download/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/")

    for http, path in [(docs.http(docs.world.client),
                        f"/portal/documents/files/{ids.shared}/download/"),
                       (docs.http(docs.world.clinician),
                        f"/documents/files/{ids.shared}/download/"),
                       (docs.http(docs.world.front_desk),
                        f"/api/v1/files/{ids.shared}/download")]:
        response = http.get(path)
        assert response.status_code == 302, path
        assert response["Cache-Control"] == "no-store, private"
        url = response["Location"]
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == s3_store.endpoint
        assert parts.path.startswith(f"/{s3_store.bucket}/{docs.schema}/documents/")
        assert parse_qs(parts.query)["X-Amz-Expires"] == ["300"]
        assert MARKER not in url and "letter" not in url
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == pdf_bytes()
        assert fetched.headers["Content-Disposition"] == (
            'attachment; filename="MARK-d0c letter.pdf"')
        assert fetched.headers["Content-Type"] == "application/pdf"

    # The object is private: without the signature, nothing.
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403
    # Look-alike ids, separate prefixes: beta's file 1 is beta's object, never alpha's.
    assert beta_ids.shared == ids.shared
    beta_url = other_docs.http(other_docs.world.owner).get(
        f"/documents/files/{ids.shared}/download/")["Location"]
    assert urlsplit(beta_url).path.startswith(f"/{s3_store.bucket}/{other_docs.schema}/")
    assert urlsplit(beta_url).path != urlsplit(url).path.replace(docs.schema, other_docs.schema)


def test_local_files_are_streamed_with_their_name(docs, local_store) -> None:
    ids = fill(docs)
    client = docs.http(docs.world.client)
    response = client.get(f"/portal/documents/files/{ids.uploaded}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="MARK-d0c card.png"'
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    staff = docs.http(docs.world.owner)
    assert staff.post(f"/documents/files/clients/{ids.client}/", {
        "file": upload("Résumé «final».pdf", pdf_bytes())}).status_code == 302
    latest = staff.get(f"/api/v1/clients/{ids.client}/files").json()[0]
    response = staff.get(latest["download_url"])
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB.pdf")

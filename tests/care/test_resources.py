"""Resources end to end: the library (link, text, file in the practice's own storage), a set per
client chosen by the clinician, the client reading and downloading only what is in their set."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.care.models import ClientResource, Resource
from tests.care.helpers import audit_actions, page_text, prepare

PDF = b"%PDF-1.4 sleep hygiene leaflet"


def library(world) -> list[tuple[str, str, bool]]:
    with schema_context(world.practice.schema_name):
        rows = list(Resource.objects.order_by("pk").values_list("kind", "title", "is_archived"))
    connection.set_schema_to_public()
    return rows


def test_library_set_per_client_and_the_client_reads_it(alpha, beta, media_root) -> None:
    care, other = prepare(alpha), prepare(beta)
    staff = care.http(alpha.clinician)
    assert staff.post("/care/resources/", {"kind": "link", "title": "Grounding video",
                                           "url": "https://example.org/grounding"}
                      ).status_code == 302
    assert staff.post("/care/resources/", {"kind": "text", "title": "Box breathing",
                                           "body": "Breathe in for four counts."}
                      ).status_code == 302
    upload = SimpleUploadedFile("sleep.pdf", PDF, content_type="application/pdf")
    assert care.http(alpha.owner).post("/care/resources/", {"kind": "file", "title": "Sleep",
                                                             "file": upload}).status_code == 302
    # A link without its address is refused, nothing added.
    assert staff.post("/care/resources/", {"kind": "link", "title": "Empty"}).status_code == 400
    assert library(alpha) == [("link", "Grounding video", False), ("text", "Box breathing", False),
                              ("file", "Sleep", False)]
    with schema_context(alpha.practice.schema_name):
        link, text, file = Resource.objects.order_by("pk")
        stored = file.file.name
    connection.set_schema_to_public()
    # In the practice's own folder of the default storage.
    assert (media_root / alpha.practice.schema_name / stored).read_bytes() == PDF

    client = care.http(alpha.client)
    assert "Box breathing" not in page_text(client.get("/portal/resources/"))
    assert client.get(f"/portal/resources/{text.pk}/").status_code == 404
    assert client.get(f"/portal/resources/{file.pk}/file/").status_code == 404

    url = f"/care/clients/{alpha.client.pk}/resources/"
    for resource in (text, file):
        assert staff.post(url, {"resource": resource.pk}).status_code == 302
    page = page_text(client.get("/portal/resources/"))
    assert "Box breathing" in page
    assert "Sleep" in page
    assert "Grounding video" not in page
    detail = client.get(f"/portal/resources/{text.pk}/")
    assert "Breathe in for four counts." in page_text(detail)
    download = client.get(f"/portal/resources/{file.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert client.get(f"/portal/resources/{link.pk}/").status_code == 404

    assert staff.post(f"/care/clients/{alpha.client.pk}/resources/{text.pk}/remove/"
                      ).status_code == 302
    assert client.get(f"/portal/resources/{text.pk}/").status_code == 404
    assert staff.post(f"/care/resources/{file.pk}/archive/").status_code == 302
    assert client.get(f"/portal/resources/{file.pk}/file/").status_code == 404
    assert "Sleep" not in page_text(client.get("/portal/resources/"))

    assert [action for action, _ in audit_actions(alpha, "resource.")] == [
        "resource.created", "resource.created", "resource.created", "resource.shared",
        "resource.shared", "resource.unshared", "resource.archived"]

    # The other practice: empty library, no file, nothing reachable by alpha's ids.
    assert library(other.world) == []
    assert not (media_root / beta.practice.schema_name / stored).exists()
    beta_client = other.http(beta.client)
    assert beta_client.get(f"/portal/resources/{text.pk}/").status_code == 404
    assert other.http(beta.clinician).get(f"/care/resources/{file.pk}/file/").status_code == 404


def test_resource_pages_pin_their_query_counts(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    staff, client = care.http(alpha.clinician), care.http(alpha.client)

    def add(count: int) -> None:
        with schema_context(alpha.practice.schema_name):
            for _ in range(count):
                resource = Resource.objects.create(kind="text", title="T", body="B",
                                                   created_by=alpha.clinician)
                ClientResource.objects.create(client=alpha.client, resource=resource,
                                              shared_by=alpha.clinician)
        connection.set_schema_to_public()

    def counts() -> tuple[int, int, int]:
        result = []
        for http, path in ((staff, "/care/resources/"),
                           (staff, f"/care/clients/{alpha.client.pk}/resources/"),
                           (client, "/portal/resources/")):
            with CaptureQueriesContext(connection) as queries:
                assert http.get(path).status_code == 200
            result.append(len(queries))
        return tuple(result)

    add(1)
    counts()  # warm the cached branding
    small = counts()
    add(8)
    assert counts() == small == (8, 11, 8)  # staff pages: +1 unread-messages count

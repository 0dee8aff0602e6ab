"""The authorisation matrix of every documents page and endpoint: anonymous, the client, a
client of another practice, front desk, billing, a clinician not on the client's care team, the
assigned clinician and the owner. A refused request shows nothing of the files and changes
nothing; a file or client of another practice (or out of reach) is the same 404 as a missing
one, download paths included; every staff view of a client's files is audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.care.helpers import audit_actions, page_text, prepare, turn_off
from tests.documents.conftest import pdf_bytes, upload
from tests.documents.world import MARKER, DocIds, fill, snapshot

SIGN_IN = "/accounts/sign-in/"
PEOPLE = ["anonymous", "client", "other_client", "front_desk", "billing", "outsider",
          "clinician", "owner"]
STAFF = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 200,
         "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}
PORTAL = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
          "billing": 404, "outsider": 404, "clinician": 404, "owner": 404}
API = {"anonymous": 403, "client": 200, "other_client": 403, "front_desk": 200,
       "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}


@pytest.fixture
def worlds(alpha, beta, local_store):
    care, beta_care = prepare(alpha), prepare(beta)
    ids = fill(care)
    fill(beta_care, extra=1)  # look-alike files, same ids, and one id alpha does not have
    return care, beta_care, ids


def _http(care, beta_care, who: str):
    if who == "other_client":
        # Beta's client, signed in on beta, trying alpha's host: the session is worthless here.
        http = beta_care.http(beta_care.world.client)
        http.defaults["HTTP_HOST"] = care.world.host
        return http
    return care.http(care.people()[who] if who != "anonymous" else None)


def _refused(response, who: str, path: str) -> None:
    body = response.content.decode(errors="replace")
    assert MARKER not in body, (who, path)
    if response.status_code == 302:
        assert response["Location"].startswith(SIGN_IN), (who, path)


def test_staff_pages(worlds) -> None:
    care, beta_care, ids = worlds
    pages = [f"/documents/files/clients/{ids.client}/", f"/documents/files/{ids.shared}/download/",
             f"/documents/files/{ids.uploaded}/download/"]
    for who in PEOPLE:
        http = _http(care, beta_care, who)
        for path in pages:
            response = http.get(path)
            assert response.status_code == STAFF[who], (who, path)
            if STAFF[who] != 200:
                _refused(response, who, path)
        listing = http.get("/documents/files/")
        expected = STAFF[who] if who != "outsider" else 200
        assert listing.status_code == expected, who
        if expected == 200:
            # The outsider's caseload is empty: a list without anyone's files.
            assert (f"{MARKER} letter.pdf" in page_text(listing)) is (who != "outsider"), who
            # Only the owner and front desk reach the client on nobody's caseload.
            assert (f"{MARKER} second.pdf" in page_text(listing)) is (
                who in ("owner", "front_desk")), who
        else:
            _refused(listing, who, "/documents/files/")

    # Front desk sees every file of the client (withdrawn ones marked), nothing of others.
    http = care.http(care.world.front_desk)
    page = page_text(http.get(f"/documents/files/clients/{ids.client}/"))
    for shown in (f"{MARKER} letter.pdf", f"{MARKER} note", f"{MARKER} old.pdf",
                  f"{MARKER} card.png"):
        assert shown in page, shown
    # Withdrawing is offered for what staff shared and the client still sees, only.
    assert page.count("Withdraw<span") == 1
    assert "Withdrawn from the client's portal" in page
    assert f"{MARKER} second.pdf" not in page

    _out_of_reach_is_the_same_404_as_missing(care, ids)
    _portal_pages(care, beta_care, ids)


def _out_of_reach_is_the_same_404_as_missing(care, ids: DocIds) -> None:
    beta_only = ids.other_file + 1  # exists in beta only
    clinician = care.http(care.world.clinician)
    owner = care.http(care.world.owner)
    for http, path in [
        (owner, f"/documents/files/{beta_only}/download/"),
        (owner, f"/documents/files/{beta_only}/withdraw/"),
        (clinician, f"/documents/files/{ids.other_file}/download/"),
        (clinician, f"/documents/files/clients/{ids.other_client}/"),
        (owner, "/documents/files/clients/999999/"),
        (owner, f"/documents/files/clients/{care.world.clinician.pk}/"),  # staff, not a client
    ]:
        method = http.post if path.endswith("withdraw/") else http.get
        response = method(path)
        assert response.status_code == 404, path
        assert page_text(response) == page_text(http.get("/documents/files/999999/download/"))
    client = care.http(care.world.client)
    for document in (beta_only, ids.other_file, ids.withdrawn):
        response = client.get(f"/portal/documents/files/{document}/download/")
        assert response.status_code == 404, document
        _refused(response, "client", str(document))
    api_missing = owner.get("/api/v1/files/999999/download")
    for http, path in [(owner, f"/api/v1/files/{beta_only}/download"),
                       (owner, f"/api/v1/files/{beta_only}"),
                       (clinician, f"/api/v1/files/{ids.other_file}/download"),
                       (client, f"/api/v1/files/{ids.other_file}/download"),
                       (client, f"/api/v1/files/{ids.withdrawn}"),
                       (client, f"/api/v1/clients/{ids.other_client}/files")]:
        response = http.get(path)
        assert (response.status_code, response.content) == (404, api_missing.content), path


def test_staff_writes(worlds) -> None:
    care, beta_care, ids = worlds
    before, beta_before = snapshot(care), snapshot(beta_care)
    writes = [(f"/documents/files/{ids.shared}/withdraw/", {}),
              (f"/documents/files/clients/{ids.client}/", {"file": None}),
              ("/documents/files/settings/", {"client_uploads_enabled": "", "max_upload_mb": 5})]
    refused = {"anonymous": 302, "client": 404, "other_client": 302, "billing": 404,
               "outsider": 404}
    for who, status in refused.items():
        http = _http(care, beta_care, who)
        for path, data in writes:
            if "file" in data:
                data = {"file": upload("new.pdf", pdf_bytes())}
            response = http.post(path, data)
            assert response.status_code == status, (who, path)
            _refused(response, who, path)
    for who in ("front_desk", "clinician"):  # the owner's rules are the owner's
        response = _http(care, beta_care, who).post(*writes[2])
        assert response.status_code == 404, who
    assert snapshot(care) == before
    # Allowed: front desk withdraws, the clinician shares, the owner sets the rules.
    front_desk = care.http(care.world.front_desk)
    assert front_desk.post(f"/documents/files/{ids.shared}/withdraw/").status_code == 302
    response = front_desk.post(f"/documents/files/{ids.uploaded}/withdraw/")
    assert response.status_code == 302  # a client's upload is theirs: not withdrawn
    assert care.http(care.world.clinician).post(
        f"/documents/files/clients/{ids.client}/",
        {"file": upload("new.pdf", pdf_bytes())}).status_code == 302
    owner = care.http(care.world.owner)
    assert owner.get("/documents/files/settings/").status_code == 200
    assert owner.post("/documents/files/settings/", writes[2][1]).status_code == 302
    after = snapshot(care)
    assert [(row[1], row[2], row[4] is not None) for row in after] == [
        ("staff", f"{MARKER} letter.pdf", True), ("staff", f"{MARKER} old.pdf", True),
        ("client", f"{MARKER} card.png", False), ("staff", f"{MARKER} second.pdf", False),
        ("staff", "new.pdf", False)]
    assert snapshot(beta_care) == beta_before
    assert owner.post("/documents/files/settings/",
                      {"max_upload_mb": 26}).status_code == 400
    _module_off_answers_404_everywhere(care, ids)


def _module_off_answers_404_everywhere(care, ids: DocIds) -> None:
    client, owner = care.http(care.world.client), care.http(care.world.owner)
    menu = '<a href="/portal/documents/files/">Documents and forms</a>'
    assert menu in page_text(client.get("/portal/"))
    turn_off(care.world, "documents")
    for http, path in [(owner, "/documents/files/"), (owner, "/documents/files/settings/"),
                       (owner, f"/documents/files/clients/{ids.client}/"),
                       (owner, f"/documents/files/{ids.shared}/download/"),
                       (owner, f"/api/v1/clients/{ids.client}/files"),
                       (client, "/portal/documents/files/"),
                       (client, f"/portal/documents/files/{ids.shared}/download/"),
                       (client, f"/api/v1/files/{ids.shared}/download")]:
        assert http.get(path).status_code == 404, path
    assert menu not in page_text(client.get("/portal/"))


def _portal_pages(care, beta_care, ids: DocIds) -> None:
    for who in PEOPLE:
        http = _http(care, beta_care, who)
        for path in ("/portal/documents/files/", f"/portal/documents/files/{ids.shared}/download/"):
            response = http.get(path)
            assert response.status_code == PORTAL[who], (who, path)
            if PORTAL[who] != 200:
                _refused(response, who, path)
        if who != "client":
            response = http.post("/portal/documents/files/",
                                 {"file": upload("x.pdf", pdf_bytes())})
            assert response.status_code == PORTAL[who], who
    response = care.http(care.world.client).get("/portal/documents/files/")
    # The forms module's summary sits on the same landing page.
    assert response.context["forms_summary"] == "formbuilder/portal/_forms_summary.html"
    page = page_text(response)
    assert f"{MARKER} letter.pdf" in page and f"{MARKER} card.png" in page
    assert f"{MARKER} old.pdf" not in page and f"{MARKER} second.pdf" not in page
    assert "Shared by Casey Clinician" in page and "Uploaded by you" in page


def test_api(worlds) -> None:
    care, beta_care, ids = worlds
    before = snapshot(care)
    for who in PEOPLE:
        http = _http(care, beta_care, who)
        response = http.get(f"/api/v1/clients/{ids.client}/files")
        assert response.status_code == API[who], who
        for path in (f"/api/v1/files/{ids.shared}", f"/api/v1/files/{ids.shared}/download"):
            assert http.get(path).status_code == {200: 200}.get(API[who], API[who]), (who, path)
        if API[who] != 200:
            _refused(response, who, "api")
            assert http.post(f"/api/v1/clients/{ids.client}/files",
                             {"file": upload("x.pdf", pdf_bytes())}
                             ).status_code == API[who], who
    assert snapshot(care) == before
    staff = care.http(care.world.front_desk).get(f"/api/v1/clients/{ids.client}/files").json()
    assert [(row["name"], row["source"], row["withdrawn"]) for row in staff] == [
        (f"{MARKER} card.png", "client", False), (f"{MARKER} old.pdf", "staff", True),
        (f"{MARKER} letter.pdf", "staff", False)]
    mine = care.http(care.world.client).get(f"/api/v1/clients/{ids.client}/files").json()
    assert [(row["name"], row["shared_by"], row["download_url"]) for row in mine] == [
        (f"{MARKER} card.png", None, f"/api/v1/files/{ids.uploaded}/download"),
        (f"{MARKER} letter.pdf", "Casey Clinician", f"/api/v1/files/{ids.shared}/download")]
    assert "withdrawn" not in mine[0]
    schema = care.http(care.world.front_desk).get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/clients/{client_id}/files", "/api/v1/files/{document_id}",
                 "/api/v1/files/{document_id}/download"):
        assert path in schema, path
    _every_staff_view_of_a_clients_files_is_audited(care, ids)
    _list_pages_run_a_fixed_number_of_queries(care, ids)


def _every_staff_view_of_a_clients_files_is_audited(care, ids: DocIds) -> None:
    before = len(audit_actions(care.world, "document"))
    owner = care.http(care.world.owner)
    owner.get("/documents/files/")
    owner.get(f"/documents/files/clients/{ids.client}/")
    owner.get(f"/documents/files/{ids.shared}/download/")
    owner.get(f"/api/v1/clients/{ids.client}/files")
    owner.get(f"/api/v1/files/{ids.shared}")
    owner.get(f"/api/v1/files/{ids.shared}/download")
    assert audit_actions(care.world, "document")[before:] == [
        ("documents.files_listed", "client"), ("documents.client_files_viewed", "client"),
        ("document.downloaded", "document"), ("documents.client_files_viewed", "client"),
        ("document.viewed", "document"), ("document.downloaded", "document")]


def _list_pages_run_a_fixed_number_of_queries(care, ids: DocIds) -> None:
    owner, client = care.http(care.world.owner), care.http(care.world.client)
    paths = [(owner, f"/documents/files/clients/{ids.client}/"), (owner, "/documents/files/"),
             (client, "/portal/documents/files/"),
             (owner, f"/api/v1/clients/{ids.client}/files")]
    counts = []
    for http, path in paths:
        http.get(path)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert http.get(path).status_code == 200
        counts.append(len(queries))
    fill(care)  # as many files again
    for (http, path), before in zip(paths, counts, strict=True):
        with CaptureQueriesContext(connection) as queries:
            assert http.get(path).status_code == 200
        assert len(queries) == before, path

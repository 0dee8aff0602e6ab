"""The whole-practice export: the owner asks, a worker builds one zip (a CSV per kind of record
with a data dictionary, a FHIR bundle per client, the files), an email without PHI says it is
ready, the download goes through the permission check for 24 hours. It holds every kind of
record and nothing of another practice (canary); a second request while one runs is refused;
everyone but the owner gets 404."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from fhir.resources.R4B.bundle import Bundle

from practice.outcomes import services
from practice.outcomes.export import record_kinds
from practice.outcomes.models import PracticeExport
from practice.outcomes.tasks import build_export
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.outcomes.test_client_reports import _care
from tests.outcomes.world import build_caseload

URLS = ["/outcomes/practice-export/", "/outcomes/practice-export/1/download/"]


def _world(world, canary: str = "") -> None:  # type: ignore[no-untyped-def]
    caseload = build_caseload(world, canary=canary)
    with schema_context(world.practice.schema_name):
        _care(world, caseload.clients["Rita Recovered"])
        default_storage.save("documents/letter.txt",
                             ContentFile(f"{canary}referral letter".encode()))


def _request_and_build(world, django_capture_on_commit_callbacks) -> PracticeExport:  # type: ignore[no-untyped-def]
    with schema_context(world.practice.schema_name):
        with django_capture_on_commit_callbacks() as callbacks:
            export = services.practice_export_request(actor=Actor.of(world.owner))
        assert len(callbacks) == 1  # the actor's message, sent once committed
        built = build_export(export.pk)
        assert built is not None
        assert build_export(export.pk) is None  # a redelivered message builds nothing
        return built


def test_the_archive_holds_every_kind_of_record_and_nothing_of_beta(
        alpha, beta, media_root, mailbox, django_capture_on_commit_callbacks) -> None:
    _world(alpha)
    _world(beta, canary="CANARY ")
    export = _request_and_build(alpha, django_capture_on_commit_callbacks)
    connection.set_schema_to_public()
    assert export.status == "ready" and export.progress == 100
    assert export.expires_at == export.finished_at + timedelta(hours=24)
    # The email says it is ready and nothing else.
    (email,) = mailbox.messages
    assert email["Subject"] == "Your practice export is ready"
    text = email.get_payload()[0].get_payload(decode=True).decode()
    assert "/outcomes/practice-export/" in text
    for name in ("Rita", "Recovered", "PHQ", "letter"):
        assert name not in text
    # Downloaded through the permission check.
    response = alpha.http(alpha.owner).get(f"/outcomes/practice-export/{export.pk}/download/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    with schema_context(alpha.practice.schema_name):
        for kind in record_kinds():
            assert kind.filename in names
            rows = list(csv.reader(io.StringIO(archive.read(kind.filename).decode())))
            # The audit trail grew since: the build and the download were recorded after.
            later = 2 if kind.filename == "records/audit_auditevent.csv" else 0
            assert len(rows) - 1 == kind.model._default_manager.count() - later, kind.filename
        for filename in ("records/practice_response.csv", "records/outcomes_episode.csv",
                         "records/practice_goal.csv", "records/practice_homework.csv",
                         "records/accounts_user.csv", "records/audit_auditevent.csv"):
            assert len(archive.read(filename).splitlines()) > 1, filename
        client_ids = list(alpha.client.__class__.objects.filter(role="client")
                          .values_list("pk", flat=True))
    assert {f"fhir/client-{pk}.json" for pk in client_ids} <= names
    bundle = json.loads(archive.read(f"fhir/client-{client_ids[0]}.json"))
    assert bundle["resourceType"] == "Bundle"
    # The export writes its bundles without validating them (for speed): every one must still
    # be valid FHIR R4, with the client's scores in it.
    for pk in client_ids:
        Bundle.model_validate_json(archive.read(f"fhir/client-{pk}.json"))
    assert any(entry["resource"]["resourceType"] == "Observation"
               for pk in client_ids
               for entry in json.loads(archive.read(f"fhir/client-{pk}.json"))["entry"])
    assert archive.read("files/documents/letter.txt") == b"referral letter"
    assert not any(name.startswith("files/exports/") for name in names)
    assert "data-dictionary.csv" in names and "README.txt" in names
    dictionary = archive.read("data-dictionary.csv").decode()
    assert "records/practice_response.csv" in dictionary
    users = archive.read("records/accounts_user.csv").decode()
    assert "password" not in users.splitlines()[0]
    for name in names:
        assert b"CANARY" not in archive.read(name), name
    with schema_context(alpha.practice.schema_name):
        actions = list(AuditEvent.objects.filter(action__startswith="practice.export")
                       .order_by("pk").values_list("action", flat=True))
        assert actions == ["practice.export_requested", "practice.export_built",
                           "practice.export_downloaded"]
    with schema_context(beta.practice.schema_name):
        assert PracticeExport.objects.count() == 0


def test_a_second_request_while_one_runs_says_so(alpha, media_root) -> None:
    with schema_context(alpha.practice.schema_name):
        services.practice_export_request(actor=Actor.of(alpha.owner))
        with pytest.raises(services.ExportInProgress, match="already being prepared"):
            services.practice_export_request(actor=Actor.of(alpha.owner))
        assert PracticeExport.objects.count() == 1
    connection.set_schema_to_public()
    http = alpha.http(alpha.owner)
    page = http.post("/outcomes/practice-export/request/", follow=True)
    assert "already being prepared" in page.content.decode()
    status = http.get("/outcomes/practice-export/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in status.content.decode()
    assert "<html" not in status.content.decode()


def test_the_link_expires_after_24_hours(alpha, media_root,
                                         django_capture_on_commit_callbacks) -> None:
    export = _request_and_build(alpha, django_capture_on_commit_callbacks)
    with schema_context(alpha.practice.schema_name):
        path = export.file
        assert default_storage.exists(path)
        PracticeExport.objects.filter(pk=export.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.practice_export_download(export_id=export.pk,
                                                     actor=Actor.of(alpha.owner)) is None
        assert not default_storage.exists(path)
        assert PracticeExport.objects.get().status == "expired"


@pytest.mark.parametrize("url", URLS)
def test_everyone_but_the_owner_gets_404(alpha, media_root, url: str) -> None:
    for person in (alpha.front_desk, alpha.billing, alpha.clinician, alpha.client):
        http = alpha.http(person)
        assert http.get(url).status_code == 404
        assert http.post("/outcomes/practice-export/request/").status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert PracticeExport.objects.count() == 0

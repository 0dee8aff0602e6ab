"""Who hears of a file, in the outbox, in the event's transaction: a client's upload tells their
clinicians (not a clinician outside the care team; the owner when nobody is assigned), a staff
share tells the client. Wording without PHI; context ids only. The staff digest counts new
uploads per person, for the clients they may see."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.documents.selectors import uploads_since
from practice.models import ClientProfile
from practice.notifications import digest, kinds
from practice.notifications.models import Notification
from tests.documents.conftest import pdf_bytes, upload


def _outbox(world) -> list[tuple[str, str, str, dict]]:
    """The email rows (push rows exist only for people with a device, which nobody has here)."""
    with schema_context(world.schema):
        rows = [(row.recipient.email, row.kind, row.channel, row.context)
                for row in Notification.objects.select_related("recipient").order_by("pk")
                if row.channel == "email"]
    connection.set_schema_to_public()
    return rows


def test_uploads_tell_the_care_team_and_shares_tell_the_client(docs, other_docs,
                                                                local_store) -> None:
    with schema_context(docs.schema):  # an invited client, who accepts notifications
        ClientAccess.objects.create(user=docs.world.client, accepted_at=timezone.now(),
                                    visible_modules=["documents"])
    connection.set_schema_to_public()
    client = docs.http(docs.world.client)
    assert client.post("/portal/documents/files/",
                       {"file": upload("card.pdf", pdf_bytes())}).status_code == 302
    assert docs.http(docs.world.front_desk).post(
        f"/documents/files/clients/{docs.world.client.pk}/",
        {"file": upload("form.pdf", pdf_bytes())}).status_code == 302
    uploaded = {"document_id": 1, "client_id": docs.world.client.pk}
    shared = {"document_id": 2, "client_id": docs.world.client.pk}
    assert _outbox(docs) == [
        ("clinician@example.org", "document_uploaded", "email", uploaded),
        ("client@example.org", "document_shared", "email", shared),
    ]
    assert _outbox(other_docs) == []
    # Withdrawn before the notice went out: the notice is no longer due.
    still_due = kinds.get("document_shared").is_still_due
    with schema_context(docs.schema):
        notice = Notification.objects.get(kind="document_shared", channel="email")
        assert still_due(notice) is True
    connection.set_schema_to_public()
    assert docs.http(docs.world.front_desk).post("/documents/files/2/withdraw/").status_code == 302
    with schema_context(docs.schema):
        assert still_due(notice) is False
    connection.set_schema_to_public()
    # Nobody on the care team: the owner hears of it.
    with schema_context(docs.schema):
        ClientProfile.objects.get(user=docs.world.client).clinicians.clear()
    connection.set_schema_to_public()
    assert client.post("/portal/documents/files/",
                       {"file": upload("second.pdf", pdf_bytes())}).status_code == 302
    assert _outbox(docs)[-1] == ("owner@example.org", "document_uploaded", "email",
                                 {"document_id": 3, "client_id": docs.world.client.pk})
    _digest_counts_new_uploads_for_whom_may_see_them(docs)


def test_wording_has_no_names() -> None:
    shared, uploaded = kinds.get("document_shared"), kinds.get("document_uploaded")
    assert (shared.subject, shared.push_body) == (
        "A new document is waiting in your portal", "Your practice shared a document with you.")
    assert (uploaded.subject, uploaded.push_body) == (
        "A client uploaded a document", "A client uploaded a new document.")
    assert shared.link({"document_id": 2, "client_id": 7}) == "/portal/documents/files/"
    assert uploaded.link({"document_id": 2, "client_id": 7}) == "/documents/files/clients/7/"


def _digest_counts_new_uploads_for_whom_may_see_them(docs) -> None:
    """Two uploads in the last minute (one of them before the care team was emptied)."""
    with schema_context(docs.schema):
        ClientProfile.objects.get(user=docs.world.client).clinicians.add(docs.world.clinician)
    connection.set_schema_to_public()
    section = next(item for item in digest.sections() if item.key == "documents_new_uploads")
    assert section.label.format(count=2) == "New uploads from clients: 2"
    assert section.link == "/documents/files/?source=client"
    assert section.roles == frozenset({"owner", "clinician", "front_desk"})
    since = timezone.now() - timedelta(minutes=1)
    people = docs.world
    with schema_context(docs.schema):
        counts = {who: section.count(user, since) for who, user in [
            ("owner", people.owner), ("front_desk", people.front_desk),
            ("clinician", people.clinician), ("outsider", docs.outsider),
            ("billing", people.billing)]}
        later = uploads_since(people.owner, timezone.now())
    connection.set_schema_to_public()
    assert counts == {"owner": 2, "front_desk": 2, "clinician": 2, "outsider": 0, "billing": 0}
    assert later == 0

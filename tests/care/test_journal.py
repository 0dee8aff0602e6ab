"""The journal: private entries stay the client's. Staff see a shared entry in full and of a
private one only that it exists ("a private entry on <date>"), in no response, page, selector
or audit row its text."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.care import selectors
from practice.care.models import JournalEntry
from tenants.audit.models import AuditEvent
from tests.care.helpers import audit_actions, page_text, prepare

PRIVATE = "Secret-thought-zebra about my sister"
SHARED = "Shared-thought-otter about work"


def entries(world) -> list[tuple[str, bool]]:
    with schema_context(world.practice.schema_name):
        rows = list(JournalEntry.objects.order_by("pk").values_list("body", "is_shared"))
    connection.set_schema_to_public()
    return rows


def test_private_entry_text_never_reaches_staff(alpha, beta) -> None:
    care, other = prepare(alpha), prepare(beta)
    client = care.http(alpha.client)
    assert client.post("/portal/journal/", {"body": PRIVATE, "sharing": "private"}
                       ).status_code == 302
    assert client.post("/portal/journal/", {"body": SHARED, "sharing": "shared"}
                       ).status_code == 302
    assert client.post("/portal/journal/", {"body": "  ", "sharing": "shared"}
                       ).status_code == 400
    assert entries(alpha) == [(PRIVATE, False), (SHARED, True)]

    own = page_text(client.get("/portal/journal/"))
    assert PRIVATE in own
    assert SHARED in own

    url = f"/care/clients/{alpha.client.pk}/journal/"
    for user in (alpha.clinician, alpha.owner):
        staff = care.http(user)
        page = staff.get(url)
        assert page.status_code == 200
        text = page_text(page)
        assert SHARED in text
        assert "Secret-thought-zebra" not in text
        assert text.count("a private entry on ") == 1
        # No other staff response carries it either.
        for path in (f"/care/clients/{alpha.client.pk}/goals/",
                     f"/care/clients/{alpha.client.pk}/homework/",
                     f"/care/clients/{alpha.client.pk}/resources/",
                     f"/care/clients/{alpha.client.pk}/safety-plan/", "/care/homework/",
                     f"/clinic/clients/{alpha.client.pk}/", "/clinic/clients/",
                     f"/api/v1/clients/{alpha.client.pk}/responses"):
            assert "Secret-thought-zebra" not in staff.get(path).content.decode(), path

    # The selector staff use never even reads the private text from the database.
    with schema_context(alpha.practice.schema_name):
        with CaptureQueriesContext(connection) as queries:
            items = selectors.journal_for_staff(alpha.client)
        assert [(item.is_shared, item.text) for item in items] == [(True, SHARED),
                                                                  (False, "")]
        reads = [query["sql"] for query in queries if "practice_journalentry" in query["sql"]]
        assert len(reads) == 1
        # The text is selected only inside CASE ... WHEN is_shared, never as a column.
        assert 'CASE WHEN "practice_journalentry"."is_shared" THEN "practice_journalentry"' \
            '."body"' in reads[0]
        assert reads[0].count('"practice_journalentry"."body"') == 1
        assert not AuditEvent.objects.filter(detail__icontains="zebra").exists()
    connection.set_schema_to_public()

    # Sharing later shows it; making it private again hides it.
    with schema_context(alpha.practice.schema_name):
        private_id = JournalEntry.objects.get(is_shared=False).pk
    connection.set_schema_to_public()
    assert client.post(f"/portal/journal/{private_id}/sharing/", {"sharing": "shared"}
                       ).status_code == 302
    assert PRIVATE in page_text(care.http(alpha.clinician).get(url))
    assert client.post(f"/portal/journal/{private_id}/sharing/", {"sharing": "private"}
                       ).status_code == 302
    assert "Secret-thought-zebra" not in page_text(care.http(alpha.clinician).get(url))

    assert [action for action, _ in audit_actions(alpha, "journal.")] == [
        "journal.entry_created", "journal.entry_created", "journal.sharing_changed",
        "journal.sharing_changed"]
    assert ("care.journal_viewed", "client") in audit_actions(alpha, "care.journal")

    # The other practice: untouched; its client cannot change alpha's entry by id.
    assert entries(other.world) == []
    assert other.http(beta.client).post(f"/portal/journal/{private_id}/sharing/",
                                        {"sharing": "shared"}).status_code == 404
    assert "zebra" not in page_text(other.http(beta.clinician).get(url))

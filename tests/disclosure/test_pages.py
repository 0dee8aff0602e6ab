"""The flow through the pages: the clinician drafts a release on the client's record, the client
signs it in the portal, the clinician sends a package and sees the code once, the recipient
downloads it once with the code; the accounting for staff and client (page and PDF); the
recipient's page rate limited; nothing of it reaches the front desk."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure import policies
from practice.disclosure.models import Disclosure, Release
from tests.disclosure.helpers import prepare, send, signed
from tests.formbuilder.helpers import pdf_text


def test_release_signed_in_the_portal_then_sent_and_downloaded_once(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
    staff = alpha.http(alpha.clinician)
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()
    answer = staff.post(f"/disclosure/clients/{alpha.client.pk}/releases/new/", {
        "recipient_name": "Dr Priya Patel", "recipient_organisation": "Northside Psychiatry",
        "recipient_email": "priya@northside.example", "kinds": ["scores"],
        "instrument_keys": ["phq9"], "purpose": "Medication review", "expires_on": expires})
    assert answer.status_code == 302
    with schema_context(alpha.practice.schema_name):
        release = Release.objects.get()
    assert release.status == "awaiting"
    # Not signed: nothing can be sent (the page offers no send form, the POST is refused).
    refused = staff.post(f"/disclosure/clients/{alpha.client.pk}/releases/{release.pk}/send/",
                         {"package_kind": "progress_report"})
    assert refused.status_code == 409 and b"not signed" in refused.content
    portal = alpha.http(alpha.client)
    listing = portal.get("/portal/disclosures/")
    assert b"Dr Priya Patel" in listing.content and b"Read and sign" in listing.content
    no_consent = portal.post(f"/portal/disclosures/{release.pk}/sign/",
                             {"typed_name": "Chris Client"})
    assert no_consent.status_code == 400
    assert portal.post(f"/portal/disclosures/{release.pk}/sign/",
                       {"typed_name": "Chris Client", "consent": "on"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff.post(f"/disclosure/clients/{alpha.client.pk}/releases/{release.pk}/send/",
                          {"package_kind": "progress_report"})
    assert sent.status_code == 200
    code = re.search(rb"<code data-code>([A-Z0-9]+)</code>", sent.content).group(1).decode()
    assert len(mailbox.messages) == 1
    email = mailbox.messages[0]
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert code not in body and "Chris" not in body and "PHQ" not in body
    link = re.search(r"https?://\S+/shared/[\w-]+/", body).group(0)
    path = link.split(alpha.host, 1)[1]
    recipient = alpha.http()
    page = recipient.get(path)
    assert page.status_code == 200 and b"Chris" not in page.content
    wrong = recipient.post(path, {"code": "ZZZZZZZZ"})
    assert wrong.status_code == 403 and b"not valid" in wrong.content
    got = recipient.post(path, {"code": code})
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    assert recipient.post(path, {"code": code}).status_code == 403
    assert recipient.get(path).status_code == 404
    # The accounting: staff page and PDF, the client's on request.
    accounting = staff.get(f"/disclosure/clients/{alpha.client.pk}/accounting/")
    assert b"Dr Priya Patel, Northside Psychiatry" in accounting.content
    pdf = staff.get(f"/disclosure/clients/{alpha.client.pk}/accounting/?format=pdf")
    text = " ".join(pdf_text(pdf.content).split())
    assert "Accounting of disclosures" in text and "Medication review" in text
    mine = portal.get("/portal/disclosures/accounting/")
    assert b"Northside Psychiatry" in mine.content
    mine_pdf = portal.get("/portal/disclosures/accounting/?format=pdf")
    assert mine_pdf["Content-Type"] == "application/pdf"
    # The client revokes: the next send is refused.
    assert portal.post(f"/portal/disclosures/{release.pk}/revoke/").status_code == 302
    again = staff.post(f"/disclosure/clients/{alpha.client.pk}/releases/{release.pk}/send/",
                       {"package_kind": "progress_report"})
    assert again.status_code == 409 and b"revoked" in again.content
    # The front desk and billing see none of it; beta has nothing.
    for person in (alpha.front_desk, alpha.billing):
        assert alpha.http(person).get(
            f"/disclosure/clients/{alpha.client.pk}/").status_code == 404
    with schema_context(beta.practice.schema_name):
        assert Disclosure.objects.count() == 0 and Release.objects.count() == 0


def test_code_attempts_are_rate_limited(alpha, monkeypatch, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    monkeypatch.setattr(policies, "CODE_RATE", "3/h")
    monkeypatch.setattr(policies, "MAX_WRONG_CODES", 100)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        delivered = send(alpha, signed(alpha))
    recipient = alpha.http()
    path = f"/shared/{delivered.token}/"
    statuses = [recipient.post(path, {"code": "ZZZZZZZZ"}).status_code for _ in range(3)]
    assert statuses == [403, 403, 403]
    limited = recipient.post(path, {"code": delivered.code})
    assert limited.status_code == 429 and limited["Content-Type"].startswith("text/html")


def test_the_download_token_never_reaches_a_log() -> None:
    from config.redaction import redact
    line = '"GET /shared/L34XPX7CAFSfoKFSRCm8LqwGpmPYgD-VD57j6K6Fqvw/ HTTP/1.1" 200'
    assert redact(line) == '"GET /shared/[redacted]/ HTTP/1.1" 200'


def test_marking_an_episode_sud_from_the_page_is_audited(alpha) -> None:
    from practice.disclosure.models import Part2Tag
    from practice.outcomes.models import Episode
    from tenants.audit.models import AuditEvent
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        episode = Episode.objects.create(client=alpha.client, clinician=alpha.clinician)
    owner = alpha.http(alpha.owner)
    assert owner.post("/disclosure/settings/", {"is_part2_program": "on"}).status_code == 302
    staff = alpha.http(alpha.clinician)
    page = staff.get(f"/disclosure/clients/{alpha.client.pk}/")
    assert b"Mark as SUD treatment" in page.content
    assert staff.post(f"/disclosure/clients/{alpha.client.pk}/part2/tags/",
                      {"kind": "episode", "object_id": episode.pk}).status_code == 302
    page = staff.get(f"/disclosure/clients/{alpha.client.pk}/")
    assert b"<strong>SUD treatment</strong>" in page.content
    with schema_context(alpha.practice.schema_name):
        tag = Part2Tag.objects.get()
        assert (tag.kind, tag.object_id, tag.tagged_by_id) == (
            "episode", episode.pk, alpha.clinician.pk)
        assert AuditEvent.objects.filter(action="disclosure.part_two_tagged").count() == 1
    assert staff.post(f"/disclosure/clients/{alpha.client.pk}/part2/tags/{tag.pk}/remove/"
                      ).status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert Part2Tag.objects.get().removed_at is not None
        assert AuditEvent.objects.filter(action="disclosure.part_two_untagged").count() == 1


def test_staff_pick_documents_and_messages_on_the_pages(alpha, beta, media_root) -> None:
    from tests.disclosure.helpers import give_documents, give_messages
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        give_documents(alpha)
        give_messages(alpha)
    staff = alpha.http(alpha.clinician)
    form = staff.get(f"/disclosure/clients/{alpha.client.pk}/releases/new/").content.decode()
    assert 'value="documents"' in form and 'value="messages"' in form
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()
    answer = staff.post(f"/disclosure/clients/{alpha.client.pk}/releases/new/", {
        "recipient_name": "Dr Priya Patel", "kinds": ["documents", "messages"],
        "purpose": "Continuity of care", "expires_on": expires})
    assert answer.status_code == 302
    with schema_context(alpha.practice.schema_name):
        release = Release.objects.get()
        assert release.kinds == ["documents", "messages"] and release.instrument_keys == []
        signed_release = signed(alpha, kinds=["documents", "messages"], instrument_keys=[])
    page = staff.get(f"/disclosure/clients/{alpha.client.pk}/releases/{signed_release.pk}/")
    select = re.search(rb'<select name="package_kind".*?</select>', page.content, re.S).group(0)
    offered = re.findall(rb'<option value="(\w+)"', select)
    assert offered == [b"documents", b"message_threads"]
    base = f"/disclosure/clients/{alpha.client.pk}/releases/{signed_release.pk}/send/"
    refused = staff.post(base, {"package_kind": "progress_report"})
    assert refused.status_code == 409
    assert b"The release does not cover: kinds: engagement, goals, scores." in refused.content
    today = timezone.localdate().isoformat()
    for kind in ("documents", "message_threads"):
        sent = staff.post(base, {"package_kind": kind, "covers_from": today})
        assert sent.status_code == 200 and b"<code data-code>" in sent.content
    with schema_context(alpha.practice.schema_name):
        rows = list(Disclosure.objects.order_by("pk").values_list("package_kind", flat=True))
        assert rows == ["documents", "message_threads"]
    with schema_context(beta.practice.schema_name):
        assert Disclosure.objects.count() == 0

"""Documents and message threads leave only as packages `disclose` builds: only what the
release's date range holds, files byte for byte with their hash in the index and manifest,
forms as their PDF, threads as a transcript; a release that does not name the kind refuses with
the reason; nothing of beta."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure import services
from practice.disclosure.models import Disclosure
from tenants.actor import Actor
from tests.disclosure.helpers import (
    DOCUMENT_CANARY,
    MESSAGE_CANARY,
    give_documents,
    give_messages,
    prepare,
    send,
    signed,
    unzip,
)
from tests.formbuilder.helpers import MARKER, pdf_text

BEFORE = datetime(2026, 2, 10, 12, tzinfo=UTC)
INSIDE = datetime(2026, 3, 10, 12, tzinfo=UTC)
AFTER = datetime(2026, 4, 15, 12, tzinfo=UTC)
RANGE = {"covers_from": date(2026, 3, 1), "covers_to": date(2026, 3, 31)}


def _open(delivered: services.Delivered) -> dict[str, bytes]:
    return unzip(services.link_open(token=delivered.token, code=delivered.code,
                                    now=timezone.now()).body)


def test_a_documents_package_holds_the_forms_and_files_of_the_range(
        clock, alpha, beta, media_root) -> None:
    clock.at(INSIDE)
    with schema_context(beta.practice.schema_name):
        prepare(beta)
        give_documents(beta)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        clock.at(BEFORE)
        old_document, old_form = give_documents(alpha)
        clock.at(INSIDE)
        document_id, form_id = give_documents(alpha)
        clock.at(AFTER)
        release = signed(alpha, kinds=["documents"], instrument_keys=[], **RANGE)
        files = _open(send(alpha, release, "documents"))
        assert sorted(files) == sorted([
            "documents-index.pdf", f"forms/form-{form_id}.pdf",
            f"files/{document_id}-referral.pdf", "release.pdf", "manifest.json"])
        assert DOCUMENT_CANARY.encode() in files[f"files/{document_id}-referral.pdf"]
        assert MARKER in pdf_text(files[f"forms/form-{form_id}.pdf"])
        manifest = json.loads(files["manifest.json"])
        assert manifest["kinds"] == ["documents"] and manifest["instruments"] == []
        assert {item["file"]: item["sha256"] for item in manifest["items"]} == {
            name: hashlib.sha256(files[name]).hexdigest()
            for name in (f"forms/form-{form_id}.pdf", f"files/{document_id}-referral.pdf")}
        index = " ".join(pdf_text(files["documents-index.pdf"]).split())
        assert "2 document(s)" in index and "42 CFR" not in index
        row = Disclosure.objects.get()
        assert (row.package_kind, row.description) == (
            "documents", "Documents (1 form, 1 file), 1 March 2026 to 31 March 2026")
        assert f"files/{old_document}-referral.pdf" not in files
        assert f"forms/form-{old_form}.pdf" not in files
    with schema_context(beta.practice.schema_name):
        assert Disclosure.objects.count() == 0


def test_a_message_package_holds_the_threads_of_the_range(clock, alpha) -> None:
    clock.at(AFTER)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        from practice.messaging.models import Message
        give_messages(alpha, at=BEFORE)
        Message.objects.filter(body__contains=MESSAGE_CANARY).update(body="OLD-THREAD")
        inside = give_messages(alpha, at=INSIDE)
        # A parent's thread about the client in the range: another person's words, never sent
        # under the client's release.
        from practice.family.models import ProxyLink, ProxyTier
        from practice.messaging.models import Conversation
        from tenants.accounts.models import Role, User
        parent = User.objects.create_user("parent-pkg@example.org", "x", full_name="Pat Parent",
                                          role=Role.PROXY)
        link = ProxyLink.objects.create(proxy=parent, client=alpha.client, relationship="mother",
                                        tier=ProxyTier.objects.first(), invited_by=alpha.clinician)
        family = Conversation.objects.create(client=alpha.client, proxy_link=link,
                                             subject="About school", started_by=parent,
                                             created_at=INSIDE, last_message_at=INSIDE)
        Message.objects.create(conversation=family, author=parent, from_client=True,
                               body="PARENT-THREAD-CANARY", created_at=INSIDE)
        release = signed(alpha, kinds=["messages"], instrument_keys=[], **RANGE)
        files = _open(send(alpha, release, "message_threads"))
        assert sorted(files) == ["manifest.json", "message-threads.pdf", "release.pdf"]
        text = " ".join(pdf_text(files["message-threads.pdf"]).split())
        assert MESSAGE_CANARY in text and "How did the week go?" in text
        assert "OLD-THREAD" not in text
        assert "PARENT-THREAD-CANARY" not in text
        assert [item["message"] for item in json.loads(files["manifest.json"])["items"]] == inside
        assert Disclosure.objects.get().description.startswith(
            "Message threads (1 thread, 2 messages)")


@pytest.mark.parametrize(("package_kind", "reason"), [
    ("documents", "The release does not cover: kinds: documents."),
    ("message_threads", "The release does not cover: kinds: messages."),
])
def test_a_release_that_does_not_name_the_kind_refuses_with_the_reason(
        alpha, package_kind, reason) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        give_messages(alpha)
        release = signed(alpha)  # scores and goals
        with pytest.raises(services.DisclosureRefused) as refused:
            send(alpha, release, package_kind)
        assert str(refused.value) == reason
        assert Disclosure.objects.count() == 0


def test_a_restriction_on_messages_stops_a_message_package(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        give_messages(alpha)
        release = signed(alpha, kinds=["messages", "scores"], instrument_keys=["phq9"])
        services.restriction_record(client_id=alpha.client.pk, recipient_match="Northside",
                                    kinds=["messages"], instrument_keys=[], note="",
                                    actor=Actor.of(alpha.clinician))
        with pytest.raises(services.DisclosureRefused, match="restrict"):
            send(alpha, release, "message_threads")
        assert send(alpha, release, "fhir_bundle").disclosure.package_kind == "fhir_bundle"


def test_the_records_checked_are_the_records_built_at_a_days_edge(clock, alpha) -> None:
    """The release's dates are the client's days (New York): a Part 2 message written at
    01:00 UTC on 1 March, still 28 February in New York, is outside a range from 1 March, so
    it is neither checked nor sent; one written later that day is both."""
    from practice.messaging.models import Message
    from practice.models import ClientProfile

    clock.at(AFTER)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        ClientProfile.objects.filter(user=alpha.client).update(timezone="America/New_York")
        edge = give_messages(alpha, at=datetime(2026, 3, 1, 1, tzinfo=UTC))
        Message.objects.filter(pk__in=edge).update(body="EDGE-OF-DAY")
        services.part2_setting_update(is_part2_program=True, actor=Actor.of(alpha.owner))
        for message_id in edge:
            services.part2_tag(client_id=alpha.client.pk, kind="message", object_id=message_id,
                               actor=Actor.of(alpha.clinician))
        release = signed(alpha, kinds=["messages"], instrument_keys=[], **RANGE)
        text = " ".join(pdf_text(_open(send(alpha, release, "message_threads"))[
            "message-threads.pdf"]).split())
        assert "EDGE-OF-DAY" not in text and "No messages in the period covered." in text
        assert Disclosure.objects.get().contains_part2 is False
        later = give_messages(alpha, at=datetime(2026, 3, 1, 6, tzinfo=UTC))
        services.part2_tag(client_id=alpha.client.pk, kind="message", object_id=later[0],
                           actor=Actor.of(alpha.clinician))
        with pytest.raises(services.DisclosureRefused, match="42 CFR part 2"):
            send(alpha, release, "message_threads")

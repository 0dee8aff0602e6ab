"""`disclose`: a signed release covering exactly what is sent; the package (progress report or
FHIR bundle) narrowed to the release; the ledger row; the single-use link and its code; a
release expired or revoked stops the next disclosure; restrictions honoured; nothing of beta."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure import policies, services
from practice.disclosure.models import Disclosure, DisclosureLink, Release
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.disclosure.helpers import draft, prepare, send, signed, unzip
from tests.formbuilder.helpers import pdf_text


def test_a_disclosure_sends_what_the_release_covers_once(alpha, beta) -> None:
    with schema_context(beta.practice.schema_name):
        prepare(beta)
        beta_release = signed(beta)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        delivered = send(alpha, release)
        row = Disclosure.objects.get()
        assert (row.recipient, row.purpose, row.channel, row.contains_part2) == (
            "Dr Priya Patel, Northside Psychiatry", "Medication review", "download_link", False)
        assert row.release_id == release.pk and row.client_id == alpha.client.pk
        assert row.description == "Client progress report"
        # The link opens once with the right code, and gives the package whose hash is ledgered.
        wrong = services.link_open(token=delivered.token, code="WRONG123", now=timezone.now())
        assert not wrong.ok and wrong.body == b""
        opened = services.link_open(token=delivered.token, code=delivered.code.lower(),
                                    now=timezone.now())
        assert opened.ok and opened.filename == "records.zip"
        import hashlib
        assert hashlib.sha256(opened.body).hexdigest() == row.package_sha256
        files = unzip(opened.body)
        assert sorted(files) == ["manifest.json", "progress-report.pdf", "release.pdf"]
        text = " ".join(pdf_text(files["progress-report.pdf"]).split())
        assert "PHQ-9" in text and "AUDIT" not in text  # phq9 only: AUDIT-C is not covered
        assert "42 CFR" not in text
        manifest = json.loads(files["manifest.json"])
        assert manifest["instruments"] == ["phq9"] and manifest["kinds"] == ["goals", "scores"]
        # Used: a second time reveals nothing, even with the right code.
        again = services.link_open(token=delivered.token, code=delivered.code,
                                   now=timezone.now())
        assert not again.ok
        assert DisclosureLink.objects.get().package == b""  # the bytes are gone
        actions = list(AuditEvent.objects.filter(action__startswith="disclosure.")
                       .order_by("pk").values_list("action", flat=True))
        assert actions == ["disclosure.made", "disclosure.code_refused",
                           "disclosure.downloaded", "disclosure.code_refused"]
    with schema_context(beta.practice.schema_name):
        assert Disclosure.objects.count() == 0
        assert Release.objects.get().pk == beta_release.pk


def test_the_fhir_bundle_holds_only_the_covered_instrument(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha, kinds=["scores"])
        delivered = send(alpha, release, "fhir_bundle")
        opened = services.link_open(token=delivered.token, code=delivered.code,
                                    now=timezone.now())
        bundle = json.loads(unzip(opened.body)["results.fhir.json"])
        answered = [entry["resource"] for entry in bundle["entry"]
                    if entry["resource"]["resourceType"] == "QuestionnaireResponse"]
        assert len(answered) == 3
        assert {item["questionnaire"].split("/")[-1].split("|")[0] for item in answered} == {
            "phq9"}
        assert "meta" not in bundle


def test_a_link_expired_or_with_too_many_wrong_codes_reveals_nothing(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        first = send(alpha, release)
        later = timezone.now() + policies.LINK_LIFETIME + timedelta(seconds=1)
        assert not services.link_open(token=first.token, code=first.code, now=later).ok
        second = send(alpha, release)
        for _ in range(policies.MAX_WRONG_CODES):
            assert not services.link_open(token=second.token, code="AAAAAAAA",
                                          now=timezone.now()).ok
        assert not services.link_open(token=second.token, code=second.code,
                                      now=timezone.now()).ok
        assert not services.link_open(token="not-a-token", code=second.code,
                                      now=timezone.now()).ok


def test_revoked_or_expired_release_stops_the_next_disclosure(alpha, clock) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        send(alpha, release)
        services.release_revoke(release_id=release.pk, actor=Actor.of(alpha.client))
        with pytest.raises(services.DisclosureRefused, match="revoked"):
            send(alpha, release)
        short = signed(alpha, expires_on=timezone.localdate() + timedelta(days=2))
        send(alpha, short)
        clock.shift(timedelta(days=3))
        with pytest.raises(services.DisclosureRefused, match="expired"):
            send(alpha, short)
        unsigned = draft(alpha)
        with pytest.raises(services.DisclosureRefused, match="not signed"):
            send(alpha, unsigned)
        assert Disclosure.objects.count() == 2  # the two made before


def test_a_request_beyond_the_release_is_refused(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha, kinds=["scores"])
        wider = policies.Scope(kinds=frozenset({"scores"}),
                               instrument_keys=frozenset({"phq9", "auditc"}))
        with pytest.raises(services.DisclosureRefused, match="instruments: auditc"):
            send(alpha, release, scope=wider)
        goals = policies.Scope(kinds=frozenset({"scores", "goals"}),
                               instrument_keys=frozenset({"phq9"}))
        with pytest.raises(services.DisclosureRefused, match="kinds: goals"):
            send(alpha, release, scope=goals)
        assert Disclosure.objects.count() == 0


def test_restrictions_are_honoured(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        services.restriction_record(client_id=alpha.client.pk, recipient_match="northside",
                                    kinds=["goals"], instrument_keys=[], note="",
                                    actor=Actor.of(alpha.clinician))
        with pytest.raises(services.DisclosureRefused, match="restrict"):
            send(alpha, release)
        # Scores alone (the FHIR bundle carries no goals) are not restricted.
        send(alpha, release, "fhir_bundle")
        elsewhere = signed(alpha, recipient_name="Dr Gil", recipient_organisation="Town GP")
        send(alpha, elsewhere)
        assert Disclosure.objects.count() == 2


def test_the_ledger_cannot_be_changed_or_deleted(alpha) -> None:
    from django.db import ProgrammingError, transaction
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        send(alpha, signed(alpha))
        row = Disclosure.objects.get()
        refused = "Cannot {} rows from disclosure_{}"
        with pytest.raises(ProgrammingError, match=refused.format("update", "disclosure")), \
                transaction.atomic():
            Disclosure.objects.filter(pk=row.pk).update(purpose="Something else")
        with pytest.raises(ProgrammingError, match=refused.format("delete", "disclosure")), \
                transaction.atomic(), connection.cursor() as cursor:
            # As SQL: Django's own PROTECT of the link would refuse before the database.
            cursor.execute("DELETE FROM disclosure_disclosure WHERE id = %s", [row.pk])
        with pytest.raises(ProgrammingError, match=refused.format("update", "release")), \
                transaction.atomic():
            Release.objects.filter(pk=row.release_id).update(purpose="Anything")
        assert Disclosure.objects.get().purpose == "Medication review"
    connection.set_schema_to_public()


def test_only_the_client_signs_and_staff_out_of_reach_cannot_send(alpha) -> None:
    from practice.disclosure import selectors
    from tenants.accounts.models import User
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = draft(alpha)
        for person in (alpha.clinician, alpha.owner, alpha.front_desk):
            assert not selectors.may_sign_release(release, person)
        assert selectors.may_sign_release(release, alpha.client)
        signed_release = services.release_sign(release_id=release.pk, typed_name="Chris Client",
                                                consent=True, actor=Actor.of(alpha.client))
        assert len(signed_release.content_sha256) == 64
        for person in (alpha.front_desk, alpha.billing):
            with pytest.raises(PermissionError):
                services.disclose(release_id=release.pk, package_kind="progress_report",
                                  actor=Actor.of(person), context=None)  # type: ignore[arg-type]
        other = User.objects.create_user("c2@example.org", "x" * 12, full_name="Other Clinician",
                                         role="clinician")
        with pytest.raises(Release.DoesNotExist):
            services.disclose(release_id=release.pk, package_kind="progress_report",
                              actor=Actor.of(other), context=None)  # type: ignore[arg-type]
        assert Disclosure.objects.count() == 0


def test_the_hourly_job_drops_the_bytes_of_packages_whose_link_expired_unused(alpha) -> None:
    from config.scheduler import JOBS
    from practice.disclosure.tasks import disclosure_links_purge

    assert any(job.actor_name == "disclosure_links_purge" and job.per_practice for job in JOBS)
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        expired, live = send(alpha, release), send(alpha, release)
        DisclosureLink.objects.filter(disclosure_id=expired.disclosure.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1))
        disclosure_links_purge.fn()
        by_disclosure = dict(DisclosureLink.objects.values_list("disclosure_id", "package"))
        assert bytes(by_disclosure[expired.disclosure.pk]) == b""
        assert len(bytes(by_disclosure[live.disclosure.pk])) > 0
        # The ledger keeps what was sent.
        assert Disclosure.objects.get(pk=expired.disclosure.pk).package_sha256
    connection.set_schema_to_public()

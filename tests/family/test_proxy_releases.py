"""A proxy signs and revokes a young client's release of information (issue 16): only through a
link in force whose effective tier holds "releases", only while the client is below the
practice's age of self-consent, never a 42 CFR Part 2 consent (2.14: the minor's own). Signed
with the client's e-signature, wording, seal and audit, and recorded as a representative's
signature with the relationship. Every refusal is the same 404 with nothing changed; the
look-alike practice is never touched."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure import selectors as disclosure_selectors
from practice.disclosure import services as disclosure_services
from practice.disclosure.models import Release
from practice.family import policies
from practice.family.models import ClientAgeFacts, FamilySettings, ProxyLink, ProxyTier
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.disclosure.helpers import draft, prepare, send, unzip
from tests.family.helpers import proxy_linked
from tests.formbuilder.helpers import pdf_text

AGE = 14
BELOW, AT, ABOVE = date(2013, 6, 18), date(2012, 6, 17), date(2009, 1, 5)  # clock: 17 Jun 2026
NONCE = re.compile(rb'(nonce|value)="[^"]*"')
PART2 = {"is_part2_consent": True, "discloser": "Alpha Therapy SUD program",
         "information_description": "AUDIT-C scores from January 2026",
         "kinds": ["scores"], "instrument_keys": ["auditc"]}


@dataclass
class World:
    parent: User
    awaiting: Release
    signed: Release
    part2: Release
    beta_release: int
    beta_client: int


def _state(release_id: int) -> tuple:
    row = Release.objects.get(pk=release_id)
    return (row.status, row.signer_id, row.signed_at, row.content_sha256, row.revoked_at,
            row.signed_as_representative, row.signer_relationship)


@pytest.fixture
def world(clock, alpha: PracticeWorld, beta: PracticeWorld) -> World:
    with schema_context(beta.practice.schema_name):
        # A look-alike family in another practice, with ids alpha does not have.
        for number in range(12):
            beta_client = _young_client(beta, f"beta.kid{number}@example.org")
        proxy_linked(beta_client, email="parent@example.org", tier_key="full",
                     relationship="mother")
        FamilySettings.objects.create(self_consent_age=AGE)
        for _number in range(5):
            beta_release = _release_for(beta, beta_client, recipient_name="Dr Beta Lookalike")
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        FamilySettings.objects.create(self_consent_age=AGE)
        ClientAgeFacts.objects.create(client=alpha.client, birth_date=BELOW)
        parent = proxy_linked(alpha.client, email="parent@example.org", tier_key="full",
                              relationship="mother")
        awaiting = draft(alpha)
        signed = draft(alpha, recipient_name="Dr Sam Signed")
        signed = disclosure_services.release_sign(release_id=signed.pk, typed_name="Chris Client",
                                                  consent=True, actor=Actor.of(alpha.client))
        part2 = draft(alpha, recipient_name="Dr Part Two", **PART2)
    connection.set_schema_to_public()
    assert beta_client.pk > alpha.client.pk and beta_release.pk > part2.pk
    return World(parent, awaiting, signed, part2, beta_release.pk, beta_client.pk)


def _young_client(world: PracticeWorld, email: str) -> User:
    client = User.objects.create_user(email, PASSWORD, full_name="Olly Other", role=Role.CLIENT)
    ClientProfile.objects.get_or_create(user=client)[0].clinicians.add(world.clinician)
    ClientAgeFacts.objects.create(client=client, birth_date=BELOW)
    return client


def _release_for(world: PracticeWorld, client: User, **overrides) -> Release:
    values = {"recipient_name": "Dr Other", "purpose": "Medication review",
              "kinds": ["scores"], "instrument_keys": ["phq9"],
              "expires_on": date(2026, 12, 31), **overrides}
    return disclosure_services.release_create(
        client_id=client.pk, draft=disclosure_services.ReleaseDraft(**values),
        practice_name=world.practice.name, actor=Actor.of(world.clinician))


def test_only_the_full_default_tier_signs_releases(world, alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        holding = sorted(tier.key for tier in ProxyTier.objects.all() if "releases" in tier.kinds)
    assert holding == ["full"]
    assert [tier.key for tier in policies.DEFAULT_TIERS if "releases" in tier.kinds] == ["full"]
    assert "releases" not in policies.GRANTABLE


def test_a_proxy_in_a_tier_with_releases_signs_for_the_young_client(world, alpha, beta) -> None:
    http = alpha.http(world.parent)
    client_id = alpha.client.pk
    listing = http.get(f"/family/{client_id}/releases/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f"/family/{client_id}/releases/{world.awaiting.pk}/" in body
    assert "Dr Part Two" not in body  # a Part 2 consent is not even shown
    assert "never signed by a family member" in body
    page = http.get(f"/family/{client_id}/releases/{world.awaiting.pk}/")
    assert page.status_code == 200 and b"as their mother" in page.content
    refused = http.post(f"/family/{client_id}/releases/{world.awaiting.pk}/",
                        {"typed_name": "Pat Parent"})
    assert refused.status_code == 400 and b"Tick the box" in refused.content
    answer = http.post(f"/family/{client_id}/releases/{world.awaiting.pk}/",
                       {"typed_name": "Pat Parent", "consent": "on"})
    assert answer.status_code == 302
    assert answer["Location"] == f"/family/{client_id}/releases/"
    with schema_context(alpha.practice.schema_name):
        release = Release.objects.select_related("client").get(pk=world.awaiting.pk)
        assert release.status == "signed" and release.signer_id == world.parent.pk
        assert release.signed_name == "Pat Parent"
        assert release.signed_as_representative is True
        assert release.signer_relationship == "mother"
        assert len(release.content_sha256) == 64 and release.signature_consent_text
        assert disclosure_selectors.signature_words(release) == (
            "Pat Parent (mother) for Chris Client")
        events = list(AuditEvent.objects.filter(action="release.signed",
                                                object_id=str(release.pk)).values_list(
            "actor_id", "detail"))
        # The client's own earlier signature of another release is its own row.
        assert [(actor, detail["representative"]) for actor, detail in events] == [
            (world.parent.pk, True)]
        # The signed terms are frozen, the representative's fields with them.
        with pytest.raises(Exception, match="release_terms_frozen_once_signed"), \
                transaction.atomic():
            Release.objects.filter(pk=release.pk).update(signer_relationship="aunt")
    connection.set_schema_to_public()
    staff_page = alpha.http(alpha.clinician).get(
        f"/disclosure/clients/{client_id}/releases/{world.awaiting.pk}/")
    assert b"Pat Parent (mother) for Chris Client" in staff_page.content
    with schema_context(beta.practice.schema_name):
        assert _state(world.beta_release)[0] == "awaiting"


def test_the_proxy_revokes_on_the_page_and_through_the_api(world, alpha) -> None:
    http = alpha.http(world.parent)
    client_id = alpha.client.pk
    answer = http.post(f"/family/{client_id}/releases/{world.signed.pk}/revoke/")
    assert answer.status_code == 302
    api = http.post(f"/api/v1/family/releases/{world.awaiting.pk}/revoke")
    assert api.status_code == 200 and api.json() == {"id": world.awaiting.pk,
                                                     "status": "withdrawn"}
    with schema_context(alpha.practice.schema_name):
        assert [(row.status, row.revoked_by_id) for row in Release.objects.filter(
            pk__in=[world.signed.pk, world.awaiting.pk]).order_by("pk")] == [
            ("withdrawn", world.parent.pk), ("revoked", world.parent.pk)]
        assert sorted(AuditEvent.objects.filter(actor_id=world.parent.pk, action__in=[
            "release.revoked", "release.withdrawn"]).values_list(
            "action", flat=True)) == ["release.revoked", "release.withdrawn"]


def _break(case: str, world: World, alpha: PracticeWorld) -> int:
    """Make the proxy's position one that may not sign; returns the client id to ask for."""
    link = ProxyLink.objects.filter(proxy=world.parent, client=alpha.client)
    if case == "tier_lacks_releases":
        link.update(tier=ProxyTier.objects.get(key="progress"))
    elif case == "staff_removed_releases":
        link.update(kinds_removed=["releases"])
    elif case == "revoked_link":
        link.update(revoked_at=alpha.client.date_joined)
    elif case in ("client_at_age", "client_above_age"):
        ClientAgeFacts.objects.filter(client=alpha.client).update(
            birth_date=AT if case == "client_at_age" else ABOVE)
        # Even a grant of the client's cannot hand the signature back.
        link.update(kinds_granted=["appointments", "releases"])
    elif case == "other_family":
        other = _young_client(alpha, "other.kid@example.org")
        proxy_linked(other, email="someone.else@example.org", tier_key="full")
        return other.pk
    return alpha.client.pk


CASES = ["tier_lacks_releases", "staff_removed_releases", "revoked_link", "client_at_age",
         "client_above_age", "other_family", "other_practice"]


@pytest.mark.parametrize("case", CASES)
def test_everyone_else_gets_the_same_404_and_nothing_changes(case, world, alpha, beta) -> None:
    http = alpha.http(world.parent)
    missing = NONCE.sub(b"", http.get(f"/family/{alpha.client.pk}/releases/999999/").content)
    if case == "other_practice":
        client_id, ids, schema = world.beta_client, [world.beta_release], beta.practice.schema_name
    else:
        with schema_context(alpha.practice.schema_name):
            client_id = _break(case, world, alpha)
            if case == "other_family":
                ids = [_release_for(alpha, User.objects.get(pk=client_id)).pk]
        connection.set_schema_to_public()
        if case != "other_family":
            ids = [world.awaiting.pk, world.signed.pk]
        schema = alpha.practice.schema_name
    with schema_context(schema):
        before = {pk: _state(pk) for pk in ids}
    connection.set_schema_to_public()
    answers = [http.get(f"/family/{client_id}/releases/")]
    for pk in ids:
        answers += [
            http.get(f"/family/{client_id}/releases/{pk}/"),
            http.post(f"/family/{client_id}/releases/{pk}/",
                      {"typed_name": "Pat Parent", "consent": "on"}),
            http.post(f"/family/{client_id}/releases/{pk}/revoke/"),
            http.post(f"/api/v1/family/releases/{pk}/revoke"),
        ]
        if case == "other_family":  # the proxy's own client id with another's release
            answers.append(http.post(f"/family/{alpha.client.pk}/releases/{pk}/",
                                     {"typed_name": "Pat Parent", "consent": "on"}))
    assert [answer.status_code for answer in answers] == [404] * len(answers)
    pages = {NONCE.sub(b"", answer.content) for answer in answers
             if not answer.request["PATH_INFO"].startswith("/api/")}
    assert pages == {missing}
    with schema_context(schema):
        assert {pk: _state(pk) for pk in ids} == before
        assert AuditEvent.objects.filter(actor_id=world.parent.pk,
                                         action__startswith="release.").count() == 0


def test_a_part2_consent_is_never_the_proxys(world, alpha) -> None:
    http = alpha.http(world.parent)
    client_id = alpha.client.pk
    # Not shown, not signable, not revocable: as missing (2.14(c)(2): its existence alone
    # would tell the parent of the minor's treatment).
    answers = [http.get(f"/family/{client_id}/releases/{world.part2.pk}/"),
               http.post(f"/family/{client_id}/releases/{world.part2.pk}/",
                         {"typed_name": "Pat Parent", "consent": "on"}),
               http.post(f"/family/{client_id}/releases/{world.part2.pk}/revoke/"),
               http.post(f"/api/v1/family/releases/{world.part2.pk}/revoke")]
    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    with schema_context(alpha.practice.schema_name):
        before = _state(world.part2.pk)
        # The service itself refuses, with the reason, whatever calls it.
        with pytest.raises(disclosure_services.DisclosureError,
                           match="only be signed or revoked by the person themself"):
            disclosure_services.release_sign_for_client(
                client_id=client_id, release_id=world.part2.pk,
                signing=disclosure_services.Signing("Pat Parent", True),
                actor=Actor.of(world.parent, practice=alpha.practice))
        with pytest.raises(disclosure_services.DisclosureError, match="never by a family"):
            disclosure_services.release_revoke_for_client(
                client_id=client_id, release_id=world.part2.pk,
                actor=Actor.of(world.parent, practice=alpha.practice))
        assert _state(world.part2.pk) == before
    connection.set_schema_to_public()
    # The client signs it themself, as before.
    portal = alpha.http(alpha.client)
    assert portal.post(f"/portal/disclosures/{world.part2.pk}/sign/",
                       {"typed_name": "Chris Client", "consent": "on"}).status_code == 302
    with schema_context(alpha.practice.schema_name):
        row = Release.objects.get(pk=world.part2.pk)
        assert (row.status, row.signer_id, row.signed_as_representative) == (
            "signed", alpha.client.pk, False)


def test_what_is_sent_under_it_says_who_signed(world, alpha) -> None:
    client_id = alpha.client.pk
    http = alpha.http(world.parent)
    assert http.post(f"/family/{client_id}/releases/{world.awaiting.pk}/",
                     {"typed_name": "Pat Parent", "consent": "on"}).status_code == 302
    words = "Pat Parent (mother) for Chris Client"
    with schema_context(alpha.practice.schema_name):
        release = Release.objects.get(pk=world.awaiting.pk)
        delivered = send(alpha, release)
        files = unzip(disclosure_services.link_open(token=delivered.token, code=delivered.code,
                                                    now=timezone.now()).body)
        release_text = " ".join(pdf_text(files["release.pdf"]).split())
        assert f"Signed by {words}" in release_text
        assert release.content_sha256 in release_text.replace(" ", "")  # wrapped
    connection.set_schema_to_public()
    staff = alpha.http(alpha.clinician)
    pdf = staff.get(f"/disclosure/clients/{client_id}/accounting/?format=pdf")
    assert f"release signed by {words}" in " ".join(pdf_text(pdf.content).split())
    page = alpha.http(alpha.client).get("/portal/disclosures/accounting/")
    assert f"release signed by {words}" in page.content.decode()
    # The client's own signature reads as before.
    with schema_context(alpha.practice.schema_name):
        own = Release.objects.select_related("client").get(pk=world.signed.pk)
        assert disclosure_selectors.signature_words(own) == "Chris Client"

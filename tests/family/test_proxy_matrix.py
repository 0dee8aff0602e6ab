"""The proxy matrix: tiers x record kinds x the client's age (below, at and above the practice's
age of self-consent) x whose record (the proxy's own client, a sibling linked in another tier,
another family's client, a client of another practice), on pages and on the API. Exactly the
cells the rules allow answer 200; every other cell answers the same 404.

The expected cells are written out here from the rules (not computed by practice.family), so a
change in the code that shows more or less fails this test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.http import HttpResponse
from django.test import Client
from django_tenants.utils import schema_context

from practice.care.models import JournalEntry
from practice.disclosure import services as disclosure_services
from practice.disclosure.models import Release
from practice.family import services
from practice.family.instruments import PARENT_REPORT
from practice.family.models import ClientAgeFacts, FamilySettings, ProxyLink, ProxyTier
from practice.measurement import services as measurement_services
from practice.measurement.models import PracticeInstrument
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.features import MODULE_KEYS, MessagingPolicyKind
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

AGE = 14  # the practice's setting in this test (the code has no built-in age)
TODAY = date(2026, 6, 17)  # clock.DEFAULT
BIRTH = {"below": date(2013, 6, 18),  # 13, turning 14 tomorrow
         "at": date(2012, 6, 17),  # 14 today
         "above": date(2009, 1, 5)}  # 17
KINDS = ["appointments", "forms", "invoices", "messages", "progress", "goals", "homework",
         "documents", "resources", "safety_plan", "releases", "journal", "mood", "self_report",
         "client_messages"]
LOGISTICS = {"appointments", "forms", "invoices", "messages"}
TIERS = {"logistics": LOGISTICS,
         "progress": LOGISTICS | {"progress", "goals"},
         "full": LOGISTICS | {"progress", "goals", "homework", "documents", "resources",
                              "safety_plan", "releases"}}
# What the teen granted the parent: from the age on, that and nothing else is shown, except
# releases: from the age on only the teen signs, whatever they grant.
GRANTED = ["appointments", "journal", "releases"]
# What changes on every response (the CSP nonce, the CSRF token), not with what was asked.
NONCE = re.compile(rb'(nonce|value)="[^"]*"')
RELATIONS = ["own", "sibling", "other_family", "other_practice"]


def expected_questionnaire(relation: str) -> bool:
    """A caregiver questionnaire is the proxy's own report on a link in force: whatever the
    tier or the age."""
    return relation in ("own", "sibling")


def expected(tier: str, age: str, kind: str, relation: str) -> bool:
    if relation == "own" and kind == "releases" and age != "below":
        return False
    if relation == "own":
        return kind in (TIERS[tier] if age == "below" else set(GRANTED))
    if relation == "sibling":  # a young sibling, linked in the logistics tier
        return kind in LOGISTICS
    return False


@dataclass
class Family:
    http: Client
    teen: User
    sibling: User
    other_child: User
    foreign_id: int
    # A daily caregiver questionnaire on each link (the foreign one: beta's id).
    assignments: dict[str, int]
    # A release awaiting a signature for each client (the foreign one: beta's id).
    releases: dict[str, int]


@pytest.fixture
def family(clock, alpha: PracticeWorld, beta: PracticeWorld) -> Family:
    alpha.practice.enabled_modules = list(MODULE_KEYS)
    # Proxies may start a conversation: every allowed message POST answers.
    alpha.practice.messaging_policy = MessagingPolicyKind.ALL
    alpha.practice.save(update_fields=["enabled_modules", "messaging_policy"])
    with schema_context(beta.practice.schema_name):
        # A client of another practice, with an id alpha does not have.
        for number in range(12):
            foreign = User.objects.create_user(f"beta.kid{number}@example.org", PASSWORD,
                                               full_name="Beta Kid", role=Role.CLIENT)
        proxy_linked(foreign, email="parent@example.org", tier_key="full")
        foreign_assignment = _assign(beta, ProxyLink.objects.get(client=foreign))
        # A release id alpha does not have (the API's revoke route names no client).
        foreign_release = [_release(beta, foreign) for _number in range(5)][-1]
    with schema_context(alpha.practice.schema_name):
        FamilySettings.objects.create(self_consent_age=AGE)
        teen = alpha.client
        sibling = User.objects.create_user("sib@example.org", PASSWORD, full_name="Sam Sibling",
                                           role=Role.CLIENT)
        other_child = User.objects.create_user("other.kid@example.org", PASSWORD,
                                               full_name="Olly Other", role=Role.CLIENT)
        for person in (teen, sibling, other_child):
            ClientProfile.objects.get_or_create(user=person)
        ClientAgeFacts.objects.create(client=sibling, birth_date=date(2018, 3, 1))
        ClientAgeFacts.objects.create(client=other_child, birth_date=date(2018, 3, 1))
        parent = proxy_linked(teen, email="parent@example.org", tier_key="full")
        proxy_linked(sibling, email="", tier_key="logistics", proxy=parent)
        proxy_linked(other_child, email="someone.else@example.org", tier_key="full")
        ProxyLink.objects.filter(proxy=parent, client=teen).update(kinds_granted=GRANTED)
        JournalEntry.objects.create(client=teen, body="a journal entry")
        assert foreign.pk not in set(User.objects.values_list("pk", flat=True))
        assignments = {relation: _assign(alpha, ProxyLink.objects.get(client=person))
                       for relation, person in (("own", teen), ("sibling", sibling),
                                                ("other_family", other_child))}
        releases = {relation: _release(alpha, person)
                    for relation, person in (("own", teen), ("sibling", sibling),
                                             ("other_family", other_child))}
    assignments["other_practice"] = foreign_assignment
    assert foreign_release > max(releases.values())
    releases["other_practice"] = foreign_release
    return Family(alpha.http(parent), teen, sibling, other_child, foreign.pk, assignments,
                  releases)


def _release(world: PracticeWorld, client: User) -> int:
    """A release awaiting a signature (the client on the clinician's caseload: _assign)."""
    return disclosure_services.release_create(
        client_id=client.pk, draft=disclosure_services.ReleaseDraft(
            recipient_name="Dr Priya Patel", purpose="Medication review", kinds=["scores"],
            instrument_keys=["phq9"], expires_on=date(2026, 12, 31)),
        practice_name=world.practice.name, actor=Actor.of(world.clinician)).pk


def _release_reset(alpha: PracticeWorld, release_id: int) -> None:
    """An allowed revoke withdrew the release (not yet signed): back to awaiting."""
    with schema_context(alpha.practice.schema_name):
        Release.objects.filter(pk=release_id, status="withdrawn").update(
            status="awaiting", revoked_at=None, revoked_by=None)


def _assign(world: PracticeWorld, link: ProxyLink) -> int:
    clinician = world.clinician
    ClientProfile.objects.get_or_create(user=link.client)[0].clinicians.add(clinician)
    if not PracticeInstrument.objects.filter(key=PARENT_REPORT["key"]).exists():
        measurement_services.practice_instrument_save(data=PARENT_REPORT, actor=Actor.of(clinician))
        measurement_services.practice_instrument_publish(key=PARENT_REPORT["key"],
                                                         actor=Actor.of(clinician))
    return services.caregiver_assign(
        link_id=link.pk, instrument_key=PARENT_REPORT["key"], compare_with="",
        actor=Actor.of(clinician), plan=services.CaregiverSchedule(frequency="daily")).pk


def _set(alpha: PracticeWorld, family: Family, tier: str, age: str) -> None:
    with schema_context(alpha.practice.schema_name):
        ProxyLink.objects.filter(client=family.teen).exclude(
            proxy__email="someone.else@example.org").update(
            tier=ProxyTier.objects.get(key=tier))
        ClientAgeFacts.objects.update_or_create(client=family.teen,
                                                defaults={"birth_date": BIRTH[age]})


def test_exactly_the_allowed_cells_answer(clock, alpha, family) -> None:
    clients = {"own": family.teen.pk, "sibling": family.sibling.pk,
               "other_family": family.other_child.pk, "other_practice": family.foreign_id}
    cells = allows = denies = 0
    unexpected: list[str] = []
    denial_bodies: set[bytes] = set()
    def cell(allowed: bool, response: HttpResponse, where: str, answers: int = 200) -> None:
        nonlocal cells, allows, denies
        cells += 1
        if allowed:
            allows += 1
        else:
            denies += 1
            denial_bodies.add(NONCE.sub(b"", response.content))
        if response.status_code != (answers if allowed else 404):
            unexpected.append(f"{where}: {response.status_code}")

    http = family.http
    for tier in TIERS:
        for age in BIRTH:
            _set(alpha, family, tier, age)
            for relation, client_id in clients.items():
                for kind in KINDS:
                    allowed = expected(tier, age, kind, relation)
                    where = f"{tier} {age} {kind} {relation}"
                    cell(allowed, http.get(f"/family/{client_id}/{kind}/"), f"{where} page")
                    cell(allowed, http.get(f"/api/v1/family/clients/{client_id}/{kind}"),
                         f"{where} api")
                # Writing in the proxy's own conversation, and reading it, on both surfaces.
                allowed = expected(tier, age, "messages", relation)
                where = f"{tier} {age} messages {relation}"
                cell(allowed, http.post(f"/family/{client_id}/messages/", {"body": "Hi"}),
                     f"{where} page post", 302)
                cell(allowed, http.post(f"/api/v1/family/clients/{client_id}/messages",
                                        {"body": "Hi"}), f"{where} api post", 201)
                cell(allowed, http.post(f"/api/v1/family/clients/{client_id}/messages/read"),
                     f"{where} api read")
                # What is due for the proxy to fill in, and the questionnaire itself.
                allowed = expected_questionnaire(relation)
                where = f"{tier} {age} questionnaires {relation}"
                cell(allowed, http.get(f"/api/v1/family/clients/{client_id}/questionnaires"),
                     f"{where} api")
                assignment = family.assignments[relation]
                cell(allowed, http.get(f"/family/{client_id}/questionnaires/{assignment}/"),
                     f"{where} page")
                cell(allowed, http.get(
                    f"/api/v1/family/clients/{client_id}/questionnaires/{assignment}"),
                    f"{where} api questionnaire")
                # A release to sign for the client (the page) and to revoke (page and API).
                allowed = expected(tier, age, "releases", relation)
                where = f"{tier} {age} release {relation}"
                release = family.releases[relation]
                cell(allowed, http.get(f"/family/{client_id}/releases/{release}/"),
                     f"{where} sign page")
                cell(allowed, http.post(f"/family/{client_id}/releases/{release}/revoke/"),
                     f"{where} page revoke", 302)
                if allowed:
                    _release_reset(alpha, release)
                cell(allowed, http.post(
                    f"/api/v1/family/releases/{release}/revoke"),
                    f"{where} api revoke")
                if allowed:
                    _release_reset(alpha, release)
    print(f"\nproxy matrix: cells={cells} allows={allows} denies={denies} "
          f"unexpected={len(unexpected)}")
    assert unexpected == []
    assert (cells, allows, denies) == (1404, 231, 1173)
    # The same 404 whatever was refused (one page body, one API body): nothing tells "not
    # allowed" from "not there".
    assert len(denial_bodies) == 2


def test_the_overview_and_the_switcher_name_whose_record(clock, alpha, family) -> None:
    _set(alpha, family, "progress", "below")
    body = family.http.get(f"/family/{family.teen.pk}/").content.decode()
    assert "You are viewing Chris Client's record" in body
    assert f'href="/family/{family.sibling.pk}/"' in body  # the switcher
    assert f'/family/{family.other_child.pk}/' not in body
    assert family.http.get(f"/family/{family.other_child.pk}/").status_code == 404
    listing = family.http.get("/api/v1/family/clients").json()
    assert sorted(row["client_id"] for row in listing) == sorted(
        [family.teen.pk, family.sibling.pk])

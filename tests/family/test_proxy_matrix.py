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
from django.test import Client
from django_tenants.utils import schema_context

from practice.care.models import JournalEntry
from practice.family.models import ClientAgeFacts, FamilySettings, ProxyLink, ProxyTier
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.features import MODULE_KEYS
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

AGE = 14  # the practice's setting in this test (the code has no built-in age)
TODAY = date(2026, 6, 17)  # clock.DEFAULT
BIRTH = {"below": date(2013, 6, 18),  # 13, turning 14 tomorrow
         "at": date(2012, 6, 17),  # 14 today
         "above": date(2009, 1, 5)}  # 17
KINDS = ["appointments", "forms", "invoices", "messages", "progress", "goals", "homework",
         "documents", "resources", "safety_plan", "journal", "mood", "self_report",
         "client_messages"]
LOGISTICS = {"appointments", "forms", "invoices", "messages"}
TIERS = {"logistics": LOGISTICS,
         "progress": LOGISTICS | {"progress", "goals"},
         "full": LOGISTICS | {"progress", "goals", "homework", "documents", "resources",
                              "safety_plan"}}
# What the teen granted the parent: from the age on, that and nothing else is shown.
GRANTED = ["appointments", "journal"]
# What changes on every response (the CSP nonce, the CSRF token), not with what was asked.
NONCE = re.compile(rb'(nonce|value)="[^"]*"')
RELATIONS = ["own", "sibling", "other_family", "other_practice"]


def expected(tier: str, age: str, kind: str, relation: str) -> bool:
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


@pytest.fixture
def family(clock, alpha: PracticeWorld, beta: PracticeWorld) -> Family:
    alpha.practice.enabled_modules = list(MODULE_KEYS)
    alpha.practice.save(update_fields=["enabled_modules"])
    with schema_context(beta.practice.schema_name):
        # A client of another practice, with an id alpha does not have.
        for number in range(12):
            foreign = User.objects.create_user(f"beta.kid{number}@example.org", PASSWORD,
                                               full_name="Beta Kid", role=Role.CLIENT)
        proxy_linked(foreign, email="parent@example.org", tier_key="full")
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
    return Family(alpha.http(parent), teen, sibling, other_child, foreign.pk)


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
    for tier in TIERS:
        for age in BIRTH:
            _set(alpha, family, tier, age)
            for kind in KINDS:
                for relation, client_id in clients.items():
                    allowed = expected(tier, age, kind, relation)
                    for surface, url in (("page", f"/family/{client_id}/{kind}/"),
                                         ("api", f"/api/v1/family/clients/{client_id}/{kind}")):
                        response = family.http.get(url)
                        cells += 1
                        if allowed:
                            allows += 1
                        else:
                            denies += 1
                            denial_bodies.add(NONCE.sub(b"", response.content))
                        if response.status_code != (200 if allowed else 404):
                            unexpected.append(f"{tier} {age} {kind} {relation} {surface}: "
                                              f"{response.status_code}")
    print(f"\nproxy matrix: cells={cells} allows={allows} denies={denies} "
          f"unexpected={len(unexpected)}")
    assert unexpected == []
    assert (cells, allows, denies) == (1008, 136, 872)
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

"""Staff seats and active clients: exactly the plan's number fits, one more is refused with a
message naming the limit and the way up (/billing/), and nothing that exists is ever removed.
A practice on its trial gets the largest plan; another practice's plan is its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import entitlements
from billing.entitlements import (
    EntitlementError,
    entitlement_check_new_client,
    entitlement_check_new_staff,
    entitlements_for,
)
from billing.plans import PLANS, plan
from practice import services
from practice.models import StaffInvitation
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-77"
GROUP_SEATS_FULL = (
    "Your Group plan includes 10 staff seats and 10 are taken (including 6 open invitations). "
    "Upgrade the plan on the billing page (/billing/), or remove someone's access or revoke an "
    "invitation first. Nobody's access was changed."
)


def on_plan(world: PracticeWorld, plan_key: str) -> Practice:
    Practice.objects.filter(pk=world.practice.pk).update(plan_key=plan_key)
    world.practice.refresh_from_db()
    return world.practice


def add_people(world: PracticeWorld, role: str, count: int, *, is_active: bool = True) -> None:
    """Accounts made in bulk (no password hashing: these never sign in)."""
    with schema_context(world.practice.schema_name):
        start = User.objects.count()
        User.objects.bulk_create([
            User(email=f"{role}{start + n}@bulk.example.org", full_name=f"Bulk {n}", role=role,
                 is_active=is_active, password="!")
            for n in range(count)
        ])


def invite(world: PracticeWorld, email: str) -> StaffInvitation:
    with schema_context(world.practice.schema_name):
        return services.staff_invite(email=email,
                                     full_name="New Colleague", role=Role.CLINICIAN,
                                     actor=Actor.of(world.owner, practice=world.practice))


def people(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return list(User.objects.order_by("pk").values_list("pk", "email", "role", "is_active"))


def open_invitations(world: PracticeWorld) -> list[str]:
    with schema_context(world.practice.schema_name):
        return sorted(i.email for i in StaffInvitation.objects.all() if i.is_open)


# --- the catalogue as entitlements ----------------------------------------------------------

def test_a_trial_gets_the_largest_plan(alpha: PracticeWorld) -> None:
    largest = entitlements_for(alpha.practice)
    assert alpha.practice.plan_key == ""
    assert largest.is_trial is True
    assert largest.plan == plan("program")
    assert largest.seats == max(p.seats for p in PLANS) == 50
    assert largest.active_clients == max(p.active_clients for p in PLANS) == 2000
    assert largest.practice_instruments is True
    assert largest.label == "Your trial"


def test_a_plan_key_gets_that_plan_and_an_unknown_one_the_largest(alpha: PracticeWorld) -> None:
    assert entitlements_for(on_plan(alpha, "solo")).plan == plan("solo")
    assert entitlements_for(alpha.practice).label == "Your Solo plan"
    retired = entitlements_for(on_plan(alpha, "retired-2019"))
    assert (retired.plan, retired.is_trial) == (plan("program"), False)


# --- staff seats -------------------------------------------------------------------------------

def test_exactly_the_seats_fit_and_one_more_is_refused(alpha: PracticeWorld,
                                                       beta: PracticeWorld) -> None:
    on_plan(alpha, "group")  # 10 seats; owner, clinician, front desk and billing hold 4
    for n in range(6):
        invite(alpha, f"colleague{n}@example.org")
    before = (people(alpha), open_invitations(alpha))

    with pytest.raises(services.StaffError) as refused:
        invite(alpha, "one-too-many@example.org")

    assert str(refused.value) == GROUP_SEATS_FULL
    assert (people(alpha), open_invitations(alpha)) == before
    # Re-sending an open invitation replaces it: it takes no second seat.
    invite(alpha, "colleague0@example.org")
    assert len(open_invitations(alpha)) == 6
    # Beta, on its trial, is not held to alpha's plan.
    for n in range(7):
        invite(beta, f"colleague{n}@example.org")
    assert len(open_invitations(beta)) == 7


def test_the_invite_page_says_so(alpha: PracticeWorld) -> None:
    on_plan(alpha, "solo")  # 2 seats; 4 staff from before a downgrade keep their access
    before = people(alpha)
    response = alpha.http(alpha.owner).post("/staff/invite/", {
        "full_name": "Nia Newhire", "email": "nia@example.org", "role": "clinician"})

    assert response.status_code == 400
    page = response.content.decode()
    assert ("Your Solo plan includes 2 staff seats and 4 are taken. Upgrade the plan on the "
            "billing page (/billing/)") in page
    assert people(alpha) == before
    assert all(is_active for *_rest, is_active in people(alpha))
    assert open_invitations(alpha) == []


def test_revoking_an_invitation_frees_its_seat(alpha: PracticeWorld) -> None:
    on_plan(alpha, "group")
    invitations = [invite(alpha, f"colleague{n}@example.org") for n in range(6)]
    with schema_context(alpha.practice.schema_name):
        services.staff_invitation_revoke(invitation_id=invitations[0].pk,
                                         actor=Actor.of(alpha.owner))
    invite(alpha, "replacement@example.org")
    assert len(open_invitations(alpha)) == 6


def _invitation_with_token(world: PracticeWorld, token: str, email: str) -> None:
    with schema_context(world.practice.schema_name):
        StaffInvitation.objects.create(
            email=email, full_name="Ivy Invitee", role=Role.CLINICIAN,
            token_hash=services.hash_token(token), invited_by=world.owner,
            expires_at=timezone.now() + timedelta(days=7),
        )


def test_accepting_fills_the_last_seat_and_not_one_more(alpha: PracticeWorld) -> None:
    on_plan(alpha, "group")
    add_people(alpha, Role.CLINICIAN, 5)  # 9 of 10 seats
    _invitation_with_token(alpha, "last-seat", "ivy@example.org")
    _invitation_with_token(alpha, "no-seat", "zed@example.org")

    http = alpha.http()
    accepted = http.post("/staff/invitations/accept/last-seat/", {
        "full_name": "Ivy Invitee", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert accepted.status_code == 302
    before = people(alpha)
    refused = alpha.http().post("/staff/invitations/accept/no-seat/", {
        "full_name": "Zed Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert refused.status_code == 400
    assert ("Alpha Therapy&#x27;s plan has no free staff seat (10 seats, all taken). Ask the "
            "practice owner to upgrade the plan (/billing/); your invitation stays valid until "
            "it expires.") in refused.content.decode()
    assert people(alpha) == before
    assert open_invitations(alpha) == ["zed@example.org"]


def test_removed_staff_free_their_seat(alpha: PracticeWorld) -> None:
    on_plan(alpha, "solo")
    with schema_context(alpha.practice.schema_name):
        for member in (alpha.clinician, alpha.front_desk):
            services.staff_remove(user_id=member.pk, actor=Actor.of(alpha.owner))
        with pytest.raises(EntitlementError):
            entitlement_check_new_staff(alpha.practice)  # owner + billing: 2 of 2
        services.staff_remove(user_id=alpha.billing.pk, actor=Actor.of(alpha.owner))
        entitlement_check_new_staff(alpha.practice)  # 1 of 2


# --- active clients -----------------------------------------------------------------------------

def test_exactly_the_active_clients_fit_and_one_more_is_refused(alpha: PracticeWorld,
                                                                beta: PracticeWorld) -> None:
    on_plan(alpha, "solo")  # 40 active clients; the world has 1
    add_people(alpha, Role.CLIENT, 38)
    add_people(alpha, Role.CLIENT, 5, is_active=False)  # former clients hold no place
    entitlement_check_new_client(alpha.practice)  # 39: the 40th fits
    add_people(alpha, Role.CLIENT, 1)
    before = people(alpha)

    with pytest.raises(EntitlementError) as refused:
        entitlement_check_new_client(alpha.practice)

    assert str(refused.value) == (
        "Your Solo plan includes 40 active clients and 40 are taken. Upgrade the plan on the "
        "billing page (/billing/) to add more clients. Existing clients keep their access."
    )
    assert (refused.value.limit, refused.value.used) == (40, 40)
    assert refused.value.upgrade_url == "/billing/"
    assert people(alpha) == before
    # Beta (trial: the largest plan) with as many clients is not refused.
    add_people(beta, Role.CLIENT, 39)
    entitlement_check_new_client(beta.practice)


def test_open_client_invitations_hold_places(alpha: PracticeWorld) -> None:
    on_plan(alpha, "solo")
    add_people(alpha, Role.CLIENT, 30)  # 31 active
    entitlement_check_new_client(alpha.practice, open_invitations=8)  # 39
    with pytest.raises(EntitlementError) as refused:
        entitlement_check_new_client(alpha.practice, open_invitations=9)  # 40
    assert "40 are taken (including 9 open invitations)" in str(refused.value)


def test_counts_are_taken_in_the_practices_own_schema(alpha: PracticeWorld,
                                                      beta: PracticeWorld) -> None:
    add_people(beta, Role.CLIENT, 10)
    with schema_context(beta.practice.schema_name):
        assert entitlements.active_clients_count(alpha.practice) == 1
        assert entitlements.staff_seats_used(alpha.practice) == 4
    assert entitlements.active_clients_count(beta.practice) == 11

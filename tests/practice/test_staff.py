"""The owner invites staff by email with a role, changes roles and removes access. Every change
is audited in the practice's schema; the look-alike practice is never touched."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.models import StaffInvitation
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld

NEW_PASSWORD = "joining-the-team-2024"
INVITEE = {"full_name": "Nia Newhire", "email": "nia@example.org", "role": "clinician"}
LINK = re.compile(r"http://[^\s\"<>]+/staff/invitations/accept/[^\s\"<>/]+/")
LAST_OWNER = "The practice needs at least one owner. Make someone else owner first."


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def staff_events(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return list(
            AuditEvent.objects.filter(action__startswith="staff.").order_by("id")
            .values_list("action", "actor_id", "actor_role", "object_type", "object_id", "detail")
        )


def people(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return list(User.objects.order_by("pk").values_list("pk", "email", "role", "is_active"))


def invitations(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return [
            (i.email, i.role, i.status)
            for i in StaffInvitation.objects.order_by("pk")
        ]


def invite(world: PracticeWorld, capture, **overrides: str):
    """The owner posts the invite form; on-commit work (the email) runs as after a commit."""
    with capture(execute=True):
        return world.http(world.owner).post("/staff/invite/", {**INVITEE, **overrides})


def accept_path(message: EmailMessage) -> str:
    links = LINK.findall(text_of(message))
    assert len(links) == 1
    return urlsplit(links[0]).path


# --- Inviting ------------------------------------------------------------------------------

def test_owner_invites_by_email_in_the_practice_name(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    beta_people = people(beta)

    response = invite(alpha, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert invitations(alpha) == [("nia@example.org", "clinician", "pending")]
    with schema_context(alpha.practice.schema_name):
        invitation = StaffInvitation.objects.get()
        assert invitation.invited_by_id == alpha.owner.pk
        lifetime = invitation.expires_at - invitation.created_at
        assert timedelta(days=7) - timedelta(seconds=1) < lifetime <= timedelta(days=7)
    assert staff_events(alpha) == [
        ("staff.invited", alpha.owner.pk, "owner", "staff_invitation", str(invitation.pk),
         {"role": "clinician"}),
    ]
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "nia@example.org"
    assert message["From"].addresses[0].display_name == "Alpha Therapy"
    assert message["Subject"] == "You're invited to join Alpha Therapy on Tandem"
    link = urlsplit(LINK.findall(text_of(message))[0])
    assert link.netloc == alpha.host
    assert LINK.findall(html_of(message)) == LINK.findall(text_of(message))
    assert ("Alpha Therapy invites you to join its team on Tandem as clinician."
            in text_of(message))
    for body in (text_of(message), html_of(message)):
        assert "Alpha Therapy" in body
        body = re.sub(r"https?://[^\s\"<]+", "", body)  # the token is random text
        # No PHI: not the invitee's name, not the inviter's, not the address.
        assert "Nia" not in body
        assert "Olivia" not in body
        assert "nia@example.org" not in body
        assert "Beta Counselling" not in body
    # The token is not stored: only its hash is.
    token = link.path.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash != token
    assert token not in invitation.token_hash
    # Beta untouched.
    assert invitations(beta) == []
    assert staff_events(beta) == []
    assert people(beta) == beta_people


def test_the_invitation_link_creates_the_account_signed_in_and_works_once(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    invite(alpha, django_capture_on_commit_callbacks)
    path = accept_path(mailbox.messages[0])
    beta_people = people(beta)

    # The link means nothing on another practice's host.
    on_beta = beta.http().get(path)
    assert on_beta.status_code == 404
    assert "This invitation is no longer valid" in on_beta.content.decode()

    http = alpha.http()
    page = http.get(path)
    assert page.status_code == 200
    assert "<h1>Join Alpha Therapy</h1>" in page.content.decode()
    accepted = http.post(path, {"full_name": "Nia N. Newhire", "password1": NEW_PASSWORD,
                                "password2": NEW_PASSWORD})

    assert accepted.status_code == 302
    assert accepted["Location"] == "/"
    with schema_context(alpha.practice.schema_name):
        nia = User.objects.get(email="nia@example.org")
        assert (nia.full_name, nia.role, nia.is_active) == ("Nia N. Newhire", "clinician", True)
        assert nia.check_password(NEW_PASSWORD)
        invitation = StaffInvitation.objects.get()
        assert invitation.user_id == nia.pk
    home = http.get("/")
    assert home.status_code == 200
    assert "You are signed in to Alpha Therapy as clinician." in home.content.decode()
    assert invitations(alpha) == [("nia@example.org", "clinician", "accepted")]
    assert staff_events(alpha)[-1] == (
        "staff.invitation_accepted", nia.pk, "clinician", "staff_invitation",
        str(invitation.pk), {},
    )

    # Second use, by anyone: no page, no second account.
    again = alpha.http().get(path)
    assert again.status_code == 404
    assert "<h1>This invitation is no longer valid</h1>" in again.content.decode()
    resubmitted = alpha.http().post(path, {"full_name": "Mallory", "password1": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD})
    assert resubmitted.status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert User.objects.filter(email="nia@example.org").count() == 1
        assert User.objects.count() == 6
    assert people(beta) == beta_people
    assert staff_events(beta) == []


def test_a_weak_password_is_refused_and_the_link_stays_usable(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    invite(alpha, django_capture_on_commit_callbacks)
    path = accept_path(mailbox.messages[0])

    response = alpha.http().post(path, {"full_name": "Nia", "password1": "short",
                                        "password2": "short"})

    assert response.status_code == 400
    with schema_context(alpha.practice.schema_name):
        assert not User.objects.filter(email="nia@example.org").exists()
    assert invitations(alpha) == [("nia@example.org", "clinician", "pending")]
    assert alpha.http().get(path).status_code == 200
    assert invitations(beta) == []
    with schema_context(beta.practice.schema_name):
        assert not User.objects.filter(email="nia@example.org").exists()


def test_a_revoked_invitation_link_is_no_longer_valid(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    invite(alpha, django_capture_on_commit_callbacks)
    path = accept_path(mailbox.messages[0])
    with schema_context(alpha.practice.schema_name):
        invitation_id = StaffInvitation.objects.get().pk

    revoked = alpha.http(alpha.owner).post(f"/staff/invitations/{invitation_id}/revoke/")

    assert revoked.status_code == 302
    assert invitations(alpha) == [("nia@example.org", "clinician", "revoked")]
    assert staff_events(alpha)[-1] == (
        "staff.invitation_revoked", alpha.owner.pk, "owner", "staff_invitation",
        str(invitation_id), {},
    )
    page = alpha.http().get(path)
    assert page.status_code == 404
    assert "<h1>This invitation is no longer valid</h1>" in page.content.decode()
    posted = alpha.http().post(path, {"full_name": "Nia", "password1": NEW_PASSWORD,
                                      "password2": NEW_PASSWORD})
    assert posted.status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert not User.objects.filter(email="nia@example.org").exists()
    assert staff_events(beta) == []


def test_a_new_invitation_to_the_same_address_replaces_the_open_one(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    invite(alpha, django_capture_on_commit_callbacks)
    first = accept_path(mailbox.messages[0])
    invite(alpha, django_capture_on_commit_callbacks, role="billing")
    second = accept_path(mailbox.messages[1])

    assert invitations(alpha) == [("nia@example.org", "clinician", "revoked"),
                                  ("nia@example.org", "billing", "pending")]
    assert alpha.http().get(first).status_code == 404
    assert alpha.http().get(second).status_code == 200
    assert invitations(beta) == []


@pytest.mark.parametrize(("days", "status"), [(6, 200), (7, 404)])
def test_an_invitation_link_expires_after_seven_days(
    alpha, beta, mailbox, django_capture_on_commit_callbacks, monkeypatch, days, status
):
    invite(alpha, django_capture_on_commit_callbacks)
    path = accept_path(mailbox.messages[0])
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=days, seconds=1))

    page = alpha.http().get(path)
    posted = alpha.http().post(path, {"full_name": "Nia", "password1": NEW_PASSWORD,
                                      "password2": NEW_PASSWORD})

    assert page.status_code == status
    if status == 404:
        assert "<h1>This invitation is no longer valid</h1>" in page.content.decode()
        assert posted.status_code == 404
        assert invitations(alpha) == [("nia@example.org", "clinician", "expired")]
        with schema_context(alpha.practice.schema_name):
            assert not User.objects.filter(email="nia@example.org").exists()
    else:
        assert posted.status_code == 302
        assert invitations(alpha) == [("nia@example.org", "clinician", "accepted")]
    assert invitations(beta) == []
    with schema_context(beta.practice.schema_name):
        assert not User.objects.filter(email="nia@example.org").exists()


def test_an_address_that_already_has_an_account_is_refused(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    with schema_context(beta.practice.schema_name):
        User.objects.create_user("only-beta@example.org", PASSWORD, full_name="Bea Only",
                                 role=Role.CLINICIAN)

    refused = invite(alpha, django_capture_on_commit_callbacks, email="Clinician@Example.org")

    assert refused.status_code == 400
    assert ("Someone with this email already has an account in this practice."
            in refused.content.decode())
    assert invitations(alpha) == []
    assert staff_events(alpha) == []
    assert mailbox.messages == []

    # An account in another practice is no account here: practices are separate worlds.
    allowed = invite(alpha, django_capture_on_commit_callbacks, email="only-beta@example.org")
    assert allowed.status_code == 302
    assert invitations(alpha) == [("only-beta@example.org", "clinician", "pending")]
    assert [m["To"] for m in mailbox.messages] == ["only-beta@example.org"]
    assert invitations(beta) == []


@pytest.mark.parametrize("role", ["client", "operator", "superuser"])
def test_only_staff_roles_can_be_invited(alpha, beta, mailbox,
                                         django_capture_on_commit_callbacks, role):
    beta_people = people(beta)

    response = invite(alpha, django_capture_on_commit_callbacks, role=role)

    assert response.status_code == 400
    assert invitations(alpha) == []
    assert staff_events(alpha) == []
    assert mailbox.messages == []
    assert invitations(beta) == []
    assert people(beta) == beta_people


# --- Changing roles and removing access --------------------------------------------------------

def test_owner_changes_a_role(alpha, beta):
    beta_people = people(beta)
    http = alpha.http(alpha.owner)

    response = http.post(f"/staff/{alpha.clinician.pk}/role/", {"role": "billing"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert "Role changed." in http.get("/staff/").content.decode()
    with schema_context(alpha.practice.schema_name):
        assert User.objects.get(pk=alpha.clinician.pk).role == "billing"
    assert staff_events(alpha) == [
        ("staff.role_changed", alpha.owner.pk, "owner", "user", str(alpha.clinician.pk),
         {"from": "clinician", "to": "billing"}),
    ]
    # Beta's clinician has the same id and email, and keeps their role.
    assert people(beta) == beta_people
    assert staff_events(beta) == []


def test_a_client_cannot_be_given_a_staff_role_here(alpha, beta):
    response = alpha.http(alpha.owner).post(f"/staff/{alpha.client.pk}/role/", {"role": "owner"})

    assert response.status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert User.objects.get(pk=alpha.client.pk).role == "client"
    assert staff_events(alpha) == []
    with schema_context(beta.practice.schema_name):
        assert User.objects.get(pk=beta.client.pk).role == "client"


def test_removing_access_ends_their_session_at_once_and_keeps_the_account(alpha, beta):
    their_session = alpha.http(alpha.front_desk)
    beta_session = beta.http(beta.front_desk)
    assert their_session.get("/").status_code == 200
    beta_people = people(beta)

    response = alpha.http(alpha.owner).post(f"/staff/{alpha.front_desk.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    after = their_session.get("/")
    assert after.status_code == 302
    assert after["Location"] == "/accounts/sign-in/?next=/"
    with schema_context(alpha.practice.schema_name):
        member = User.objects.get(pk=alpha.front_desk.pk)
        assert (member.email, member.role, member.is_active) == (
            "frontdesk@example.org", "front_desk", False)
        assert User.objects.count() == 5
    assert staff_events(alpha) == [
        ("staff.removed", alpha.owner.pk, "owner", "user", str(alpha.front_desk.pk),
         {"role": "front_desk"}),
    ]
    signed_in = alpha.http().post("/accounts/sign-in/",
                                  {"username": "frontdesk@example.org", "password": PASSWORD})
    assert signed_in.status_code == 200
    # The look-alike in beta still works.
    assert beta_session.get("/").status_code == 200
    assert people(beta) == beta_people
    assert staff_events(beta) == []


@pytest.mark.parametrize(
    ("path", "data"),
    [("/staff/{owner}/role/", {"role": "clinician"}), ("/staff/{owner}/remove/", {})],
    ids=["demote", "remove"],
)
def test_the_last_owner_cannot_be_demoted_or_removed(alpha, beta, path, data):
    http = alpha.http(alpha.owner)
    before, beta_before = people(alpha), people(beta)

    response = http.post(path.format(owner=alpha.owner.pk), data)

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert LAST_OWNER in http.get("/staff/").content.decode()
    assert people(alpha) == before
    assert staff_events(alpha) == []
    assert people(beta) == beta_before


def test_an_owner_can_step_down_once_there_is_another_owner(alpha, beta):
    http = alpha.http(alpha.owner)

    assert http.post(f"/staff/{alpha.clinician.pk}/role/", {"role": "owner"}).status_code == 302
    assert http.post(f"/staff/{alpha.owner.pk}/role/", {"role": "clinician"}).status_code == 302

    with schema_context(alpha.practice.schema_name):
        roles = dict(User.objects.values_list("pk", "role"))
    assert (roles[alpha.owner.pk], roles[alpha.clinician.pk]) == ("clinician", "owner")
    assert [e[-1] for e in staff_events(alpha)] == [
        {"from": "clinician", "to": "owner"}, {"from": "owner", "to": "clinician"},
    ]
    # The former owner's own session no longer reaches owner pages.
    assert http.get("/staff/").status_code == 404
    with schema_context(beta.practice.schema_name):
        assert User.objects.get(pk=beta.owner.pk).role == "owner"

"""Clients join the portal: staff invite by email (a single-use, seven-day link in the practice's
name, no PHI), the client sets a password and accepts the consent text, and is signed in. Expired,
used and revoked links are refused; a resend kills the old link; revoking access ends the
client's sessions at once; a new consent version asks again. The look-alike practice is never
touched."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from portal import consent as consent_module
from portal import invitations
from portal.consent import ConsentVersion, current_consent
from portal.models import ClientAccess, ClientInvitation, ConsentAcceptance
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.portal.helpers import page_text

CLIENT_PASSWORD = "a-quiet-river-2031"
INVITEE = {"full_name": "Nora Newcomer", "email": "nora@example.org", "phone": "555-0100",
           "modules": ["assessments", "mood_checkin"]}
LINK = re.compile(r"http://[^\s\"<>]+/portal/invitation/[^\s\"<>/]+/")


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_path(message: EmailMessage) -> str:
    links = LINK.findall(text_of(message))
    assert len(links) == 1
    return urlsplit(links[0]).path


def invite(world: PracticeWorld, capture: Any, *, by: User | None = None,
           **overrides: Any) -> Any:
    """Staff post the invite form; the email leaves as after a commit."""
    with capture(execute=True):
        return world.http(by or world.clinician).post("/clients/invite/",
                                                     {**INVITEE, **overrides})


def accept(world: PracticeWorld, path: str, *, http: Client | None = None,
           agree: bool = True) -> tuple[Client, Any]:
    http = http or world.http()
    data = {"password1": CLIENT_PASSWORD, "password2": CLIENT_PASSWORD,
            "version": str(current_consent().version)}
    if agree:
        data["agree"] = "on"
    return http, http.post(path, data)


def user_by_email(world: PracticeWorld, email: str) -> User | None:
    with schema_context(world.practice.schema_name):
        user = User.objects.filter(email=email).first()
    connection.set_schema_to_public()
    return user


def events(world: PracticeWorld, *prefixes: str) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(AuditEvent.objects.order_by("id").values_list(
            "action", "actor_id", "object_type", "object_id", "detail"))
    connection.set_schema_to_public()
    return [row for row in rows if row[0].startswith(prefixes)]


def people(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(User.objects.order_by("pk").values_list("pk", "email", "role", "is_active",
                                                            "password"))
    connection.set_schema_to_public()
    return rows


def invitation_rows(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = [(i.user.email, i.status) for i in
                ClientInvitation.objects.select_related("user").order_by("pk")]
    connection.set_schema_to_public()
    return rows


def session_count(world: PracticeWorld, user_id: int) -> int:
    with schema_context(world.practice.schema_name):
        count = sum(1 for s in Session.objects.all()
                    if s.get_decoded().get("_auth_user_id") == str(user_id))
    connection.set_schema_to_public()
    return count


def invited_and_accepted(world: PracticeWorld, capture, mailbox, **overrides) -> tuple:
    response = invite(world, capture, **overrides)
    assert response.status_code == 302
    email = overrides.get("email", INVITEE["email"])
    path = link_path(mailbox.to(email)[-1])
    http, accepted = accept(world, path)
    assert accepted.status_code == 302
    return http, user_by_email(world, email), path


# --- inviting and accepting -------------------------------------------------------------------

def test_a_clinician_invites_and_the_client_joins_signed_in_after_consent(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    beta_people = people(beta)

    response = invite(alpha, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/clients/"
    client = user_by_email(alpha, "nora@example.org")
    assert client is not None
    assert (client.role, client.is_active, client.has_usable_password()) == (
        Role.CLIENT, False, False)
    with schema_context(alpha.practice.schema_name):
        profile = ClientProfile.objects.get(user=client)
        assert profile.timezone == "America/New_York"
        assert list(profile.clinicians.values_list("pk", flat=True)) == [alpha.clinician.pk]
        access = ClientAccess.objects.get(user=client)
        assert access.visible_modules == ["assessments", "mood_checkin"]
        assert access.phone == "555-0100"
        assert access.state == "invited"
        invitation = ClientInvitation.objects.get()
        assert invitation.invited_by_id == alpha.clinician.pk
        lifetime = invitation.expires_at - invitation.created_at
        assert timedelta(days=7) - timedelta(seconds=1) < lifetime <= timedelta(days=7)
    connection.set_schema_to_public()
    # The email: the practice's name and a link on its host, nothing about the client.
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "nora@example.org"
    assert message["From"].addresses[0].display_name == "Alpha Therapy"
    assert message["Subject"] == "Your invitation to Alpha Therapy's portal"
    path = link_path(message)
    assert LINK.findall(html_of(message)) == LINK.findall(text_of(message))
    assert LINK.findall(text_of(message))[0].startswith(f"http://{alpha.host}/portal/invitation/")
    for body in (text_of(message), html_of(message)):
        body = re.sub(r"https?://[^\s\"<]+", "", body)  # the token is random text
        assert "Nora" not in body
        assert "nora@example.org" not in body
        assert "555-0100" not in body
        assert "Casey" not in body
        assert "Beta Counselling" not in body
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash

    page = alpha.http().get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "not watched around the clock" in body
    assert "What your practice sees" in body

    # Without agreeing: refused, nothing changes.
    _, refused = accept(alpha, path, agree=False)
    assert refused.status_code == 400
    assert user_by_email(alpha, "nora@example.org").is_active is False

    http, accepted = accept(alpha, path)
    assert accepted.status_code == 302
    assert accepted["Location"] == "/portal/"
    client = user_by_email(alpha, "nora@example.org")
    assert client.is_active is True
    assert client.check_password(CLIENT_PASSWORD)
    assert http.get("/portal/").status_code == 200
    with schema_context(alpha.practice.schema_name):
        acceptance = ConsentAcceptance.objects.get(user=client)
        assert acceptance.version == 1
        assert timezone.now() - acceptance.accepted_at < timedelta(minutes=1)
        assert ClientAccess.objects.get(user=client).state == "active"
    connection.set_schema_to_public()
    assert [row[0] for row in events(alpha, "client.invit", "portal.consent")] == [
        "client.invited", "client.invitation_accepted", "portal.consent_accepted"]
    assert events(alpha, "client.invited")[0][1:] == (
        alpha.clinician.pk, "user", str(client.pk),
        {"invitation_id": invitation.pk, "modules": ["assessments", "mood_checkin"]})
    assert invitation_rows(alpha) == [("nora@example.org", "used")]
    # Beta untouched; the token means nothing on beta's host.
    assert people(beta) == beta_people
    assert invitation_rows(beta) == []
    assert beta.http().get(path).status_code == 404


def test_a_used_link_is_refused(alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    _, client, path = invited_and_accepted(alpha, django_capture_on_commit_callbacks, mailbox)
    password = people(alpha)

    again = alpha.http().get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    _, posted = accept(alpha, path)
    assert posted.status_code == 410
    assert people(alpha) == password


def test_an_expired_link_is_refused(alpha, beta, mailbox,
                                    django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks)
    path = link_path(mailbox.messages[0])
    with schema_context(alpha.practice.schema_name):
        eight_days_ago = timezone.now() - timedelta(days=8)
        ClientInvitation.objects.update(created_at=eight_days_ago,
                                        expires_at=eight_days_ago + timedelta(days=7))
    connection.set_schema_to_public()

    page = alpha.http().get(path)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    _, posted = accept(alpha, path)
    assert posted.status_code == 410
    client = user_by_email(alpha, "nora@example.org")
    assert (client.is_active, client.has_usable_password()) == (False, False)


def test_an_unknown_link_is_not_found(alpha, beta) -> None:
    assert alpha.http().get("/portal/invitation/not-a-token/").status_code == 404


def test_a_resend_kills_the_old_link(alpha, beta, mailbox,
                                     django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks)
    old = link_path(mailbox.messages[0])
    client = user_by_email(alpha, "nora@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        resent = alpha.http(alpha.front_desk).post(f"/clients/{client.pk}/access/invite/")
    assert resent.status_code == 302
    assert len(mailbox.messages) == 2
    new = link_path(mailbox.messages[1])
    assert new != old
    assert alpha.http().get(old).status_code == 410
    assert alpha.http().get(new).status_code == 200
    assert invitation_rows(alpha) == [("nora@example.org", "revoked"),
                                      ("nora@example.org", "open")]
    _, accepted = accept(alpha, new)
    assert accepted.status_code == 302
    assert [row[4].get("resend") for row in events(alpha, "client.invitation_sent")] == [True]


def test_a_revoked_link_is_refused(alpha, beta, mailbox,
                                   django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks)
    path = link_path(mailbox.messages[0])
    client = user_by_email(alpha, "nora@example.org")

    revoked = alpha.http(alpha.clinician).post(f"/clients/{client.pk}/access/revoke/")
    assert revoked.status_code == 302
    assert alpha.http().get(path).status_code == 410
    _, posted = accept(alpha, path)
    assert posted.status_code == 410
    assert user_by_email(alpha, "nora@example.org").is_active is False


def test_revoking_access_ends_the_clients_sessions_at_once(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    http, client, _ = invited_and_accepted(alpha, django_capture_on_commit_callbacks, mailbox)
    second_device = alpha.http(client)
    beta_session = beta.http(beta.client)
    assert http.get("/portal/").status_code == 200
    assert session_count(alpha, client.pk) == 2

    revoked = alpha.http(alpha.clinician).post(f"/clients/{client.pk}/access/revoke/")

    assert revoked.status_code == 302
    assert session_count(alpha, client.pk) == 0
    for device in (http, second_device):
        page = device.get("/portal/")
        assert page.status_code == 302
        assert page["Location"].startswith("/accounts/sign-in/")
    client = user_by_email(alpha, "nora@example.org")
    assert client.is_active is False
    assert events(alpha, "client.access_revoked")[0][1:] == (
        alpha.clinician.pk, "user", str(client.pk), {"sessions_ended": 2})
    # The same id in beta keeps its session.
    assert beta_session.get("/portal/").status_code == 200
    assert events(beta, "client.") == []


def test_an_existing_client_is_invited_later(alpha, beta, mailbox,
                                             django_capture_on_commit_callbacks) -> None:
    with schema_context(alpha.practice.schema_name):
        later = User.objects.create_user("later@example.org", None, full_name="Lee Later",
                                         role=Role.CLIENT, is_active=False)
        ClientProfile.objects.create(user=later)
    connection.set_schema_to_public()

    with django_capture_on_commit_callbacks(execute=True):
        sent = alpha.http(alpha.owner).post(f"/clients/{later.pk}/access/invite/",
                                            {"set_modules": "1", "modules": ["assessments"]})
    assert sent.status_code == 302
    path = link_path(mailbox.to("later@example.org")[0])
    http, accepted = accept(alpha, path)
    assert accepted.status_code == 302
    assert http.get("/portal/assessments/").status_code == 200
    assert http.get("/portal/mood/").status_code == 404  # not chosen for this client
    menu = http.get("/portal/").content.decode()
    assert '<a href="/portal/assessments/">Assessments</a>' in menu
    assert '<a href="/portal/mood/">Mood check-in</a>' not in menu
    assert "/portal/mood/" not in menu  # neither in the menu nor on the dashboard
    assert [row[4].get("resend") for row in events(alpha, "client.invitation_sent")] == [False]


def test_a_client_already_using_the_portal_is_not_invited_again(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = alpha.http(alpha.owner).post(f"/clients/{alpha.client.pk}/access/invite/",
                                            follow=True)
    assert sent.status_code == 200
    assert "This client already uses the portal." in sent.content.decode()
    assert mailbox.messages == []
    assert invitation_rows(alpha) == []


def test_an_email_already_in_the_practice_is_refused(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    before = people(alpha)
    response = invite(alpha, django_capture_on_commit_callbacks, email="client@example.org")
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()
    assert people(alpha) == before
    assert mailbox.messages == []


def test_modules_offered_are_only_those_the_practice_has_on(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    from tenants.models import Practice

    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=["assessments"])
    page = alpha.http(alpha.clinician).get("/clients/invite/")
    body = page.content.decode()
    assert 'value="assessments"' in body
    assert 'value="mood_checkin"' not in body
    # A module the practice has off cannot be chosen: the form says so, nothing is made.
    refused = invite(alpha, django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert user_by_email(alpha, "nora@example.org") is None
    # The service keeps to the practice's modules whatever it is given.
    alpha.practice.refresh_from_db()
    with schema_context(alpha.practice.schema_name):
        invitations.client_invite(
            actor=Actor.of(alpha.clinician, practice=alpha.practice),
            invite=invitations.ClientInvite(full_name="Nora", email="nora@example.org", phone="",
                                            modules=["assessments", "mood_checkin"]))
        assert ClientAccess.objects.get().visible_modules == ["assessments"]
    connection.set_schema_to_public()
    assert mailbox.messages == []  # the email leaves only once committed


# --- consent ----------------------------------------------------------------------------------

def test_no_portal_page_before_consent(alpha, beta) -> None:
    """An account made outside an invitation (an import, a script) has accepted nothing: it
    reaches no portal page and no API answer until it accepts."""
    with schema_context(alpha.practice.schema_name):
        imported = User.objects.create_user("imported@example.org", "x-imported-pass-41",
                                            full_name="Ida Imported", role=Role.CLIENT)
        ClientProfile.objects.create(user=imported)
    connection.set_schema_to_public()
    http = alpha.http(imported)
    for path in ("/portal/", "/portal/assessments/", "/portal/settings/",
                 "/portal/urgent-contact/", "/portal/messages/"):
        response = http.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/portal/consent/?next={path.replace('/', '%2F')}"
    posted = http.post("/portal/mood/", {"mood": "5"})
    assert (posted.status_code, posted["Location"]) == (
        302, "/portal/consent/?next=%2Fportal%2F")
    api = http.get(f"/api/v1/clients/{imported.pk}/responses")
    assert api.status_code == 403
    assert api.json() == {"detail": "Accept the portal's consent first.",
                          "code": "consent_required"}
    # Crisis help never waits for consent.
    assert http.get("/portal/help/").status_code == 200
    page = http.get("/portal/consent/")
    assert page.status_code == 200
    accepted = http.post("/portal/consent/", {"version": "1", "agree": "on",
                                              "next": "/portal/assessments/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/portal/assessments/"
    assert http.get("/portal/").status_code == 200
    assert events(alpha, "portal.consent_accepted") == [
        ("portal.consent_accepted", imported.pk, "consent", "1", {})]
    assert events(beta, "portal.consent_accepted") == []


def test_a_new_consent_version_asks_again(alpha, beta, mailbox, monkeypatch,
                                          django_capture_on_commit_callbacks) -> None:
    http, client, _ = invited_and_accepted(alpha, django_capture_on_commit_callbacks, mailbox)
    assert http.get("/portal/").status_code == 200
    monkeypatch.setattr(consent_module, "CURRENT_CONSENT", ConsentVersion(
        version=2, title="Using the portal (updated)", paragraphs=("Updated terms.",)))

    asked = http.get("/portal/")
    assert asked.status_code == 302
    assert asked["Location"] == "/portal/consent/?next=%2Fportal%2F"
    page = http.get("/portal/consent/")
    assert "Updated terms." in page.content.decode()
    # A stale form (version 1) is refused.
    stale = http.post("/portal/consent/", {"version": "1", "agree": "on"})
    assert stale.status_code == 400
    accepted = http.post("/portal/consent/", {"version": "2", "agree": "on"})
    assert accepted.status_code == 302
    assert http.get("/portal/").status_code == 200
    with schema_context(alpha.practice.schema_name):
        assert list(ConsentAcceptance.objects.filter(user=client).order_by("version")
                    .values_list("version", flat=True)) == [1, 2]
    connection.set_schema_to_public()


# --- who may invite ---------------------------------------------------------------------------

ACTORS = ["anonymous", "client", "client_of_another_practice", "front_desk",
          "clinician_not_assigned", "clinician_assigned", "owner", "billing"]


def http_for(actor: str, alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    if actor == "anonymous":
        return alpha.http()
    if actor == "client_of_another_practice":
        session = beta.http(beta.client).cookies[settings.SESSION_COOKIE_NAME].value
        http = alpha.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = session
        return http
    if actor == "clinician_not_assigned":
        with schema_context(alpha.practice.schema_name):
            other = User.objects.create_user("casey2@example.org", "x-unused-pass-1",
                                             full_name="Cam Other", role=Role.CLINICIAN)
        connection.set_schema_to_public()
        return alpha.http(other)
    if actor == "clinician_assigned":
        return alpha.http(alpha.clinician)
    return alpha.http(getattr(alpha, actor))


@pytest.fixture
def invited(alpha, beta, mailbox, django_capture_on_commit_callbacks) -> User:
    """A client invited by the (assigned) clinician, in alpha; beta has a look-alike."""
    for world in (alpha, beta):
        invite(world, django_capture_on_commit_callbacks)
    mailbox.clear()
    return user_by_email(alpha, "nora@example.org")


EXPECTED = {
    # actor: (list, invite form, access page, resend, revoke)
    "anonymous": (302, 302, 302, 302, 302),
    "client_of_another_practice": (302, 302, 302, 302, 302),
    "client": (404, 404, 404, 404, 404),
    "billing": (404, 404, 404, 404, 404),
    "clinician_not_assigned": (200, 200, 404, 404, 404),
    "clinician_assigned": (200, 200, 200, 302, 302),
    "front_desk": (200, 200, 200, 302, 302),
    "owner": (200, 200, 200, 302, 302),
}


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_see_and_change_portal_access(alpha, beta, invited, mailbox, actor,
                                              django_capture_on_commit_callbacks) -> None:
    http = http_for(actor, alpha, beta)
    before_alpha, before_beta = invitation_rows(alpha), invitation_rows(beta)
    client_id = invited.pk
    listing = http.get("/clients/")
    form = http.get("/clients/invite/")
    record = http.get(f"/clients/{client_id}/access/")
    statuses = [listing.status_code, form.status_code, record.status_code]
    for response in (listing, record):
        if response.status_code != 200:
            assert "Nora" not in page_text(response)
    if listing.status_code == 200:
        shown = "Nora Newcomer" in listing.content.decode()
        assert shown is (actor != "clinician_not_assigned")
        assert "PHQ" not in page_text(listing)
    with django_capture_on_commit_callbacks(execute=True):
        resend = http.post(f"/clients/{client_id}/access/invite/")
    statuses.append(resend.status_code)
    if resend.status_code == 302 and not resend["Location"].startswith("/accounts/"):
        assert len(mailbox.messages) == 1
    else:
        assert mailbox.messages == []
        assert invitation_rows(alpha) == before_alpha
    revoke = http.post(f"/clients/{client_id}/access/revoke/")
    statuses.append(revoke.status_code)
    assert tuple(statuses) == EXPECTED[actor]
    allowed = EXPECTED[actor][4] == 302 and actor not in (
        "anonymous", "client_of_another_practice")
    assert user_by_email(alpha, "nora@example.org").is_active is False
    assert [status for _, status in invitation_rows(alpha)][-1] == (
        "revoked" if allowed else "open")
    # Beta never changes, whoever acts on alpha.
    assert invitation_rows(beta) == before_beta


@pytest.mark.parametrize("actor", ["client", "billing", "anonymous"])
def test_who_may_not_invite_creates_nothing(alpha, beta, mailbox, actor,
                                            django_capture_on_commit_callbacks) -> None:
    before = people(alpha)
    http = http_for(actor, alpha, beta)
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/clients/invite/", INVITEE)
    assert response.status_code == (302 if actor == "anonymous" else 404)
    assert people(alpha) == before
    assert mailbox.messages == []


def test_a_client_of_another_practice_is_not_found(alpha, beta, mailbox,
                                                   django_capture_on_commit_callbacks) -> None:
    invite(beta, django_capture_on_commit_callbacks, email="only-beta@example.org")
    beta_client = user_by_email(beta, "only-beta@example.org")
    before = invitation_rows(beta)
    http = alpha.http(alpha.owner)
    assert user_by_email(alpha, "only-beta@example.org") is None
    assert http.get(f"/clients/{beta_client.pk}/access/").status_code == 404
    assert http.get("/clients/999999/access/").status_code == 404
    assert http.post(f"/clients/{beta_client.pk}/access/invite/").status_code == 404
    assert http.post(f"/clients/{beta_client.pk}/access/revoke/").status_code == 404
    assert invitation_rows(beta) == before


def test_a_front_desk_invite_puts_nobody_on_the_care_team(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    invite(alpha, django_capture_on_commit_callbacks, by=alpha.front_desk)
    with schema_context(alpha.practice.schema_name):
        profile = ClientProfile.objects.get(user__email="nora@example.org")
        assert list(profile.clinicians.all()) == []
    connection.set_schema_to_public()


def test_the_plan_caps_active_clients_and_open_invitations_count(
        alpha, beta, mailbox, django_capture_on_commit_callbacks) -> None:
    from tenants.models import Practice

    Practice.objects.filter(pk=alpha.practice.pk).update(plan_key="solo")  # 40 active clients
    with schema_context(alpha.practice.schema_name):
        User.objects.bulk_create([
            User(email=f"c{number}@example.org", full_name=f"Client {number}", role=Role.CLIENT)
            for number in range(38)])  # with the fixture client: 39 active
    connection.set_schema_to_public()

    assert invite(alpha, django_capture_on_commit_callbacks).status_code == 302  # the 40th
    before = people(alpha)
    refused = invite(alpha, django_capture_on_commit_callbacks, email="one-more@example.org")
    assert refused.status_code == 400
    assert "includes 40 active clients and 40 are taken" in refused.content.decode()
    assert people(alpha) == before
    assert len(mailbox.messages) == 1
    # Beta (on its trial) is not capped by alpha's plan.
    assert invite(beta, django_capture_on_commit_callbacks).status_code == 302

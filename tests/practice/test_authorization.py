"""Who may use each practice page. Owner pages answer 404 to everyone else (their existence does
not leak) and change nothing; a session from another practice is no session here; an object of
another practice is as missing as an object that never existed."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from practice import services
from practice.models import StaffInvitation
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld

ACTORS = ["anonymous", "client", "client_of_another_practice", "front_desk", "clinician",
          "billing", "owner"]
STAFF_ONLY_TEXT = ["Invite a colleague", "clinician@example.org", "Casey Clinician"]


def page_without_tokens(response) -> str:
    """The page as a person sees it: each render masks the CSRF token differently and has
    its own CSP nonce."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


def state(world: PracticeWorld) -> dict[str, list]:
    with schema_context(world.practice.schema_name):
        return {
            "people": list(User.objects.order_by("pk")
                           .values_list("pk", "email", "role", "is_active")),
            "invitations": [(i.pk, i.email, i.role, i.status)
                            for i in StaffInvitation.objects.order_by("pk")],
            "staff_audit": list(AuditEvent.objects.filter(action__startswith="staff.")
                                .order_by("id").values_list("action", "object_id")),
        }


def open_invitation(world: PracticeWorld) -> int:
    """An open invitation, made the way the owner makes one (its email is never sent: the test
    transaction never commits)."""
    with schema_context(world.practice.schema_name):
        invitation = services.staff_invite(
            email="pending@example.org", full_name="Pat Pending",
            role=Role.BILLING, actor=Actor.of(world.owner, practice=world.practice),
        )
    return invitation.pk


def client_for(actor: str, alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    if actor == "anonymous":
        return alpha.http()
    if actor == "client_of_another_practice":
        # A real session of beta's client (same email, same id as alpha's), replayed on alpha.
        beta_session = beta.http(beta.client).cookies[settings.SESSION_COOKIE_NAME].value
        http = alpha.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = beta_session
        return http
    return alpha.http(getattr(alpha, actor))


def view_cases(alpha: PracticeWorld) -> dict[str, tuple[str, str, dict]]:
    return {
        "home": ("get", "/", {}),
        "staff_list": ("get", "/staff/", {}),
        "staff_invite": ("post", "/staff/invite/",
                         {"full_name": "Nia Newhire", "email": "nia@example.org",
                          "role": "clinician"}),
        "staff_role_change": ("post", f"/staff/{alpha.clinician.pk}/role/", {"role": "billing"}),
        "staff_remove": ("post", f"/staff/{alpha.front_desk.pk}/remove/", {}),
        "staff_invitation_revoke": ("post", "/staff/invitations/{invitation}/revoke/", {}),
    }


def owner_change(view: str, before: dict[str, list], alpha: PracticeWorld) -> dict[str, list]:
    """What the owner's request is expected to change, and nothing else."""
    after = {key: list(rows) for key, rows in before.items()}
    if view == "staff_invite":
        replaced = [(pk, email, role, "revoked" if email == "nia@example.org" else status)
                    for pk, email, role, status in after["invitations"]]
        next_pk = max(pk for pk, *_ in after["invitations"]) + 1
        after["invitations"] = [*replaced, (next_pk, "nia@example.org", "clinician", "pending")]
        after["staff_audit"].append(("staff.invited", str(next_pk)))
    elif view == "staff_role_change":
        after["people"] = [(pk, email, "billing" if pk == alpha.clinician.pk else role, active)
                           for pk, email, role, active in after["people"]]
        after["staff_audit"].append(("staff.role_changed", str(alpha.clinician.pk)))
    elif view == "staff_remove":
        after["people"] = [(pk, email, role, active and pk != alpha.front_desk.pk)
                           for pk, email, role, active in after["people"]]
        after["staff_audit"].append(("staff.removed", str(alpha.front_desk.pk)))
    elif view == "staff_invitation_revoke":
        after["invitations"] = [(pk, email, role, "revoked")
                                for pk, email, role, _status in after["invitations"]]
        after["staff_audit"].append(("staff.invitation_revoked", str(after["invitations"][0][0])))
    return after


OWNER_RESPONSE = {
    "home": (200, None),
    "staff_list": (200, None),
    "staff_invite": (302, "/staff/"),
    "staff_role_change": (302, "/staff/"),
    "staff_remove": (302, "/staff/"),
    "staff_invitation_revoke": (302, "/staff/"),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("view", list(OWNER_RESPONSE))
def test_authorization_matrix(alpha, beta, view, actor):
    invitation_id = open_invitation(alpha)
    assert open_invitation(beta) == invitation_id  # look-alike ids
    method, path, data = view_cases(alpha)[view]
    path = path.format(invitation=invitation_id)
    http = client_for(actor, alpha, beta)
    before_alpha, before_beta = state(alpha), state(beta)

    response = getattr(http, method)(path, data)
    not_found = page_without_tokens(http.get("/no-such-page/"))

    body = response.content.decode()
    if actor in ("anonymous", "client_of_another_practice"):
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/sign-in/?next={path}"
        assert body == ""
        assert state(alpha) == before_alpha
    elif view == "home" and actor == "client":
        # A client's home is their portal dashboard.
        assert response.status_code == 302
        assert response["Location"] == "/portal/"
        assert state(alpha) == before_alpha
    elif view == "home":
        assert response.status_code == 200
        assert f"Welcome, {getattr(alpha, actor).full_name}" in body
        assert "Alpha Therapy" in body
        assert "Beta Counselling" not in body
        assert state(alpha) == before_alpha
    elif actor != "owner":
        # Same answer as a page that does not exist; nothing of the owner's page leaks.
        assert response.status_code == 404
        assert page_without_tokens(response) == not_found
        for text in STAFF_ONLY_TEXT:
            assert text not in body
        assert state(alpha) == before_alpha
    else:
        status, location = OWNER_RESPONSE[view]
        assert response.status_code == status
        if location:
            assert response["Location"] == location
        else:
            assert "Invite a colleague" in body
            assert "Beta Counselling" not in body
        assert state(alpha) == owner_change(view, before_alpha, alpha)
    assert state(beta) == before_beta


@pytest.mark.parametrize("path", ["/staff/invite/", "/staff/1/role/", "/staff/1/remove/",
                                  "/staff/invitations/1/revoke/"])
def test_owner_actions_only_accept_post(alpha, beta, path):
    open_invitation(alpha)
    before_alpha, before_beta = state(alpha), state(beta)

    response = alpha.http(alpha.owner).get(path)

    assert response.status_code == 405
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


@pytest.mark.parametrize(
    ("path", "data"),
    [("/staff/{user}/role/", {"role": "billing"}),
     ("/staff/{user}/remove/", {}),
     ("/staff/invitations/{invitation}/revoke/", {})],
    ids=["role", "remove", "revoke"],
)
def test_an_object_of_another_practice_is_as_missing_as_no_object(alpha, beta, path, data):
    # Objects that exist only in beta: a sixth person and a second invitation.
    with schema_context(beta.practice.schema_name):
        beta_only_user = User.objects.create_user(
            "only-beta@example.org", PASSWORD, full_name="Bea Only", role=Role.CLINICIAN
        ).pk
    open_invitation(beta)
    with schema_context(beta.practice.schema_name):
        beta_only_invitation = services.staff_invite(
            email="second@example.org", full_name="Sam Second",
            role=Role.FRONT_DESK, actor=Actor.of(beta.owner, practice=beta.practice),
        ).pk
    with schema_context(alpha.practice.schema_name):
        assert not User.objects.filter(pk=beta_only_user).exists()
        assert not StaffInvitation.objects.filter(pk=beta_only_invitation).exists()
    before_alpha, before_beta = state(alpha), state(beta)
    http = alpha.http(alpha.owner)

    from_beta = http.post(path.format(user=beta_only_user, invitation=beta_only_invitation), data)
    missing = http.post(path.format(user=999_999, invitation=999_999), data)

    assert from_beta.status_code == missing.status_code == 404
    assert page_without_tokens(from_beta) == page_without_tokens(missing)
    assert "Bea Only" not in from_beta.content.decode()
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


def test_an_owner_of_another_practice_is_nobody_here(alpha, beta):
    """Beta's owner session (same email and id as alpha's owner) cannot manage alpha's staff."""
    beta_owner_session = beta.http(beta.owner).cookies[settings.SESSION_COOKIE_NAME].value
    http = alpha.http()
    http.cookies[settings.SESSION_COOKIE_NAME] = beta_owner_session
    before_alpha, before_beta = state(alpha), state(beta)

    removed = http.post(f"/staff/{alpha.clinician.pk}/remove/")
    listed = http.get("/staff/")

    assert removed.status_code == listed.status_code == 302
    assert removed["Location"] == f"/accounts/sign-in/?next=/staff/{alpha.clinician.pk}/remove/"
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta

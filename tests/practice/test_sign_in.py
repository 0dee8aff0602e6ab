"""Signing in and out on a practice's host, the audit it leaves, the practice's name on its
pages, and django-axes' lockout (per practice: its tables live in each schema)."""

from __future__ import annotations

import json
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld

IP = "203.0.113.7"
USER_AGENT = "TandemTest/1.0 (sign-in)"
WRONG_PASSWORD = "not-the-password-42"
AUDIT_FIELDS = ("action", "actor_id", "actor_role", "object_type", "object_id", "ip_address",
                "user_agent", "detail")


def browser(world: PracticeWorld, ip: str = IP) -> Client:
    return Client(HTTP_HOST=world.host, REMOTE_ADDR=ip, HTTP_USER_AGENT=USER_AGENT)


def sign_in(http: Client, email: str, password: str = PASSWORD):
    return http.post("/accounts/sign-in/", {"username": email, "password": password})


def auth_events(world: PracticeWorld) -> list[dict]:
    with schema_context(world.practice.schema_name):
        return list(
            AuditEvent.objects.filter(action__startswith="auth.").order_by("id")
            .values(*AUDIT_FIELDS)
        )


def session_user_ids(world: PracticeWorld) -> list[str]:
    with schema_context(world.practice.schema_name):
        return [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]


def event(action: str, user: User | None, **detail: str) -> dict:
    return {
        "action": action,
        "actor_id": user.pk if user else None,
        "actor_role": user.role if user else "",
        "object_type": "user" if user else "",
        "object_id": str(user.pk) if user else "",
        "ip_address": IP,
        "user_agent": USER_AGENT,
        "detail": detail,
    }


def test_sign_in_starts_a_session_in_the_practice_and_is_audited(alpha, beta):
    http = browser(alpha)

    response = sign_in(http, "owner@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/"
    with schema_context(alpha.practice.schema_name):
        session = Session.objects.get(pk=http.cookies[settings.SESSION_COOKIE_NAME].value)
        assert session.get_decoded()["_auth_user_id"] == str(alpha.owner.pk)
    assert auth_events(alpha) == [event("auth.signed_in", alpha.owner)]
    home = http.get("/")
    assert home.status_code == 200
    assert "You are signed in to Alpha Therapy as owner." in home.content.decode()
    # Beta has the same email and ids, and saw nothing of it.
    assert session_user_ids(beta) == []
    assert auth_events(beta) == []


def test_sign_out_ends_the_session_and_is_audited(alpha, beta):
    http = browser(alpha)
    assert sign_in(http, "clinician@example.org").status_code == 302
    beta_http = browser(beta)
    assert sign_in(beta_http, "clinician@example.org").status_code == 302

    # Signing out is a POST: a link or an image cannot sign anyone out.
    assert http.get("/accounts/sign-out/").status_code == 405
    assert session_user_ids(alpha) == [str(alpha.clinician.pk)]
    response = http.post("/accounts/sign-out/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/"
    assert session_user_ids(alpha) == []
    after = http.get("/")
    assert after.status_code == 302
    assert after["Location"] == "/accounts/sign-in/?next=/"
    assert [e["action"] for e in auth_events(alpha)] == ["auth.signed_in", "auth.signed_out"]
    assert auth_events(alpha)[1] == event("auth.signed_out", alpha.clinician)
    # Beta's session of the look-alike clinician is untouched.
    assert session_user_ids(beta) == [str(beta.clinician.pk)]
    assert beta_http.get("/").status_code == 200
    assert [e["action"] for e in auth_events(beta)] == ["auth.signed_in"]


@pytest.mark.parametrize(
    ("email", "detail"),
    [("owner@example.org", {"user_id": "1"}), ("nobody@example.org", {})],
    ids=["known-email", "unknown-email"],
)
def test_failed_sign_in_is_audited_without_password_or_email(alpha, beta, email, detail):
    http = browser(alpha)

    response = sign_in(http, email, WRONG_PASSWORD)

    assert response.status_code == 200
    body = response.content.decode()
    assert "That email and password do not match an account here." in body
    assert WRONG_PASSWORD not in body
    assert session_user_ids(alpha) == []
    assert auth_events(alpha) == [event("auth.sign_in_failed", None, **detail)]
    with schema_context(alpha.practice.schema_name):
        everything = json.dumps(list(AuditEvent.objects.values(*AUDIT_FIELDS)), default=str)
    assert WRONG_PASSWORD not in everything
    assert email not in everything
    assert auth_events(beta) == []


def test_a_user_of_one_practice_cannot_sign_in_on_another(alpha, beta):
    with schema_context(alpha.practice.schema_name):
        User.objects.create_user("only-alpha@example.org", PASSWORD, full_name="Al Pha",
                                 role=Role.CLINICIAN)

    response = sign_in(browser(beta), "only-alpha@example.org")

    assert response.status_code == 200
    assert "That email and password do not match an account here." in response.content.decode()
    assert session_user_ids(beta) == []
    assert auth_events(beta) == [event("auth.sign_in_failed", None)]
    assert auth_events(alpha) == []


def test_a_removed_person_cannot_sign_in(alpha, beta):
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.billing.pk).update(is_active=False)

    assert sign_in(browser(alpha), "billing@example.org").status_code == 200
    assert session_user_ids(alpha) == []
    # The look-alike in beta is still active.
    assert sign_in(browser(beta), "billing@example.org").status_code == 302


# --- The practice's name on its pages ---------------------------------------------------------

PAGES = [
    (None, "/accounts/sign-in/"),
    (None, "/accounts/password-reset/"),
    (None, "/accounts/password-reset/sent/"),
    (None, "/accounts/password-reset/done/"),
    ("owner", "/"),
    ("owner", "/staff/"),
    ("clinician", "/"),
    ("front_desk", "/"),
    ("billing", "/"),
    ("client", "/portal/"),
    ("client", "/portal/help/"),
]


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_every_page_carries_its_own_practice_name(alpha, beta, role, path):
    for world, own, other in [(alpha, "Alpha Therapy", "Beta Counselling"),
                              (beta, "Beta Counselling", "Alpha Therapy")]:
        user = getattr(world, role) if role else None
        response = world.http(user).get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert re.search(rf"<title>[^<]* · {own}</title>", body)
        header = re.search(r'<header class="top">.*?</header>', body, re.DOTALL)
        assert header is not None
        assert own in header.group()
        assert other not in body


def test_sign_in_page_names_the_practice(alpha, beta):
    body = alpha.http().get("/accounts/sign-in/").content.decode()
    assert "<h1>Sign in to Alpha Therapy</h1>" in body
    assert "Beta Counselling" not in body


# --- Lockout (django-axes) ---------------------------------------------------------------------

LOCKED_MESSAGE = "Too many sign-in attempts failed."


def test_lockout_after_the_failure_limit_even_with_the_right_password(alpha, beta):
    assert settings.AXES_FAILURE_LIMIT == 5
    http = browser(alpha)

    statuses = [sign_in(http, "owner@example.org", WRONG_PASSWORD).status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    locked = sign_in(http, "owner@example.org", PASSWORD)

    # The attempt that reaches the limit is already answered with the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "<h1>Sign-in paused</h1>" in body
    assert (f"{LOCKED_MESSAGE} For your security, signing in to this account from here is "
            "paused for 15 minutes.") in body
    assert "Alpha Therapy" in body
    assert session_user_ids(alpha) == []
    assert [e["action"] for e in auth_events(alpha)] == ["auth.sign_in_failed"] * 6
    with schema_context(alpha.practice.schema_name):
        assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
            ("owner@example.org", IP)
        ]

    # Another account from the same address is not locked: the lockout is per account.
    assert sign_in(browser(alpha), "clinician@example.org").status_code == 302
    # The same email in another practice signs in: the lockout lives in alpha's schema.
    beta_http = browser(beta)
    assert sign_in(beta_http, "owner@example.org").status_code == 302
    assert session_user_ids(beta) == [str(beta.owner.pk)]
    with schema_context(beta.practice.schema_name):
        assert AccessAttempt.objects.count() == 0


def test_lockout_in_one_practice_does_not_touch_the_other(alpha, beta):
    http = browser(beta)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(http, "owner@example.org", WRONG_PASSWORD)
    assert sign_in(http, "owner@example.org").status_code == 429

    alpha_http = browser(alpha)
    assert sign_in(alpha_http, "owner@example.org").status_code == 302
    assert session_user_ids(alpha) == [str(alpha.owner.pk)]
    with schema_context(alpha.practice.schema_name):
        assert AccessAttempt.objects.count() == 0

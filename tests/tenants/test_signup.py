"""Signup on the control plane: the practice is provisioned, the owner is handed off to the new
host with a signed, single-use, short-lived token, and a bad subdomain creates nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client
from django.utils.html import escape
from django_tenants.utils import schema_context

from controlplane.auth_views import HANDOFF_SALT, handoff_token
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Domain, Practice
from tests.conftest import PASSWORD, PracticeWorld
from tests.tenants import schema_names

pytestmark = pytest.mark.django_db

HANDOFF_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)" id="handoff">\s*'
    r'<input type="hidden" name="token" value="(?P<token>[^"]+)">'
)


@pytest.fixture(autouse=True)
def _plain_urls(settings: Any) -> None:
    settings.PLATFORM_SCHEME = "http"
    settings.PLATFORM_PORT = ""


def _signup_data(subdomain: str, name: str = "Gamma Care") -> dict[str, str]:
    return {
        "practice_name": name,
        "subdomain": subdomain,
        "owner_name": "Gabriel Owner",
        "owner_email": "gabriel@example.org",
        "owner_password": PASSWORD,
    }


def _sign_up(public_http: Client, subdomain: str, name: str = "Gamma Care") -> str:
    """Sign up through the form and return the hand-off token the page posts onwards."""
    response = public_http.post("/signup/", _signup_data(subdomain, name))
    assert response.status_code == 200
    match = HANDOFF_FORM.search(response.content.decode())
    assert match is not None
    assert match["action"] == f"http://{subdomain}.localhost/auth/handoff/"
    return match["token"]


def _footprint() -> tuple[int, int, set[str], int]:
    with schema_context("public"):
        return (Practice.objects.count(), Domain.objects.count(), schema_names(),
                AuditEvent.objects.count())


def test_signup_provisions_the_practice_and_hands_the_owner_over(public_http: Client) -> None:
    token = _sign_up(public_http, "gamma")

    practice = Practice.objects.get(subdomain="gamma")
    assert practice.name == "Gamma Care"
    assert list(Domain.objects.filter(tenant=practice).values_list("domain", flat=True)) == [
        "gamma.localhost"
    ]
    with schema_context(practice.schema_name):
        owner = User.objects.get()
        assert (owner.email, owner.full_name, owner.role) == (
            "gabriel@example.org", "Gabriel Owner", Role.OWNER)
        practice_events = list(AuditEvent.objects.filter(action="practice.provisioned")
                               .values_list("actor_id", "actor_role", "object_id"))
    assert practice_events == [(owner.pk, "owner", str(practice.pk))]
    with schema_context("public"):
        public_events = list(AuditEvent.objects.filter(action="practice.provisioned")
                             .values_list("actor_id", "actor_role", "object_id"))
    assert public_events == [(None, "signup", str(practice.pk))]
    # The control plane itself stays signed out: the session belongs to the practice's host.
    assert "sessionid" not in public_http.cookies

    browser = Client(HTTP_HOST="gamma.localhost")
    response = browser.post("/auth/handoff/", {"token": token})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["sessionid"]["domain"] == ""
    home = browser.get("/")
    assert home.status_code == 200
    assert "Welcome, Gabriel Owner" in home.content.decode()
    assert "Gamma Care" in home.content.decode()
    with schema_context(practice.schema_name):
        assert list(AuditEvent.objects.filter(action="auth.signed_in")
                    .values_list("actor_id", "detail")) == [(owner.pk, {"via": "signup"})]


def _signed_in(practice: Practice) -> tuple[list[Any], int]:
    """The sign-in audit events and the sessions in a practice."""
    with schema_context(practice.schema_name):
        return (list(AuditEvent.objects.filter(action="auth.signed_in")
                     .values_list("actor_id", flat=True)), Session.objects.count())


def _assert_refused(response: Any, browser: Client, message: str, practice: Practice) -> None:
    """The hand-off said why, set no session, and signed nobody in."""
    assert response.status_code == 400
    alert = re.search(r'<p role="alert">([^<]*)</p>', response.content.decode())
    assert alert is not None
    assert alert[1] == f"{message} Nobody was signed in."
    assert "sessionid" not in response.cookies
    assert browser.get("/").status_code == 302
    assert _signed_in(practice) == ([], 0)


def test_the_handoff_page_posts_with_a_static_script_and_names_its_origin(
        public_http: Client) -> None:
    response = public_http.post("/signup/", _signup_data("gamma"))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "origin"
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert re.findall(r"<script[^>]*>", body) == [
        '<script src="/static/controlplane/handoff.js">']
    assert "<script>" not in body
    assert '<button type="submit">Continue to your portal</button>' in body


def test_a_handoff_token_works_once(public_http: Client) -> None:
    token = _sign_up(public_http, "gamma")
    practice = Practice.objects.get(subdomain="gamma")
    assert Client(HTTP_HOST="gamma.localhost").post(
        "/auth/handoff/", {"token": token}).status_code == 302
    before = _signed_in(practice)

    second = Client(HTTP_HOST="gamma.localhost")
    response = second.post("/auth/handoff/", {"token": token})

    assert response.status_code == 400
    assert "This sign-in link was already used. Nobody was signed in." in (
        response.content.decode())
    assert "sessionid" not in response.cookies
    assert second.get("/").status_code == 302
    assert _signed_in(practice) == before
    assert len(before[0]) == before[1] == 1


def test_a_handoff_token_for_one_practice_is_refused_by_another(
    public_http: Client, beta: PracticeWorld
) -> None:
    token = _sign_up(public_http, "gamma")
    on_beta = beta.http()

    response = on_beta.post("/auth/handoff/", {"token": token})

    _assert_refused(response, on_beta, "This sign-in link is not for this practice.",
                    beta.practice)
    # Refusing it elsewhere did not use it up: the right host still accepts it.
    assert Client(HTTP_HOST="gamma.localhost").post(
        "/auth/handoff/", {"token": token}).status_code == 302
    assert _signed_in(beta.practice) == ([], 0)


def test_an_expired_handoff_token_is_refused(public_http: Client, settings: Any) -> None:
    token = _sign_up(public_http, "gamma")
    settings.LOGIN_HANDOFF_MAX_AGE = -1
    browser = Client(HTTP_HOST="gamma.localhost")

    response = browser.post("/auth/handoff/", {"token": token})

    _assert_refused(response, browser, "This sign-in link has expired.",
                    Practice.objects.get(subdomain="gamma"))


def test_a_forged_handoff_token_is_refused(public_http: Client) -> None:
    _sign_up(public_http, "gamma")
    practice = Practice.objects.get(subdomain="gamma")
    with schema_context(practice.schema_name):
        owner = User.objects.get()
    forged = signing.dumps({"s": practice.schema_name, "u": owner.pk, "n": "x"},
                           key="not-our-secret", salt=HANDOFF_SALT)
    browser = Client(HTTP_HOST="gamma.localhost")

    response = browser.post("/auth/handoff/", {"token": forged})

    _assert_refused(response, browser, "This sign-in link is not valid.", practice)


def test_a_handoff_token_of_a_deactivated_person_is_refused(alpha: PracticeWorld) -> None:
    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.clinician.pk,
                          nonce="deactivated")
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.clinician.pk).update(is_active=False)
    browser = alpha.http()

    response = browser.post("/auth/handoff/", {"token": token})

    _assert_refused(response, browser, "This sign-in link is not valid.", alpha.practice)


def test_the_handoff_answers_only_posts(alpha: PracticeWorld) -> None:
    response = alpha.http().get("/auth/handoff/")

    assert response.status_code == 405
    assert _signed_in(alpha.practice) == ([], 0)


@pytest.mark.parametrize("origin", [
    "http://localhost",  # the control plane (signup)
    "http://alpha-old.localhost",  # a practice host (a subdomain rename)
])
def test_the_handoff_accepts_a_post_from_the_platform(
        alpha: PracticeWorld, beta: PracticeWorld, origin: str) -> None:
    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.owner.pk,
                          nonce="from-the-platform")
    browser = alpha.http()

    response = browser.post("/auth/handoff/", {"token": token}, HTTP_ORIGIN=origin)

    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    assert _signed_in(alpha.practice) == ([alpha.owner.pk], 1)
    assert _signed_in(beta.practice) == ([], 0)


@pytest.mark.parametrize("origin", [
    "null",  # a page that hides where it is (sandboxed, or `Referrer-Policy: no-referrer`)
    "http://evil.example",
    "http://localhost.evil.example",
    "http://evil-localhost",
    "https://localhost",  # another scheme
    "http://localhost:8443",  # another port
    "http://localhost:port",
    "http://[localhost",
    "",
])
def test_the_handoff_refuses_a_post_from_anywhere_else(
        alpha: PracticeWorld, beta: PracticeWorld, origin: str) -> None:
    """Login CSRF: a valid, unused token of a practice someone made, posted from their page,
    would sign the visitor in as them."""
    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.owner.pk,
                          nonce="from-elsewhere")
    browser = alpha.http()

    response = browser.post("/auth/handoff/", {"token": token}, HTTP_ORIGIN=origin)

    _assert_refused(response, browser, "This sign-in link did not come from us.",
                    alpha.practice)
    assert _signed_in(beta.practice) == ([], 0)


def test_the_handoff_rotates_a_session_planted_before_it(alpha: PracticeWorld) -> None:
    """Session fixation: a session id set in the browser before the hand-off is not the one
    that ends up signed in."""
    with schema_context(alpha.practice.schema_name):
        planted = SessionStore()
        planted["planted"] = True
        planted.create()
    browser = alpha.http()
    browser.cookies["sessionid"] = planted.session_key
    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.owner.pk,
                          nonce="fixation")

    response = browser.post("/auth/handoff/", {"token": token})

    assert response.status_code == 302
    signed_in = response.cookies["sessionid"].value
    assert signed_in != planted.session_key
    with schema_context(alpha.practice.schema_name):
        assert list(Session.objects.values_list("session_key", flat=True)) == [signed_in]
        assert SessionStore(signed_in)["_auth_user_id"] == str(alpha.owner.pk)
    planted_again = Client(HTTP_HOST=alpha.host)
    planted_again.cookies["sessionid"] = planted.session_key
    assert planted_again.get("/").status_code == 302


def test_csrf_is_still_checked_everywhere_but_the_handoff(alpha: PracticeWorld) -> None:
    strict = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)

    sign_in = strict.post("/accounts/sign-in/", {"username": "owner@example.org",
                                                 "password": PASSWORD})
    assert sign_in.status_code == 403
    assert _signed_in(alpha.practice) == ([], 0)

    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.owner.pk,
                          nonce="no-csrf-cookie")
    assert strict.post("/auth/handoff/", {"token": token}).status_code == 302
    assert _signed_in(alpha.practice) == ([alpha.owner.pk], 1)
    # Signed in, the session's pages check CSRF as before.
    assert strict.post("/accounts/sign-out/").status_code == 403
    assert strict.get("/").status_code == 200


@pytest.mark.parametrize(("subdomain", "message"), [
    ("www", "“www” is reserved for the platform. Choose another."),
    ("billing", "“billing” is reserved for the platform. Choose another."),
    ("Gamma", "Use only lowercase letters (a-z), digits and hyphens."),
    ("gam_ma", "Use only lowercase letters (a-z), digits and hyphens."),
    ("-gamma", "A hyphen can only stand inside the subdomain, not at its start or end."),
    ("gam--ma", "Use single hyphens only."),
    ("gm", "Use 3 to 40 characters (this has 2)."),
    ("g" * 41, "Use 3 to 40 characters (this has 41)."),
    ("alpha", "That subdomain is already taken. Choose another."),
])
def test_signup_with_a_bad_subdomain_says_why_and_creates_nothing(
    subdomain: str, message: str, alpha: PracticeWorld, public_http: Client
) -> None:
    before = _footprint()

    response = public_http.post("/signup/", _signup_data(subdomain, name="Other Practice"))

    body = response.content.decode()
    assert response.status_code == 400
    assert escape(message) in body
    assert 'id="handoff"' not in body
    assert _footprint() == before
    assert Practice.objects.filter(name="Other Practice").count() == 0
    assert Practice.objects.get(subdomain="alpha").name == "Alpha Therapy"


def test_signup_reports_every_problem_in_one_answer(
    alpha: PracticeWorld, public_http: Client
) -> None:
    """A taken subdomain, a bad email, a weak password and no practice name: all four said at
    once, each beside its field and in the summary on top, and nothing is created."""
    before = _footprint()

    response = public_http.post("/signup/", {
        "practice_name": "  ", "subdomain": "alpha", "owner_name": "Gabriel Owner",
        "owner_email": "gabriel@", "owner_password": "password"})

    body = response.content.decode()
    assert response.status_code == 400
    errors = re.findall(r'<p class="error" id="id_(\w+)_error">([^<]+)</p>', body)
    assert errors == [
        ("practice_name", "This field is required."),
        ("subdomain", "That subdomain is already taken. Choose another."),
        ("owner_email", "Enter a valid email address."),
        ("owner_password", "This password is too short. It must contain at least 10 characters."),
        ("owner_password", "This password is too common."),
    ]
    assert "There are 4 problems" in body
    assert body.count('<li><a href="#id_') == 5
    assert '<a href="#id_owner_email">Your email: Enter a valid email address.</a>' in body
    assert 'id="handoff"' not in body
    assert _footprint() == before
    assert Practice.objects.get(subdomain="alpha").name == "Alpha Therapy"


def test_signup_with_one_problem_says_so_in_the_singular(db, public_http: Client) -> None:
    data = _signup_data("gamma")
    data["owner_password"] = "password"

    response = public_http.post("/signup/", data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert re.findall(r'<p class="error" id="id_(\w+)_error">', body) == [
        "owner_password", "owner_password"]
    assert Practice.objects.filter(subdomain="gamma").count() == 0


def test_signup_lives_only_on_the_public_host(alpha: PracticeWorld) -> None:
    before = _footprint()

    assert alpha.http().get("/signup/").status_code == 404
    assert alpha.http().post("/signup/", _signup_data("gamma")).status_code == 404
    assert _footprint() == before


def test_signups_are_rate_limited_per_address(db, public_http, settings) -> None:
    from tenants.models import Practice

    settings.SIGNUP_RATE = "2/h"
    for number in range(2):
        response = public_http.post("/signup/", {
            "practice_name": f"Limit {number}", "subdomain": f"limit-{number}",
            "owner_name": "Owner", "owner_email": f"o{number}@example.org",
            "owner_password": "correct-horse-battery-9",
        })
        assert response.status_code == 200
    refused = public_http.post("/signup/", {
        "practice_name": "Limit 3", "subdomain": "limit-3", "owner_name": "Owner",
        "owner_email": "o3@example.org", "owner_password": "correct-horse-battery-9",
    })
    assert refused.status_code == 429
    assert "Too many signups" in refused.content.decode()
    assert sorted(Practice.objects.values_list("subdomain", flat=True)) == ["limit-0", "limit-1"]

"""Signup on the control plane: the practice is provisioned, the owner is handed off to the new
host with a signed, single-use, short-lived token, and a bad subdomain creates nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils.html import escape
from django_tenants.utils import schema_context

from controlplane.auth_views import HANDOFF_SALT
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


def test_a_handoff_token_works_once(public_http: Client) -> None:
    token = _sign_up(public_http, "gamma")
    assert Client(HTTP_HOST="gamma.localhost").post(
        "/auth/handoff/", {"token": token}).status_code == 302

    second = Client(HTTP_HOST="gamma.localhost")
    response = second.post("/auth/handoff/", {"token": token})

    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert "sessionid" not in response.cookies
    assert second.get("/").status_code == 302


def test_a_handoff_token_for_one_practice_is_refused_by_another(
    public_http: Client, beta: PracticeWorld
) -> None:
    token = _sign_up(public_http, "gamma")
    on_beta = beta.http()

    response = on_beta.post("/auth/handoff/", {"token": token})

    assert response.status_code == 400
    assert "not for this practice" in response.content.decode()
    assert "sessionid" not in response.cookies
    assert on_beta.get("/").status_code == 302
    with schema_context(beta.practice.schema_name):
        assert AuditEvent.objects.filter(action="auth.signed_in").count() == 0
    # Refusing it elsewhere did not use it up: the right host still accepts it.
    assert Client(HTTP_HOST="gamma.localhost").post(
        "/auth/handoff/", {"token": token}).status_code == 302


def test_an_expired_handoff_token_is_refused(public_http: Client, settings: Any) -> None:
    token = _sign_up(public_http, "gamma")
    settings.LOGIN_HANDOFF_MAX_AGE = -1
    browser = Client(HTTP_HOST="gamma.localhost")

    response = browser.post("/auth/handoff/", {"token": token})

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert "sessionid" not in response.cookies
    assert browser.get("/").status_code == 302


def test_a_forged_handoff_token_is_refused(public_http: Client) -> None:
    _sign_up(public_http, "gamma")
    practice = Practice.objects.get(subdomain="gamma")
    forged = signing.dumps({"s": practice.schema_name, "u": 1, "n": "x"}, key="not-our-secret",
                           salt=HANDOFF_SALT)
    browser = Client(HTTP_HOST="gamma.localhost")

    response = browser.post("/auth/handoff/", {"token": forged})

    assert response.status_code == 400
    assert browser.get("/").status_code == 302


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

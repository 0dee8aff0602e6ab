"""Routing by host: each practice is reached only through its own subdomain, its people and
sessions exist only there, and a host the platform does not know is a platform 404."""

from __future__ import annotations

import json

from django.contrib.sessions.models import Session
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tests.conftest import PracticeWorld
from tests.tenants import sign_in

ALPHA_ONLY_PASSWORD = "alpha-only-passphrase-71"
PLATFORM_404_TEXT = "There is no page at this address."
PUBLIC_SITE_TEXT = "Therapy happens between sessions too"


def _set_password(world: PracticeWorld, user: User, password: str) -> None:
    with schema_context(world.practice.schema_name):
        user.set_password(password)
        user.save(update_fields=["password"])


def _session_count(world: PracticeWorld) -> int:
    with schema_context(world.practice.schema_name):
        return Session.objects.count()


def test_a_user_of_one_practice_cannot_sign_in_on_another(
    alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    # beta has an owner with the same email and id; only the password tells them apart.
    _set_password(alpha, alpha.owner, ALPHA_ONLY_PASSWORD)

    on_beta = beta.http()
    response = sign_in(on_beta, "owner@example.org", ALPHA_ONLY_PASSWORD)

    assert response.status_code == 200
    assert "That email and password do not match an account here." in response.content.decode()
    assert "sessionid" not in response.cookies
    assert _session_count(beta) == 0
    home = on_beta.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/accounts/sign-in/?next=/"

    # The same credentials are good on alpha's own host.
    on_alpha = alpha.http()
    assert sign_in(on_alpha, "owner@example.org", ALPHA_ONLY_PASSWORD).status_code == 302
    page = on_alpha.get("/")
    assert page.status_code == 200
    assert "Welcome, Olivia Owner" in page.content.decode()
    assert "Alpha Therapy" in page.content.decode()
    assert _session_count(alpha) == 1


def test_a_session_cookie_from_one_practice_is_anonymous_on_another(
    alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    on_alpha = alpha.http()
    assert sign_in(on_alpha, alpha.owner.email).status_code == 302
    session_id = on_alpha.cookies["sessionid"].value
    assert on_alpha.get("/").status_code == 200

    on_beta = Client(HTTP_HOST=beta.host)
    on_beta.cookies["sessionid"] = session_id
    for path in ["/", "/staff/"]:
        response = on_beta.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/sign-in/?next={path}"
    sign_in_page = on_beta.get("/accounts/sign-in/").content.decode()
    assert "Olivia Owner" not in sign_in_page
    assert "Alpha Therapy" not in sign_in_page
    assert _session_count(beta) == 0
    # alpha's session is still good on alpha.
    assert on_alpha.get("/").status_code == 200


def test_session_and_csrf_cookies_are_host_only(alpha: PracticeWorld) -> None:
    http = alpha.http()
    page = http.get("/accounts/sign-in/")
    signed_in = sign_in(http, alpha.owner.email)

    csrf_cookie = page.cookies["csrftoken"]
    session_cookie = signed_in.cookies["sessionid"]
    assert csrf_cookie["domain"] == ""
    assert session_cookie["domain"] == ""
    assert "domain=" not in csrf_cookie.output().lower()
    assert "domain=" not in session_cookie.output().lower()
    assert session_cookie["httponly"] is True


UNKNOWN_HOSTS = ["nope.localhost", "evil.example.com", "alpha.localhost.evil.com",
                 "deeper.alpha.localhost", "alpha.localhost:8000.evil.com"]


def test_an_unknown_host_is_the_platform_404(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    for host in UNKNOWN_HOSTS:
        for path in ["/", "/accounts/sign-in/", "/signup/", "/operator/"]:
            response = Client(HTTP_HOST=host).get(path)
            body = response.content.decode()
            assert response.status_code == 404, (host, path)
            assert PLATFORM_404_TEXT in body
            assert PUBLIC_SITE_TEXT not in body
            assert "Alpha Therapy" not in body
            assert "Beta Counselling" not in body
            assert "sessionid" not in response.cookies
            assert "csrftoken" not in response.cookies


def test_health_checks_answer_on_every_host(alpha: PracticeWorld) -> None:
    for host in ["localhost", "alpha.localhost", *UNKNOWN_HOSTS]:
        alive = Client(HTTP_HOST=host).get("/healthz")
        ready = Client(HTTP_HOST=host).get("/readyz")

        assert alive.status_code == 200, host
        assert json.loads(alive.content) == {"status": "ok"}
        assert ready.status_code == 200, host
        assert json.loads(ready.content) == {"status": "ok", "database": "ok", "redis": "ok"}

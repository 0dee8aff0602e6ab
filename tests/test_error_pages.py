"""People never see Django's technical error pages, not even under DEBUG (as `make run` runs):
a missing page, a module switched off, a page their role may not open and a failing view all
show the practice's own page, and "not there" reads exactly like "not yours". Pages and the API
agree on 403 against 404 (docs/errors.md)."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import Role, User
from tenants.models import Practice
from tests.conftest import PASSWORD

TECHNICAL = ("Page not found (404)", "URLconf", "DEBUG = True", "Traceback", "NONE,NOARCHIVE",
             "kaboom-7c1", "Request Method")


def _main(response) -> str:
    """What the page says, without the per-person menu around it."""
    match = re.search(r"<main[^>]*>(.*)</main>", response.content.decode(), re.S)
    assert match, response.content.decode()[:500]
    return match.group(1)


def _not_technical(response) -> None:
    body = response.content.decode()
    for text in TECHNICAL:
        assert text not in body, text


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_missing_page_is_the_practices_own_page(alpha, beta, debug) -> None:
    for who in (None, alpha.client, alpha.clinician):
        response = alpha.http(who).get("/no-such-page/")
        assert response.status_code == 404
        _not_technical(response)
        body = response.content.decode()
        assert "<h1>Page not found</h1>" in body
        assert "There is no page at this address in Alpha Therapy's portal." in body
        assert "Beta Counselling" not in body


def test_the_control_plane_has_a_plain_404(public_http, debug) -> None:
    response = public_http.get("/no-such-page/")
    assert response.status_code == 404
    _not_technical(response)
    assert "There is no page at this address." in response.content.decode()


def test_a_failing_view_shows_the_branded_500_and_logs_the_traceback(alpha, beta, debug,
                                                                      settings, caplog) -> None:
    settings.ROOT_URLCONF = "tests.errors_urls"
    http = Client(HTTP_HOST=alpha.host, raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        page = http.get("/boom/")
        api = http.get("/api/v1/boom")
    assert page.status_code == 500
    _not_technical(page)
    body = page.content.decode()
    assert "<h1>Something went wrong</h1>" in body
    assert "<strong>Alpha Therapy</strong>" in body
    assert "Beta Counselling" not in body
    assert (api.status_code, api.json()) == (500, {"detail": "Something went wrong."})
    # The developer's traceback is in the console log, one per failure.
    failures = [record for record in caplog.records
                if record.name == "django.request" and record.exc_info]
    assert [str(record.exc_info[1]) for record in failures] == ["kaboom-7c1 in the view"] * 2


def test_a_domain_refusal_is_answered_once_the_same_way(alpha, debug, settings) -> None:
    """tenants.refusals: the API answers each with its status and message, and a lookup that
    found nothing as 404, with no try/except in the view; a page shows the error page of the
    status (a missing record as the not-found page), never a 500."""
    settings.ROOT_URLCONF = "tests.errors_urls"
    http = Client(HTTP_HOST=alpha.host, raise_request_exception=False)
    assert (http.get("/api/v1/refused/missing").status_code,
            http.get("/api/v1/refused/missing").json()) == (404, {"detail": "Not found."})
    assert http.get("/api/v1/refused/lookup").status_code == 404
    conflict = http.get("/api/v1/refused/conflict")
    assert (conflict.status_code, conflict.json()) == (
        409, {"detail": "That time was just taken."})
    page = http.get("/refused/missing/")
    assert page.status_code == 404 and "There is no page at this address in Alpha Therapy" in (
        page.content.decode())
    assert http.get("/refused/conflict/").status_code == 409


def test_an_expired_form_is_explained_not_technical(alpha, beta, debug) -> None:
    http = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    response = http.post("/accounts/sign-in/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    _not_technical(response)
    assert "<h1>This page has expired</h1>" in response.content.decode()
    assert "CSRF" not in response.content.decode()


def _turn_off(world, module: str) -> None:
    modules = [key for key in world.practice.enabled_modules if key != module]
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=modules)


def test_pages_and_the_api_agree(alpha, beta, debug) -> None:
    """Each row: who asks, the page, the API endpoint, and the one status both answer."""
    with schema_context(beta.practice.schema_name):
        beta_only = User.objects.create_user("only-beta@example.org", PASSWORD,
                                             full_name="Bea Only", role=Role.CLIENT)
    connection.set_schema_to_public()
    client = alpha.client.pk
    rows = [
        # a missing object
        ("owner", "/care/clients/999999/safety-plan/", "/api/v1/clients/999999/fhir", 404),
        # another practice's object
        ("owner", f"/care/clients/{beta_only.pk}/safety-plan/",
         f"/api/v1/clients/{beta_only.pk}/fhir", 404),
        # a role that may not open it
        ("front_desk", f"/care/clients/{client}/safety-plan/", f"/api/v1/clients/{client}/fhir",
         404),
        ("billing", "/clinic/alerts/", "/api/v1/alerts", 404),
        ("client", "/clinic/alerts/", "/api/v1/alerts", 404),
        ("front_desk", "/messages/", "/api/v1/conversations", 404),
        # allowed
        ("owner", f"/care/clients/{client}/safety-plan/", f"/api/v1/clients/{client}/fhir", 200),
    ]
    pages: dict[str, list[str]] = {}
    for who, page_path, api_path, status in rows:
        http = alpha.http(getattr(alpha, who))
        page, api = http.get(page_path), http.get(api_path)
        assert (page.status_code, api.status_code) == (status, status), (who, page_path)
        if status == 404:
            _not_technical(page)
            pages.setdefault("404", []).append(_main(page))
            assert api.json() == {"detail": "Not found."}, (who, api_path)
    # "Not there" and "not yours" read the same.
    assert len(set(pages["404"])) == 1

    # A module switched off: 404 for everyone, page and API.
    _turn_off(alpha, "messaging")
    for who in ("owner", "clinician", "client"):
        http = alpha.http(getattr(alpha, who))
        page = http.get("/messages/" if who != "client" else "/portal/messages/")
        api = http.get("/api/v1/conversations")
        assert (page.status_code, api.status_code) == (404, 404), who
        _not_technical(page)
        assert _main(page) == pages["404"][0]
        assert api.json() == {"detail": "Not found."}
    # An unknown API address answers in JSON too.
    unknown = alpha.http(alpha.owner).get("/api/v1/no-such-thing")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not found."})
    # The other practice keeps its module.
    assert beta.http(beta.owner).get("/messages/").status_code == 200

    # Not signed in: the page asks to sign in, the API answers 403.
    anonymous = alpha.http()
    assert anonymous.get(f"/care/clients/{client}/safety-plan/").status_code == 302
    assert anonymous.get(f"/api/v1/clients/{client}/fhir").status_code == 403


def test_make_run_settings_do_not_show_technical_pages() -> None:
    assert settings.TECHNICAL_ERROR_PAGES is False
    assert "config.errors.NoTechnicalPagesMiddleware" in settings.MIDDLEWARE

"""The installable portal, server side: each practice's service worker (its own name, icon and
pages; allowed to control the whole host; never cached), the offline page and install guidance
(open to anyone, nothing personal), the manifest's shortcuts, where the worker is registered and
where the client opts in, and sign-out telling the browser to forget what the site kept.
What the worker does in a browser is tests/browser/test_portal_walk.py."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from branding.models import PracticeBranding
from branding.selectors import branding_forget
from practice.care import services as care
from tenants.actor import Actor
from tests.conftest import PracticeWorld
from tests.portal.helpers import accept_consent, prepare

CONFIG = re.compile(r"^const CONFIG = (\{.*\});$", re.MULTILINE)


def worker_config(world: PracticeWorld) -> tuple[Any, dict[str, Any]]:
    response = Client(HTTP_HOST=world.host).get("/portal/sw.js")
    [config] = CONFIG.findall(response.content.decode())
    return response, json.loads(config)


def rename(world: PracticeWorld, name: str, crisis_line: str) -> None:
    PracticeBranding.objects.update_or_create(
        practice=world.practice,
        defaults={"display_name": name, "crisis_line": crisis_line})
    branding_forget(world.practice)


def test_each_practice_serves_its_own_service_worker(alpha: PracticeWorld,
                                                     beta: PracticeWorld) -> None:
    response, config = worker_config(alpha)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert config == {
        "icon": "/branding/1/icon-192.png", "name": "Alpha", "offline": "/portal/offline/?lang=en",
        "portal": "/portal/", "saved": ["/portal/safety-plan/", "/portal/help/"],
        "savedCache": "tandem-saved", "shellCache": config["shellCache"],
        "shellPrefix": "tandem-shell-", "signOut": "/accounts/sign-out/",
        "shell": ["/static/css/tandem.css", "/static/portal/portal.css",
                  "/static/portal/pwa.js", "/branding/1/icon-192.png"]}
    assert re.fullmatch(r"tandem-shell-[0-9a-f]{12}", config["shellCache"])
    assert config["name"] != worker_config(beta)[1]["name"] == "Beta"

    # A new brand (its crisis line is on the offline page) is a new shell; the same brand the same.
    assert worker_config(alpha)[1]["shellCache"] == config["shellCache"]
    rename(alpha, "Alpha Wellbeing", "+1 555 0199")
    assert worker_config(alpha)[1]["shellCache"] != config["shellCache"]


def test_offline_and_install_pages_are_open_to_anyone_and_hold_nothing_personal(
        alpha: PracticeWorld) -> None:
    rename(alpha, "Alpha Therapy", "+1 555 0199")
    anonymous = Client(HTTP_HOST=alpha.host)
    offline = anonymous.get("/portal/offline/")
    body = offline.content.decode()
    assert (offline.status_code, offline["Cache-Control"]) == (200, "no-cache")
    assert "<h1>You are offline</h1>" in body
    for number in ('href="tel:+15550199"', 'href="tel:988"', 'href="sms:988"',
                   'href="tel:911"'):
        assert number in body
    assert 'href="/portal/safety-plan/"' in body
    assert "csrfmiddlewaretoken" not in body and "Sign out" not in body

    install = anonymous.get("/portal/install/").content.decode()
    assert "<h1>Put Alpha Therapy on your phone</h1>" in install
    for step in ("Add to Home Screen", "Install app", "iOS 16.4"):
        assert step in install
    # Neither registers the worker for someone not signed in.
    assert "data-service-worker" not in body + install
    manifest = anonymous.get("/manifest.webmanifest").json()
    assert manifest["shortcuts"] == [{"name": "Get help now", "url": "/portal/help/"},
                                     {"name": "My safety plan", "url": "/portal/safety-plan/"}]


def test_the_client_gets_the_worker_and_the_offline_choice_and_sign_out_forgets_it(
        alpha: PracticeWorld) -> None:
    prepare(alpha)
    accept_consent(alpha)
    with schema_context(alpha.practice.schema_name):
        care.safety_plan_save(client_id=alpha.client.pk, actor=Actor.of(alpha.clinician),
                              sections={"reasons_for_living": ["Pepper"]})
    connection.set_schema_to_public()
    http = alpha.http(alpha.client)
    page = http.get("/portal/safety-plan/").content.decode()
    assert re.search(r'<script src="/static/portal/pwa.js" '
                     r'data-service-worker="/portal/sw.js" defer></script>', page)
    [section] = re.findall(r'<section id="offline-optin"[^>]*>', page)
    assert 'data-saved-cache="tandem-saved"' in section and " hidden" in section
    assert 'data-saved-urls="[&quot;/portal/safety-plan/&quot;, &quot;/portal/help/&quot;]"' in (
        section)
    assert "Only do this on a device that is yours." in page
    # Staff pages never register it.
    staff_home = alpha.http(alpha.clinician).get("/").content.decode()
    assert "pwa.js" not in staff_home

    signed_out = http.post("/accounts/sign-out/")
    assert (signed_out.status_code, signed_out["Clear-Site-Data"]) == (302, '"cache", "storage"')
    http = alpha.http(alpha.client)
    everywhere = http.post("/portal/account/sign-out-everywhere/")
    assert (everywhere.status_code, everywhere["Clear-Site-Data"]) == (
        302, '"cache", "storage"')
    assert settings.WEBPUSH_VAPID_PUBLIC_KEY  # the settings page's panel needs it

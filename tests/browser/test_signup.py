"""Signup in Chromium: the owner fills in the control plane's form, the page hands them over to
the new practice's own host (a cross-origin POST of a signed, single-use token, with no CSRF
cookie there yet) and they land on it signed in. Django's test client sends no Origin and keeps
no per-host cookies the way a browser does, so the hand-off is walked here in a real browser:
over plain HTTP on the live server, and over HTTPS with the production settings behind Caddy."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Page, Request

from controlplane.auth_views import handoff_token
from tenants.accounts.models import User
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tests.browser.conftest import TIMEOUT_MS, LiveServer, in_schema, new_device
from tests.conftest import PASSWORD, PracticeWorld, make_practice

pytestmark = pytest.mark.browser

BASE_DIR = Path(__file__).resolve().parents[2]
CADDY = "/usr/bin/caddy"


def _fill_in_signup(page: Page, control_plane: str, subdomain: str = "gamma") -> None:
    page.goto(f"{control_plane}/signup/")
    page.get_by_label("Practice name").fill("Gamma Care")
    page.get_by_label("Subdomain").fill(subdomain)
    page.get_by_label("Your name").fill("Gabriel Owner")
    page.get_by_label("Your email").fill("gabriel@example.org")
    page.get_by_label("Password").fill(PASSWORD)


def _is_handoff(request: Request) -> bool:
    return request.url.endswith("/auth/handoff/") and request.method == "POST"


def _sign_up_and_land(page: Page, control_plane: str, practice_origin: str) -> Request:
    """Sign up through the form; return the hand-off POST the page made."""
    _fill_in_signup(page, control_plane)
    with page.expect_request(_is_handoff) as handoff:
        page.get_by_role("button", name="Create portal").click()
    page.wait_for_url(f"{practice_origin}/")
    return handoff.value


def _signed_in_events(practice: Practice) -> list[tuple[int | None, Any]]:
    with in_schema(practice):
        return list(AuditEvent.objects.filter(action="auth.signed_in")
                    .values_list("actor_id", "detail"))


def _session_count(practice: Practice) -> int:
    with in_schema(practice):
        return Session.objects.count()


def _post_from(page: Page, action: str, token: str) -> None:
    """Post `token` to `action` from the page's own document, naming its origin as the hand-off
    page does."""
    page.evaluate("""([action, token]) => {
        const policy = document.createElement("meta");
        policy.name = "referrer";
        policy.content = "origin";
        document.head.append(policy);
        const form = document.createElement("form");
        form.method = "post";
        form.action = action;
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "token";
        field.value = token;
        form.append(field);
        document.body.append(form);
        form.submit();
    }""", [action, token])


# --- over HTTP, on the live server -----------------------------------------------------------

@pytest.fixture
def lookalike(practice_server: LiveServer) -> PracticeWorld:
    return make_practice("beta", "Beta Counselling")


def test_signup_lands_the_owner_on_their_practice_signed_in(
        browser: Browser, contexts: list[BrowserContext], practice_server: LiveServer,
        lookalike: PracticeWorld) -> None:
    control_plane = f"http://localhost:{practice_server.port}"
    gamma = f"http://gamma.localhost:{practice_server.port}"
    page = new_device(browser, contexts, width=1024)
    beta_sessions = _session_count(lookalike.practice)

    handoff = _sign_up_and_land(page, control_plane, gamma)

    # The browser named the control plane as the page that posted (the hand-off page lets it).
    assert handoff.url == f"{gamma}/auth/handoff/"
    assert handoff.header_value("origin") == control_plane
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Gabriel Owner"
    assert page.locator("header .brand").inner_text() == "Gamma Care"
    practice = Practice.objects.get(subdomain="gamma")
    with in_schema(practice):
        owner = User.objects.get()
        assert owner.email == "gabriel@example.org"
    assert _signed_in_events(practice) == [(owner.pk, {"via": "signup"})]
    # The session is the new host's alone: none on the control plane, none on the look-alike.
    cookies = {(cookie["domain"], cookie["name"]) for cookie in page.context.cookies()}
    assert ("gamma.localhost", "sessionid") in cookies
    assert ("localhost", "sessionid") not in cookies
    assert _session_count(lookalike.practice) == beta_sessions
    assert _signed_in_events(lookalike.practice) == []

    # The same token posted again, by another browser from the control plane, signs nobody in.
    token = parse_qs(handoff.post_data or "")["token"][0]
    other = new_device(browser, contexts, width=1024)
    other.goto(f"{control_plane}/")
    _post_from(other, f"{gamma}/auth/handoff/", token)
    other.wait_for_url(f"{gamma}/auth/handoff/")
    assert other.get_by_role("alert").inner_text() == (
        "This sign-in link was already used. Nobody was signed in.")
    assert [cookie["name"] for cookie in other.context.cookies()
            if cookie["name"] == "sessionid"] == []
    assert _session_count(practice) == 1
    assert _signed_in_events(practice) == [(owner.pk, {"via": "signup"})]


def test_without_scripts_the_owner_continues_with_a_button(
        browser: Browser, contexts: list[BrowserContext], practice_server: LiveServer) -> None:
    control_plane = f"http://localhost:{practice_server.port}"
    gamma = f"http://gamma.localhost:{practice_server.port}"
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    page = context.new_page()
    _fill_in_signup(page, control_plane)
    page.get_by_role("button", name="Create portal").click()
    page.wait_for_url(f"{control_plane}/signup/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your portal is live"

    page.get_by_role("button", name="Continue to your portal").click()

    page.wait_for_url(f"{gamma}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Gabriel Owner"


ATTACKER_PAGE = """<!doctype html><html><head>{meta}</head><body>
<form method="post" action="{action}" id="f"><input type="hidden" name="token" value="{token}">
</form><script>document.getElementById("f").submit();</script></body></html>"""


@pytest.mark.parametrize(("meta", "origin"), [
    ("", "http://127.0.0.1:{port}"),
    # A page that hides its origin: the browser sends `Origin: null`.
    ('<meta name="referrer" content="no-referrer">', "null"),
])
def test_a_page_elsewhere_posting_a_token_signs_nobody_in(
        browser: Browser, contexts: list[BrowserContext], practice_server: LiveServer,
        lookalike: PracticeWorld, meta: str, origin: str) -> None:
    """Login CSRF: someone who made a practice of their own posts its valid, unused token from a
    page of theirs, to sign the visitor in as them. The Origin check refuses it."""
    world = make_practice("alpha", "Alpha Therapy")
    token = handoff_token(schema_name=world.practice.schema_name, user_id=world.owner.pk,
                          nonce="login-csrf")
    action = practice_server.url(world, "/auth/handoff/")
    elsewhere = f"http://127.0.0.1:{practice_server.port}/elsewhere"
    page = new_device(browser, contexts, width=1024)
    # Served by the browser itself: the request never reaches a server.
    page.route(elsewhere, lambda route: route.fulfill(
        content_type="text/html", body=ATTACKER_PAGE.format(meta=meta, action=action,
                                                            token=token)))

    with page.expect_request(_is_handoff) as handoff:
        page.goto(elsewhere)
    page.wait_for_url(action)

    assert handoff.value.header_value("origin") == origin.format(port=practice_server.port)
    assert page.get_by_role("alert").inner_text() == (
        "This sign-in link did not come from us. Nobody was signed in.")
    assert [cookie for cookie in page.context.cookies() if cookie["name"] == "sessionid"] == []
    assert _signed_in_events(world.practice) == []
    assert _session_count(world.practice) == 0
    assert _session_count(lookalike.practice) == 0


# --- over HTTPS, with the production settings -------------------------------------------------

@dataclass
class HttpsServer:
    port: int
    process_output: Path

    def origin(self, subdomain: str = "") -> str:
        host = f"{subdomain}.localhost" if subdomain else "localhost"
        return f"https://{host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """This run's database server (the embedded one, never another), this test's database."""
    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


def _production_env(tmp_path: Path, https_port: int) -> dict[str, str]:
    """config.settings.production as it is, on this test's database and Redis; the
    secrets it demands are test values (nothing here talks to Stripe or a push service)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "PYTEST_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "production-check-" + "x" * 50,
        "STRIPE_SECRET_KEY": "sk_test_production_check",
        "STRIPE_WEBHOOK_SECRET": "whsec_production_check",
        "WEBPUSH_VAPID_PRIVATE_KEY": settings.WEBPUSH_VAPID_PRIVATE_KEY,
        "WEBPUSH_VAPID_PUBLIC_KEY": settings.WEBPUSH_VAPID_PUBLIC_KEY,
        "WEBPUSH_VAPID_SUBJECT": "mailto:push-test@tandem.test",
        "PLATFORM_DOMAIN": "localhost",
        "PLATFORM_PORT": str(https_port),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_URL": "consolemail://",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    })
    return env


CADDYFILE = """{{
	admin off
	local_certs
	skip_install_trust
	auto_https disable_redirects
	http_port {http_port}
	https_port {https_port}
	storage file_system {storage}
}}

localhost:{https_port}, *.localhost:{https_port} {{
	tls internal
	reverse_proxy 127.0.0.1:{app_port}
}}
"""


def _wait_until_ready(url: str, processes: list[subprocess.Popen[bytes]], output: Path,
                      seconds: float) -> None:
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            break
        try:
            with urllib.request.urlopen(url, timeout=2, context=unverified) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"The production stack did not answer {url}:\n{output.read_text()[-3000:]}")


@pytest.fixture
def https_server(committed_db: None, tmp_path: Path) -> Iterator[HttpsServer]:
    """gunicorn (infra/gunicorn.conf.py) with the production settings, behind Caddy terminating
    TLS with its own CA for localhost and *.localhost, on free loopback ports."""
    if not os.path.exists(CADDY) and not shutil.which("caddy"):
        pytest.fail("Caddy is missing: apt-get install -y caddy (.ci/run does)")
    app_port, https_port, http_port = _free_port(), _free_port(), _free_port()
    env = _production_env(tmp_path, https_port)
    output = tmp_path / "servers.log"
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(CADDYFILE.format(http_port=http_port, https_port=https_port,
                                          app_port=app_port, storage=tmp_path / "caddy"))
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=BASE_DIR, env=env, check=True, timeout=120)
    processes: list[subprocess.Popen[bytes]] = []
    with output.open("wb") as log:
        try:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "infra/gunicorn.conf.py",
                 "--bind", f"127.0.0.1:{app_port}", "--worker-tmp-dir", str(tmp_path),
                 "config.wsgi"],
                cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(
                [CADDY if os.path.exists(CADDY) else str(shutil.which("caddy")), "run",
                 "--config", str(caddyfile), "--adapter", "caddyfile"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT))
            _wait_until_ready(f"https://localhost:{https_port}/healthz", processes, output, 60)
            yield HttpsServer(port=https_port, process_output=output)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    # The app's connections are gone with it; the test database can be flushed.


def test_signup_over_https_with_the_production_settings(
        browser: Browser, contexts: list[BrowserContext], https_server: HttpsServer) -> None:
    control_plane, gamma = https_server.origin(), https_server.origin("gamma")
    # Caddy's CA is this test's own: the browser is told not to verify it, nothing more.
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1024,
                                                                      "height": 780})
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    page = context.new_page()

    # Plain HTTP on the platform's host goes to HTTPS (the proxy's job; the app answers 301
    # to what reaches it unencrypted): here the browser starts on HTTPS directly.
    response = page.goto(f"{control_plane}/signup/")
    assert response is not None
    assert response.headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload")
    handoff = _sign_up_and_land(page, control_plane, gamma)

    assert handoff.header_value("origin") == control_plane
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Gabriel Owner"
    assert page.locator("header .brand").inner_text() == "Gamma Care"
    cookies = {(cookie["domain"], cookie["name"]): cookie for cookie in context.cookies()}
    session = cookies[("gamma.localhost", "sessionid")]
    assert (session["secure"], session["httpOnly"], session["sameSite"]) == (True, True, "Lax")
    assert cookies[("localhost", "csrftoken")]["secure"] is True
    assert ("localhost", "sessionid") not in cookies
    practice = Practice.objects.get(subdomain="gamma")
    with in_schema(practice):
        owner = User.objects.get()
    assert _signed_in_events(practice) == [(owner.pk, {"via": "signup"})]

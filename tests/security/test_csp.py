"""The Content-Security-Policy on every host (django-csp): scripts and styles from this origin or
with the request's nonce, and the four directives that fence the page in. The browser tests
(tests/browser) fail on any violation the browser reports."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from tenants import services as tenant_services
from tenants.actor import Actor
from tests.conftest import PracticeWorld

ROOT = Path(settings.BASE_DIR)
FENCE = {
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
}


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def nonce_of(policy: dict[str, list[str]]) -> str | None:
    found = [source for source in policy["script-src"] if source.startswith("'nonce-")]
    return found[0][len("'nonce-"):-1] if found else None


def assert_fenced(response, where: str) -> dict[str, list[str]]:
    assert "Content-Security-Policy" in response, where
    policy = directives(response["Content-Security-Policy"])
    for name, sources in FENCE.items():
        assert policy[name] == sources, (where, name)
    for name in ("script-src", "style-src"):
        assert policy[name][0] == "'self'", (where, name)
        assert "'unsafe-inline'" not in policy[name], (where, name)
        assert "'unsafe-eval'" not in policy[name], (where, name)
    assert policy["default-src"] == ["'self'"], where
    return policy


def test_every_host_answers_with_the_policy(alpha: PracticeWorld, beta: PracticeWorld,
                                             operator, public_http: Client) -> None:
    platform = settings.PLATFORM_DOMAIN
    operator_http = Client(HTTP_HOST=platform)
    operator_http.force_login(operator)
    answers = {
        "control plane home": public_http.get("/"),
        "signup": public_http.get("/signup/"),
        "control plane sign-in": public_http.get("/accounts/sign-in/"),
        "operator console": operator_http.get("/operator/"),
        "practice sign-in": alpha.http().get("/accounts/sign-in/"),
        "practice home (owner)": alpha.http(alpha.owner).get("/"),
        "portal (client)": alpha.http(alpha.client).get("/portal/"),
        "service worker": alpha.http(alpha.client).get("/portal/sw.js"),
        "manifest": alpha.http().get("/manifest.webmanifest"),
        "other practice": beta.http().get("/accounts/sign-in/"),
        "unknown host": Client(HTTP_HOST=f"nowhere.{platform}").get("/"),
        "health": alpha.http().get("/healthz"),
    }
    with schema_context("public"):
        tenant_services.practice_suspend(practice_id=beta.practice.pk, actor=Actor.of(operator))
    answers["suspended practice"] = beta.http().get("/accounts/sign-in/")

    statuses = {where: response.status_code for where, response in answers.items()}
    assert statuses == {**{where: 200 for where in answers},
                        "unknown host": 404, "suspended practice": 503}
    for where, response in answers.items():
        assert_fenced(response, where)


def test_inline_script_and_style_carry_this_responses_nonce(alpha: PracticeWorld,
                                                            beta: PracticeWorld) -> None:
    first = alpha.http(alpha.client).get("/portal/")
    second = alpha.http(alpha.client).get("/portal/")
    nonces = [nonce_of(assert_fenced(response, "portal")) for response in (first, second)]

    assert all(nonces) and nonces[0] != nonces[1]  # a fresh nonce per response
    page = first.content.decode()
    styles = re.findall(r"<style[^>]*>", page)
    assert styles == [f'<style nonce="{nonces[0]}">']  # the practice's colours
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert " style=" not in page
    assert re.search(r"\son[a-z]+=", page) is None


def test_a_page_without_inline_style_or_script_sends_no_nonce(alpha: PracticeWorld) -> None:
    # The control plane's sign-in has no branding <style>: no nonce is made or sent.
    policy = assert_fenced(Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/accounts/sign-in/"),
                           "control plane sign-in")
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]


# --- the templates themselves ------------------------------------------------------------------

# Shown only outside a browser's page policy: emails (read in mail clients) keep inline styles.
EMAIL_TEMPLATE = re.compile(r"/email/|/preview_email\.html$")
# The stand-alone pages (500, unknown host, suspended practice) render without a RequestContext
# and are handed the nonce as `csp_nonce`.
NONCES = ('nonce="{{ request.csp_nonce }}"', 'nonce="{{ csp_nonce }}"')


def _page_templates() -> list[Path]:
    found = []
    for folder in ("config", "controlplane", "practice", "portal", "branding", "billing",
                   "tenants"):
        for path in sorted((ROOT / folder).rglob("templates/**/*.html")):
            if not EMAIL_TEMPLATE.search(path.as_posix()):
                found.append(path)
    return found


def _problems(text: str) -> list[str]:
    problems = []
    for tag in re.findall(r"<script\b[^>]*>", text):
        if "src=" not in tag and not any(nonce in tag for nonce in NONCES):
            problems.append(f"inline script without the nonce: {tag}")
    for tag in re.findall(r"<style\b[^>]*>", text):
        if not any(nonce in tag for nonce in NONCES):
            problems.append(f"<style> without the nonce: {tag}")
    problems += [f"event handler attribute {m}" for m in re.findall(r"\son[a-z]+=", text)]
    problems += ["javascript: URL"] * text.count("javascript:")
    problems += [f"style attribute {m}" for m in re.findall(r"\sstyle=\"[^\"]*\"", text)]
    return problems


def test_no_page_template_has_inline_code_or_style_the_policy_would_refuse() -> None:
    templates = _page_templates()
    assert len(templates) > 100  # the walk found the templates
    problems = {path.relative_to(ROOT).as_posix(): _problems(path.read_text())
                for path in templates}
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_stand_alone_pages_style_carries_this_responses_nonce(alpha: PracticeWorld,
                                                                  beta: PracticeWorld,
                                                                  operator, settings) -> None:
    settings.ROOT_URLCONF = "tests.errors_urls"  # with a view that fails
    answers = {
        "unknown host": Client(HTTP_HOST=f"nowhere.{settings.PLATFORM_DOMAIN}").get("/"),
        "server error": Client(HTTP_HOST=alpha.host, raise_request_exception=False).get("/boom/"),
    }
    with schema_context("public"):
        tenant_services.practice_suspend(practice_id=beta.practice.pk, actor=Actor.of(operator))
    answers["suspended practice"] = beta.http().get("/")

    assert {where: answer.status_code for where, answer in answers.items()} == {
        "unknown host": 404, "server error": 500, "suspended practice": 503}
    for where, response in answers.items():
        policy = directives(response["Content-Security-Policy"])
        nonce = nonce_of({"script-src": policy["style-src"]})
        page = response.content.decode()
        assert nonce is not None, where
        assert re.findall(r"<style[^>]*>", page) == [f'<style nonce="{nonce}">'], where
        assert " style=" not in page, where

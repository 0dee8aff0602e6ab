"""A practice's own domain in a real browser: Chromium, told that the practices' custom names are
127.0.0.1, reaches them through Caddy's on-demand TLS (its internal CA) and the app. A client
signs in through the sign-in form on the custom name (so CSRF's origin check meets the name as
browsers send it), gets a host-only session cookie for that name, and sees their practice; an
unverified name gets no certificate, so the browser never reaches a page there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Error, sync_playwright

from tenants.actor import Actor
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _browser_environment
from tests.conftest import PASSWORD, PracticeWorld
from tests.dns_server import LocalDns, local_dns  # noqa: F401 - a fixture
from tests.tenants.test_custom_domain_tls import (  # noqa: F401 - fixtures
    ALPHA_NAME,
    BETA_NAME,
    Caddy,
    _verify,
    app_server,
    caddy,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def resolving_browser() -> Iterator[Browser]:
    """Chromium that resolves the custom names to loopback, as their DNS would to Caddy."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    rules = f"MAP {ALPHA_NAME} 127.0.0.1, MAP {BETA_NAME} 127.0.0.1"
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"], headless=True,
            env=_browser_environment())
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_a_client_signs_in_on_the_practices_own_domain_in_chromium(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns,  # noqa: F811
    caddy: Caddy, resolving_browser: Browser, settings: Any,  # noqa: F811
) -> None:
    # As in production: the app learns from Caddy's X-Forwarded-Proto that the browser's
    # request was HTTPS, so CSRF compares the browser's https:// Origin with the custom name.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _verify(alpha, local_dns, ALPHA_NAME)
    origin = f"https://{ALPHA_NAME}:{caddy.https_port}"
    # Caddy's CA is this test's own: the browser is told not to verify it.
    context = resolving_browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    response = page.goto(f"{origin}/accounts/sign-in/")
    assert response is not None and response.status == 200
    security = response.security_details()
    assert security is not None and str(security.get("protocol", "")).startswith("TLS")
    # (the certificate's name and issuer are checked with Caddy's own root in
    # tests/tenants/test_custom_domain_tls.py; this browser is told not to verify them)

    page.fill("input[name=username]", alpha.client.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.startswith(origin)  # stayed on the practice's own name
    assert "403" not in page.title()
    assert "Alpha Therapy" in page.content()
    assert "Beta Counselling" not in page.content()

    session = [cookie for cookie in context.cookies() if cookie["name"] == "sessionid"]
    assert [cookie["domain"] for cookie in session] == [ALPHA_NAME]  # host-only, this name

    # Beta's name is added but not verified: Caddy asks, the app says no, no certificate.
    from tenants import custom_domains

    custom_domains.custom_domain_add(practice_id=beta.practice.pk, name=BETA_NAME,
                                     actor=Actor.of(beta.owner))
    with pytest.raises(Error):
        page.goto(f"https://{BETA_NAME}:{caddy.https_port}/accounts/sign-in/")
    context.close()

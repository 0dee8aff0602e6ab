"""The Content-Security-Policy in Chromium: what it refuses is heard (so the other browser tests,
which fail on any violation, can fail), and the pages that need an exception get exactly it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from branding.selectors import branding_for
from tests.browser.conftest import LiveServer, new_device, sign_in
from tests.conftest import PracticeWorld, make_practice

pytestmark = pytest.mark.browser


@pytest.fixture
def worlds(practice_server: LiveServer) -> tuple[PracticeWorld, PracticeWorld]:
    return make_practice("alpha", "Alpha Therapy"), make_practice("beta", "Beta Counselling")


def test_an_injected_inline_script_and_style_are_refused_and_heard(
        browser, contexts, practice_server: LiveServer, worlds) -> None:
    alpha, _beta = worlds
    page = new_device(browser, contexts)
    page.goto(practice_server.url(alpha, "/accounts/sign-in/"))

    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
        document.body.setAttribute("style", "background: red");
    }""")
    page.wait_for_timeout(300)

    assert page.evaluate("window.injected === undefined")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    heard = " ".join(contexts.csp_violations)
    assert "script-src" in heard and "style-src" in heard
    contexts.csp_violations.clear()  # provoked on purpose; anything else still fails the test


def test_the_branding_preview_shows_the_email_with_its_own_styles_and_nothing_else(
        browser, contexts, practice_server: LiveServer, worlds) -> None:
    alpha, beta = worlds
    beta_before = branding_for(beta.practice)
    page = new_device(browser, contexts, width=1280)
    sign_in(page, alpha, practice_server, alpha.owner)
    page.goto(practice_server.url(alpha, "/settings/branding/"))
    page.get_by_label("Primary colour").fill("#5a2d82")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_visible()
    # The page's own preview (a nonced <style>) and the email in its frame (inline styles
    # allowed by their hashes) are both drawn in the chosen colour.
    assert page.evaluate("getComputedStyle(document.querySelector('.preview-top'))"
                         ".backgroundColor") == "rgb(90, 45, 130)"
    email = page.frame_locator("iframe[title='Email preview']")
    expect(email.locator("strong").first).to_be_visible()
    assert email.locator("td[style*=background]").first.evaluate(
        "cell => getComputedStyle(cell).backgroundColor") == "rgb(90, 45, 130)"
    assert branding_for(beta.practice) == beta_before

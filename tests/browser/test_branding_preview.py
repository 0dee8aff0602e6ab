"""The owner previews a new look before saving it (Chromium): the portal page and the email a
client would get, both drawn from the unsaved form; nothing is saved."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from branding.selectors import branding_for
from tests.browser.conftest import LiveServer, new_device, sign_in
from tests.conftest import PracticeWorld, make_practice

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SCREENSHOTS", "")


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    return make_practice("alpha", "Alpha Therapy")


def test_the_preview_shows_the_portal_page_and_the_email(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    page = new_device(browser, contexts, width=1280)
    sign_in(page, world, practice_server, world.owner)
    page.goto(practice_server.url(world, "/settings/branding/"))
    page.get_by_label("Practice name shown to clients").fill("Alpha Mind")
    page.get_by_label("Your practice's crisis line").fill("555 0199")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_visible()
    email = page.frame_locator("iframe[title='Email preview']")
    expect(email.get_by_role("heading", name="You have a new secure message")).to_be_visible()
    expect(email.get_by_text("Alpha Mind", exact=True)).to_be_visible()
    expect(email.get_by_role("link", name="Sign in")).to_be_visible()
    expect(email.get_by_text("If you are in crisis, call 555 0199")).to_be_visible()
    box = page.locator("iframe[title='Email preview']").bounding_box()
    assert box is not None and box["height"] >= 300
    page.get_by_text("The plain-text part").click()
    expect(page.locator("pre.email-text")).to_contain_text(
        "For your privacy, this email says no more. Sign in to see it:")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/branding-preview.png", full_page=True)
    assert branding_for(world.practice).display_name == "Alpha Therapy"

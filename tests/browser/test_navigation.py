"""The main menu on a phone and on a desk (Chromium, no script needed): at 360 px the staff and
portal links fold under "Menu", a button to keyboards and screen readers, and the page never
scrolls sideways; at 1280 px the links are simply there. The menu is a <details> (base.html),
so it works with scripts off too."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.consent import current_consent
from portal.invitations import consent_accept
from portal.models import ClientAccess
from practice.models import ClientProfile
from tenants.accounts.models import User
from tenants.features import MODULE_KEYS
from tenants.models import Practice
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.conftest import PracticeWorld, make_practice

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SCREENSHOTS", "")  # a folder for screenshots, when set

# The owner's links with every module on (the "wall" a phone used to meet).
OWNER_LINKS = ["Clients", "Alerts", "Homework", "Resources", "Messages", "Forms", "Documents",
               "Appointments", "Invoices", "Portal access", "Staff", "Settings", "Billing",
               "Notifications"]


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    world = make_practice("alpha", "Alpha Therapy")
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=sorted(MODULE_KEYS))
    world.practice.refresh_from_db()
    with in_schema(world):
        ClientProfile.objects.get_or_create(user=world.client,
                                            defaults={"timezone": "America/Chicago"})
        ClientAccess.objects.create(user=world.client, visible_modules=sorted(MODULE_KEYS),
                                    invited_at=timezone.now(), accepted_at=timezone.now())
        consent_accept(user=world.client, version=current_consent().version)
    return world


def overflows_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > "
                         "document.documentElement.clientWidth")


def device(browser, contexts, *, width: int, javascript: bool = True) -> Page:
    """A fresh phone or desktop of `width`, with scripts on or off."""
    if javascript:
        return new_device(browser, contexts, width=width)
    context = browser.new_context(viewport={"width": width, "height": 780},
                                  java_script_enabled=False)
    contexts.append(context)
    return context.new_page()


def open_as(page: Page, server: LiveServer, world: PracticeWorld, user: User,
            path: str) -> Page:
    sign_in(page, world, server, user)
    response = page.goto(server.url(world, path))
    assert response is not None and response.status == 200
    return page


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png")


@pytest.mark.parametrize("javascript", [True, False], ids=["scripts on", "scripts off"])
def test_on_a_phone_the_staff_links_fold_under_a_menu(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld,
        javascript: bool) -> None:
    page = open_as(device(browser, contexts, width=360, javascript=javascript),
                   practice_server, world, world.owner, "/clinic/clients/")
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.locator("details.menu > summary")

    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    expect(page.get_by_role("link", name="Alpha Therapy")).to_be_visible()
    for name in OWNER_LINKS:
        expect(page.locator("details.menu nav a", has_text=name).first).to_be_hidden()
    assert not overflows_sideways(page)
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 80  # no wall of links above the page
    shot(page, f"staff-360-closed-{'js' if javascript else 'nojs'}")

    toggle.focus()
    page.keyboard.press("Enter")  # a keyboard opens it as well as a tap
    expect(nav).to_be_visible()
    for name in OWNER_LINKS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    nav.get_by_role("button", name="Sign out").scroll_into_view_if_needed()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert not overflows_sideways(page)
    summary_box = toggle.bounding_box()
    assert summary_box is not None and summary_box["y"] < 20  # still beside the name
    shot(page, f"staff-360-open-{'js' if javascript else 'nojs'}")
    toggle.click()
    expect(nav.get_by_role("link", name="Clients", exact=True)).to_be_hidden()


def test_on_a_phone_the_portal_links_fold_under_a_menu(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    page = open_as(device(browser, contexts, width=360), practice_server, world, world.client,
                   "/portal/")
    nav = page.get_by_role("navigation", name="Main")
    settings_link = nav.get_by_role("link", name="Settings", exact=True)

    expect(settings_link).to_be_hidden()
    expect(page.get_by_role("link", name="Get help now")).to_be_visible()  # never folded
    assert not overflows_sideways(page)
    shot(page, "portal-360-closed")
    page.get_by_text("Menu", exact=True).click()
    expect(settings_link).to_be_visible()
    expect(nav.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    assert not overflows_sideways(page)
    shot(page, "portal-360-open")


@pytest.mark.parametrize("who, path", [("owner", "/clinic/clients/"), ("client", "/portal/")])
def test_on_a_wide_screen_the_links_are_shown_without_a_menu(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld, who: str,
        path: str) -> None:
    page = open_as(device(browser, contexts, width=1280), practice_server, world,
                   getattr(world, who), path)
    nav = page.get_by_role("navigation", name="Main")

    expect(page.locator("details.menu > summary")).to_be_hidden()
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert not overflows_sideways(page)
    links = nav.get_by_role("link").all()
    tops = {round(link.bounding_box()["y"]) for link in links}  # type: ignore[index]
    assert len(links) >= 10 and len(tops) <= 2  # a row or two of links, no menu
    shot(page, f"{who}-1280")

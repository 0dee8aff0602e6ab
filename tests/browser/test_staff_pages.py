"""Every staff page, in Chromium, for the owner, a clinician and the front desk of the demo
practice (every module on): no serious or critical axe-core violation (WCAG 2.2 AA and best
practice) and no sideways scrolling at 360 px. The pages are found as a person finds them: from
the Today page, every link to a staff page of this host (the portal and the API are checked
elsewhere), breadth first, each route once per role. The Today page of each role is also
photographed at 1280 and 360 px when TANDEM_SCREENSHOTS names a folder (and the owner's
practice outcome report at 1280 px): docs/screenshots/ holds the README's."""

from __future__ import annotations

import os
from collections import deque
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from playwright.sync_api import Page

from practice.demo_logins import DEMO_SUBDOMAIN
from tenants.accounts.models import User
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_portal_pages import (
    AXE_OPTIONS,
    DOWNLOAD,
    route_of,
    the_demo_with_everything_on,
    weigh_and_check,
)
from tests.conftest import Mailbox

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SCREENSHOTS", "")
ROLES = {"owner": "owner@demo.localhost", "clinician": "clinician@demo.localhost",
         "front_desk": "frontdesk@demo.localhost"}
# Addresses a link points to that are not staff pages to check here, and why.
NOT_STAFF = ("/portal/", "/api/", "/accounts/", "/branding/", "/static/", "/manifest",
             "/calendar/")  # the portal, the API, sign-in, images, the calendar feed (iCal)
MAX_PAGES_PER_ROLE = 200  # a bound against a loop; the walk ends before it


def staff_path(address: str, origin: str) -> str | None:
    if not address.startswith(origin):
        return None
    path = urlsplit(address).path
    if any(path.startswith(prefix) for prefix in NOT_STAFF):
        return None
    return path


def walk(page: Page, axe: Axe, origin: str) -> tuple[dict[str, str], list[str]]:
    """Every staff route reachable by links from Today; (route -> address checked, failures)."""
    queue = deque(["/"])
    visited: dict[str, str] = {}
    failures: list[str] = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        route = route_of(path)
        if route is None or route in visited:
            continue
        status, problems, overflows, targets = weigh_and_check(page, axe, origin + path)
        visited[route] = path
        if status == DOWNLOAD:
            continue
        if status == 405:  # a form's action (POST only), not a page
            continue
        if status != 200:
            failures.append(f"{path}: answered {status}")
            continue
        # The weight budget is the portal's (a phone on a slow network); staff pages are read on
        # desks and phones alike but carry tables: only accessibility and fit are checked here.
        problems = [problem for problem in problems if "bytes of HTML" not in problem]
        failures += [f"{path}: {problem}" for problem in problems]
        if overflows:
            culprit = page.evaluate("""() => { const width = document.documentElement.clientWidth;
                const wide = [...document.querySelectorAll('body *')].filter(
                    element => element.getBoundingClientRect().right > width + 1);
                const outer = wide.filter(element => !wide.includes(element.parentElement));
                return outer.slice(0, 3).map(element => element.tagName + '.' + element.className
                    + ' ' + Math.round(element.getBoundingClientRect().right)).join(', '); }""")
            failures.append(f"{path}: scrolls sideways at 360 px ({culprit})")
        for target in targets:
            found = staff_path(target, origin)
            if found is not None and found != path:
                queue.append(found)
    return visited, failures


@pytest.mark.parametrize("role", list(ROLES))
def test_every_staff_page_is_accessible_and_fits_a_phone(
        browser, contexts, practice_server: LiveServer, mailbox: Mailbox, role: str) -> None:
    practice, _client, _invitation = the_demo_with_everything_on(mailbox)
    with in_schema(practice):
        person = User.objects.get(email=ROLES[role])
    connection.set_schema_to_public()
    origin = practice_server.url(practice, "").rstrip("/")

    if SHOTS:
        wide = new_device(browser, contexts, width=1280)
        sign_in(wide, practice, practice_server, person)
        wide.goto(origin + "/")
        wide.screenshot(path=f"{SHOTS}/today-{role}-1280.png", full_page=True)
        if role == "owner":  # the practice's outcome report, for the README
            wide.goto(origin + "/outcomes/reports/")
            wide.screenshot(path=f"{SHOTS}/report-practice-1280.png", full_page=True)
    page = new_device(browser, contexts, width=360)
    sign_in(page, practice, practice_server, person)
    if SHOTS:
        page.goto(origin + "/")
        page.screenshot(path=f"{SHOTS}/today-{role}-360.png", full_page=True)
    axe = Axe()
    assert AXE_OPTIONS  # the same rules as the portal's pages

    visited, failures = walk(page, axe, origin)

    assert not failures, "\n".join(failures)
    assert len(visited) < MAX_PAGES_PER_ROLE, "the walk was cut short: raise the bound"
    assert route_of("/") in visited
    if role != "front_desk":
        assert "clinic/clients/" in visited
        assert any(route.startswith("clinic/clients/<int:client_id>/review") for route in visited)
        # The outcome pages: the caseload or practice report, a client's episodes and progress
        # report (the utilization review is a download, checked by its own tests).
        for route in ("outcomes/reports/", "outcomes/clients/<int:client_id>/episodes/",
                      "outcomes/clients/<int:client_id>/progress/"):
            assert route in visited, f"{route} not reached: {' '.join(sorted(visited))}"
    if role == "owner":
        assert "outcomes/practice-export/" in visited, " ".join(sorted(visited))
    assert DEMO_SUBDOMAIN in origin

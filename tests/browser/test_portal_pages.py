"""Every portal page, in Chromium at 360 px wide, as a client with something on every page:
no serious or critical axe-core violation (WCAG 2.2 AA and best practice), no sideways scrolling,
and under 100 KB of HTML, CSS and JavaScript over the wire (images, the logo among them, are not
counted).

The pages come from the portal's URLconf, so a page added later is checked without anyone listing
it: each route without parameters is opened; a route with parameters is opened at the first
address a link or form on an already visited page points to. A route no page leads to fails the
test unless it is in NOT_A_PAGE, with the reason."""

from __future__ import annotations

import http.client
from collections import deque
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from config import urls_tenant
from portal import invitations
from portal.consent import current_consent
from portal.models import ClientAccess, ConsentAcceptance
from practice.care import services as care
from practice.care.models import Resource
from practice.demo import DEMO_CLIENT, DEMO_CLINICIAN, seed_demo
from practice.demo_logins import DEMO_SUBDOMAIN
from practice.disclosure import services as disclosure
from practice.measurement.models import Response
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.features import MODULE_KEYS, MessagingPolicyKind
from tenants.models import Practice
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_portal_walk import emailed_link
from tests.conftest import Mailbox

pytestmark = pytest.mark.browser

MAX_PAGE_BYTES = 100 * 1024
COUNTED_TYPES = ("document", "stylesheet", "script")
DOWNLOAD = -1  # "status" of an address that answers with a file, not a page
# Routes of the portal URLconf that are not pages a client opens, and why.
NOT_A_PAGE = {
    "portal/sw.js": "the service worker script (tests/browser/test_portal_walk.py uses it)",
    "portal/account/staff-mfa/": "the owner's rule for staff, not a client page",
    "portal/resources/<int:resource_id>/file/": "a file download",
    "portal/appointments/<int:appointment_id>/join/": "a redirect to the video session",
    "portal/documents/forms/<int:assignment_id>/sign/": (
        "open only between submitting a form and signing it (the demo's forms are signed or "
        "not started); tests/browser/test_form_signing.py checks it"),
}
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}


def portal_routes() -> list[str]:
    """Every route under /portal/, as its pattern (e.g. "portal/goals/<int:goal_id>/...")."""
    def walk(patterns: list[Any], prefix: str) -> list[str]:
        routes = []
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                routes += walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                routes.append(route)
        return routes

    [portal] = [pattern for pattern in urls_tenant.urlpatterns
                if isinstance(pattern, URLResolver) and str(pattern.pattern) == "portal/"]
    return walk(portal.url_patterns, "portal/")


def route_of(address: str) -> str | None:
    try:
        match = resolve(urlsplit(address).path, urlconf=urls_tenant)
    except Resolver404:
        return None
    return match.route


def the_demo_with_everything_on(mailbox: Mailbox) -> tuple[Practice, User, str]:
    """The demo practice (`make run`'s seed: every feature's engineers give its client data),
    with every module on, a messaging policy that lets the client start a conversation, and a
    few more things for the client; and an open invitation for someone else, whose page is a
    portal page too. Returns the practice, the client and that invitation's path."""
    seed_demo()
    practice = Practice.objects.get(subdomain=DEMO_SUBDOMAIN)
    Practice.objects.filter(pk=practice.pk).update(
        enabled_modules=sorted(MODULE_KEYS), messaging_policy=MessagingPolicyKind.ALL)
    practice.refresh_from_db()
    today = timezone.localdate()
    with in_schema(practice):
        client = User.objects.get(email=DEMO_CLIENT)
        clinician = User.objects.get(email=DEMO_CLINICIAN)
        accept_consent_of(client)
        ClientAccess.objects.filter(user=client).update(visible_modules=sorted(MODULE_KEYS))
        goal = care.goal_create(client_id=client.pk, title="Sleep seven hours",
                                actor=Actor.of(clinician), target_value=Decimal(7),
                                target_unit="hours",
                                milestones=["Same bedtime", "No screens after 10"])
        care.goal_progress_record(goal_id=goal.pk, value=Decimal("6.5"), note="Better week",
                                  actor=Actor.of(client))
        link = care.resource_create(actor=Actor.of(clinician), data=care.ResourceInput(
            kind=Resource.Kind.LINK, title="Sleep hygiene", url="https://example.org/sleep"))
        text = care.resource_create(actor=Actor.of(clinician), data=care.ResourceInput(
            kind=Resource.Kind.TEXT, title="Box breathing", body="Breathe in for four."))
        for resource in (link, text):
            care.resource_share(client_id=client.pk, resource_id=resource.pk,
                                actor=Actor.of(clinician))
        care.homework_assign(client_id=client.pk, instructions="Read the sleep guide",
                             due_on=today + timedelta(days=2), resource_id=link.pk,
                             actor=Actor.of(clinician))
        care.journal_entry_create(body="A calmer day.", is_shared=True, actor=Actor.of(client))
        disclosure.release_create(  # one to sign (the demo's own is signed)
            client_id=client.pk, practice_name=practice.name, actor=Actor.of(clinician),
            draft=disclosure.ReleaseDraft(recipient_name="Dr. Ben Ortiz",
                                          recipient_organisation="Main Street GP",
                                          purpose="Care coordination", kinds=["scores"],
                                          instrument_keys=["phq9"],
                                          expires_on=today + timedelta(days=90)))
        care.safety_plan_save(client_id=client.pk, actor=Actor.of(clinician), sections={
            "warning_signs": ["Not sleeping"], "coping_strategies": ["Box breathing"],
            "distractions": ["The library"], "environment_safety": ["Medicines at Ana's"],
            "reasons_for_living": ["My dog Pepper"],
            "help_contacts": [{"name": "My sister Ana", "phone": "555-0101"}],
            "professionals": [{"name": "Dr. Lee", "phone": "555-0102"}]})
        invitations.client_invite(
            actor=Actor.of(clinician, practice=practice),
            invite=invitations.ClientInvite(full_name="Nora Newcomer", email="nora@example.org",
                                            phone="", modules=[]))
    connection.set_schema_to_public()
    return practice, client, urlsplit(emailed_link(mailbox, "nora@example.org")).path


def pending_response_id(practice: Practice, client: User) -> int:
    with in_schema(practice):
        response = Response.objects.filter(client=client,
                                           status=Response.Status.PENDING).order_by("pk").first()
    connection.set_schema_to_public()
    assert response is not None, "the demo client has a questionnaire due"
    return response.pk


def accept_consent_of(client: User) -> None:
    ConsentAcceptance.objects.get_or_create(user=client, version=current_consent().version)


def status_without_browser(page: Page, url: str) -> tuple[int, str]:
    """The status and content type of a GET of `url` with the page's cookies, asked directly."""
    parts = urlsplit(url)
    cookies = "; ".join(f"{cookie['name']}={cookie['value']}"
                        for cookie in page.context.cookies(url))
    connection_ = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    try:
        connection_.request("GET", parts.path, headers={"Host": parts.netloc, "Cookie": cookies})
        answer = connection_.getresponse()
        return answer.status, answer.getheader("Content-Type", "")
    finally:
        connection_.close()


def _body_size(response: Any) -> int:
    """A late response of the page before this one arrives after the listener is on; its body
    is gone with that page (Playwright: "navigated away from"). It is not this page's weight."""
    try:
        return len(response.body())
    except PlaywrightError:
        return 0


def weigh_and_check(page: Page, axe: Axe, url: str) -> tuple[int, list[str], bool, list[str]]:
    """Open `url`; returns (status, serious or critical violations, overflows sideways,
    links and form actions on the page)."""
    counted: list[Any] = []

    def count(response: Any) -> None:
        counted.append(response)

    page.on("response", count)
    try:
        response = page.goto(url)
    except PlaywrightError:  # a download, or an answer with no body (405 to a form's action)
        status, content_type = status_without_browser(page, url)
        is_file = status == 200 and not content_type.startswith("text/html")
        return DOWNLOAD if is_file else status, [], False, []
    finally:
        page.remove_listener("response", count)
    status = response.status if response else 0
    if response is not None and not (response.header_value("content-type") or "").startswith(
            "text/html"):
        return DOWNLOAD, [], False, []
    size = sum(_body_size(item) for item in counted
               if item.request.resource_type in COUNTED_TYPES and item.status == 200)
    problems = [f"{violation['id']} ({violation['impact']}): "
                f"{[node['target'] for node in violation['nodes']][:3]}"
                for violation in axe.run(page, options=AXE_OPTIONS).response["violations"]
                if violation["impact"] in ("serious", "critical")]
    if size > MAX_PAGE_BYTES:
        problems.append(f"{size} bytes of HTML, CSS and JS (at most {MAX_PAGE_BYTES})")
    overflows = page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth")
    targets = page.evaluate("""() => [
        ...[...document.querySelectorAll('a[href]')].map(a => a.href),
        ...[...document.querySelectorAll('form[action]')].map(
            f => new URL(f.getAttribute('action'), location.href).href)]""")
    return status, problems, overflows, targets


def test_every_portal_page_is_accessible_fits_a_phone_and_is_small(
        browser, contexts, practice_server: LiveServer, mailbox: Mailbox) -> None:
    practice, client, invitation_path = the_demo_with_everything_on(mailbox)
    page = new_device(browser, contexts, service_workers="block")
    # Every resource from the network, each time: weighed as a first visit.
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    sign_in(page, practice, practice_server, client)
    axe = Axe()
    origin = practice_server.url(practice, "")

    routes = portal_routes()
    queue = deque("/" + route for route in routes if "<" not in route and route not in NOT_A_PAGE)
    queue.append(invitation_path)
    # Reached by a button ("Next: check your answers"), not a link.
    queue.append(f"/portal/assessments/{pending_response_id(practice, client)}/review/")
    visited: dict[str, str] = {}  # route -> the address it was checked at
    not_pages: set[str] = set()
    failures: list[str] = []
    while queue:
        path = queue.popleft()
        route = route_of(path)
        if route is None or route in visited or route in not_pages or route in NOT_A_PAGE:
            continue
        status, problems, overflows, targets = weigh_and_check(page, axe, origin + path)
        if status == 200 and page.url.startswith("chrome-error://"):
            # The browser answered 200 and then showed its own error page instead (seen once in
            # a full run, never alone): the page was never shown to be checked; look again.
            status, problems, overflows, targets = weigh_and_check(page, axe, origin + path)
        if status in (405, DOWNLOAD):
            not_pages.add(route)
            continue
        visited[route] = path
        if status != 200 or urlsplit(page.url).path != urlsplit(path).path:
            failures.append(f"{path}: answered {status}, ended at {page.url}")
        failures += [f"{path}: {problem}" for problem in problems]
        if overflows:
            failures.append(f"{path}: wider than 360 px")
        for target in targets:
            parts = urlsplit(target)
            if parts.netloc == urlsplit(origin).netloc and parts.path.startswith("/portal/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))

    # The page an invitation link that does not work shows (under the invitation's route).
    status, problems, overflows, _ = weigh_and_check(page, axe, origin + invitation_path + "x/")
    failures += [f"refused invitation: {problem}" for problem in problems]
    assert (status, overflows) == (404, False)

    print(sorted(visited.values()), sorted(not_pages))
    unreached = sorted(set(routes) - set(visited) - not_pages - set(NOT_A_PAGE))
    assert failures == [], "\n".join(failures)
    assert unreached == [], ("no page leads to these portal routes: give the client data or "
                             f"list them in NOT_A_PAGE: {unreached}")
    assert len(visited) >= 20, sorted(visited)
    print(sorted(visited.values()), sorted(not_pages))

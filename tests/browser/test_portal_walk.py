"""A client's first days with the portal, in Chromium: a clinician invites them, they open the
emailed link, choose a password and accept the consent, complete a PHQ-9 and see their chart,
keep their safety plan on the phone, open it and the crisis numbers with the network off, and
sign out, which leaves nothing behind on the device. Invitation links that expired, were used or
were revoked are refused."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from portal import invitations
from portal.models import ClientInvitation
from practice.care import services as care
from practice.measurement import services as measurement
from practice.notifications.builtin_kinds import PUSH_TEST
from practice.notifications.models import PushSubscription
from practice.notifications.webpush import send_web_push
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.conftest import Mailbox, PracticeWorld, make_practice
from tests.push.receiver import PushReceiver

pytestmark = pytest.mark.browser

PASSWORD = "a-quiet-river-2031"
LINK = re.compile(r"http://[^\s\"<>]+/portal/invitation/[^\s\"<>/]+/")
REASON_FOR_LIVING = "Walking Pepper by the river"


def emailed_link(mailbox: Mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = LINK.findall(text)
    return link


def accept(page: Page, link: str) -> None:
    page.goto(link)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_agree")
    page.get_by_role("button", name="Accept and continue").click()
    page.wait_for_url(re.compile(r"/portal/$"))


def deliver_push(page: Page, origin: str, data: str) -> None:
    """Hand `data` to the page's service worker as the browser does with a push message."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    [registration] = [item for item in registrations if not item["isDeleted"]]
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registration["registrationId"], "data": data})
    for _ in range(50):
        if page.evaluate("""navigator.serviceWorker.ready
                .then(worker => worker.getNotifications()).then(shown => shown.length)"""):
            return
        page.wait_for_timeout(100)


def cache_names(page: Page) -> list[str]:
    return page.evaluate("caches.keys()")


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    world = make_practice("alpha", "Alpha Therapy")
    Practice.objects.filter(pk=world.practice.pk).update(instrument_keys=["phq9", "gad7"])
    world.practice.refresh_from_db()
    return world


def test_invited_client_answers_a_phq9_keeps_the_safety_plan_offline_and_signs_out(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld,
        mailbox: Mailbox) -> None:
    # The clinician invites Nora from the staff pages.
    staff = new_device(browser, contexts, width=1280)
    sign_in(staff, world, practice_server, world.clinician)
    staff.goto(practice_server.url(world, "/clients/invite/"))
    staff.fill("#id_full_name", "Nora Newcomer")
    staff.fill("#id_email", "nora@example.org")
    staff.get_by_role("button", name="Send invitation").click()
    expect(staff.get_by_text("Invited, not yet accepted").first).to_be_visible()

    # Nora opens the link on her phone, sets a password and accepts the consent.
    link = emailed_link(mailbox, "nora@example.org")
    assert urlsplit(link).netloc == f"alpha.localhost:{practice_server.port}"
    phone = new_device(browser, contexts)
    accept(phone, link)
    with in_schema(world):
        nora = User.objects.get(email="nora@example.org")
        measurement.assignment_create(
            client_id=nora.pk, instrument_key="phq9",
            frequency="once", starts_on=timezone.localdate(),
            actor=Actor.of(world.clinician, practice=world.practice))
        care.safety_plan_save(client_id=nora.pk, actor=Actor.of(world.clinician), sections={
            "warning_signs": ["Not sleeping"], "reasons_for_living": [REASON_FOR_LIVING],
            "help_contacts": [{"name": "My sister Ana", "phone": "555-0101"}]})
    connection.set_schema_to_public()

    # A PHQ-9, all questions on one page: "Several days" to the first eight, "Not at all" to
    # item 9 and to the difficulty question; then the result (8) and the chart.
    phone.goto(practice_server.url(world, "/portal/assessments/"))
    phone.get_by_role("link", name=re.compile("PHQ-9")).first.click()
    phone.goto(phone.url.split("?")[0] + "?layout=all")
    for number in range(1, 11):
        phone.check(f"input[name=q{number}][value='{1 if number < 9 else 0}']")
    phone.get_by_role("button", name="Submit my answers").click()
    expect(phone.locator("h1")).to_have_text(re.compile("result"))
    phone.goto(practice_server.url(world, "/portal/assessments/progress/"))
    expect(phone.locator(".trend svg").first).to_be_visible()
    expect(phone.get_by_role("cell", name="8", exact=True).first).to_be_visible()

    # The safety plan page installs the service worker; not kept yet, so offline it is gone.
    plan_url = practice_server.url(world, "/portal/safety-plan/")
    phone.goto(plan_url)
    expect(phone.get_by_text(REASON_FOR_LIVING)).to_be_visible()
    assert phone.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)") in (
        "activating", "activated")
    phone.context.set_offline(True)
    phone.goto(plan_url)
    expect(phone.locator("h1")).to_have_text("You are offline")
    assert REASON_FOR_LIVING not in phone.content()
    expect(phone.locator("a[href='tel:988']").first).to_be_visible()  # crisis help, always

    # Nora keeps it on this phone; with the network off it opens, and so does crisis help.
    phone.context.set_offline(False)
    phone.goto(plan_url)
    optin = phone.locator("#offline-optin")
    expect(optin).to_contain_text("Anyone who can open this device")
    optin.get_by_role("button", name="Keep it on this device").click()
    expect(optin.locator("[data-offline-status]")).to_have_text(
        "Your safety plan and the crisis numbers are kept on this device. They open with no "
        "connection.")
    phone.context.set_offline(True)
    phone.goto(plan_url)
    expect(phone.get_by_text(REASON_FOR_LIVING)).to_be_visible()
    expect(phone.locator("a[href='tel:5550101']")).to_have_text(re.compile("My sister Ana"))
    phone.goto(practice_server.url(world, "/portal/help/"))
    expect(phone.locator("h1")).to_have_text("Get help now")
    expect(phone.locator("a[href='tel:988']").first).to_be_visible()
    phone.goto(practice_server.url(world, "/portal/goals/"))  # not kept: the offline page
    expect(phone.locator("h1")).to_have_text("You are offline")

    # She can take it off the phone again (and keeps it once more).
    phone.context.set_offline(False)
    phone.goto(plan_url)
    optin.get_by_role("button", name="Remove it from this device").click()
    expect(optin.locator("[data-offline-status]")).to_have_text("Not kept on this device.")
    assert "tandem-saved" not in cache_names(phone)
    phone.context.set_offline(True)
    phone.goto(plan_url)
    expect(phone.locator("h1")).to_have_text("You are offline")
    phone.context.set_offline(False)
    phone.goto(plan_url)
    optin.get_by_role("button", name="Keep it on this device").click()
    expect(optin.get_by_role("button", name="Remove it from this device")).to_be_visible()

    # A push reaches the phone: sent by the server, checked and decrypted by the push service
    # (tests/push/receiver.py), shown by the practice's service worker.
    origin = practice_server.url(world, "").rstrip("/")
    phone.context.grant_permissions(["notifications"], origin=origin)
    with PushReceiver() as service:
        device = service.browser()
        with in_schema(world):
            send_web_push(PushSubscription.objects.create(
                user=nora, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth),
                payload={"title": "Alpha Therapy", "body": PUSH_TEST.push_body,
                         "url": "/portal/", "tag": PUSH_TEST.key}, ttl=PUSH_TEST.push_ttl)
        connection.set_schema_to_public()
        [push] = service.received
    deliver_push(phone, origin, push.plaintext.decode())
    assert phone.evaluate("""navigator.serviceWorker.ready
        .then(worker => worker.getNotifications())
        .then(shown => shown.map(n => [n.title, n.body, n.tag, n.data.url]))""") == [
        ["Alpha Therapy", "Notifications work on this device.", "push_test", "/portal/"]]

    # Back online, Nora signs out: nothing is left on the phone, not even offline.
    phone.goto(practice_server.url(world, "/portal/"))
    kept = sorted(cache_names(phone))
    assert len(kept) == 2 and kept[0] == "tandem-saved" and kept[1].startswith("tandem-shell-")
    phone.get_by_text("Menu", exact=True).click()  # on a phone the links fold under Menu
    phone.get_by_role("button", name="Sign out").first.click()
    phone.wait_for_url(re.compile(r"/accounts/sign-in/"))
    assert cache_names(phone) == []  # the shell and the kept safety plan alike
    assert phone.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    phone.context.set_offline(True)
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        phone.goto(plan_url)


def invite(world: PracticeWorld, email: str) -> None:
    with in_schema(world):
        invitations.client_invite(
            actor=Actor.of(world.clinician, practice=world.practice),
            invite=invitations.ClientInvite(full_name="A Client", email=email, phone="",
                                            modules=[]))
    connection.set_schema_to_public()


def test_expired_used_and_revoked_links_are_refused_in_the_browser(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld,
        mailbox: Mailbox) -> None:
    for email in ("used@example.org", "revoked@example.org", "expired@example.org"):
        invite(world, email)
    with in_schema(world):
        revoked = User.objects.get(email="revoked@example.org")
        invitations.client_access_revoke(client_id=revoked.pk, actor=Actor.of(world.clinician))
        ClientInvitation.objects.filter(user__email="expired@example.org").update(
            expires_at=timezone.now() - timedelta(minutes=1))
    connection.set_schema_to_public()
    page = new_device(browser, contexts)

    used = emailed_link(mailbox, "used@example.org")
    accept(page, used)
    page.context.clear_cookies()
    cases = [(used, "This invitation link was already used"),
             (emailed_link(mailbox, "revoked@example.org"), "This invitation link no longer works"),
             (emailed_link(mailbox, "expired@example.org"), "This invitation link has expired")]
    for link, heading in cases:
        response = page.goto(link)
        assert response is not None and response.status == 410
        expect(page.locator("h1")).to_have_text(heading)
        assert page.locator("#id_password1").count() == 0
    response = page.goto(used.rstrip("/") + "x/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("This invitation link is not valid")

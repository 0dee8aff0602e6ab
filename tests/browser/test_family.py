"""A parent in Chromium: the clinician invites her from the client's record, she accepts the
emailed link on her phone (password and the proxy consent) and lands on her child's page, whose
name is always shown; with a second child linked she switches between them. Then each tier's
pages at 360 and 1280 px: accessible (no serious or critical axe-core violation), never wider
than the screen, the teen's journal nowhere. With TANDEM_SHOTS=<dir> the tier pages are saved
as screenshots there."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from practice.care.models import Goal, Homework, JournalEntry
from practice.disclosure.services import ReleaseDraft, release_create
from practice.family.instruments import PARENT_REPORT, SELF_REPORT
from practice.family.models import ClientAgeFacts, FamilySettings, ProxyLink, ProxyTier
from practice.family.services import (
    CaregiverSchedule,
    caregiver_assign,
    family_summary_save,
    item_mark_set,
    proxy_message_send,
)
from practice.measurement.services import practice_instrument_publish, practice_instrument_save
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.features import MODULE_KEYS
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_form_signing import problems
from tests.conftest import PASSWORD, PracticeWorld, make_practice
from tests.family.helpers import proxy_linked

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://[^\s\"<>]+/family/invitation/[^\s\"<>/]+/")
CANARY = "CANARY-browser teen journal"


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    world = make_practice("alpha", "Alpha Therapy")
    world.practice.enabled_modules = list(MODULE_KEYS)
    world.practice.save(update_fields=["enabled_modules"])
    with in_schema(world):
        FamilySettings.objects.create(self_consent_age=14)
        ClientProfile.objects.get_or_create(user=world.client)[0].clinicians.add(world.clinician)
        ClientAgeFacts.objects.create(client=world.client, birth_date=date(2014, 2, 1))
        JournalEntry.objects.create(client=world.client, body=CANARY)
    return world


def test_a_parent_accepts_the_invitation_and_switches_children(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld, mailbox) -> None:
    desk = new_device(browser, contexts, width=1280)
    sign_in(desk, world, practice_server, world.clinician)
    desk.goto(practice_server.url(world, f"/family/staff/clients/{world.client.pk}/"))
    desk.get_by_label("Their name").fill("Pat Parent")
    desk.get_by_label("Their email").fill("pat@example.org")
    desk.get_by_label("Relationship to the client").fill("mother")
    desk.get_by_label("What they see").select_option("progress")
    desk.get_by_role("button", name="Send invitation").click()
    desk.wait_for_url(re.compile(r"/family/staff/clients/\d+/$"))
    assert "Invitation sent to pat@example.org." in desk.content()
    [message] = mailbox.to("pat@example.org")
    link = LINK.findall(message.get_body(preferencelist=("plain",)).get_content())[0]

    phone = new_device(browser, contexts)
    axe = Axe()
    phone.goto(link)
    assert problems(phone, axe) == []
    phone.get_by_label("Password", exact=True).fill("a-long-family-passphrase")
    phone.get_by_label("Password again").fill("a-long-family-passphrase")
    phone.get_by_label("I have read this and I agree").check()
    phone.get_by_role("button", name="Accept and continue").click()
    phone.wait_for_url(re.compile(rf"/family/{world.client.pk}/$"))
    assert "You are viewing Chris Client's record" in phone.content()
    assert problems(phone, axe) == []

    with in_schema(world):
        parent = User.objects.get(email="pat@example.org")
        sibling = User.objects.create_user("kim@example.org", PASSWORD, full_name="Kim Kid",
                                           role=Role.CLIENT)
        ClientProfile.objects.create(user=sibling)
        ClientAgeFacts.objects.create(client=sibling, birth_date=date(2019, 5, 5))
        proxy_linked(sibling, email="", tier_key="logistics", proxy=parent)
    phone.reload()
    phone.get_by_role("navigation", name="Switch person").get_by_role(
        "link", name="Kim Kid").click()
    phone.wait_for_url(re.compile(rf"/family/{sibling.pk}/$"))
    assert "You are viewing Kim Kid's record" in phone.content()
    assert "Progress summary" not in phone.content()  # Kim's link is logistics
    assert problems(phone, axe) == []


def test_each_tier_shows_its_kinds_accessibly(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    shots = os.environ.get("TANDEM_SHOTS")
    with in_schema(world):
        parent = proxy_linked(world.client, email="pat@example.org", tier_key="logistics")
        goal = Goal.objects.create(client=world.client, title="Back to swimming",
                                   created_by=world.clinician)
        item_mark_set(client_id=world.client.pk, kind="goals", object_id=goal.pk,
                      mark="shareable", is_on=True, actor=Actor.of(world.clinician))
        Homework.objects.create(client=world.client, instructions="Breathing practice daily",
                                due_on=timezone.localdate(), created_by=world.clinician)
        family_summary_save(client_id=world.client.pk, actor=Actor.of(world.clinician),
                            text="Coming every week; sleep is better.")
        ClientProfile.objects.get_or_create(user=world.client)[0].clinicians.add(
            world.clinician)
        release = release_create(
            client_id=world.client.pk, draft=ReleaseDraft(
                recipient_name="Dr Priya Patel", purpose="Medication review",
                kinds=["scores"], instrument_keys=["phq9"],
                expires_on=timezone.localdate() + timedelta(days=365)),
            practice_name=world.practice.name, actor=Actor.of(world.clinician))
    axe = Axe()
    expected = {"logistics": 4, "progress": 6, "full": 11}
    for width in (360, 1280):
        page = new_device(browser, contexts, width=width)
        sign_in(page, world, practice_server, parent)
        for tier, count in expected.items():
            with in_schema(world):
                ProxyLink.objects.filter(proxy=parent).update(
                    tier=ProxyTier.objects.get(key=tier))
            page.goto(practice_server.url(world, f"/family/{world.client.pk}/"))
            links = page.get_by_role("region", name="What you can see").get_by_role("link")
            assert links.count() == count, tier
            assert CANARY not in page.content()
            assert problems(page, axe) == [] if width == 360 else True
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/family-{tier}-overview-{width}.png",
                                full_page=True)
            last = {"logistics": "appointments", "progress": "goals", "full": "releases"}[tier]
            page.goto(practice_server.url(world, f"/family/{world.client.pk}/{last}/"))
            assert CANARY not in page.content()
            assert problems(page, axe) == [] if width == 360 else True
            if shots:
                page.screenshot(path=f"{shots}/family-{tier}-{last}-{width}.png",
                                full_page=True)
            if tier == "full":  # the parent signs for a young child: the sign page
                page.get_by_role("link", name="Dr Priya Patel").click()
                page.wait_for_url(re.compile(rf"/releases/{release.pk}/$"))
                assert page.get_by_role("button", name="Sign", exact=True).count() == 1
                assert problems(page, axe) == [] if width == 360 else True
                if shots:
                    page.screenshot(path=f"{shots}/family-release-sign-{width}.png",
                                    full_page=True)


def test_the_staff_family_page_and_the_teens_sharing_page(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    """The clinician's family page of a client (proxies, tier, age, summary, item marks) and,
    once the teen decides, their page of who sees what: accessible on a phone and a desk."""
    shots = os.environ.get("TANDEM_SHOTS")
    with in_schema(world):
        proxy_linked(world.client, email="pat@example.org", tier_key="progress",
                     relationship="mother")
        Goal.objects.create(client=world.client, title="Back to swimming",
                            created_by=world.clinician)
    axe = Axe()
    for width in (360, 1280):
        staff = new_device(browser, contexts, width=width)
        sign_in(staff, world, practice_server, world.clinician)
        staff.goto(practice_server.url(world, f"/family/staff/clients/{world.client.pk}/"))
        assert "Pat Parent" in staff.content()
        assert problems(staff, axe) == [] if width == 360 else True
        if shots:
            staff.screenshot(path=f"{shots}/family-staff-client-{width}.png", full_page=True)
    with in_schema(world):
        ClientAgeFacts.objects.filter(client=world.client).update(birth_date=date(2008, 1, 1))
    for width in (360, 1280):
        teen = new_device(browser, contexts, width=width)
        sign_in(teen, world, practice_server, world.client)
        teen.goto(practice_server.url(world, "/family/sharing/"))
        teen.get_by_role("checkbox", name="Appointments").check()
        teen.get_by_role("button", name="Save").click()
        teen.wait_for_url(re.compile(r"/family/sharing/$"))
        assert "Can see now: Appointments" in teen.content()
        assert problems(teen, axe) == [] if width == 360 else True
        if shots:
            teen.screenshot(path=f"{shots}/family-client-sharing-{width}.png", full_page=True)


def test_the_staff_inbox_holds_a_proxys_conversation_and_the_parent_sees_what_is_due(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    """The clinician's inbox lists the parent's conversation labelled with the parent, the
    relationship and the client, and answers it; the parent's page lists the weekly parent
    report due. Accessible at 360 px; with TANDEM_SHOTS, screenshots of both."""
    shots = os.environ.get("TANDEM_SHOTS")
    with in_schema(world):
        parent = proxy_linked(world.client, email="pat@example.org", tier_key="progress",
                              relationship="mother")
        link = ProxyLink.objects.get(proxy=parent)
        for definition in (PARENT_REPORT, SELF_REPORT):
            practice_instrument_save(data=definition, actor=Actor.of(world.clinician))
            practice_instrument_publish(key=definition["key"], actor=Actor.of(world.clinician))
        caregiver_assign(link_id=link.pk, instrument_key=PARENT_REPORT["key"],
                         compare_with=SELF_REPORT["key"], actor=Actor.of(world.clinician),
                         plan=CaregiverSchedule(frequency="weekly"))
        proxy_message_send(practice=world.practice, link_id=link.pk, author=world.clinician,
                           subject="Next session",
                           body="Hello Pat, Chris's session next week moves to 4 pm.")
        proxy_message_send(practice=world.practice, link_id=link.pk, author=parent,
                           body="Thank you, 4 pm works for us.")
    axe = Axe()
    for width in (360, 1280):
        staff = new_device(browser, contexts, width=width)
        sign_in(staff, world, practice_server, world.clinician)
        staff.goto(practice_server.url(world, "/messages/"))
        row = staff.get_by_role("link", name="Pat Parent (mother) about Chris Client")
        assert row.count() == 1
        found = problems(staff, axe) if width == 360 else []
        assert found == [], found
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            staff.screenshot(path=f"{shots}/family-staff-inbox-{width}.png", full_page=True)
        row.click()
        staff.wait_for_url(re.compile(r"/messages/\d+/$"))
        assert "Thank you, 4 pm works for us." in staff.content()
        found = problems(staff, axe) if width == 360 else []
        assert found == [], found
        if shots:
            staff.screenshot(path=f"{shots}/family-staff-proxy-conversation-{width}.png",
                             full_page=True)

        phone = new_device(browser, contexts, width=width)
        sign_in(phone, world, practice_server, parent)
        phone.goto(practice_server.url(world, f"/family/{world.client.pk}/"))
        due = phone.get_by_role("region", name="Questionnaires for you to fill in")
        assert "Family mood check (parent report)" in due.inner_text()
        assert "due by" in due.inner_text()
        assert CANARY not in phone.content()
        assert problems(phone, axe) == [] if width == 360 else True
        if shots:
            phone.screenshot(path=f"{shots}/family-proxy-due-list-{width}.png", full_page=True)

"""The timezone field with scripts on (config/static/js/timezone.js): the device's own zone
becomes the first suggestion, marked as this device's, and what the person chose stays chosen."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.consent import current_consent
from portal.invitations import consent_accept
from portal.models import ClientAccess
from practice.models import ClientProfile
from tests.browser.conftest import TIMEOUT_MS, LiveServer, in_schema, sign_in
from tests.conftest import PracticeWorld, make_practice

pytestmark = pytest.mark.browser


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    world = make_practice("alpha", "Alpha Therapy")
    with in_schema(world):
        ClientProfile.objects.create(user=world.client, timezone="America/Chicago")
        ClientAccess.objects.create(user=world.client, invited_at=timezone.now(),
                                    accepted_at=timezone.now())
        consent_accept(user=world.client, version=current_consent().version)
    return world


@pytest.mark.parametrize("device_zone, listed", [("Europe/Madrid", True),
                                                 ("America/Chicago", True),
                                                 ("Etc/GMT+5", False)])
def test_the_devices_zone_is_suggested_first(browser, contexts, practice_server: LiveServer,
                                             world: PracticeWorld, device_zone: str,
                                             listed: bool) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 780},
                                  timezone_id=device_zone)
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    page = context.new_page()
    sign_in(page, world, practice_server, world.client)
    page.goto(practice_server.url(world, "/portal/settings/"))
    select = page.get_by_label("Timezone")

    expect(select).to_have_attribute("data-timezone-ready", "")
    first = select.locator("optgroup").first.locator("option").first
    if listed:
        expect(first).to_have_attribute("value", device_zone)
        expect(first).to_contain_text(", this device)")
    else:
        expect(first).to_have_attribute("value", "America/Chicago")
        expect(select.locator("option", has_text="this device")).to_have_count(0)
    expect(select).to_have_value("America/Chicago")  # nothing chosen for the person
    assert select.locator("option[value='America/Chicago']:checked").count() == 1

"""Sharing records in Chromium: the client signs a release on a phone (360 px), the clinician
sends a progress report from a desktop (1280 px) and reads the one-time code, and the recipient
downloads the package on a phone: a wrong code reveals nothing, the right one gives the zip
once, a second visit is a dead link. Every page passes axe (no serious or critical violation)
and never scrolls sideways at 360 px. With TANDEM_SHOTS set, screenshots go there."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from practice.disclosure.models import Disclosure
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_form_signing import problems
from tests.conftest import PracticeWorld, make_practice
from tests.disclosure.helpers import draft, prepare

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SHOTS")


def shot(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"disclosure-{name}-{width}.png"),
                        full_page=True)


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    return make_practice("alpha", "Alpha Therapy")


def test_sign_send_and_download_with_the_code(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    with in_schema(world):
        prepare(world)
        release = draft(world, recipient_email="", recipient_phone="(555) 010-4455")
    axe = Axe()
    phone = new_device(browser, contexts)
    sign_in(phone, world, practice_server, world.client)
    phone.goto(practice_server.url(world, f"/portal/disclosures/{release.pk}/sign/"))
    assert problems(phone, axe) == []
    shot(phone, "release-sign", 360)
    phone.get_by_label("Type your full name").fill("Chris Client")
    phone.get_by_role("checkbox", name=re.compile("I agree to sign")).check()
    phone.get_by_role("button", name="Sign", exact=True).click()
    phone.wait_for_url(re.compile(r"/portal/disclosures/$"))
    assert "Signed." in phone.content()
    assert problems(phone, axe) == []
    shot(phone, "portal-releases", 360)

    desk = new_device(browser, contexts, width=1280, height=900)
    sign_in(desk, world, practice_server, world.clinician)
    desk.goto(practice_server.url(
        world, f"/disclosure/clients/{world.client.pk}/releases/{release.pk}/"))
    desk.get_by_label("Package").select_option("progress_report")
    desk.get_by_role("button", name="Send").click()
    code = desk.locator("[data-code]").inner_text().strip()
    link = desk.locator("main code").first.inner_text().strip()
    assert len(code) == 8 and "/shared/" in link
    assert problems(desk, axe) == []
    shot(desk, "release-sent", 1280)
    desk.goto(practice_server.url(world, f"/disclosure/clients/{world.client.pk}/accounting/"))
    assert "Medication review" in desk.content()
    assert problems(desk, axe) == []
    shot(desk, "accounting", 1280)
    desk.goto(practice_server.url(world, f"/disclosure/clients/{world.client.pk}/"))
    assert problems(desk, axe) == []
    shot(desk, "client-overview", 1280)

    wide = new_device(browser, contexts, width=1280, height=900)
    wide.goto(link)  # a visit (audited) uses nothing up
    assert problems(wide, axe) == []
    shot(wide, "recipient", 1280)
    recipient = new_device(browser, contexts)
    recipient.goto(link)
    assert "Download shared records" in recipient.content()
    assert "Chris" not in recipient.content()
    assert problems(recipient, axe) == []
    shot(recipient, "recipient", 360)
    recipient.get_by_label("Code").fill("WRONGCOD")
    recipient.get_by_role("button", name="Download").click()
    assert "That code is not valid for this link." in recipient.content()
    assert problems(recipient, axe) == []
    recipient.get_by_label("Code").fill(code.lower())
    with recipient.expect_download() as download_info:
        recipient.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "records.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert "progress-report.pdf" in archive.namelist()
    recipient.goto(link)
    assert "This link is not valid." in recipient.content()
    with in_schema(world):
        assert Disclosure.objects.count() == 1

    wide.goto(link)
    shot(wide, "recipient-used", 1280)
    phone.goto(practice_server.url(world, "/portal/disclosures/accounting/"))
    assert "Dr Priya Patel" in phone.content()
    assert problems(phone, axe) == []
    shot(phone, "portal-accounting", 360)
    narrow_desk = new_device(browser, contexts)
    sign_in(narrow_desk, world, practice_server, world.clinician)
    for path, name in ((f"/disclosure/clients/{world.client.pk}/accounting/", "accounting"),
                       (f"/disclosure/clients/{world.client.pk}/releases/{release.pk}/",
                        "release"),
                       (f"/disclosure/clients/{world.client.pk}/releases/new/", "release-new")):
        narrow_desk.goto(practice_server.url(world, path))
        assert problems(narrow_desk, axe) == [], path
        shot(narrow_desk, name, 360)

"""Documents and message threads in Chromium: the clinician ticks them on a new release
(desktop), the client signs it, and the clinician sends each package from the release page,
which offers only the packages the release can carry; the documents package narrowed to a date.
Every page passes axe (no serious or critical violation) and fits 360 px. With TANDEM_SHOTS set,
screenshots go there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from practice.disclosure.models import Disclosure, Release
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_form_signing import problems
from tests.conftest import PracticeWorld, make_practice
from tests.disclosure.helpers import give_documents, give_messages, prepare
from tests.disclosure.helpers import signed as sign_release

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SHOTS")


def shot(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"disclosure-records-{name}-{width}.png"),
                        full_page=True)


@pytest.fixture
def world(practice_server: LiveServer, media_root) -> PracticeWorld:  # type: ignore[no-untyped-def]
    return make_practice("alpha", "Alpha Therapy")


def test_release_and_send_documents_and_messages(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    with in_schema(world):
        prepare(world)
        give_documents(world)
        give_messages(world)
    axe = Axe()
    desk = new_device(browser, contexts, width=1280, height=900)
    sign_in(desk, world, practice_server, world.clinician)
    desk.goto(practice_server.url(world, f"/disclosure/clients/{world.client.pk}/releases/new/"))
    desk.get_by_label("Recipient's name").fill("Dr Priya Patel")
    desk.get_by_label("Organisation").fill("Northside Psychiatry")
    desk.get_by_role("checkbox", name=re.compile("Documents: completed and signed forms")).check()
    desk.get_by_role("checkbox", name="Secure message threads with the practice").check()
    desk.get_by_label("Purpose").fill("Continuity of care")
    desk.get_by_label("Expires on").fill(
        (timezone.localdate() + timezone.timedelta(days=90)).isoformat())
    assert problems(desk, axe) == []
    shot(desk, "release-new", 1280)
    desk.get_by_role("button", name="Save for the client to sign").click()
    desk.wait_for_url(re.compile(r"/releases/\d+/$"))
    with in_schema(world):
        drafted = Release.objects.get()
        assert drafted.kinds == ["documents", "messages"]
        release = sign_release(world, kinds=["documents", "messages"], instrument_keys=[],
                               recipient_email="")
    page = practice_server.url(
        world, f"/disclosure/clients/{world.client.pk}/releases/{release.pk}/")
    desk.goto(page)
    options = desk.locator("select[name=package_kind] option").all_inner_texts()
    assert options == ["Documents (forms as PDF, files as stored, with an index)",
                       "Message threads (PDF)"]
    assert problems(desk, axe) == []
    shot(desk, "release", 1280)
    desk.get_by_label("Package").select_option("documents")
    desk.get_by_label("Only records from (optional)").fill(timezone.localdate().isoformat())
    desk.get_by_role("button", name="Send").click()
    assert len(desk.locator("[data-code]").inner_text().strip()) == 8
    assert "Documents (1 form, 1 file)" in desk.content()
    assert problems(desk, axe) == []
    shot(desk, "documents-sent", 1280)
    desk.get_by_label("Package").select_option("message_threads")
    desk.get_by_role("button", name="Send").click()
    assert "Message threads (1 thread, 2 messages)" in desk.content()
    shot(desk, "messages-sent", 1280)
    with in_schema(world):
        assert list(Disclosure.objects.order_by("pk").values_list("package_kind", flat=True)
                    ) == ["documents", "message_threads"]
    phone = new_device(browser, contexts)
    sign_in(phone, world, practice_server, world.clinician)
    for path, name in ((f"/disclosure/clients/{world.client.pk}/releases/new/", "release-new"),
                       (f"/disclosure/clients/{world.client.pk}/releases/{release.pk}/",
                        "release")):
        phone.goto(practice_server.url(world, path))
        assert problems(phone, axe) == [], path
        shot(phone, name, 360)

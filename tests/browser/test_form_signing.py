"""A client fills in and signs a form on a phone (Chromium, 360 px): the questions, submitting,
the drawing pad the page adds when scripts run, the signature kept with its drawn mark; the form
and signing pages are accessible (no serious or critical axe-core violation) and never scroll
sideways; staff then see the signature and a seal that holds."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection

from practice.formbuilder import seal
from practice.formbuilder.models import FormSignature
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.conftest import PracticeWorld, make_practice
from tests.formbuilder.helpers import prepare, publish, share

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}


def problems(page, axe: Axe) -> list[str]:
    found = [f"{violation['id']}: {[node['target'] for node in violation['nodes']][:3]}"
             for violation in axe.run(page, options=AXE_OPTIONS).response["violations"]
             if violation["impact"] in ("serious", "critical")]
    if page.evaluate("document.documentElement.scrollWidth > "
                     "document.documentElement.clientWidth"):
        found.append("wider than 360 px")
    return found


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    return make_practice("alpha", "Alpha Therapy")


def test_a_client_fills_in_and_signs_with_a_drawing(
        browser, contexts, practice_server: LiveServer, world: PracticeWorld) -> None:
    care = prepare(world)
    form_id = share(care, publish(care))
    phone = new_device(browser, contexts)
    sign_in(phone, world, practice_server, world.client)
    axe = Axe()

    phone.goto(practice_server.url(world, f"/portal/documents/forms/{form_id}/"))
    assert problems(phone, axe) == []
    phone.get_by_label("Preferred name").fill("Chris")
    phone.get_by_label("Date of birth").fill("1990-04-02")
    phone.get_by_role("radio", name="Email").check()
    phone.get_by_role("checkbox", name="Sleep").check()
    phone.get_by_label("Sessions before").fill("3")
    phone.get_by_role("group", name="Taking medication?").get_by_role("radio", name="No").check()
    phone.get_by_role("button", name="Submit and go to signing").click()
    phone.wait_for_url(re.compile(rf"/portal/documents/forms/{form_id}/sign/$"))
    assert problems(phone, axe) == []

    pad = phone.locator("[data-signature-pad] canvas")
    assert pad.is_visible()  # added by the script; hidden without it
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] <= 360
    phone.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] * (
            0.3 if step % 2 else 0.7))
    phone.mouse.up()
    phone.get_by_label("Type your full name").fill("Chris Client")
    phone.get_by_role("checkbox", name=re.compile("I agree to sign this form")).check()
    phone.get_by_role("button", name="Sign", exact=True).click()
    phone.wait_for_url(re.compile(rf"/portal/documents/forms/{form_id}/$"))
    assert "Signed. Thank you." in phone.content()

    with in_schema(world):
        signature = FormSignature.objects.select_related("assignment__version").get()
        assert (signature.typed_name, signature.has_drawing) == ("Chris Client", True)
        assert seal.seal_check(signature).matches is True
    connection.set_schema_to_public()

    desk = new_device(browser, contexts, width=1024)
    sign_in(desk, world, practice_server, world.front_desk)
    desk.goto(practice_server.url(world, f"/documents/forms/{form_id}/"))
    assert desk.get_by_text("Matches its seal", exact=False).first.is_visible()
    assert desk.get_by_role("img", name="Drawn signature").is_visible()

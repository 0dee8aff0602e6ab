"""The staff week calendar in Chromium: seven columns at 1280 px, a list of days at 360 px that
never scrolls sideways, no serious or critical axe-core violation, htmx swapping the week in
place (the address follows), nothing the Content-Security-Policy refuses, and a free time
booked from the keyboard."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from practice.appointments import services
from tenants.actor import Actor
from tests.appointments.helpers import MARKER, prepare
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_form_signing import problems
from tests.conftest import PracticeWorld, make_practice

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SCREENSHOTS", "")  # a folder for screenshots, when set
NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def world(practice_server: LiveServer) -> PracticeWorld:
    return make_practice("alpha", "Alpha Therapy")


def test_the_week_on_a_desk_and_on_a_phone(browser, contexts, practice_server: LiveServer,
                                           world: PracticeWorld) -> None:
    booking = prepare(world)
    today = timezone.now().astimezone(NEW_YORK).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    with in_schema(world):
        services.series_book(data=services.SeriesInput(
            client_id=world.client.pk, clinician_id=world.clinician.pk,
            appointment_type_id=booking.office_type, frequency="weekly", first_date=monday,
            local_time=time(10), occurrences=8), actor=Actor.of(world.front_desk))
    connection.set_schema_to_public()
    booking.book(at(monday + timedelta(days=2), 14), kind="video")
    path = f"/appointments/week/?clinician=all&date={monday.isoformat()}"
    axe = Axe()

    desk = new_device(browser, contexts, width=1280, height=900)
    sign_in(desk, world, practice_server, world.front_desk)
    desk.goto(practice_server.url(world, path))
    expect(desk.get_by_role("heading", name=f"Week of {monday:%A} {monday.day}")).to_be_visible()
    assert desk.locator(".entry-session").count() == 2
    assert MARKER in desk.locator(".week").inner_text()
    boxes = [desk.locator(".week-day").nth(index).bounding_box() for index in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]  # columns
    assert problems(desk, axe) == []
    if SHOTS:
        desk.screenshot(path=f"{SHOTS}/week-1280.png", full_page=True)
    # htmx swaps the next week in; the address follows (a reload shows the same week).
    assert desk.evaluate("typeof window.htmx") == "object"
    desk.get_by_role("link", name="Next week").click()
    following = monday + timedelta(weeks=1)
    expect(desk.get_by_role("heading", name=f"Week of {following:%A} {following.day}")
           ).to_be_visible()
    assert f"date={following.isoformat()}" in desk.url
    # From the keyboard: a free time is a link; Enter opens the booking form filled in.
    free = desk.locator(".entry-free a").first
    free.focus()
    desk.keyboard.press("Enter")
    desk.wait_for_url("**/appointments/book/**")
    assert desk.locator("#id_date").input_value() == following.isoformat()

    phone = new_device(browser, contexts, width=360, height=780)
    sign_in(phone, world, practice_server, world.front_desk)
    phone.goto(practice_server.url(world, path))
    boxes = [phone.locator(".week-day").nth(index).bounding_box() for index in range(2)]
    assert boxes[1]["y"] > boxes[0]["y"] and boxes[0]["x"] == boxes[1]["x"]  # a day list
    assert problems(phone, axe) == []
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/week-360.png", full_page=True)

"""Choosing a timezone (practice/timezones.py): the likely zones first (the one already chosen,
the practice's, the common zones of the United States), then every zone by region with a
readable label; aliases left out; any value zoneinfo does not know refused with a message. The
same field on the client's settings, a staff member's preferences, the practice's notification
rules, its booking settings and a clinician's hours. The look-alike practice is untouched."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context

from practice.appointments.models import BookingSettings
from practice.models import ClientProfile
from practice.notifications.models import NotificationPreference
from practice.timezones import (
    COMMON_ZONES,
    TimezoneField,
    timezone_choices,
    zone_label,
    zone_names,
)
from tests.conftest import PracticeWorld

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)
OPTGROUP = re.compile(r'<optgroup label="([^"]+)">(.*?)</optgroup>', re.DOTALL)
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


def groups(body: str, field: str) -> list[tuple[str, list[tuple[str, str]]]]:
    [select] = re.findall(rf'<select name="{field}"[^>]*>(.*?)</select>', body, re.DOTALL)
    return [(label, OPTION.findall(options)) for label, options in OPTGROUP.findall(select)]


def test_labels_read_as_places_with_their_offset_of_the_day() -> None:
    assert zone_label("America/New_York", now=WINTER) == "New York (EST, UTC−05:00)"
    assert zone_label("America/New_York", now=SUMMER) == "New York (EDT, UTC−04:00)"
    assert zone_label("America/Argentina/Buenos_Aires", now=WINTER) == (
        "Buenos Aires, Argentina (UTC−03:00)")
    assert zone_label("Asia/Kolkata", now=WINTER) == "Kolkata (IST, UTC+05:30)"
    assert zone_label("Australia/Adelaide", now=WINTER) == "Adelaide (ACDT, UTC+10:30)"
    assert zone_label("UTC") == "UTC (UTC+00:00)"


def test_the_list_is_grouped_with_the_likely_zones_first() -> None:
    choices = timezone_choices(likely=["Europe/Madrid", "America/Chicago", "Nowhere/Town"],
                               now=WINTER)
    names = [str(label) for label, _rows in choices]
    assert names == ["Suggested", "Americas", "Europe", "Africa", "Asia", "Australia",
                     "Pacific", "Atlantic", "Indian Ocean", "Antarctica", "Arctic"]
    suggested = choices[0][1]
    assert [value for value, _label in suggested] == [
        "Europe/Madrid", "America/Chicago", "America/New_York", "America/Denver",
        "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
        "America/Puerto_Rico"]
    assert suggested[0] == ("Europe/Madrid", "Madrid (CET, UTC+01:00)")
    regional = [value for _group, rows in choices[1:] for value, _label in rows]
    assert len(regional) == len(set(regional)) == len(zone_names())
    # Every zone once in its region, by label; no aliases and no raw offsets.
    europe = dict(choices)[choices[2][0]]
    assert [label for _value, label in europe] == sorted(label for _value, label in europe)
    for alias in ("US/Eastern", "America/Buenos_Aires", "Asia/Calcutta", "Etc/GMT+5",
                  "Australia/ACT", "EST5EDT"):
        assert alias not in regional
    assert set(COMMON_ZONES) <= set(regional)
    assert 400 <= len(zone_names()) <= 430  # zone.tab: about 420, not 598 raw names


def test_with_utc_it_comes_after_the_suggestions() -> None:
    choices = timezone_choices(include_utc=True, now=WINTER)
    assert choices[1] == ("UTC", "UTC (UTC+00:00)")


def test_the_group_names_are_translated() -> None:
    with translation.override("es"):
        names = [str(label) for label, _rows in timezone_choices(now=WINTER)]
    assert names[:3] == ["Sugeridas", "América", "Europa"]


@pytest.mark.parametrize("value, valid", [
    ("America/Chicago", True), ("Asia/Kolkata", True), ("UTC", False), ("", False),
    ("Mars/Olympus", False), ("../../etc/passwd", False), ("US/Eastern", False),
    ("america/chicago", False), (" America/Chicago", False),
])
def test_the_field_takes_only_zones_of_the_list(value: str, valid: bool) -> None:
    field = TimezoneField()
    if valid:
        assert field.clean(value) == value
    else:
        with pytest.raises(Exception) as refused:
            field.clean(value)
        assert refused.value.messages in (  # type: ignore[attr-defined]
            ["Choose a timezone from the list."], ["This field is required."])


def test_a_zone_chosen_before_stays_valid_even_an_alias() -> None:
    field = TimezoneField(include_utc=True)
    field.set_likely(["US/Eastern"])
    assert field.clean("US/Eastern") == "US/Eastern"
    assert field.clean("UTC") == "UTC"
    blank = TimezoneField(required=False, blank_label="The practice's timezone")
    assert blank.clean("") == ""
    assert blank.choices[0] == ("", "The practice's timezone")


# --- on the pages ------------------------------------------------------------------------------

def set_client_zone(world: PracticeWorld, zone: str) -> None:
    with schema_context(world.practice.schema_name):
        ClientProfile.objects.update_or_create(user=world.client, defaults={"timezone": zone})
        BookingSettings.objects.update_or_create(singleton=True,
                                                 defaults={"timezone": "America/Denver"})
    connection.set_schema_to_public()


def test_the_clients_settings_offer_their_zone_then_the_practices(alpha, beta) -> None:
    set_client_zone(alpha, "Europe/Madrid")
    set_client_zone(beta, "Asia/Tokyo")

    body = alpha.http(alpha.client).get("/portal/settings/").content.decode()

    found = groups(body, "timezone")
    assert found[0][0] == "Suggested"
    assert [value for value, _label in found[0][1]][:3] == [
        "Europe/Madrid", "America/Denver", "America/New_York"]
    assert re.search(r'<option value="Europe/Madrid" selected>Madrid \((CET|CEST), '
                     r'UTC\+0[12]:00\)</option>', body)
    assert body.count(" selected>") == 2  # the zone (once, though listed twice) and English
    assert [label for label, _rows in found][1:4] == ["Americas", "Europe", "Africa"]
    assert re.search(r'<select name="timezone"[^>]* data-timezone=""', body)
    assert '<script src="/static/js/timezone.js" defer data-text-device="this device">' in body
    assert "Type the first letters of a city to find it." in body
    other = beta.http(beta.client).get("/portal/settings/").content.decode()
    assert [value for value, _label in groups(other, "timezone")[0][1]][0] == "Asia/Tokyo"


def test_a_zone_not_of_the_list_is_refused_with_a_message(alpha, beta) -> None:
    set_client_zone(alpha, "Europe/Madrid")
    http = alpha.http(alpha.client)
    response = http.post("/portal/settings/", {
        "full_name": "Chris Client", "timezone": "Europe/Atlantis", "language": "en"})
    assert response.status_code == 400
    assert "Choose a timezone from the list." in response.content.decode()
    with schema_context(alpha.practice.schema_name):
        assert ClientProfile.objects.get(user=alpha.client).timezone == "Europe/Madrid"
    connection.set_schema_to_public()
    with schema_context(beta.practice.schema_name):
        assert ClientProfile.objects.filter(timezone="Europe/Atlantis").count() == 0
    connection.set_schema_to_public()


def test_staff_preferences_offer_the_practices_zone_and_save_a_choice(alpha, beta) -> None:
    set_client_zone(alpha, "Europe/Madrid")
    http = alpha.http(alpha.clinician)

    body = http.get("/notifications/preferences/").content.decode()

    assert re.search(r'<select name="timezone"[^>]*>\s*<option value="" selected>'
                     r"The practice&#x27;s timezone</option>", body)
    assert [value for value, _label in groups(body, "timezone")[0][1]][:2] == [
        "America/Denver", "America/New_York"]
    saved = http.post("/notifications/preferences/", {"timezone": "Asia/Kolkata"})
    assert saved.status_code == 302
    refused = http.post("/notifications/preferences/", {"timezone": "Asia/Calcutta"})
    assert refused.status_code == 400
    with schema_context(alpha.practice.schema_name):
        assert list(NotificationPreference.objects.values_list("user_id", "timezone")) == [
            (alpha.clinician.pk, "Asia/Kolkata")]
    connection.set_schema_to_public()
    with schema_context(beta.practice.schema_name):
        assert NotificationPreference.objects.count() == 0
    connection.set_schema_to_public()


@pytest.mark.parametrize("path, field", [("/notifications/settings/", "default_timezone"),
                                         ("/appointments/settings/", "timezone")])
def test_the_owners_practice_zone_fields_are_grouped_too(alpha, path: str, field: str) -> None:
    from tests.appointments.helpers import turn_on_booking

    turn_on_booking(alpha)
    body = alpha.http(alpha.owner).get(path).content.decode()
    found = groups(body, field)
    assert found[0][0] == "Suggested"
    assert [label for label, _rows in found][1] == "Americas"
    assert re.search(rf'<select name="{field}"[^>]*>.*?<option value="UTC"', body, re.DOTALL)

"""What a Spanish client reads that the catalogue alone cannot translate: the offline page
(kept by the service worker without cookies, so asked for in the client's language by name),
how soon the practice answers messages, and the names the practice gives its types of session
(each with an optional Spanish wording, falling back to the practice's own)."""

from __future__ import annotations

import json
import re

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.appointments.models import AppointmentType
from practice.messaging.models import MessagingSettings
from tenants.audit.models import AuditEvent
from tests.appointments.helpers import prepare as booking_prepare
from tests.conftest import PracticeWorld
from tests.messaging.helpers import prepare as messaging_prepare
from tests.portal.helpers import prepare
from tests.portal.test_spanish import committed, english_fragments, english_on

CONFIG = re.compile(r"^const CONFIG = (\{.*\});$", re.MULTILINE)


def speaks(world: PracticeWorld, language: str) -> None:
    with schema_context(world.practice.schema_name):
        ClientAccess.objects.update_or_create(user=world.client,
                                              defaults={"language": language})
    connection.set_schema_to_public()


def worker_offline_url(http: Client) -> str:
    [config] = CONFIG.findall(http.get("/portal/sw.js").content.decode())
    return json.loads(config)["offline"]


# --- the offline page --------------------------------------------------------------------------

def test_the_offline_page_is_kept_in_the_language_the_client_chose(alpha, beta) -> None:
    prepare(alpha, crisis_line="555 0199")
    prepare(beta)
    speaks(alpha, "es")

    offline = worker_offline_url(alpha.http(alpha.client))

    assert offline == "/portal/offline/?lang=es"
    # The worker fetches it without cookies, from a browser that asks for English.
    response = Client(HTTP_HOST=alpha.host).get(offline, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert (response.status_code, response["Content-Language"]) == (200, "es")
    assert '<html lang="es">' in body
    assert "<h1>No tiene conexión</h1>" in body
    assert english_on(body, english_fragments(committed()), ["Alpha Therapy"]) == []
    # The look-alike practice's client keeps English.
    assert worker_offline_url(beta.http(beta.client)) == "/portal/offline/?lang=en"


def test_the_offline_page_in_english_and_an_unknown_language(alpha) -> None:
    prepare(alpha)
    anonymous = Client(HTTP_HOST=alpha.host)
    english = anonymous.get("/portal/offline/?lang=en", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="en">' in english.content.decode()
    assert "<h1>You are offline</h1>" in english.content.decode()
    # Not a language of ours: the browser's, as for any page.
    unknown = anonymous.get("/portal/offline/?lang=xx", HTTP_ACCEPT_LANGUAGE="es")
    assert (unknown.status_code, unknown["Content-Language"]) == (200, "es")
    assert "<h1>No tiene conexión</h1>" in unknown.content.decode()


def test_a_change_of_language_is_a_new_app_shell(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.client)
    [config] = CONFIG.findall(http.get("/portal/sw.js").content.decode())
    english_cache = json.loads(config)["shellCache"]
    assert http.post("/portal/settings/", {"full_name": "Chris Client",
                                           "timezone": "America/Chicago",
                                           "language": "es"}).status_code == 302
    [config] = CONFIG.findall(http.get("/portal/sw.js").content.decode())
    assert json.loads(config)["offline"] == "/portal/offline/?lang=es"
    assert json.loads(config)["shellCache"] != english_cache


# --- how soon the practice answers -----------------------------------------------------------

def about_sentence(http: Client) -> str:
    body = http.get("/portal/messages/").content.decode()
    [sentence] = re.findall(r'<div class="notice messaging-about">\s*<p>([^<]+)</p>', body)
    return sentence


def test_the_default_answer_time_is_in_spanish_for_a_spanish_client(alpha, beta) -> None:
    home = messaging_prepare(alpha)
    messaging_prepare(beta)
    speaks(alpha, "es")

    assert about_sentence(home.http(alpha.client)) == (
        "El consultorio suele responder en un plazo de 2 días hábiles.")
    assert about_sentence(beta.http(beta.client)) == (
        "The practice usually answers within 2 business days.")


def test_the_practice_words_its_answer_time_in_both_languages(alpha, beta) -> None:
    home = messaging_prepare(alpha)
    messaging_prepare(beta)
    owner = home.http(alpha.owner)

    response = owner.post("/messages/settings/", {
        "expected_response_time": "within one business day",
        "expected_response_time_es": "en un día hábil"})

    assert response.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert list(MessagingSettings.objects.values_list(
            "expected_response_time", "expected_response_time_es")) == [
            ("within one business day", "en un día hábil")]
        [event] = AuditEvent.objects.filter(action="messaging.settings_changed")
        assert event.detail["changed"] == ["expected_response_time",
                                           "expected_response_time_es"]
    connection.set_schema_to_public()
    assert 'value="en un día hábil"' in owner.get("/messages/settings/").content.decode()
    assert about_sentence(home.http(alpha.client)) == (
        "The practice usually answers within one business day.")
    speaks(alpha, "es")
    assert about_sentence(home.http(alpha.client)) == (
        "El consultorio suele responder en un día hábil.")
    with schema_context(beta.practice.schema_name):
        assert MessagingSettings.objects.count() == 0
    connection.set_schema_to_public()


def test_without_a_spanish_wording_the_practices_own_is_shown(alpha) -> None:
    home = messaging_prepare(alpha)
    speaks(alpha, "es")
    assert home.http(alpha.owner).post("/messages/settings/", {
        "expected_response_time": "within one business day"}).status_code == 302

    assert about_sentence(home.http(alpha.client)) == (
        "El consultorio suele responder within one business day.")


def test_the_unread_api_gives_the_answer_time_in_the_clients_language(alpha) -> None:
    home = messaging_prepare(alpha)
    speaks(alpha, "es")
    answer = home.http(alpha.client).get("/api/v1/messages/unread").json()
    assert answer["expected_response_time"] == "en un plazo de 2 días hábiles"


# --- names of the types of session ------------------------------------------------------------

def test_a_type_of_session_has_a_spanish_name_for_spanish_clients(alpha, beta) -> None:
    booking = booking_prepare(alpha)
    other = booking_prepare(beta)
    owner = booking.http(alpha.owner)

    response = owner.post(f"/appointments/types/{booking.video_type}/", {
        f"type{booking.video_type}-name": "Video session",
        f"type{booking.video_type}-name_es": "  Sesión   por video ",
        f"type{booking.video_type}-duration_minutes": "50",
        f"type{booking.video_type}-mode": "video",
        f"type{booking.video_type}-video_link": "https://video.example.org/room",
        f"type{booking.video_type}-is_bookable_online": "on"})

    assert response.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert list(AppointmentType.objects.order_by("pk").values_list("name", "name_es")) == [
            ("Video session", "Sesión por video"), ("Office session", "")]
    connection.set_schema_to_public()
    assert 'value="Sesión por video"' in owner.get("/appointments/types/").content.decode()
    options = r'<option value="\d+"[^>]*>([^<]+)</option>'
    english = booking.http(alpha.client).get("/portal/appointments/book/").content.decode()
    assert re.findall(options, english) == ["Office session (50 min)", "Video session (50 min)"]
    speaks(alpha, "es")
    spanish = booking.http(alpha.client).get("/portal/appointments/book/").content.decode()
    # The Spanish name where given, the practice's own where not.
    assert re.findall(options, spanish) == ["Office session (50 min)",
                                            "Sesión por video (50 min)"]
    with schema_context(beta.practice.schema_name):
        assert list(AppointmentType.objects.order_by("pk").values_list("name", "name_es")) == [
            ("Video session", ""), ("Office session", "")]
    connection.set_schema_to_public()
    assert other.video_type == booking.video_type  # same ids, separate schemas


def test_a_booked_session_shows_the_spanish_name(alpha) -> None:
    from tests.appointments.helpers import next_weekday_at

    booking = booking_prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        AppointmentType.objects.filter(pk=booking.video_type).update(name_es="Sesión por video")
    connection.set_schema_to_public()
    booking.book(next_weekday_at(10))
    speaks(alpha, "es")

    body = booking.http(alpha.client).get("/portal/appointments/").content.decode()

    assert "Sesión por video · 50 minutos" in body
    assert "Video session" not in body

"""The booking API: a client books a free time online and cancels it; staff book for a client,
move, close and list sessions; the owner reads and sets the rules; a clinician their hours.
Each refusal is a clear 4xx, and what is out of reach is a 404 like a missing id."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django_tenants.utils import schema_context

from practice.appointments.models import Appointment
from tests.appointments.helpers import next_weekday_at, prepare

JSON = "application/json"


def test_a_client_books_and_cancels_online(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    http = booking.http(alpha.client)
    types = http.get("/api/v1/appointment-types").json()
    assert [row["name"] for row in types] == ["Office session", "Video session"]
    slots = http.get(f"/api/v1/booking/slots?clinician={alpha.clinician.pk}"
                     f"&appointment_type={booking.video_type}").json()
    assert (slots["clinician_id"], slots["timezone"]) == (alpha.clinician.pk, "America/Chicago")
    first = slots["starts"][0]
    body = {"clinician_id": alpha.clinician.pk, "appointment_type_id": booking.video_type,
            "starts_at": first}
    created = http.post("/api/v1/appointments", body, content_type=JSON)
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["client"]["id"], data["mode"]) == (
        "booked", alpha.client.pk, "video")
    assert "video_link" not in data and "cancellation_reason" not in data
    again = http.post("/api/v1/appointments", body, content_type=JSON)
    assert again.status_code == 409
    assert again.json() == {"detail": "That time is not available any more. Please choose "
                                      "another."}
    # The outsider is not the client's clinician: no slots, and no booking with them.
    assert http.get(f"/api/v1/booking/slots?clinician={booking.outsider.pk}"
                    f"&appointment_type={booking.video_type}").status_code == 404
    assert http.post("/api/v1/appointments", {**body, "clinician_id": booking.outsider.pk},
                     content_type=JSON).json() == {"detail": "Choose one of your clinicians."}
    assert http.post("/api/v1/appointments", {"starts_at": "tomorrow"},
                     content_type=JSON).status_code == 400
    listed = http.get("/api/v1/appointments").json()
    assert [row["id"] for row in listed] == [data["id"]]
    cancelled = http.post(f"/api/v1/appointments/{data['id']}/cancel", {"reason": "x"},
                          content_type=JSON)
    assert cancelled.json()["status"] == "cancelled"
    # Staff-only actions are as missing to a client as on the pages.
    assert http.post(f"/api/v1/appointments/{data['id']}/outcome", {"outcome": "no_show"},
                     content_type=JSON).status_code == 404
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 0
    connection.set_schema_to_public()


def test_staff_book_move_close_and_list(alpha) -> None:
    booking = prepare(alpha)
    desk = booking.http(alpha.front_desk)
    start = next_weekday_at(15)
    body = {"client_id": alpha.client.pk, "clinician_id": alpha.clinician.pk,
            "appointment_type_id": booking.office_type, "starts_at": start.isoformat()}
    assert desk.post("/api/v1/appointments", {**body, "client_id": None},
                     content_type=JSON).status_code == 400
    created = desk.post("/api/v1/appointments", body, content_type=JSON)
    assert created.status_code == 201
    appointment_id = created.json()["id"]
    assert created.json()["booked_online"] is False
    assert desk.post("/api/v1/appointments", body, content_type=JSON).json() == {
        "detail": "That time was just taken. Please choose another."}
    early = desk.post(f"/api/v1/appointments/{appointment_id}/outcome", {"outcome": "no_show"},
                      content_type=JSON)
    assert (early.status_code, early.json()) == (
        400, {"detail": "This session has not started yet."})
    moved = desk.post(f"/api/v1/appointments/{appointment_id}/reschedule",
                      {"starts_at": (start + timedelta(hours=1)).isoformat()},
                      content_type=JSON).json()
    assert moved["schedule_version"] == 2
    rows = desk.get(f"/api/v1/appointments?client={alpha.client.pk}"
                    f"&from={start.date().isoformat()}T00:00Z").json()
    assert [(row["id"], row["starts_at"]) for row in rows] == [
        (appointment_id, (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"))]
    assert desk.get("/api/v1/appointments?from=yesterday").status_code == 400
    # Out of reach: the outsider clinician, billing, anonymous.
    assert booking.http(booking.outsider).get(
        f"/api/v1/appointments/{appointment_id}").status_code == 404
    assert booking.http(alpha.billing).get("/api/v1/appointments").status_code == 404
    assert booking.http().get("/api/v1/appointments").status_code == 403
    assert booking.http(booking.outsider).get(
        f"/api/v1/appointments?client={alpha.client.pk}").status_code == 404
    cancelled = desk.post(f"/api/v1/appointments/{appointment_id}/cancel",
                          {"requested_by": "practice"}, content_type=JSON).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_by"] == alpha.front_desk.pk


def test_rules_and_hours(alpha) -> None:
    booking = prepare(alpha)
    owner = booking.http(alpha.owner)
    current = owner.get("/api/v1/booking/settings").json()
    assert current == {"online_booking_enabled": True, "minimum_notice_hours": 24,
                       "cancellation_cutoff_hours": 24, "booking_horizon_days": 60,
                       "reminder_offsets_minutes": [1440, 60], "timezone": "America/New_York",
                       "slot_step_minutes": 30, "client_reschedule_enabled": True,
                       "waitlist_offers_at_once": 3, "waitlist_offer_hours": 12}
    changed = owner.put("/api/v1/booking/settings",
                        {**current, "reminder_offsets_minutes": [120], "timezone": "Asia/Tokyo"},
                        content_type=JSON)
    assert changed.json()["reminder_offsets_minutes"] == [120]
    assert owner.put("/api/v1/booking/settings", {**current, "timezone": "Nowhere"},
                     content_type=JSON).json() == {"detail": "Choose a timezone from the list."}
    assert booking.http(alpha.front_desk).get("/api/v1/booking/settings").status_code == 404
    clinician = booking.http(alpha.clinician)
    url = f"/api/v1/booking/availability/{alpha.clinician.pk}"
    assert len(clinician.get(url).json()["weekly"]) == 5
    saved = clinician.put(url, {"timezone": "Europe/Berlin", "weekly": [
        {"weekday": 1, "starts_at": "08:00", "ends_at": "12:00"}]}, content_type=JSON).json()
    assert (saved["timezone"], saved["weekly"]) == ("Europe/Berlin", [
        {"weekday": 1, "starts_at": "08:00:00", "ends_at": "12:00:00"}])
    assert clinician.put(url, {"timezone": "UTC", "weekly": [
        {"weekday": 1, "starts_at": "12:00", "ends_at": "08:00"}]},
        content_type=JSON).json() == {"detail": "Each period of hours ends after it starts."}
    assert booking.http(booking.outsider).get(url).status_code == 404
    assert booking.http(alpha.client).get(url).status_code == 404
    assert owner.get("/api/v1/schema/").status_code == 200

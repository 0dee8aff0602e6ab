"""Clients moving their own session (within the practice's rules, in one step, the clinician
told), and the waitlist: a freed time offered to the first matching people, the first to accept
wins, the others are told, offers lapse and go to the next people, an offer is never made or
sent for a time that is no longer free, no PHI in what is sent, and the owner's counts. The
races run in real committed transactions on threads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments import selectors, services
from practice.appointments.models import (
    Appointment,
    BookingSettings,
    SlotOffer,
    WaitlistEntry,
    WaitlistOffer,
)
from practice.appointments.notifications import (
    SESSION_MOVED_BY_CLIENT,
    WAITLIST_OFFER,
    WAITLIST_OFFER_GONE,
)
from practice.appointments.services import BookingError, SlotTaken
from practice.notifications import kinds
from practice.notifications.models import Notification
from tenants.accounts.models import User
from tenants.actor import Actor
from tests.appointments.helpers import (
    MARKER,
    BookingWorld,
    audit_actions,
    booking_client,
    next_weekday_at,
    page_text,
    prepare,
    together,
)

JSON = "application/json"


def _wait(booking: BookingWorld, client: User, *, by: User | None = None) -> WaitlistEntry:
    with schema_context(booking.schema):
        entry = services.waitlist_join(data=services.WaitlistInput(
            clinician_id=booking.clinician.pk, appointment_type_id=booking.office_type,
            weekdays=[0, 1, 2, 3, 4], earliest_time=time(8), latest_time=time(18)),
            client_id=client.pk, actor=Actor.of(by or booking.world.front_desk))
    connection.set_schema_to_public()
    return entry


def _free_by_cancelling(booking: BookingWorld, start: datetime, client: User) -> Appointment:
    appointment = booking.book(start, client=client, kind="office")
    with schema_context(booking.schema):
        services.appointment_cancel(appointment_id=appointment.pk, by_client=False,
                                    actor=Actor.of(booking.world.front_desk))
    connection.set_schema_to_public()
    return appointment


def _offer(booking: BookingWorld, source: Appointment) -> SlotOffer | None:
    with schema_context(booking.schema):
        slot = services.waitlist_offer_freed(source_appointment_id=source.pk,
                                             starts_at=source.starts_at,
                                             ends_at=source.ends_at)
    connection.set_schema_to_public()
    return slot


# --- clients moving their session --------------------------------------------------------------

def test_a_client_moves_a_session_within_the_rules_and_the_clinician_is_told(
        alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    start = next_weekday_at(10, days_ahead=4)
    appointment = booking.book(start, kind="office")
    http = booking.http(alpha.client)
    page = http.get(f"/portal/appointments/{appointment.pk}/move/")
    assert page.status_code == 200
    new_start = start + timedelta(hours=3)
    assert new_start.isoformat() in page_text(page)
    # A time that is not free (outside the clinician's hours) is refused; nothing moves.
    refused = http.post(f"/portal/appointments/{appointment.pk}/move/",
                        {"starts_at": (start + timedelta(hours=10)).isoformat()})
    assert refused.status_code == 409
    moved = http.post(f"/portal/appointments/{appointment.pk}/move/",
                      {"starts_at": new_start.isoformat()})
    assert moved.status_code == 302
    with schema_context(booking.schema):
        row = Appointment.objects.get()
        assert (row.starts_at, row.schedule_version, row.status) == (new_start, 2, "booked")
        told = Notification.objects.filter(kind=SESSION_MOVED_BY_CLIENT)
        assert [(note.recipient_id, note.idempotency_key) for note in told] == [
            (alpha.clinician.pk, f"session_moved:{row.pk}:v2:email")]
        # Reminders follow: the old ones are stale, new ones are for the new time.
        reminders = Notification.objects.filter(kind="session_reminder").order_by("pk")
        assert [kinds.get(note.kind).is_still_due(note) for note in reminders] == [
            False, False, True, True]
        # No PHI in what the clinician is sent.
        kind = kinds.get(SESSION_MOVED_BY_CLIENT)
        assert MARKER not in kind.subject + kind.push_body
    assert audit_actions(booking, "appointment.rescheduled") == ["appointment.rescheduled"]
    # The practice turns client rescheduling off: the page says so and a POST is refused.
    with schema_context(booking.schema):
        BookingSettings.objects.update(client_reschedule_enabled=False)
    connection.set_schema_to_public()
    assert "Move this session" not in page_text(http.get("/portal/appointments/"))
    assert http.post(f"/portal/appointments/{appointment.pk}/move/",
                     {"starts_at": start.isoformat()}).status_code == 400
    # Back on, but after the cut-off (24 hours): refused, through the API too.
    with schema_context(booking.schema):
        BookingSettings.objects.update(client_reschedule_enabled=True,
                                       cancellation_cutoff_hours=24 * 7)
    connection.set_schema_to_public()
    answer = http.post(f"/api/v1/appointments/{appointment.pk}/reschedule",
                       {"starts_at": start.isoformat()}, content_type=JSON)
    assert answer.status_code == 400
    assert answer.json() == {"detail": "Sessions can be moved online up to 168 hours before "
                                       "they start. Please contact the practice."}
    with schema_context(booking.schema):
        assert Appointment.objects.get().starts_at == new_start
    with schema_context(beta_booking.schema):
        assert (Appointment.objects.count(), Notification.objects.count()) == (0, 0)


@pytest.mark.usefixtures("committed_db")
def test_a_move_and_a_booking_of_the_same_time_at_once_exactly_one_wins(
        practice_factory) -> None:
    booking = prepare(practice_factory("moving", "Moving Practice"))
    rival = booking_client(booking, "rival@example.org", "Robin Rival")
    start = next_weekday_at(10, days_ahead=4)
    target = start + timedelta(hours=2)
    mine = booking.book(start, kind="office")
    mover, booker = booking.http(booking.client), booking.http(rival)

    def move() -> str:
        response = mover.post(f"/portal/appointments/{mine.pk}/move/",
                              {"starts_at": target.isoformat()})
        return f"move {response.status_code}"

    def book() -> str:
        response = booker.post("/portal/appointments/book/", {
            "clinician": booking.clinician.pk, "appointment_type": booking.office_type,
            "starts_at": target.isoformat()})
        return f"book {response.status_code}"

    outcomes = together([move, book])
    assert outcomes in (["book 302", "move 409"], ["book 409", "move 302"])
    with schema_context(booking.schema):
        rows = list(Appointment.objects.order_by("pk").values_list("client_id", "starts_at",
                                                                   "schedule_version"))
    # Exactly one session at the contested time; the mover's session exists exactly once:
    # moved (the old time freed) or untouched (never both, never neither).
    at_target = [row for row in rows if row[1] == target]
    assert len(at_target) == 1
    assert [row for row in rows if row[0] == booking.client.pk] == (
        [(booking.client.pk, target, 2)] if outcomes == ["book 409", "move 302"]
        else [(booking.client.pk, start, 1)])
    print(f"reschedule race: {outcomes}")  # noqa: T201 (the race's result, for the report)


# --- the waitlist ------------------------------------------------------------------------------

def test_a_freed_time_goes_to_the_first_matching_people_without_phi(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    with schema_context(booking.schema):
        BookingSettings.objects.update(waitlist_offers_at_once=2)
    connection.set_schema_to_public()
    first = booking_client(booking, "first@example.org", "First Waiting")
    second = booking_client(booking, "second@example.org", "Second Waiting")
    third = booking_client(booking, "third@example.org", "Third Waiting")
    for person in (first, second, third):
        _wait(booking, person)
    # Someone waiting only on Saturdays does not match a weekday time.
    with schema_context(booking.schema):
        WaitlistEntry.objects.filter(client=second).update(weekdays=[5])
    connection.set_schema_to_public()
    start = next_weekday_at(11, days_ahead=4)
    source = _free_by_cancelling(booking, start, booking.client)
    slot = _offer(booking, source)
    assert slot is not None
    assert _offer(booking, source) is None  # offered once only
    with schema_context(booking.schema):
        offers = list(WaitlistOffer.objects.order_by("pk").values_list("entry__client_id",
                                                                       "status"))
        assert offers == [(first.pk, "sent"), (third.pk, "sent")]
        sent = list(Notification.objects.filter(kind=WAITLIST_OFFER).values_list(
            "recipient_id", "context"))
        assert sorted(recipient for recipient, _ in sent) == sorted([first.pk, third.pk])
        # Ids only in the context; fixed wording with no clinician, time or name.
        assert all(set(context) == {"offer_id"} for _, context in sent)
    kind = kinds.get(WAITLIST_OFFER)
    assert (kind.subject, kind.push_body) == (
        "A session time has opened up",
        "A session time has opened up for you. Open the portal to see it.")
    # The offer page shows the client their offer; another client sees none of it.
    assert start.isoformat()[:10] in page_text(booking.http(first).get("/api/v1/waitlist-offers"))
    assert booking.http(second).get("/api/v1/waitlist-offers").json() == []
    assert audit_actions(booking, "waitlist.") == ["waitlist.joined"] * 3 + [
        "waitlist.offers_sent"]
    with schema_context(beta_booking.schema):
        assert (WaitlistOffer.objects.count(), Notification.objects.count()) == (0, 0)


def test_no_offer_for_a_time_no_longer_free_and_none_sent_once_it_is_taken(alpha) -> None:
    booking = prepare(alpha)
    waiting = booking_client(booking, "waiting@example.org", "Will Waiting")
    _wait(booking, waiting)
    start = next_weekday_at(11, days_ahead=4)
    source = _free_by_cancelling(booking, start, booking.client)
    # Staff fill the time before the scheduler gets to it: nothing is offered.
    other = booking_client(booking, "other@example.org", "Olly Other")
    taken = booking.book(start, client=other, kind="office")
    assert _offer(booking, source) is None
    with schema_context(booking.schema):
        assert (SlotOffer.objects.count(), Notification.objects.filter(
            kind=WAITLIST_OFFER).count()) == (0, 0)
        services.appointment_cancel(appointment_id=taken.pk, by_client=False,
                                    actor=Actor.of(alpha.front_desk))
    connection.set_schema_to_public()
    slot = _offer(booking, taken)
    assert slot is not None
    # The time is taken again before the offer goes out: the outbox skips it, and the job
    # withdraws the offer and tells the person it has gone.
    booking.book(start, client=other, kind="office")
    with schema_context(booking.schema):
        note = Notification.objects.get(kind=WAITLIST_OFFER)
        assert kinds.get(WAITLIST_OFFER).is_still_due(note) is False
        run = services.waitlist_offers_due(now=timezone.now())
        assert (run.withdrawn, run.offered) == (1, 0)
        assert list(WaitlistOffer.objects.values_list("status", flat=True)) == ["taken"]
        assert Notification.objects.filter(kind=WAITLIST_OFFER_GONE).count() == 1


def test_offers_lapse_and_go_to_the_next_people_and_the_owner_sees_the_counts(
        clock, alpha) -> None:
    booking = prepare(alpha)
    with schema_context(booking.schema):
        BookingSettings.objects.update(waitlist_offers_at_once=1, waitlist_offer_hours=2)
    connection.set_schema_to_public()
    first = booking_client(booking, "first@example.org", "First Waiting")
    second = booking_client(booking, "second@example.org", "Second Waiting")
    _wait(booking, first)
    _wait(booking, second)
    start = datetime(2026, 6, 22, 15, tzinfo=UTC)  # Monday 11:00 New York
    source = _free_by_cancelling(booking, start, booking.client)
    slot = _offer(booking, source)
    clock.shift(timedelta(hours=3))
    with schema_context(booking.schema):
        run = services.waitlist_offers_due(now=timezone.now())
        assert (run.offered, run.expired) == (1, 0)
        assert list(WaitlistOffer.objects.order_by("pk").values_list(
            "entry__client_id", "status")) == [(first.pk, "expired"), (second.pk, "sent")]
        # The first person's lapsed offer cannot be accepted.
        with pytest.raises(SlotTaken):
            services.waitlist_offer_accept(offer_id=WaitlistOffer.objects.get(
                entry__client=first).pk, actor=Actor.of(first))
        services.waitlist_offer_accept(offer_id=WaitlistOffer.objects.get(
            entry__client=second).pk, actor=Actor.of(second))
        slot.refresh_from_db()
        assert slot.status == "filled"
        assert Appointment.objects.get(pk=slot.booked_appointment_id).client_id == second.pk
        assert WaitlistEntry.objects.get(client=second).status == "booked"
        assert selectors.offer_stats(timezone.now() - timedelta(days=1)) == selectors.OfferStats(
            made=2, accepted=1, expired=1, taken=0, declined=0)
    connection.set_schema_to_public()
    owner_page = page_text(booking.http(alpha.owner).get("/appointments/offers/"))
    assert "<dt>Offers made</dt><dd>2</dd>" in owner_page
    assert "<dt>Accepted</dt><dd>1</dd>" in owner_page
    assert booking.http(alpha.front_desk).get("/appointments/offers/").status_code == 404
    assert booking.http(alpha.owner).get("/api/v1/waitlist-offers/stats").json() == {
        "made": 2, "accepted": 1, "expired": 1, "taken": 0, "declined": 0}
    assert booking.http(alpha.clinician).get("/api/v1/waitlist-offers/stats").status_code == 404
    assert booking.http(alpha.owner).get("/api/v1/waitlist-offers").status_code == 404


@pytest.mark.usefixtures("committed_db")
def test_three_accept_at_once_exactly_one_wins_and_the_others_are_told(
        practice_factory) -> None:
    booking = prepare(practice_factory("waiting", "Waiting Practice"))
    people = [booking_client(booking, f"waiting{index}@example.org", f"Waiting {index}")
              for index in range(3)]
    for person in people:
        _wait(booking, person)
    start = next_weekday_at(11, days_ahead=4)
    source = _free_by_cancelling(booking, start, booking.client)
    slot = _offer(booking, source)
    with schema_context(booking.schema):
        offer_ids = {row.entry.client_id: row.pk
                     for row in WaitlistOffer.objects.select_related("entry")}
    connection.set_schema_to_public()
    https = {person.pk: booking.http(person) for person in people}

    def accept(person: User) -> Callable[[], str]:
        def attempt() -> str:
            response = https[person.pk].post(
                f"/api/v1/waitlist-offers/{offer_ids[person.pk]}", {"answer": "accept"},
                content_type=JSON)
            return str(response.status_code)
        return attempt

    outcomes = together([accept(person) for person in people])
    assert outcomes == ["200", "409", "409"]
    with schema_context(booking.schema):
        booked = list(Appointment.objects.filter(status="booked", starts_at=start)
                      .values_list("client_id", flat=True))
        assert len(booked) == 1
        winner = booked[0]
        assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == [
            "accepted", "taken", "taken"]
        assert WaitlistOffer.objects.get(status="accepted").entry.client_id == winner
        assert sorted(Notification.objects.filter(kind=WAITLIST_OFFER_GONE).values_list(
            "recipient_id", flat=True)) == sorted(person.pk for person in people
                                                  if person.pk != winner)
        assert SlotOffer.objects.get(pk=slot.pk).status == "filled"
    assert audit_actions(booking, "waitlist.offer_accepted") == ["waitlist.offer_accepted"]
    print(f"waitlist race: {outcomes}")  # noqa: T201 (the race's result, for the report)


def test_waitlist_join_rules_and_reach(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    http = booking.http(alpha.client)
    body = {"clinician_id": booking.clinician.pk, "appointment_type_id": booking.office_type,
            "weekdays": [0, 2], "earliest_time": "09:00", "latest_time": "12:00"}
    created = http.post("/api/v1/waitlist", body, content_type=JSON)
    assert created.status_code == 201
    assert http.post("/api/v1/waitlist", body, content_type=JSON).json() == {
        "detail": "Already on this clinician's waitlist."}
    # Not the client's clinician; bad hours: clear refusals.
    assert http.post("/api/v1/waitlist", {**body, "clinician_id": booking.outsider.pk},
                     content_type=JSON).json() == {"detail": "Choose one of your clinicians."}
    assert http.post("/api/v1/waitlist", {**body, "latest_time": "08:00"},
                     content_type=JSON).status_code == 400
    entry_id = created.json()["id"]
    # The portal page lists it; another client cannot remove it (404 like a missing one).
    assert "Leave this waitlist" in page_text(http.get("/portal/appointments/waitlist/"))
    stranger = booking_client(booking, "stranger@example.org", "Stan Stranger")
    assert booking.http(stranger).delete(f"/api/v1/waitlist/{entry_id}").status_code == 404
    # The outsider clinician does not reach this client's entry either.
    assert booking.http(booking.outsider).get("/api/v1/waitlist").json() == []
    assert [row["id"] for row in booking.http(alpha.front_desk).get(
        "/api/v1/waitlist").json()] == [entry_id]
    assert http.delete(f"/api/v1/waitlist/{entry_id}").json()["status"] == "removed"
    with schema_context(beta_booking.schema):
        assert WaitlistEntry.objects.count() == 0
    with pytest.raises(BookingError):
        with schema_context(booking.schema):
            services.waitlist_join(data=services.WaitlistInput(
                clinician_id=booking.clinician.pk, appointment_type_id=booking.office_type,
                weekdays=[], earliest_time=time(9), latest_time=time(10)),
                actor=Actor.of(alpha.client))
    connection.set_schema_to_public()

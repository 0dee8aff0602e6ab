"""The waitlist and cancellation offers, and clients moving their own sessions.

A freed time (a cancellation) is offered to the first people on the waitlist whose clinician,
weekdays and hours match, a few at once (the practice's setting), by a notification that
names nothing (no clinician, no time): the portal shows the offer to the signed-in client.
Whoever accepts first gets the session: acceptance locks the offered time's row, so two
acceptances queue and the second finds it filled; the booking itself still passes the
exclusion constraints. The others are told it has gone. Offers lapse after the practice's
number of hours, and the next people are asked while the time is still free. An offer is never
made, nor its notification sent, for a time that is no longer free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q

from practice.access import Capability, client_in_reach
from practice.appointments import selectors
from practice.appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    SlotOffer,
    WaitlistEntry,
    WaitlistOffer,
)
from practice.appointments.notifications import (
    SESSION_MOVED_BY_CLIENT,
    WAITLIST_OFFER,
    WAITLIST_OFFER_GONE,
)
from practice.appointments.services.booking import (
    NewSession,
    _active_type,
    _book,
    _clinician,
    _locked,
    move_to,
)
from practice.appointments.services.common import (
    BookingError,
    SlotTaken,
    audit,
    now_or,
    require_booking_staff,
    require_client,
    waitlist_offer_freed_on_commit,
)
from practice.notifications.services import notification_enqueue
from tenants.actor import Actor
from tenants.audit.actions import Action

OFFER_GONE = "Sorry, this time has already been taken or is no longer available."


# --- clients moving their own session ----------------------------------------------------------

@transaction.atomic
def appointment_reschedule_online(*, appointment_id: int, starts_at: datetime,
                                  actor: Actor, now: datetime | None = None) -> Appointment:
    """A client moves their booked session to one of the free times offered, in one step: the
    row moves in a single UPDATE, so the old time is freed and the new one taken together
    (the database refuses the new time if someone took it meanwhile, and then nothing moves).
    Allowed when the practice lets clients reschedule, up to the cancellation cut-off, to a
    time they could book online. The clinician is told; the client's reminders follow."""
    require_client(actor.person)
    now = now_or(now)
    rules = selectors.booking_rules()
    appointment = _locked(actor.person, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError("Only a booked session can be moved.")
    if not rules.client_reschedule_enabled:
        raise BookingError("Sessions cannot be moved online. Please contact the practice.")
    if not rules.client_may_reschedule(appointment.starts_at, now):
        hours = int(rules.cancellation_cutoff.total_seconds() // 3600)
        raise BookingError(f"Sessions can be moved online up to {hours} hours before they "
                           "start. Please contact the practice.")
    if not rules.client_may_book_at(starts_at, now):
        raise BookingError("That time can no longer be booked online. Please choose another.")
    earliest, latest = rules.online_window(now)
    free = selectors.online_slots(client=actor.person, clinician=appointment.clinician,
                                  appointment_type=appointment.appointment_type,
                                  earliest=earliest, latest=latest, now=now,
                                  except_appointment_id=appointment.pk)
    if starts_at not in free:
        raise SlotTaken("That time is not available any more. Please choose another.")
    old_start, old_end = appointment.starts_at, appointment.ends_at
    move_to(appointment, starts_at, now=now, by_client=True)
    notification_enqueue(
        recipient=appointment.clinician, kind=SESSION_MOVED_BY_CLIENT,
        idempotency_key=f"session_moved:{appointment.pk}:v{appointment.schedule_version}",
        context={"appointment_id": appointment.pk, "version": appointment.schedule_version})
    audit(Action.APPOINTMENT_RESCHEDULED, actor, "appointment", appointment.pk,
          client_id=appointment.client_id, version=appointment.schedule_version,
          by_client=True, old_start=old_start.isoformat())
    waitlist_offer_freed_on_commit(appointment.pk, old_start, old_end)
    return appointment


# --- the waitlist ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitlistInput:
    clinician_id: int
    appointment_type_id: int
    weekdays: list[int]
    earliest_time: time
    latest_time: time


def _check_wish(data: WaitlistInput) -> None:
    if not data.weekdays or any(day not in range(7) for day in data.weekdays):
        raise BookingError("Choose at least one day of the week.")
    if data.latest_time < data.earliest_time:
        raise BookingError("The latest start is before the earliest.")


@transaction.atomic
def waitlist_join(*, data: WaitlistInput, actor: Actor, client_id: int | None = None,
                  now: datetime | None = None
                  ) -> WaitlistEntry:
    """A client joins the waitlist of one of their clinicians; staff add a client to any."""
    now = now_or(now)
    _check_wish(data)
    if actor.person.is_client:
        require_client(actor.person)
        client = actor.person
        clinician = _clinician(data.clinician_id)
        if clinician.pk not in {person.pk for person in selectors.client_clinicians(client)}:
            raise BookingError("Choose one of your clinicians.")
        appointment_type = _active_type(data.appointment_type_id, online=True)
    else:
        require_booking_staff(actor.person)
        client = client_in_reach(actor.person, Capability.APPOINTMENTS, client_id or 0)
        clinician = _clinician(data.clinician_id)
        appointment_type = _active_type(data.appointment_type_id, online=False)
    if WaitlistEntry.objects.filter(client=client, clinician=clinician,
                                    status=WaitlistEntry.Status.WAITING).exists():
        raise BookingError("Already on this clinician's waitlist.")
    entry = WaitlistEntry.objects.create(
        client=client, clinician=clinician, appointment_type=appointment_type,
        weekdays=sorted(set(data.weekdays)), earliest_time=data.earliest_time,
        latest_time=data.latest_time, created_by=actor.person, created_at=now)
    audit(Action.WAITLIST_JOINED, actor, "waitlist_entry", entry.pk,
          client_id=client.pk, clinician_id=clinician.pk, by_client=actor.person.is_client)
    return entry


@transaction.atomic
def waitlist_leave(*, entry_id: int, actor: Actor, now: datetime | None = None) -> WaitlistEntry:
    visible = selectors.waitlist_visible_to(actor.person).values("pk")
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id, pk__in=visible)
    if entry.status == WaitlistEntry.Status.WAITING:
        entry.status = WaitlistEntry.Status.REMOVED
        entry.closed_at = now_or(now)
        entry.save(update_fields=["status", "closed_at"])
        audit(Action.WAITLIST_LEFT, actor, "waitlist_entry", entry.pk,
              client_id=entry.client_id)
    return entry


# --- offering a freed time ---------------------------------------------------------------------

def _is_free(clinician_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    return not Appointment.objects.filter(clinician_id=clinician_id, status__in=ACTIVE_STATUSES,
                                          starts_at__lt=ends_at, ends_at__gt=starts_at).exists()


def _matching_entries(slot: SlotOffer, *, limit: int) -> list[WaitlistEntry]:
    """The first people waiting whose wish fits the time and who are free then (and were not
    offered this time already)."""
    zone = selectors.clinician_zone(slot.clinician)
    local = slot.starts_at.astimezone(zone)
    duration = slot.ends_at - slot.starts_at
    busy_clients = Appointment.objects.filter(status__in=ACTIVE_STATUSES,
                                              starts_at__lt=slot.ends_at,
                                              ends_at__gt=slot.starts_at).values("client_id")
    offered = WaitlistOffer.objects.filter(
        slot__clinician=slot.clinician, slot__starts_at=slot.starts_at).values("entry_id")
    candidates = (WaitlistEntry.objects.select_related("client", "appointment_type")
                  .filter(clinician=slot.clinician, status=WaitlistEntry.Status.WAITING,
                          earliest_time__lte=local.time(), latest_time__gte=local.time(),
                          weekdays__contains=[local.weekday()],
                          appointment_type__is_active=True)
                  .exclude(client_id__in=busy_clients).exclude(pk__in=offered)
                  .order_by("created_at", "pk"))
    fitting = [entry for entry in candidates
               if timedelta(minutes=entry.appointment_type.duration_minutes) <= duration]
    return fitting[:limit]


def _send_round(slot: SlotOffer, *, now: datetime) -> int:
    settings_row = selectors.booking_settings()
    entries = _matching_entries(slot, limit=settings_row.waitlist_offers_at_once)
    for entry in entries:
        offer = WaitlistOffer.objects.create(slot=slot, entry=entry, created_at=now)
        notification_enqueue(recipient=entry.client, kind=WAITLIST_OFFER,
                             idempotency_key=f"waitlist_offer:{offer.pk}",
                             context={"offer_id": offer.pk})
    return len(entries)


@transaction.atomic
def waitlist_offer_freed(*, source_appointment_id: int, starts_at: datetime,
                         ends_at: datetime, now: datetime | None = None) -> SlotOffer | None:
    """Offer a freed time (of a session cancelled or moved away), if it is still free, still
    more than an hour ahead and not on offer already. Idempotent: the wake-up after the
    cancellation and the periodic job may both call it."""
    now = now_or(now)
    source = Appointment.objects.select_related("clinician").filter(
        pk=source_appointment_id).first()
    settings_row = selectors.booking_settings()
    if (source is None or starts_at <= now + timedelta(hours=1)
            or SlotOffer.objects.filter(clinician=source.clinician, starts_at=starts_at).exists()
            or not _is_free(source.clinician_id, starts_at, ends_at)):
        return None
    slot = SlotOffer.objects.create(
        clinician=source.clinician, starts_at=starts_at, ends_at=ends_at,
        source_appointment=source, created_at=now,
        expires_at=min(now + timedelta(hours=settings_row.waitlist_offer_hours), starts_at))
    sent = _send_round(slot, now=now)
    if not sent:
        slot.delete()
        return None
    audit(Action.WAITLIST_OFFERS_SENT, None, "slot_offer", slot.pk,
          clinician_id=source.clinician_id, offers=sent)
    return slot


def _close_others(slot: SlotOffer, *, winner: WaitlistOffer | None, status: str,
                  now: datetime) -> None:
    for other in slot.offers.select_related("entry__client").filter(
            status=WaitlistOffer.Status.SENT):
        if winner is not None and other.pk == winner.pk:
            continue
        other.status = status
        other.responded_at = now
        other.save(update_fields=["status", "responded_at"])
        if status == WaitlistOffer.Status.TAKEN:
            notification_enqueue(recipient=other.entry.client, kind=WAITLIST_OFFER_GONE,
                                 idempotency_key=f"waitlist_offer_gone:{other.pk}",
                                 context={"offer_id": other.pk})


@transaction.atomic
def waitlist_offer_accept(*, offer_id: int, actor: Actor,
                          now: datetime | None = None) -> Appointment:
    """The first acceptance wins: the offered time's row is locked, so a second acceptance
    waits, then finds the time filled. The booking still passes the exclusion constraints."""
    require_client(actor.person)
    now = now_or(now)
    offer = WaitlistOffer.objects.get(pk=offer_id, entry__client=actor.user)
    slot = SlotOffer.objects.select_for_update().select_related("clinician").get(
        pk=offer.slot_id)
    offer.refresh_from_db()
    if (offer.status != WaitlistOffer.Status.SENT or slot.status != SlotOffer.Status.OPEN
            or slot.expires_at <= now):
        raise SlotTaken(OFFER_GONE)
    entry = WaitlistEntry.objects.select_related("appointment_type").get(pk=offer.entry_id)
    try:
        appointment = _book(NewSession(actor.person, slot.clinician, entry.appointment_type,
                                       slot.starts_at), actor=actor, now=now)
    except SlotTaken:
        # Someone took the time by another way (staff booked it): nobody gets it. The periodic
        # job withdraws the offer and tells the others (this transaction is rolled back).
        raise SlotTaken(OFFER_GONE) from None
    offer.status = WaitlistOffer.Status.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    slot.status = SlotOffer.Status.FILLED
    slot.booked_appointment = appointment
    slot.save(update_fields=["status", "booked_appointment"])
    entry.status = WaitlistEntry.Status.BOOKED
    entry.closed_at = now
    entry.save(update_fields=["status", "closed_at"])
    _close_others(slot, winner=offer, status=WaitlistOffer.Status.TAKEN, now=now)
    audit(Action.WAITLIST_OFFER_ACCEPTED, actor, "slot_offer", slot.pk,
          client_id=actor.person.pk, appointment_id=appointment.pk, offer_id=offer.pk)
    return appointment


@transaction.atomic
def waitlist_offer_decline(*, offer_id: int, actor: Actor,
                           now: datetime | None = None) -> WaitlistOffer:
    require_client(actor.person)
    offer = WaitlistOffer.objects.select_for_update().get(pk=offer_id,
                                                          entry__client=actor.user)
    if offer.status == WaitlistOffer.Status.SENT:
        offer.status = WaitlistOffer.Status.DECLINED
        offer.responded_at = now_or(now)
        offer.save(update_fields=["status", "responded_at"])
        audit(Action.WAITLIST_OFFER_DECLINED, actor, "slot_offer", offer.slot_id,
              offer_id=offer.pk)
    return offer


@dataclass(frozen=True)
class OfferRun:
    offered: int
    expired: int
    withdrawn: int


def waitlist_offers_due(*, now: datetime) -> OfferRun:
    """The periodic job: open offers past their time lapse (and the next people are asked
    while the time is still free); offers of a time taken meanwhile are withdrawn; freed
    times whose wake-up was lost are offered."""
    expired = withdrawn = offered = 0
    for slot_id in SlotOffer.objects.filter(status=SlotOffer.Status.OPEN).values_list(
            "pk", flat=True):
        with transaction.atomic():
            slot = SlotOffer.objects.select_for_update().select_related("clinician").get(
                pk=slot_id)
            if slot.status != SlotOffer.Status.OPEN:
                continue
            if not _is_free(slot.clinician_id, slot.starts_at, slot.ends_at):
                slot.status = SlotOffer.Status.WITHDRAWN
                slot.save(update_fields=["status"])
                _close_others(slot, winner=None, status=WaitlistOffer.Status.TAKEN, now=now)
                audit(Action.WAITLIST_OFFER_WITHDRAWN, None, "slot_offer", slot.pk)
                withdrawn += 1
                continue
            if slot.expires_at > now and slot.offers.filter(
                    status=WaitlistOffer.Status.SENT).exists():
                continue
            _close_others(slot, winner=None, status=WaitlistOffer.Status.EXPIRED, now=now)
            if slot.starts_at > now + timedelta(hours=1) and _send_round(slot, now=now):
                slot.expires_at = min(now + timedelta(
                    hours=selectors.booking_settings().waitlist_offer_hours), slot.starts_at)
                slot.save(update_fields=["expires_at"])
                offered += 1
            else:
                slot.status = SlotOffer.Status.EXPIRED
                slot.save(update_fields=["status"])
                expired += 1
            audit(Action.WAITLIST_OFFERS_LAPSED, None, "slot_offer", slot.pk,
                  reoffered=slot.status == SlotOffer.Status.OPEN)
    recent = Appointment.objects.filter(
        Q(status__in=[Appointment.Status.CANCELLED, Appointment.Status.LATE_CANCELLED]),
        cancelled_at__gte=now - timedelta(hours=1), starts_at__gt=now
    ).values_list("pk", "starts_at", "ends_at")
    for appointment_id, starts_at, ends_at in recent:
        offered += waitlist_offer_freed(source_appointment_id=appointment_id,
                                        starts_at=starts_at, ends_at=ends_at,
                                        now=now) is not None
    return OfferRun(offered, expired, withdrawn)

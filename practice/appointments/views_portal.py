"""The client's appointments in the portal (`/portal/appointments/`, namespace
"portal:booking"): upcoming and past sessions, "Join" for a video session from 10 minutes
before its start, cancelling up to the practice's cut-off, and booking one of their
clinicians' free times when the practice allows it. Times are in the client's own timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.pages import audit_read, client_required, client_zone, render_local
from practice.appointments import selectors, services
from practice.appointments.forms import ClientCancelForm, MoveForm, OnlineBookForm, WaitlistForm
from practice.appointments.models import (
    Appointment,
    AppointmentType,
    WaitlistEntry,
    WaitlistOffer,
)
from practice.appointments.policies import JOIN_OPENS_BEFORE, BookingRules, join_is_open
from practice.appointments.services import BookingError, SlotTaken
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest

SLOT_DAYS_PER_PAGE = 7


@dataclass(frozen=True)
class SessionRow:
    appointment: Appointment
    may_cancel: bool
    may_move: bool
    join_open: bool
    join_opens_at: datetime


def session_row(appointment: Appointment, rules: BookingRules, now: datetime) -> SessionRow:
    booked = appointment.is_booked
    return SessionRow(
        appointment=appointment,
        may_cancel=booked and appointment.starts_at > now
        and rules.client_may_cancel(appointment.starts_at, now),
        may_move=booked and appointment.starts_at > now and rules.online_booking_enabled
        and rules.client_may_reschedule(appointment.starts_at, now),
        join_open=booked and appointment.is_video and bool(appointment.video_link)
        and join_is_open(starts_at=appointment.starts_at, ends_at=appointment.ends_at, now=now),
        join_opens_at=appointment.starts_at - JOIN_OPENS_BEFORE,
    )


def next_session(client: User, now: datetime) -> SessionRow | None:
    """The dashboard's "next session" card."""
    appointment = selectors.next_appointment(client, now)
    return session_row(appointment, selectors.booking_rules(), now) if appointment else None


def _own(request: SignedInRequest, appointment_id: int) -> Appointment:
    try:
        return selectors.appointment_for(request.user, appointment_id)
    except Appointment.DoesNotExist:
        raise Http404 from None


def _may_book_online(request: SignedInRequest, rules: BookingRules) -> bool:
    return (rules.online_booking_enabled and bool(selectors.client_clinicians(request.user))
            and selectors.appointment_types(online_only=True).exists())


@require_safe
@client_required
def appointment_list(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    rules = selectors.booking_rules()
    upcoming, past = selectors.appointments_for_client(request.user, now=now)
    audit_read(request, Action.PORTAL_APPOINTMENTS_VIEWED)
    return render_local(request, "appointments/portal/list.html", {
        "upcoming": [session_row(row, rules, now) for row in upcoming],
        "past": past, "may_book": _may_book_online(request, rules),
        "offer_count": len(selectors.open_offers_for_client(request.user, now)),
        "cutoff_hours": int(rules.cancellation_cutoff.total_seconds() // 3600),
    })


# --- booking online ----------------------------------------------------------------------------

def _chosen(request: HttpRequest, options: list, *names: str) -> Any:
    """The option picked in the query or the form (or the only one there is)."""
    wanted = next((value for name in names
                   if (value := request.POST.get(name) or request.GET.get(name))), None)
    if wanted:
        return next((option for option in options if str(option.pk) == wanted), None)
    return options[0] if len(options) == 1 else None


def _slot_days(request: SignedInRequest, clinician: User, appointment_type: AppointmentType,
               rules: BookingRules, now: datetime, page: int,
               moving: Appointment | None = None) -> tuple[dict[date, list], bool]:
    """Free starts for one page of days, grouped by the client's local date."""
    earliest, latest = rules.online_window(now)
    start = max(earliest, now + timedelta(days=SLOT_DAYS_PER_PAGE * page))
    end = min(latest, now + timedelta(days=SLOT_DAYS_PER_PAGE * (page + 1)))
    zone = client_zone(request)
    days: dict[date, list] = {}
    for slot in selectors.online_slots(client=request.user, clinician=clinician,
                                       appointment_type=appointment_type, earliest=start,
                                       latest=end, now=now,
                                       except_appointment_id=moving.pk if moving else None):
        days.setdefault(slot.astimezone(zone).date(), []).append(slot)
    return days, end < latest


def _page_number(request: HttpRequest) -> int:
    try:
        return max(0, min(int(request.GET.get("page", "0")), 52))
    except ValueError:
        return 0


def _book_page(request: SignedInRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    rules = selectors.booking_rules()
    clinicians = selectors.client_clinicians(request.user)
    kinds = selectors.online_types_for(request.user)
    clinician = _chosen(request, clinicians, "clinician")
    appointment_type = _chosen(request, kinds, "type", "appointment_type")
    page = _page_number(request)
    context: dict[str, Any] = {
        "enabled": _may_book_online(request, rules), "clinicians": clinicians, "types": kinds,
        "clinician": clinician, "appointment_type": appointment_type, "error": error,
        "page": page, "notice_hours": int(rules.minimum_notice.total_seconds() // 3600),
    }
    if context["enabled"] and clinician is not None and appointment_type is not None:
        days, has_more = _slot_days(request, clinician, appointment_type, rules, now, page)
        context.update(days=sorted(days.items()), has_more=has_more)
    audit_read(request, Action.PORTAL_BOOKING_VIEWED)
    return render_local(request, "appointments/portal/book.html", context, status=status)


@require_http_methods(["GET", "POST"])
@client_required
def book(request: SignedInRequest) -> HttpResponse:
    if request.method == "GET":
        return _book_page(request)
    form = OnlineBookForm(request.POST)
    if not form.is_valid():
        return _book_page(request, error=_("Choose one of the times shown."), status=400)
    data = form.cleaned_data
    try:
        services.appointment_book_online(
            clinician_id=data["clinician"], appointment_type_id=data["appointment_type"],
            starts_at=data["starts_at"], actor=request.actor)
    except SlotTaken:
        return _book_page(request, error=_("That time was just taken. Please choose another."),
                          status=409)
    except BookingError:
        return _book_page(request, error=_("That time cannot be booked. Please choose one of "
                                           "the times shown."), status=400)
    messages.success(request, _("Your session is booked."))
    return HttpResponseRedirect(reverse("portal:booking:list"))


# --- cancelling and joining --------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@client_required
def cancel(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    appointment = _own(request, appointment_id)
    now = timezone.now()
    rules = selectors.booking_rules()
    row = session_row(appointment, rules, now)
    form = ClientCancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment_id=appointment.pk, actor=request.actor,
                                        reason=form.cleaned_data["reason"])
        except BookingError:
            messages.error(request, _("This session can no longer be cancelled online. "
                                      "Please contact the practice."))
        else:
            messages.success(request, _("Your session is cancelled."))
        return HttpResponseRedirect(reverse("portal:booking:list"))
    audit_read(request, Action.PORTAL_APPOINTMENT_VIEWED, object_type="appointment",
               object_id=appointment.pk)
    return render_local(request, "appointments/portal/cancel.html", {
        "row": row, "form": form,
        "cutoff_hours": int(rules.cancellation_cutoff.total_seconds() // 3600)})


@require_safe
@client_required
def join(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    """To the video session, from 10 minutes before its start (the link is never in a page
    before that)."""
    appointment = _own(request, appointment_id)
    if not session_row(appointment, selectors.booking_rules(), timezone.now()).join_open:
        messages.info(request, _("You can join from 10 minutes before the session starts."))
        return HttpResponseRedirect(reverse("portal:booking:list"))
    audit_read(request, Action.PORTAL_SESSION_JOINED, object_type="appointment",
               object_id=appointment.pk)
    return HttpResponseRedirect(appointment.video_link)


# --- moving a session --------------------------------------------------------------------------

def _move_page(request: SignedInRequest, appointment: Appointment, *, error: str = "",
               status: int = 200) -> HttpResponse:
    now = timezone.now()
    rules = selectors.booking_rules()
    row = session_row(appointment, rules, now)
    page = _page_number(request)
    context: dict[str, Any] = {"row": row, "error": error, "page": page,
                               "notice_hours": int(rules.minimum_notice.total_seconds() // 3600)}
    if row.may_move:
        days, has_more = _slot_days(request, appointment.clinician,
                                    appointment.appointment_type, rules, now, page,
                                    moving=appointment)
        context.update(days=sorted(days.items()), has_more=has_more)
    audit_read(request, Action.PORTAL_APPOINTMENT_VIEWED, object_type="appointment",
               object_id=appointment.pk)
    return render_local(request, "appointments/portal/move.html", context, status=status)


@require_http_methods(["GET", "POST"])
@client_required
def move(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    """Move a booked session to another free time in one step (the old time is freed as the
    new one is taken)."""
    appointment = _own(request, appointment_id)
    if request.method == "GET":
        return _move_page(request, appointment)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_page(request, appointment, error=_("Choose one of the times shown."),
                          status=400)
    try:
        services.appointment_reschedule_online(
            appointment_id=appointment.pk, starts_at=form.cleaned_data["starts_at"],
            actor=request.actor)
    except SlotTaken:
        return _move_page(request, appointment,
                          error=_("That time was just taken. Please choose another."),
                          status=409)
    except BookingError:
        return _move_page(request, appointment,
                          error=_("This session cannot be moved to that time online. Please "
                                  "choose one of the times shown or contact the practice."),
                          status=400)
    messages.success(request, _("Your session is moved. Your reminders follow the new time."))
    return HttpResponseRedirect(reverse("portal:booking:list"))


# --- the waitlist and offers -------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@client_required
def waitlist(request: SignedInRequest) -> HttpResponse:
    clinicians = selectors.client_clinicians(request.user)
    kinds = selectors.online_types_for(request.user)
    form = WaitlistForm(request.POST if request.method == "POST" else None,
                        clinicians=clinicians, types=kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.waitlist_join(data=form.to_input(), actor=request.actor)
            except BookingError:
                form.add_error(None, _("You are already on this waitlist, or it cannot be "
                                       "joined online."))
            else:
                messages.success(request, _("You are on the waitlist. We will tell you when a "
                                            "time opens up."))
                return HttpResponseRedirect(reverse("portal:booking:waitlist"))
        status = 400
    audit_read(request, Action.PORTAL_WAITLIST_VIEWED)
    return render_local(request, "appointments/portal/waitlist.html", {
        "form": form, "entries": selectors.waitlist_waiting(request.user),
        "offers": selectors.open_offers_for_client(request.user, timezone.now()),
    }, status=status)


@require_http_methods(["POST"])
@client_required
def waitlist_leave(request: SignedInRequest, entry_id: int) -> HttpResponse:
    try:
        services.waitlist_leave(entry_id=entry_id, actor=request.actor)
    except WaitlistEntry.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("You have left the waitlist."))
    return HttpResponseRedirect(reverse("portal:booking:waitlist"))


@require_safe
@client_required
def offers(request: SignedInRequest) -> HttpResponse:
    audit_read(request, Action.PORTAL_OFFERS_VIEWED)
    return render_local(request, "appointments/portal/offers.html", {
        "offers": selectors.open_offers_for_client(request.user, timezone.now())})


@require_http_methods(["POST"])
@client_required
def offer_answer(request: SignedInRequest, offer_id: int) -> HttpResponse:
    try:
        if request.POST.get("answer") == "accept":
            services.waitlist_offer_accept(offer_id=offer_id, actor=request.actor)
            messages.success(request, _("The session is yours: it is booked."))
            return HttpResponseRedirect(reverse("portal:booking:list"))
        services.waitlist_offer_decline(offer_id=offer_id, actor=request.actor)
    except WaitlistOffer.DoesNotExist:
        raise Http404 from None
    except BookingError:
        messages.error(request, _("Sorry, this time has already been taken or is no longer "
                                  "available."))
        return HttpResponseRedirect(reverse("portal:booking:offers"))
    messages.success(request, _("Offer declined. You stay on the waitlist."))
    return HttpResponseRedirect(reverse("portal:booking:offers"))

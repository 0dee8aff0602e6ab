"""Staff scheduling pages (namespace "booking"): the week calendar per clinician and for the
practice, booking one session or a series from it (with the dates that clash named and the
rest offered), changing or cancelling occurrences of a series, the waitlist, and the owner's
view of waitlist offers.

The calendar is server-rendered HTML; htmx (when present) swaps the week in place on
navigation, and the plain links work without it. Each day is a list (a heading and its
sessions and free times, in order), laid out as seven columns on a wide screen and as a list of
days on a phone: the same markup reads in order to a screen reader and by keyboard."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.forms import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from practice.access import (
    Capability,
    clients_in_reach,
    reaches_whole_practice,
    sees_clinical_data,
)
from practice.appointments import selectors, services, week
from practice.appointments.forms import (
    SeriesBookForm,
    SeriesCancelForm,
    SeriesChangeForm,
    local_moment,
)
from practice.appointments.models import Appointment, WaitlistEntry
from practice.appointments.services import BookingError, SeriesClash
from practice.appointments.views_staff import (
    _appointment_or_404,
    _client_or_404,
    _page,
    _read_event,
    _refused,
    booking_staff_required,
    owner_required,
)
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest

ALL = "all"


# --- the week calendar -------------------------------------------------------------------------

def _week_clinicians(request: SignedInRequest) -> tuple[list[User], str]:
    """Whose week: a clinician sees their own; the owner and front desk one clinician's or
    the whole practice's ("all")."""
    choices = list(selectors.clinicians())
    wanted = request.GET.get("clinician", "")
    if not reaches_whole_practice(request.user, Capability.APPOINTMENTS):
        if wanted and wanted != str(request.user.pk):
            raise Http404
        return [request.user], str(request.user.pk)
    if wanted == ALL:
        return choices, ALL
    if wanted:
        chosen = next((person for person in choices if str(person.pk) == wanted), None)
        if chosen is None:
            raise Http404
        return [chosen], wanted
    if request.user in choices:
        return [request.user], str(request.user.pk)
    return choices, ALL


def _first_day(text: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        day = today
    return week.week_start(day)


@require_safe
@booking_staff_required
def week_view(request: SignedInRequest) -> HttpResponse:
    clinicians, chosen = _week_clinicians(request)
    zone = (selectors.clinician_zone(clinicians[0]) if chosen != ALL and clinicians
            else selectors.zone_or_utc(selectors.booking_settings().timezone))
    now = timezone.now()
    today = now.astimezone(zone).date()
    first = _first_day(request.GET.get("date"), today)
    kinds = list(selectors.appointment_types())
    kind = next((row for row in kinds if str(row.pk) == request.GET.get("type")),
                kinds[0] if kinds else None)
    calendar = week.week_of(request.user, clinicians=clinicians, first=first, zone=zone,
                            appointment_type=kind, now=now)
    _read_event(request, Action.BOOKING_WEEK_VIEWED, object_type="clinician",
                object_id=chosen, client_ids=sorted({row.client_id
                                                     for row in calendar.appointments}))
    context = {
        "calendar": calendar, "clinicians": list(selectors.clinicians()), "chosen": chosen,
        "may_choose": reaches_whole_practice(request.user, Capability.APPOINTMENTS),
        "types": kinds,
        "kind": kind, "today": today, "previous": first - timedelta(days=7),
        "next": first + timedelta(days=7), "is_practice": chosen == ALL,
        "step_minutes": int(calendar.step.total_seconds() // 60),
    }
    if request.htmx:
        return _page(request, "appointments/staff/_week.html", context)
    return _page(request, "appointments/staff/week.html", context)


# --- booking one session or a series -----------------------------------------------------------

def _book_form(request: SignedInRequest, data: Any = None) -> SeriesBookForm:
    initial: dict[str, Any] = {"clinician": request.GET.get("clinician") or request.user.pk,
                               "client": request.GET.get("client"),
                               "appointment_type": request.GET.get("type"),
                               "ends": "count", "occurrences": 12}
    start = request.GET.get("start")
    if start:
        try:
            moment = datetime.fromisoformat(start)
            clinician = selectors.clinician_by_id(int(initial["clinician"]))
            local = moment.astimezone(selectors.clinician_zone(clinician))
            initial.update(date=local.date(), time=local.time().replace(second=0,
                                                                        microsecond=0))
        except (ValueError, TypeError, User.DoesNotExist):
            pass
    clients = list(clients_in_reach(request.user, Capability.APPOINTMENTS)
                   .order_by("full_name", "pk").only("id", "full_name")[:500])
    return SeriesBookForm(data, clients=clients, clinicians=list(selectors.clinicians()),
                          types=list(selectors.appointment_types()), initial=initial)


def _series_input(data: dict[str, Any]) -> services.SeriesInput:
    return services.SeriesInput(
        client_id=data["client"], clinician_id=data["clinician"],
        appointment_type_id=data["appointment_type"], frequency=data["repeat"],
        first_date=data["date"], local_time=data["time"],
        occurrences=data["occurrences"] if data["ends"] == "count" else None,
        until=data["until"] if data["ends"] == "until" else None)


def _book_submit(request: SignedInRequest, form: SeriesBookForm) -> HttpResponse | None:
    """Book; None when the form carries the refusal (or the clashes) to show again."""
    data = form.cleaned_data
    try:
        if not data.get("repeat"):
            clinician = selectors.clinician_by_id(data["clinician"])
            appointment = services.appointment_book(
                client_id=data["client"], clinician_id=clinician.pk,
                appointment_type_id=data["appointment_type"],
                starts_at=local_moment(data["date"], data["time"],
                                       selectors.clinician_zone(clinician)),
                actor=request.actor)
            messages.success(request, "Session booked.")
            return HttpResponseRedirect(reverse("booking:detail", args=[appointment.pk]))
        result = services.series_book(data=_series_input(data), actor=request.actor,
                                      book_the_rest=data["book_the_rest"])
    except User.DoesNotExist:
        form.add_error(None, "Choose one of the clients and clinicians listed.")
        return None
    except ValidationError as error:
        form.add_error("time", error)
        return None
    except SeriesClash as clash:
        form.clashes = clash
        return None
    except BookingError as error:
        form.add_error(None, str(error))
        return None
    skipped = len(result.skipped)
    messages.success(request, f"Series booked: {len(result.booked)} sessions"
                              + (f", {skipped} dates left out." if skipped else "."))
    return HttpResponseRedirect(reverse("booking:detail", args=[result.booked[0].pk]))


@require_http_methods(["GET", "POST"])
@booking_staff_required
def book(request: SignedInRequest) -> HttpResponse:
    form = _book_form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = _book_submit(request, form)
            if done is not None:
                return done
        status = 409 if getattr(form, "clashes", None) else 400
    return _page(request, "appointments/staff/book.html", {
        "form": form, "clashes": getattr(form, "clashes", None)}, status)


# --- changing and cancelling occurrences of a series -------------------------------------------

def _detail(appointment_id: int) -> str:
    return reverse("booking:detail", args=[appointment_id])


@require_POST
@booking_staff_required
def series_change(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    form = SeriesChangeForm(request.POST)
    if not form.is_valid():
        return _refused(request, BookingError("Give the new date and time, and which sessions."),
                        _detail(appointment_id))
    data = form.cleaned_data
    try:
        local_moment(data["date"], data["time"],
                     selectors.clinician_zone(appointment.clinician))
        moved = services.series_change(appointment_id=appointment.pk, scope=data["scope"],
                                       new_date=data["date"], new_time=data["time"],
                                       actor=request.actor)
    except ValidationError as error:
        return _refused(request, BookingError(" ".join(error.messages)), _detail(appointment_id))
    except Appointment.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, _detail(appointment_id))
    messages.success(request, f"{len(moved)} session(s) moved. Reminders and questionnaires "
                              "follow the new times.")
    return HttpResponseRedirect(_detail(appointment_id))


@require_POST
@booking_staff_required
def series_cancel(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    _appointment_or_404(request, appointment_id)
    form = SeriesCancelForm(request.POST)
    if not form.is_valid():
        return _refused(request, BookingError("Say which sessions and who cancelled."),
                        _detail(appointment_id))
    try:
        cancelled = services.series_cancel(
            appointment_id=appointment_id, scope=form.cleaned_data["scope"],
            by_client=form.cleaned_data["requested_by"] == "client",
            actor=request.actor)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, _detail(appointment_id))
    messages.success(request, f"{len(cancelled)} session(s) cancelled.")
    return HttpResponseRedirect(_detail(appointment_id))


# --- the waitlist (staff) and offers (owner) ---------------------------------------------------

@require_safe
@booking_staff_required
def waitlist(request: SignedInRequest) -> HttpResponse:
    entries = selectors.waitlist_waiting(request.user)
    _read_event(request, Action.BOOKING_WAITLIST_VIEWED, object_type="waitlist", object_id="",
                client_ids=sorted({entry.client_id for entry in entries}))
    return _page(request, "appointments/staff/waitlist.html", {"entries": entries})


@require_POST
@booking_staff_required
def waitlist_add(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client_or_404(request, client_id)
    target = reverse("booking:client", args=[client.pk])
    try:
        weekdays = [int(day) for day in request.POST.getlist("weekdays")]
        earliest = datetime.strptime(request.POST.get("earliest_time", ""), "%H:%M").time()
        latest = datetime.strptime(request.POST.get("latest_time", ""), "%H:%M").time()
        clinician_id = int(request.POST.get("clinician", ""))
        type_id = int(request.POST.get("appointment_type", ""))
    except ValueError:
        return _refused(request, BookingError("Give the clinician, type, days and hours."),
                        target)
    try:
        services.waitlist_join(data=services.WaitlistInput(
            clinician_id=clinician_id, appointment_type_id=type_id, weekdays=weekdays,
            earliest_time=earliest, latest_time=latest), client_id=client.pk,
            actor=request.actor)
    except User.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, target)
    messages.success(request, "Added to the waitlist.")
    return HttpResponseRedirect(target)


@require_POST
@booking_staff_required
def waitlist_remove(request: SignedInRequest, entry_id: int) -> HttpResponse:
    try:
        services.waitlist_leave(entry_id=entry_id, actor=request.actor)
    except WaitlistEntry.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Removed from the waitlist.")
    return HttpResponseRedirect(reverse("booking:waitlist"))


@require_safe
@owner_required
def offers(request: SignedInRequest) -> HttpResponse:
    """Offers made, accepted and expired (the last 30 days) and the latest freed times."""
    since = timezone.now() - timedelta(days=30)
    return _page(request, "appointments/staff/offers.html", {
        "stats": selectors.offer_stats(since), "slots": selectors.recent_slot_offers()})


@require_POST
@booking_staff_required
def online_approval(request: SignedInRequest, client_id: int) -> HttpResponse:
    if not sees_clinical_data(request.user):
        raise Http404
    client = _client_or_404(request, client_id)
    try:
        approved = services.online_booking_approval_set(
            client_id=client.pk, is_approved=request.POST.get("is_approved") == "1",
            actor=request.actor)
    except User.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Approved to book online." if approved
                     else "No longer approved to book approved-only types online.")
    return HttpResponseRedirect(reverse("booking:client", args=[client.pk]))

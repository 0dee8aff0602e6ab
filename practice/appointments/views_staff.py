"""Staff pages of booking (`/appointments/`, namespace "booking"): a clinician's day, a client's
appointments (book, move, cancel, record the outcome), clinicians' hours, appointment types and
the practice's rules (owner), the clinician's own calendar feed, and the feed itself.

The owner, clinicians and front desk get in (front desk sees names, times and types, never
clinical content); anyone else signed in gets the not-found page, and so does a client or an
appointment out of reach. Every page showing a client's appointments leaves a read event. Times
show in the clinician's timezone, with its abbreviation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.forms import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from practice.access import (
    Capability,
    client_in_reach,
    clients_in_reach,
    declares,
    holds,
    reaches_whole_practice,
    requires,
    sees_clinical_data,
)
from practice.appointments import ical, selectors, services
from practice.appointments.forms import (
    AppointmentTypeForm,
    BookingSettingsForm,
    ExceptionForm,
    FeedForm,
    OutcomeForm,
    RescheduleForm,
    SeriesCancelForm,
    SeriesChangeForm,
    SessionQuestionnaireForm,
    StaffBookForm,
    StaffCancelForm,
    WeeklyHoursForm,
    format_periods,
    local_moment,
)
from practice.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    ClinicianCalendar,
    SessionQuestionnaire,
    Weekday,
)
from practice.appointments.services import BookingError
from practice.appointments.services.common import may_manage_schedule_of
from practice.measurement.selectors import instruments_offered
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import PracticeRequest, SignedInRequest
from tenants.selectors import practice_client_url

booking_staff_required = requires(Capability.APPOINTMENTS)


owner_required = requires(Capability.MANAGE_PRACTICE)



def _read_event(request: SignedInRequest, action: str, *, object_type: str, object_id: Any,
                client_ids: list[int] | None = None) -> None:
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=request.actor.meta,
                 detail={"client_ids": client_ids} if client_ids is not None else None)


def _client_or_404(request: SignedInRequest, client_id: int) -> User:
    try:
        return client_in_reach(request.user, Capability.APPOINTMENTS, client_id)
    except User.DoesNotExist:
        raise Http404 from None


def _appointment_or_404(request: SignedInRequest, appointment_id: int) -> Appointment:
    try:
        return selectors.appointment_for(request.user, appointment_id)
    except Appointment.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class Row:
    appointment: Appointment
    zone: ZoneInfo


def _rows(appointments: list[Appointment]) -> list[Row]:
    zones = selectors.clinician_zones({row.clinician_id for row in appointments})
    return [Row(row, zones[row.clinician_id]) for row in appointments]


def _page(request: SignedInRequest, template: str, context: dict[str, Any],
          status: int = 200) -> HttpResponse:
    context["is_owner"] = holds(request.user, Capability.MANAGE_PRACTICE)
    context["may_have_feed"] = holds(request.user, Capability.HOLD_CASELOAD)
    return render(request, template, context, status=status)


def _refused(request: HttpRequest, error: Exception, target: str) -> HttpResponseRedirect:
    messages.error(request, str(error))
    return HttpResponseRedirect(target)


# --- a clinician's day -------------------------------------------------------------------------

def _parse_day(text: str | None, zone: ZoneInfo) -> date:
    try:
        return date.fromisoformat(text) if text else timezone.now().astimezone(zone).date()
    except ValueError:
        return timezone.now().astimezone(zone).date()


def _schedule_clinician(request: SignedInRequest) -> User | None:
    """Whose day: a clinician sees their own; the owner and front desk anyone's."""
    choices = list(selectors.clinicians())
    wanted = request.GET.get("clinician", "")
    if not reaches_whole_practice(request.user, Capability.APPOINTMENTS):
        if wanted and wanted != str(request.user.pk):
            raise Http404
        return request.user
    if wanted:
        chosen = next((person for person in choices if str(person.pk) == wanted), None)
        if chosen is None:
            raise Http404
        return chosen
    if holds(request.user, Capability.MANAGE_PRACTICE) and request.user in choices:
        return request.user
    return choices[0] if choices else None


@require_safe
@booking_staff_required
def schedule(request: SignedInRequest) -> HttpResponse:
    clinician = _schedule_clinician(request)
    context: dict[str, Any] = {"clinician": clinician,
                               "clinicians": list(selectors.clinicians())}
    if clinician is not None:
        zone = selectors.clinician_zone(clinician)
        day = _parse_day(request.GET.get("date"), zone)
        appointments = selectors.clinician_day(clinician, day, zone)
        context.update(zone=zone, day=day, rows=_rows(appointments),
                       previous=day - timedelta(days=1), next=day + timedelta(days=1),
                       today=timezone.now().astimezone(zone).date())
        _read_event(request, Action.BOOKING_SCHEDULE_VIEWED, object_type="clinician",
                    object_id=clinician.pk,
                    client_ids=sorted({row.client_id for row in appointments}))
    return _page(request, "appointments/staff/schedule.html", context)


# --- a client's appointments -------------------------------------------------------------------

CLIENTS_SHOWN = 50


@require_safe
@booking_staff_required
def client_list(request: SignedInRequest) -> HttpResponse:
    """Find a client to book for (front desk reaches clients from here)."""
    query = request.GET.get("q", "").strip()[:100]
    clients = clients_in_reach(request.user, Capability.APPOINTMENTS).order_by("full_name", "pk")
    if query:
        clients = clients.filter(full_name__icontains=query)
    rows = list(clients.only("id", "full_name")[:CLIENTS_SHOWN + 1])
    _read_event(request, Action.BOOKING_CLIENT_LIST_VIEWED, object_type="client", object_id="",
                client_ids=[client.pk for client in rows[:CLIENTS_SHOWN]])
    return _page(request, "appointments/staff/clients.html", {
        "clients": rows[:CLIENTS_SHOWN], "more": len(rows) > CLIENTS_SHOWN, "query": query})


def _book_form(request: HttpRequest, data: Any = None) -> StaffBookForm:
    return StaffBookForm(data, clinicians=list(selectors.clinicians()),
                         types=list(selectors.appointment_types()),
                         initial={"clinician": request.user.pk})


def _questionnaire_form(request: PracticeRequest, data: Any = None) -> SessionQuestionnaireForm:
    return SessionQuestionnaireForm(data, instruments=[
        (definition.key, definition.title) for definition in instruments_offered(request.tenant)])


def _client_page(request: SignedInRequest, client: User, book_form: StaffBookForm,
                 status: int = 200) -> HttpResponse:
    now = timezone.now()
    upcoming, past = selectors.appointments_for_client(client, now=now)
    clinical = sees_clinical_data(request.user)
    _read_event(request, Action.BOOKING_CLIENT_APPOINTMENTS_VIEWED, object_type="client",
                object_id=client.pk)
    return _page(request, "appointments/staff/client.html", {
        "client": client, "upcoming": _rows(upcoming), "past": _rows(past),
        "form": book_form, "now": now, "clinical": clinical,
        "questionnaires": selectors.session_questionnaires(client) if clinical else [],
        "questionnaire_form": _questionnaire_form(request) if clinical else None,
        "series": selectors.series_of_client(client),
        "waiting": list(selectors.waitlist_visible_to(request.user).filter(
            client=client, status="waiting")),
        "clinicians": list(selectors.clinicians()),
        "types": list(selectors.appointment_types()),
        "weekday_choices": [(day.value, day.label) for day in Weekday],
        "is_approved": selectors.client_standing(client)[1] if clinical else False,
    }, status)


@require_http_methods(["GET", "POST"])
@booking_staff_required
def client_appointments(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client_or_404(request, client_id)
    form = _book_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                clinician = selectors.clinician_by_id(data["clinician"])
                starts_at = local_moment(data["date"], data["time"],
                                         selectors.clinician_zone(clinician))
                appointment = services.appointment_book(
                    client_id=client.pk, clinician_id=clinician.pk,
                    appointment_type_id=data["appointment_type"], starts_at=starts_at,
                    video_link=data["video_link"], actor=request.actor)
            except User.DoesNotExist:
                form.add_error("clinician", "Choose one of the practice's clinicians.")
            except ValidationError as error:
                form.add_error("time", error)
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Session booked.")
                return HttpResponseRedirect(reverse("booking:detail", args=[appointment.pk]))
        return _client_page(request, client, form, status=400)
    return _client_page(request, client, form)


@require_POST
@booking_staff_required
def questionnaire_add(request: SignedInRequest, client_id: int) -> HttpResponse:
    if not sees_clinical_data(request.user):
        raise Http404
    client = _client_or_404(request, client_id)
    form = _questionnaire_form(request, request.POST)
    target = reverse("booking:client", args=[client.pk])
    if not form.is_valid():
        return _refused(request, BookingError("Choose a questionnaire and when it is due."),
                        target)
    try:
        services.session_questionnaire_add(
            client_id=client.pk,
            instrument_key=form.cleaned_data["instrument_key"],
            hours_before=form.cleaned_data["hours_before"], actor=request.actor)
    except User.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, target)
    messages.success(request, "The questionnaire will be asked before each session.")
    return HttpResponseRedirect(target)


@require_POST
@booking_staff_required
def questionnaire_end(request: SignedInRequest, questionnaire_id: int) -> HttpResponse:
    if not sees_clinical_data(request.user):
        raise Http404
    try:
        questionnaire = services.session_questionnaire_end(
            questionnaire_id=questionnaire_id, actor=request.actor)
    except (SessionQuestionnaire.DoesNotExist, User.DoesNotExist):
        raise Http404 from None
    messages.success(request, "No longer asked before each session.")
    return HttpResponseRedirect(reverse("booking:client", args=[questionnaire.client_id]))


# --- one appointment ---------------------------------------------------------------------------

@require_safe
@booking_staff_required
def appointment_detail(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    now = timezone.now()
    rules = selectors.booking_rules()
    _read_event(request, Action.BOOKING_APPOINTMENT_VIEWED, object_type="appointment",
                object_id=appointment.pk, client_ids=[appointment.client_id])
    return _page(request, "appointments/staff/detail.html", {
        "row": _rows([appointment])[0], "appointment": appointment,
        "client_visible": clients_in_reach(request.user, Capability.APPOINTMENTS).filter(
            pk=appointment.client_id).exists(),
        "is_future": appointment.starts_at > now,
        "may_record_outcome": appointment.starts_at <= now and appointment.status in (
            Appointment.Status.BOOKED, *services.OUTCOMES),
        "would_be_late": rules.is_late_cancellation(appointment.starts_at, now),
        "cancel_form": StaffCancelForm(), "outcome_form": OutcomeForm(),
        "reschedule_form": RescheduleForm(),
        "series": appointment.series if appointment.series_id else None,
        "series_change_form": SeriesChangeForm(initial={
            "date": appointment.starts_at.astimezone(_rows([appointment])[0].zone).date(),
            "time": appointment.starts_at.astimezone(_rows([appointment])[0].zone).time()}),
        "series_cancel_form": SeriesCancelForm(),
    })


def _detail(appointment_id: int) -> str:
    return reverse("booking:detail", args=[appointment_id])


@require_POST
@booking_staff_required
def appointment_cancel(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    form = StaffCancelForm(request.POST)
    if not form.is_valid():
        _appointment_or_404(request, appointment_id)
        return _refused(request, BookingError("Say who cancelled."), _detail(appointment_id))
    try:
        appointment = services.appointment_cancel(
            appointment_id=appointment_id, actor=request.actor,
            reason=form.cleaned_data["reason"],
            by_client=form.cleaned_data["requested_by"] == "client")
    except Appointment.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, _detail(appointment_id))
    messages.success(request, "Late cancellation recorded." if appointment.status ==
                     Appointment.Status.LATE_CANCELLED else "Session cancelled.")
    return HttpResponseRedirect(_detail(appointment_id))


@require_POST
@booking_staff_required
def appointment_outcome(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            _appointment_or_404(request, appointment_id)
            raise BookingError("Choose completed or no-show.")
        services.appointment_record_outcome(
            appointment_id=appointment_id, outcome=form.cleaned_data["outcome"],
            actor=request.actor)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, _detail(appointment_id))
    messages.success(request, "Recorded.")
    return HttpResponseRedirect(_detail(appointment_id))


@require_POST
@booking_staff_required
def appointment_reschedule(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    form = RescheduleForm(request.POST)
    try:
        if not form.is_valid():
            raise BookingError("Give the new date and time.")
        starts_at = local_moment(form.cleaned_data["date"], form.cleaned_data["time"],
                                 selectors.clinician_zone(appointment.clinician))
        services.appointment_reschedule(appointment_id=appointment.pk, starts_at=starts_at,
                                        actor=request.actor)
    except ValidationError as error:
        return _refused(request, BookingError(" ".join(error.messages)),
                        _detail(appointment_id))
    except Appointment.DoesNotExist:
        raise Http404 from None
    except BookingError as error:
        return _refused(request, error, _detail(appointment_id))
    messages.success(request, "Session moved. The client's reminders follow the new time.")
    return HttpResponseRedirect(_detail(appointment_id))


# --- clinicians' hours -------------------------------------------------------------------------

def _managed_clinician(request: SignedInRequest, clinician_id: int) -> User:
    try:
        clinician = selectors.clinician_by_id(clinician_id)
    except User.DoesNotExist:
        raise Http404 from None
    if not may_manage_schedule_of(request.user, clinician):
        raise Http404
    return clinician


@require_safe
@booking_staff_required
def availability_home(request: SignedInRequest) -> HttpResponse:
    if not reaches_whole_practice(request.user, Capability.APPOINTMENTS):
        return HttpResponseRedirect(reverse("booking:availability", args=[request.user.pk]))
    return _page(request, "appointments/staff/availability_list.html",
                 {"clinicians": list(selectors.clinicians())})


def _hours_initial(clinician: User) -> dict[str, Any]:
    by_day: dict[int, list] = {}
    for row in selectors.weekly_rows(clinician):
        by_day.setdefault(row.weekday, []).append((row.starts_at, row.ends_at))
    initial: dict[str, Any] = {"timezone": selectors.calendar_of(clinician).timezone}
    initial.update({f"day_{day}": format_periods(periods) for day, periods in by_day.items()})
    return initial


def _availability_page(request: SignedInRequest, clinician: User, hours_form: WeeklyHoursForm,
                       exception_form: ExceptionForm, status: int = 200) -> HttpResponse:
    zone = selectors.clinician_zone(clinician)
    return _page(request, "appointments/staff/availability.html", {
        "clinician": clinician, "hours_form": hours_form, "exception_form": exception_form,
        "exceptions": selectors.exception_rows(
            clinician, since=timezone.now().astimezone(zone).date()),
    }, status)


@require_http_methods(["GET", "POST"])
@booking_staff_required
def availability(request: SignedInRequest, clinician_id: int) -> HttpResponse:
    clinician = _managed_clinician(request, clinician_id)
    form = WeeklyHoursForm(request.POST if request.method == "POST" else None,
                           initial=_hours_initial(clinician))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.availability_set_weekly(
                    clinician_id=clinician.pk, windows=form.cleaned_data["windows"],
                    timezone_name=form.cleaned_data["timezone"], actor=request.actor)
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Weekly hours saved.")
                return HttpResponseRedirect(reverse("booking:availability",
                                                    args=[clinician.pk]))
        return _availability_page(request, clinician, form, ExceptionForm(), status=400)
    return _availability_page(request, clinician, form, ExceptionForm())


@require_POST
@booking_staff_required
def exception_add(request: SignedInRequest, clinician_id: int) -> HttpResponse:
    clinician = _managed_clinician(request, clinician_id)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.availability_exception_add(
                clinician_id=clinician.pk, day=data["date"], kind=data["kind"],
                starts_at=data["starts_at"], ends_at=data["ends_at"], note=data["note"],
                actor=request.actor)
        except BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Exception added.")
            return HttpResponseRedirect(reverse("booking:availability", args=[clinician.pk]))
    return _availability_page(request, clinician,
                              WeeklyHoursForm(initial=_hours_initial(clinician)), form,
                              status=400)


@require_POST
@booking_staff_required
def exception_remove(request: SignedInRequest, exception_id: int) -> HttpResponse:
    exception = AvailabilityException.objects.filter(pk=exception_id).first()
    if exception is None:
        raise Http404
    clinician = _managed_clinician(request, exception.clinician_id)
    try:
        services.availability_exception_remove(exception_id=exception_id,
                                               actor=request.actor)
    except AvailabilityException.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Exception removed.")
    return HttpResponseRedirect(reverse("booking:availability", args=[clinician.pk]))


# --- appointment types and rules (owner) -------------------------------------------------------

def _type_input(form: AppointmentTypeForm) -> services.AppointmentTypeInput:
    data = form.cleaned_data
    return services.AppointmentTypeInput(
        name=data["name"], duration_minutes=data["duration_minutes"], mode=data["mode"],
        video_link=data["video_link"] or "", is_bookable_online=data["is_bookable_online"],
        name_es=data["name_es"] or "", online_audience=data["online_audience"] or "all",
        same_day_allowed=data["same_day_allowed"], daily_cap=data["daily_cap"] or 0,
        weekly_cap=data["weekly_cap"] or 0, buffer_minutes=data["buffer_minutes"] or 0,
        is_intake=data["is_intake"])


@require_http_methods(["GET", "POST"])
@owner_required
def types(request: SignedInRequest) -> HttpResponse:
    form = AppointmentTypeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.appointment_type_save(data=_type_input(form), actor=request.actor)
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Type added.")
                return HttpResponseRedirect(reverse("booking:types"))
    rows = list(selectors.appointment_types(active_only=False))
    return _page(request, "appointments/staff/types.html", {
        "form": form,
        "rows": [(row, AppointmentTypeForm(initial={
            "name": row.name, "name_es": row.name_es, "duration_minutes": row.duration_minutes,
            "mode": row.mode, "video_link": row.video_link,
            "is_bookable_online": row.is_bookable_online,
            "online_audience": row.online_audience, "is_intake": row.is_intake,
            "same_day_allowed": row.same_day_allowed, "daily_cap": row.daily_cap,
            "weekly_cap": row.weekly_cap, "buffer_minutes": row.buffer_minutes},
            prefix=f"type{row.pk}")) for row in rows],
    }, 400 if form.errors else 200)


@require_POST
@owner_required
def type_edit(request: SignedInRequest, type_id: int) -> HttpResponse:
    if not AppointmentType.objects.filter(pk=type_id).exists():
        raise Http404
    form = AppointmentTypeForm(request.POST, prefix=f"type{type_id}")
    try:
        if not form.is_valid():
            raise BookingError(" ".join(str(message) for errors in form.errors.values()
                                        for message in errors))
        services.appointment_type_save(data=_type_input(form), appointment_type_id=type_id,
                                       actor=request.actor)
    except BookingError as error:
        return _refused(request, error, reverse("booking:types"))
    messages.success(request, "Type saved. Sessions already booked keep what they were "
                              "booked with.")
    return HttpResponseRedirect(reverse("booking:types"))


@require_POST
@owner_required
def type_active(request: SignedInRequest, type_id: int) -> HttpResponse:
    try:
        row = services.appointment_type_set_active(
            appointment_type_id=type_id, is_active=request.POST.get("is_active") == "1",
            actor=request.actor)
    except AppointmentType.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Type offered again." if row.is_active else
                     "Type retired: no new bookings; booked sessions stay.")
    return HttpResponseRedirect(reverse("booking:types"))


@require_http_methods(["GET", "POST"])
@owner_required
def booking_settings(request: SignedInRequest) -> HttpResponse:
    row = selectors.booking_settings()
    initial = {
        "online_booking_enabled": row.online_booking_enabled,
        "minimum_notice_hours": row.minimum_notice_hours,
        "cancellation_cutoff_hours": row.cancellation_cutoff_hours,
        "booking_horizon_days": row.booking_horizon_days,
        "reminder_hours": ", ".join(f"{minutes / 60:g}"
                                    for minutes in row.reminder_offsets_minutes),
        "timezone": row.timezone,
        "slot_step_minutes": row.slot_step_minutes,
        "client_reschedule_enabled": row.client_reschedule_enabled,
        "waitlist_offers_at_once": row.waitlist_offers_at_once,
        "waitlist_offer_hours": row.waitlist_offer_hours,
    }
    form = BookingSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.booking_settings_update(data=services.BookingSettingsInput(
                online_booking_enabled=data["online_booking_enabled"],
                minimum_notice_hours=data["minimum_notice_hours"],
                cancellation_cutoff_hours=data["cancellation_cutoff_hours"],
                booking_horizon_days=data["booking_horizon_days"],
                reminder_offsets_minutes=data["reminder_hours"], timezone=data["timezone"],
                slot_step_minutes=data["slot_step_minutes"],
                client_reschedule_enabled=data["client_reschedule_enabled"],
                waitlist_offers_at_once=data["waitlist_offers_at_once"] or 3,
                waitlist_offer_hours=data["waitlist_offer_hours"] or 12),
                actor=request.actor)
        except BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Booking settings saved.")
            return HttpResponseRedirect(reverse("booking:settings"))
    return _page(request, "appointments/staff/settings.html", {"form": form},
                 400 if form.errors else 200)


# --- calendar feed -----------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires(Capability.HOLD_CASELOAD)
def calendar_feed(request: SignedInRequest) -> HttpResponse:
    """The clinician's own feed: a new secret address (shown once), names or initials, off."""
    token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "regenerate":
            token = services.calendar_feed_regenerate(actor=request.actor)
        elif action == "names":
            form = FeedForm(request.POST)
            form.is_valid()
            services.calendar_feed_update(full_names=form.cleaned_data.get("full_names", False),
                                          actor=request.actor)
            messages.success(request, "Saved.")
            return HttpResponseRedirect(reverse("booking:calendar"))
        elif action == "off":
            services.calendar_feed_turn_off(actor=request.actor)
            messages.success(request, "The feed is off; its address no longer works.")
            return HttpResponseRedirect(reverse("booking:calendar"))
        else:
            return _refused(request, BookingError("Choose what to do."),
                            reverse("booking:calendar"))
    calendar = selectors.calendar_of(request.user)
    # On the practice's canonical address (its own domain once verified).
    feed_url = (practice_client_url(request.tenant, reverse("booking:feed", args=[token]))
                if token else None)
    response = _page(request, "appointments/staff/calendar.html", {
        "calendar": calendar, "feed_url": feed_url,
        "form": FeedForm(initial={"full_names": calendar.feed_full_names}),
    })
    # The page may carry the secret address: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


@declares(Capability.PUBLIC)  # the feed's secret token is its credential
@require_safe
def feed(request: PracticeRequest, token: str) -> HttpResponse:
    """The calendar feed at its secret address (no sign-in: calendar apps fetch it)."""
    try:
        calendar = selectors.calendar_by_feed_token(token)
    except ClinicianCalendar.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    appointments = selectors.feed_appointments(calendar.clinician, now)
    body = ical.clinician_feed(calendar=calendar, appointments=appointments, now=now,
                               practice_name=request.tenant.name, host=request.get_host())
    audit_record(action=Action.CALENDAR_FEED_FETCHED, actor=None, actor_role="calendar_feed",
                 object_type="clinician", object_id=calendar.clinician_id,
                 meta=request.actor.meta,
                 detail={"client_ids": sorted({row.client_id for row in appointments})})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response

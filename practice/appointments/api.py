"""Endpoints of the booking API (`/api/v1/`, namespace "api:booking"). Each authenticates,
authorises, parses, calls one service or selector, and serializes. Staff (owner, clinicians,
front desk) reach the appointments the staff pages show them; a client reaches their own and
books online like in the portal. Anything out of reach is the same 404 as a missing id."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability, client_in_reach, reaches_whole_practice
from practice.api_permissions import holding, require
from practice.appointments import selectors, services, week
from practice.appointments.models import (
    Appointment,
    AppointmentType,
)
from practice.appointments.serializers import (
    AppointmentAsReadSerializer,
    AppointmentSerializer,
    AppointmentTypeSerializer,
    AvailabilitySerializer,
    BookingSettingsSerializer,
    BookRequestSerializer,
    CancelRequestSerializer,
    OfferAnswerSerializer,
    OfferSerializer,
    OfferStatsSerializer,
    OutcomeRequestSerializer,
    RescheduleRequestSerializer,
    SeriesBookedSerializer,
    SeriesCancelRequestSerializer,
    SeriesChangeRequestSerializer,
    SeriesClashSerializer,
    SeriesRequestSerializer,
    SlotsSerializer,
    StaffAppointmentSerializer,
    WaitlistEntrySerializer,
    WaitlistRequestSerializer,
    WeekSerializer,
)
from practice.appointments.services import BookingError, SeriesClash, SlotTaken
from practice.appointments.services.common import may_manage_schedule_of
from practice.measurement.api.serializers import (  # one "Error" in the schema
    BAD_REQUEST,
    ErrorSerializer,
)
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

STAFF_OR_CLIENT = holding(Capability.APPOINTMENTS, Capability.OWN_RECORD)
DENIED = {403: ErrorSerializer, 404: ErrorSerializer}
REFUSED = {400: BAD_REQUEST, 409: ErrorSerializer}



def _serialize(request: SignedInApiRequest, appointments: Any, many: bool = False) -> Any:
    serializer = AppointmentSerializer if request.user.is_client else StaffAppointmentSerializer
    return serializer(appointments, many=many).data


def _refusal(error: BookingError) -> ApiResponse:
    code = status.HTTP_409_CONFLICT if isinstance(error, SlotTaken) else status.HTTP_400_BAD_REQUEST
    return ApiResponse({"detail": str(error)}, status=code)


def _moment(request: Request, name: str, default: datetime) -> datetime:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: "Use an ISO 8601 date and time with its offset."}) from None
    if moment.tzinfo is None:
        raise ValidationError({name: "Give the UTC offset (for example 2027-01-04T09:00Z)."})
    return moment


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: "A number."}) from None


RANGE_PARAMETERS = [
    OpenApiParameter("from", datetime, description="Start of the range (default: now)."),
    OpenApiParameter("to", datetime, description="End of the range (default: 60 days on)."),
    OpenApiParameter("clinician", int, description="Staff: one clinician's sessions."),
    OpenApiParameter("client", int, description="Staff: one client's sessions."),
]


class AppointmentListView(APIView):
    """GET: appointments in a time range. POST: book (staff for a client; a client online)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(parameters=RANGE_PARAMETERS,
                   responses={**DENIED, 200: AppointmentAsReadSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        now = timezone.now()
        start = _moment(request, "from", now)
        end = _moment(request, "to", start + timedelta(days=60))
        if end - start > timedelta(days=366):
            raise ValidationError({"to": "At most a year at a time."})
        clinician = client = None
        clinician_id, client_id = _int_param(request, "clinician"), _int_param(request, "client")
        if clinician_id is not None and not request.user.is_client:
            clinician = selectors.clinician_by_id(clinician_id)
        if client_id is not None and not request.user.is_client:
            client = client_in_reach(request.user, Capability.APPOINTMENTS, client_id)
        rows = list(selectors.appointments_between(request.user, start=start, end=end,
                                                   clinician=clinician, client=client))
        audit_record(action=Action.BOOKING_APPOINTMENTS_LISTED, actor=request.user,
                     object_type="appointment", meta=request.actor.meta,
                     detail={"client_ids": sorted({row.client_id for row in rows})})
        return ApiResponse(_serialize(request, rows, many=True))

    @extend_schema(request=BookRequestSerializer,
                   responses={**DENIED, **REFUSED, 201: AppointmentAsReadSerializer})
    def post(self, request: SignedInApiRequest) -> ApiResponse:
        serializer = BookRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if request.user.is_client:
                appointment = services.appointment_book_online(
                    clinician_id=data["clinician_id"],
                    appointment_type_id=data["appointment_type_id"],
                    starts_at=data["starts_at"], actor=request.actor)
            else:
                if "client_id" not in data:
                    raise ValidationError({"client_id": "Which client?"})
                appointment = services.appointment_book(
                    client_id=data["client_id"], clinician_id=data["clinician_id"],
                    appointment_type_id=data["appointment_type_id"],
                    starts_at=data["starts_at"], video_link=data.get("video_link", ""),
                    actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment), status=status.HTTP_201_CREATED)


def _appointment(request: SignedInApiRequest, appointment_id: int) -> Appointment:
    return selectors.appointment_for(request.user, appointment_id)


class AppointmentDetailView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: AppointmentAsReadSerializer})
    def get(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        appointment = _appointment(request, appointment_id)
        audit_record(action=Action.BOOKING_APPOINTMENT_VIEWED, actor=request.user,
                     object_type="appointment", object_id=appointment.pk, meta=request.actor.meta,
                     detail={"client_ids": [appointment.client_id]})
        return ApiResponse(_serialize(request, appointment))


class AppointmentCancelView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=CancelRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        serializer = CancelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_cancel(
                appointment_id=appointment_id, actor=request.actor,
                reason=serializer.validated_data.get("reason", ""),
                by_client=serializer.validated_data["requested_by"] == "client")
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


def _staff_only(request: Request) -> None:
    require(request.user, Capability.APPOINTMENTS)


class AppointmentOutcomeView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=OutcomeRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        _staff_only(request)
        serializer = OutcomeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_record_outcome(
                appointment_id=appointment_id, outcome=serializer.validated_data["outcome"],
                actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


class AppointmentRescheduleView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=RescheduleRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        """Staff move a session to any future time; a client moves their own to a free time
        they could book online, up to the cut-off, when the practice allows it."""
        serializer = RescheduleRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = (services.appointment_reschedule_online if request.user.is_client
                else services.appointment_reschedule)
        try:
            appointment = move(
                appointment_id=appointment_id, starts_at=serializer.validated_data["starts_at"],
                actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


class AppointmentTypeListView(APIView):
    """The types offered (to clients: those bookable online)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: AppointmentTypeSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        rows = (selectors.online_types_for(request.user) if request.user.is_client
                else selectors.appointment_types())
        return ApiResponse(AppointmentTypeSerializer(rows, many=True).data)


class SlotListView(APIView):
    """Free starts for a clinician and a type: for a client, what they may book online now;
    for staff, the clinician's free hours in the range."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(parameters=[
        OpenApiParameter("clinician", int, required=True),
        OpenApiParameter("appointment_type", int, required=True),
        OpenApiParameter("from", datetime), OpenApiParameter("to", datetime),
    ], responses={**DENIED, 200: SlotsSerializer})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        clinician_id = _int_param(request, "clinician")
        type_id = _int_param(request, "appointment_type")
        if clinician_id is None or type_id is None:
            raise ValidationError({"detail": "Give clinician and appointment_type."})
        now = timezone.now()
        user = request.user
        rules = selectors.booking_rules()
        try:
            if user.is_client:
                if not rules.online_booking_enabled:
                    raise PermissionDenied("Online booking is not available.")
                clinician = next(person for person in selectors.client_clinicians(user)
                                 if person.pk == clinician_id)
                kind = next(row for row in selectors.online_types_for(user)
                            if row.pk == type_id)
                earliest, latest = rules.online_window(now)
                zone = selectors.client_zone(user)
            else:
                clinician = selectors.clinician_by_id(clinician_id)
                kind = selectors.appointment_types().get(pk=type_id)
                earliest, latest = now, now + timedelta(days=14)
                zone = selectors.clinician_zone(clinician)
        except (StopIteration, User.DoesNotExist, AppointmentType.DoesNotExist):
            raise NotFound from None
        start = max(earliest, _moment(request, "from", earliest))
        end = min(latest, _moment(request, "to", latest), start + timedelta(days=62))
        if user.is_client:
            starts = selectors.online_slots(client=user, clinician=clinician,
                                            appointment_type=kind, earliest=start, latest=end,
                                            now=now)
        else:
            starts = selectors.free_slots(clinician=clinician, appointment_type=kind,
                                          earliest=start, latest=end)
        return ApiResponse(SlotsSerializer({
            "clinician_id": clinician.pk, "appointment_type_id": kind.pk, "timezone": zone.key,
            "starts": starts}).data)


class BookingSettingsView(APIView):
    permission_classes = holding(Capability.MANAGE_PRACTICE)

    @extend_schema(responses={**DENIED, 200: BookingSettingsSerializer})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        return ApiResponse(BookingSettingsSerializer(selectors.booking_settings()).data)

    @extend_schema(request=BookingSettingsSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: BookingSettingsSerializer})
    def put(self, request: SignedInApiRequest) -> ApiResponse:
        serializer = BookingSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.booking_settings_update(
                data=services.BookingSettingsInput(**serializer.validated_data),
                actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(BookingSettingsSerializer(row).data)


class AvailabilityView(APIView):
    """A clinician's weekly hours (wall-clock times in their timezone) and coming exceptions.
    PUT replaces the weekly hours."""

    permission_classes = STAFF_OR_CLIENT

    def _clinician(self, request: SignedInApiRequest, clinician_id: int) -> User:
        clinician = selectors.clinician_by_id(clinician_id)
        if not may_manage_schedule_of(request.user, clinician):
            raise NotFound
        return clinician

    def _answer(self, clinician: User) -> ApiResponse:
        zone = selectors.clinician_zone(clinician)
        return ApiResponse(AvailabilitySerializer({
            "timezone": zone.key,
            "weekly": selectors.weekly_rows(clinician),
            "exceptions": selectors.exception_rows(
                clinician, since=timezone.now().astimezone(zone).date()),
        }).data)

    @extend_schema(responses={**DENIED, 200: AvailabilitySerializer})
    def get(self, request: SignedInApiRequest, clinician_id: int) -> ApiResponse:
        return self._answer(self._clinician(request, clinician_id))

    @extend_schema(request=AvailabilitySerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: AvailabilitySerializer})
    def put(self, request: SignedInApiRequest, clinician_id: int) -> ApiResponse:
        clinician = self._clinician(request, clinician_id)
        serializer = AvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.availability_set_weekly(
                clinician_id=clinician.pk, windows=serializer.to_windows(),
                timezone_name=serializer.validated_data["timezone"], actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return self._answer(clinician)



# --- series ------------------------------------------------------------------------------------

def _clash_answer(clash: SeriesClash) -> ApiResponse:
    return ApiResponse(SeriesClashSerializer({"detail": str(clash), "clashes": clash.clashes,
                                              "free": clash.free}).data,
                       status=status.HTTP_409_CONFLICT)


class SeriesListView(APIView):
    """POST: book a recurring series (staff). Any date that clashes with another session
    (the clinician's or the client's) is named in a 409 and nothing is booked, unless
    book_the_rest is true."""

    permission_classes = holding(Capability.APPOINTMENTS)

    @extend_schema(request=SeriesRequestSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 409: SeriesClashSerializer,
                              201: SeriesBookedSerializer})
    def post(self, request: SignedInApiRequest) -> ApiResponse:
        serializer = SeriesRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        book_the_rest = data.pop("book_the_rest")
        try:
            result = services.series_book(data=services.SeriesInput(
                client_id=data["client_id"], clinician_id=data["clinician_id"],
                appointment_type_id=data["appointment_type_id"], frequency=data["frequency"],
                first_date=data["first_date"], local_time=data["local_time"],
                occurrences=data.get("occurrences"), until=data.get("until")),
                actor=request.actor, book_the_rest=book_the_rest)
        except SeriesClash as clash:
            return _clash_answer(clash)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(SeriesBookedSerializer({
            "series": result.series, "appointments": [row.pk for row in result.booked],
            "skipped": result.skipped}).data, status=status.HTTP_201_CREATED)


class SeriesChangeView(APIView):
    """Move this session of a series, this and the following ones, or all still to come
    (all or nothing: a clash answers 409 naming the dates)."""

    permission_classes = holding(Capability.APPOINTMENTS)

    @extend_schema(request=SeriesChangeRequestSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 409: SeriesClashSerializer,
                              200: AppointmentAsReadSerializer(many=True)})
    def post(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        serializer = SeriesChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            moved = services.series_change(appointment_id=appointment_id, scope=data["scope"],
                                           new_date=data["date"], new_time=data["time"],
                                           actor=request.actor)
        except SeriesClash as clash:
            return _clash_answer(clash)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, moved, many=True))


class SeriesCancelView(APIView):
    permission_classes = holding(Capability.APPOINTMENTS)

    @extend_schema(request=SeriesCancelRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer(many=True)})
    def post(self, request: SignedInApiRequest, appointment_id: int) -> ApiResponse:
        serializer = SeriesCancelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cancelled = services.series_cancel(
                appointment_id=appointment_id, scope=serializer.validated_data["scope"],
                by_client=serializer.validated_data["requested_by"] == "client",
                actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, cancelled, many=True))


# --- waitlist and offers -----------------------------------------------------------------------

class WaitlistView(APIView):
    """GET: the waiting entries (a client's own; staff those they reach). POST: join (a
    client, for one of their clinicians) or add a client (staff)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: WaitlistEntrySerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        rows = selectors.waitlist_waiting(request.user)
        audit_record(action=Action.BOOKING_WAITLIST_VIEWED, actor=request.user,
                     object_type="waitlist", meta=request.actor.meta,
                     detail={"client_ids": sorted({row.client_id for row in rows})})
        return ApiResponse(WaitlistEntrySerializer(rows, many=True).data)

    @extend_schema(request=WaitlistRequestSerializer,
                   responses={**DENIED, **REFUSED, 201: WaitlistEntrySerializer})
    def post(self, request: SignedInApiRequest) -> ApiResponse:
        serializer = WaitlistRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            entry = services.waitlist_join(data=services.WaitlistInput(
                clinician_id=data["clinician_id"],
                appointment_type_id=data["appointment_type_id"], weekdays=data["weekdays"],
                earliest_time=data["earliest_time"], latest_time=data["latest_time"]),
                client_id=data.get("client_id"), actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitlistEntryView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=None, responses={**DENIED, 200: WaitlistEntrySerializer})
    def delete(self, request: SignedInApiRequest, entry_id: int) -> ApiResponse:
        entry = services.waitlist_leave(entry_id=entry_id, actor=request.actor)
        return ApiResponse(WaitlistEntrySerializer(entry).data)


class OfferListView(APIView):
    """A client: the offers of freed times open to them now."""

    permission_classes = holding(Capability.OWN_RECORD)

    @extend_schema(responses={**DENIED, 200: OfferSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        rows = selectors.open_offers_for_client(request.user, timezone.now())
        return ApiResponse(OfferSerializer(rows, many=True).data)


class OfferStatsView(APIView):
    """The owner: offers made, accepted, expired, taken and declined in the last `days`
    (default 30)."""

    permission_classes = holding(Capability.MANAGE_PRACTICE)

    @extend_schema(parameters=[OpenApiParameter("days", int, description="1 to 366.")],
                   responses={**DENIED, 200: OfferStatsSerializer})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        days = _int_param(request, "days") or 30
        stats = selectors.offer_stats(timezone.now() - timedelta(days=max(1, min(days, 366))))
        return ApiResponse(OfferStatsSerializer(stats).data)


class OfferAnswerView(APIView):
    """A client accepts (the first acceptance books the session; later ones get 409) or
    declines an offer."""

    permission_classes = holding(Capability.OWN_RECORD)

    @extend_schema(request=OfferAnswerSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: SignedInApiRequest, offer_id: int) -> ApiResponse:
        serializer = OfferAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            if serializer.validated_data["answer"] == "decline":
                services.waitlist_offer_decline(offer_id=offer_id, actor=request.actor)
                return ApiResponse({"detail": "Declined."})
            appointment = services.waitlist_offer_accept(offer_id=offer_id,
                                                         actor=request.actor)
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


# --- the week calendar -------------------------------------------------------------------------

class WeekView(APIView):
    """Staff: a clinician's week (or the practice's: clinician=all, owner and front desk):
    sessions and the free times a session of `appointment_type` could start."""

    permission_classes = holding(Capability.APPOINTMENTS)

    @extend_schema(parameters=[
        OpenApiParameter("clinician", str, description="A clinician's id, or all."),
        OpenApiParameter("date", date, description="Any day of the week (default today)."),
        OpenApiParameter("appointment_type", int),
    ], responses={**DENIED, 200: WeekSerializer})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        wanted = request.query_params.get("clinician", "")
        everyone = list(selectors.clinicians())
        whole = reaches_whole_practice(request.user, Capability.APPOINTMENTS)
        if not wanted and whole and request.user not in everyone:
            wanted = "all"  # the front desk: the whole practice
        if wanted == "all" and whole:
            chosen = everyone
            zone = selectors.zone_or_utc(selectors.booking_settings().timezone)
        else:
            person = next((row for row in everyone if str(row.pk) == (wanted or
                                                                      str(request.user.pk))),
                          None)
            if person is None or (not whole and person.pk != request.user.pk):
                raise NotFound
            chosen, zone = [person], selectors.clinician_zone(person)
        now = timezone.now()
        try:
            day = date.fromisoformat(request.query_params.get("date") or
                                     now.astimezone(zone).date().isoformat())
        except ValueError:
            raise ValidationError({"date": "A date like 2027-01-04."}) from None
        type_id = _int_param(request, "appointment_type")
        kind = (selectors.appointment_types().filter(pk=type_id).first()
                if type_id is not None else selectors.appointment_types().first())
        calendar = week.week_of(request.user, clinicians=chosen, first=week.week_start(day),
                                zone=zone, appointment_type=kind, now=now)
        audit_record(action=Action.BOOKING_WEEK_VIEWED, actor=request.user,
                     object_type="clinician", meta=request.actor.meta,
                     detail={"client_ids": sorted({row.client_id
                                                   for row in calendar.appointments})})
        return ApiResponse(WeekSerializer(calendar).data)

"""Endpoints of the booking API (`/api/v1/`, namespace "api:booking"). Each authenticates,
authorises, parses, calls one service or selector, and serializes. Staff (owner, clinicians,
front desk) reach the appointments the staff pages show them; a client reaches their own and
books online like in the portal. Anything out of reach is the same 404 as a missing id."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability, client_in_reach
from practice.api_permissions import holding, require
from practice.appointments import selectors, services
from practice.appointments.models import Appointment, AppointmentType
from practice.appointments.serializers import (
    AppointmentAsReadSerializer,
    AppointmentSerializer,
    AppointmentTypeSerializer,
    AvailabilitySerializer,
    BookingSettingsSerializer,
    BookRequestSerializer,
    CancelRequestSerializer,
    OutcomeRequestSerializer,
    RescheduleRequestSerializer,
    SlotsSerializer,
    StaffAppointmentSerializer,
)
from practice.appointments.services import BookingError, SlotTaken
from practice.appointments.services.common import may_manage_schedule_of
from practice.measurement.api.serializers import (  # one "Error" in the schema
    BAD_REQUEST,
    ErrorSerializer,
)
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record

STAFF_OR_CLIENT = holding(Capability.APPOINTMENTS, Capability.OWN_RECORD)
DENIED = {403: ErrorSerializer, 404: ErrorSerializer}
REFUSED = {400: BAD_REQUEST, 409: ErrorSerializer}


def _meta(request: Request) -> RequestMeta:
    return RequestMeta.from_request(request)


def _serialize(request: Request, appointments: Any, many: bool = False) -> Any:
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
    def get(self, request: Request) -> ApiResponse:
        now = timezone.now()
        start = _moment(request, "from", now)
        end = _moment(request, "to", start + timedelta(days=60))
        if end - start > timedelta(days=366):
            raise ValidationError({"to": "At most a year at a time."})
        clinician = client = None
        clinician_id, client_id = _int_param(request, "clinician"), _int_param(request, "client")
        try:
            if clinician_id is not None and not request.user.is_client:
                clinician = selectors.clinician_by_id(clinician_id)
            if client_id is not None and not request.user.is_client:
                client = client_in_reach(request.user, Capability.APPOINTMENTS, client_id)
        except User.DoesNotExist:
            raise NotFound from None
        rows = list(selectors.appointments_between(request.user, start=start, end=end,
                                                   clinician=clinician, client=client))
        audit_record(action=Action.BOOKING_APPOINTMENTS_LISTED, actor=request.user,
                     object_type="appointment", meta=_meta(request),
                     detail={"client_ids": sorted({row.client_id for row in rows})})
        return ApiResponse(_serialize(request, rows, many=True))

    @extend_schema(request=BookRequestSerializer,
                   responses={**DENIED, **REFUSED, 201: AppointmentAsReadSerializer})
    def post(self, request: Request) -> ApiResponse:
        serializer = BookRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if request.user.is_client:
                appointment = services.appointment_book_online(
                    clinician_id=data["clinician_id"],
                    appointment_type_id=data["appointment_type_id"],
                    starts_at=data["starts_at"], acting_user=request.user, meta=_meta(request))
            else:
                if "client_id" not in data:
                    raise ValidationError({"client_id": "Which client?"})
                appointment = services.appointment_book(
                    client_id=data["client_id"], clinician_id=data["clinician_id"],
                    appointment_type_id=data["appointment_type_id"],
                    starts_at=data["starts_at"], video_link=data.get("video_link", ""),
                    acting_user=request.user, meta=_meta(request))
        except User.DoesNotExist:
            raise NotFound from None
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment), status=status.HTTP_201_CREATED)


def _appointment(request: Request, appointment_id: int) -> Appointment:
    try:
        return selectors.appointment_for(request.user, appointment_id)
    except Appointment.DoesNotExist:
        raise NotFound from None


class AppointmentDetailView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: AppointmentAsReadSerializer})
    def get(self, request: Request, appointment_id: int) -> ApiResponse:
        appointment = _appointment(request, appointment_id)
        audit_record(action=Action.BOOKING_APPOINTMENT_VIEWED, actor=request.user,
                     object_type="appointment", object_id=appointment.pk, meta=_meta(request),
                     detail={"client_ids": [appointment.client_id]})
        return ApiResponse(_serialize(request, appointment))


class AppointmentCancelView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=CancelRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: Request, appointment_id: int) -> ApiResponse:
        serializer = CancelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_cancel(
                appointment_id=appointment_id, acting_user=request.user,
                reason=serializer.validated_data.get("reason", ""),
                by_client=serializer.validated_data["requested_by"] == "client",
                meta=_meta(request))
        except Appointment.DoesNotExist:
            raise NotFound from None
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


def _staff_only(request: Request) -> None:
    require(request.user, Capability.APPOINTMENTS)


class AppointmentOutcomeView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=OutcomeRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: Request, appointment_id: int) -> ApiResponse:
        _staff_only(request)
        serializer = OutcomeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_record_outcome(
                appointment_id=appointment_id, outcome=serializer.validated_data["outcome"],
                acting_user=request.user, meta=_meta(request))
        except Appointment.DoesNotExist:
            raise NotFound from None
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


class AppointmentRescheduleView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(request=RescheduleRequestSerializer,
                   responses={**DENIED, **REFUSED, 200: AppointmentAsReadSerializer})
    def post(self, request: Request, appointment_id: int) -> ApiResponse:
        _staff_only(request)
        serializer = RescheduleRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_reschedule(
                appointment_id=appointment_id, starts_at=serializer.validated_data["starts_at"],
                acting_user=request.user, meta=_meta(request))
        except Appointment.DoesNotExist:
            raise NotFound from None
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(_serialize(request, appointment))


class AppointmentTypeListView(APIView):
    """The types offered (to clients: those bookable online)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: AppointmentTypeSerializer(many=True)})
    def get(self, request: Request) -> ApiResponse:
        rows = selectors.appointment_types(online_only=request.user.is_client)
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
    def get(self, request: Request) -> ApiResponse:
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
                kind = selectors.appointment_types(online_only=True).get(pk=type_id)
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
        starts = selectors.free_slots(clinician=clinician, appointment_type=kind, earliest=start,
                                      latest=end, client=user if user.is_client else None)
        return ApiResponse(SlotsSerializer({
            "clinician_id": clinician.pk, "appointment_type_id": kind.pk, "timezone": zone.key,
            "starts": starts}).data)


class BookingSettingsView(APIView):
    permission_classes = holding(Capability.MANAGE_PRACTICE)

    @extend_schema(responses={**DENIED, 200: BookingSettingsSerializer})
    def get(self, request: Request) -> ApiResponse:
        return ApiResponse(BookingSettingsSerializer(selectors.booking_settings()).data)

    @extend_schema(request=BookingSettingsSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: BookingSettingsSerializer})
    def put(self, request: Request) -> ApiResponse:
        serializer = BookingSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.booking_settings_update(
                data=services.BookingSettingsInput(**serializer.validated_data),
                acting_user=request.user, meta=_meta(request))
        except BookingError as error:
            return _refusal(error)
        return ApiResponse(BookingSettingsSerializer(row).data)


class AvailabilityView(APIView):
    """A clinician's weekly hours (wall-clock times in their timezone) and coming exceptions.
    PUT replaces the weekly hours."""

    permission_classes = STAFF_OR_CLIENT

    def _clinician(self, request: Request, clinician_id: int) -> User:
        try:
            clinician = selectors.clinician_by_id(clinician_id)
        except User.DoesNotExist:
            raise NotFound from None
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
    def get(self, request: Request, clinician_id: int) -> ApiResponse:
        return self._answer(self._clinician(request, clinician_id))

    @extend_schema(request=AvailabilitySerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: AvailabilitySerializer})
    def put(self, request: Request, clinician_id: int) -> ApiResponse:
        clinician = self._clinician(request, clinician_id)
        serializer = AvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.availability_set_weekly(
                clinician_id=clinician.pk, windows=serializer.to_windows(),
                timezone_name=serializer.validated_data["timezone"], acting_user=request.user,
                meta=_meta(request))
        except BookingError as error:
            return _refusal(error)
        return self._answer(clinician)

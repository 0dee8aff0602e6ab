"""The notifications API: the owner's delivery log, and one's own notification preferences.
Each endpoint authenticates, authorises, parses, calls one selector or service, serializes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from practice.access import Capability
from practice.api_permissions import holding
from practice.measurement.api.serializers import BAD_REQUEST, ClockTimeField, ErrorSerializer
from practice.notifications import selectors, services
from practice.notifications.models import (
    CHANNELS,
    STAFF_PREFERENCES,
    DeliveryAttempt,
    Notification,
)
from tenants.accounts.models import Role
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInApiRequest


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["started_at", "finished_at", "outcome", "detail"]


class DeliverySerializer(serializers.ModelSerializer):
    """One outbox row, with the recipient's role and never who they are."""

    recipient_role = serializers.CharField(source="recipient.role")

    class Meta:
        model = Notification
        fields = ["id", "kind", "channel", "recipient_role", "status", "attempts", "not_before",
                  "created_at", "sent_at", "last_error"]


class DeliveryDetailSerializer(DeliverySerializer):
    delivery_attempts = AttemptSerializer(many=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "delivery_attempts"]


class LogPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


FILTERS = [
    OpenApiParameter("status", str, enum=list(selectors.LOG_STATUSES)),
    OpenApiParameter("channel", str, enum=list(CHANNELS)),
    OpenApiParameter("kind", str),
]
DENIED = {403: ErrorSerializer}


class DeliveryFilterSerializer(serializers.Serializer):
    """The log's filters, read from the query string (an empty one is no filter)."""

    status = serializers.ChoiceField(choices=list(selectors.LOG_STATUSES), required=False,
                                     allow_blank=True)
    channel = serializers.ChoiceField(choices=list(CHANNELS), required=False, allow_blank=True)
    kind = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def to_internal_value(self, data: Any) -> dict[str, str | None]:
        values = super().to_internal_value(data)
        return {name: values.get(name) or None for name in ("status", "channel", "kind")}


class DeliveryLogView(ListAPIView):
    """The outbox, newest first: kind, channel, the recipient's role, status, attempts."""

    request: SignedInApiRequest  # get_queryset runs after IsAuthenticated
    permission_classes = holding(Capability.MANAGE_PRACTICE)
    serializer_class = DeliverySerializer
    pagination_class = LogPagination

    def get_queryset(self) -> Any:
        filters = DeliveryFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.delivery_log(**filters.validated_data)

    @extend_schema(parameters=FILTERS, responses={**DENIED, 400: BAD_REQUEST,
                                                  200: DeliverySerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeliveryDetailView(APIView):
    """One outbox row with each of its delivery attempts."""

    permission_classes = holding(Capability.MANAGE_PRACTICE)

    @extend_schema(responses={**DENIED, 404: ErrorSerializer, 200: DeliveryDetailSerializer})
    def get(self, request: SignedInApiRequest, notification_id: int) -> Response:
        row = selectors.delivery_log().prefetch_related("delivery_attempts").filter(
            pk=notification_id).first()
        if row is None:
            raise NotFound
        return Response(DeliveryDetailSerializer(row).data)


class PreferencesSerializer(serializers.Serializer):
    """One's own settings. `channels` ({"email": {"alerts": true, ...}, "push": {...}}) is for
    staff; clients choose theirs in their portal settings and see null here."""

    channels = serializers.DictField(child=serializers.DictField(
        child=serializers.BooleanField()), allow_null=True, required=False)
    timezone = serializers.CharField(allow_blank=True, required=False, default="")
    quiet_hours_start = ClockTimeField(allow_null=True, required=False, default=None)
    quiet_hours_end = ClockTimeField(allow_null=True, required=False, default=None)

    def validate_channels(self, value: dict[str, dict[str, bool]] | None) -> Any:
        if value is None:
            return value
        unknown = set(value) - set(CHANNELS) | {
            key for choices in value.values() for key in choices} - set(STAFF_PREFERENCES)
        if unknown:
            raise serializers.ValidationError(f"Unknown keys: {', '.join(sorted(unknown))}.")
        return value


def _preferences_of(user: Any) -> dict[str, Any]:
    row = selectors.preference_for(user)
    is_client = user.role == Role.CLIENT
    channels = None if is_client else (
        row.channels if row else {channel: dict.fromkeys(STAFF_PREFERENCES, True)
                                  for channel in CHANNELS})
    return {"channels": channels, "timezone": "" if is_client or row is None else row.timezone,
            "quiet_hours_start": row.quiet_hours_start if row else None,
            "quiet_hours_end": row.quiet_hours_end if row else None}


class PreferencesView(APIView):
    """GET or PUT one's own notification settings."""

    permission_classes = holding(Capability.OWN_ACCOUNT)

    @extend_schema(responses={**DENIED, 200: PreferencesSerializer})
    def get(self, request: SignedInApiRequest) -> Response:
        return Response(PreferencesSerializer(_preferences_of(request.user)).data)

    @extend_schema(request=PreferencesSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: PreferencesSerializer})
    def put(self, request: SignedInApiRequest) -> Response:
        incoming = PreferencesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        channels = data.get("channels")
        if channels is not None:
            channels = {channel: {key: bool((channels.get(channel) or {}).get(key, True))
                                  for key in STAFF_PREFERENCES} for channel in CHANNELS}
        try:
            services.notification_preference_update(
                user=request.user, meta=RequestMeta.from_request(request),
                values=services.PersonalChoice(
                    channels=channels, timezone=data["timezone"],
                    quiet_hours_start=data["quiet_hours_start"],
                    quiet_hours_end=data["quiet_hours_end"]))
        except services.NotificationSettingsError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(PreferencesSerializer(_preferences_of(request.user)).data)


class PracticeSettingsSerializer(serializers.Serializer):
    """The practice's quiet hours (reminders wait while it is quiet in each person's timezone)
    and the timezone of staff who have not chosen theirs."""

    quiet_hours_enabled = serializers.BooleanField()
    quiet_hours_start = ClockTimeField()
    quiet_hours_end = ClockTimeField()
    default_timezone = serializers.CharField()


class PracticeSettingsView(APIView):
    """GET or PUT the practice's notification rules (owner only)."""

    permission_classes = holding(Capability.MANAGE_PRACTICE)

    @extend_schema(responses={**DENIED, 200: PracticeSettingsSerializer})
    def get(self, request: SignedInApiRequest) -> Response:
        return Response(PracticeSettingsSerializer(selectors.notification_settings()).data)

    @extend_schema(request=PracticeSettingsSerializer,
                   responses={**DENIED, 400: BAD_REQUEST, 200: PracticeSettingsSerializer})
    def put(self, request: SignedInApiRequest) -> Response:
        incoming = PracticeSettingsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            row = services.notification_settings_update(
                actor=request.actor, values=services.QuietHoursChoice(
                    enabled=data["quiet_hours_enabled"], start=data["quiet_hours_start"],
                    end=data["quiet_hours_end"], default_timezone=data["default_timezone"]))
        except services.NotificationSettingsError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(PracticeSettingsSerializer(row).data)

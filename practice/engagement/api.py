"""The alert engine's API (`/api/v1/`, namespace `api:engagement`): the owner's rule settings,
snoozing an alert (the inbox's other actions are measurement's), journaling assigned to a
client. Each endpoint authenticates, authorises, parses, calls one service or selector, and
serializes. Something out of reach is the same 404 as something missing."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability, client_for_staff
from practice.api_permissions import holding
from practice.engagement import rules, selectors, services
from practice.measurement import services as measurement_services
from practice.measurement.api.serializers import (
    BAD_REQUEST,
    AlertSerializer,
    ErrorSerializer,
)
from practice.measurement.api.views import CLINICAL, DENIED
from practice.measurement.forms import SNOOZE_CHOICES, SNOOZE_DELTAS
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

# --- serializers ---------------------------------------------------------------------------


class RuleSerializer(serializers.Serializer):
    key = serializers.CharField(source="rule.key")
    title = serializers.CharField(source="rule.title")
    description = serializers.CharField()
    is_enabled = serializers.BooleanField()
    threshold = serializers.IntegerField()
    threshold_label = serializers.CharField(source="rule.threshold_label")
    default_threshold = serializers.IntegerField(source="rule.default_threshold")
    minimum = serializers.IntegerField(source="rule.minimum")
    maximum = serializers.IntegerField(source="rule.maximum")
    can_change = serializers.BooleanField(source="rule.is_switchable")


class RuleUpdateSerializer(serializers.Serializer):
    is_enabled = serializers.BooleanField()
    threshold = serializers.IntegerField()


class SnoozeSerializer(serializers.Serializer):
    duration = serializers.ChoiceField(choices=SNOOZE_CHOICES,
                                       help_text="How long: 4h, 1d, 3d or 7d.")


class JournalingSerializer(serializers.Serializer):
    is_assigned = serializers.BooleanField()
    assigned_at = serializers.DateTimeField(allow_null=True)


def _journaling(row: Any) -> dict[str, Any]:
    active = row is not None and row.ended_at is None
    return {"is_assigned": active, "assigned_at": row.assigned_at if active else None}


# --- permissions ---------------------------------------------------------------------------

OWNER = holding(Capability.MANAGE_PRACTICE)



def _problem(message: str) -> ApiResponse:
    return ApiResponse({"detail": message}, status=status.HTTP_400_BAD_REQUEST)


# --- rules ---------------------------------------------------------------------------------

class RuleListView(APIView):
    """Every alert rule with the practice's settings."""

    permission_classes = OWNER

    @extend_schema(responses={**DENIED, 200: RuleSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        return ApiResponse(RuleSerializer(list(rules.rule_states().values()), many=True).data)


class RuleDetailView(APIView):
    permission_classes = OWNER

    def _state(self, key: str) -> rules.RuleState:
        try:
            return rules.rule_states()[key]
        except KeyError:
            raise NotFound from None

    @extend_schema(responses={**DENIED, 200: RuleSerializer, 404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        return ApiResponse(RuleSerializer(self._state(key)).data)

    @extend_schema(request=RuleUpdateSerializer,
                   responses={**DENIED, 200: RuleSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def put(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        self._state(key)
        given = RuleUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            services.rule_setting_update(rule_key=key, actor=request.actor,
                                         **given.validated_data)
        except services.EngagementError as error:
            return _problem(str(error))
        return ApiResponse(RuleSerializer(self._state(key)).data)


# --- alerts --------------------------------------------------------------------------------

class AlertSnoozeView(APIView):
    """Hide an alert from the inbox for a while (an urgent one only once acknowledged)."""

    permission_classes = CLINICAL

    @extend_schema(request=SnoozeSerializer,
                   responses={**DENIED, 200: AlertSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, alert_id: int) -> ApiResponse:
        given = SnoozeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        until = timezone.now() + SNOOZE_DELTAS[given.validated_data["duration"]]
        try:
            alert = measurement_services.alert_snooze(alert_id=alert_id, until=until,
                                                      actor=request.actor)
        except measurement_services.MeasurementError as error:
            return _problem(str(error))
        return ApiResponse(AlertSerializer(alert).data)


# --- journaling ------------------------------------------------------------------------------

class JournalingView(APIView):
    """Whether the client is asked to keep a journal; PUT assigns it, DELETE stops it."""

    permission_classes = CLINICAL

    def _client(self, request: SignedInApiRequest, client_id: int) -> User:
        return client_for_staff(request.user, client_id)

    @extend_schema(responses={**DENIED, 200: JournalingSerializer, 404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        client = self._client(request, client_id)
        row = selectors.journaling_for(client)
        audit_record(action=Action.JOURNALING_VIEWED, actor=request.user, object_type="client",
                     object_id=client.pk, meta=request.actor.meta)
        return ApiResponse(_journaling(row))

    @extend_schema(request=None,
                   responses={**DENIED, 200: JournalingSerializer, 404: ErrorSerializer})
    def put(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        row = services.journaling_assign(client_id=client_id, actor=request.actor)
        return ApiResponse(_journaling(row))

    @extend_schema(request=None,
                   responses={**DENIED, 200: JournalingSerializer, 404: ErrorSerializer})
    def delete(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        row = services.journaling_end(client_id=client_id, actor=request.actor)
        return ApiResponse(_journaling(row))

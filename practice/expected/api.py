"""The expected paths' API (`/api/v1/`, namespace `api:expected`): a client's paths (status,
band at the latest score, model version and parameters), the client's switch, the clinical
support answers on a "not on track" alert, and the owner's calibrations (fit, adopt). Something
out of reach is the same 404 as something missing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability, client_for_staff
from practice.api_permissions import holding
from practice.expected import policies, selectors, services
from practice.expected.models import Calibration
from practice.measurement.api.serializers import BAD_REQUEST, ErrorSerializer
from practice.measurement.api.views import CLINICAL, DENIED
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

OWNER = holding(Capability.MANAGE_PRACTICE)


class PathSerializer(serializers.Serializer):
    instrument_key = serializers.CharField()
    status = serializers.ChoiceField(choices=[status.value for status in policies.PathStatus])
    colour = serializers.CharField()
    words = serializers.CharField()
    reason = serializers.CharField()
    baseline = serializers.FloatField()
    baseline_at = serializers.DateTimeField()
    scale = serializers.ChoiceField(choices=[scale.value for scale in policies.TimeScale],
                                    help_text="The path's time axis: weeks since the baseline, "
                                              "or sessions held since it")
    time = serializers.FloatField(allow_null=True, help_text="The latest score's place on the "
                                                             "scale (weeks or sessions)")
    weeks = serializers.FloatField(allow_null=True)
    latest_score = serializers.FloatField(allow_null=True)
    expected = serializers.FloatField(allow_null=True)
    lower = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)
    worse_in_a_row = serializers.IntegerField()
    model = serializers.DictField(allow_null=True)


class ClientPathsSerializer(serializers.Serializer):
    is_shown_to_client = serializers.BooleanField()
    paths = PathSerializer(many=True)


class ShareSerializer(serializers.Serializer):
    is_shown = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=list(policies.ANSWERS))
    note = serializers.CharField(required=False, allow_blank=True,
                                 max_length=services.NOTE_LIMIT, default="")


class SupportSerializer(serializers.Serializer):
    questions = serializers.DictField(child=serializers.CharField(), read_only=True)
    answers = serializers.DictField(child=AnswerSerializer())
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)


class CalibrationSerializer(serializers.ModelSerializer):
    version = serializers.CharField(read_only=True)

    class Meta:
        model = Calibration
        fields = ["id", "instrument_key", "band", "k", "tolerance", "episodes", "points",
                  "fit_seconds", "status", "fitted_at", "adopted_at", "version"]


class CalibrateSerializer(serializers.Serializer):
    instrument_key = serializers.ChoiceField(choices=sorted(policies.default_models()))



def _path(view: selectors.ClientPath) -> dict[str, Any]:
    reading = view.reading
    band = reading.latest
    return {
        "instrument_key": view.instrument_key, "status": reading.status.value,
        "colour": reading.colour, "words": reading.words, "reason": reading.reason,
        "baseline": view.tail.baseline, "baseline_at": view.tail.baseline_at,
        "scale": str(view.model.scale), "time": round(band.time, 2) if band else None,
        "weeks": (round(reading.latest_weeks, 2)
                  if band and reading.latest_weeks is not None else None),
        "latest_score": reading.latest_score,
        "expected": round(band.expected, 2) if band else None,
        "lower": round(band.lower, 2) if band else None,
        "upper": round(band.upper, 2) if band else None,
        "worse_in_a_row": reading.worse_in_a_row,
        "model": policies.parameters(view.model, reading.stratum) if reading.stratum else None,
    }


def _client(request: SignedInApiRequest, client_id: int) -> User:
    return client_for_staff(request.user, client_id)


class ClientPathsView(APIView):
    """The client's open episode read against its expected paths."""

    permission_classes = CLINICAL

    @extend_schema(responses={**DENIED, 200: ClientPathsSerializer, 404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        client = _client(request, client_id)
        paths = selectors.client_paths([client.pk]).get(client.pk, [])
        audit_record(action=Action.EXPECTED_PATH_VIEWED, actor=request.user,
                     object_type="client", object_id=client.pk, meta=request.actor.meta)
        return ApiResponse({"is_shown_to_client": selectors.client_sees_path(client),
                            "paths": [_path(view) for view in paths]})

    @extend_schema(request=ShareSerializer,
                   responses={**DENIED, 200: ShareSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def put(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        given = ShareSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        row = services.client_path_share(client_id=client_id, actor=request.actor,
                                         **given.validated_data)
        return ApiResponse({"is_shown": row.is_shown})


def _support(answers: Any) -> dict[str, Any]:
    return {"questions": dict(policies.QUESTIONS),
            "answers": answers.answers if answers else {},
            "answered_at": answers.answered_at if answers else None}


class SupportView(APIView):
    """The clinical support questions of a "not on track" alert, and the answers."""

    permission_classes = CLINICAL

    @extend_schema(responses={**DENIED, 200: SupportSerializer, 404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, alert_id: int) -> ApiResponse:
        alert = selectors.not_on_track_alert_for_staff(request.user, alert_id)
        return ApiResponse(_support(selectors.support_answers_for([alert]).get(alert.pk)))

    @extend_schema(request=SupportSerializer,
                   responses={**DENIED, 200: SupportSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def put(self, request: SignedInApiRequest, alert_id: int) -> ApiResponse:
        given = SupportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            row = services.support_answers_save(
                alert_id=alert_id, answers=given.validated_data["answers"],
                actor=request.actor)
        except services.PathError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(_support(row))


class CalibrationListView(APIView):
    """The practice's calibrations; POST fits an instrument's bands to its closed episodes."""

    permission_classes = OWNER

    @extend_schema(responses={**DENIED, 200: CalibrationSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        return ApiResponse(CalibrationSerializer(selectors.calibrations(), many=True).data)

    @extend_schema(request=CalibrateSerializer,
                   responses={**DENIED, 201: CalibrationSerializer(many=True),
                              400: BAD_REQUEST})
    def post(self, request: SignedInApiRequest) -> ApiResponse:
        given = CalibrateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        made = services.calibration_run(instrument_key=given.validated_data["instrument_key"],
                                        actor=request.actor)
        return ApiResponse(CalibrationSerializer(made, many=True).data,
                           status=status.HTTP_201_CREATED)


class CalibrationAdoptView(APIView):
    permission_classes = OWNER

    @extend_schema(request=None,
                   responses={**DENIED, 200: CalibrationSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, calibration_id: int) -> ApiResponse:
        if not Calibration.objects.filter(pk=calibration_id).exists():
            raise NotFound
        try:
            row = services.calibration_adopt(calibration_id=calibration_id,
                                             actor=request.actor)
        except services.PathError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(CalibrationSerializer(row).data)

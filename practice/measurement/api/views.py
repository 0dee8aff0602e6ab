"""Endpoints of the measurement API. Each authenticates, authorises, parses, calls one service
or selector, and serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from billing.entitlements import EntitlementError, entitlement_check_practice_instruments
from practice.access import Capability, client_for_staff
from practice.api_permissions import holding, require
from practice.measurement import fhir, selectors, services
from practice.measurement.api.serializers import (
    BAD_REQUEST,
    AlertResolveSerializer,
    AlertSerializer,
    AssignmentCreateSerializer,
    AssignmentSerializer,
    EnteredInErrorSerializer,
    ErrorSerializer,
    HistoryPagination,
    InstrumentDetailSerializer,
    InstrumentSerializer,
    PracticeInstrumentSerializer,
    ResponseFilterSerializer,
    ResponseSerializer,
    ScorePreviewRequestSerializer,
    ScoreResultSerializer,
    VersionQuerySerializer,
    bad_request,
)
from practice.measurement.definition_schema import DEFINITION_SCHEMA, openapi_definition_schema
from practice.measurement.definition_schema import EXAMPLE as DEFINITION_EXAMPLE
from practice.measurement.definitions import DefinitionError
from practice.measurement.library import UnknownInstrument
from practice.measurement.models import Alert, Assignment, Response
from practice.measurement.scoring import IncompleteResponse, InvalidAnswers, score
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

# --- permissions ---------------------------------------------------------------------------------


CLINICAL = holding(Capability.CLINICAL_RECORD)
CLINICAL_OR_CLIENT = holding(Capability.CLINICAL_RECORD, Capability.OWN_RECORD)


def _client_in_reach(user: User, client_id: int) -> User:
    """The client whose results `user` may read: a client themself; clinical staff a client
    they may see. Anything else is the same 404 as a client that does not exist."""
    if user.is_client:
        if user.pk != client_id:
            raise NotFound
        return user
    return client_for_staff(user, client_id)



def _audit_read(request: SignedInApiRequest, action: str, object_type: str, object_id: Any) -> None:
    """A read of client data: who, what kind, which id (never values)."""
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=request.actor.meta)


# Every endpoint answers 403 to whoever is not signed in here, and 404 to a role that may not
# (the ROLE_DENIED code; as the pages do).
DENIED = {403: ErrorSerializer}


# --- instruments ---------------------------------------------------------------------------------

# The definition format (practice.measurement.definition_schema), as the request body.
DEFINITION_REQUEST = {"application/json": openapi_definition_schema()}
DEFINITION_EXAMPLES = [OpenApiExample(
    "Reverse keying, weighted options, a skip condition, a critical item, an advisory",
    value=DEFINITION_EXAMPLE, request_only=True)]


class DefinitionSchemaView(APIView):
    """The instrument definition format as a JSON Schema (draft 2020-12), with an example that
    uses reverse keying, weighted options, a skip condition, a critical item and an advisory.
    Keys are lower-case letters, digits and underscores ("severe_high", not "Severe-High")."""

    permission_classes = CLINICAL

    @extend_schema(responses={**DENIED, 200: OpenApiResponse(
        OpenApiTypes.OBJECT, description="A JSON Schema document, with `examples`.")})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        return ApiResponse({**DEFINITION_SCHEMA, "examples": [DEFINITION_EXAMPLE]})


DEFINITION_REFUSED = bad_request('{"detail": why, "problems": [every problem, at once]}')
SCORE_REFUSED = bad_request('{"detail": why} with "missing_items" and "flags" when the answers '
                            'cannot be scored, or "problems" of the definition')


class InstrumentListView(APIView):
    """The instruments the practice offers: its shipped choices and its published own.
    POST creates a practice-defined instrument (a draft, in the shipped definition format)."""

    permission_classes = CLINICAL_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: InstrumentSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        offered = selectors.instruments_offered(request.tenant)
        return ApiResponse(InstrumentSerializer(offered, many=True).data)

    @extend_schema(request=DEFINITION_REQUEST, examples=DEFINITION_EXAMPLES,
                   responses={**DENIED, 201: PracticeInstrumentSerializer,
                              400: DEFINITION_REFUSED})
    def post(self, request: SignedInApiRequest) -> ApiResponse:
        require(request.user, Capability.CLINICAL_RECORD)
        return _save_definition(request, key=None)


def _require_plan(request: SignedInApiRequest) -> None:
    """Defining instruments is a plan entitlement (billing.entitlements): 403 with the why."""
    try:
        entitlement_check_practice_instruments(request.tenant)
    except EntitlementError as error:
        raise PermissionDenied(str(error)) from error


def _definition_problems(error: DefinitionError) -> ApiResponse:
    return ApiResponse({"detail": "This definition has problems.", "problems": error.messages},
                       status=status.HTTP_400_BAD_REQUEST)


def _save_definition(request: SignedInApiRequest, key: str | None) -> ApiResponse:
    _require_plan(request)
    try:
        row = services.practice_instrument_save(data=request.data, key=key,
                                                actor=request.actor)
    except DefinitionError as error:
        return _definition_problems(error)
    return ApiResponse(PracticeInstrumentSerializer(row).data, status=status.HTTP_201_CREATED)


class InstrumentDraftView(APIView):
    """PUT the next version of a practice-defined instrument: an open draft is updated; a
    published version is never changed (a new draft version starts on top of it)."""

    permission_classes = CLINICAL

    @extend_schema(request=DEFINITION_REQUEST, examples=DEFINITION_EXAMPLES,
                   responses={**DENIED, 201: PracticeInstrumentSerializer,
                              400: DEFINITION_REFUSED, 404: ErrorSerializer})
    def put(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        selectors.practice_instrument_latest(key)
        return _save_definition(request, key=key)


class InstrumentPublishView(APIView):
    """Publish the open draft: clinicians can assign it from now on."""

    permission_classes = CLINICAL

    @extend_schema(request=None, responses={**DENIED, 200: PracticeInstrumentSerializer,
                                            400: DEFINITION_REFUSED,
                                            404: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        _require_plan(request)
        try:
            row = services.practice_instrument_publish(key=key, actor=request.actor)
        except services.MeasurementError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except DefinitionError as error:
            return _definition_problems(error)
        return ApiResponse(PracticeInstrumentSerializer(row).data)


class InstrumentDetailView(APIView):
    """One definition (the newest published unless a version is pinned)."""

    permission_classes = CLINICAL_OR_CLIENT

    @extend_schema(parameters=[VersionQuerySerializer],
                   responses={**DENIED, 200: InstrumentDetailSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        version = _version_parameter(request)
        try:
            definition = selectors.instrument_definition(key, version)
        except (UnknownInstrument, DefinitionError):  # a draft that cannot be read yet
            raise NotFound from None
        return ApiResponse(InstrumentDetailSerializer(definition).data)


def _version_parameter(request: Request) -> int | None:
    given = VersionQuerySerializer(data=request.query_params)
    given.is_valid(raise_exception=True)  # 400 {"version": [why]}
    return given.validated_data.get("version")


class ScorePreviewView(APIView):
    """Score sample answers without storing anything, to check a definition (a practice's draft
    included) before it is used. Clinical staff only."""

    permission_classes = CLINICAL

    @extend_schema(request=ScorePreviewRequestSerializer,
                   responses={**DENIED, 200: ScoreResultSerializer, 400: SCORE_REFUSED,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, key: str) -> ApiResponse:
        given = ScorePreviewRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            definition = selectors.instrument_definition_for_preview(
                key, given.validated_data.get("version"))
        except UnknownInstrument:
            raise NotFound from None
        except DefinitionError as error:
            return ApiResponse({"detail": "This definition has problems; fix them to preview.",
                                "problems": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = score(definition, given.validated_data["answers"],
                           sex=given.validated_data.get("sex"))
        except InvalidAnswers as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        except IncompleteResponse as incomplete:
            # Not scorable under the missing-item rule; the flags still show.
            return ApiResponse(incomplete.to_dict(), status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(result.to_dict())


# --- assignments ---------------------------------------------------------------------------------


class ClientAssignmentsView(GenericAPIView):
    """A client's assignments (active and ended); a clinician assigns an instrument here."""

    permission_classes = CLINICAL
    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()

    @extend_schema(responses={**DENIED, 200: AssignmentSerializer(many=True),
                              404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        client = _client_in_reach(request.user, client_id)
        assignments = selectors.client_assignments(client)
        _audit_read(request, Action.CLIENT_ASSIGNMENTS_VIEWED, "client", client.pk)
        return ApiResponse(AssignmentSerializer(assignments, many=True).data)

    @extend_schema(request=AssignmentCreateSerializer,
                   responses={**DENIED, 201: AssignmentSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        given = AssignmentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            assignment = services.assignment_create(
                client_id=client_id, actor=request.actor,
                **given.validated_data)
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        except services.MeasurementError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentEndView(APIView):
    """End an assignment: nothing more falls due; what was due and not started is missed."""

    permission_classes = CLINICAL

    @extend_schema(request=None,
                   responses={**DENIED, 200: AssignmentSerializer, 404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, assignment_id: int) -> ApiResponse:
        assignment = services.assignment_end(assignment_id=assignment_id,
                                             actor=request.actor)
        return ApiResponse(AssignmentSerializer(assignment).data)


# --- responses -----------------------------------------------------------------------------------


class ClientResponsesView(ListAPIView):
    """A client's submitted responses with their pinned scores, newest first (entered-in-error
    ones included and marked). A client reads their own; clinical staff a client they see."""

    request: SignedInApiRequest  # get_queryset runs after IsAuthenticated
    permission_classes = CLINICAL_OR_CLIENT
    serializer_class = ResponseSerializer
    pagination_class = HistoryPagination
    queryset = Response.objects.none()

    @extend_schema(parameters=[OpenApiParameter("instrument", str,
                                                description="Only this instrument (key).")],
                   responses={**DENIED, 200: ResponseSerializer(many=True),
                              400: BAD_REQUEST, 404: ErrorSerializer})
    def get(  # type: ignore[override]  # after IsAuthenticated: signed in
            self, request: SignedInApiRequest, *args: Any, **kwargs: Any) -> ApiResponse:
        self.reader_client = _client_in_reach(request.user, kwargs["client_id"])
        answer = self.list(request, *args, **kwargs)
        _audit_read(request, Action.CLIENT_SCORES_VIEWED, "client", self.reader_client.pk)
        return answer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Response.objects.none()
        filters = ResponseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.submitted_responses(self.reader_client,
                                             filters.validated_data.get("instrument") or None)


class ResponseDetailView(APIView):
    """One submitted response. It cannot be changed or deleted (405): a clinician marks it
    entered in error instead."""

    permission_classes = CLINICAL_OR_CLIENT

    @extend_schema(responses={**DENIED, 200: ResponseSerializer, 404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, response_id: int) -> ApiResponse:
        response = selectors.submitted_response_for_reader(request.user, response_id)
        _audit_read(request, Action.RESPONSE_VIEWED, "response", response.pk)
        return ApiResponse(ResponseSerializer(response, context={"request": request}).data)


class ResponseEnteredInErrorView(APIView):
    """Mark a submitted response entered in error, with the reason: it leaves charts and scores
    and is kept. Clinicians of the client and the owner."""

    permission_classes = CLINICAL

    @extend_schema(request=EnteredInErrorSerializer,
                   responses={**DENIED, 200: ResponseSerializer, 404: ErrorSerializer,
                              409: ErrorSerializer})
    def post(self, request: SignedInApiRequest, response_id: int) -> ApiResponse:
        given = EnteredInErrorSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            response = services.response_mark_entered_in_error(
                response_id=response_id, reason=given.validated_data["reason"],
                actor=request.actor)
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        except services.MeasurementError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return ApiResponse(ResponseSerializer(response, context={"request": request}).data)


# --- FHIR ----------------------------------------------------------------------------------------

FHIR_JSON = "application/fhir+json"
FHIR_BUNDLE = OpenApiResponse(OpenApiTypes.OBJECT,
                              description="A FHIR R4 Bundle of type collection.")



class FhirJsonRenderer(JSONRenderer):
    """FHIR's own JSON media type, which FHIR clients ask for (`Accept: application/fhir+json`)."""

    media_type = FHIR_JSON


class ClientFhirView(APIView):
    """The client's results as a FHIR R4 Bundle (collection): Questionnaire per instrument
    version used, QuestionnaireResponse per submitted response, Observation per score (LOINC
    codes where known). `?download=1` asks the browser to save it.

    Answers `application/fhir+json` (also to `*/*` or no Accept) or `application/json` when
    that is what the Accept header asks for; anything else is DRF's 406."""

    permission_classes = CLINICAL_OR_CLIENT
    renderer_classes = [FhirJsonRenderer, JSONRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("download", bool, description="Send as a file.")],
        responses={**DENIED, (200, FHIR_JSON): FHIR_BUNDLE, (200, "application/json"): FHIR_BUNDLE,
                   404: ErrorSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> HttpResponse:
        client = _client_in_reach(request.user, client_id)
        body = fhir.client_results_bundle(client=client,
                                          base_url=request.build_absolute_uri("/"))
        _audit_read(request, Action.CLIENT_FHIR_EXPORTED, "client", client.pk)
        # The negotiated type: fhir+json unless the client asked for plain JSON.
        answer = HttpResponse(body, content_type=request.accepted_renderer.media_type)
        if request.query_params.get("download") in ("1", "true"):
            answer["Content-Disposition"] = (
                f'attachment; filename="client-{client.pk}-results.fhir.json"')
        return answer


# --- alerts (never behind a module: risk alerts cannot be turned off) ----------------------------


class AlertInboxView(ListAPIView):
    """The signed-in clinician's open and acknowledged alerts, urgent first."""

    request: SignedInApiRequest  # get_queryset runs after IsAuthenticated
    permission_classes = CLINICAL
    serializer_class = AlertSerializer
    pagination_class = HistoryPagination
    queryset = Alert.objects.none()

    @extend_schema(responses={**DENIED, 200: AlertSerializer(many=True)})
    def get(  # type: ignore[override]  # after IsAuthenticated: signed in
            self, request: SignedInApiRequest, *args: Any, **kwargs: Any) -> ApiResponse:
        answer = self.list(request, *args, **kwargs)
        _audit_read(request, Action.ALERTS_INBOX_VIEWED, "alert_inbox", request.user.pk)
        return answer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Alert.objects.none()
        return selectors.alert_inbox(self.request.user)


class AlertAcknowledgeView(APIView):
    permission_classes = CLINICAL

    @extend_schema(request=None,
                   responses={**DENIED, 200: AlertSerializer, 404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, alert_id: int) -> ApiResponse:
        alert = services.alert_acknowledge(alert_id=alert_id, actor=request.actor)
        return ApiResponse(AlertSerializer(alert).data)


class AlertResolveView(APIView):
    permission_classes = CLINICAL

    @extend_schema(request=AlertResolveSerializer,
                   responses={**DENIED, 200: AlertSerializer, 400: BAD_REQUEST,
                              404: ErrorSerializer})
    def post(self, request: SignedInApiRequest, alert_id: int) -> ApiResponse:
        given = AlertResolveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            alert = services.alert_resolve(alert_id=alert_id, note=given.validated_data["note"],
                                           actor=request.actor)
        except services.MeasurementError as error:
            return ApiResponse({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return ApiResponse(AlertSerializer(alert).data)

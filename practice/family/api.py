"""The family endpoints of the REST API, for a proxy's own app: the clients they are linked to,
and one kind of one client's record, through the same choke point as the pages
(`selectors.proxy_items`): what a proxy may not see answers 404, like a missing object."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from practice.access import Capability
from practice.api_permissions import holding
from practice.disclosure import selectors as disclosure_selectors
from practice.disclosure import services as disclosure_services
from practice.disclosure.models import Release
from practice.family import policies, selectors, services
from practice.measurement.selectors import instrument_definition
from practice.messaging import selectors as messaging_selectors
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInApiRequest

FAMILY = holding(Capability.FAMILY)


class LinkedClientSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    name = serializers.CharField()
    relationship = serializers.CharField()
    kinds = serializers.ListField(child=serializers.CharField())


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="object_id")
    title = serializers.CharField()
    when = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class MessageInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    subject = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                    default="")


class ReadResultSerializer(serializers.Serializer):
    newly_read = serializers.IntegerField()


class DueSerializer(serializers.Serializer):
    assignment_id = serializers.IntegerField()
    instrument_key = serializers.CharField()
    title = serializers.CharField()
    frequency = serializers.CharField()
    occurrence_date = serializers.DateField()
    due_at = serializers.DateTimeField()
    is_overdue = serializers.BooleanField()


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.IntegerField(min_value=0))


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurrence_date = serializers.DateField()
    total = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    band_label = serializers.CharField()


class FamilyClientsView(APIView):
    """The clients the signed-in proxy is linked to, each with the kinds of record it shows."""

    permission_classes = FAMILY

    @extend_schema(responses={200: LinkedClientSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> ApiResponse:
        data = [{"client_id": link.client_id, "name": link.client.full_name,
                 "relationship": link.relationship,
                 "kinds": sorted(selectors.kinds_for_link(link, practice=request.tenant))}
                for link in selectors.proxy_links_for(request.user)]
        return ApiResponse(LinkedClientSerializer(data, many=True).data)


class FamilyRecordView(APIView):
    """One kind of one linked client's record, as far as the link shows it."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_record_list",
                   responses={200: ItemSerializer(many=True)})
    def get(self, request: SignedInApiRequest, client_id: int, kind: str) -> ApiResponse:
        return _record(request, client_id, kind)


def _record(request: SignedInApiRequest, client_id: int, kind: str) -> ApiResponse:
    _link, items = selectors.proxy_items(proxy=request.user, client_id=client_id,
                                         kind=kind, practice=request.tenant)
    audit_record(action=Action.FAMILY_RECORD_VIEWED, actor=request.user,
                 object_type="client", object_id=client_id,
                 meta=RequestMeta.from_request(request), detail={"kind": kind, "api": True})
    return ApiResponse([_item(row) for row in items])


class FamilyMessagesView(APIView):
    """The proxy's own conversation with the practice about one linked client (never the
    client's messages): GET lists its messages, POST writes one (in the latest open
    conversation, or a new one where the practice's policy lets clients start). Only while the
    link shows the proxy messages; otherwise 404."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_messages_list",
                   responses={200: ItemSerializer(many=True)})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        return _record(request, client_id, policies.Kind.MESSAGES)

    @extend_schema(operation_id="family_client_messages_create", request=MessageInSerializer,
                   responses={201: ItemSerializer})
    def post(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        link = _messages_link(request, client_id)
        incoming = MessageInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            message = services.proxy_message_send(
                practice=request.tenant, link_id=link.pk, author=request.user,
                body=incoming.validated_data["body"],
                subject=incoming.validated_data["subject"],
                meta=RequestMeta.from_request(request))
        except services.FamilyError as error:
            raise ValidationError({"detail": str(error)}) from None
        return ApiResponse({"id": message.pk, "kind": policies.Kind.MESSAGES,
                            "title": request.user.full_name,
                            "when": message.created_at.isoformat(), "detail": message.body,
                            "label": str(policies.KIND_LABELS[policies.Kind.MESSAGES])},
                           status=status.HTTP_201_CREATED)


class ReleaseStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="revoked (it was signed) or withdrawn (declined "
                                             "before signing)")


class FamilyReleaseRevokeView(APIView):
    """A proxy revokes a young client's release (or declines one awaiting a signature), under
    the rule for signing one: the link in force, its tier with "releases", the client below the
    practice's age of self-consent; never a 42 CFR Part 2 consent. Otherwise 404, as missing.
    Signing is in the portal only (the e-signature), as for the client."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_release_revoke", request=None,
                   responses={200: ReleaseStateSerializer})
    def post(self, request: SignedInApiRequest, release_id: int) -> ApiResponse:
        client_id = disclosure_selectors.release_client_id(release_id)
        try:
            if client_id is None:
                raise Release.DoesNotExist
            link = selectors.proxy_signs_for(proxy=request.user, client_id=client_id,
                                             practice=request.tenant)
            disclosure_selectors.releases_for_proxy(link.client).get(pk=release_id)
            release = disclosure_services.release_revoke_for_client(
                client_id=link.client_id, release_id=release_id, actor=request.actor)
        except (User.DoesNotExist, Release.DoesNotExist):
            raise NotFound from None
        except disclosure_services.DisclosureError as error:
            raise ValidationError({"detail": str(error)}) from None
        return ApiResponse({"id": release.pk, "status": release.status})


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class FamilyMessagesReadView(APIView):
    """GET how many of the practice's messages in the proxy's conversation wait unread; POST
    marks them read (the receipts staff see)."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_messages_unread",
                   responses={200: UnreadSerializer})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        link = _messages_link(request, client_id)
        return ApiResponse({"unread": messaging_selectors.proxy_link_unread_count(
            link.pk, request.user)})

    @extend_schema(operation_id="family_client_messages_read", request=None,
                   responses={200: ReadResultSerializer})
    def post(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        link = _messages_link(request, client_id)
        count = services.proxy_messages_read(practice=request.tenant, link=link,
                                             proxy=request.user,
                                             meta=RequestMeta.from_request(request))
        return ApiResponse({"newly_read": count})


class FamilyQuestionnairesView(APIView):
    """The caregiver questionnaires due now for the signed-in proxy about one linked client
    (their own reports, on the schedule staff set)."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_questionnaires_list",
                   responses={200: DueSerializer(many=True)})
    def get(self, request: SignedInApiRequest, client_id: int) -> ApiResponse:
        link = selectors.proxy_link(request.user, client_id)
        return ApiResponse(DueSerializer([_due_row(due) for due in selectors.caregiver_due(link)],
                                         many=True).data)


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField(),
                                    help_text="The answer is the option's index.")


class QuestionnaireSerializer(DueSerializer):
    items = QuestionSerializer(many=True)


class FamilyQuestionnaireAnswerView(APIView):
    """One caregiver questionnaire due now: GET its questions, POST the answers to its
    occurrence (one report per occurrence: 404 when nothing is due on it)."""

    permission_classes = FAMILY

    @extend_schema(operation_id="family_client_questionnaire_detail",
                   responses={200: QuestionnaireSerializer})
    def get(self, request: SignedInApiRequest, client_id: int, assignment_id: int) -> ApiResponse:
        due = _due_or_404(request, client_id, assignment_id)
        definition = instrument_definition(due.assignment.instrument_key)
        return ApiResponse(QuestionnaireSerializer({
            **_due_row(due),
            "items": [{"key": item.key, "text": item.text,
                       "options": [option.label for option in item.options]}
                      for item in definition.items]}).data)

    @extend_schema(operation_id="family_client_questionnaire_answer", request=AnswersSerializer,
                   responses={201: ReportSerializer})
    def post(self, request: SignedInApiRequest, client_id: int, assignment_id: int) -> ApiResponse:
        _due_or_404(request, client_id, assignment_id)
        incoming = AnswersSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            report = services.caregiver_report_submit(
                proxy=request.user, assignment_id=assignment_id,
                answers=incoming.validated_data["answers"],
                meta=RequestMeta.from_request(request))
        except services.FamilyError as error:
            raise ValidationError({"detail": str(error)}) from None
        return ApiResponse(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


def _due_row(due: selectors.CaregiverDue) -> dict[str, Any]:
    return {"assignment_id": due.assignment.pk, "instrument_key": due.assignment.instrument_key,
            "title": instrument_definition(due.assignment.instrument_key).title,
            "frequency": due.assignment.frequency, "occurrence_date": due.occurrence_date,
            "due_at": due.due_at, "is_overdue": due.is_overdue}


def _due_or_404(request: SignedInApiRequest, client_id: int,
                assignment_id: int) -> selectors.CaregiverDue:
    link = selectors.proxy_link(request.user, client_id)
    due = next((row for row in selectors.caregiver_due(link)
                if row.assignment.pk == assignment_id), None)
    if due is None:
        raise NotFound
    return due


def _messages_link(request: SignedInApiRequest, client_id: int) -> Any:
    return selectors.proxy_sees(proxy=request.user, client_id=client_id,
                                kind=policies.Kind.MESSAGES, practice=request.tenant)


def _item(row: Any) -> dict[str, Any]:
    return {"id": row.object_id, "kind": row.kind, "title": row.title,
            "when": row.when.isoformat() if row.when is not None else None,
            "detail": row.detail, "label": str(policies.KIND_LABELS[row.kind])}

"""Endpoints of the forms API (`/api/v1/forms/...`). Staff who handle forms (owner, clinicians,
front desk) build templates, share forms and read them; a client reads, fills in and signs their
own. Any other role, and a form or client out of reach, get the same 404 as a missing one (as
the pages do); not signed in here: 403.
Each endpoint authenticates, authorises, parses, calls one service or selector, serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from branding.selectors import branding_for
from practice.access import Capability
from practice.api_permissions import holding, require
from practice.formbuilder import seal, selectors, services
from practice.formbuilder.api.serializers import (
    FormAnswersSerializer,
    FormAssignmentDetailSerializer,
    FormAssignmentSerializer,
    FormDraftSerializer,
    FormErrorSerializer,
    FormSealCheckSerializer,
    FormShareSerializer,
    FormSignSerializer,
    FormTemplateCreateSerializer,
    FormTemplateDetailSerializer,
    FormTemplateSerializer,
    FormVersionSerializer,
)
from practice.formbuilder.definitions import DefinitionError
from practice.formbuilder.models import FormAssignment, FormTemplate
from practice.formbuilder.pdf import form_pdf
from practice.measurement.api.serializers import bad_request
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

FORM_PROBLEMS = bad_request('{"detail": why, "problems": [every problem]}')
ANSWER_ERRORS = bad_request('{"detail": why, "errors": {question key: what is wrong}}')


STAFF = holding(Capability.FORMS)
STAFF_OR_CLIENT = holding(Capability.FORMS, Capability.OWN_RECORD)
CLIENT = holding(Capability.OWN_RECORD)
DENIED = {403: FormErrorSerializer}
MISSING = {404: FormErrorSerializer}



def _read(request: SignedInApiRequest, action: str, object_type: str, object_id: Any,
          **detail: Any) -> None:
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=request.actor.meta, detail=detail)


def _problems(error: DefinitionError) -> Response:
    return Response({"detail": "This definition has problems.", "problems": error.messages},
                    status=status.HTTP_400_BAD_REQUEST)


def _template(template_id: int) -> FormTemplate:
    return selectors.template_by_id(template_id)


def _assignment(request: SignedInApiRequest, assignment_id: int) -> FormAssignment:
    """A client's own form, or a form of a client in the staff member's reach."""
    if request.user.is_client:
        return selectors.assignment_for_client(request.user, assignment_id)
    return selectors.assignment_for_staff(request.user, assignment_id)


# --- templates ---------------------------------------------------------------------------------

class TemplateListView(APIView):
    """The practice's form templates (archived ones with `?archived=1`); POST creates one."""

    permission_classes = STAFF

    @extend_schema(parameters=[OpenApiParameter("archived", bool)],
                   responses={**DENIED, 200: FormTemplateSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> Response:
        rows = selectors.templates(include_archived=request.query_params.get("archived") == "1")
        return Response([FormTemplateSerializer(row).data for row in rows])

    @extend_schema(request=FormTemplateCreateSerializer,
                   responses={**DENIED, 201: FormTemplateDetailSerializer,
                              400: FORM_PROBLEMS})
    def post(self, request: SignedInApiRequest) -> Response:
        body = FormTemplateCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            template = services.template_create(
                title=body.validated_data["title"],
                description=body.validated_data["description"],
                definition=body.validated_data.get("definition"), actor=request.actor)
        except DefinitionError as error:
            return _problems(error)
        return Response(FormTemplateDetailSerializer(selectors.template_by_id(template.pk)).data,
                        status=status.HTTP_201_CREATED)


class TemplateDetailView(APIView):
    """A template with its draft and published versions; PUT replaces the draft (checked as a
    draft: sections may still be empty)."""

    permission_classes = STAFF

    @extend_schema(responses={**DENIED, **MISSING, 200: FormTemplateDetailSerializer})
    def get(self, request: SignedInApiRequest, template_id: int) -> Response:
        return Response(FormTemplateDetailSerializer(_template(template_id)).data)

    @extend_schema(request=FormDraftSerializer,
                   responses={**DENIED, **MISSING, 200: FormTemplateDetailSerializer,
                              400: FORM_PROBLEMS, 409: FormErrorSerializer})
    def put(self, request: SignedInApiRequest, template_id: int) -> Response:
        template = _template(template_id)
        body = FormDraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.template_draft_replace(template_id=template.pk,
                                            definition=body.validated_data["definition"],
                                            actor=request.actor)
        except DefinitionError as error:
            return _problems(error)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormTemplateDetailSerializer(_template(template_id)).data)


class TemplatePublishView(APIView):
    """Publish the draft (checked in full) as the next frozen version."""

    permission_classes = STAFF

    @extend_schema(request=None, responses={**DENIED, **MISSING, 201: FormVersionSerializer,
                                            400: FORM_PROBLEMS, 409: FormErrorSerializer})
    def post(self, request: SignedInApiRequest, template_id: int) -> Response:
        template = _template(template_id)
        try:
            version = services.template_publish(template_id=template.pk,
                                                actor=request.actor)
        except DefinitionError as error:
            return _problems(error)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class TemplateVersionView(APIView):
    """One published version, as shared forms pin it."""

    permission_classes = STAFF

    @extend_schema(responses={**DENIED, **MISSING, 200: FormVersionSerializer})
    def get(self, request: SignedInApiRequest, template_id: int, number: int) -> Response:
        version = _template(template_id).versions.filter(number=number).first()
        if version is None:
            raise NotFound
        return Response(FormVersionSerializer(version).data)


# --- shared forms ------------------------------------------------------------------------------

STATUS_PARAMETER = OpenApiParameter("status", str, enum=FormAssignment.Status.values)
CLIENT_PARAMETER = OpenApiParameter("client", int, description="Staff: one client's forms.")


class AssignmentListView(APIView):
    """Staff: the forms of the clients in reach; a client: their own. POST (staff) shares a
    template's latest version with a client, who gets an email notice without its content."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(parameters=[STATUS_PARAMETER, CLIENT_PARAMETER],
                   responses={**DENIED, 200: FormAssignmentSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> Response:
        wanted = request.query_params.get("status", "")
        wanted = wanted if wanted in FormAssignment.Status.values else ""
        if request.user.is_client:
            rows = selectors.assignments_for_client(request.user)
            rows = rows.filter(status=wanted) if wanted else rows
            _read(request, Action.PORTAL_FORMS_VIEWED, "client", request.user.pk)
        else:
            client = request.query_params.get("client", "")
            rows = selectors.assignments_for_staff(
                request.user, status=wanted,
                client_id=int(client) if client.isascii() and client.isdigit() else None)[:500]
            _read(request, Action.FORMS_LIST_VIEWED, "form_list", request.user.pk,
                  client_ids=sorted({row.client_id for row in rows}))
        return Response([FormAssignmentSerializer(row).data for row in rows])

    @extend_schema(request=FormShareSerializer,
                   responses={**DENIED, **MISSING, 201: FormAssignmentSerializer,
                              409: FormErrorSerializer})
    def post(self, request: SignedInApiRequest) -> Response:
        require(request.user, Capability.FORMS)
        body = FormShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _template(data["template_id"])
        try:
            assignment = services.form_share(client_id=data["client_id"],
                                             template_id=data["template_id"],
                                             due_on=data["due_on"], actor=request.actor)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailView(APIView):
    """One form: its version's definition, status, answers and signature evidence."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, **MISSING, 200: FormAssignmentDetailSerializer})
    def get(self, request: SignedInApiRequest, assignment_id: int) -> Response:
        assignment = _assignment(request, assignment_id)
        action = Action.PORTAL_FORM_VIEWED if request.user.is_client else Action.FORM_VIEWED
        _read(request, action, "form", assignment.pk, client_id=assignment.client_id)
        return Response(FormAssignmentDetailSerializer(assignment).data)


class AnswersView(APIView):
    """The client saves a draft (`submit: false`) or submits (`submit: true`, final)."""

    permission_classes = CLIENT

    @extend_schema(request=FormAnswersSerializer,
                   responses={**DENIED, **MISSING, 200: FormAssignmentDetailSerializer,
                              400: ANSWER_ERRORS, 409: FormErrorSerializer})
    def put(self, request: SignedInApiRequest, assignment_id: int) -> Response:
        assignment = _assignment(request, assignment_id)
        body = FormAnswersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.form_answers_save(
                assignment_id=assignment.pk, answers=body.validated_data["answers"],
                submit=body.validated_data["submit"], actor=request.actor,
                strict_keys=True)
        except services.AnswersInvalid as error:
            return Response({"detail": str(error), "errors": error.errors},
                            status=status.HTTP_400_BAD_REQUEST)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormAssignmentDetailSerializer(_assignment(request, assignment_id)).data)


class SignView(APIView):
    """The client signs a submitted form: typed name, consent (true), optional drawing."""

    permission_classes = CLIENT

    @extend_schema(request=FormSignSerializer,
                   responses={**DENIED, **MISSING, 201: FormAssignmentDetailSerializer,
                              409: FormErrorSerializer})
    def post(self, request: SignedInApiRequest, assignment_id: int) -> Response:
        assignment = _assignment(request, assignment_id)
        body = FormSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.form_sign(assignment_id=assignment.pk, typed_name=data["typed_name"],
                               consent=data["consent"], drawn=data["drawn"],
                               actor=request.actor)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormAssignmentDetailSerializer(_assignment(request, assignment_id)).data,
                        status=status.HTTP_201_CREATED)


class WithdrawView(APIView):
    """Staff take back a form the client has not submitted."""

    permission_classes = STAFF

    @extend_schema(request=None, responses={**DENIED, **MISSING, 200: FormAssignmentSerializer,
                                            409: FormErrorSerializer})
    def post(self, request: SignedInApiRequest, assignment_id: int) -> Response:
        assignment = _assignment(request, assignment_id)
        try:
            assignment = services.form_withdraw(assignment_id=assignment.pk,
                                                actor=request.actor)
        except services.FormError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(FormAssignmentSerializer(assignment).data)


class PdfView(APIView):
    """The submitted form as a branded PDF (with the signature, its evidence and the sealed
    content attached, once signed)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, **MISSING,
                              (200, "application/pdf"): OpenApiResponse(description="PDF")})
    def get(self, request: SignedInApiRequest, assignment_id: int) -> HttpResponse:
        assignment = _assignment(request, assignment_id)
        if not assignment.is_submitted:
            raise NotFound("This form has not been submitted.")
        body = form_pdf(assignment, branding_for(request.tenant))
        action = (Action.PORTAL_FORM_PDF_DOWNLOADED if request.user.is_client
                  else Action.FORM_PDF_EXPORTED)
        _read(request, action, "form", assignment.pk, client_id=assignment.client_id)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="form-{assignment.pk}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class SealView(APIView):
    """Verify a signed form: recompute the SHA-256 of what is stored now and compare it with
    the seal recorded at signing and with the seal in the audit trail."""

    permission_classes = STAFF

    @extend_schema(responses={**DENIED, **MISSING, 200: FormSealCheckSerializer})
    def get(self, request: SignedInApiRequest, assignment_id: int) -> Response:
        assignment = _assignment(request, assignment_id)
        signature = getattr(assignment, "signature", None)
        if signature is None:
            raise NotFound("This form is not signed.")
        check = seal.seal_check(signature)
        _read(request, Action.FORM_SEAL_CHECKED, "form", assignment.pk, matches=check.matches)
        return Response(FormSealCheckSerializer(check).data)

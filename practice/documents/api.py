"""The documents API (`/api/v1/`, namespace "api:documents"): a client's files, uploading or
sharing one (multipart), a file's details and its download.

Staff who handle documents (owner, front desk, a clinician for their caseload) reach the clients
they may see; a client reaches only their own files, and only while the documents module is on
for them. Anything out of reach is the same 404 as something that does not exist. Reads of a
client's files and downloads are audited (ids only)."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.invitations import client_visible_modules
from practice.access import Capability, record_in_reach
from practice.api_permissions import holding
from practice.documents import selectors, services
from practice.documents.delivery import download_response
from practice.documents.models import Document
from practice.documents.policies import UploadRefused
from practice.measurement.api.serializers import bad_request
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

MODULE_KEY = "documents"


class DocumentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    shared_by = serializers.SerializerMethodField(
        help_text="Who shared it (staff), or null for the client's own upload.")
    download_url = serializers.SerializerMethodField(
        help_text="Answers with a redirect to a short-lived link (or the file itself).")
    # Staff only (left out for clients), so not required in the schema: a method field would be
    # documented as always present.
    withdrawn = serializers.BooleanField(
        source="is_withdrawn", required=False,
        help_text="Taken out of the client's view by staff (clients never see these, and do not "
                  "get this field).")

    class Meta:
        model = Document
        fields = ["id", "name", "note", "content_type", "size", "source", "shared_by",
                  "created_at", "withdrawn", "download_url"]

    def get_shared_by(self, document: Document) -> str | None:
        return document.uploaded_by.full_name if document.source == Document.Source.STAFF \
            else None

    def get_download_url(self, document: Document) -> str:
        return reverse("api:documents:file_download", args=[document.pk])


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF or an image (PNG, JPEG, HEIC or WebP), up to "
                                           "the practice's limit (20 MB unless changed).",
                                 allow_empty_file=True, max_length=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                 help_text="Staff only: what the file is, shown to the client.")


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text="Our own refusals say which, in a "
                                 "short code; DRF's 403 and 404 carry only the detail.")


UPLOAD_REFUSED = bad_request('{"detail": why, "code": a short code}')


PERMISSIONS = holding(Capability.DOCUMENTS, Capability.OWN_RECORD)
DENIED = {403: RefusalSerializer, 404: RefusalSerializer}



def _client_in_reach(request: SignedInApiRequest, client_id: int) -> User:
    user: User = request.user
    if user.is_client:
        visible = client_visible_modules(user)
        if visible is not None and MODULE_KEY not in visible:
            raise NotFound
    return record_in_reach(user, Capability.DOCUMENTS, client_id)


def _document_in_reach(request: SignedInApiRequest, document_id: int) -> Document:
    user: User = request.user
    if user.is_client:
        _client_in_reach(request, user.pk)
        return selectors.document_for_client(user, document_id)
    return selectors.document_for_staff(user, document_id)


class ClientFilesView(APIView):
    """A client's files (newest first). POST uploads one: staff share it with the client, the
    client uploads it to the practice (when the practice takes uploads)."""

    permission_classes = PERMISSIONS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: DocumentSerializer(many=True), **DENIED})
    def get(self, request: SignedInApiRequest, client_id: int) -> Response:
        client = _client_in_reach(request, client_id)
        if request.user.is_client:
            documents = selectors.documents_visible_to_client(client)
            action = Action.PORTAL_DOCUMENTS_VIEWED
        else:
            documents = selectors.documents_for_client(client)
            action = Action.DOCUMENTS_CLIENT_FILES_VIEWED
        audit_record(action=action, actor=request.user, object_type="client",
                     object_id=client.pk, meta=request.actor.meta)
        data: list[dict[str, Any]] = DocumentSerializer(documents, many=True).data  # type: ignore[assignment]
        if request.user.is_client:
            for row in data:
                row.pop("withdrawn")
        return Response(data)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: DocumentSerializer, 400: UPLOAD_REFUSED, **DENIED})
    def post(self, request: SignedInApiRequest, client_id: int) -> Response:
        client = _client_in_reach(request, client_id)
        given = UploadSerializer(data=request.data)
        if not given.is_valid():
            return Response({"detail": "Choose a file to upload (field “file”).",
                             "code": "no_file"}, status=status.HTTP_400_BAD_REQUEST)
        upload = given.validated_data["file"]
        incoming = services.IncomingFile(name=upload.name or "", size=upload.size, stream=upload)
        try:
            if request.user.is_client:
                document = services.document_upload(incoming=incoming,
                                                    actor=Actor.of(client, meta=request.actor.meta))
            else:
                document = services.document_share(
                    client_id=client.pk, incoming=incoming,
                    note=given.validated_data.get("note", ""),
                    actor=request.actor)
        except services.UploadsClosed as closed:
            raise PermissionDenied({"detail": str(closed), "code": "uploads_off"}) from None
        except UploadRefused as refusal:
            return Response({"detail": refusal.message, "code": refusal.code},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class FileDetailView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses={200: DocumentSerializer, **DENIED})
    def get(self, request: SignedInApiRequest, document_id: int) -> Response:
        document = _document_in_reach(request, document_id)
        audit_record(action=Action.DOCUMENT_VIEWED, actor=request.user, object_type="document",
                     object_id=document.pk, meta=request.actor.meta,
                     detail={"client_id": document.client_id})
        data = dict(DocumentSerializer(document).data)
        if request.user.is_client:
            data.pop("withdrawn")
        return Response(data)


class FileDownloadView(APIView):
    """The file: a redirect to a presigned URL valid for a few minutes (S3), or the bytes."""

    permission_classes = PERMISSIONS

    @extend_schema(responses={
        302: OpenApiResponse(description="Redirect to a short-lived presigned URL."),
        (200, "application/octet-stream"): OpenApiTypes.BINARY, **DENIED})
    def get(self, request: SignedInApiRequest, document_id: int) -> HttpResponseBase:
        document = _document_in_reach(request, document_id)
        audit_record(action=Action.DOCUMENT_DOWNLOADED, actor=request.user, object_type="document",
                     object_id=document.pk, meta=request.actor.meta,
                     detail={"client_id": document.client_id})
        return download_response(document)

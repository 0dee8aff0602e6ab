"""The releases-of-information API (`/api/v1/`, namespace "api:disclosure"): a client's releases
(list, draft one, read one, revoke one), sending a package through `disclose` (the only way a
record leaves), the ledger of disclosures, and the accounting of disclosures.

Who: the holders of Capability.DISCLOSE (the owner; a clinician for their caseload) for
everything; a client (OWN_RECORD) reads and revokes their own releases and reads their own
accounting, as in the portal. Anyone else, a client out of reach, another practice's record and
a missing one: the same 404. A request the release does not cover is refused 409 with the
reason (and the missing §2.31 elements of a Part 2 consent); nothing is built or written. Reads
are audited as the pages are; writes are audited by the services."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from practice.access import Capability, client_in_reach, record_in_reach
from practice.api_permissions import holding, require
from practice.disclosure import policies, selectors, services
from practice.disclosure.models import Disclosure, Release
from practice.measurement.api.serializers import ErrorSerializer, bad_request
from practice.measurement.services import client_timezone
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

STAFF = holding(Capability.DISCLOSE)
STAFF_OR_CLIENT = holding(Capability.DISCLOSE, Capability.OWN_RECORD)
DENIED = {404: ErrorSerializer}


# --- serializers -------------------------------------------------------------------------------

class ReleaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    status = serializers.CharField(help_text="awaiting (the client's signature), signed, "
                                             "revoked, or withdrawn (before signing).")
    recipient_name = serializers.CharField()
    recipient_organisation = serializers.CharField()
    recipient_email = serializers.CharField()
    recipient_phone = serializers.CharField()
    kinds = serializers.ListField(child=serializers.CharField(),
                                  help_text="Kinds of record covered: " + ", ".join(
                                      policies.SCOPE_KINDS) + ".")
    instrument_keys = serializers.ListField(child=serializers.CharField())
    covers_from = serializers.DateField(allow_null=True)
    covers_to = serializers.DateField(allow_null=True)
    purpose = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    expiry_event = serializers.CharField()
    is_part2_consent = serializers.BooleanField()
    discloser = serializers.CharField()
    information_description = serializers.CharField()
    covers_counseling_notes = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    signed_name = serializers.CharField()
    signed_as_representative = serializers.BooleanField(
        help_text="Signed by a proxy for a young client, as their personal representative.")
    signer_relationship = serializers.CharField(
        help_text="The representative's relationship to the client (blank: the client).")
    signed_at = serializers.DateTimeField(allow_null=True)
    seal_sha256 = serializers.CharField(source="content_sha256")
    revoked_at = serializers.DateTimeField(allow_null=True)
    refusal = serializers.SerializerMethodField(
        help_text="Why nothing can be sent under it today (not signed, revoked, expired), or "
                  "null when it is in force.")
    missing_part2_elements = serializers.SerializerMethodField(
        help_text="The 42 CFR 2.31 elements a Part 2 consent lacks (empty otherwise).")

    def get_refusal(self, release: Release) -> str | None:
        return policies.release_refusal(selectors.release_state(release), timezone.localdate())

    def get_missing_part2_elements(self, release: Release) -> list[str]:
        if not release.is_part2_consent:
            return []
        return policies.missing_part2_elements(selectors.consent_terms(release))


class ReleaseDraftSerializer(serializers.Serializer):
    recipient_name = serializers.CharField(max_length=150)
    recipient_organisation = serializers.CharField(max_length=200, required=False,
                                                   allow_blank=True, default="")
    recipient_email = serializers.EmailField(required=False, allow_blank=True, default="",
                                             help_text="The link is emailed here (never the "
                                                       "code).")
    recipient_phone = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                            default="")
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=list(
        policies.SCOPE_KINDS)), min_length=1, max_length=len(policies.SCOPE_KINDS))
    instrument_keys = serializers.ListField(
        child=serializers.SlugField(max_length=60), required=False, default=list,
        max_length=50, help_text="Required when kinds include scores.")
    covers_from = serializers.DateField(required=False, allow_null=True, default=None)
    covers_to = serializers.DateField(required=False, allow_null=True, default=None)
    purpose = serializers.CharField(max_length=300)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    expiry_event = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                         default="")
    is_part2_consent = serializers.BooleanField(required=False, default=False)
    discloser = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      default="")
    information_description = serializers.CharField(max_length=2000, required=False,
                                                    allow_blank=True, default="")


class DisclosureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    release = serializers.IntegerField(source="release_id")
    disclosed_at = serializers.DateTimeField()
    recipient = serializers.CharField()
    description = serializers.CharField()
    purpose = serializers.CharField()
    channel = serializers.CharField()
    package_kind = serializers.CharField()
    package_sha256 = serializers.CharField()
    contains_part2 = serializers.BooleanField()
    downloaded_at = serializers.SerializerMethodField(
        help_text="When the recipient downloaded it, or null.")

    def get_downloaded_at(self, row: Disclosure) -> str | None:
        link = getattr(row, "link", None)
        return link.used_at.isoformat() if link is not None and link.used_at else None


class DiscloseSerializer(serializers.Serializer):
    package_kind = serializers.ChoiceField(choices=list(policies.PACKAGE_KINDS))
    covers_from = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Narrow the release's date range (a wider range is refused).")
    covers_to = serializers.DateField(required=False, allow_null=True, default=None)


class DeliveredSerializer(serializers.Serializer):
    disclosure = DisclosureSerializer()
    code = serializers.CharField(help_text="The one-time code: give it to the recipient "
                                           "separately. Shown only in this answer.")
    link = serializers.CharField(help_text="The single-use download link (emailed to the "
                                           "recipient when the release has an email).")
    link_expires_at = serializers.DateTimeField()


class RefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="The 42 CFR 2.31 elements the consent lacks.")


class AccountingRowSerializer(serializers.Serializer):
    disclosed_at = serializers.DateTimeField()
    recipient = serializers.CharField()
    description = serializers.CharField()
    purpose = serializers.CharField()
    part2 = serializers.BooleanField(source="contains_part2")


class AccountingSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    since = serializers.DateTimeField()
    years = serializers.IntegerField(help_text="45 CFR 164.528")
    part2_years = serializers.IntegerField(help_text="42 CFR 2.25, held within `years`")
    disclosures = AccountingRowSerializer(many=True)


# --- helpers -----------------------------------------------------------------------------------


def _client(request: SignedInApiRequest, client_id: int) -> User:
    """The client whose releases `request.user` may read: staff in reach, a client themself."""
    return record_in_reach(request.user, Capability.DISCLOSE, client_id)


def _release(request: SignedInApiRequest, release_id: int) -> Release:
    client_id = Release.objects.filter(pk=release_id).values_list("client_id", flat=True).first()
    if client_id is None:
        raise Release.DoesNotExist
    return selectors.release_of_client(_client(request, client_id), release_id)


def _viewed(request: SignedInApiRequest, client: User, what: str) -> None:
    audit_record(action=Action.DISCLOSURE_ACCOUNTING_VIEWED, actor=request.user,
                 object_type="client", object_id=client.pk, meta=request.actor.meta,
                 detail={"api": what})


def _refused(refusal: services.DisclosureRefused) -> Response:
    return Response({"detail": str(refusal), "missing": refusal.missing},
                    status=status.HTTP_409_CONFLICT)


# --- endpoints ---------------------------------------------------------------------------------

class ClientReleasesView(APIView):
    """A client's releases, newest first. POST drafts one for the client to sign in the portal
    (staff only)."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(operation_id="disclosure_client_releases_list",
                   responses={200: ReleaseSerializer(many=True), **DENIED})
    def get(self, request: SignedInApiRequest, client_id: int) -> Response:
        client = _client(request, client_id)
        _viewed(request, client, "releases")
        return Response(ReleaseSerializer(selectors.releases_for_client(client),
                                          many=True).data)

    @extend_schema(operation_id="disclosure_client_releases_create",
                   request=ReleaseDraftSerializer,
                   responses={201: ReleaseSerializer, 400: bad_request(), **DENIED})
    def post(self, request: SignedInApiRequest, client_id: int) -> Response:
        require(request.user, Capability.DISCLOSE)
        client = client_in_reach(request.user, Capability.DISCLOSE, client_id)
        body = ReleaseDraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = services.ReleaseDraft(**body.validated_data)
        release = services.release_create(client_id=client.pk, draft=draft,
                                          practice_name=request.tenant.name,
                                          actor=request.actor)
        return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


class ReleaseDetailView(APIView):
    permission_classes = STAFF_OR_CLIENT

    @extend_schema(operation_id="disclosure_release_retrieve",
                   responses={200: ReleaseSerializer, **DENIED})
    def get(self, request: SignedInApiRequest, release_id: int) -> Response:
        release = _release(request, release_id)
        _viewed(request, release.client, f"release {release.pk}")
        return Response(ReleaseSerializer(release).data)


class ReleaseRevokeView(APIView):
    """Revoke a signed release (staff record the client's revocation; a client revokes their
    own) or withdraw one not yet signed. Stops future disclosures only."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(operation_id="disclosure_release_revoke", request=None,
                   responses={200: ReleaseSerializer, 400: bad_request(), **DENIED})
    def post(self, request: SignedInApiRequest, release_id: int) -> Response:
        release = _release(request, release_id)
        release = services.release_revoke(release_id=release.pk,
                                          actor=request.actor)
        return Response(ReleaseSerializer(release).data)


class ReleaseDiscloseView(APIView):
    """Send a package to the release's recipient through `disclose`: refused (409, with the
    reason) unless the release is signed, in force and covers exactly what the package holds,
    no restriction of the client's forbids it, and any 42 CFR Part 2 record in it has a
    complete Part 2 consent. The answer holds the one-time code, once."""

    permission_classes = STAFF

    @extend_schema(operation_id="disclosure_release_disclose", request=DiscloseSerializer,
                   responses={201: DeliveredSerializer, 400: bad_request(),
                              409: RefusedSerializer, **DENIED})
    def post(self, request: SignedInApiRequest, release_id: int) -> Response:
        release = _release(request, release_id)
        body = DiscloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        package_kind = body.validated_data["package_kind"]
        start: date | None = body.validated_data["covers_from"]
        end: date | None = body.validated_data["covers_to"]
        scope = selectors.package_scope(release, package_kind, start=start, end=end)
        link_base = request.build_absolute_uri(reverse("shared:download", args=["x"]))[:-2]
        try:
            delivered = services.disclose(
                release_id=release.pk, package_kind=package_kind, scope=scope,
                actor=request.actor, link_url=link_base,
                context=services.package_context(base_url=request.build_absolute_uri("/"),
                                                 actor=request.actor))
        except services.DisclosureRefused as refusal:
            return _refused(refusal)
        row = delivered.disclosure
        return Response(DeliveredSerializer({
            "disclosure": row, "code": delivered.code, "link": f"{link_base}{delivered.token}/",
            "link_expires_at": row.disclosed_at + policies.LINK_LIFETIME}).data,
            status=status.HTTP_201_CREATED)


class ClientDisclosuresView(APIView):
    """The ledger of a client's disclosures, newest first (append-only; staff only)."""

    permission_classes = STAFF

    @extend_schema(operation_id="disclosure_client_ledger_list",
                   responses={200: DisclosureSerializer(many=True), **DENIED})
    def get(self, request: SignedInApiRequest, client_id: int) -> Response:
        client = client_in_reach(request.user, Capability.DISCLOSE, client_id)
        _viewed(request, client, "ledger")
        return Response(DisclosureSerializer(selectors.ledger_for_client(client),
                                             many=True).data)


class ClientAccountingView(APIView):
    """The accounting of disclosures of a client (six years, 45 CFR 164.528, which holds the
    three years of 42 CFR 2.25): the same rows as the page and PDF. Staff, and the client their
    own."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(operation_id="disclosure_client_accounting",
                   responses={200: AccountingSerializer, **DENIED})
    def get(self, request: SignedInApiRequest, client_id: int) -> Response:
        client = _client(request, client_id)
        result = selectors.accounting(client, timezone.now())
        audit_record(action=Action.DISCLOSURE_ACCOUNTING_VIEWED, actor=request.user,
                     object_type="client", object_id=client.pk, meta=request.actor.meta,
                     detail={"format": "api", "rows": len(result.rows)})
        data: dict[str, Any] = {
            "client": client.pk, "since": result.since.astimezone(
                ZoneInfo(client_timezone(client))),
            "years": policies.HIPAA_ACCOUNTING_YEARS,
            "part2_years": policies.PART2_ACCOUNTING_YEARS, "disclosures": result.rows}
        return Response(AccountingSerializer(data).data)


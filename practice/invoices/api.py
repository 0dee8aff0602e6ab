"""Endpoints of the invoices API (`/api/v1/invoices...`, gated by the "billing" module). The
owner and billing staff create, edit, share, mark paid, void and discard; a client lists and
reads their shared invoices. Other roles, and an invoice out of reach, get the same 404 as a
missing one (as the pages do); not signed in here: 403. Amounts are decimal strings ("150.00")."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branding.selectors import branding_for
from practice.access import Capability
from practice.api_permissions import holding, require
from practice.invoices import selectors, services
from practice.invoices.models import CURRENCIES, Invoice
from practice.invoices.pdf import invoice_pdf
from practice.invoices.services import InvoiceInput, LineInput
from practice.measurement.api.serializers import BAD_REQUEST
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest


class InvoiceErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class InvoiceLineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    service_date = serializers.DateField(required=False, allow_null=True, default=None)
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)


class InvoiceWriteSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    lines = InvoiceLineSerializer(many=True)

    def to_input(self) -> InvoiceInput:
        data = self.validated_data
        return InvoiceInput(
            client_id=data["client_id"], currency=data["currency"],
            issue_date=data["issue_date"], due_date=data["due_date"], notes=data["notes"],
            lines=[LineInput(description=line["description"], quantity=line["quantity"],
                             unit_price=line["unit_price"], service_date=line["service_date"])
                   for line in data["lines"]])


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="INV-00001 once shared; a draft has none.",
                                   allow_null=True)
    client_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Invoice.Status.choices)
    currency = serializers.CharField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shared_at = serializers.DateTimeField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True)

    def to_representation(self, instance: Invoice) -> dict[str, Any]:
        return {"id": instance.pk,
                "number": instance.display_number if instance.number is not None else None,
                "client_id": instance.client_id, "status": instance.status,
                "currency": instance.currency, "issue_date": instance.issue_date.isoformat(),
                "due_date": instance.due_date.isoformat(), "total": str(instance.total),
                "shared_at": instance.shared_at.isoformat() if instance.shared_at else None,
                "paid_on": instance.paid_on.isoformat() if instance.paid_on else None}


class InvoiceDetailSerializer(InvoiceSerializer):
    notes = serializers.CharField()
    void_reason = serializers.CharField()
    lines = InvoiceLineSerializer(many=True)

    def to_representation(self, instance: Invoice) -> dict[str, Any]:
        data = super().to_representation(instance)
        data |= {"notes": instance.notes, "void_reason": instance.void_reason,
                 "lines": [{"description": line.description,
                            "service_date": line.service_date.isoformat()
                            if line.service_date else None,
                            "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                            "amount": str(line.amount)} for line in instance.lines.all()]}
        return data


class InvoicePaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField()


class InvoiceVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


STAFF = holding(Capability.INVOICES)
STAFF_OR_CLIENT = holding(Capability.INVOICES, Capability.OWN_RECORD)
DENIED = {403: InvoiceErrorSerializer}
MISSING = {404: InvoiceErrorSerializer}



def _read(request: SignedInApiRequest, action: str, object_type: str, object_id: Any,
          **detail: Any) -> None:
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=request.actor.meta, detail=detail)


def _invoice(request: SignedInApiRequest, invoice_id: int) -> Invoice:
    if request.user.is_client:
        return selectors.invoice_for_client(request.user, invoice_id)
    return selectors.invoice_for_staff(request.user, invoice_id)


def _refused(error: services.InvoiceError) -> Response:
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


class InvoiceListView(APIView):
    """Staff: every invoice (`?status=`, `?client=`); a client: their shared invoices. POST
    (staff) creates a draft."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Invoice.Status.values),
                               OpenApiParameter("client", int)],
                   responses={**DENIED, 200: InvoiceSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> Response:
        wanted = request.query_params.get("status", "")
        wanted = wanted if wanted in Invoice.Status.values else ""
        if request.user.is_client:
            rows = selectors.invoices_for_client(request.user)
            rows = rows.filter(status=wanted) if wanted else rows
            _read(request, Action.PORTAL_INVOICES_VIEWED, "client", request.user.pk)
        else:
            client = request.query_params.get("client", "")
            rows = selectors.invoices_for_staff(
                request.user, status=wanted,
                client_id=int(client) if client.isascii() and client.isdigit() else None)[:500]
            _read(request, Action.INVOICES_LIST_VIEWED, "invoice_list", request.user.pk,
                  client_ids=sorted({row.client_id for row in rows}))
        return Response([InvoiceSerializer(row).data for row in rows])

    @extend_schema(request=InvoiceWriteSerializer,
                   responses={**DENIED, 201: InvoiceDetailSerializer, 400: BAD_REQUEST})
    def post(self, request: SignedInApiRequest) -> Response:
        require(request.user, Capability.INVOICES)
        body = InvoiceWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invoice = services.invoice_create(data=body.to_input(), actor=request.actor)
        except services.InvoiceError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        except User.DoesNotExist:
            return Response({"detail": "No such client."}, status=status.HTTP_400_BAD_REQUEST)
        return Response(InvoiceDetailSerializer(_invoice(request, invoice.pk)).data,
                        status=status.HTTP_201_CREATED)


class InvoiceDetailView(APIView):
    """One invoice with its lines. PUT (staff) replaces a draft; DELETE discards a draft."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, **MISSING, 200: InvoiceDetailSerializer})
    def get(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        invoice = _invoice(request, invoice_id)
        action = Action.PORTAL_INVOICE_VIEWED if request.user.is_client else Action.INVOICE_VIEWED
        _read(request, action, "invoice", invoice.pk, client_id=invoice.client_id)
        return Response(InvoiceDetailSerializer(invoice).data)

    @extend_schema(request=InvoiceWriteSerializer,
                   responses={**DENIED, **MISSING, 200: InvoiceDetailSerializer,
                              400: BAD_REQUEST, 409: InvoiceErrorSerializer})
    def put(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        require(request.user, Capability.INVOICES)
        invoice = _invoice(request, invoice_id)
        body = InvoiceWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not invoice.is_draft:
            return _refused(services.InvoiceError("Only a draft can be edited."))
        try:
            services.invoice_update(invoice_id=invoice.pk, data=body.to_input(),
                                    actor=request.actor)
        except services.InvoiceError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        except User.DoesNotExist:
            return Response({"detail": "No such client."}, status=status.HTTP_400_BAD_REQUEST)
        return Response(InvoiceDetailSerializer(_invoice(request, invoice.pk)).data)

    @extend_schema(responses={**DENIED, **MISSING, 204: None, 409: InvoiceErrorSerializer})
    def delete(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        require(request.user, Capability.INVOICES)
        invoice = _invoice(request, invoice_id)
        try:
            services.invoice_discard(invoice_id=invoice.pk, actor=request.actor)
        except services.InvoiceError as error:
            return _refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvoiceShareView(APIView):
    """Number and freeze the draft and show it to the client (who gets an email notice)."""

    permission_classes = STAFF

    @extend_schema(request=None, responses={**DENIED, **MISSING, 200: InvoiceDetailSerializer,
                                            409: InvoiceErrorSerializer})
    def post(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        invoice = _invoice(request, invoice_id)
        try:
            services.invoice_share(invoice_id=invoice.pk, actor=request.actor)
        except services.InvoiceError as error:
            return _refused(error)
        return Response(InvoiceDetailSerializer(_invoice(request, invoice.pk)).data)


class InvoicePaidView(APIView):
    """Record that a shared invoice was paid (outside Tandem)."""

    permission_classes = STAFF

    @extend_schema(request=InvoicePaidSerializer,
                   responses={**DENIED, **MISSING, 200: InvoiceDetailSerializer,
                              409: InvoiceErrorSerializer})
    def post(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        invoice = _invoice(request, invoice_id)
        body = InvoicePaidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.invoice_mark_paid(invoice_id=invoice.pk,
                                       paid_on=body.validated_data["paid_on"],
                                       actor=request.actor)
        except services.InvoiceError as error:
            return _refused(error)
        return Response(InvoiceDetailSerializer(_invoice(request, invoice.pk)).data)


class InvoiceVoidView(APIView):
    """Cancel a shared, unpaid invoice (it keeps its number)."""

    permission_classes = STAFF

    @extend_schema(request=InvoiceVoidSerializer,
                   responses={**DENIED, **MISSING, 200: InvoiceDetailSerializer,
                              409: InvoiceErrorSerializer})
    def post(self, request: SignedInApiRequest, invoice_id: int) -> Response:
        invoice = _invoice(request, invoice_id)
        body = InvoiceVoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.invoice_void(invoice_id=invoice.pk, reason=body.validated_data["reason"],
                                  actor=request.actor)
        except services.InvoiceError as error:
            return _refused(error)
        return Response(InvoiceDetailSerializer(_invoice(request, invoice.pk)).data)


class InvoicePdfView(APIView):
    """The invoice as a branded PDF."""

    permission_classes = STAFF_OR_CLIENT

    @extend_schema(responses={**DENIED, **MISSING,
                              (200, "application/pdf"): OpenApiResponse(description="PDF")})
    def get(self, request: SignedInApiRequest, invoice_id: int) -> HttpResponse:
        invoice = _invoice(request, invoice_id)
        body = invoice_pdf(invoice, branding_for(request.tenant))
        action = (Action.PORTAL_INVOICE_PDF_DOWNLOADED if request.user.is_client
                  else Action.INVOICE_PDF_EXPORTED)
        _read(request, action, "invoice", invoice.pk, client_id=invoice.client_id)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.pk}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response

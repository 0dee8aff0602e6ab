"""Invoice pages. Staff (`/invoices/`, namespace "billing"): the owner and billing staff list,
create, edit, share, mark paid, void and download invoices; anyone else signed in gets the
not-found page. The client (`/portal/invoices/`, namespace "portal:billing") lists and downloads
their shared invoices. The "billing" module gates both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branding.selectors import branding_for
from portal.pages import audit_read, client_required, render_local
from practice.access import Capability, requires
from practice.invoices import selectors, services
from practice.invoices.forms import (
    InvoiceForm,
    LineFormSet,
    PaidForm,
    VoidForm,
    default_dates,
    invoice_input,
)
from practice.invoices.models import Invoice
from practice.invoices.pdf import invoice_pdf
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInRequest

PAGE_SIZE = 50


billing_required = requires(Capability.INVOICES)



def _read(request: SignedInRequest, action: str, object_type: str, object_id: int,
          **detail: Any) -> None:
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id, meta=request.actor.meta, detail=detail)


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- staff -------------------------------------------------------------------------------------

@require_safe
@billing_required
def invoice_list(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Invoice.Status.values else ""
    page = Paginator(selectors.invoices_for_staff(request.user, status=status),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _read(request, Action.INVOICES_LIST_VIEWED, "invoice_list", request.user.pk,
          client_ids=sorted({row.client_id for row in rows}))
    return render(request, "invoices/staff/list.html", {
        "rows": rows, "page": page, "status": status, "statuses": Invoice.Status.choices})


def _clients() -> list[tuple[int, str]]:
    return [(client.pk, f"{client.full_name} ({client.email})")
            for client in selectors.invoice_clients()]


def _editor(request: SignedInRequest, invoice: Invoice | None) -> HttpResponse:
    """The create and edit page: the invoice's details and its lines."""
    if invoice is None:
        initial: dict[str, Any] = default_dates(request.user)
        lines_initial: list[dict[str, Any]] = []
    else:
        initial = {"client": invoice.client_id, "currency": invoice.currency,
                   "issue_date": invoice.issue_date, "due_date": invoice.due_date,
                   "notes": invoice.notes}
        lines_initial = [{"description": line.description, "service_date": line.service_date,
                          "quantity": line.quantity, "unit_price": line.unit_price}
                         for line in invoice.lines.all()]
    data = request.POST if request.method == "POST" else None
    form = InvoiceForm(data, clients=_clients(), initial=initial)
    lines = LineFormSet(data, initial=lines_initial, prefix="lines")
    status = 200
    if data is not None:
        if form.is_valid() and lines.is_valid():
            try:
                if invoice is None:
                    invoice = services.invoice_create(data=invoice_input(form, lines),
                                                      actor=request.actor)
                else:
                    services.invoice_update(invoice_id=invoice.pk,
                                            data=invoice_input(form, lines),
                                            actor=request.actor)
            except services.InvoiceError as error:
                form.add_error(None, str(error))
            except User.DoesNotExist:
                form.add_error("client", "Choose a client.")
            else:
                messages.success(request, "Draft saved. Share it when it is ready.")
                return HttpResponseRedirect(reverse("billing:detail", args=[invoice.pk]))
        status = 400
    return render(request, "invoices/staff/edit.html",
                  {"form": form, "lines": lines, "invoice": invoice}, status=status)


@require_http_methods(["GET", "POST"])
@billing_required
def invoice_create(request: SignedInRequest) -> HttpResponse:
    return _editor(request, None)


def _invoice_or_404(request: SignedInRequest, invoice_id: int) -> Invoice:
    try:
        return selectors.invoice_for_staff(request.user, invoice_id)
    except Invoice.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@billing_required
def invoice_edit(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    if not invoice.is_draft:
        messages.error(request, "Only a draft can be edited.")
        return HttpResponseRedirect(reverse("billing:detail", args=[invoice.pk]))
    if request.method == "GET":
        _read(request, Action.INVOICE_VIEWED, "invoice", invoice.pk, client_id=invoice.client_id)
    return _editor(request, invoice)


@require_safe
@billing_required
def invoice_detail(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    _read(request, Action.INVOICE_VIEWED, "invoice", invoice.pk, client_id=invoice.client_id)
    return render(request, "invoices/staff/detail.html", {
        "invoice": invoice, "paid_form": PaidForm(), "void_form": VoidForm()})


def _act(request: SignedInRequest, invoice_id: int, act: Callable[[Invoice], Any],
         done: str) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    try:
        act(invoice)
    except services.InvoiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("billing:detail", args=[invoice.pk]))


@require_POST
@billing_required
def invoice_share(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    return _act(request, invoice_id, lambda invoice: services.invoice_share(
        invoice_id=invoice.pk, actor=request.actor),
        "Invoice shared. The client gets an email saying a new invoice is in their portal.")


@require_POST
@billing_required
def invoice_paid(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    form = PaidForm(request.POST)
    if not form.is_valid():
        _invoice_or_404(request, invoice_id)
        messages.error(request, "Give the date of payment.")
        return HttpResponseRedirect(reverse("billing:detail", args=[invoice_id]))
    return _act(request, invoice_id, lambda invoice: services.invoice_mark_paid(
        invoice_id=invoice.pk, paid_on=form.cleaned_data["paid_on"], actor=request.actor),
        "Marked paid.")


@require_POST
@billing_required
def invoice_void(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    return _act(request, invoice_id, lambda invoice: services.invoice_void(
        invoice_id=invoice.pk, reason=request.POST.get("reason", ""), actor=request.actor),
        "Invoice voided. The client sees it as cancelled.")


@require_POST
@billing_required
def invoice_discard(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    try:
        services.invoice_discard(invoice_id=invoice.pk, actor=request.actor)
    except services.InvoiceError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("billing:detail", args=[invoice.pk]))
    messages.success(request, "Draft discarded.")
    return HttpResponseRedirect(reverse("billing:list"))


@require_safe
@billing_required
def invoice_pdf_download(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    body = invoice_pdf(invoice, branding_for(request.tenant))
    _read(request, Action.INVOICE_PDF_EXPORTED, "invoice", invoice.pk, client_id=invoice.client_id)
    return pdf_response(body, f"invoice-{invoice.pk}.pdf")


# --- the client ----------------------------------------------------------------------------------

@require_safe
@client_required
def portal_list(request: SignedInRequest) -> HttpResponse:
    rows = list(selectors.invoices_for_client(request.user))
    audit_read(request, Action.PORTAL_INVOICES_VIEWED)
    return render_local(request, "invoices/portal/list.html", {"rows": rows})


def _mine_or_404(request: SignedInRequest, invoice_id: int) -> Invoice:
    try:
        return selectors.invoice_for_client(request.user, invoice_id)
    except Invoice.DoesNotExist:
        raise Http404 from None


@require_safe
@client_required
def portal_detail(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _mine_or_404(request, invoice_id)
    audit_read(request, Action.PORTAL_INVOICE_VIEWED, object_type="invoice", object_id=invoice.pk)
    return render_local(request, "invoices/portal/detail.html", {"invoice": invoice})


@require_safe
@client_required
def portal_pdf(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = _mine_or_404(request, invoice_id)
    body = invoice_pdf(invoice, branding_for(request.tenant))
    audit_read(request, Action.PORTAL_INVOICE_PDF_DOWNLOADED, object_type="invoice",
               object_id=invoice.pk)
    return pdf_response(body, f"invoice-{invoice.pk}.pdf")

"""Shared forms on the staff side (`/documents/forms/`): every form in reach with its status,
sharing a form with a client, one client's forms, one form's answers with its signature and seal
check, its PDF, and withdrawing a form the client has not submitted."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from branding.selectors import branding_for
from practice.access import Capability, client_in_reach, clients_in_reach
from practice.formbuilder import definitions, seal, selectors, services
from practice.formbuilder.forms import ShareForm
from practice.formbuilder.models import FormAssignment
from practice.formbuilder.pdf import form_pdf
from practice.formbuilder.views.common import (
    forms_staff_required,
    read_event,
    render_staff,
)
from practice.formbuilder.views.questions import sections_for
from practice.measurement.views_clinic.common import client_zone
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest

PAGE_SIZE = 50


def _share_form(request: SignedInRequest, data: Any = None,
                client: User | None = None) -> ShareForm:
    clients = ([(client.pk, client.full_name)] if client is not None else
               list(clients_in_reach(request.user, Capability.FORMS)
                    .values_list("pk", "full_name")))
    templates = [(template.pk, f"{template.title} (version {template.latest_version})")
                 for template in selectors.shareable_templates()]
    initial = {"client": client.pk} if client is not None else None
    return ShareForm(data, clients=clients, templates=templates, initial=initial)


@require_safe
@forms_staff_required
def form_list(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in FormAssignment.Status.values:
        status = ""
    page = Paginator(selectors.assignments_for_staff(request.user, status=status),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    read_event(request, Action.FORMS_LIST_VIEWED, "form_list", request.user.pk,
               client_ids=sorted({row.client_id for row in rows}))
    return render_staff(request, "formbuilder/staff/list.html", {
        "page": page, "rows": rows, "status": status,
        "statuses": FormAssignment.Status.choices,
        "counts": selectors.status_counts_for_staff(request.user),
        "share_form": _share_form(request)})


@require_POST
@forms_staff_required
def form_share(request: SignedInRequest) -> HttpResponse:
    fixed_client = request.POST.get("fixed_client") == "1"
    form = _share_form(request, request.POST)
    back = request.POST.get("client", "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.form_share(
                client_id=data["client"], template_id=data["template"], due_on=data["due_on"],
                actor=request.actor)
        except User.DoesNotExist:
            raise Http404 from None
        except services.FormError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Form shared. The client gets an email saying a form "
                                      "is waiting.")
            back = str(assignment.client_id)
    else:
        messages.error(request, "Choose a client and a form to share (and a valid date, if "
                                "you give one). Nothing was shared.")
    if fixed_client and back.isdigit():
        return HttpResponseRedirect(reverse("documents:forms:client", args=[int(back)]))
    return HttpResponseRedirect(reverse("documents:forms:list"))


@require_safe
@forms_staff_required
def client_forms(request: SignedInRequest, client_id: int) -> HttpResponse:
    try:
        client = client_in_reach(request.user, Capability.FORMS, client_id)
    except User.DoesNotExist:
        raise Http404 from None
    rows = list(selectors.assignments_for_staff(request.user, client_id=client.pk))
    read_event(request, Action.CLIENT_FORMS_VIEWED, "client", client.pk)
    with timezone.override(client_zone(client)):
        return render_staff(request, "formbuilder/staff/client.html", {
            "client": client, "rows": rows, "share_form": _share_form(request, client=client)})


def _assignment_or_404(request: SignedInRequest, assignment_id: int) -> FormAssignment:
    try:
        return selectors.assignment_for_staff(request.user, assignment_id)
    except FormAssignment.DoesNotExist:
        raise Http404 from None


@require_safe
@forms_staff_required
def form_detail(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)
    definition = assignment.version.definition
    signature = getattr(assignment, "signature", None)
    check = seal.seal_check(signature) if signature is not None else None
    read_event(request, Action.FORM_VIEWED, "form", assignment.pk, client_id=assignment.client_id)
    with timezone.override(client_zone(assignment.client)):
        return render_staff(request, "formbuilder/staff/detail.html", {
            "assignment": assignment, "client": assignment.client, "definition": definition,
            "sections": sections_for(definition, answers=assignment.answers),
            "show_answers": assignment.status != FormAssignment.Status.REQUESTED,
            "requires_signature": definitions.requires_signature(definition),
            "signature": signature, "check": check,
            "signature_png": base64.b64encode(bytes(signature.drawn_png)).decode()
            if signature is not None and signature.drawn_png else ""})


@require_safe
@forms_staff_required
def form_pdf_download(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)
    if not assignment.is_submitted:
        raise Http404
    body = form_pdf(assignment, branding_for(request.tenant))
    read_event(request, Action.FORM_PDF_EXPORTED, "form", assignment.pk,
               client_id=assignment.client_id)
    return pdf_response(body, f"form-{assignment.pk}.pdf")


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    """A PDF download: a name made of ids only, never cached by a shared cache."""
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@forms_staff_required
def form_withdraw(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)
    try:
        services.form_withdraw(assignment_id=assignment.pk, actor=request.actor)
    except services.FormError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Form withdrawn; it has left the client's portal.")
    return HttpResponseRedirect(reverse("documents:forms:detail", args=[assignment.pk]))

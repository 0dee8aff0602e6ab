"""The client's forms in the portal (`/portal/documents/forms/`): what is waiting and what is
done, filling in with drafts, submitting, signing, and a PDF copy of a submitted form.

Signing works without JavaScript: the typed name and the ticked consent are the signature. The
drawing pad is added by `formbuilder/signature.js` when scripts run; it only fills a hidden field
with a PNG data URL, which the server checks and keeps with the signature."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from branding.selectors import branding_for
from portal.pages import audit_read, client_required, render_local
from practice.formbuilder import definitions, selectors, services
from practice.formbuilder.forms import SignForm
from practice.formbuilder.models import FormAssignment
from practice.formbuilder.pdf import form_pdf
from practice.formbuilder.views.questions import raw_answers, sections_for
from practice.formbuilder.views.staff import pdf_response
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


def _mine_or_404(request: SignedInRequest, assignment_id: int) -> FormAssignment:
    try:
        return selectors.assignment_for_client(request.user, assignment_id)
    except FormAssignment.DoesNotExist:
        raise Http404 from None


@require_safe
@client_required
def form_list(request: SignedInRequest) -> HttpResponse:
    rows = list(selectors.assignments_for_client(request.user))
    audit_read(request, Action.PORTAL_FORMS_VIEWED)
    return render_local(request, "formbuilder/portal/list.html", {
        "to_do": [row for row in rows if row.is_open],
        "done": [row for row in rows if row.is_submitted]})


def _fill_page(request: SignedInRequest, assignment: FormAssignment, *, raw: dict | None = None,
               errors: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    definition = assignment.version.definition
    return render_local(request, "formbuilder/portal/fill.html", {
        "assignment": assignment, "definition": definition,
        "sections": sections_for(definition, answers=assignment.answers, raw=raw,
                                 errors=errors),
        "errors": errors or {},
        "requires_signature": definitions.requires_signature(definition),
        "statement": definitions.signature_statement(definition)}, status=status)


@require_http_methods(["GET", "POST"])
@client_required
def form_fill(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _mine_or_404(request, assignment_id)
    definition = assignment.version.definition
    if request.method == "GET":
        if (assignment.status == FormAssignment.Status.COMPLETED
                and definitions.requires_signature(definition)):
            return HttpResponseRedirect(reverse("portal:documents:forms:sign",
                                                args=[assignment.pk]))
        audit_read(request, Action.PORTAL_FORM_VIEWED, object_type="form", object_id=assignment.pk)
        if assignment.is_open:
            return _fill_page(request, assignment)
        return render_local(request, "formbuilder/portal/view.html", {
            "assignment": assignment, "definition": definition,
            "sections": sections_for(definition, answers=assignment.answers),
            "signature": getattr(assignment, "signature", None)})
    submit = request.POST.get("action") == "submit"
    raw = raw_answers(request.POST, definition)
    try:
        saved = services.form_answers_save(
            assignment_id=assignment.pk, answers=raw, submit=submit, actor=request.actor)
    except services.AnswersInvalid as error:
        messages.error(request, str(error))
        return _fill_page(request, assignment, raw=raw, errors=error.errors, status=400)
    except services.FormError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("portal:documents:forms:fill",
                                            args=[assignment.pk]))
    if not submit:
        messages.success(request, _("Draft saved. You can come back to it at any time."))
        return HttpResponseRedirect(reverse("portal:documents:forms:fill", args=[saved.pk]))
    if definitions.requires_signature(definition):
        messages.success(request, _("Submitted. One step left: sign the form."))
        return HttpResponseRedirect(reverse("portal:documents:forms:sign", args=[saved.pk]))
    messages.success(request, _("Submitted. Thank you."))
    return HttpResponseRedirect(reverse("portal:documents:forms:list"))


@require_http_methods(["GET", "POST"])
@client_required
def form_sign(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _mine_or_404(request, assignment_id)
    definition = assignment.version.definition
    if (assignment.status != FormAssignment.Status.COMPLETED
            or not definitions.requires_signature(definition)):
        return HttpResponseRedirect(reverse("portal:documents:forms:fill",
                                            args=[assignment.pk]))
    form = SignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.form_sign(assignment_id=assignment.pk, typed_name=data["typed_name"],
                                   consent=data["consent"], drawn=data["drawn"],
                                   actor=request.actor)
            except services.FormError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Signed. Thank you. You can download a copy."))
                return HttpResponseRedirect(reverse("portal:documents:forms:fill",
                                                    args=[assignment.pk]))
        status = 400
    else:
        audit_read(request, Action.PORTAL_FORM_VIEWED, object_type="form", object_id=assignment.pk)
    return render_local(request, "formbuilder/portal/sign.html", {
        "assignment": assignment, "definition": definition, "form": form,
        "sections": sections_for(definition, answers=assignment.answers),
        "statement": definitions.signature_statement(definition),
        "consent_text": services.consent_wording()}, status=status)


@require_safe
@client_required
def form_pdf_download(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    assignment = _mine_or_404(request, assignment_id)
    if not assignment.is_submitted:
        raise Http404
    body = form_pdf(assignment, branding_for(request.tenant))
    audit_read(request, Action.PORTAL_FORM_PDF_DOWNLOADED, object_type="form",
               object_id=assignment.pk)
    return pdf_response(body, f"form-{assignment.pk}.pdf")

"""The client's documents in the portal (`/portal/documents/files/`, namespace
"portal:documents:files"): what the practice shared and what they uploaded, the upload form when
the practice takes uploads, and downloads. Clients only (portal.pages.client_required);
a file of someone else is as missing as one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.pages import audit_read, client_required, render_local
from practice.documents import selectors, services
from practice.documents.delivery import download_response
from practice.documents.forms import UploadForm
from practice.documents.models import Document
from practice.documents.policies import UploadRefused
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest

# The forms module's summary for this page (practice.formbuilder), shown when it is there.
FORMS_SUMMARY_TEMPLATE = "formbuilder/portal/_forms_summary.html"


def _forms_summary() -> str | None:
    try:
        get_template(FORMS_SUMMARY_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return FORMS_SUMMARY_TEMPLATE


@require_http_methods(["GET", "POST"])
@client_required
def file_list(request: SignedInRequest) -> HttpResponse:
    policy = selectors.upload_policy()
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.document_upload(
                    incoming=services.IncomingFile(name=upload.name or "", size=upload.size,
                                                   stream=upload),
                    actor=request.actor)
            except services.UploadsClosed as closed:
                form.add_error(None, str(closed))
                status = 403
            except UploadRefused as refusal:
                form.add_error("file", refusal.message)
            else:
                messages.success(request, _("Uploaded. Your practice can see it now."))
                return HttpResponseRedirect(reverse("portal:documents:files:list"))
    audit_read(request, Action.PORTAL_DOCUMENTS_VIEWED)
    return render_local(request, "documents/portal/list.html", {
        "documents": selectors.documents_visible_to_client(request.user),
        "form": form, "policy": policy, "forms_summary": _forms_summary(),
    }, status=status)


@require_safe
@client_required
def file_download(request: SignedInRequest, document_id: int) -> HttpResponseBase:
    try:
        document = selectors.document_for_client(request.user, document_id)
    except Document.DoesNotExist:
        raise Http404 from None
    audit_read(request, Action.PORTAL_DOCUMENT_DOWNLOADED, object_type="document",
               object_id=document.pk)
    return download_response(document)

"""Staff pages for documents (`/documents/files/`, namespace "documents:files"): the latest files
across one's clients, a client's files with the form to share one, downloads, withdrawing a
shared file, and the owner's rules for uploads.

The owner, clinicians (their caseload) and front desk get in; anyone else signed in gets the
not-found page, and a client or file out of reach is as missing as one that does not exist.
Every page showing a client's files, and every download, leaves an audit event (ids only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from practice.access import Capability, client_in_reach, holds, requires
from practice.documents import selectors, services
from practice.documents.delivery import download_response
from practice.documents.forms import DocumentSettingsForm, ShareForm
from practice.documents.models import Document
from practice.documents.policies import ALLOWED_TYPES, UploadRefused
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInRequest

documents_staff_required = requires(Capability.DOCUMENTS)



def _client_or_404(request: SignedInRequest, client_id: int) -> User:
    try:
        return client_in_reach(request.user, Capability.DOCUMENTS, client_id)
    except User.DoesNotExist:
        raise Http404 from None


def _document_or_404(request: SignedInRequest, document_id: int) -> Document:
    try:
        return selectors.document_for_staff(request.user, document_id)
    except Document.DoesNotExist:
        raise Http404 from None


@require_safe
@documents_staff_required
def file_list(request: SignedInRequest) -> HttpResponse:
    chosen = request.GET.get("client", "")
    if chosen.isdigit():  # the client picker; the client page itself checks who may see whom
        return HttpResponseRedirect(reverse("documents:files:client", args=[int(chosen)]))
    source = request.GET.get("source", "")
    source = source if source in Document.Source.values else ""
    documents = selectors.recent_documents(request.user, source=source)
    audit_record(action=Action.DOCUMENTS_FILES_LISTED, actor=request.user, object_type="client",
                 meta=request.actor.meta,
                 detail={"client_ids": sorted({document.client_id for document in documents})})
    return render(request, "documents/staff/list.html", {
        "documents": documents, "source": source, "sources": Document.Source.choices,
        "clients": selectors.client_choices(request.user),
        "is_owner": holds(request.user, Capability.MANAGE_PRACTICE),
    })


@require_http_methods(["GET", "POST"])
@documents_staff_required
def client_files(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client_or_404(request, client_id)
    form = ShareForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.document_share(
                    client_id=client.pk, note=form.cleaned_data["note"],
                    incoming=services.IncomingFile(name=upload.name or "", size=upload.size,
                                                   stream=upload),
                    actor=request.actor)
            except UploadRefused as refusal:
                form.add_error("file", refusal.message)
            else:
                messages.success(request, "File shared: the client sees it in their portal.")
                return HttpResponseRedirect(reverse("documents:files:client", args=[client.pk]))
    audit_record(action=Action.DOCUMENTS_CLIENT_FILES_VIEWED, actor=request.user,
                 object_type="client", object_id=client.pk, meta=request.actor.meta)
    policy = selectors.upload_policy()
    return render(request, "documents/staff/client.html", {
        "client": client, "documents": selectors.documents_for_client(client), "form": form,
        "policy": policy, "types": ALLOWED_TYPES,
    }, status=status)


@require_safe
@documents_staff_required
def file_download(request: SignedInRequest, document_id: int) -> HttpResponseBase:
    document = _document_or_404(request, document_id)
    audit_record(action=Action.DOCUMENT_DOWNLOADED, actor=request.user, object_type="document",
                 object_id=document.pk, meta=request.actor.meta,
                 detail={"client_id": document.client_id})
    return download_response(document)


@require_POST
@documents_staff_required
def file_withdraw(request: SignedInRequest, document_id: int) -> HttpResponse:
    try:
        document = services.document_withdraw(document_id=document_id,
                                              actor=request.actor)
    except Document.DoesNotExist:
        raise Http404 from None
    except services.DocumentError as error:
        document = _document_or_404(request, document_id)
        messages.error(request, str(error))
    else:
        messages.success(request, "The file is no longer in the client's portal. It is kept "
                                  "here.")
    return HttpResponseRedirect(reverse("documents:files:client", args=[document.client_id]))


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PRACTICE)
def upload_settings(request: SignedInRequest) -> HttpResponse:
    """The owner's rules for files; anyone else gets the not-found page."""
    row = selectors.document_settings()
    form = DocumentSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_settings_update(
                client_uploads_enabled=form.cleaned_data["client_uploads_enabled"],
                max_upload_mb=form.cleaned_data["max_upload_mb"],
                actor=request.actor)
        except services.DocumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Saved.")
            return HttpResponseRedirect(reverse("documents:files:settings"))
    return render(request, "documents/staff/settings.html", {"form": form},
                  status=400 if request.method == "POST" else 200)

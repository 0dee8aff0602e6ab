"""The resources the client's clinician chose for them: links, texts and files."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from portal.pages import audit_read, client_required, render_local
from practice.care import selectors
from practice.care.models import Resource
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@require_safe
@client_required
def resource_list(request: SignedInRequest) -> HttpResponse:
    audit_read(request, Action.PORTAL_RESOURCES_VIEWED)
    return render_local(request, "portal/care/resources.html",
                        {"resources": selectors.resources_for_client(request.user)})


def _own(request: SignedInRequest, resource_id: int) -> Resource:
    try:
        return selectors.resource_for_client(request.user, resource_id)
    except Resource.DoesNotExist:
        raise Http404 from None


@require_safe
@client_required
def resource_detail(request: SignedInRequest, resource_id: int) -> HttpResponse:
    resource = _own(request, resource_id)
    audit_read(request, Action.PORTAL_RESOURCE_VIEWED, object_type="resource",
               object_id=resource.pk)
    return render_local(request, "portal/care/resource.html", {"resource": resource})


@require_safe
@client_required
def resource_file(request: SignedInRequest, resource_id: int) -> HttpResponseBase:
    resource = _own(request, resource_id)
    if resource.kind != Resource.Kind.FILE or not resource.file:
        raise Http404
    audit_read(request, Action.PORTAL_RESOURCE_VIEWED, object_type="resource",
               object_id=resource.pk)
    return FileResponse(resource.file.open("rb"), as_attachment=True,
                        filename=(resource.file.name or "").rsplit("/", 1)[-1])

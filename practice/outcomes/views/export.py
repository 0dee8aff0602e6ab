"""The owner's "Export the practice's data": ask for it, watch it being prepared (the status
block refreshes itself with htmx; without scripts, a refresh link), download it through the
permission check while it is valid. Anyone but the owner gets the not-found page."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from practice.access import Capability, requires
from practice.outcomes import services
from practice.outcomes.models import PracticeExport
from tenants.requests import SignedInRequest

owner_required = requires(Capability.MANAGE_PRACTICE)


def _latest() -> PracticeExport | None:
    return PracticeExport.objects.select_related("requested_by").order_by("-created_at",
                                                                          "-pk").first()


@owner_required
def practice_export(request: SignedInRequest) -> HttpResponse:
    export = _latest()
    context = {"export": export}
    if request.htmx:
        return render(request, "outcomes/_export_status.html", context)
    return render(request, "outcomes/export.html", context)


@require_POST
@owner_required
def practice_export_request(request: SignedInRequest) -> HttpResponse:
    try:
        services.practice_export_request(actor=request.actor)
    except services.ExportInProgress as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The export is being prepared. You will get an email when it "
                                  "is ready.")
    return HttpResponseRedirect(reverse("outcomes:practice_export"))


@owner_required
def practice_export_download(request: SignedInRequest, export_id: int) -> HttpResponseBase:
    try:
        export = services.practice_export_download(export_id=export_id,
                                                   actor=request.actor)
    except PracticeExport.DoesNotExist:
        raise Http404 from None
    if export is None:
        messages.error(request, "That export has expired and was deleted. Ask for a new one.")
        return HttpResponseRedirect(reverse("outcomes:practice_export"))
    response = FileResponse(default_storage.open(export.file, "rb"), as_attachment=True,
                            filename=f"practice-export-{export.finished_at:%Y-%m-%d}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response

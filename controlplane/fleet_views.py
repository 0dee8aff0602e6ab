"""The operator's fleet view and the "migrate all" job (tenants.fleet). Operators only; never a
practice's clinical data (tests/tenants/test_fleet.py captures the SQL of every operator page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from controlplane.views import operator_required
from tenants import fleet, selectors
from tenants.models import MigrationRun
from tenants.requests import SignedInRequest


# operator_required first: to anyone else every method is the same 404.
@operator_required
@require_GET
def fleet_view(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.practice_list(), 50).get_page(request.GET.get("page"))
    return render(request, "platform/fleet.html", {
        "page": page, "rows": fleet.fleet_health(list(page.object_list)),
        "totals": fleet.fleet_totals(),
    })


@operator_required
@require_http_methods(["GET", "POST"])
def migrations_view(request: SignedInRequest) -> HttpResponse:
    if request.method == "POST":
        retry = request.POST.get("retry")
        try:
            fleet.migration_run_start(
                actor=request.actor,
                retry_of=int(retry) if retry and retry.isdigit() else None)
        except fleet.MigrationRunError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Started. Progress shows below.")
        return HttpResponseRedirect(reverse("operator:migrations"))
    runs = list(MigrationRun.objects.all()[:10])
    return render(request, "platform/migrations.html", {
        "run": runs[0] if runs else None, "history": runs[1:],
    })


@operator_required
@require_GET
def migration_progress(request: SignedInRequest, run_id: int) -> HttpResponse:
    """The progress box alone (htmx polls it every two seconds while the run goes on)."""
    run = MigrationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return render(request, "platform/_migration_run.html", {"run": run})
